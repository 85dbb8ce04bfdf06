"""Deadline reminders: 7, 3 and 1 days before, once each, to whoever still has work to do, by notice and e-mail."""

from datetime import timedelta
from io import StringIO

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from activity.models import Notification, OutboundEmail
from notices import reminders, services
from notices.models import Reminder
from notices.reminders import PendingWork, reminders_send
from notices.selectors import deadline_for
from tests.factories import authority, enterprise, member
from tests.notice_helpers import published_notice, sh

COUNTY_DUE = sh(2024, 5, 17, 23, 59, 59)  # counties → 太原 (000)
CITY_DUE = sh(2024, 5, 31, 23, 59, 59)  # cities → 山西 (000)
APPLICANT_DUE = sh(2024, 5, 10, 17, 0, 0)  # applicants → their county, set by 太原
EXTENDED_DUE = sh(2024, 5, 20, 18, 0, 0)


@pytest.fixture
def chain(tree, django_user_model):
    """Ministry → province → 太原 notices, published; 大同 did not forward. A second county (迎泽) under 太原."""
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    tree.root = root
    tree.county2 = authority("迎泽区工信局（测试）", "140106", "county", tree.city)
    tree.users["county2"] = member(tree.county2, username="u-county2")
    ministry_notice = published_notice(root, tree.ministry, deadlines=[("authority", sh(2024, 9, 5, 23, 59, 59))])
    province_notice = published_notice(
        root, tree.province, forwards=ministry_notice, deadlines=[("authority", CITY_DUE)]
    )
    city_notice = published_notice(
        root,
        tree.city,
        forwards=province_notice,
        deadlines=[("authority", COUNTY_DUE), ("applicant", APPLICANT_DUE)],
    )
    return ministry_notice, province_notice, city_notice


def run(django_capture_on_commit_callbacks, now) -> list[Reminder]:
    """One run, with the e-mails it queues sent after commit, as in production."""
    with django_capture_on_commit_callbacks(execute=True):
        return reminders_send(now)


def sent_to(reminders_list) -> dict[str, int]:
    return {r.organization.name: r.days_before for r in reminders_list}


def reminder_notes(user):
    return Notification.objects.filter(recipient=user, title__startswith="截止提醒")


@pytest.mark.parametrize(
    ("due", "who"),
    [
        (COUNTY_DUE, ["county", "county2"]),
        # 大同 did not forward: its county is bound by the province's date for cities, and is reminded of it.
        (CITY_DUE, ["city", "other_city", "other_county"]),
    ],
    ids=["counties-to-city", "cities-to-province"],
)
def test_seven_days_before_each_authority_is_reminded_once(tree, chain, django_capture_on_commit_callbacks, due, who):
    now = due - timedelta(days=6, hours=23)

    sent = run(django_capture_on_commit_callbacks, now)

    assert sent_to(sent) == {getattr(tree, name).name: 7 for name in who}
    for name in who:
        user = tree.users[name]
        note = reminder_notes(user).get()
        assert note.title == "截止提醒：距截止不足7天"
        parent = getattr(tree, name).parent.name
        assert f"向{parent}报送推荐材料" in note.body
        assert f"{due.year}年{due.month}月{due.day}日 23:59:59" in note.body
        assert note.url.startswith("/notices/")
        email = OutboundEmail.objects.get(to=user.email, subject=note.title)
        assert email.status == OutboundEmail.Status.SENT
        assert email.body == note.body
    assert sorted(m.to[0] for m in mail.outbox) == sorted(tree.users[name].email for name in who)
    # Nobody else: not the applicant, not the authorities whose date is further away.
    for name in set(tree.users) - set(who):
        assert not reminder_notes(tree.users[name]).exists(), name

    # The same run again (a restarted beat, a second worker) sends nothing.
    assert run(django_capture_on_commit_callbacks, now) == []
    assert Reminder.objects.count() == len(who)
    assert OutboundEmail.objects.count() == len(who)
    assert len(mail.outbox) == len(who)


def test_three_and_one_day_reminders_then_silence(tree, chain, django_capture_on_commit_callbacks):
    county = tree.users["county"]
    run(django_capture_on_commit_callbacks, COUNTY_DUE - timedelta(days=6, hours=23))
    # Four days before: the 7-day reminder is already out, nothing new.
    assert run(django_capture_on_commit_callbacks, COUNTY_DUE - timedelta(days=4)) == []

    three = run(django_capture_on_commit_callbacks, COUNTY_DUE - timedelta(days=2))
    assert sent_to(three) == {tree.county.name: 3, tree.county2.name: 3}
    assert reminder_notes(county).filter(title="截止提醒：距截止不足3天").count() == 1

    one = run(django_capture_on_commit_callbacks, COUNTY_DUE - timedelta(hours=20))
    assert sent_to(one) == {tree.county.name: 1, tree.county2.name: 1}
    assert run(django_capture_on_commit_callbacks, COUNTY_DUE - timedelta(hours=1)) == []

    # The last second still counts as before the deadline; after it nothing is sent.
    assert run(django_capture_on_commit_callbacks, COUNTY_DUE + timedelta(seconds=1)) == []
    assert run(django_capture_on_commit_callbacks, COUNTY_DUE + timedelta(days=1)) == []
    assert list(
        Reminder.objects.filter(organization=tree.county)
        .order_by("sent_at", "id")
        .values_list("days_before", flat=True)
    ) == [7, 3, 1]
    assert reminder_notes(county).count() == 3
    assert OutboundEmail.objects.filter(to=county.email, status="sent").count() == 3


