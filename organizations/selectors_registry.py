"""Reads of the third-party assessor registry, above all who may see which filing, call, report and blacklist entry.

One visibility function per object type, used by pages, API and exports alike (not visible → 404):
an assessor sees its own; a province authority sees what was filed or reported with it; the ministry and superusers
see everything; others nothing. Blacklist entries are published by 通报/公告 (001, 002, 004 §四), so every province
and the ministry see them all. Sources: 002_3e46b5da0b2a2c6e.txt §三, 004_30892f5977438438.txt §四.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .models import (
    AnnualReportCall,
    AssessorAnnualReport,
    AssessorBlacklist,
    AssessorFiling,
    Membership,
    Organization,
)
from .registry_models import EXPERIENCE_YEARS, MIN_MID_LEVEL_STAFF, MIN_SENIOR_IN_FIELDS
from .selectors import authority_subtree_ids, memberships_of

DECIDING_ROLES = (Membership.Role.APPROVER, Membership.Role.ADMIN)
PROVINCE, MINISTRY = Organization.Level.PROVINCE, Organization.Level.MINISTRY


# ------------------------------------------------------------------------------------------------ who acts


def _authorities(user, levels=(PROVINCE, MINISTRY), roles=None) -> list[Organization]:
    return [
        m.organization
        for m in memberships_of(user)
        if m.organization.kind == Organization.Kind.AUTHORITY
        and m.organization.level in levels
        and (roles is None or m.role in roles)
    ]


def reads_everything(user) -> bool:
    """Superusers and members of the ministry read the whole registry."""
    return bool(user.is_superuser) or bool(_authorities(user, levels=(MINISTRY,)))


def province_ids(user, roles=None) -> list[int]:
    """Province authorities the user is a member of (with one of `roles` when given)."""
    return [o.pk for o in _authorities(user, levels=(PROVINCE,), roles=roles)]


def assessor_ids(user) -> list[int]:
    return [m.organization_id for m in memberships_of(user) if m.organization.kind == Organization.Kind.ASSESSOR]


def can_decide(user, authority: Organization) -> bool:
    """An approver or admin of the authority (or a superuser) decides in its name."""
    if user.is_superuser:
        return True
    return any(m.organization_id == authority.pk and m.role in DECIDING_ROLES for m in memberships_of(user))


def deciding_authorities(user, levels=(PROVINCE,)) -> list[Organization]:
    """Authorities in whose name the user may decide filings, open calls or blacklist (for forms)."""
    if user.is_superuser:
        return list(
            Organization.objects.filter(kind=Organization.Kind.AUTHORITY, level__in=levels, is_active=True)
            .select_related("region")
            .order_by("region_id", "id")
        )
    return _authorities(user, levels=levels, roles=DECIDING_ROLES)


def is_registry_reader(user) -> bool:
    """May open the province's registry pages: a province or ministry member, or a superuser."""
    return reads_everything(user) or bool(province_ids(user))


def filing_provinces() -> QuerySet[Organization]:
    """Province authorities an assessor can file with."""
    return Organization.objects.filter(kind=Organization.Kind.AUTHORITY, level=PROVINCE, is_active=True).order_by(
        "region_id", "id"
    )


# ------------------------------------------------------------------------------------------------ visibility


def filings_visible_to(user) -> QuerySet[AssessorFiling]:
    base = AssessorFiling.objects.select_related("assessor", "authority", "submitted_by", "decided_by")
    if not user.is_authenticated or not user.is_active:
        return base.none()
    if reads_everything(user):
        return base
    return base.filter(Q(assessor_id__in=assessor_ids(user)) | Q(authority_id__in=province_ids(user)))


def filing_for(user, pk) -> AssessorFiling:
    return get_object_or_404(filings_visible_to(user), pk=pk)


