"""The whole year for 山西 in the browser, every role in its own browser context, on the demo's organizations and a
fresh notice for next year.

The ministry publishes the year's notice; 山西 and 太原 forward it with their own quotas and deadlines; 晋阳精密 (小店区)
applies as a 绿色工厂 with a third-party evaluation: category data, the negative list, its commitment, its materials
as real files, and 清源 accepts and files its report; the eligibility check passes and the enterprise submits. 小店区
consults its three departments (each answers in its own context), recommends and sends a stamped batch with the
summary table and letter generated; 太原 and 山西 receive and pass it up, 山西 through its expert panel (both experts
score in their own contexts, the ranking recommends); the ministry decides and publishes the 公示, which a visitor
reads without an account; once the 公示 period is over, the ministry finalizes and the unit is on the list, on the
public /lists/ page and in its own 名单. A screenshot per step: test-artifacts/screenshots/year-NN-<step>.png.
"""

import io
from datetime import timedelta
from itertools import count

import openpyxl
import pytest
from django.utils import timezone

from applications.models import Application, Declaration, Engagement, MaterialFile, NegativeItem, State
from listings.models import Listing
from notices.models import Notice, Quota
from organizations.models import Organization
from reviews.models import Assignment, Batch, Consultation, Panel, Publicity
from tests.application_helpers import PDF_BYTES
from tests.browser.conftest import screenshot, watched_page
from tests.browser.test_applicant import FACTORY_FORM, fill_form
from tests.browser.test_chain_journey import recommend_on_page
from tests.browser.test_login_dashboards import login

pytestmark = pytest.mark.browser

YEAR = timezone.localdate().year + 1  # a year no demo notice has: every deadline lies ahead
MINISTRY = "工业和信息化部节能与综合利用司"
PROVINCE = "山西省工业和信息化厅"
CITY = "太原市工业和信息化局"
COUNTY = "太原市小店区工业和信息化局"
ENTERPRISE = "山西晋阳精密机械有限公司"
ASSESSOR = "山西清源绿色评价技术有限公司"
TITLE = f"工业和信息化部办公厅关于组织开展{YEAR}年度绿色制造名单推荐工作的通知"
BODY = f"""各省、自治区、直辖市及计划单列市、新疆生产建设兵团工业和信息化主管部门：

为贯彻落实制造业绿色低碳发展要求，现组织开展{YEAR}年度绿色制造名单推荐工作。请于{YEAR}年9月30日前将推荐材料报送至工业和信息化部（节能与综合利用司）。"""


class Year:
    """The actors of the year, each in its own browser context, and the numbered screenshots."""

    def __init__(self, browser, base, tmp_path):
        self.browser, self.base, self.tmp = browser, base, tmp_path
        self.pages = {}
        self.numbers = count(1)

    def as_(self, username):
        if username not in self.pages:
            page = watched_page(self.browser)
            page.on("dialog", lambda dialog: dialog.accept())  # the confirm() before publishing and finalizing
            if username != "visitor":
                login(page, self.base, username)
                assert page.url == f"{self.base}/dashboard/", username
            self.pages[username] = page
        return self.pages[username]

    def go(self, page, path):
        page.goto(f"{self.base}{path}")  # returns once the page's load event has fired

    def shot(self, page, step):
        screenshot(page, f"year-{next(self.numbers):02d}-{step}")

    def file(self, name, content=PDF_BYTES):
        path = self.tmp / name
        path.write_bytes(content)
        return str(path)

    def close(self):
        for page in self.pages.values():
            page.wait_for_load_state("networkidle")  # no request left running when the database is flushed
            page.context.close()


def click(page, locator):
    """Click, then wait for the page the click led to (Playwright's click waits for a navigation to start)."""
    locator.click()
    page.wait_for_load_state("load")


def main_text(page):
    return page.locator("main").inner_text()


def messages(page):
    return page.locator(".messages").inner_text()