def test_a_first_run_late_sends_only_the_nearest_threshold(tree, chain, django_capture_on_commit_callbacks):
    sent = run(django_capture_on_commit_callbacks, COUNTY_DUE - timedelta(days=2))
    assert sent_to(sent) == {tree.county.name: 3, tree.county2.name: 3}
    assert not Reminder.objects.filter(days_before=7).exists()
    assert list(reminder_notes(tree.users["county"]).values_list("title", flat=True)) == ["截止提醒：距截止不足3天"]


def test_extension_moves_the_reminders_of_that_county_only(tree, chain, django_capture_on_commit_callbacks):
    _, _, city_notice = chain
    run(django_capture_on_commit_callbacks, COUNTY_DUE - timedelta(days=6, hours=23))
    services.extension_grant(
        actor=tree.users["city"],
        deadline=city_notice.deadlines.get(stage="authority"),
        organization=tree.county,
        new_due_at=EXTENDED_DUE,
        reason="系统故障，材料未能按时上传",
    )

    # Two days before the old date: 迎泽 gets its 3-day reminder; 小店's date is now 4 days 18 hours away,
    # so it gets a 7-day reminder for the new date.
    sent = run(django_capture_on_commit_callbacks, COUNTY_DUE - timedelta(days=2))
    assert sent_to(sent) == {tree.county.name: 7, tree.county2.name: 3}
    moved = next(r for r in sent if r.organization == tree.county)
    assert moved.due_at == EXTENDED_DUE
    note = reminder_notes(tree.users["county"]).first()
    assert "2024年5月20日 18:00:00（含延期）" in note.body

    # Past the old date only 小店 is still reminded, against the new date.
    assert sent_to(run(django_capture_on_commit_callbacks, EXTENDED_DUE - timedelta(days=2))) == {tree.county.name: 3}
    assert sent_to(run(django_capture_on_commit_callbacks, EXTENDED_DUE - timedelta(hours=20))) == {tree.county.name: 1}
    assert run(django_capture_on_commit_callbacks, EXTENDED_DUE + timedelta(seconds=1)) == []

    def history(org):
        return list(
            Reminder.objects.filter(organization=org).order_by("sent_at", "id").values_list("days_before", "due_at")
        )

    assert history(tree.county) == [(7, COUNTY_DUE), (7, EXTENDED_DUE), (3, EXTENDED_DUE), (1, EXTENDED_DUE)]
    assert history(tree.county2) == [(7, COUNTY_DUE), (3, COUNTY_DUE)]  # no run fell in its last day


def test_the_unique_constraint_itself_refuses_a_second_reminder(tree, chain):
    _, _, city_notice = chain
    deadline = city_notice.deadlines.get(stage="authority")
    fields = {
        "deadline": deadline,
        "organization": tree.county,
        "kind": "authority_report",
        "days_before": 7,
        "due_at": COUNTY_DUE,
    }
    Reminder.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(**fields)
    # Another threshold, another due date (an extension) or another organization is a different reminder.
    Reminder.objects.create(**{**fields, "days_before": 3})
    Reminder.objects.create(**{**fields, "due_at": EXTENDED_DUE})
    Reminder.objects.create(**{**fields, "organization": tree.county2})
    assert Reminder.objects.count() == 4


def test_a_reminder_recorded_by_another_run_is_not_sent_again(tree, chain, django_capture_on_commit_callbacks):
    """What a parallel worker sees: the row is there already, so the insert fails and no notice goes out."""
    _, _, city_notice = chain
    now = COUNTY_DUE - timedelta(days=2)
    Reminder.objects.create(
        deadline=city_notice.deadlines.get(stage="authority"),
        organization=tree.county,
        kind="authority_report",
        days_before=3,
        due_at=COUNTY_DUE,
    )
    sent = run(django_capture_on_commit_callbacks, now)
    assert sent_to(sent) == {tree.county2.name: 3}
    assert not reminder_notes(tree.users["county"]).exists()
    assert not OutboundEmail.objects.filter(to=tree.users["county"].email).exists()


