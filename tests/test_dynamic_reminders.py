"""Reminders of the 动态管理表: 7, 3 and 1 days before a round's (extended) due date, to units with entries not yet
submitted, once per threshold, through the notices reminder run."""

from datetime import timedelta

import pytest

from activity.models import Notification
from listings.models import DynamicReminder
from notices import reminders
from notices.reminders import reminders_send
from tests.dynamic_helpers import filed, open_round
from tests.factories import enterprise, member
from tests.listing_helpers import listing


@pytest.fixture
def round_(tree):
    listing(tree.ent, tree.city, category="factory", year=2022)
    listing(tree.ent, tree.city, category="product", year=2022)
    second = enterprise("小店第二测试企业有限公司", tree.county)
    tree.users["ent2"] = member(second, username="u-ent2")
    tree.ent2_entry = listing(second, tree.city, category="factory", year=2021)
    return open_round(tree, due_in=timedelta(days=20))


def notes(user):
    return Notification.objects.filter(recipient=user, title__contains="动态管理表距截止")


def run(now, capture):
    with capture(execute=True):
        return reminders_send(now)


def test_the_provider_is_registered_with_the_notices_reminders():
    assert "listed_units_to_file" in [p.__name__ for p in reminders.PROVIDERS]


def test_units_not_yet_submitted_are_reminded_once_per_threshold(tree, round_, django_capture_on_commit_callbacks):
    filed(round_, tree.ent2_entry, tree.users["ent2"])  # this unit has filed all it must
    due = round_.due_at
    assert run(due - timedelta(days=8), django_capture_on_commit_callbacks) == []
    assert not DynamicReminder.objects.exists()

    run(due - timedelta(days=6, hours=23), django_capture_on_commit_callbacks)
    reminder = DynamicReminder.objects.get()
    assert (reminder.organization, reminder.days_before, reminder.due_at) == (tree.ent, 7, due)
    note = notes(tree.users["ent"]).get()
    assert note.title == "截止提醒：动态管理表距截止不足7天"
    assert "市级绿色工厂、市级绿色设计产品" in note.body and note.url == "/dynamic/"
    assert not notes(tree.users["ent2"]).exists()

    run(due - timedelta(days=6), django_capture_on_commit_callbacks)  # again within the same window: nothing new
    assert DynamicReminder.objects.count() == 1
    run(due - timedelta(hours=20), django_capture_on_commit_callbacks)  # a missed 3-day run: only the 1-day one
    assert sorted(DynamicReminder.objects.values_list("days_before", flat=True)) == [1, 7]
    assert notes(tree.users["ent"]).count() == 2
    run(due + timedelta(hours=1), django_capture_on_commit_callbacks)  # after the due date: no reminder
    assert DynamicReminder.objects.count() == 2


def test_an_extension_reminds_toward_the_new_date(tree, round_, django_capture_on_commit_callbacks):
    from django.utils import timezone

    from listings.services_dynamic import dynamic_round_extend

    run(round_.due_at - timedelta(days=2), django_capture_on_commit_callbacks)
    assert set(DynamicReminder.objects.values_list("days_before", flat=True)) == {3}
    until = round_.due_at + timedelta(days=10)
    round_ = dynamic_round_extend(actor=tree.users["city"], round=round_, until=until, reason="延期")
    run(until - timedelta(days=2), django_capture_on_commit_callbacks)
    latest = DynamicReminder.objects.filter(due_at=round_.extended_until)
    assert {r.organization for r in latest} == {tree.ent, tree.ent2_entry.organization}
    assert "（含延期）" in notes(tree.users["ent"]).order_by("-id").first().body
    assert timezone.now() < until
