import email
import time

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from activity.models import AuditEvent, OutboundEmail
from activity.services import email_queue, notification_send
from organizations.models import Organization
from organizations.selectors import organizations_visible_to
from tests.factories import UserFactory, authority, enterprise, member

pytestmark = pytest.mark.integration


def wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    return predicate()


def test_runs_on_postgresql(regions):
    assert connection.vendor == "postgresql"
    with connection.cursor() as cur:
        cur.execute("select count(*) from organizations_region where level = 'province'")
        assert cur.fetchone()[0] == 34


def test_email_is_sent_by_a_real_celery_worker_after_commit(regions, celery_worker_process):
    user = UserFactory(username="mail-target", email="mail-target@example.test")
    with transaction.atomic():
        notes = notification_send(
            recipients=[user], title="推荐批次已退回", body="请于截止时间前修改后重新提交。", email=True
        )
        mail = OutboundEmail.objects.get(to="mail-target@example.test")
        # Nothing leaves before the transaction commits.
        assert mail.status == OutboundEmail.Status.PENDING
    assert len(notes) == 1

    sent = wait_for(lambda: OutboundEmail.objects.filter(pk=mail.pk, status=OutboundEmail.Status.SENT).first())
    assert sent is not None, celery_worker_process["log"].read_text()[-3000:]
    assert sent.attempts == 1 and sent.sent_at is not None
    # The worker serves the whole session: other tests' mail lies in the same folder.
    messages = wait_for(
        lambda: [
            m
            for m in (email.message_from_string(f.read_text()) for f in celery_worker_process["mail_dir"].glob("*.log"))
            if m["To"] == "mail-target@example.test"
        ]
    )
    assert len(messages) == 1
    message = messages[0]
    subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
    assert subject == "推荐批次已退回"


def test_email_queued_in_a_rolled_back_transaction_is_never_sent(regions, celery_worker_process):
    with pytest.raises(RuntimeError), transaction.atomic():
        email_queue(to="never@example.test", subject="不应发送", body="回滚")
        raise RuntimeError("rollback")
    assert not OutboundEmail.objects.filter(to="never@example.test").exists()


def test_database_refuses_to_change_audit_events(regions):
    province = authority("测试省厅", "140000", "province", authority("测试部", "110000", "ministry"))
    event = AuditEvent.objects.filter(target_id=str(province.pk), verb="organization.create").get()
    for sql in (
        "update activity_auditevent set verb = 'x' where id = %s",
        "delete from activity_auditevent where id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [event.pk])
    event.refresh_from_db()
    assert event.verb == "organization.create"


def test_visibility_selector_on_postgresql(regions):
    ministry = authority("部", "110000", "ministry")
    province = authority("省", "140000", "province", ministry)
    city = authority("市", "140100", "city", province)
    county = authority("县", "140105", "county", city)
    other_city = authority("另一市", "140200", "city", province)
    ent = enterprise("县内企业", county)
    enterprise("另一市企业", other_city)
    city_user = member(city)
    visible = set(organizations_visible_to(city_user).values_list("name", flat=True))
    assert visible == {"市", "县", "县内企业"}
    assert set(organizations_visible_to(member(ent)).values_list("name", flat=True)) == {"县内企业"}
    assert organizations_visible_to(member(ministry)).count() == Organization.objects.count()
