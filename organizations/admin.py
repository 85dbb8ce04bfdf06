from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from .models import ExpertAffiliation, ExpertProfile, Membership, Organization, Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(GuardedModelAdmin):
    list_display = ["name", "kind", "level", "credit_code", "region", "parent", "competent_authority", "is_active"]
    list_filter = ["kind", "level", "domain", "is_active"]
    search_fields = ["name", "credit_code"]
    autocomplete_fields = ["region", "parent", "competent_authority"]
    readonly_fields = ["group"]
    inlines = [MembershipInline]


class AffiliationInline(admin.TabularInline):
    model = ExpertAffiliation
    extra = 0


@admin.register(ExpertProfile)
class ExpertProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "pool", "title", "specialties", "is_active"]
    inlines = [AffiliationInline]
