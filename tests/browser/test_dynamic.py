"""The 动态管理表 in the browser: a listed unit fills and submits its table, the city sees the worse value flagged on
the round page and returns the report. Screenshots go to test-artifacts/screenshots."""

from types import SimpleNamespace

import pytest

from listings.models import DynamicReport
from tests.browser.conftest import screenshot
from tests.browser.test_login_dashboards import login
from tests.dynamic_helpers import FACTORY, filed, open_round
from tests.factories import PASSWORD, authority, enterprise, member
from tests.listing_helpers import listing
from tests.support import ensure_regions

pytestmark = pytest.mark.browser


def test_a_unit_files_and_the_city_sees_the_flag_in_the_browser(transactional_db, live_server, media_tmp, page):
    ensure_regions()
    ministry = authority("工信部节能司（浏览器）", "110000", "ministry")
    province = authority("山西省工信厅（浏览器）", "140000", "province", ministry)
    city = authority("太原市工信局（浏览器）", "140100", "city", province)
    county = authority("小店区工信局（浏览器）", "140105", "county", city)
    ent = enterprise("小店绿色机械有限公司", county)
    for i in range(3):
        listing(enterprise(f"太原示例制造{i}有限公司", county), city, year=2021)
    tree = SimpleNamespace(city=city, users={"city": member(city, username="b-city")})
    entry = listing(ent, city, year=2022)
    unit = member(ent, username="b-ent")
    filed(open_round(tree, year=2023), entry, unit)
    round_ = open_round(tree, year=2024)

    login(page, live_server.url, "b-ent", PASSWORD)
    page.goto(f"{live_server.url}/dynamic/")
    page.get_by_role("button", name="开始填报").click()
    page.wait_for_load_state("networkidle")
    for code, value in {**FACTORY, "energy_per_unit": 125}.items():
        page.locator(f"input[name={code}]").fill(str(value))
    for code in ("name", "address", "scope"):
        page.locator(f"input[name=chg_{code}][value=unchanged]").check()
    screenshot(page, "dynamic-report-form")
    page.get_by_role("button", name="提交", exact=True).click()
    page.wait_for_load_state("networkidle")
    report = DynamicReport.objects.get(round=round_)
    assert report.status == "submitted" and [f["code"] for f in report.flags] == ["energy_per_unit"]
    assert "已提交动态管理表。" in page.content()
    assert page.locator("tr.worse").count() == 1
    screenshot(page, "dynamic-report-submitted")

    page.context.clear_cookies()
    login(page, live_server.url, "b-city", PASSWORD)
    page.goto(f"{live_server.url}/dynamic/rounds/{round_.pk}/")
    assert page.locator("tr").filter(has_text="小店绿色机械有限公司").locator(".flags").inner_text().strip() == (
        "单位产品综合能耗 +25.0%"
    )
    screenshot(page, "dynamic-round")
    page.get_by_role("link", name="小店绿色机械有限公司").click()
    page.get_by_role("radio", name="退回修改").check()
    page.get_by_label("审核意见").fill("单位产品综合能耗上升25%，请说明原因。")
    page.get_by_role("button", name="提交审核结论").click()
    page.wait_for_load_state("networkidle")
    assert DynamicReport.objects.get(pk=report.pk).status == "returned"
    screenshot(page, "dynamic-report-returned")