def set_deadline(page, stage, day, time=None):
    click(page, page.locator("nav.tabs").get_by_role("link", name="截止时间"))
    page.select_option("#id_stage", stage)
    page.fill("#id_due_date", day)
    if time:
        page.fill("#id_due_time", time)
    click(page, page.get_by_role("button", name="保存截止时间"))
    y, m, d = (int(part) for part in day.split("-"))
    assert f"{y}年{m}月{d}日 {time or '23:59:59'}" in page.locator("table").inner_text()


def publish(page):
    click(page, page.locator("nav.tabs").get_by_role("link", name="通知详情"))
    click(page, page.get_by_role("button", name="发布", exact=True))
    assert "通知已发布" in messages(page)


def set_quota(page, authority, limit):
    click(page, page.locator("nav.tabs").get_by_role("link", name="类别、材料与名额"))
    page.get_by_label(f"{authority} 绿色工厂名额").fill(str(limit))
    click(page, page.get_by_role("button", name="保存名额"))
    assert page.get_by_label(f"{authority} 绿色工厂名额").input_value() == str(limit)
    assert Quota.objects.get(authority__name=authority, notice_category__notice__year=YEAR).limit == limit


def forward(year, page, notice, authority) -> Notice:
    year.go(page, f"/notices/{notice.pk}/")
    click(page, page.get_by_role("button", name=f"转发（{authority}）"))
    copy = Notice.objects.get(forwards=notice, issuer__name=authority)
    assert page.url == f"{year.base}/notices/{copy.pk}/"
    return copy


def send_batch(year, page, application, recipient, step, *, documents=False) -> Batch:
    """From the recommended application to a batch submitted with its stamped scan (and its documents rendered)."""
    year.go(page, f"/reviews/batches/new/?applications={application.pk}")
    assert page.get_by_label(ENTERPRISE).is_checked()
    click(page, page.get_by_role("button", name="新建批次"))
    batch = Batch.objects.filter(authority=application.holder).latest("id")
    assert page.url == f"{year.base}/reviews/batches/{batch.pk}/"
    if documents:
        # The summary table and the letter render in the background; the row polls until its download appears.
        for kind in ("batch_summary", "batch_letter_pdf"):
            page.locator(f"tr[data-kind='{kind}']").get_by_role("button", name="生成").click()
            page.locator(f"tr[data-kind='{kind}'] a[download]").wait_for(timeout=60000)
        with page.expect_download() as download:
            page.locator("tr[data-kind='batch_summary'] a[download]").click()
        sheet = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes())).worksheets[0]
        cells = {str(c) for row in sheet.iter_rows(values_only=True) for c in row if c}
        assert ENTERPRISE in cells and f"推荐单位：{application.holder.name}" in cells
        with page.expect_download() as download:
            page.locator("tr[data-kind='batch_letter_pdf'] a[download]").click()
        assert download.value.path().read_bytes().startswith(b"%PDF")
        page.reload()
        assert "推荐汇总表和推荐文已生成" in main_text(page)
    page.get_by_label("选择扫描件").set_input_files(year.file(f"{step}-推荐文（盖章）.pdf"))
    click(page, page.get_by_role("button", name="上传"))
    assert "已上传盖章扫描件" in main_text(page)
    year.shot(page, f"{step}-batch")
    click(page, page.get_by_role("button", name=f"报送至{recipient}"))
    assert f"已报送至{recipient}" in main_text(page)
    batch.refresh_from_db()
    assert batch.state == Batch.State.SUBMITTED
    return batch


def receive(year, page, batch, step):
    year.go(page, "/reviews/batches/?tab=incoming")
    click(page, page.get_by_role("link", name=batch.title).first)
    click(page, page.get_by_role("button", name="签收批次"))
    assert "已签收" in main_text(page)
    year.shot(page, f"{step}-received")
    batch.refresh_from_db()
    assert batch.state == Batch.State.RECEIVED


