"""Reads of expert review: who sees which panel and assignment, the conflicts of interest (回避) of experts with
applications, the applications a panel may assign, and the ranking table of a panel with its aggregate.

Panels: the members of the authority that runs them (and superusers). Assignments: the expert's own, and the
members of the panel's authority. Not visible means 404 in pages and API alike.
"""

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Count, JSONField, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.shortcuts import get_object_or_404
from django.utils import timezone

from applications.models import Application, Engagement, State
from eligibility.catalogue import PASS, PRIORITY
from eligibility.models import Evaluation
from notices.models import Quota
from notices.selectors import notice_family_ids
from organizations.models import ExpertAffiliation, ExpertProfile, Membership, Organization
from organizations.selectors import acting_org_ids

from ..models import Assignment, ExpertConflict, Panel, Referral

CENT = Decimal("0.01")


def panels_visible_to(user) -> QuerySet[Panel]:
    base = Panel.objects.select_related("authority", "notice", "notice__issuer")
    if not user.is_authenticated or not user.is_active:
        return base.none()
    if user.is_superuser:
        return base
    return base.filter(authority_id__in=acting_org_ids(user))


def panel_for(user, pk) -> Panel:
    return get_object_or_404(panels_visible_to(user), pk=pk)


def panel_list(user) -> QuerySet[Panel]:
    """Panels with their counts, for list pages and the API (one query)."""
    return panels_visible_to(user).annotate(
        expert_count=Count("experts", distinct=True),
        assignment_count=Count("assignments", distinct=True),
        submitted_count=Count("assignments", filter=Q(assignments__status=Assignment.Status.SUBMITTED), distinct=True),
    )


def assignments_visible_to(user) -> QuerySet[Assignment]:
    base = Assignment.objects.select_related(
        "panel", "panel__authority", "expert", "expert__user", "application", "application__applicant"
    )
    if not user.is_authenticated or not user.is_active:
        return base.none()
    if user.is_superuser:
        return base
    return base.filter(Q(expert__user=user) | Q(panel__authority_id__in=acting_org_ids(user)))


def my_assignments(user) -> QuerySet[Assignment]:
    """The expert's own assignments (the expert side of the pages)."""
    return assignments_visible_to(user).filter(expert__user=user).select_related("application__applicant__region")


def assignment_for(user, pk) -> Assignment:
    return get_object_or_404(assignments_visible_to(user), pk=pk)


# ---------------------------------------------------------------------------------------------------- conflicts


class ConflictIndex:
    """Everything the conflict rules read, for some experts and some applications, in five queries."""

    def __init__(self, experts, applications):
        experts = list(experts)
        applications = list(applications)
        expert_ids = [e.pk for e in experts]
        app_ids = [a.pk for a in applications]
        self.assessors: dict[int, list[Organization]] = defaultdict(list)
        for engagement in Engagement.objects.filter(
            application_id__in=app_ids, status__in=[Engagement.Status.PENDING, Engagement.Status.ACCEPTED]
        ).select_related("assessor"):
            self.assessors[engagement.application_id].append(engagement.assessor)
        self.member_of: dict[int, set[int]] = defaultdict(set)
        for user_id, org_id in Membership.objects.filter(
            user_id__in=[e.user_id for e in experts], is_active=True
        ).values_list("user_id", "organization_id"):
            self.member_of[user_id].add(org_id)
        today = timezone.localdate()
        self.affiliations: dict[int, list[ExpertAffiliation]] = defaultdict(list)
        for aff in ExpertAffiliation.objects.filter(expert_id__in=expert_ids).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=today)
        ):
            if aff.start_date is None or aff.start_date <= today:
                self.affiliations[aff.expert_id].append(aff)
        self.declared: dict[int, dict[int, str]] = defaultdict(dict)
        for conflict in ExpertConflict.objects.filter(expert_id__in=expert_ids):
            self.declared[conflict.expert_id][conflict.organization_id] = conflict.reason

    def reasons(self, expert: ExpertProfile, application: Application) -> list[str]:
        parties = [("申报单位", application.applicant)] + [
            ("评价机构", assessor) for assessor in self.assessors.get(application.pk, [])
        ]
        reasons = []
        for role, org in parties:
            if org.pk in self.member_of.get(expert.user_id, ()):
                reasons.append(f"专家是{role}“{org.name}”的成员。")
            for aff in self.affiliations.get(expert.pk, ()):
                same_org = aff.organization_id is not None and aff.organization_id == org.pk
                same_code = bool(aff.credit_code) and aff.credit_code.upper() == (org.credit_code or "").upper()
                if same_org or same_code:
                    reasons.append(f"专家与{role}“{org.name}”存在关联（{aff.get_relation_display()}）。")
            declared = self.declared.get(expert.pk, {}).get(org.pk)
            if declared is not None:
                reasons.append(f"专家已声明回避{role}“{org.name}”：{declared}")
        return reasons


def conflicts(expert: ExpertProfile, application: Application) -> list[str]:
    """Why this expert may not review this application, in Chinese (empty: no conflict)."""
    return ConflictIndex([expert], [application]).reasons(expert, application)


def candidate_applications(panel: Panel):
    """Applications the panel may assign: held by its authority under review, same category and notice family."""
    family = notice_family_ids(panel.notice)
    return (
        Application.objects.filter(
            holder_id=panel.authority_id, state=State.UNDER_REVIEW, category=panel.category, notice_id__in=family
        )
        .select_related("applicant", "applicant__region")
        .order_by("id")
    )


