import struct

import pytest

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser
PASSWORD = "greenmfg-demo"

ROLES = [
    ("city", "市级主管部门工作台", "太原市工业和信息化局"),
    ("county", "县级主管部门工作台", "太原市小店区工业和信息化局"),
    ("enterprise", "申报单位工作台", "山西晋阳精密机械有限公司"),
    ("eco", "生态环境部门工作台", "太原市生态环境局"),
    ("expert", "评审专家工作台", "山西省工业和信息化厅"),
    ("admin", "系统管理工作台", "审计记录"),
]


def login(page, base, username, password=PASSWORD):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize(("username", "heading", "text"), ROLES)
def test_demo_user_logs_in_and_lands_on_own_dashboard(live_demo, page, username, heading, text):
    login(page, live_demo.url, username)
    assert page.url == f"{live_demo.url}/dashboard/"
    assert heading in page.locator("h1").inner_text()
    assert text in page.locator("main").inner_text()
    path = screenshot(page, f"dashboard-{username}")
    header = path.read_bytes()[:24]
    width, height = struct.unpack(">II", header[16:24])
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and width == 1366 and height >= 900
    assert page.console_errors == []
    assert page.outside_requests == []


def test_wrong_password_is_refused_with_chinese_message(live_demo, page):
    login(page, live_demo.url, "city", "not-the-password")
    assert "/accounts/login/" in page.url
    assert "请输入一个正确的" in page.get_by_role("alert").inner_text()


def test_logout_returns_to_landing_and_pages_need_login_again(live_demo, page):
    login(page, live_demo.url, "enterprise")
    page.get_by_role("button", name="退出").click()
    page.wait_for_load_state("networkidle")
    assert page.url == f"{live_demo.url}/"
    page.goto(f"{live_demo.url}/organizations/")
    assert "/accounts/login/" in page.url


def test_api_docs_render_from_local_assets(live_demo, page):
    login(page, live_demo.url, "province")
    page.goto(f"{live_demo.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info", timeout=15000)
    assert "API" in page.locator(".swagger-ui .info").inner_text()
    screenshot(page, "api-docs")
    assert page.outside_requests == []
