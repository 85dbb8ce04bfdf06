"""A year's notice set up entirely in the browser: the province creates, configures and publishes it; 太原 forwards
it with earlier deadlines; an enterprise under 太原 sees the notice and its own deadline."""

from pathlib import Path

import pytest
from django.utils import timezone

from notices.models import Notice, Quota, RequiredMaterial
from tests.browser.conftest import screenshot
from tests.browser.test_login_dashboards import login
from tests.notice_helpers import sh

pytestmark = pytest.mark.browser
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

TITLE = "山西省工业和信息化厅关于组织开展{year}年度绿色制造名单推荐工作的通知"
BODY = """山西综改示范区管委会，各市工信局：

根据工作安排，现将{year}年度绿色制造名单推荐工作有关事项通知如下。

山西综改示范区管委会、各市工信局在充分征求当地生态环境、应急管理、市场监管等主管部门意见后确定推荐名单，于{year}年5月31日前报送至省工业和信息化厅（节能与综合利用处）。"""


@pytest.fixture
def media(settings, tmp_path):
    """Uploads land in a temporary directory, not in the working tree's var/media."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    return tmp_path


def go(page, url):
    page.goto(url)
    page.wait_for_load_state("networkidle")


def click(page, locator):
    locator.click()
    page.wait_for_load_state("networkidle")


def switch_user(page, base, username):
    page.context.clear_cookies()
    login(page, base, username)


def test_province_sets_up_a_notice_city_forwards_it_enterprise_sees_its_deadline(live_demo, page, media):
    base = live_demo.url
    year = timezone.localdate().year + 1  # deadlines in the future, so nothing shows as overdue
    title = TITLE.format(year=year)
    page.on("dialog", lambda dialog: dialog.accept())

    # The province creates the notice.
    login(page, base, "province")
    click(page, page.locator("nav.mainnav").get_by_role("link", name="年度通知"))
    click(page, page.get_by_role("link", name="新建通知"))
    page.fill("#id_year", str(year))
    page.fill("#id_title", title)
    page.fill("#id_doc_number", f"晋工信节能函〔{year}〕12号")
    page.select_option("#id_list_level", "province")
    page.fill("#id_issued_on", f"{year}-04-10")
    page.fill("#id_body", BODY.format(year=year))
    page.get_by_label("绿色工业园区").uncheck()  # opened later on the categories page
    click(page, page.get_by_role("button", name="创建草稿"))
    notice = Notice.objects.get(title=title)
    assert page.url == f"{base}/notices/{notice.pk}/"
    assert "已创建通知草稿" in page.locator(".messages").inner_text()

    # Categories: open 绿色工业园区, add a material to 绿色工厂, give 太原 a quota.
    click(page, page.get_by_role("link", name="配置类别/材料/名额"))
    click(page, page.locator("#cat-park").get_by_role("button", name="开放该类别"))
    assert "已保存“绿色工业园区”的设置" in page.locator(".messages").inner_text()
    factory = page.locator("#cat-factory")
    factory.get_by_label("材料名称").fill("绿色工厂自评价报告或第三方评价报告")
    factory.get_by_label("Word（docx）").check()
    factory.get_by_label("大小上限（MB）").fill("50")
    click(page, factory.get_by_role("button", name="添加材料"))
    assert page.locator("#cat-factory table").get_by_text("绿色工厂自评价报告或第三方评价报告").is_visible()
    page.get_by_label("太原市工业和信息化局 绿色工厂名额").fill("10")
    screenshot(page, "notice-categories")
    click(page, page.get_by_role("button", name="保存名额"))
    assert Quota.objects.get(notice_category__notice=notice, authority__name="太原市工业和信息化局").limit == 10
    assert RequiredMaterial.objects.get(notice_category__notice=notice).types == ["pdf", "docx"]

    # Deadline: cities report by 5/31, the end of the day.
    click(page, page.locator("nav.tabs").get_by_role("link", name="截止时间"))
    page.select_option("#id_stage", "authority")
    page.fill("#id_due_date", f"{year}-05-31")
    click(page, page.get_by_role("button", name="保存截止时间"))
    assert f"{year}年5月31日 23:59:59" in page.locator("table").inner_text()
    screenshot(page, "notice-deadlines-province")

    # Publish (the confirm dialog is accepted).
    click(page, page.locator("nav.tabs").get_by_role("link", name="通知详情"))
    click(page, page.get_by_role("button", name="发布", exact=True))
    assert "通知已发布" in page.locator(".messages").inner_text()
    assert page.locator(".meta .tag").inner_text() == "已发布"
    notice.refresh_from_db()
    assert notice.status == "published"
    screenshot(page, "notice-detail-province")

    # 太原 forwards it and sets earlier deadlines; a later one is refused in Chinese.
    switch_user(page, base, "city")
    go(page, f"{base}/notices/{notice.pk}/")
    click(page, page.get_by_role("button", name="转发（太原市工业和信息化局）"))
    copy = Notice.objects.get(forwards=notice, issuer__name="太原市工业和信息化局")
    assert page.url == f"{base}/notices/{copy.pk}/"
    click(page, page.locator("nav.tabs").get_by_role("link", name="截止时间"))
    hint = page.locator(".msg.hint").inner_text()
    assert f"{year}年5月31日 23:59:59" in hint and "山西省工业和信息化厅" in hint
    page.select_option("#id_stage", "authority")
    page.fill("#id_due_date", f"{year}-06-01")
    click(page, page.get_by_role("button", name="保存截止时间"))
    error = page.locator("#id_due_date-errors").inner_text()
    assert f"截止时间不能晚于上级通知规定的本单位报送截止时间{year}年5月31日 23:59:59" in error
    assert not copy.deadlines.exists()
    screenshot(page, "notice-deadlines-refused")
    page.fill("#id_due_date", f"{year}-05-17")
    click(page, page.get_by_role("button", name="保存截止时间"))
    page.select_option("#id_stage", "applicant")
    page.fill("#id_due_date", f"{year}-05-10")
    page.fill("#id_due_time", "17:00:00")
    page.fill("#id_note", "申报单位向所在县（市、区）工信局或开发区工业主管部门提交")
    click(page, page.get_by_role("button", name="保存截止时间"))
    assert {d.due_at for d in copy.deadlines.all()} == {
        sh(year, 5, 17, 23, 59, 59),
        sh(year, 5, 10, 17, 0, 0),
    }
    screenshot(page, "notice-deadlines-city")
    click(page, page.locator("nav.tabs").get_by_role("link", name="通知详情"))
    click(page, page.get_by_role("button", name="发布", exact=True))
    copy.refresh_from_db()
    assert copy.status == "published"

    # 太原 attaches the summary-table template and grants the enterprise two more days.
    click(page, page.get_by_role("link", name="上传附件"))
    page.set_input_files("#id_file", {"name": "附件2 推荐汇总表.pdf", "mimeType": "application/pdf", "buffer": PDF})
    click(page, page.get_by_role("button", name="上传", exact=True))
    assert "已上传附件“附件2 推荐汇总表.pdf”" in page.locator(".messages").inner_text()
    assert [p.read_bytes() for p in (media / "notices").rglob("*.pdf")] == [PDF]
    click(page, page.get_by_role("link", name="批准延期"))
    page.select_option("#id_deadline", label=f"申报单位提交｜全部｜{year}-05-10 17:00:00")
    page.select_option("#id_organization", label="山西晋阳精密机械有限公司")
    page.fill("#id_new_date", f"{year}-05-12")
    page.fill("#id_new_time", "12:00:00")
    page.fill("#id_reason", "厂区停电，评价报告盖章延误")
    screenshot(page, "notice-extension-form")
    click(page, page.get_by_role("button", name="批准延期"))
    assert "已批准“山西晋阳精密机械有限公司”延期至" in page.locator(".messages").inner_text()
    assert "厂区停电，评价报告盖章延误" in page.locator("#deadlines").inner_text()

    # The enterprise under 小店区 sees both notices and its own deadline on the city's.
    switch_user(page, base, "enterprise")
    click(page, page.locator("nav.mainnav").get_by_role("link", name="年度通知"))
    page.fill("#id_q", str(year))
    click(page, page.get_by_role("button", name="查询"))
    listed = page.locator("table.list tbody").inner_text()
    assert copy.title in listed and title in listed
    screenshot(page, "notice-list-enterprise")
    click(page, page.get_by_role("link", name=copy.title))
    own = page.locator(".own-deadline").inner_text()
    assert f"本单位申报截止：{year}年5月12日 12:00:00（含延期）" in own
    with page.expect_download() as download:
        page.get_by_role("link", name="附件2 推荐汇总表.pdf").click()
    assert download.value.suggested_filename == "附件2 推荐汇总表.pdf"
    assert Path(download.value.path()).read_bytes() == PDF
    assert page.locator(".own-deadline .overdue").count() == 0
    assert "转发" not in page.locator("main").get_by_role("button").all_inner_texts()
    screenshot(page, "notice-detail-enterprise")

    assert page.console_errors == []
    assert page.outside_requests == []
