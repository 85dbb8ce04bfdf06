"""Deadline reminders: 7, 3 and 1 days before, to whoever still has pending work, once.

Each kind of pending work is a provider. This app knows one (an authority that has yet to report to its parent);
the apps that own drafts, undecided items, consultations and reports register theirs with `register`.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from activity.services import notification_send
from organizations.models import Organization
from organizations.selectors import authority_subtree_ids

from .models import Deadline, Notice, Reminder
from .selectors import EffectiveDeadline, deadline_for, notice_family, to_second

THRESHOLDS = (7, 3, 1)


@dataclass
class PendingWork:
    organization: Organization
    deadline: EffectiveDeadline
    kind: str  # stable code, part of the once-only key
    what: str  # what is still to do, in Chinese


Provider = Callable[[datetime], Iterable[PendingWork]]
PROVIDERS: list[Provider] = []


def register(provider: Provider) -> Provider:
    if provider not in PROVIDERS:
        PROVIDERS.append(provider)
    return provider


def threshold_for(remaining: timedelta) -> int | None:
    """The smallest threshold already reached: a missed 7-day run does not send a stale 7-day reminder later."""
    if remaining <= timedelta(0):
        return None
    reached = [t for t in THRESHOLDS if remaining <= timedelta(days=t)]
    return min(reached) if reached else None


@register
def authorities_to_report(now: datetime) -> Iterable[PendingWork]:
    """Authorities whose batch to their parent is due within the window.

    Until recommendation batches exist every such authority still has its report to make. Every authority under
    the issuer is considered, not only its direct children: where a city did not forward the province's notice,
    its counties are bound by the province's date (selectors.deadline_for) and are reminded of it.
    """
    window_end = now + timedelta(days=max(THRESHOLDS))
    deadlines = Deadline.objects.filter(
        stage=Deadline.Stage.AUTHORITY, notice__status=Notice.Status.PUBLISHED, due_at__gt=now - timedelta(days=60)
    ).select_related("notice", "notice__issuer")
    seen: set[tuple[int, int]] = set()
    for d in deadlines:
        if d.authority_id:
            below = {d.authority_id}  # a deadline naming an authority binds that authority only
        else:
            below = authority_subtree_ids([d.notice.issuer_id]) - {d.notice.issuer_id}
        family_key = min(n.pk for n in notice_family(d.notice))
        candidates = Organization.objects.filter(kind=Organization.Kind.AUTHORITY, pk__in=below, is_active=True)
        for child in candidates.select_related("parent").order_by("id"):
            if (child.pk, family_key) in seen:
                continue
            # The binding deadline is the same whichever notice of the family it is resolved from: once is enough.
            seen.add((child.pk, family_key))
            effective = deadline_for(notice=d.notice, organization=child, stage=Deadline.Stage.AUTHORITY)
            if effective is None or not (now < effective.due_at <= window_end):
                continue
            yield PendingWork(
                organization=child,
                deadline=effective,
                kind="authority_report",
                what=f"向{child.parent.name}报送推荐材料",
            )


def reminders_send(now: datetime | None = None) -> list[Reminder]:
    """Send what is due now; a unique constraint makes a second run (or a parallel one) send nothing again."""
    now = to_second(now or timezone.now())
    sent = []
    for provider in list(PROVIDERS):
        for work in provider(now):
            days = threshold_for(work.deadline.due_at - now)
            if days is None:
                continue
            try:
                with transaction.atomic():
                    reminder = Reminder.objects.create(
                        deadline=work.deadline.deadline,
                        organization=work.organization,
                        kind=work.kind,
                        days_before=days,
                        due_at=work.deadline.due_at,
                    )
                    _notify(work, days)
            except IntegrityError:
                continue  # already reminded at this threshold
            sent.append(reminder)
    return sent


def _notify(work: PendingWork, days: int) -> None:
    from .services import format_moment

    users = [m.user for m in work.organization.memberships.filter(is_active=True).select_related("user")]
    notice = work.deadline.notice
    notification_send(
        recipients=users,
        organization=work.organization,
        email=True,
        url=f"/notices/{notice.pk}/",
        title=f"截止提醒：距截止不足{days}天",
        body=(
            f"《{notice.title}》规定的截止时间为{format_moment(work.deadline.due_at)}"
            f"{'（含延期）' if work.deadline.extension else ''}，"
            f"贵单位尚需{work.what}。逾期则视为无申报企业。"
        ),
    )
