from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class GreenmfgConfig(AppConfig):
    name = "greenmfg"
    verbose_name = "绿色制造门户"

    def ready(self):
        from notices.models import Notice
        from organizations.models import Organization

        from .request_memo import forget

        for model in (Organization, Notice):
            post_save.connect(forget, sender=model, dispatch_uid=f"request-memo-{model._meta.label}-save")
            post_delete.connect(forget, sender=model, dispatch_uid=f"request-memo-{model._meta.label}-delete")