def the_notices(year) -> tuple[Notice, Notice, Notice]:
    # The ministry drafts the year's notice, asks for a 申报书, gives 山西 its quota and a deadline, publishes.
    ministry = year.as_("ministry")
    click(ministry, ministry.locator("nav.mainnav").get_by_role("link", name="年度通知"))
    click(ministry, ministry.get_by_role("link", name="新建通知"))
    ministry.fill("#id_year", str(YEAR))
    ministry.fill("#id_title", TITLE)
    ministry.fill("#id_doc_number", f"工信厅节函〔{YEAR}〕88号")
    ministry.select_option("#id_list_level", "national")
    ministry.fill("#id_issued_on", f"{YEAR}-03-01")
    ministry.fill("#id_body", BODY)
    click(ministry, ministry.get_by_role("button", name="创建草稿"))
    notice = Notice.objects.get(title=TITLE)
    assert "已创建通知草稿" in messages(ministry)
    click(ministry, ministry.get_by_role("link", name="配置类别/材料/名额"))
    factory = ministry.locator("#cat-factory")
    factory.get_by_label("材料名称").fill("绿色工厂申报书")
    click(ministry, factory.get_by_role("button", name="添加材料"))
    assert ministry.locator("#cat-factory table").get_by_text("绿色工厂申报书").is_visible()
    set_quota(ministry, PROVINCE, 20)
    year.shot(ministry, "ministry-categories")
    set_deadline(ministry, "authority", f"{YEAR}-09-30")
    publish(ministry)
    year.shot(ministry, "ministry-published")

    # 山西 forwards it: cities report by 8/31, 太原 may recommend 10 factories.
    province = year.as_("province")
    year.go(province, "/notices/")
    assert TITLE in main_text(province)
    shanxi = forward(year, province, notice, PROVINCE)
    set_quota(province, CITY, 10)
    set_deadline(province, "authority", f"{YEAR}-08-31")
    publish(province)
    year.shot(province, "province-forwarded")

    # 太原 forwards 山西's: counties report by 7/31, applicants submit by 6/30 17:00.
    city = year.as_("city")
    taiyuan = forward(year, city, shanxi, CITY)
    set_quota(city, COUNTY, 3)
    set_deadline(city, "authority", f"{YEAR}-07-31")
    set_deadline(city, "applicant", f"{YEAR}-06-30", "17:00:00")
    publish(city)
    year.shot(city, "city-forwarded")
    for n in (notice, shanxi, taiyuan):
        n.refresh_from_db()
        assert n.status == Notice.Status.PUBLISHED
    assert taiyuan.deadlines.count() == 2 and shanxi.deadlines.count() == 1
    return notice, shanxi, taiyuan