@pytest.mark.parametrize(
    "moment",
    ["2024-05-11 00:59:59", "2024-05-11T00:59:59", "2024-05-11T00:59:59+08:00", "2024-05-10T16:59:59Z"],
)
def test_command_sends_and_prints_the_count(tree, chain, django_capture_on_commit_callbacks, moment):
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", now=moment, stdout=out)
    text = out.getvalue()
    assert "已发送 2 条提醒。" in text
    assert f"{tree.county.name}：距截止不足7天（authority_report）" in text
    assert tree.county2.name in text

    again = StringIO()
    call_command("send_reminders", now=moment, stdout=again)
    assert "已发送 0 条提醒。" in again.getvalue()


@pytest.mark.parametrize("moment", ["2024-13-01 00:00:00", "明天上午", "5/11/2024"])
def test_command_refuses_a_bad_time_in_chinese(tree, chain, moment):
    with pytest.raises(CommandError) as exc:
        call_command("send_reminders", now=moment, stdout=StringIO())
    message = str(exc.value)
    assert f"--now 的时间“{moment}”无法识别" in message
    assert "YYYY-MM-DD HH:MM:SS（北京时间）" in message
    assert not Reminder.objects.exists()


def test_beat_runs_the_registered_task_hourly(tree, django_user_model, django_capture_on_commit_callbacks):
    from greenmfg.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["send-reminders"]
    app.loader.import_default_modules()  # what a worker does at start: autodiscover every app's tasks
    assert entry["task"] == "notices.tasks.send_reminders"
    assert entry["task"] in app.tasks
    schedule = entry["schedule"]
    assert isinstance(schedule, crontab)
    assert schedule.hour == set(range(24)) and len(schedule.minute) == 1
    assert schedule.day_of_week == set(range(7))

    # The task itself, at the real current time: a 太原 deadline six days away reaches the county.
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    now = timezone.now()
    ministry_notice = published_notice(root, tree.ministry, deadlines=[("authority", now + timedelta(days=40))])
    province_notice = published_notice(
        root, tree.province, forwards=ministry_notice, deadlines=[("authority", now + timedelta(days=20))]
    )
    published_notice(root, tree.city, forwards=province_notice, deadlines=[("authority", now + timedelta(days=6))])
    with django_capture_on_commit_callbacks(execute=True):
        assert app.tasks[entry["task"]].delay().get() == 1
    assert reminder_notes(tree.users["county"]).get().title == "截止提醒：距截止不足7天"
    assert app.tasks[entry["task"]].delay().get() == 0


@pytest.fixture
def applicant_provider(tree, chain):
    """A provider as the applications app will register one: applicants that have not yet submitted."""
    _, _, city_notice = chain
    tree.ent2 = enterprise("小店第二测试企业有限公司", tree.county)
    tree.users["ent2"] = member(tree.ent2, username="u-ent2")
    submitted = {tree.ent2.pk}  # this one has submitted already
    calls = []

    def applicants_to_submit(now):
        calls.append(now)
        for org in (tree.ent, tree.ent2, tree.other_ent):
            if org.pk in submitted:
                continue
            effective = deadline_for(notice=city_notice, organization=org, stage="applicant")
            if effective is not None and now < effective.due_at:
                yield PendingWork(organization=org, deadline=effective, kind="application_submit", what="提交申报材料")

    assert reminders.register(applicants_to_submit) is applicants_to_submit
    reminders.register(applicants_to_submit)  # registering twice keeps one entry
    assert reminders.PROVIDERS.count(applicants_to_submit) == 1
    yield calls
    reminders.PROVIDERS.remove(applicants_to_submit)


def test_a_registered_provider_is_called_and_its_work_reminded(
    tree, chain, applicant_provider, django_capture_on_commit_callbacks
):
    now = APPLICANT_DUE - timedelta(hours=20)
    sent = run(django_capture_on_commit_callbacks, now)

    assert applicant_provider == [now]
    # The enterprise with work left is reminded (平城's enterprise has no applicant deadline; 小店二 has submitted);
    # the counties' own deadline is more than a week away.
    assert sent_to(sent) == {tree.ent.name: 1}
    note = reminder_notes(tree.users["ent"]).get()
    assert note.title == "截止提醒：距截止不足1天"
    assert "2024年5月10日 17:00:00" in note.body and "提交申报材料" in note.body
    assert OutboundEmail.objects.get(to=tree.users["ent"].email).status == "sent"
    assert Reminder.objects.get(organization=tree.ent).kind == "application_submit"
    assert not reminder_notes(tree.users["ent2"]).exists()
    assert run(django_capture_on_commit_callbacks, now) == []


def test_provider_is_gone_after_the_test():
    names = [p.__name__ for p in reminders.PROVIDERS]
    assert "authorities_to_report" in names
    assert "applicants_to_submit" not in names
