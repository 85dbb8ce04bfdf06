"""The third-party assessor's pages: its engagements, accepting or declining, uploading the report and score."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activity.models import AuditEvent
from applications import services
from applications.models import THIRD_PARTY_REPORT, Application, Engagement, MaterialFile, State
from reviews.services import transition_perform
from tests.application_helpers import PDF_BYTES, open_chain, pdf, ready_application
from tests.factories import enterprise, member

ROW = re.compile(r'<td><a href="/engagements/(\d+)/">')


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    return tmp_path


@pytest.fixture
def notice(tree, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    return open_chain(tree, root)


@pytest.fixture
def assessors(tree):
    first = enterprise("清源测试评价有限公司", tree.province, kind="assessor")
    second = enterprise("华北测试评价中心有限公司", tree.province, kind="assessor")
    return first, member(first, username="u-assessor"), second, member(second, username="u-assessor2")


def commission(user, applicant, notice, assessor, *, ready=True, category="factory"):
    """The applicant switches to third-party evaluation and commissions the assessor, through the services."""
    if ready:
        application = ready_application(user, applicant, notice, category=category)
        services.application_update(actor=user, application=application, evaluation_mode="third_party")
    else:
        application = services.application_create(
            actor=user, applicant=applicant, notice=notice, category=category, evaluation_mode="third_party"
        )
    return services.engagement_request(actor=user, application=application, assessor=assessor)


@pytest.fixture
def engagement(tree, notice, assessors):
    return commission(tree.users["ent"], tree.ent, notice, assessors[0])


def accepted(engagement, user, lead="张三"):
    return services.engagement_respond(actor=user, engagement=engagement, accept=True, lead_assessor=lead)


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()]


# The list


def test_list_shows_the_assessors_engagements_with_the_applicant_deadline(client, tree, notice, assessors, engagement):
    org, user, other_org, _ = assessors
    commission(tree.users["other_ent"], tree.other_ent, notice.forwards, other_org, ready=False)
    client.force_login(user)
    html = client.get("/engagements/").content.decode()
    assert ROW.findall(html) == [str(engagement.pk)]
    row = html.split(f'<a href="/engagements/{engagement.pk}/">', 1)[1].split("</tr>", 1)[0]
    assert tree.ent.name in row and "绿色工厂" in row and "待接受" in row
    assert re.search(r"剩余 [45]天", row)
    assert tree.other_ent.name not in html


def test_list_filters_by_status_and_searches_by_applicant(client, tree, notice, assessors, engagement):
    org, user, _, _ = assessors
    other = enterprise("小店另一家测试企业有限公司", tree.county)
    second = commission(member(other), other, notice, org, ready=False)
    accepted(second, user)
    client.force_login(user)

    def rows(query):
        return ROW.findall(client.get(f"/engagements/?{query}").content.decode())

    assert set(rows("")) == {str(engagement.pk), str(second.pk)}
    assert rows("status=pending") == [str(engagement.pk)]
    assert rows("status=due") == [str(second.pk)]
    assert rows("status=reported") == []
    assert rows("q=另一家") == [str(second.pk)]
    assert rows("q=另一家&status=pending") == []
    html = client.get("/engagements/?status=reported").content.decode()
    assert "没有符合条件的评价委托" in html


def test_list_puts_pending_first_and_shows_declined_and_cancelled(client, tree, notice, assessors, engagement):
    org, user, _, _ = assessors
    a, b, c = (enterprise(f"排序测试企业{i}有限公司", tree.county) for i in range(3))
    declined = commission(member(a), a, notice, org, ready=False)
    services.engagement_respond(actor=user, engagement=declined, accept=False, reason="本期项目已满")
    cancelled_user = member(b)
    cancelled = commission(cancelled_user, b, notice, org, ready=False)
    services.engagement_cancel(actor=cancelled_user, engagement=cancelled)
    due = commission(member(c), c, notice, org, ready=False)
    accepted(due, user)
    client.force_login(user)
    html = client.get("/engagements/").content.decode()
    order = ROW.findall(html)
    assert order[:2] == [str(engagement.pk), str(due.pk)]
    assert set(order[2:]) == {str(declined.pk), str(cancelled.pk)}
    assert "已拒绝" in html and "申报单位已撤销" in html
    assert sorted(ROW.findall(client.get("/engagements/?status=closed").content.decode())) == sorted(order[2:])


def test_list_is_not_for_an_applicant(client, tree, engagement):
    client.force_login(tree.users["ent"])
    assert client.get("/engagements/").status_code == 404


def test_list_queries_do_not_grow(client, tree, notice, assessors):
    org, user, _, _ = assessors
    client.force_login(user)

    def add(start, stop):
        for i in range(start, stop):
            here = i % 2 == 0  # under the city that forwarded, with its applicant deadline
            applicant = enterprise(f"计数测试企业{i:02d}有限公司", tree.county if here else tree.other_county)
            source = notice if here else notice.forwards
            e = commission(member(applicant), applicant, source, org, ready=False)
            if i % 3 == 1:
                accepted(e, user)

    def measure():
        client.get("/engagements/")
        with CaptureQueriesContext(connection) as ctx:
            html = client.get("/engagements/").content.decode()
        return len(ctx.captured_queries), html

    add(0, 1)
    one, html = measure()
    assert len(ROW.findall(html)) == 1
    add(1, 20)
    twenty, html = measure()
    assert len(ROW.findall(html)) == 20
    # Applicants under the city that forwarded have its deadline; the other city set none for its applicants.
    assert html.count("剩余 ") == 10 and html.count("未设定") == 10
    assert one == twenty


# The engagement page


def test_engagement_page_shows_the_application_read_only_and_the_answer_forms(
    client, tree, notice, assessors, engagement
):
    _, user, _, _ = assessors
    client.force_login(user)
    html = client.get(f"/engagements/{engagement.pk}/").content.decode()
    assert tree.ent.name in html and "绿色工厂" in html and notice.title in html
    assert "申报单位提交截止" in html and re.search(r"剩余 [45]天", html)
    assert tree.ent.credit_code in html
    assert "C3311" in html and "金属结构制造" in html and "达到能耗限额先进值或1级" in html
    assert "自评价报告：材料.pdf（第1版" in html
    assert f'href="/applications/{engagement.application_id}/"' in html
    assert f'action="/engagements/{engagement.pk}/accept/"' in html
    assert f'action="/engagements/{engagement.pk}/decline/"' in html
    assert "<input" not in html.split('id="app-h"', 1)[1]  # the application is read-only here
    assert f'action="/engagements/{engagement.pk}/report/"' not in html


@pytest.mark.parametrize("who", ["other_assessor", "applicant", "county"])
def test_engagement_pages_are_404_for_anyone_but_the_assessor(client, tree, assessors, engagement, who, media):
    user = {"other_assessor": assessors[3], "applicant": tree.users["ent"], "county": tree.users["county"]}[who]
    client.force_login(user)
    base = f"/engagements/{engagement.pk}/"
    assert client.get(base).status_code == 404
    assert client.post(base + "accept/", {"lead_assessor": "王五"}).status_code == 404
    assert client.post(base + "decline/", {"reason": "不接"}).status_code == 404
    assert client.post(base + "report/", {"score": "90", "file": pdf()}).status_code == 404
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.PENDING and engagement.score is None
    assert not MaterialFile.objects.filter(kind=THIRD_PARTY_REPORT).exists()


def test_accept_by_post_records_the_lead_and_offers_the_report_upload(client, tree, assessors, engagement):
    _, user, _, _ = assessors
    client.force_login(user)
    response = client.post(f"/engagements/{engagement.pk}/accept/", {"lead_assessor": " 张三 "}, follow=True)
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.ACCEPTED and engagement.lead_assessor == "张三"
    assert engagement.responded_by == user
    html = response.content.decode()
    assert "已接受" in html and "项目负责人：张三" in html and "报告待提交" in html
    assert f'action="/engagements/{engagement.pk}/report/"' in html
    assert tree.users["ent"].notifications.filter(title__contains="已接受评价委托").exists()
    assert AuditEvent.objects.filter(verb="engagement.accept").count() == 1


def test_accept_needs_a_lead_and_refuses_the_self_evaluation_author(client, tree, assessors, engagement):
    _, user, _, _ = assessors
    services.application_update(
        actor=tree.users["ent"], application=engagement.application, self_evaluation_person="李四"
    )
    client.force_login(user)
    html = client.post(f"/engagements/{engagement.pk}/accept/", {"lead_assessor": ""}).content.decode()
    assert "请填写项目负责人姓名。" in html
    html = client.post(f"/engagements/{engagement.pk}/accept/", {"lead_assessor": "李四"}).content.decode()
    assert "“李四”编制了自评价报告，不能担任第三方评价项目负责人。" in html
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.PENDING and engagement.lead_assessor == ""
    assert not AuditEvent.objects.filter(verb="engagement.accept").exists()


def test_decline_needs_a_reason_then_closes_the_application_to_the_assessor(client, tree, assessors, engagement):
    _, user, _, _ = assessors
    client.force_login(user)
    html = client.post(f"/engagements/{engagement.pk}/decline/", {"reason": "  "}).content.decode()
    assert "请填写拒绝理由。" in html
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.PENDING
    response = client.post(f"/engagements/{engagement.pk}/decline/", {"reason": "本批次评价项目已满15个"}, follow=True)
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.DECLINED and engagement.decline_reason == "本批次评价项目已满15个"
    html = response.content.decode()
    assert "已拒绝委托" in html and "本批次评价项目已满15个" in html
    assert "不再向本机构开放" in html and "C3311" not in html
    note = tree.users["ent"].notifications.get(title__contains="已拒绝评价委托")
    assert note.body == "本批次评价项目已满15个"
    # Answered once: a second answer is refused in Chinese.
    html = client.post(f"/engagements/{engagement.pk}/accept/", {"lead_assessor": "张三"}).content.decode()
    assert "不能再答复" in html and 'role="alert"' in html
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.DECLINED


def test_report_upload_by_post_stores_a_version_and_the_score(client, tree, assessors, engagement, media):
    _, user, _, _ = assessors
    accepted(engagement, user)
    client.force_login(user)
    response = client.post(
        f"/engagements/{engagement.pk}/report/", {"score": "88.5", "file": pdf("第三方评价报告.pdf")}, follow=True
    )
    html = response.content.decode()
    assert "已上传第三方评价报告（第1版），得分 88.5" in html
    engagement.refresh_from_db()
    assert engagement.score == 88.5 and engagement.report_submitted_at is not None
    app = Application.objects.get(pk=engagement.application_id)
    assert app.data["third_party_score"] == 88.5
    report = MaterialFile.objects.get(application=app, kind=THIRD_PARTY_REPORT)
    assert report.original_name == "第三方评价报告.pdf" and report.uploaded_by_org == engagement.assessor
    assert (media / report.file.name).read_bytes() == PDF_BYTES
    assert "已提交报告" in html and "第三方评价报告.pdf" in html
    assert tree.users["ent"].notifications.filter(title__contains="已上传第三方评价报告").exists()

    # A re-upload makes a new version; the old one stays.
    client.post(f"/engagements/{engagement.pk}/report/", {"score": "90", "file": pdf("修订版.pdf")})
    versions = list(
        MaterialFile.objects.filter(application=app, kind=THIRD_PARTY_REPORT)
        .order_by("version")
        .values_list("version", "is_current", "original_name")
    )
    assert versions == [(1, False, "第三方评价报告.pdf"), (2, True, "修订版.pdf")]
    engagement.refresh_from_db()
    assert engagement.score == 90
    html = client.get(f"/engagements/{engagement.pk}/").content.decode()
    assert "第2版" in html and "第1版" in html and "上传新版本" in html


@pytest.mark.parametrize(
    ("score", "content", "message"),
    [
        ("101", PDF_BYTES, "第三方评价得分应在 0 至 100 之间。"),
        ("-1", PDF_BYTES, "第三方评价得分应在 0 至 100 之间。"),
        ("", PDF_BYTES, "请填写第三方评价得分（0–100）。"),
        ("八十", PDF_BYTES, "请填写第三方评价得分（0–100）。"),
        ("NaN", PDF_BYTES, "请填写第三方评价得分（0–100）。"),
        ("85", b"just text, renamed .pdf", "无法识别或已损坏"),
        ("85", b"\x89PNG\r\n\x1a\n" + b"\0" * 32, "实际内容是PNG 图片，此处只接受PDF"),
        ("85", None, "请选择要上传的文件"),
    ],
    ids=["above-100", "negative", "empty-score", "not-a-number", "nan", "fake-pdf", "png-as-pdf", "no-file"],
)
def test_report_refusals_are_shown_in_chinese_and_nothing_is_stored(
    client, assessors, engagement, media, score, content, message
):
    _, user, _, _ = assessors
    accepted(engagement, user)
    before = stored_files(media)
    client.force_login(user)
    data = {"score": score}
    if content is not None:
        data["file"] = pdf("报告.pdf", content)
    response = client.post(f"/engagements/{engagement.pk}/report/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html and 'role="alert"' in html
    engagement.refresh_from_db()
    assert engagement.score is None and engagement.report_submitted_at is None
    assert not MaterialFile.objects.filter(kind=THIRD_PARTY_REPORT).exists()
    assert stored_files(media) == before
    assert not AuditEvent.objects.filter(verb="engagement.report").exists()


def test_report_before_accepting_is_refused(client, assessors, engagement):
    _, user, _, _ = assessors
    client.force_login(user)
    html = client.post(f"/engagements/{engagement.pk}/report/", {"score": "80", "file": pdf()}).content.decode()
    assert "请先接受委托，再上传评价报告。" in html
    assert not MaterialFile.objects.filter(kind=THIRD_PARTY_REPORT).exists()


def test_no_report_upload_once_the_application_is_submitted(client, tree, assessors, engagement):
    _, user, _, _ = assessors
    accepted(engagement, user)
    services.engagement_report(actor=user, engagement=engagement, score=86, upload=pdf("报告.pdf"))
    app = transition_perform(actor=tree.users["ent"], application=engagement.application, action="submit")
    assert app.state == State.UNDER_REVIEW
    client.force_login(user)
    html = client.get(f"/engagements/{engagement.pk}/").content.decode()
    assert f'action="/engagements/{engagement.pk}/report/"' not in html
    assert "申报当前为“审核中”，不能再上传报告" in html
    assert f"待{tree.county.name}审核" in html
    html = client.post(f"/engagements/{engagement.pk}/report/", {"score": "95", "file": pdf()}).content.decode()
    assert "不能修改" in html and f'action="/engagements/{engagement.pk}/report/"' not in html
    assert MaterialFile.objects.filter(kind=THIRD_PARTY_REPORT).count() == 1