def calls_visible_to(user) -> QuerySet[AnnualReportCall]:
    """A province sees its calls; an assessor the calls of provinces it is (or was) filed with."""
    base = AnnualReportCall.objects.select_related("authority")
    if not user.is_authenticated or not user.is_active:
        return base.none()
    if reads_everything(user):
        return base
    mine = assessor_ids(user)
    filed_with = AssessorFiling.objects.filter(
        assessor_id__in=mine, status__in=[AssessorFiling.Status.APPROVED, AssessorFiling.Status.REVOKED]
    ).values("authority_id")
    reported = AssessorAnnualReport.objects.filter(assessor_id__in=mine).values("call_id")
    return base.filter(Q(authority_id__in=province_ids(user)) | Q(authority_id__in=filed_with) | Q(pk__in=reported))


def call_for(user, pk) -> AnnualReportCall:
    return get_object_or_404(calls_visible_to(user), pk=pk)


def reports_visible_to(user) -> QuerySet[AssessorAnnualReport]:
    base = AssessorAnnualReport.objects.select_related(
        "assessor", "call", "call__authority", "submitted_by", "reviewed_by"
    )
    if not user.is_authenticated or not user.is_active:
        return base.none()
    if reads_everything(user):
        return base
    return base.filter(Q(assessor_id__in=assessor_ids(user)) | Q(call__authority_id__in=province_ids(user)))


def report_for(user, pk) -> AssessorAnnualReport:
    return get_object_or_404(reports_visible_to(user), pk=pk)


def blacklist_visible_to(user) -> QuerySet[AssessorBlacklist]:
    base = AssessorBlacklist.objects.select_related("assessor", "authority", "created_by", "lifted_by")
    if not user.is_authenticated or not user.is_active:
        return base.none()
    if is_registry_reader(user):
        return base
    return base.filter(assessor_id__in=assessor_ids(user))


def blacklist_entry_for(user, pk) -> AssessorBlacklist:
    return get_object_or_404(blacklist_visible_to(user), pk=pk)


def registry_assessors_visible_to(user) -> QuerySet[Organization]:
    """Assessors in the registry as the user may see them.

    A province sees the assessors filed (or filing) with it, those registered in its territory or attached to its
    jurisdiction, those commissioned by applicants under it and those it blacklisted; an assessor sees itself; the
    ministry all of them.
    """
    base = Organization.objects.filter(kind=Organization.Kind.ASSESSOR).select_related("region")
    if not user.is_authenticated or not user.is_active:
        return base.none()
    if reads_everything(user):
        return base
    condition = Q(pk__in=assessor_ids(user))
    provinces = province_ids(user)
    if provinces:
        for prefix in {o.region.prefix for o in _authorities(user, levels=(PROVINCE,))}:
            condition |= Q(region__code__startswith=prefix)
        subtree = authority_subtree_ids(provinces)
        # By reverse relations: organizations does not import the applications app built on it.
        engaged = Organization.objects.filter(
            kind=Organization.Kind.ASSESSOR, engagements__application__applicant__competent_authority_id__in=subtree
        ).values("pk")
        condition |= (
            Q(pk__in=AssessorFiling.objects.filter(authority_id__in=provinces).values("assessor_id"))
            | Q(pk__in=AssessorBlacklist.objects.filter(authority_id__in=provinces).values("assessor_id"))
            | Q(competent_authority_id__in=subtree)
            | Q(pk__in=engaged)
        )
    return base.filter(condition)


def registry_assessor_for(user, pk) -> Organization:
    return get_object_or_404(registry_assessors_visible_to(user), pk=pk)


# ------------------------------------------------------------------------------------------------ reads


def latest_filings(qs: QuerySet[AssessorFiling]) -> QuerySet[AssessorFiling]:
    """Only the latest filing of each assessor with each province (a refiling replaces a rejected one)."""
    latest = AssessorFiling.objects.values("assessor_id", "authority_id").annotate(last=Max("id")).values("last")
    return qs.filter(pk__in=latest)


def active_blacklist(on: date | None = None) -> QuerySet[AssessorBlacklist]:
    """Entries in force on a day: started, not yet at their end date, not lifted by then."""
    on = on or timezone.localdate()
    return AssessorBlacklist.objects.filter(starts_on__lte=on, ends_on__gt=on).filter(
        Q(lifted_on__isnull=True) | Q(lifted_on__gt=on)
    )


