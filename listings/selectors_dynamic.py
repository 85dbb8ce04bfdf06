"""Reads of dynamic management (动态管理): who sees which round, report, re-check and removal; the units a round
asks to file and their state; a unit's own rounds; the previous report a submission is compared with.

Visibility (one function per object type, used by pages, exports and the API; not visible → 404):
- a listed unit (enterprise/park member) sees its own reports and re-checks and the removals decided about it;
- an authority sees those of the entries in its jurisdiction (listings.selectors.jurisdiction_q), and the rounds
  it, an authority above it or one below it opened;
- the ministry and superusers see everything; departments, assessors and experts nothing.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Case, Count, F, FilteredRelation, IntegerField, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404
from django.utils import timezone

from organizations.models import Membership, Organization, Region
from organizations.selectors import authority_ancestor_ids, authority_subtree_ids, memberships_of

from .models import DynamicReport, DynamicRound, Listing, Recheck, Removal
from .selectors import jurisdiction_q, listings_visible_to

ROUND_LEVELS = (Organization.Level.CITY, Organization.Level.PROVINCE, Organization.Level.MINISTRY)
DECIDING_ROLES = (Membership.Role.APPROVER, Membership.Role.ADMIN)
FILED = (DynamicReport.Status.SUBMITTED, DynamicReport.Status.RETURNED, DynamicReport.Status.ACCEPTED)

# The state of a unit in a round, as the round page shows and filters it.
ROW_STATUS = {
    "none": "未填报",
    "draft": "填报中（未提交）",
    "submitted": "已提交，待审核",
    "returned": "退回修改",
    "accepted": "审核通过",
}
STATUS_FILTERS = [
    ("", "全部"),
    ("not_filed", "未提交（含未填报、填报中）"),
    ("overdue", "逾期未填报"),
    ("submitted", "已提交，待审核"),
    ("returned", "退回修改"),
    ("accepted", "审核通过"),
    ("late", "逾期提交"),
]


@dataclass
class Viewer:
    """What a user acts as, for the visibility rules: everything, authorities, units."""

    everything: bool = False
    authorities: list[Organization] = field(default_factory=list)
    units: list[int] = field(default_factory=list)

    @property
    def nothing(self) -> bool:
        return not (self.everything or self.authorities or self.units)


def viewer(user) -> Viewer:
    if not user.is_authenticated or not user.is_active:
        return Viewer()
    if user.is_superuser:
        return Viewer(everything=True)
    memberships = memberships_of(user)
    authorities = [m.organization for m in memberships if m.organization.kind == Organization.Kind.AUTHORITY]
    if any(a.level == Organization.Level.MINISTRY for a in authorities):
        return Viewer(everything=True)
    units = [m.organization_id for m in memberships if m.organization.is_applicant]
    return Viewer(authorities=authorities, units=units)


def _jurisdiction_listings(authorities) -> QuerySet[Listing]:
    return Listing.objects.filter(jurisdiction_q(authorities)).values("pk")


def deciding_memberships(user) -> list[Organization]:
    """Authorities the user acts for as approver or admin."""
    return [
        m.organization
        for m in memberships_of(user)
        if m.organization.kind == Organization.Kind.AUTHORITY and m.role in DECIDING_ROLES
    ]


# ---------------------------------------------------------------------------------------------------------- rounds


def round_scope(round_: DynamicRound) -> QuerySet[Listing]:
    """The entries a round asks to file: entries in effect of any level, listed in the round's year or before, in
    the jurisdiction of the round's authority; and any entry that already has a report in the round."""
    in_scope = Q(status=Listing.Status.ACTIVE, year__lte=round_.year)
    if round_.authority.level != Organization.Level.MINISTRY:
        in_scope &= jurisdiction_q([round_.authority])
    has_report = Q(pk__in=DynamicReport.objects.filter(round=round_).values("listing_id"))
    return Listing.objects.filter(in_scope | has_report)


def dynamic_rounds_visible_to(user) -> QuerySet[DynamicRound]:
    base = DynamicRound.objects.select_related("authority", "created_by")
    who = viewer(user)
    if who.everything:
        return base
    if who.nothing:
        return base.none()
    ids: set[int] = set()
    if who.authorities:
        related = set(authority_subtree_ids(a.pk for a in who.authorities))
        for a in who.authorities:
            related.update(authority_ancestor_ids(a.pk))
        ids.update(DynamicRound.objects.filter(authority_id__in=related).values_list("pk", flat=True))
    for org in Organization.objects.filter(pk__in=who.units):
        ids.update(row.round.pk for row in unit_rounds(org))
    return base.filter(pk__in=ids)


def round_for(user, pk) -> DynamicRound:
    return get_object_or_404(dynamic_rounds_visible_to(user), pk=pk)