def the_application(year, taiyuan) -> Application:
    enterprise = year.as_("enterprise")
    click(enterprise, enterprise.locator("nav.mainnav").get_by_role("link", name="我的申报"))
    click(enterprise, enterprise.get_by_role("link", name="开始申报"))
    offer = enterprise.locator(".offer", has=enterprise.get_by_role("link", name=taiyuan.title))
    assert f"申报截止 {YEAR}年6月30日 17:00:00" in offer.inner_text()
    click(enterprise, offer.get_by_role("link", name="申报绿色工厂"))
    enterprise.get_by_label("第三方评价", exact=True).check()
    click(enterprise, enterprise.get_by_role("button", name="创建申报草稿"))
    application = Application.objects.get(applicant__name=ENTERPRISE, notice=taiyuan)
    assert application.evaluation_mode == "third_party"

    # Category data, the negative list, the commitment, the 申报书 as a real file.
    fill_form(enterprise, FACTORY_FORM)
    click(enterprise, enterprise.get_by_role("button", name="保存并检查"))
    assert "申报信息填写完整" in messages(enterprise)
    click(enterprise, enterprise.locator(".todo").get_by_role("link", name="负面清单声明与承诺"))
    for code in NegativeItem.values:
        enterprise.locator(f'input[name="occurred_{code}"][value="False"]').check()
    click(enterprise, enterprise.get_by_role("button", name="保存声明"))
    enterprise.get_by_label("承诺人（法定代表人或授权代表）").fill("王建国")
    enterprise.get_by_label("本单位承诺以上声明真实").check()
    click(enterprise, enterprise.get_by_role("button", name="签署承诺书"))
    assert "已签署承诺书" in messages(enterprise)
    material = taiyuan.categories.get(category="factory").materials.get()
    enterprise.set_input_files(f"#file-{material.pk}", year.file("绿色工厂申报书.pdf"))
    click(enterprise, enterprise.locator(f"#material-{material.pk}").get_by_role("button", name="上传", exact=True))
    assert "已上传“绿色工厂申报书”第1版" in messages(enterprise)
    assert Declaration.objects.filter(application=application, occurred=False).count() == 9
    year.shot(enterprise, "enterprise-draft")

    # The enterprise commissions 清源; the assessor accepts and files its report with a score.
    year.go(enterprise, f"/applications/{application.pk}/engagement/")
    enterprise.get_by_label("第三方评价机构").select_option(str(Organization.objects.get(name=ASSESSOR).pk))
    click(enterprise, enterprise.get_by_role("button", name="发出委托"))
    assert f"已向“{ASSESSOR}”发出评价委托" in messages(enterprise)
    engagement = Engagement.objects.get(application=application)
    assessor = year.as_("assessor")
    row = assessor.locator("#pending tr", has=assessor.locator(f'a[href="/engagements/{engagement.pk}/"]'))
    assert ENTERPRISE in row.inner_text()
    click(assessor, row.get_by_role("link", name="查看并答复"))
    assessor.get_by_label("项目负责人").fill("韩立群")
    click(assessor, assessor.get_by_role("button", name="接受委托"))
    assert "已接受" in messages(assessor)
    assessor.get_by_label("第三方评价得分（0–100）").fill("87.5")
    assessor.get_by_label("第三方评价报告（PDF）").set_input_files(year.file("第三方评价报告.pdf"))
    click(assessor, assessor.get_by_role("button", name="上传报告"))
    assert "已上传第三方评价报告（第1版），得分 87.5" in messages(assessor)
    year.shot(assessor, "assessor-report")
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.ACCEPTED and float(engagement.score) == 87.5

    # The eligibility check on the application page, then submit: it lands at 小店区.
    year.go(enterprise, f"/applications/{application.pk}/")
    assert "资格审查通过" in enterprise.locator("#eligibility").inner_text()
    assert "可以提交" in enterprise.locator(".todo").inner_text()
    year.shot(enterprise, "enterprise-eligibility")
    click(enterprise, enterprise.locator("#actions").get_by_role("button", name="提交", exact=True))
    assert f"已提交，现由{COUNTY}审核" in messages(enterprise)
    application.refresh_from_db()
    assert (application.state, application.holder.name) == (State.UNDER_REVIEW, COUNTY)
    assert MaterialFile.objects.filter(application=application).count() == 2  # 申报书 and the assessor's report
    year.shot(enterprise, "enterprise-submitted")
    return application


def the_county(year, application) -> Batch:
    county = year.as_("county")
    year.go(county, "/reviews/inbox/")
    assert ENTERPRISE in county.locator("table.inbox").inner_text()
    year.shot(county, "county-inbox")

    # It consults its 生态环境, 应急管理 and 市场监管 departments; each answers in its own context.
    year.go(county, f"/reviews/consultations/new/?applications={application.pk}")
    assert county.locator("input[name=departments]:checked").count() == 3
    click(county, county.get_by_role("button", name="发出征求意见"))
    consultation = Consultation.objects.filter(authority__name=COUNTY).latest("id")
    assert [r.application_id for r in consultation.replies.all()] == [application.pk] * 3
    for username, finding in (
        ("county-eco", "经核查，该企业近三年无环境违法记录。"),
        ("county-safety", "经核查，该企业近三年未发生生产安全事故。"),
        ("county-market", "经核查，该企业近三年无产品质量违法记录。"),
    ):
        department = year.as_(username)
        year.go(department, f"/reviews/consultations/{consultation.pk}/")
        department.get_by_role("radio", name="无异议", exact=True).check()
        department.get_by_label("理由（有异议的必须填写）").fill(finding)
        click(department, department.get_by_role("button", name="提交意见"))
        assert "已反馈" in main_text(department)
    year.shot(department, "department-replied")
    year.go(county, f"/reviews/consultations/{consultation.pk}/")
    assert "近三年未发生生产安全事故" in main_text(county)
    year.shot(county, "county-consultation")
    assert not consultation.replies.exclude(opinion="no_objection").exists()

    recommend_on_page(county, year.base, application, "初审意见", "经初审并征求部门意见，材料齐全，同意推荐。")
    application.refresh_from_db()
    assert application.state == State.RECOMMENDED
    return send_batch(year, county, application, CITY, "county", documents=True)


