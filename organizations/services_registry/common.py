"""Constants and helpers shared by the registry's services."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from activity.services import notification_send
from greenmfg.uploads import check_upload, store_upload

from ..models import (
    Organization,
)
from ..selectors import memberships_of
from ..selectors_registry import DECIDING_ROLES, can_decide

SHANGHAI = ZoneInfo("Asia/Shanghai")
PROOF_TYPES = ["pdf", "jpg", "png"]
PROOF_MAX_BYTES = 20 * 1024 * 1024
REPORT_TYPES = ["pdf"]
REPORT_MAX_BYTES = 50 * 1024 * 1024
BLACKLIST_YEARS = 3  # 001 §二（四）, 002 §三, 003 §（二）2, 004 §四: 三年内不予采信

# Called after commit with the ids of assessors whose registry facts changed (eligibility registers itself here).
ASSESSOR_FACT_HOOKS: list = []


def assessor_facts_changed(assessor_ids) -> None:
    ids = sorted(set(assessor_ids))
    for hook in ASSESSOR_FACT_HOOKS:
        transaction.on_commit(lambda hook=hook: hook(ids))


# ------------------------------------------------------------------------------------------------ helpers


def _is_member(user, organization: Organization) -> bool:
    return bool(user.is_superuser) or any(m.organization_id == organization.pk for m in memberships_of(user))


def _members(organization: Organization, roles=None) -> list:
    qs = organization.memberships.filter(is_active=True).select_related("user")
    if roles:
        qs = qs.filter(role__in=roles)
    return [m.user for m in qs]


def _require_assessor(actor, assessor: Organization) -> None:
    if assessor.kind != Organization.Kind.ASSESSOR:
        raise ValidationError("只有第三方评价机构可以办理此事项。")
    if not _is_member(actor, assessor):
        raise PermissionDenied(f"只有{assessor.name}的人员可以办理此事项。")


def _require_decider(actor, authority: Organization, what: str) -> None:
    if not can_decide(actor, authority):
        raise PermissionDenied(f"只有{authority.name}的审核人或管理员可以{what}。")


def _require_province(authority: Organization, what: str = "受理备案") -> None:
    if authority.kind != Organization.Kind.AUTHORITY or authority.level != Organization.Level.PROVINCE:
        raise ValidationError({"authority": [f"只有省级工业和信息化主管部门可以{what}。"]})


def _notify_deciders(authority: Organization, *, title: str, body: str = "", url: str = "") -> None:
    notification_send(
        recipients=_members(authority, DECIDING_ROLES), organization=authority, title=title, body=body, url=url
    )


def _notify_assessor(assessor: Organization, *, title: str, body: str = "", url: str = "") -> None:
    notification_send(recipients=_members(assessor), organization=assessor, email=True, title=title, body=body, url=url)


def end_of_day(day: date) -> datetime:
    """A deadline given as a day ends at 23:59:59 of that day, Asia/Shanghai."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=SHANGHAI)


def _int(value, label: str, errors: dict, name: str, *, required=True) -> int | None:
    if value in (None, ""):
        if required:
            errors[name] = [f"请填写{label}。"]
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors[name] = [f"{label}应为整数。"]
        return None
    if number < 0:
        errors[name] = [f"{label}不能为负数。"]
        return None
    return number


def _text(data: dict, name: str) -> str:
    return str(data.get(name) or "").strip()


def _store(upload, *, folder: str, accepted, max_bytes) -> tuple[str, str, str]:
    kind = check_upload(upload, accepted=accepted, max_bytes=max_bytes)
    name, sha = store_upload(upload, folder=folder, kind=kind)
    return kind, name, sha