def sees_whole_round(user, round_: DynamicRound) -> bool:
    """The round's authority, those above it and the ministry see every unit of the round; an authority below it
    only the units of its own jurisdiction."""
    who = viewer(user)
    if who.everything:
        return True
    chain = set(authority_ancestor_ids(round_.authority_id))
    return any(a.pk in chain for a in who.authorities)


def with_round_report(qs: QuerySet[Listing], round_: DynamicRound) -> QuerySet[Listing]:
    """Each entry with its report of the round (if any) in the same query."""
    return qs.annotate(rep=FilteredRelation("dynamic_reports", condition=Q(dynamic_reports__round=round_))).annotate(
        report_id=F("rep__id"),
        report_status=F("rep__status"),
        report_submitted_at=F("rep__submitted_at"),
        report_late=F("rep__late"),
        report_flags=F("rep__flags"),
        report_reviewed_at=F("rep__reviewed_at"),
    )


def round_rows(round_: DynamicRound, user, *, with_values: bool = False) -> QuerySet[Listing]:
    """The units of a round the user may see, each with its report's state (and, for exports, its values)."""
    qs = round_scope(round_)
    if not sees_whole_round(user, round_):
        qs = qs.filter(pk__in=listings_visible_to(user).values("pk"))
    qs = with_round_report(qs, round_).select_related("organization__region", "authority")
    if with_values:
        qs = qs.annotate(
            report_indicators=F("rep__indicators"),
            report_changes=F("rep__changes"),
            report_note=F("rep__note"),
            report_opinion=F("rep__review_opinion"),
        )
    return qs.order_by("organization__name", "category", "level", "id")


def flagged_listing_ids(round_: DynamicRound):
    return DynamicReport.objects.filter(round=round_).exclude(flags=[]).values("listing_id")


def filter_round_rows(qs, round_: DynamicRound, params, *, now: datetime | None = None):
    """Filters of the round page and its export: status, category, level, city (region code), flagged, search."""
    now = now or timezone.now()
    status = (params.get("status") or "").strip()
    not_filed = Q(rep__id__isnull=True) | Q(rep__status=DynamicReport.Status.DRAFT)
    if status == "not_filed":
        qs = qs.filter(not_filed)
    elif status == "overdue":
        qs = qs.filter(not_filed) if now > round_.due_at else qs.none()
    elif status == "late":
        qs = qs.filter(rep__late=True)
    elif status in FILED:
        qs = qs.filter(rep__status=status)
    category = (params.get("category") or "").strip()
    if category in dict(Listing._meta.get_field("category").choices):
        qs = qs.filter(category=category)
    level = (params.get("level") or "").strip()
    if level in Listing.Level.values:
        qs = qs.filter(level=level)
    city = (params.get("city") or "").strip()
    if city.isdigit() and len(city) == 6:
        qs = qs.filter(organization__region__code__startswith=city[:4])
    flagged = str(params.get("flagged") or "").strip().lower()
    if flagged in ("1", "true", "yes", "on"):
        qs = qs.filter(pk__in=flagged_listing_ids(round_))
    q = (params.get("q") or "").strip()
    if q:
        qs = qs.filter(
            Q(name__icontains=q)
            | Q(current_name__icontains=q)
            | Q(organization__name__icontains=q)
            | Q(credit_code__iexact=q.upper())
        )
    return qs


def round_counts(rows: QuerySet[Listing], round_: DynamicRound, *, now: datetime | None = None) -> dict:
    """Counts of the round's units by state, in one query."""
    now = now or timezone.now()
    none = Q(rep__id__isnull=True)
    draft = Q(rep__status=DynamicReport.Status.DRAFT)
    counts = rows.order_by().aggregate(
        total=Count("pk"),
        none=Count("pk", filter=none),
        draft=Count("pk", filter=draft),
        submitted=Count("pk", filter=Q(rep__status=DynamicReport.Status.SUBMITTED)),
        returned=Count("pk", filter=Q(rep__status=DynamicReport.Status.RETURNED)),
        accepted=Count("pk", filter=Q(rep__status=DynamicReport.Status.ACCEPTED)),
        late=Count("pk", filter=Q(rep__late=True)),
        flagged=Count("pk", filter=Q(pk__in=flagged_listing_ids(round_))),
    )
    counts["not_filed"] = counts["none"] + counts["draft"]
    counts["overdue"] = counts["not_filed"] if now > round_.due_at else 0
    counts["filed"] = counts["submitted"] + counts["returned"] + counts["accepted"]
    return counts


def round_cities(rows: QuerySet[Listing]) -> list[Region]:
    """The cities the round's units lie in, for the filter (two queries)."""
    codes = rows.order_by().values_list("organization__region_id", flat=True).distinct()
    prefixes = {code[:4] for code in codes if code}
    return list(Region.objects.filter(level=Region.Level.CITY, code__in=[f"{p}00" for p in prefixes]).order_by("code"))


