"""Writes to the green manufacturing lists: a listing is created by the final decision after the 公示."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from activity.services import audit_record
from applications.models import Application
from notices.models import Notice
from notices.selectors import notice_family
from organizations.models import Membership, Organization
from organizations.selectors import memberships_of

from .models import Listing

DECIDING_ROLES = (Membership.Role.APPROVER, Membership.Role.ADMIN)


def root_notice(notice: Notice) -> Notice:
    """The notice a round starts from: the one its family forwards down from."""
    family = notice_family(notice)
    return next((n for n in family if n.forwards_id is None), notice)


def may_decide(user, authority: Organization) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return any(m.organization_id == authority.pk and m.role in DECIDING_ROLES for m in memberships_of(user))


@transaction.atomic
def listing_create(
    *,
    actor,
    application: Application,
    authority: Organization,
    listed_on: date,
    notice: Notice | None = None,
    request=None,
) -> Listing:
    """List one application's unit: level and year from the round's notice (the root of the application's notice
    family unless given), the unit's name and credit code as they are at listing."""
    if not may_decide(actor, authority):
        raise PermissionDenied(f"您无权以{authority.name}名义决定名单。")
    notice = notice or root_notice(application.notice)
    applicant = application.applicant
    if Listing.objects.filter(application=application).exists():
        raise ValidationError(f"《{applicant.name}》的该项申报已列入名单。")
    clash = Listing.objects.filter(
        organization=applicant,
        category=application.category,
        level=notice.list_level,
        year=notice.year,
        status=Listing.Status.ACTIVE,
    ).exists()
    if clash:
        raise ValidationError(
            f"{applicant.name}已列入{notice.year}年度{notice.get_list_level_display()}"
            f"{application.get_category_display()}名单，不能重复列入。"
        )
    listing = Listing.objects.create(
        organization=applicant,
        name=applicant.name,
        credit_code=applicant.credit_code,
        category=application.category,
        level=notice.list_level,
        year=notice.year,
        notice=notice,
        application=application,
        authority=authority,
        listed_on=listed_on,
        created_by=actor if actor.is_authenticated else None,
    )
    audit_record(
        actor=actor,
        verb="listing.create",
        target=listing,
        organization=authority,
        after=f"{listing.level}:{listing.year}:{listing.category}",
        request=request,
    )
    return listing