def the_city(year, application, batch) -> Batch:
    city = year.as_("city")
    receive(year, city, batch, "city")
    recommend_on_page(city, year.base, application, "审核意见", "经审核，同意推荐。")
    return send_batch(year, city, Application.objects.get(pk=application.pk), PROVINCE, "city")


def the_province(year, application, batch, shanxi) -> Batch:
    province = year.as_("province")
    receive(year, province, batch, "province")

    # The expert panel for the year's factories: both experts of the pool, two criteria, balanced assignment.
    click(province, province.locator("nav.mainnav").get_by_role("link", name="专家评审"))
    year.go(province, "/reviews/experts/panels/new/")
    province.get_by_label("依据的通知").select_option(label=f"{YEAR}年度 · {shanxi.title}")
    province.get_by_label("申报类别").select_option("factory")
    province.get_by_label("评审组名称").fill(f"{YEAR}年度绿色工厂评审组")
    province.get_by_label("每项申报评审专家数").fill("2")
    for box in province.locator("input[name=experts]").all():
        box.check()
    click(province, province.get_by_role("button", name="保存"))
    panel = Panel.objects.get(name=f"{YEAR}年度绿色工厂评审组")
    year.go(province, f"/reviews/experts/panels/{panel.pk}/")
    for n, (name, weight) in enumerate((("能源与资源投入", "60"), ("环境排放", "40")), start=1):
        province.fill(f"#c{n}-name", name)
        province.fill(f"#c{n}-weight", weight)
        province.fill(f"#c{n}-max", "100")
    click(province, province.get_by_role("button", name="保存评分表"))
    assert "评分表已保存，共2项" in messages(province)
    click(province, province.get_by_role("button", name="自动分配（均衡负载）"))
    assert "自动分配完成" in main_text(province)
    year.shot(province, "province-panel")
    assignments = Assignment.objects.filter(panel=panel, application=application)
    assert assignments.count() == 2

    # Weighted totals: 91 × 0.6 + 88 × 0.4 = 89.80 and 86 × 0.6 + 90 × 0.4 = 87.60.
    for assignment, (energy, emission, total) in zip(
        assignments.select_related("expert__user"), ((91, 88, "89.80"), (86, 90, "87.60")), strict=True
    ):
        expert = year.as_(assignment.expert.user.username)
        year.go(expert, "/reviews/experts/assignments/")
        click(expert, expert.locator(f'a[href="/reviews/experts/assignments/{assignment.pk}/"]').first)
        expert.get_by_label("能源与资源投入").fill(str(energy))
        expert.get_by_label("环境排放").fill(str(emission))
        expert.get_by_label("评审意见").fill("能效水平先进，污染物排放稳定达标。")
        click(expert, expert.get_by_role("button", name="提交评分"))
        assert f"评分已提交，加权总分 {total}" in messages(expert)
        year.shot(expert, "expert-scored")

    year.go(province, f"/reviews/experts/panels/{panel.pk}/ranking/")
    assert ENTERPRISE in main_text(province)
    province.get_by_label(f"选择{ENTERPRISE}").check()
    province.get_by_label("推荐", exact=True).check()
    province.get_by_label("意见").fill("经专家评审，综合排名靠前，同意推荐为国家级绿色工厂。")
    year.shot(province, "province-ranking")
    click(province, province.get_by_role("button", name="提交决定"))
    assert "已推荐1项" in main_text(province)
    application.refresh_from_db()
    assert application.state == State.RECOMMENDED
    return send_batch(year, province, application, MINISTRY, "province")


