"""Deadline reminders of the 动态管理表: units with entries still to file are reminded 7, 3 and 1 days before a round's
(extended) due date, once per threshold.

An adapter onto notices.reminders: a round is not a notice deadline (notices.Reminder keys its once-only record on a
notices.Deadline and the message on a notice), so this provider sends its own reminders with the same thresholds
and the same once-only rule (a unique DynamicReminder row per round, unit, threshold and due moment) and hands no
PendingWork back. Importing this module registers it (listings.apps.ListingsConfig.ready).
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse

from notices.reminders import THRESHOLDS, PendingWork, register, threshold_for
from notices.selectors import to_second
from notices.services import format_moment

from .models import DynamicReminder, DynamicReport, DynamicRound, Listing
from .selectors_dynamic import round_scope, with_round_report
from .services_dynamic import notify_organizations

NOT_FILED = Q(rep__id__isnull=True) | Q(rep__status=DynamicReport.Status.DRAFT)


def rounds_due_soon(now: datetime) -> list[DynamicRound]:
    window_end = now + timedelta(days=max(THRESHOLDS))
    due = Q(extended_until__isnull=True, due_at__gt=now, due_at__lte=window_end) | Q(
        extended_until__gt=now, extended_until__lte=window_end
    )
    return list(DynamicRound.objects.filter(due).select_related("authority").order_by("id"))


def units_to_remind(round_: DynamicRound) -> dict[int, list[Listing]]:
    """Units with entries of the round not yet submitted (no report or a draft), with those entries."""
    pending: dict[int, list[Listing]] = defaultdict(list)
    for listing in with_round_report(round_scope(round_), round_).filter(NOT_FILED).order_by("organization_id", "id"):
        pending[listing.organization_id].append(listing)
    return pending


def send_round_reminders(now: datetime) -> list[DynamicReminder]:
    now = to_second(now)
    sent = []
    for round_ in rounds_due_soon(now):
        due = round_.effective_due_at
        days = threshold_for(due - now)
        if days is None:
            continue
        for org_id, listings in units_to_remind(round_).items():
            try:
                with transaction.atomic():
                    reminder = DynamicReminder.objects.create(
                        round=round_, organization_id=org_id, days_before=days, due_at=due
                    )
                    what = "、".join(
                        f"{listing.get_level_display()}{listing.get_category_display()}" for listing in listings
                    )
                    notify_organizations(
                        [org_id],
                        title=f"截止提醒：动态管理表距截止不足{days}天",
                        body=(
                            f"《{round_.title}》的填报截止时间为{format_moment(due)}"
                            f"{'（含延期）' if round_.extended_until else ''}，"
                            f"贵单位尚需提交{what}名单的动态管理表。逾期未填报的将予以标记。"
                        ),
                        url=reverse("dynamic-home"),
                    )
            except IntegrityError:
                continue  # already reminded at this threshold
            sent.append(reminder)
    return sent


@register
def listed_units_to_file(now: datetime) -> Iterable[PendingWork]:
    """The provider notices.reminders.reminders_send calls: sends the rounds' reminders itself (see above)."""
    send_round_reminders(now)
    return []
