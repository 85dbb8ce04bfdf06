"""County → city → province in the browser, each authority in its own browser context, on the demo data.

小店区 recommends 龙城环保 with its 初审意见 and sends it in a stamped batch; 太原 receives the batch, records its
审核意见 and sends its own batch; the province finds the application in its inbox, with the trail of both levels.
Screenshots of every step in test-artifacts/screenshots/journey-*.png.
"""

import pytest

from applications.models import Application, State
from reviews.models import Batch
from tests.application_helpers import PDF_BYTES
from tests.browser.conftest import screenshot
from tests.browser.test_login_dashboards import login

pytestmark = pytest.mark.browser

APPLICANT = "山西龙城环保装备股份有限公司"


def recommend_on_page(page, base, application, opinion_label, opinion):
    page.goto(f"{base}/applications/{application.pk}/")
    form = page.locator("form.action-form:has(input[name=action][value=recommend])")
    assert form.locator("label").inner_text().startswith(opinion_label)
    form.locator("textarea").fill(opinion)
    form.get_by_role("button", name="推荐").click()
    page.wait_for_load_state("networkidle")


def send_batch(page, base, application, recipient, tmp_path, shot):
    page.goto(f"{base}/reviews/batches/new/?applications={application.pk}")
    assert page.get_by_label(APPLICANT).is_checked()
    page.get_by_role("button", name="新建批次").click()
    page.wait_for_load_state("networkidle")
    assert "尚未生成推荐汇总表和推荐文" in page.locator("main").inner_text()
    scan = tmp_path / f"{shot}-推荐文（盖章）.pdf"
    scan.write_bytes(PDF_BYTES)
    page.get_by_label("选择扫描件").set_input_files(str(scan))
    page.get_by_role("button", name="上传").click()
    page.wait_for_load_state("networkidle")
    screenshot(page, f"journey-{shot}-batch")
    page.get_by_role("button", name=f"报送至{recipient}").click()
    page.wait_for_load_state("networkidle")
    assert f"已报送至{recipient}" in page.locator("main").inner_text()


def test_county_city_province_in_the_browser(live_demo, browser, tmp_path):
    base = live_demo.url
    application = Application.objects.get(applicant__name=APPLICANT, category="factory")
    assert application.state == State.UNDER_REVIEW

    def context_page():
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        page = context.new_page()
        page.errors = []
        page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
        return context, page

    # County.
    county_ctx, county = context_page()
    login(county, base, "county")
    county.goto(f"{base}/reviews/inbox/")
    assert APPLICANT in county.locator("table.inbox").inner_text()
    screenshot(county, "journey-1-county-inbox")
    recommend_on_page(county, base, application, "初审意见", "经初审，补充的能效证明材料齐全，同意推荐。")
    application.refresh_from_db()
    assert application.state == State.RECOMMENDED
    screenshot(county, "journey-2-county-recommended")
    send_batch(county, base, application, "太原市工业和信息化局", tmp_path, "3-county")

    # City: receives the batch, decides, sends its own.
    city_ctx, city = context_page()
    login(city, base, "city")
    city.goto(f"{base}/reviews/batches/?tab=incoming")
    county_batch = Batch.objects.filter(authority__name="太原市小店区工业和信息化局").latest("id")
    city.get_by_role("link", name=county_batch.title).first.click()
    city.wait_for_load_state("networkidle")
    city.get_by_role("button", name="签收批次").click()
    city.wait_for_load_state("networkidle")
    screenshot(city, "journey-4-city-received")
    recommend_on_page(city, base, application, "审核意见", "经审核并征求部门意见，同意推荐。")
    screenshot(city, "journey-5-city-recommended")
    send_batch(city, base, application, "山西省工业和信息化厅", tmp_path, "6-city")

    # Province: the application is in its inbox, with both levels' opinions on its page.
    province_ctx, province = context_page()
    login(province, base, "province")
    province.goto(f"{base}/reviews/inbox/")
    assert APPLICANT in province.locator("table.inbox").inner_text()
    screenshot(province, "journey-7-province-inbox")
    province.goto(f"{base}/applications/{application.pk}/")
    for folded in province.locator("#history details").all():
        folded.locator("summary").first.click()
    trail = province.locator("#history").inner_text()
    for text in (
        "太原市小店区工业和信息化局",
        "经初审，补充的能效证明材料齐全，同意推荐。",
        "太原市工业和信息化局",
        "经审核并征求部门意见，同意推荐。",
        "山西省工业和信息化厅",
    ):
        assert text in trail
    screenshot(province, "journey-8-province-trail")
    application.refresh_from_db()
    assert (application.state, application.holder.name) == (State.UNDER_REVIEW, "山西省工业和信息化厅")
    for p in (county, city, province):
        assert p.errors == []
    for ctx in (county_ctx, city_ctx, province_ctx):
        ctx.close()
