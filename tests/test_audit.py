"""Audit events are append-only and written by the services; notifications and the e-mail outbox work end to end."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core import mail

from activity.models import AppendOnlyError, AuditEvent, Notification, OutboundEmail
from activity.services import audit_record, email_queue, notification_mark_read, notification_send
from organizations.models import Organization
from organizations.services import organization_create
from tests.factories import PASSWORD, credit_code


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", "root@example.test", "x-unused-password")


@pytest.fixture
def event(tree):
    return audit_record(
        actor=tree.users["county"], verb="test.recorded", target=tree.ent, organization=tree.county, reason="原始理由"
    )


def snapshot(event_id):
    return AuditEvent.objects.filter(pk=event_id).values().get()


def test_instance_save_after_creation_raises(event):
    before = snapshot(event.pk)
    event.reason = "篡改"
    with pytest.raises(AppendOnlyError):
        event.save()
    assert snapshot(event.pk) == before


def test_refetched_instance_save_raises(event):
    before = snapshot(event.pk)
    again = AuditEvent.objects.get(pk=event.pk)
    again.verb = "test.tampered"
    with pytest.raises(AppendOnlyError):
        again.save(update_fields=["verb"])
    assert snapshot(event.pk) == before


def test_instance_delete_raises(event):
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_queryset_update_raises(event):
    before = snapshot(event.pk)
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="篡改")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.update(reason="篡改")
    assert snapshot(event.pk) == before


def test_queryset_delete_raises(event):
    count = AuditEvent.objects.count()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == count
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_admin_has_no_add_change_or_delete(client, superuser, event):
    before = snapshot(event.pk)
    client.force_login(superuser)

    changelist = client.get("/admin/activity/auditevent/")
    assert changelist.status_code == 200
    text = changelist.content.decode()
    assert "test.recorded" in text
    assert "delete_selected" not in text
    assert "/admin/activity/auditevent/add/" not in text

    change_page = client.get(f"/admin/activity/auditevent/{event.pk}/change/")
    assert change_page.status_code == 200  # view only
    page = change_page.content.decode()
    assert 'name="_save"' not in page
    assert f"/admin/activity/auditevent/{event.pk}/delete/" not in page

    assert client.get("/admin/activity/auditevent/add/").status_code == 403
    posted = client.post(f"/admin/activity/auditevent/{event.pk}/change/", {"verb": "test.tampered", "reason": "x"})
    assert posted.status_code == 403
    assert client.get(f"/admin/activity/auditevent/{event.pk}/delete/").status_code == 403
    assert client.post(f"/admin/activity/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = client.post(
        "/admin/activity/auditevent/", {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
    )
    assert bulk.status_code in (200, 302)
    assert snapshot(event.pk) == before


def test_service_create_writes_audit_event(tree, superuser):
    org = organization_create(
        actor=superuser,
        kind="enterprise",
        name="审计测试有限公司",
        region_id="140105",
        credit_code=credit_code("140105"),
        competent_authority=tree.county,
    )
    event = AuditEvent.objects.filter(verb="organization.create", target_id=str(org.pk)).get()
    assert event.actor == superuser
    assert event.organization == org
    assert event.target_type == ContentType.objects.get_for_model(Organization)
    assert event.target_repr == "审计测试有限公司"
    assert event.after == "enterprise"
    assert event.verb_label == "创建组织机构"


def test_audit_page_shows_own_organization_events(client, tree, event):
    audit_record(actor=None, verb="test.elsewhere", target=tree.other_ent, organization=tree.other_county)
    client.force_login(tree.users["county"])
    page = client.get("/activity/").content.decode()
    assert "test.recorded" in page
    assert "原始理由" in page
    assert "test.elsewhere" not in page


def test_login_success_writes_auth_login(client, tree):
    user = tree.users["ent"]
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    event = AuditEvent.objects.filter(verb="auth.login").get()
    assert event.actor == user
    assert event.target_id == str(user.pk)
    assert event.ip == "127.0.0.1"


def test_login_failure_writes_auth_login_failed(client, tree):
    user = tree.users["ent"]
    response = client.post("/accounts/login/", {"username": user.username, "password": "not-the-password"})
    assert response.status_code == 200
    assert not AuditEvent.objects.filter(verb="auth.login").exists()
    event = AuditEvent.objects.filter(verb="auth.login_failed").get()
    assert event.actor is None
    assert event.reason == f"用户名：{user.username}"
    assert event.ip == "127.0.0.1"


def test_logout_writes_auth_logout(client, tree):
    user = tree.users["ent"]
    client.force_login(user)
    client.post("/accounts/logout/")
    assert AuditEvent.objects.filter(verb="auth.logout", actor=user).count() == 1


# Notifications and e-mail.


def badge(html: str) -> str | None:
    import re

    found = re.search(r'<span class="badge" aria-label="未读">(\d+)</span>', html)
    return found.group(1) if found else None


def test_notification_send_creates_rows(tree):
    users = [tree.users["ent"], tree.users["county"]]
    notes = notification_send(recipients=users, title="申报即将截止", body="请于月底前提交。", url="/dashboard/")
    assert len(notes) == 2
    rows = Notification.objects.filter(title="申报即将截止").order_by("recipient_id")
    assert [n.recipient for n in rows] == sorted(users, key=lambda u: u.pk)
    assert all(n.read_at is None and n.body == "请于月底前提交。" for n in rows)


def test_unread_badge_and_mark_read(client, tree):
    user = tree.users["ent"]
    notification_send(recipients=[user], title="第一条通知")
    notification_send(recipients=[user], title="第二条通知")
    notification_send(recipients=[tree.users["county"]], title="别人的通知")
    client.force_login(user)

    page = client.get("/notifications/").content.decode()
    assert badge(page) == "2"
    assert "第一条通知" in page and "第二条通知" in page
    assert "别人的通知" not in page
    assert page.count("<b>未读</b>") == 2
    assert badge(client.get("/dashboard/").content.decode()) == "2"

    response = client.post("/notifications/read/", follow=True)
    assert response.redirect_chain[-1][0] == "/notifications/"
    page = response.content.decode()
    assert badge(page) is None
    assert "<b>未读</b>" not in page
    assert Notification.objects.filter(recipient=user, read_at__isnull=True).count() == 0
    assert Notification.objects.filter(recipient=tree.users["county"], read_at__isnull=True).count() == 1


def test_mark_read_by_id_only_touches_own(tree):
    mine = notification_send(recipients=[tree.users["ent"]], title="我的")[0]
    other = notification_send(recipients=[tree.users["county"]], title="别人的")[0]
    assert notification_mark_read(user=tree.users["ent"], ids=[mine.pk, other.pk]) == 1
    mine.refresh_from_db()
    other.refresh_from_db()
    assert mine.read_at is not None
    assert other.read_at is None


def test_email_queue_is_sent_after_commit(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        queued = email_queue(to="someone@example.test", subject="推荐批次已提交", body="太原市已提交推荐批次。")
        assert queued.status == OutboundEmail.Status.PENDING
        assert mail.outbox == []
    assert len(callbacks) == 1
    queued.refresh_from_db()
    assert queued.status == OutboundEmail.Status.SENT
    assert queued.attempts == 1
    assert queued.sent_at is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["someone@example.test"]
    assert mail.outbox[0].subject == "推荐批次已提交"
    assert mail.outbox[0].body == "太原市已提交推荐批次。"


def test_email_deliver_twice_sends_once(db, django_capture_on_commit_callbacks):
    from activity.services import email_deliver

    with django_capture_on_commit_callbacks(execute=True):
        queued = email_queue(to="once@example.test", subject="只发一次", body="正文")
    email_deliver(email_id=queued.pk)
    queued.refresh_from_db()
    assert queued.attempts == 1
    assert len(mail.outbox) == 1


def test_notification_with_email_sends_to_users_with_addresses(tree, django_capture_on_commit_callbacks):
    no_mail = tree.users["county"]
    no_mail.email = ""
    no_mail.save()
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(recipients=[tree.users["ent"], no_mail], title="请补正材料", body="详见通知。", email=True)
    assert Notification.objects.filter(title="请补正材料").count() == 2
    assert [m.to for m in mail.outbox] == [[tree.users["ent"].email]]
    assert OutboundEmail.objects.get().status == OutboundEmail.Status.SENT


def test_a_long_before_or_after_keeps_its_whole_text_in_the_reason(db):
    from activity.services import audit_record

    long_after = "；".join(f"评分项{i}×10/100" for i in range(12))
    event = audit_record(actor=None, verb="panel.criteria_save", before="短", after=long_after, reason="调整评分表")
    event.refresh_from_db()
    assert len(event.after) == 64 and event.after.endswith("…") and event.before == "短"
    assert event.reason == f"调整评分表\n变更后：{long_after}"
