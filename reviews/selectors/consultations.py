"""Reads about consultations (征求意见): who sees which consultation and which replies, the matrix, the lists.

A consultation is seen by the members of the consulting authority and of each department asked in it; a reply by
the consulting authority and by its own department only (a department never sees another department's column).
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from organizations.models import Organization
from organizations.selectors import acting_org_ids

from ..facts import DOMAIN_ITEMS
from ..models import Consultation, ConsultationReply, Referral

PENDING = ConsultationReply.Opinion.PENDING
OBJECTION = ConsultationReply.Opinion.OBJECTION


def _org_ids(user) -> list[int]:
    return acting_org_ids(user) if user.is_authenticated and user.is_active else []


def consultations_visible_to(user) -> QuerySet[Consultation]:
    base = Consultation.objects.select_related("authority", "notice", "created_by")
    if not user.is_authenticated or not user.is_active:
        return base.none()
    if user.is_superuser:
        return base
    ids = _org_ids(user)
    asked = ConsultationReply.objects.filter(department_id__in=ids).values("consultation_id")
    return base.filter(Q(authority_id__in=ids) | Q(pk__in=asked))


def replies_visible_to(user) -> QuerySet[ConsultationReply]:
    base = ConsultationReply.objects.select_related(
        "consultation", "consultation__authority", "application", "application__applicant", "department"
    )
    if not user.is_authenticated or not user.is_active:
        return base.none()
    if user.is_superuser:
        return base
    ids = _org_ids(user)
    return base.filter(Q(department_id__in=ids) | Q(consultation__authority_id__in=ids))


def consultation_for(user, pk) -> Consultation:
    return get_object_or_404(consultations_visible_to(user), pk=pk)


def reply_for(user, consultation_pk, reply_pk) -> ConsultationReply:
    return get_object_or_404(replies_visible_to(user), pk=reply_pk, consultation_id=consultation_pk)


def open_at_authority() -> Exists:
    """The consulting authority has not decided the application yet (its latest referral there is open)."""
    return Exists(
        Referral.objects.filter(
            application_id=OuterRef("application_id"), authority_id=OuterRef("consultation__authority_id"), decision=""
        )
    )


def pending_replies_for(organization: Organization) -> QuerySet[ConsultationReply]:
    """A department's replies still to give (not waived, the authority still deciding), soonest due first."""
    return (
        ConsultationReply.objects.filter(department=organization, opinion=PENDING, waived_at__isnull=True)
        .annotate(answerable=open_at_authority())
        .filter(answerable=True)
        .select_related("consultation", "consultation__authority", "application", "application__applicant")
        .order_by("consultation__due_on", "consultation_id", "application_id")
    )


def with_progress(qs: QuerySet[Consultation], user) -> QuerySet[Consultation]:
    """Counts for list rows in the list's own query: all replies and, for a department, its own."""
    ids = _org_ids(user)
    pending = Q(replies__opinion=PENDING, replies__waived_at__isnull=True)
    mine = Q(replies__department_id__in=ids)
    return qs.annotate(
        n_replies=Count("replies", distinct=True),
        n_answered=Count("replies", filter=~Q(replies__opinion=PENDING), distinct=True),
        n_objections=Count("replies", filter=Q(replies__opinion=OBJECTION), distinct=True),
        n_open=Count("replies", filter=pending, distinct=True),
        n_applications=Count("replies__application", distinct=True),
        n_departments=Count("replies__department", distinct=True),
        n_mine=Count("replies", filter=mine, distinct=True),
        n_mine_open=Count("replies", filter=mine & pending, distinct=True),
    )


def filter_consultations(qs: QuerySet[Consultation], *, q: str = "", status: str = "", today: date | None = None):
    today = today or timezone.localdate()
    if q:
        hits = ConsultationReply.objects.filter(
            Q(application__applicant__name__icontains=q) | Q(application__applicant__credit_code__iexact=q)
        ).values("consultation_id")
        qs = qs.filter(pk__in=hits)
    open_replies = ConsultationReply.objects.filter(opinion=PENDING, waived_at__isnull=True).values("consultation_id")
    if status == "open":
        qs = qs.filter(pk__in=open_replies, due_on__gte=today)
    elif status == "overdue":
        qs = qs.filter(pk__in=open_replies, due_on__lt=today)
    elif status == "done":
        qs = qs.exclude(pk__in=open_replies)
    elif status == "objection":
        qs = qs.filter(pk__in=ConsultationReply.objects.filter(opinion=OBJECTION).values("consultation_id"))
    return qs


@dataclass
class Cell:
    reply: ConsultationReply | None
    late: bool = False  # answered after the due date
    overdue: bool = False  # still pending (not waived) after the due date
    answerable: bool = False  # the department may answer or change it now
    waivable: bool = False  # the authority may record why it is missing
    item: str = ""  # the negative-list item the reply form preselects


@dataclass
class Row:
    application: object
    cells: list[Cell] = field(default_factory=list)
    decided: bool = False


@dataclass
class Matrix:
    departments: list[Organization]
    rows: list[Row]
    is_authority: bool
    own_department_ids: set[int]


def reply_matrix(consultation: Consultation, user) -> Matrix:
    """Applications × departments; a department sees its own column only. Two queries."""
    replies = list(
        replies_visible_to(user)
        .filter(consultation=consultation)
        .annotate(answerable=open_at_authority())
        .select_related("replied_by", "waived_by")
        .order_by("application__applicant__name", "application_id", "department__name", "department_id")
    )
    ids = set(_org_ids(user))
    is_authority = user.is_superuser or consultation.authority_id in ids
    today = timezone.localdate()
    departments: dict[int, Organization] = {}
    rows: dict[int, Row] = {}
    for r in replies:
        departments.setdefault(r.department_id, r.department)
        rows.setdefault(r.application_id, Row(application=r.application, decided=not r.answerable))
    order = sorted(departments.values(), key=lambda d: (d.domain != "ecology", d.domain != "emergency", d.name, d.pk))
    by_pair = {(r.application_id, r.department_id): r for r in replies}
    past_due = today > consultation.due_on
    for app_id, row in rows.items():
        for d in order:
            r = by_pair.get((app_id, d.pk))
            if r is None:
                row.cells.append(Cell(reply=None))
                continue
            pending = r.opinion == PENDING
            row.cells.append(
                Cell(
                    reply=r,
                    late=bool(r.replied_at) and timezone.localdate(r.replied_at) > consultation.due_on,
                    overdue=pending and not r.waived_at and past_due,
                    answerable=r.answerable and r.department_id in ids,
                    waivable=is_authority and pending and not r.waived_at and past_due and r.answerable,
                    item=r.negative_item or DOMAIN_ITEMS.get(d.domain, ""),
                )
            )
    return Matrix(
        departments=order,
        rows=list(rows.values()),
        is_authority=is_authority,
        own_department_ids=ids & set(departments),
    )


def authority_departments(authority: Organization) -> list[Organization]:
    return list(
        Organization.objects.filter(
            kind=Organization.Kind.DEPARTMENT, competent_authority=authority, is_active=True
        ).order_by("domain", "name", "id")
    )