def aggregate(totals, method: str) -> Decimal | None:
    """mean; median; trimmed: drop one highest and one lowest when there are three or more (else the mean)."""
    values = sorted(Decimal(t) for t in totals if t is not None)
    if not values:
        return None
    if method == Panel.Aggregate.MEDIAN:
        result = statistics.median(values)
    else:
        if method == Panel.Aggregate.TRIMMED and len(values) >= 3:
            values = values[1:-1]
        result = sum(values, Decimal(0)) / len(values)
    result = Decimal(result)
    return result.quantize(CENT, rounding=ROUND_HALF_UP)


# ------------------------------------------------------------------------------------------------------ ranking


@dataclass
class RankingRow:
    application: Application
    totals: list[Decimal] = field(default_factory=list)
    expected: int = 0
    assigned: int = 0
    score: Decimal | None = None
    badges: list[dict] = field(default_factory=list)
    rank: int | None = None
    within_quota: bool = False

    @property
    def applicant(self):
        return self.application.applicant

    @property
    def region(self):
        return self.application.applicant.region

    @property
    def scored(self) -> int:
        return len(self.totals)

    @property
    def badge_labels(self) -> list[str]:
        return [b["label"] for b in self.badges]


@dataclass
class Ranking:
    panel: Panel
    rows: list[RankingRow]
    quota: int | None


def panel_applications(panel: Panel, family: list[int] | None = None) -> QuerySet[Application]:
    """Every application of the panel's category and notice family that reached the panel's authority."""
    if family is None:
        family = notice_family_ids(panel.notice)
    return (
        Application.objects.filter(
            category=panel.category,
            notice_id__in=family,
            # The referrals alone: joined back to applications, PostgreSQL scanned every application.
            pk__in=Referral.objects.filter(authority_id=panel.authority_id).values("application_id"),
        )
        .select_related("applicant", "applicant__region", "holder")
        .order_by("id")
    )


def _badges(findings) -> list[dict]:
    from ..views import PRIORITY_BADGES

    return [
        {"rule": f["rule"], "label": PRIORITY_BADGES.get(f["rule"], f.get("title", f["rule"])), "title": f.get("title")}
        for f in findings or ()
        if f.get("kind") == PRIORITY and f.get("outcome") == PASS
    ]


def _priority_findings(evaluation_ids) -> dict:
    """Each evaluation's findings as far as the badges need them. On PostgreSQL only the passed priority findings
    leave the database: the whole list is ~9 KB of JSON per row, and decoding it was most of a large panel's time."""
    qs = Evaluation.objects.filter(pk__in=evaluation_ids)
    if connection.vendor != "postgresql":
        return dict(qs.values_list("pk", "findings"))
    path = f'$[*] ? (@.kind == "{PRIORITY}" && @.outcome == "{PASS}")'
    passed = RawSQL("jsonb_path_query_array(findings, %s::jsonpath)", (path,), output_field=JSONField())
    return dict(qs.annotate(passed=passed).values_list("pk", "passed"))


# What the ranking page and API show of each row; the rest of an application (its `data` above all) stays in the
# database, as loading it was most of a large panel's time.
RANKING_FIELDS = (
    "id",
    "state",
    "category",
    "holder_id",
    "holder__name",
    "applicant__name",
    "applicant__credit_code",
    "applicant__region__name",
)


def ranking(panel: Panel, applications: QuerySet[Application] | None = None) -> Ranking:
    """Rows ordered by aggregate score (unscored last), then by priority badges, then by applicant; the first
    `quota` ranked rows are within the authority's quota for the category. A fixed number of queries, whatever the
    rows.

    `applications` is panel_applications(panel) loaded as the caller needs it (a document's builder wants whole
    rows); by default only RANKING_FIELDS."""
    family = notice_family_ids(panel.notice)
    if applications is None:
        applications = panel_applications(panel, family).only(*RANKING_FIELDS)
    latest = Evaluation.objects.filter(application=OuterRef("pk")).order_by("-created_at", "-id").values("pk")[:1]
    applications = list(applications.annotate(latest_evaluation_id=Subquery(latest)))
    evaluation_ids = [a.latest_evaluation_id for a in applications if a.latest_evaluation_id]
    findings = _priority_findings(evaluation_ids)
    assigned: dict[int, int] = defaultdict(int)
    totals: dict[int, list[Decimal]] = defaultdict(list)
    for app_id, status, total in Assignment.objects.filter(
        panel=panel, application_id__in=[a.pk for a in applications]
    ).values_list("application_id", "status", "total"):
        if status != Assignment.Status.DECLINED:
            assigned[app_id] += 1
        if status == Assignment.Status.SUBMITTED and total is not None:
            totals[app_id].append(total)
    rows = [
        RankingRow(
            application=a,
            totals=sorted(totals[a.pk], reverse=True),
            expected=panel.experts_per_application,
            assigned=assigned[a.pk],
            score=aggregate(totals[a.pk], panel.aggregate),
            badges=_badges(findings.get(a.latest_evaluation_id)),
        )
        for a in applications
    ]
    rows.sort(key=lambda r: (r.score is None, -(r.score or 0), -len(r.badges), r.applicant.name, r.application.pk))
    quota = (
        Quota.objects.filter(
            notice_category__notice_id__in=family,
            notice_category__category=panel.category,
            authority_id=panel.authority_id,
        )
        .order_by("-notice_category__notice__year", "-id")
        .values_list("limit", flat=True)
        .first()
    )
    position = 0
    for row in rows:
        if row.score is None:
            continue
        position += 1
        row.rank = position
        row.within_quota = quota is not None and position <= quota
    return Ranking(panel=panel, rows=rows, quota=quota)
