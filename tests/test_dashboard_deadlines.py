"""Every dashboard shows the deadlines that concern its user, with a countdown; overdue ones in red."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from notices.models import Notice
from tests.notice_helpers import published_notice


@pytest.fixture
def open_chain(tree, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    # Half an hour of slack, so a second ticking by during the test does not change the whole-hour countdown.
    now = timezone.now().replace(microsecond=0) + timedelta(minutes=30)
    top = published_notice(root, tree.ministry, deadlines=[("authority", now + timedelta(days=40))])
    prov = published_notice(root, tree.province, forwards=top, deadlines=[("authority", now + timedelta(days=20))])
    city = published_notice(
        root,
        tree.city,
        forwards=prov,
        deadlines=[("authority", now + timedelta(days=9, hours=3)), ("applicant", now - timedelta(hours=2))],
    )
    return top, prov, city


def deadline_rows(html: str) -> list[str]:
    body = html.split('id="deadlines-h"', 1)[1].split("</section>", 1)[0]
    return re.findall(r"<tr data-deadline-row[^>]*>.*?</tr>", body, flags=re.S)


def test_applicant_sees_its_submission_deadline_overdue_in_red(client, tree, open_chain):
    client.force_login(tree.users["ent"])
    rows = deadline_rows(client.get("/dashboard/").content.decode())
    assert len(rows) == 1
    assert "本单位申报截止" in rows[0] and 'class="overdue-row"' in rows[0]
    assert "已逾期 1小时" in rows[0] and 'class="overdue"' in rows[0]


def test_county_sees_its_own_report_deadline_with_countdown(client, tree, open_chain):
    _, _, city = open_chain
    client.force_login(tree.users["county"])
    rows = deadline_rows(client.get("/dashboard/").content.decode())
    own = [r for r in rows if "本单位向上级报送截止" in r]
    assert len(own) == 1 and "剩余 9天3小时" in own[0] and "overdue" not in own[0]
    assert f'href="/notices/{city.pk}/"' in own[0]


def test_city_sees_its_own_deadline_and_those_it_set(client, tree, open_chain):
    client.force_login(tree.users["city"])
    rows = deadline_rows(client.get("/dashboard/").content.decode())
    text = " ".join(rows)
    assert "本单位向上级报送截止" in text and "剩余 20天" in text
    assert "下级主管部门报送截止" in text and "申报单位提交截止" in text


def test_department_sees_its_authoritys_deadline(client, tree, open_chain):
    client.force_login(tree.users["eco"])
    rows = deadline_rows(client.get("/dashboard/").content.decode())
    assert len(rows) == 1 and "小店区工信局（测试）报送截止（意见须在此前反馈）" in rows[0]


def test_other_city_without_forwarding_sees_the_provinces_date(client, tree, open_chain):
    client.force_login(tree.users["other_county"])
    rows = deadline_rows(client.get("/dashboard/").content.decode())
    assert len(rows) == 1 and "剩余 20天" in rows[0]


def test_closed_notices_show_no_deadline(client, tree, open_chain):
    Notice.objects.update(status=Notice.Status.CLOSED)
    client.force_login(tree.users["county"])
    html = client.get("/dashboard/").content.decode()
    assert deadline_rows(html) == []
    assert "目前没有与您相关的截止时间" in html


def test_demo_open_chain_is_relative_to_today_and_real_dates_are_kept_closed(demo):
    today = timezone.localdate()
    open_city = Notice.objects.get(status="published", issuer__name="太原市工业和信息化局")
    due = {d.stage: timezone.localtime(d.due_at) for d in open_city.deadlines.all()}
    assert due["authority"].date() == today + timedelta(days=10)
    assert due["applicant"].date() == today + timedelta(days=5)
    assert (due["authority"].hour, due["authority"].minute, due["authority"].second) == (23, 59, 59)
    closed_city = Notice.objects.get(status="closed", issuer__name="太原市工业和信息化局")
    real = timezone.localtime(closed_city.deadlines.get().due_at)
    assert (real.year, real.month, real.day) == (2024, 5, 17)
    assert closed_city.forwards.deadlines.get().due_at.astimezone(real.tzinfo).day == 31
    assert "2024年5月17日" not in closed_city.body  # the body says 5月17日 as the seed does
    assert "5月17日前" in closed_city.body
    ministry_2023 = Notice.objects.get(year=2023)
    assert ministry_2023.doc_number == "工信厅节函〔2023〕202号" and ministry_2023.status == "closed"


def test_demo_enterprise_dashboard_counts_down_to_its_deadline(client, demo):
    client.force_login(demo.users["enterprise"])
    rows = deadline_rows(client.get("/dashboard/").content.decode())
    assert len(rows) == 1 and "本单位申报截止" in rows[0] and "剩余 5天" in rows[0]
