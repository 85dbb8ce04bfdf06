from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class OrganizationsConfig(AppConfig):
    name = "organizations"
    verbose_name = "组织机构"

    def ready(self):
        from .models import ExpertProfile, Membership, Organization, Region
        from .selectors import roles_changed

        # What memberships_of and roles_of keep between requests is read from these.
        for model in (Membership, Organization, Region, ExpertProfile):
            post_save.connect(roles_changed, sender=model, dispatch_uid=f"roles-{model._meta.label}-save")
            post_delete.connect(roles_changed, sender=model, dispatch_uid=f"roles-{model._meta.label}-delete")
