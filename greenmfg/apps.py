from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save


class GreenmfgConfig(AppConfig):
    name = "greenmfg"
    verbose_name = "绿色制造门户"

    def ready(self):
        from applications.models import (
            ApplicationGroupObjectPermission,
            ApplicationUserObjectPermission,
            Declaration,
            MaterialFile,
        )
        from eligibility.models import RuleSet, RuleSetEntry
        from notices.models import Deadline, Extension, Notice, NoticeCategory, Quota, RequiredMaterial
        from organizations.models import ExpertProfile, Membership, Organization, Region

        from .request_memo import forget
        from .shared_cache import config_changed

        # Every model a memoized read depends on.
        memo = (Organization, Notice, NoticeCategory, RequiredMaterial, MaterialFile, Declaration, Deadline, Extension)
        _on_write(forget, "request-memo", memo)
        # What greenmfg.shared_cache keeps between requests is read from these.
        config = (
            *(Organization, Region, Membership, ExpertProfile),
            *(Notice, NoticeCategory, RequiredMaterial, Deadline, Extension, Quota, RuleSet, RuleSetEntry),
        )
        _on_write(config_changed, "shared-cache", config)
        post_migrate.connect(config_changed, dispatch_uid="shared-cache-migrate")
        # A grant taken back: what the request found visible is asked again (a new grant changes nothing kept).
        grants = (ApplicationUserObjectPermission, ApplicationGroupObjectPermission)
        _on_write(forget, "request-memo", grants, saves=False)


def _on_write(receiver, prefix: str, models, *, saves: bool = True) -> None:
    for model in models:
        if saves:
            post_save.connect(receiver, sender=model, dispatch_uid=f"{prefix}-{model._meta.label}-save")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"{prefix}-{model._meta.label}-delete")
