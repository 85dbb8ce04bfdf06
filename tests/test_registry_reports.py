"""The yearly work report (年度工作情况): the province opens a call with a deadline, filed assessors report against
it (refused after the deadline, on the server, Asia/Shanghai), the province reads, accepts or returns it; a returned
report filed again after the deadline is marked late; the tracking page says filed / late / missing."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from activity.models import AuditEvent, Notification
from organizations import services_registry as services
from organizations.models import AnnualReportCall, AssessorAnnualReport
from organizations.selectors_registry import calls_visible_to, reports_visible_to
from tests.factories import authority, member
from tests.registry_helpers import (
    PNG_BYTES,
    REPORT_DATA,
    approved,
    new_assessor,
    open_call,
    past_due,
    pdf,
    report,
)

LAST_YEAR = timezone.localdate().year - 1


@pytest.fixture
def filed(tree):
    """An assessor filed with 山西, and the province's call for last year's report."""
    assessor, user = new_assessor("晋源评价咨询有限公司")
    approved(user, assessor, tree.province, tree.users["province"])
    call = open_call(tree.users["province"], tree.province, year=LAST_YEAR)
    return assessor, user, call


def test_a_call_is_opened_with_its_deadline_and_filed_assessors_are_told(tree, filed):
    assessor, user, call = filed
    assert call.year == LAST_YEAR and call.due_at > timezone.now()
    note = Notification.objects.filter(recipient=user).latest("id")
    assert note.title == f"山西省工信厅（测试）：请填报{LAST_YEAR}年度评价机构工作情况"
    assert note.url == f"/assessors/calls/{call.pk}/report/"
    with pytest.raises(ValidationError) as excinfo:
        open_call(tree.users["province"], tree.province, year=LAST_YEAR)
    assert excinfo.value.message_dict == {"year": [f"已发布{LAST_YEAR}年度工作情况填报通知，无需重复发布。"]}
    with pytest.raises(ValidationError) as excinfo:
        services.annual_call_open(
            actor=tree.users["province"],
            authority=tree.province,
            year=LAST_YEAR - 1,
            due_at=timezone.localdate() - timedelta(days=1),
        )
    assert excinfo.value.message_dict == {"due_at": ["填报截止时间不能早于现在。"]}
    with pytest.raises(PermissionDenied):
        open_call(tree.users["city"], tree.province, year=LAST_YEAR - 1)
    with pytest.raises(ValidationError):
        open_call(tree.users["city"], tree.city, year=LAST_YEAR - 1)


def test_a_day_deadline_ends_at_midnight_shanghai(tree):
    day = timezone.localdate() + timedelta(days=3)
    call = services.annual_call_open(actor=tree.users["province"], authority=tree.province, year=LAST_YEAR, due_at=day)
    local = timezone.localtime(call.due_at)
    assert (local.date(), local.hour, local.minute, local.second, str(local.tzinfo)) == (
        day,
        23,
        59,
        59,
        "Asia/Shanghai",
    )


def test_the_report_is_filed_before_the_deadline_and_refused_after(tree, filed):
    assessor, user, call = filed
    filed_report = report(user, assessor, call)
    assert (filed_report.status, filed_report.late, filed_report.projects_evaluated) == ("submitted", False, 12)
    assert filed_report.self_check_failed == []
    assert AuditEvent.objects.filter(verb="annual_report.submit", organization=assessor).count() == 1
    with pytest.raises(ValidationError) as excinfo:
        report(user, assessor, call)
    assert excinfo.value.messages == [f"本机构已填报{LAST_YEAR}年度工作情况（已填报），无需重复填报。"]

    other, other_user = new_assessor()
    approved(other_user, other, tree.province, tree.users["province"])
    past_due(call)
    due = timezone.localtime(call.due_at)
    with pytest.raises(ValidationError) as excinfo:
        report(other_user, other, call)
    assert excinfo.value.messages == [
        f"{LAST_YEAR}年度工作情况的填报截止时间为{due:%Y年%m月%d日 %H:%M}（北京时间），已经截止，不能再填报。"
        "请联系山西省工信厅（测试）。"
    ]
    assert not AssessorAnnualReport.objects.filter(assessor=other).exists()


def test_a_returned_report_can_be_filed_again_after_the_deadline_and_is_late(tree, filed):
    assessor, user, call = filed
    first = report(user, assessor, call)
    with pytest.raises(ValidationError) as excinfo:
        services.annual_report_review(actor=tree.users["province"], report=first, accept=False)
    assert excinfo.value.message_dict == {"opinion": ["退回修改须填写审阅意见。"]}
    services.annual_report_review(actor=tree.users["province"], report=first, accept=False, opinion="请附项目清单")
    past_due(call)
    again = report(user, assessor, call, projects_evaluated=13)
    assert again.pk == first.pk and (again.status, again.late, again.projects_evaluated) == ("submitted", True, 13)
    assert AuditEvent.objects.filter(verb="annual_report.resubmit").count() == 1
    services.annual_report_review(actor=tree.users["province"], report=again, accept=True, opinion="")
    again.refresh_from_db()
    assert again.status == "accepted"


def test_the_report_data_is_checked(tree, filed):
    assessor, user, call = filed
    with pytest.raises(ValidationError) as excinfo:
        report(
            user,
            assessor,
            call,
            projects_evaluated=3,
            passed_province=None,
            passed_national=4,
            summary=" ",
            self_check={"fraud": True},
        )
    assert excinfo.value.message_dict == {
        "passed_national": ["列入国家级名单的项目数不能多于开展评价项目数。"],
        "summary": ["请填写工作情况总结。"],
        "self_check_note": ["有未确认的“十个严禁”事项，请在自查说明中说明情况。"],
    }
    noted = report(
        user, assessor, call, self_check={"fraud": True}, self_check_note="一个项目因疫情未能现场核查，已补做。"
    )
    assert len(noted.self_check_failed) == 9 and "严禁不登门服务搞评价" in noted.self_check_failed


def test_the_report_file_must_really_be_a_pdf(tree, filed, media_tmp):
    assessor, user, call = filed
    disguised = SimpleUploadedFile("年度工作情况.pdf", PNG_BYTES, content_type="application/pdf")
    with pytest.raises(ValidationError) as excinfo:
        services.annual_report_submit(actor=user, assessor=assessor, call=call, data=REPORT_DATA, upload=disguised)
    assert excinfo.value.message_dict == {"file": ["文件“年度工作情况.pdf”的实际内容是PNG 图片，此处只接受PDF。"]}
    assert not AssessorAnnualReport.objects.exists()
    assert not [p for p in media_tmp.rglob("*") if p.is_file() and "reports" in p.parts]


def test_only_filed_assessors_report_to_the_province(tree, filed):
    _, _, call = filed
    stranger, stranger_user = new_assessor()
    with pytest.raises(PermissionDenied) as excinfo:
        report(stranger_user, stranger, call)
    assert str(excinfo.value) == "只有在山西省工信厅（测试）备案的评价机构可以向其填报年度工作情况。"
    assessor, user, _ = filed
    with pytest.raises(PermissionDenied):
        report(stranger_user, assessor, call)  # not its member


def test_reporting_through_the_pages(tree, filed, client):
    assessor, user, call = filed
    client.force_login(user)
    home = client.get("/assessors/").content.decode()
    assert f'href="/assessors/calls/{call.pk}/report/"' in home and f"{LAST_YEAR}年度" in home
    form = client.get(f"/assessors/calls/{call.pk}/report/").content.decode()
    assert "严禁借用资质搞评价" in form and "填报截止" in form
    refused = client.post(
        f"/assessors/calls/{call.pk}/report/",
        {
            "projects_evaluated": "5",
            "summary": "全年评价5项",
            "self_check": ["fraud", "copying"],
            "file": SimpleUploadedFile("年度工作情况.pdf", PNG_BYTES),
        },
    )
    body = refused.content.decode()
    assert "有未确认的“十个严禁”事项，请在自查说明中说明情况。" in body
    assert "文件“年度工作情况.pdf”的实际内容是PNG 图片，此处只接受PDF。" not in body  # data first, file after
    checks = [code for code, _ in services.TEN_PROHIBITIONS]
    refused = client.post(
        f"/assessors/calls/{call.pk}/report/",
        {
            "projects_evaluated": "5",
            "summary": "全年评价5项",
            "self_check": checks,
            "file": SimpleUploadedFile("年度工作情况.pdf", PNG_BYTES),
        },
    )
    assert "文件“年度工作情况.pdf”的实际内容是PNG 图片，此处只接受PDF。" in refused.content.decode()
    done = client.post(
        f"/assessors/calls/{call.pk}/report/",
        {"projects_evaluated": "5", "summary": "全年评价5项", "self_check": checks, "file": pdf("年度工作情况.pdf")},
    )
    saved = AssessorAnnualReport.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/assessors/reports/{saved.pk}/"
    detail = client.get(f"/assessors/reports/{saved.pk}/").content.decode()
    assert "✓ 经自查不存在：严禁托请找人搞评价" in detail and 'id="review"' not in detail
    download = client.get(f"/assessors/reports/{saved.pk}/file/")
    assert b"".join(download.streaming_content).startswith(b"%PDF-")

    client.force_login(tree.users["province"])
    page = client.get(f"/assessors/reports/{saved.pk}/").content.decode()
    assert 'id="review"' in page
    client.post(f"/assessors/reports/{saved.pk}/review/", {"decision": "return", "opinion": "请附项目清单"})
    saved.refresh_from_db()
    assert (saved.status, saved.review_opinion) == ("returned", "请附项目清单")


def test_the_tracking_page_says_filed_late_and_missing(tree, filed, client):
    assessor, user, call = filed
    report(user, assessor, call)
    late, late_user = new_assessor("迟交评价有限公司")
    approved(late_user, late, tree.province, tree.users["province"])
    late_report = report(late_user, late, call)
    services.annual_report_review(actor=tree.users["province"], report=late_report, accept=False, opinion="补充")
    missing, missing_user = new_assessor("未交评价有限公司")
    approved(missing_user, missing, tree.province, tree.users["province"])
    past_due(call)
    report(late_user, late, call)
    client.force_login(tree.users["province"])
    page = client.get(f"/assessors/calls/{call.pk}/").content.decode()
    assert "应填报 3 家：按时 1，逾期 1，退回修改 0，未填报 1" in page
    assert page.index("未交评价有限公司") < page.index("迟交评价有限公司") < page.index("晋源评价咨询有限公司")
    assert "逾期未填报" in page
    only_missing = client.get(f"/assessors/calls/{call.pk}/?state=missing").content.decode()
    assert "未交评价有限公司" in only_missing and "晋源评价咨询有限公司" not in only_missing
    # An assessor opening the call goes to its own report form.
    client.force_login(missing_user)
    assert client.get(f"/assessors/calls/{call.pk}/")["Location"] == f"/assessors/calls/{call.pk}/report/"


def test_calls_and_reports_are_visible_to_their_province_the_ministry_and_the_reporting_assessor(tree, filed, client):
    assessor, user, call = filed
    filed_report = report(user, assessor, call)
    jilin = authority("吉林省工信厅（测试）", "220000", "province", tree.ministry)
    jilin_user = member(jilin)
    stranger, stranger_user = new_assessor()
    assert set(calls_visible_to(user)) == {call} and set(calls_visible_to(tree.users["ministry"])) == {call}
    assert not calls_visible_to(jilin_user).exists() and not calls_visible_to(stranger_user).exists()
    assert set(reports_visible_to(tree.users["province"])) == {filed_report}
    assert not reports_visible_to(jilin_user).exists() and not reports_visible_to(tree.users["city"]).exists()
    for who in (jilin_user, stranger_user, tree.users["city"], tree.users["ent"]):
        client.force_login(who)
        assert client.get(f"/assessors/reports/{filed_report.pk}/").status_code == 404
        assert client.get(f"/assessors/reports/{filed_report.pk}/file/").status_code == 404
        assert client.get(f"/assessors/calls/{call.pk}/").status_code == 404
    client.force_login(jilin_user)
    assert client.post(f"/assessors/reports/{filed_report.pk}/review/", {"decision": "accept"}).status_code == 404


def test_the_call_list_opens_a_call(tree, client):
    client.force_login(tree.users["province"])
    page = client.get("/assessors/calls/").content.decode()
    assert "还没有发布年度工作情况填报通知" in page and 'id="open-call"' in page
    due = timezone.localdate() + timedelta(days=20)
    response = client.post(
        "/assessors/calls/",
        {"authority": tree.province.pk, "year": LAST_YEAR, "due_on": due.isoformat(), "note": "请于4月30日前填报"},
    )
    call = AnnualReportCall.objects.get()
    assert response["Location"] == f"/assessors/calls/{call.pk}/"
    again = client.post("/assessors/calls/", {"authority": tree.province.pk, "year": LAST_YEAR, "due_on": "2000-01-01"})
    body = again.content.decode()
    assert "填报截止时间不能早于现在。" in body and f"已发布{LAST_YEAR}年度工作情况填报通知" in body
    client.force_login(tree.users["city"])
    assert client.get("/assessors/calls/").status_code == 404
