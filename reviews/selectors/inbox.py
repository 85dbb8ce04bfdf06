"""Reads of the authority inbox (待办) and of the application page's trail (办理经过).

The inbox narrows applications_visible_to(user): it never widens what the user may see. Every column comes from
the list's own query (annotations and joins), so a page of 25 rows costs the same queries as a page of one.
"""

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from activity.models import VERB_LABELS, AuditEvent
from applications.models import Application, Engagement, State
from applications.selectors import applications_visible_to
from eligibility.models import Evaluation
from notices.models import Notice
from notices.selectors import notice_family_ids
from organizations.models import Organization
from organizations.selectors import authority_ancestor_ids, authority_subtree_ids, memberships_of

from ..models import Assignment, ConsultationReply, Referral
from ..workflow import BY_ACTION

TAB_PENDING = "pending"
TAB_RECOMMENDED = "recommended"
TAB_DONE = "done"
TABS = {
    TAB_PENDING: "待审核",
    TAB_RECOMMENDED: "已推荐待报送",
    TAB_DONE: "本单位已处理",
}
HELD_STATES = {TAB_PENDING: State.UNDER_REVIEW, TAB_RECOMMENDED: State.RECOMMENDED}
SORTS = {
    "-submitted": ("-submitted_at", "-id"),
    "submitted": ("submitted_at", "id"),
    "name": ("applicant__name", "id"),
    # Not yet evaluated last, then passing, then blocked: the ones to look at first are on top when reversed.
    "eligibility": ("eligibility_blocked", "applicant__name", "id"),
    "-eligibility": ("-eligibility_blocked", "applicant__name", "id"),
}
SORT_LABELS = {
    "-submitted": "提交时间（新→旧）",
    "submitted": "提交时间（旧→新）",
    "name": "申报单位名称",
    "-eligibility": "资格（不通过在前）",
    "eligibility": "资格（通过在前）",
}
ELIGIBILITY_CHOICES = {"pass": "资格：通过", "fail": "资格：不通过", "none": "未审查"}


def inbox_authority(request) -> Organization | None:
    """The authority the user acts for, or None (the inbox is for authorities only: everyone else gets a 404)."""
    org = request.acting.organization
    if org is None or org.kind != Organization.Kind.AUTHORITY:
        return None
    return org