def row_status(listing) -> str:
    return listing.report_status or "none"


def with_report_counts(qs: QuerySet[DynamicRound]) -> QuerySet[DynamicRound]:
    """Round list rows with their reports counted by state, in the list's own query."""
    return qs.annotate(
        n_submitted=Count("reports", filter=Q(reports__status=DynamicReport.Status.SUBMITTED)),
        n_returned=Count("reports", filter=Q(reports__status=DynamicReport.Status.RETURNED)),
        n_accepted=Count("reports", filter=Q(reports__status=DynamicReport.Status.ACCEPTED)),
        n_late=Count("reports", filter=Q(reports__late=True)),
    )


# ------------------------------------------------------------------------------------------------------- the unit


@dataclass
class UnitRow:
    round: DynamicRound
    listing: Listing
    report: DynamicReport | None


def unit_rounds(org: Organization) -> list[UnitRow]:
    """A listed unit's rounds: every (round, entry) it must file or has filed, newest round first.

    A round asks an entry when the entry is in the round's scope (round_scope); the candidate rounds are those of
    the authorities whose jurisdiction can hold the unit: above its competent authority, above the authority that
    decided the entry, and, for a unit without a competent authority, those of its region."""
    listings = list(Listing.objects.filter(organization=org).select_related("authority").order_by("category", "id"))
    if not listings:
        return []
    reports = {
        (r.round_id, r.listing_id): r
        for r in DynamicReport.objects.filter(listing__organization=org).select_related("submitted_by")
    }
    candidates: set[int] = set()
    for start in {org.competent_authority_id, *(listing.authority_id for listing in listings)}:
        candidates.update(authority_ancestor_ids(start))
    if org.competent_authority_id is None and org.region_id:
        code = org.region_id
        regional = Organization.objects.filter(
            kind=Organization.Kind.AUTHORITY, region_id__in=[f"{code[:2]}0000", f"{code[:4]}00", code]
        ).values_list("pk", flat=True)
        candidates.update(regional)
    rounds = list(
        DynamicRound.objects.filter(Q(authority_id__in=candidates) | Q(pk__in={k[0] for k in reports}))
        .select_related("authority")
        .order_by("-year", "-due_at", "id")
    )
    ids = [listing.pk for listing in listings]
    in_scope: dict[int, set[int]] = {}
    for authority in {r.authority for r in rounds}:
        if authority.level == Organization.Level.MINISTRY:
            in_scope[authority.pk] = set(ids)
        else:
            in_scope[authority.pk] = set(
                Listing.objects.filter(jurisdiction_q([authority]), pk__in=ids).values_list("pk", flat=True)
            )
    rows = []
    for round_ in rounds:
        for listing in listings:
            report = reports.get((round_.pk, listing.pk))
            asked = (
                listing.status == Listing.Status.ACTIVE
                and listing.year <= round_.year
                and listing.pk in in_scope[round_.authority_id]
            )
            if report is not None or asked:
                rows.append(UnitRow(round=round_, listing=listing, report=report))
    return rows


def listing_in_round(listing: Listing, round_: DynamicRound) -> bool:
    return round_scope(round_).filter(pk=listing.pk).exists()


# --------------------------------------------------------------------------------------------------------- reports


def dynamic_reports_visible_to(user) -> QuerySet[DynamicReport]:
    """The one visibility rule for 动态管理表."""
    base = DynamicReport.objects.select_related(
        "round__authority", "listing__organization__region", "listing__authority", "submitted_by", "reviewed_by"
    )
    who = viewer(user)
    if who.everything:
        return base
    if who.nothing:
        return base.none()
    condition = Q(pk__in=[])
    if who.units:
        condition |= Q(listing__organization_id__in=who.units)
    if who.authorities:
        subtree = authority_subtree_ids(a.pk for a in who.authorities)
        condition |= Q(listing_id__in=_jurisdiction_listings(who.authorities)) | Q(round__authority_id__in=subtree)
    return base.filter(condition)


def report_for(user, pk) -> DynamicReport:
    return get_object_or_404(dynamic_reports_visible_to(user), pk=pk)


def filter_reports(qs: QuerySet[DynamicReport], params) -> QuerySet[DynamicReport]:
    """API filters: round, status, year (the round's data year), flagged, category."""
    round_id = str(params.get("round") or "").strip()
    if round_id.isdigit():
        qs = qs.filter(round_id=int(round_id))
    status = (params.get("status") or "").strip()
    if status in DynamicReport.Status.values:
        qs = qs.filter(status=status)
    year = str(params.get("year") or "").strip()
    if year.isdigit():
        qs = qs.filter(round__year=int(year))
    flagged = str(params.get("flagged") or "").strip().lower()
    if flagged in ("1", "true", "yes"):
        qs = qs.exclude(flags=[])
    elif flagged in ("0", "false", "no"):
        qs = qs.filter(flags=[])
    category = (params.get("category") or "").strip()
    if category:
        qs = qs.filter(listing__category=category)
    return qs


