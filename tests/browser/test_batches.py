"""A recommendation batch in the browser: 小店区 recommends the demo's submitted applications, builds a batch from the
list of recommended ones, reads the findings (scan missing, documents not yet generated), uploads the stamped scan
and submits it to 太原市, which finds it under 收到的批次 and receives it."""

import io

import openpyxl
import pytest
from django.contrib.auth import get_user_model

from applications.models import Application, State
from organizations.models import Organization
from reviews.models import ConsultationReply
from reviews.services import transition_perform
from reviews.services.consultations import reply_submit
from tests.application_helpers import PDF_BYTES
from tests.browser.conftest import screenshot
from tests.browser.test_login_dashboards import login

pytestmark = pytest.mark.browser

COUNTY = "太原市小店区工业和信息化局"


def recommend_in_demo() -> list[Application]:
    user = get_user_model().objects.get(username="county")
    county = Organization.objects.get(name=COUNTY)
    apps = []
    for reply in ConsultationReply.objects.filter(consultation__authority=county, opinion="pending"):
        member = reply.department.memberships.first().user
        reply_submit(actor=member, reply=reply, opinion="no_objection", reason="经核查无相关记录。")
    for app in Application.objects.filter(holder=county, state=State.UNDER_REVIEW):
        apps.append(transition_perform(actor=user, application=app, action="recommend", reason="初审通过，同意推荐。"))
    assert apps, "演示数据中小店区没有待审核的申报"
    return apps


def test_county_builds_and_submits_a_batch_the_city_receives(live_demo, page, tmp_path):
    apps = recommend_in_demo()
    base = live_demo.url
    login(page, base, "county")
    page.goto(f"{base}/reviews/batches/")
    assert "太原市小店区工业和信息化局2024年度绿色制造名单第1批推荐" in page.locator("main").inner_text()  # the demo's
    page.get_by_role("link", name="新建推荐批次").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_label(apps[0].applicant.name).is_checked()
    screenshot(page, "batch-new")
    page.get_by_role("button", name="新建批次").click()
    page.wait_for_load_state("networkidle")
    main = page.locator("main").inner_text()
    assert "尚未生成推荐汇总表和推荐文" in main and "尚未上传推荐文和推荐汇总表签字盖章后的扫描件" in main
    assert page.get_by_role("button", name="报送至太原市工业和信息化局").is_disabled()
    screenshot(page, "batch-draft")

    # The summary table and the letter: rendered in the background, the row polls itself until the link appears.
    for kind in ("batch_summary", "batch_letter_pdf"):
        row = page.locator(f"tr[data-kind='{kind}']")
        row.get_by_role("button", name="生成").click()
        row = page.locator(f"tr[data-kind='{kind}']")
        row.locator("a[download]").wait_for(timeout=30000)
    with page.expect_download() as download:
        page.locator("tr[data-kind='batch_summary'] a[download]").click()
    assert download.value.suggested_filename.endswith("推荐汇总表.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes())).worksheets[0]
    cells = {str(c) for row in sheet.iter_rows(values_only=True) for c in row if c}
    assert "县级工业和信息化主管部门推荐汇总表" in cells and apps[0].applicant.name in cells
    assert f"推荐单位：{COUNTY}" in cells
    screenshot(page, "batch-documents")
    page.reload()
    assert "推荐汇总表和推荐文已生成" in page.locator("main").inner_text()

    scan = tmp_path / "推荐文（盖章）.pdf"
    scan.write_bytes(PDF_BYTES)
    page.get_by_label("选择扫描件").set_input_files(str(scan))
    page.get_by_role("button", name="上传").click()
    page.wait_for_load_state("networkidle")
    assert "已上传盖章扫描件" in page.locator("main").inner_text()
    page.get_by_role("button", name="报送至太原市工业和信息化局").click()
    page.wait_for_load_state("networkidle")
    assert "已报送至太原市工业和信息化局" in page.locator("main").inner_text()
    screenshot(page, "batch-submitted")

    page.context.clear_cookies()
    login(page, base, "city")
    page.goto(f"{base}/reviews/batches/?tab=incoming")
    page.locator("table.batches a").first.click()
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="签收批次").click()
    page.wait_for_load_state("networkidle")
    assert "已签收" in page.locator("main").inner_text()
    assert page.get_by_label("退回整个批次的理由（必填）").is_visible()
    screenshot(page, "batch-received")
    assert not page.outside_requests and not page.console_errors