def the_ministry(year, application, batch, notice) -> Publicity:
    ministry = year.as_("ministry")
    receive(year, ministry, batch, "ministry")
    recommend_on_page(ministry, year.base, application, "审核意见", "经专家论证，拟列入国家级绿色制造名单。")
    application.refresh_from_db()
    assert application.state == State.RECOMMENDED

    # The 公示: a draft with this unit only, then published.
    today = timezone.localdate()
    year.go(ministry, "/reviews/publicity/new/")
    ministry.get_by_label("依据的年度通知").select_option(str(notice.pk))
    ministry.get_by_label("公示标题").fill(f"{YEAR}年度绿色制造名单公示")
    ministry.get_by_label("公示开始日期").fill(f"{today:%Y-%m-%d}")
    ministry.get_by_label("公示结束日期").fill(f"{today + timedelta(days=7):%Y-%m-%d}")
    ministry.get_by_label("联系方式").fill("工业和信息化部节能与综合利用司 010-68205352")
    for box in ministry.locator("input[name=applications]").all():
        box.uncheck()
    ministry.get_by_label(f"{ENTERPRISE}（绿色工厂）").check()
    click(ministry, ministry.get_by_role("button", name="保存草稿"))
    assert "公示草稿已保存，共1项" in messages(ministry)
    click(ministry, ministry.get_by_role("button", name="发布公示"))
    publicity = Publicity.objects.get(title=f"{YEAR}年度绿色制造名单公示")
    assert publicity.state == Publicity.State.PUBLISHED
    year.shot(ministry, "ministry-publicity")

    # A visitor without an account reads it.
    visitor = year.as_("visitor")
    year.go(visitor, "/publicity/")
    click(visitor, visitor.get_by_role("link", name=publicity.title))
    public = main_text(visitor)
    assert ENTERPRISE in public and "小店区" in public
    assert Organization.objects.get(name=ENTERPRISE).credit_code not in public
    year.shot(visitor, "visitor-publicity")
    return publicity


def the_list(year, application, publicity):
    # Time passes: the 公示 period is over (moved into the past; the service refuses to finalize before its end).
    today = timezone.localdate()
    Publicity.objects.filter(pk=publicity.pk).update(
        starts_on=today - timedelta(days=8), ends_on=today - timedelta(days=1)
    )
    ministry = year.as_("ministry")
    year.go(ministry, f"/reviews/publicity/{publicity.pk}/")
    click(ministry, ministry.get_by_role("button", name="定稿并作出最终决定"))
    assert "公示已定稿，最终名单已生成" in messages(ministry)
    year.shot(ministry, "ministry-finalized")
    application.refresh_from_db()
    assert application.state == State.LISTED
    listing = Listing.objects.get(organization__name=ENTERPRISE, year=YEAR)
    assert listing.category == "factory"

    # The public list shows the unit; the unit sees its entry in its own 名单.
    visitor = year.as_("visitor")
    year.go(visitor, "/lists/")
    visitor.locator("#f-year").select_option(str(YEAR))
    visitor.locator("#f-q").fill("晋阳精密")
    click(visitor, visitor.get_by_role("button", name="查询"))
    assert ENTERPRISE in visitor.locator("main table").inner_text()
    year.shot(visitor, "visitor-lists")
    enterprise = year.as_("enterprise")
    click(enterprise, enterprise.locator("nav.mainnav").get_by_role("link", name="名单"))
    entry = enterprise.locator("main table tbody tr", has_text=str(YEAR)).inner_text()
    assert ENTERPRISE in entry and "国家级" in entry and MINISTRY in entry
    year.shot(enterprise, "enterprise-listed")
    listed = year.as_("listed")
    click(listed, listed.locator("nav.mainnav").get_by_role("link", name="名单"))
    assert "太原太钢不锈钢精密带钢有限公司" in main_text(listed) and ENTERPRISE not in main_text(listed)  # its own only
    year.shot(listed, "listed-entry")


def test_a_year_for_shanxi_from_the_notice_to_the_list(live_demo, browser, tmp_path):
    year = Year(browser, live_demo.url, tmp_path)
    try:
        notice, shanxi, taiyuan = the_notices(year)
        application = the_application(year, taiyuan)
        batch = the_county(year, application)
        batch = the_city(year, application, batch)
        batch = the_province(year, application, batch, shanxi)
        publicity = the_ministry(year, application, batch, notice)
        the_list(year, application, publicity)
        for username, page in year.pages.items():
            assert page.console_errors == [], username
            assert page.outside_requests == [], username
    finally:
        year.close()
