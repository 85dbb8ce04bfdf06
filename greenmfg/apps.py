from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save


class GreenmfgConfig(AppConfig):
    name = "greenmfg"
    verbose_name = "绿色制造门户"

    def ready(self):
        from guardian.models import GroupObjectPermission, UserObjectPermission

        from applications.models import Declaration, MaterialFile
        from eligibility.models import RuleSet, RuleSetEntry
        from notices.models import Deadline, Extension, Notice, NoticeCategory, Quota, RequiredMaterial
        from organizations.models import ExpertProfile, Membership, Organization, Region

        from .request_memo import forget
        from .shared_cache import config_changed

        # Every model a memoized read depends on.
        for model in (
            Organization,
            Notice,
            NoticeCategory,
            RequiredMaterial,
            MaterialFile,
            Declaration,
            Deadline,
            Extension,
        ):
            post_save.connect(forget, sender=model, dispatch_uid=f"request-memo-{model._meta.label}-save")
            post_delete.connect(forget, sender=model, dispatch_uid=f"request-memo-{model._meta.label}-delete")
        # What greenmfg.shared_cache keeps between requests is read from these.
        for model in (
            Organization,
            Region,
            Membership,
            ExpertProfile,
            Notice,
            NoticeCategory,
            RequiredMaterial,
            Deadline,
            Extension,
            Quota,
            RuleSet,
            RuleSetEntry,
        ):
            post_save.connect(config_changed, sender=model, dispatch_uid=f"shared-cache-{model._meta.label}-save")
            post_delete.connect(config_changed, sender=model, dispatch_uid=f"shared-cache-{model._meta.label}-delete")
        post_migrate.connect(config_changed, dispatch_uid="shared-cache-migrate")
        # A grant taken back: what the request found visible is asked again (a new grant changes nothing kept).
        for model in (UserObjectPermission, GroupObjectPermission):
            post_delete.connect(forget, sender=model, dispatch_uid=f"request-memo-{model._meta.label}-delete")
