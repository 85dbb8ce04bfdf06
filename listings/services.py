"""Writes to the green manufacturing lists: a listing is created by the final decision after the 公示 (or by an
import of a historical list, listings/imports.py), renamed, and removed by dynamic management (移出)."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from activity.services import audit_record
from applications.models import Application, State
from notices.models import Notice
from notices.selectors import notice_family
from organizations.models import Membership, Organization
from organizations.selectors import authority_ancestor_ids, memberships_of

from .models import Listing, ListingRename
from .selectors import deciding_authorities, listing_in_jurisdiction

DECIDING_ROLES = (Membership.Role.APPROVER, Membership.Role.ADMIN)
OPEN_STATES = (State.DRAFT, State.RETURNED, State.UNDER_REVIEW, State.RECOMMENDED)
REEVALUATE_CHUNK = 500


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


def open_application_ids(codes) -> list[int]:
    """Applications still in the flow whose applicant or park member holds one of the codes (2 queries)."""
    codes = set(codes) - {""}
    if not codes:
        return []
    live = Application.objects.filter(state__in=OPEN_STATES)
    ids = set(live.filter(applicant__credit_code__in=codes).values_list("pk", flat=True))
    for pk, members in live.filter(category="park", data__has_key="member_credit_codes").values_list(
        "pk", "data__member_credit_codes"
    ):
        if isinstance(members, str) and codes.intersection(c.strip().upper() for c in members.splitlines()):
            ids.add(pk)
    return sorted(ids)


def reevaluate_units(codes) -> None:
    """The rule engine judges the units' open applications again: their list facts changed (after commit)."""
    from eligibility.tasks import evaluate_applications

    ids = open_application_ids(codes)
    for start in range(0, len(ids), REEVALUATE_CHUNK):
        evaluate_applications.delay(ids[start : start + REEVALUATE_CHUNK])


def _locked(listing: Listing) -> Listing:
    return Listing.objects.select_for_update(of=("self",)).select_related("organization").get(pk=listing.pk)


@transaction.atomic
def listing_remove(
    *, actor, listing: Listing, authority: Organization, removed_on: date, reason: str, request=None
) -> Listing:
    """Remove (移出) an entry by dynamic management; the removed entry is the fact behind NEG-REMOVED.

    The authority that decided the list decides its removal (002 §四: city list → the city, province list → the
    province, national → the ministry), or an authority above it; the actor is its approver or admin."""
    if not may_decide(actor, authority):
        raise PermissionDenied(f"您无权以{authority.name}名义决定移出名单。")
    listing = _locked(listing)
    if authority.pk not in authority_ancestor_ids(listing.authority_id):
        raise PermissionDenied(
            f"{listing.display_name}的名单由{listing.authority.name}决定，{authority.name}不能决定移出。"
        )
    if listing.status != Listing.Status.ACTIVE:
        raise ValidationError(f"{listing.display_name}已于{listing.removed_on}移出名单。")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写移出原因。")
    if removed_on < listing.listed_on:
        raise ValidationError(f"移出日期不能早于列入日期（{listing.listed_on}）。")
    listing.status = Listing.Status.REMOVED
    listing.removed_on = removed_on
    listing.removal_reason = reason
    listing.removal_authority = authority
    listing.save(update_fields=["status", "removed_on", "removal_reason", "removal_authority"])
    audit_record(
        actor=actor,
        verb="listing.remove",
        target=listing,
        organization=authority,
        before=Listing.Status.ACTIVE,
        after=f"{Listing.Status.REMOVED}:{removed_on}",
        reason=reason,
        request=request,
    )
    code = listing.organization.credit_code
    transaction.on_commit(lambda: reevaluate_units([code]))
    return listing


def renaming_authority(actor, listing: Listing, authority: Organization | None = None, report=None):
    """The authority in whose name the actor may rename the entry, or None: the given one (else the round's of the
    dynamic report declaring the change, else the actor's first approver/admin authority whose jurisdiction holds
    the entry); superusers act for the entry's deciding authority."""
    if not getattr(actor, "is_authenticated", False):
        return None
    if authority is None and report is not None:
        authority = report.round.authority
    if authority is None:
        if actor.is_superuser:
            return listing.authority
        return next((a for a in deciding_authorities(actor) if listing_in_jurisdiction(listing, a)), None)
    if authority.kind != Organization.Kind.AUTHORITY or not may_decide(actor, authority):
        return None
    return authority if listing_in_jurisdiction(listing, authority) else None


@transaction.atomic
def listing_rename(
    *,
    actor,
    listing: Listing,
    new_name: str,
    changed_on: date,
    reason: str = "",
    report=None,
    authority: Organization | None = None,
    request=None,
) -> ListingRename:
    """Record a listed unit's change of name: the entry shows the new name and keeps the old one in its history.

    Done by an approver or admin of an authority whose jurisdiction holds the entry (the authority is the given one,
    else the round's of the dynamic report declaring the change, else the actor's first such authority)."""
    authority = renaming_authority(actor, listing, authority, report)
    if authority is None:
        raise PermissionDenied("您无权变更该名单单位的名称。")
    listing = _locked(listing)
    new_name = " ".join((new_name or "").split())
    if not new_name:
        raise ValidationError("请填写新名称。")
    if len(new_name) > Listing._meta.get_field("current_name").max_length:
        raise ValidationError("新名称过长（不超过128个字）。")
    old_name = listing.display_name
    if new_name == old_name:
        raise ValidationError(f"新名称与现名称“{old_name}”相同。")
    if changed_on > timezone.localdate():
        raise ValidationError("变更日期不能晚于今天。")
    last = listing.renames.order_by("-changed_on", "-id").first()
    if last is not None and changed_on < last.changed_on:
        raise ValidationError(f"变更日期不能早于上一次更名日期（{last.changed_on}）。")
    rename = ListingRename.objects.create(
        listing=listing,
        old_name=old_name,
        new_name=new_name,
        changed_on=changed_on,
        reason=(reason or "").strip(),
        report=report,
        recorded_by=actor if actor.is_authenticated else None,
    )
    listing.current_name = new_name
    listing.save(update_fields=["current_name"])
    audit_record(
        actor=actor,
        verb="listing.rename",
        target=listing,
        organization=authority,
        before=old_name,
        after=new_name,
        reason=rename.reason,
        request=request,
    )
    return rename