def previous_report(report: DynamicReport) -> DynamicReport | None:
    """The same entry's report of the latest earlier year that was accepted or, failing that, submitted."""
    return (
        DynamicReport.objects.filter(
            listing_id=report.listing_id,
            round__year__lt=report.round.year,
            status__in=[DynamicReport.Status.ACCEPTED, DynamicReport.Status.SUBMITTED],
        )
        .select_related("round")
        .annotate(
            preference=Case(
                When(status=DynamicReport.Status.ACCEPTED, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("-round__year", "preference", "-submitted_at", "-id")
        .first()
    )


# ------------------------------------------------------------------------------------------- re-checks and removals


def rechecks_visible_to(user) -> QuerySet[Recheck]:
    base = Recheck.objects.select_related(
        "listing__organization", "listing__authority", "authority", "report__round", "decided_by", "recorded_by"
    )
    who = viewer(user)
    if who.everything:
        return base
    if who.nothing:
        return base.none()
    condition = Q(pk__in=[])
    if who.units:
        condition |= Q(listing__organization_id__in=who.units)
    if who.authorities:
        subtree = authority_subtree_ids(a.pk for a in who.authorities)
        condition |= Q(listing_id__in=_jurisdiction_listings(who.authorities)) | Q(authority_id__in=subtree)
    return base.filter(condition)


def recheck_for(user, pk) -> Recheck:
    return get_object_or_404(rechecks_visible_to(user), pk=pk)


def removals_visible_to(user) -> QuerySet[Removal]:
    """Authorities see the proposals about entries of their jurisdiction and those they made or must decide; the
    unit sees a removal once it is decided (a proposal is between authorities)."""
    base = Removal.objects.select_related(
        "listing__organization",
        "listing__authority",
        "proposed_by_authority",
        "deciding_authority",
        "proposed_by",
        "decided_by",
        "report__round",
        "recheck",
    )
    who = viewer(user)
    if who.everything:
        return base
    if who.nothing:
        return base.none()
    condition = Q(pk__in=[])
    if who.units:
        condition |= Q(listing__organization_id__in=who.units, status=Removal.Status.DECIDED)
    if who.authorities:
        subtree = authority_subtree_ids(a.pk for a in who.authorities)
        condition |= (
            Q(listing_id__in=_jurisdiction_listings(who.authorities))
            | Q(proposed_by_authority_id__in=subtree)
            | Q(deciding_authority_id__in=subtree)
        )
    return base.filter(condition)


def removal_for(user, pk) -> Removal:
    return get_object_or_404(removals_visible_to(user), pk=pk)


def filter_rechecks(qs: QuerySet[Recheck], params) -> QuerySet[Recheck]:
    conclusion = (params.get("conclusion") or "").strip()
    if conclusion in Recheck.Conclusion.values:
        qs = qs.filter(conclusion=conclusion)
    q = (params.get("q") or "").strip()
    if q:
        qs = qs.filter(
            Q(listing__name__icontains=q)
            | Q(listing__current_name__icontains=q)
            | Q(listing__credit_code__iexact=q.upper())
        )
    return qs


def filter_removals(qs: QuerySet[Removal], params, *, deciding_ids=()) -> QuerySet[Removal]:
    status = (params.get("status") or "").strip()
    if status == "to_decide":
        qs = qs.filter(status=Removal.Status.PROPOSED, deciding_authority_id__in=list(deciding_ids))
    elif status in Removal.Status.values:
        qs = qs.filter(status=status)
    q = (params.get("q") or "").strip()
    if q:
        qs = qs.filter(
            Q(listing__name__icontains=q)
            | Q(listing__current_name__icontains=q)
            | Q(listing__credit_code__iexact=q.upper())
        )
    return qs


@dataclass
class ListingDynamic:
    reports: list[DynamicReport]
    rechecks: list[Recheck]
    removals: list[Removal]


def listing_dynamic(listing: Listing, user) -> ListingDynamic:
    """An entry's reports, re-checks and removals as the user may see them (three queries)."""
    return ListingDynamic(
        reports=list(dynamic_reports_visible_to(user).filter(listing=listing).order_by("-round__year", "-id")),
        rechecks=list(rechecks_visible_to(user).filter(listing=listing).order_by("-created_at", "-id")),
        removals=list(removals_visible_to(user).filter(listing=listing).order_by("-proposed_at", "-id")),
    )