def with_registry_state(qs: QuerySet[AssessorFiling], on: date | None = None) -> QuerySet[AssessorFiling]:
    """Each filing with `blacklisted` (in force today, by anyone) and `reported_last_year` (its province's call for
    last year has its report, submitted or accepted), within the list's own query."""
    on = on or timezone.localdate()
    return qs.annotate(
        blacklisted=Exists(active_blacklist(on).filter(assessor_id=OuterRef("assessor_id"))),
        reported_last_year=Exists(
            AssessorAnnualReport.objects.filter(
                assessor_id=OuterRef("assessor_id"),
                call__authority_id=OuterRef("authority_id"),
                call__year=on.year - 1,
                status__in=[AssessorAnnualReport.Status.SUBMITTED, AssessorAnnualReport.Status.ACCEPTED],
            )
        ),
    )


def filter_filings(qs: QuerySet[AssessorFiling], *, q: str = "", status: str = "", province=None):
    """Narrow an already visible queryset; filters never widen what the caller may see."""
    if status:
        qs = qs.filter(status=status)
    if province:
        qs = qs.filter(authority_id=province)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(assessor__name__icontains=q) | Q(assessor__credit_code__icontains=q))
    return qs


@dataclass(frozen=True)
class Check:
    label: str
    ok: bool
    detail: str


def filing_checks(filing: AssessorFiling, on: date | None = None) -> list[Check]:
    """The basic conditions of 002 §三（一）to（五）(numbered as there), checked on what the filing declares (the proofs are for the province)."""
    on = on or (timezone.localtime(filing.submitted_at).date() if filing.submitted_at else timezone.localdate())
    since = on.year - EXPERIENCE_YEARS + 1
    recent = [p for p in filing.experience or [] if int(p.get("year") or 0) >= since]
    legal = filing.registered_in_prc and bool(filing.registration_authority.strip())
    office = bool(filing.office_address.strip()) and filing.has_financial_system
    return [
        Check(
            "（一）境内注册的独立法人",
            legal,
            f"{filing.get_entity_type_display()}，登记机关：{filing.registration_authority or '未填写'}"
            if filing.registered_in_prc
            else "未声明在中华人民共和国境内注册并具有独立法人资格",
        ),
        Check(
            "（二）固定办公场所、健全的财务管理制度",
            office,
            f"{filing.office_address or '未填写办公场所'}；"
            + ("具有财务管理制度" if filing.has_financial_system else "未声明具有健全的财务管理制度"),
        ),
        Check(
            f"（三）中级职称以上专职人员不少于{MIN_MID_LEVEL_STAFF}人",
            filing.staff_mid_level >= MIN_MID_LEVEL_STAFF,
            f"{filing.staff_mid_level}人（专职人员共{filing.staff_full_time}人）",
        ),
        Check(
            f"（三）其中能源、环境、生态、低碳、生命周期评价等专业高级职称人员不少于{MIN_SENIOR_IN_FIELDS}人",
            filing.senior_in_fields >= MIN_SENIOR_IN_FIELDS,
            f"{filing.senior_in_fields}人：{filing.fields_display}（高级职称共{filing.staff_senior}人）",
        ),
        Check(
            f"（五）近{EXPERIENCE_YEARS}年相关工作经历",
            bool(recent),
            f"{since}年以来{len(recent)}项" if recent else f"{since}年以来无相关工作经历",
        ),
    ]


def unmet_conditions(filing: AssessorFiling) -> list[str]:
    return [c.label for c in filing_checks(filing) if not c.ok]


# ------------------------------------------------------------------------------------------------ cap use

# The assessor's cap use is counted by the eligibility engine, the owner of ASSESSOR-CAP's counting; it registers its
# counter here (eligibility/apps.py), as it registers re-evaluation with applications.services.FACT_HOOKS, so this
# app never imports the apps built on it.
CAP_USE_SOURCES: list[Callable] = []


def cap_use_of(assessor: Organization):
    """The assessor's live projects per notice round and year against the cap in force, or None when no counter
    is registered."""
    for source in CAP_USE_SOURCES:
        return source(assessor)
    return None
