import pytest

from organizations.credit_code import make_credit_code
from organizations.models import Organization
from tests.browser.conftest import screenshot
from tests.browser.test_login_dashboards import login

pytestmark = pytest.mark.browser


def test_city_admin_registers_an_enterprise_after_fixing_its_credit_code(live_demo, page):
    login(page, live_demo.url, "city")
    page.goto(f"{live_demo.url}/organizations/new/")
    page.select_option("#id_kind", "enterprise")
    assert page.locator('[data-field="parent"]').is_hidden()
    assert page.locator('[data-field="competent_authority"]').is_visible()
    page.fill("#id_name", "太原晋源绿能科技有限公司")
    page.fill("#id_credit_code", "91140105MA0OOOOOO1")
    page.select_option("#id_region", "140105")
    page.select_option("#id_competent_authority", label="太原市小店区工业和信息化局")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state("networkidle")
    errors = page.locator("#id_credit_code-errors").inner_text()
    assert "第12位字符“O”不合法" in errors
    screenshot(page, "organization-form-error")
    assert not Organization.objects.filter(name="太原晋源绿能科技有限公司").exists()

    good = make_credit_code("91140105MA0K2B3C4")
    page.fill("#id_credit_code", good)
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state("networkidle")
    assert "已保存“太原晋源绿能科技有限公司”" in page.locator(".messages").inner_text()
    org = Organization.objects.get(name="太原晋源绿能科技有限公司")
    assert org.credit_code == good and org.competent_authority.name == "太原市小店区工业和信息化局"
    assert page.url.endswith(f"/organizations/{org.pk}/")
    # The region list offers only the city's own divisions.
    page.goto(f"{live_demo.url}/organizations/new/")
    codes = page.locator("#id_region option").evaluate_all("els => els.map(e => e.value).filter(Boolean)")
    assert codes and all(code.startswith("1401") for code in codes)
