"""What each role's dashboard shows. Reads only; counts come from the visibility selectors.

Every list here runs a fixed number of queries however many applications or engagements it shows
(tests/test_dashboards_applications.py counts them at 1 and at 20).
"""

from django.contrib.auth import get_user_model
from django.db.models import Count, Q

from activity.models import AuditEvent
from applications.categories import CATEGORIES_FOR_KIND
from applications.models import Application, Engagement, State
from applications.selectors import applications_visible_to, missing_summary
from notices.models import Category, Deadline, Notice, NoticeCategory
from notices.selectors import (
    deadline_label,
    deadlines_concerning,
    deadlines_for_notices,
    deadlines_for_pairs,
    open_notices_for,
)
from organizations.models import Organization
from organizations.selectors import ActingRole, authority_subtree_ids, organizations_visible_to

LIST_SIZE = 10  # rows per dashboard list; the full lists are on their own pages
MISSING_SHOWN = 2  # the first items of what is missing; the rest are counted


def _authority(user, org: Organization) -> dict:
    subtree = authority_subtree_ids([org.pk])
    attached = (
        Organization.objects.filter(competent_authority_id__in=subtree)
        .values("kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {row["kind"]: row["n"] for row in attached}
    departments = list(Organization.objects.filter(competent_authority=org, kind="department").order_by("domain"))
    return {
        "org": org,
        "subordinates": Organization.objects.filter(parent=org).select_related("region").order_by("level", "name"),
        "subtree_count": len(subtree) - 1,
        "enterprise_count": counts.get("enterprise", 0),
        "park_count": counts.get("park", 0),
        "department_count": len(departments),
        "assessor_count": counts.get("assessor", 0),
        "departments": departments,
    }


def _authority_inbox(user, org: Organization) -> dict:
    """The applications this authority holds for review (待办), and the rest of the chain's work waiting here."""
    from reviews.models import Batch, BatchItem, ConsultationReply, Panel, Publicity

    visible = applications_visible_to(user).filter(holder=org)
    held = visible.filter(state=State.UNDER_REVIEW)
    live = [Batch.State.DRAFT, Batch.State.SUBMITTED, Batch.State.RECEIVED]
    batched = BatchItem.objects.filter(batch__authority=org, batch__state__in=live).values("application_id")
    to_batch = visible.filter(state=State.RECOMMENDED).exclude(pk__in=batched)
    incoming = (
        Batch.objects.filter(recipient=org, state=Batch.State.SUBMITTED)
        .select_related("authority")
        .annotate(n=Count("items"))
        .order_by("submitted_at", "id")
    )
    replies = ConsultationReply.objects.filter(consultation__authority=org).aggregate(
        pending=Count("id", filter=Q(opinion=ConsultationReply.Opinion.PENDING, waived_at__isnull=True)),
        objections=Count("id", filter=Q(opinion=ConsultationReply.Opinion.OBJECTION)),
    )
    return {
        "inbox_count": held.count(),
        "inbox": list(held.order_by("submitted_at", "id")[:LIST_SIZE]),
        "to_batch_count": to_batch.count(),
        "incoming_batches": list(incoming[:LIST_SIZE]),
        "pending_replies": replies["pending"],
        "objections": replies["objections"],
        "draft_batches": Batch.objects.filter(authority=org, state=Batch.State.DRAFT).count(),
        "panel_count": Panel.objects.filter(authority=org).count(),
        "publicities": list(
            Publicity.objects.filter(authority=org)
            .exclude(state=Publicity.State.FINALIZED)
            .annotate(
                n=Count("entries", distinct=True),
                open_objections=Count("objections", filter=Q(objections__status="open"), distinct=True),
            )
            .order_by("-starts_on", "-id")[:LIST_SIZE]
        ),
    }


def _department(org: Organization) -> dict:
    """The replies this department still owes, soonest due first."""
    from reviews.models import ConsultationReply

    pending = (
        ConsultationReply.objects.filter(department=org, opinion=ConsultationReply.Opinion.PENDING)
        .select_related("consultation", "consultation__authority", "application", "application__applicant")
        .order_by("consultation__due_on", "consultation_id", "application_id")
    )
    return {"org": org, "pending_count": pending.count(), "pending": list(pending[:LIST_SIZE])}


def _expert(expert) -> dict:
    from reviews.models import Assignment

    open_ = (
        Assignment.objects.filter(expert=expert, status=Assignment.Status.ASSIGNED)
        .select_related("panel", "panel__authority", "application", "application__applicant")
        .order_by("assigned_at", "id")
    )
    return {
        "assignment_count": open_.count(),
        "assignments": list(open_[:LIST_SIZE]),
        "scored_count": Assignment.objects.filter(expert=expert, status=Assignment.Status.SUBMITTED).count(),
    }


def _chain_position(application: Application, returned_by: dict) -> str:
    """Where the application is in the chain, as the applicant reads it."""
    holder = application.holder.name
    match application.state:
        case State.DRAFT:
            return "本单位填报中，尚未提交"
        case State.UNDER_REVIEW:
            return f"待{holder}审核"
        case State.RETURNED:
            return f"{returned_by.get(application.pk, '主管部门')}退回本单位修改"
        case State.WITHDRAWN:
            return "本单位已撤回"
        case State.NOT_RECOMMENDED:
            return f"{holder}不予推荐"
        case State.RECOMMENDED:
            return f"已推荐，现由{holder}办理"
        case State.LISTED:
            return "已入选名单"
        case State.NOT_LISTED:
            return "公示后未列入名单"
    return holder


def _applicant(user, org: Organization) -> dict:
    from reviews.models import Referral

    visible = applications_visible_to(user).filter(applicant=org)
    applications = list(visible.select_related("notice__issuer").order_by("-updated_at", "-id")[: LIST_SIZE * 2])
    ids = [a.pk for a in applications]
    missing = missing_summary([a for a in applications if a.is_editable])
    latest_engagement: dict[int, Engagement] = {}
    for engagement in (
        Engagement.objects.filter(application_id__in=ids).select_related("assessor").order_by("requested_at", "id")
    ):
        latest_engagement[engagement.application_id] = engagement
    returned_by: dict[int, str] = {}
    reasons: dict[int, str] = {}
    returned = [a.pk for a in applications if a.state == State.RETURNED]
    if returned:
        for referral in (
            Referral.objects.filter(application_id__in=returned, decision=Referral.Decision.RETURN)
            .select_related("authority")
            .order_by("decided_at", "id")
        ):
            returned_by[referral.application_id] = referral.authority.name
            reasons[referral.application_id] = referral.opinion

    notices = _leaf_notices(open_notices_for(org))
    deadlines = deadlines_for_notices(
        {n.pk: n for n in [*notices, *(a.notice for a in applications)]}.values(),
        organization=org,
        stage=Deadline.Stage.APPLICANT,
    )
    rows = []
    for a in applications:
        problems = missing.get(a.pk, [])
        rows.append(
            {
                "application": a,
                "position": _chain_position(a, returned_by),
                "return_reason": reasons.get(a.pk, ""),
                "missing_count": len(problems),
                "missing_first": problems[:MISSING_SHOWN],
                "missing_more": max(0, len(problems) - MISSING_SHOWN),
                "engagement": latest_engagement.get(a.pk),
                "deadline": deadlines.get(a.notice_id),
                "counts_down": a.state in (State.DRAFT, State.RETURNED, State.WITHDRAWN),
            }
        )
    return {
        "org": org,
        "application_rows": rows,
        "application_count": visible.count(),
        "open_notices": _open_notice_rows(org, notices, applications, deadlines),
    }


def _leaf_notices(notices: list[Notice]) -> list[Notice]:
    """One notice per forwarding family: the one nearest the applicant (no other open notice forwards it)."""
    forwarded = {n.forwards_id for n in notices if n.forwards_id}
    return [n for n in notices if n.pk not in forwarded]


def _family_root(notice_id: int, by_id: dict[int, Notice]) -> int:
    seen = set()
    while notice_id in by_id and by_id[notice_id].forwards_id and notice_id not in seen:
        seen.add(notice_id)
        notice_id = by_id[notice_id].forwards_id
    return notice_id


def _open_notice_rows(org: Organization, notices: list[Notice], applications, deadlines) -> list[dict]:
    """可申报的通知: each open notice with the categories this applicant may apply for, and what it already did."""
    allowed = CATEGORIES_FOR_KIND.get(org.kind, ())
    if not notices or not allowed:
        return []
    by_id = {n.pk: n for n in [*notices, *(a.notice for a in applications)]}
    # Follow forwards through notices not in the list too (the province's notice forwarded by the city).
    for n in Notice.objects.filter(pk__in={n.forwards_id for n in by_id.values() if n.forwards_id} - set(by_id)):
        by_id[n.pk] = n
    applied = {(_family_root(a.notice_id, by_id), a.category): a for a in applications}
    opened: dict[int, set[str]] = {}
    for notice_id, category in NoticeCategory.objects.filter(notice__in=notices, category__in=allowed).values_list(
        "notice_id", "category"
    ):
        opened.setdefault(notice_id, set()).add(category)
    labels = dict(Category.choices)
    rows = []
    for notice in notices:
        root = _family_root(notice.pk, by_id)
        deadline = deadlines.get(notice.pk)
        categories = [
            {"code": code, "label": labels[code], "application": applied.get((root, code))}
            for code in Category.values
            if code in allowed and code in opened.get(notice.pk, ())
        ]
        if categories:
            rows.append(
                {
                    "notice": notice,
                    "categories": categories,
                    "deadline": deadline,
                    "closed": bool(deadline and deadline.is_past()),
                }
            )
    return rows


def _assessor(org: Organization) -> dict:
    """Engagements awaiting an answer, reports due (accepted, no report yet), reports submitted."""
    mine = Engagement.objects.filter(assessor=org).select_related(
        "application", "application__applicant", "application__notice", "application__holder"
    )
    pending_q = Q(status=Engagement.Status.PENDING)
    due_q = Q(status=Engagement.Status.ACCEPTED, report_submitted_at__isnull=True)
    reported_q = Q(status=Engagement.Status.ACCEPTED, report_submitted_at__isnull=False)
    counts = mine.aggregate(
        pending=Count("id", filter=pending_q),
        due=Count("id", filter=due_q),
        reported=Count("id", filter=reported_q),
        closed=Count("id", filter=Q(status__in=[Engagement.Status.DECLINED, Engagement.Status.CANCELLED])),
    )
    pending = list(mine.filter(pending_q).order_by("requested_at", "id")[:LIST_SIZE])
    due = list(mine.filter(due_q).order_by("responded_at", "id")[:LIST_SIZE])
    reported = list(mine.filter(reported_q).order_by("-report_submitted_at", "-id")[:LIST_SIZE])
    deadlines = deadlines_for_pairs(
        [(e.application.notice, e.application.applicant) for e in [*pending, *due]], stage=Deadline.Stage.APPLICANT
    )
    for e in [*pending, *due]:
        e.applicant_deadline = deadlines[(e.application.notice_id, e.application.applicant_id)]
    # The report due soonest first; those without a deadline last.
    due.sort(key=lambda e: e.applicant_deadline.due_at.timestamp() if e.applicant_deadline else float("inf"))
    return {
        "org": org,
        "engagement_counts": counts,
        "pending_engagements": pending,
        "due_engagements": due,
        "reported_engagements": reported,
    }


def _open_deadlines(issuer_ids=None) -> list[dict]:
    qs = Deadline.objects.filter(notice__status=Notice.Status.PUBLISHED).select_related(
        "notice", "notice__issuer", "authority"
    )
    if issuer_ids is not None:
        qs = qs.filter(notice__issuer_id__in=issuer_ids)
    rows = []
    for d in qs.order_by("due_at")[:30]:
        rows.append(
            {
                "label": f"{d.notice.issuer.name}：{deadline_label(d)}",
                "notice": d.notice,
                "due_at": d.due_at,
                "extension": None,
            }
        )
    return rows


def dashboard_context(user, role: ActingRole) -> dict:
    org = role.organization
    if role.dashboard == "authority":
        return {**_authority(user, org), **_authority_inbox(user, org), "deadlines": deadlines_concerning(org)}
    if role.dashboard == "applicant":
        return {**_applicant(user, org), "deadlines": deadlines_concerning(org)}
    if role.dashboard == "assessor":
        return {**_assessor(org), "deadlines": deadlines_concerning(org)}
    if role.dashboard == "department":
        return {**_department(org), "deadlines": deadlines_concerning(org)}
    if role.dashboard == "expert":
        return {
            "expert": role.expert,
            **_expert(role.expert),
            "affiliations": role.expert.affiliations.all(),
            "deadlines": _open_deadlines([role.expert.pool_id]),
        }
    if role.dashboard == "admin":
        by_kind = dict(Organization.objects.values_list("kind").annotate(n=Count("id")).order_by())
        return {
            "org_counts": [(label, by_kind.get(kind, 0)) for kind, label in Organization.Kind.choices],
            "user_count": get_user_model().objects.count(),
            "audit_count": AuditEvent.objects.count(),
            "visible_count": organizations_visible_to(user).count(),
            "deadlines": _open_deadlines(),
            "notice_counts": dict(Notice.objects.values_list("status").annotate(n=Count("id")).order_by()),
        }
    return {}