def _count(queryset) -> Subquery:
    return Coalesce(
        Subquery(
            queryset.order_by().values("application_id").annotate(n=Count("pk")).values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def _tab_rows(visible: QuerySet[Application], authority: Organization, tab: str) -> QuerySet[Application]:
    """The applications of one tab. Held tabs go through the holder index; the done tab is a semi-join from the
    authority's decided referrals (an EXISTS or an OR across tabs made PostgreSQL scan every visible application)."""
    if tab in HELD_STATES:
        return visible.filter(holder=authority, state=HELD_STATES[tab])
    decided = Referral.objects.filter(authority=authority).exclude(decision="").values("application_id")
    return visible.filter(pk__in=decided).exclude(holder=authority, state__in=list(HELD_STATES.values()))


def inbox_applications(user, authority: Organization, tab: str = TAB_PENDING) -> QuerySet[Application]:
    """One tab of the authority's inbox, with every column annotated."""
    qs = _tab_rows(applications_visible_to(user), authority, tab)
    replies = ConsultationReply.objects.filter(application=OuterRef("pk"), consultation__authority=authority)
    active = Engagement.objects.filter(application=OuterRef("pk"), status=Engagement.Status.ACCEPTED).order_by(
        "-requested_at", "-id"
    )
    last_decision = (
        Referral.objects.filter(application=OuterRef("pk"), authority=authority)
        .exclude(decision="")
        .order_by("-decided_at", "-id")
    )
    return qs.select_related("applicant__competent_authority", "applicant__region").annotate(
        eligibility_blocked=Subquery(
            Evaluation.objects.filter(application=OuterRef("pk")).order_by("-created_at", "-id").values("blocked")[:1]
        ),
        assessor_name=Subquery(active.values("assessor__name")[:1]),
        replies_total=_count(replies),
        replies_answered=_count(replies.exclude(opinion=ConsultationReply.Opinion.PENDING)),
        replies_objections=_count(replies.filter(opinion=ConsultationReply.Opinion.OBJECTION)),
        replies_waived=_count(replies.filter(opinion=ConsultationReply.Opinion.PENDING, waived_at__isnull=False)),
        my_decision=Subquery(last_decision.values("decision")[:1]),
        my_decided_at=Subquery(last_decision.values("decided_at")[:1]),
    )


def inbox_filter(qs: QuerySet[Application], params: dict) -> QuerySet[Application]:
    """Apply the cleaned filters (see views_inbox.InboxFilterForm); each one only narrows."""
    q = (params.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(applicant__name__icontains=q) | Q(applicant__credit_code__icontains=q))
    if params.get("notice"):
        qs = qs.filter(notice_id__in=notice_family_ids(params["notice"]))
    if params.get("category"):
        qs = qs.filter(category=params["category"])
    if params.get("county"):
        qs = qs.filter(applicant__competent_authority_id__in=authority_subtree_ids([params["county"].pk]))
    if params.get("state"):
        qs = qs.filter(state=params["state"])
    outcome = params.get("eligibility")
    if outcome == "pass":
        qs = qs.filter(eligibility_blocked=False)
    elif outcome == "fail":
        qs = qs.filter(eligibility_blocked=True)
    elif outcome == "none":
        qs = qs.filter(eligibility_blocked__isnull=True)
    if params.get("assessor"):
        qs = qs.filter(
            Exists(
                Engagement.objects.filter(
                    application=OuterRef("pk"), assessor=params["assessor"], status=Engagement.Status.ACCEPTED
                )
            )
        )
    return qs.order_by(*SORTS.get(params.get("sort") or "-submitted", SORTS["-submitted"]))


def inbox_notices(user, authority: Organization) -> QuerySet[Notice]:
    """Notices an authority files applications under: its own and those of the authorities above it."""
    return (
        Notice.objects.filter(issuer_id__in=authority_ancestor_ids(authority.pk))
        .exclude(status=Notice.Status.DRAFT)
        .select_related("issuer")
        .order_by("-year", "-id")
    )


def inbox_counties(authority: Organization) -> QuerySet[Organization]:
    """The acting authority and those up to two levels under it (a county's own filter has only itself).
    Deeper ones are left out: the ministry's list would hold every county of the country, and a selected
    city already narrows to its counties."""
    return (
        Organization.objects.filter(pk__in=authority_subtree_ids([authority.pk], depth=2))
        .select_related("region")
        .order_by("region__code", "id")
    )


def inbox_assessors(user, authority: Organization) -> QuerySet[Organization]:
    """Assessors with an accepted engagement on an application of this inbox (any tab)."""
    pool = applications_visible_to(user).filter(Q(holder=authority) | Q(referrals__authority=authority))
    return (
        Organization.objects.filter(
            kind=Organization.Kind.ASSESSOR,
            engagements__status=Engagement.Status.ACCEPTED,
            engagements__application__in=pool.values("pk"),
        )
        .distinct()
        .order_by("name")
    )


def inbox_counts(user, authority: Organization) -> dict[str, int]:
    """How many applications each tab holds: a small count per tab, each index-driven (see _tab_rows)."""
    visible = applications_visible_to(user)
    return {tab: _tab_rows(visible, authority, tab).order_by().count() for tab in TABS}


# ---------------------------------------------------------------------------------------------------- the trail


@dataclass
class Level:
    referral: Referral | None
    events: list = field(default_factory=list)
    show_opinion: bool = True


def _viewer_authorities(user, application: Application, referrals) -> set[int] | None:
    """Authorities through which the user reviews this application (None: a superuser, who sees everything)."""
    if user.is_superuser:
        return None
    reached = {r.authority_id for r in referrals} | {application.holder_id}
    return {
        m.organization_id
        for m in memberships_of(user)
        if m.organization_id in reached and m.organization.kind == Organization.Kind.AUTHORITY
    }


def is_insider(user, application: Application, referrals) -> bool:
    reviewers = _viewer_authorities(user, application, referrals)
    return reviewers is None or bool(reviewers)


def addressed_to_applicant(decision_or_action: str) -> bool:
    """The applicant is told the opinions of the decisions it is notified of (推荐、退回修改、不予推荐、名单决定);
    the opinions exchanged between authorities (退回下级、撤销推荐) stay among them."""
    action = {"withdrawn": "withdraw"}.get(decision_or_action, decision_or_action)
    transition = BY_ACTION.get(action)
    return transition is None or transition.notify_applicant or transition.actor == "applicant"


def _event_level(event, referrals: list[Referral]) -> int | None:
    """Index of the referral an audit event belongs to: the latest one of the acting organization begun before it,
    else (the applicant's submit, resubmit, withdraw) the latest one begun before it; None before the first."""
    before = [i for i, r in enumerate(referrals) if r.received_at <= event.created_at]
    own = [i for i in before if referrals[i].authority_id == event.organization_id]
    if own:
        return own[-1]
    return before[-1] if before else None


INTERNAL_VERB_PREFIXES = {"consultation", "expert", "panel", "batch"}


def application_trail(user, application: Application, *, event_note) -> dict:
    """The application's way up the chain, level by level, as this user may read it.

    Returns {"before": [events before the first submission], "levels": [Level...], "listing": Listing|None,
    "final": the list/not_list event or None}. Outsiders (applicant, assessor) do not see the opinions and reasons
    of decisions that were not addressed to the applicant."""
    referrals = list(
        application.referrals.select_related("authority", "decided_by", "batch", "batch__authority").order_by(
            "received_at", "id"
        )
    )
    insider = is_insider(user, application, referrals)
    events = (
        AuditEvent.objects.filter(
            target_type=ContentType.objects.get_for_model(Application), target_id=str(application.pk)
        )
        .select_related("actor", "organization")
        .order_by("created_at", "id")
    )
    levels = [Level(r, show_opinion=insider or addressed_to_applicant(r.decision)) for r in referrals]
    before, final = [], None
    for event in events:
        if not insider and event.verb.split(".")[0] in INTERNAL_VERB_PREFIXES:
            continue  # departments' opinions and expert work are among reviewers, not told to the applicant
        action = event.verb.removeprefix("application.")
        private = event.verb.startswith("application.") and not addressed_to_applicant(action)
        row = {
            "event": event,
            "label": VERB_LABELS.get(event.verb, event.verb),
            "note": "" if private and not insider else event_note(event),
        }
        if event.verb in ("application.list", "application.not_list"):
            final = row
        index = _event_level(event, referrals)
        (before if index is None else levels[index].events).append(row)
    listing = getattr(application, "listing", None) if application.state == State.LISTED else None
    return {"before": before, "levels": levels, "listing": listing, "final": final, "insider": insider}


def department_replies(user, application: Application, referrals) -> list[ConsultationReply]:
    """Replies a reviewer may read: of consultations by its own authority or by authorities below it that the
    application came through. The applicant, assessors and departments see none here."""
    reviewers = _viewer_authorities(user, application, referrals)
    qs = ConsultationReply.objects.filter(application=application).select_related(
        "department", "consultation", "consultation__authority", "replied_by"
    )
    if reviewers is not None:
        if not reviewers:
            return []
        below = authority_subtree_ids(reviewers)
        qs = qs.filter(consultation__authority_id__in=below)
    return list(qs.order_by("consultation__created_at", "consultation_id", "department__name"))


def expert_summary(user, application: Application, referrals) -> list[dict]:
    """Expert assignments with status and weighted total, for the same reviewers as the replies; names only for
    the members of the authority that organised the panel (and superusers)."""
    reviewers = _viewer_authorities(user, application, referrals)
    qs = Assignment.objects.filter(application=application).select_related(
        "panel", "panel__authority", "expert", "expert__user"
    )
    if reviewers is not None:
        if not reviewers:
            return []
        qs = qs.filter(panel__authority_id__in=authority_subtree_ids(reviewers))
    rows = []
    for position, a in enumerate(qs.order_by("panel_id", "id"), start=1):
        named = reviewers is None or a.panel.authority_id in reviewers
        rows.append({"assignment": a, "expert": str(a.expert) if named else f"专家{position}", "named": named})
    return rows
