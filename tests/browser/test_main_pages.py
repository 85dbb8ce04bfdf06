"""Every demo role, each in its own browser context, opens its dashboard and every page its navigation offers (the
links are read from the rendered nav, so a new entry is covered without editing this test): each answers 200, logs
no console error, loads nothing from another host and renders Chinese. Also the pages a visitor sees without an
account."""

import re
from urllib.parse import urlparse

import pytest

from tests.browser.conftest import screenshot, watched_page
from tests.browser.test_login_dashboards import login
from tests.permission_matrix_table import ROLES  # every account of README's table of demo logins

pytestmark = pytest.mark.browser

CJK = re.compile(r"[\u4e00-\u9fff]")
# Pages drawn by a library, not by templates/base.html: checked for status, errors and hosts, not for a <main>.
NO_MAIN = ("/api/docs/",)


def check(page, url, problems, who):
    """Open url; note what is wrong rather than stop, so one run reports every broken page."""
    errors_before = len(page.console_errors)
    response = page.goto(url)  # waits for the load event: the page's own scripts and assets are in
    path = urlparse(url).path
    if response is None or response.status != 200:
        problems.append(f"{who} {path}: HTTP {response.status if response else '无响应'}")
        return
    if len(page.console_errors) > errors_before:
        problems.append(f"{who} {path}: console {page.console_errors[errors_before:]}")
    if path.startswith(NO_MAIN):
        page.wait_for_load_state("networkidle")  # Swagger fetches the schema after the load event
        return
    main = page.locator("main")
    if main.count() == 0 or not CJK.search(main.first.inner_text()):
        problems.append(f"{who} {path}: main 中没有中文")


def nav_links(page, base) -> list[str]:
    hrefs = page.locator("nav.mainnav a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    links = []
    for href in hrefs:
        url = href if href.startswith("http") else f"{base}{href}"
        if url not in links:
            links.append(url)
    return links


def test_every_role_opens_every_page_of_its_navigation(live_demo, browser):
    base = live_demo.url
    problems, seen = [], {}
    for username in ROLES:
        page = watched_page(browser)
        login(page, base, username)
        assert page.url == f"{base}/dashboard/", username
        assert CJK.search(page.locator("h1").inner_text()), username
        links = nav_links(page, base)
        assert f"{base}/dashboard/" in links and len(links) >= 5, (username, links)
        seen[username] = [urlparse(u).path for u in links]
        for url in links:
            check(page, url, problems, username)
        screenshot(page, f"main-pages-{username}")
        if page.outside_requests:
            problems.append(f"{username}: 外部请求 {page.outside_requests}")
        page.wait_for_load_state("networkidle")  # no request left running when the database is flushed
        page.context.close()
    assert problems == []
    # The navigation differs by role: authorities review, applicants apply, assessors and experts have their own.
    assert "/reviews/inbox/" in seen["county"] and "/reviews/inbox/" not in seen["enterprise"]
    assert "/reviews/experts/" in seen["province"] and "/reviews/experts/" not in seen["city"]
    assert "/engagements/" in seen["assessor"] and "/reviews/experts/assignments/" in seen["expert"]
    assert "/admin/" in seen["admin"] and "/admin/" not in seen["ministry"]
    assert "/listings/" in seen["listed"] and "/reviews/consultations/" in seen["eco"]


def test_anonymous_pages(live_demo, page):
    base = live_demo.url
    problems = []
    for path in ("/", "/lists/", "/publicity/", "/accounts/login/"):
        check(page, f"{base}{path}", problems, "访客")
    # The 公示 running in the demo, reached from the public list the way a visitor would.
    page.goto(f"{base}/publicity/")
    first = page.locator("main a[href^='/publicity/']").first
    detail = f"{base}{first.get_attribute('href')}"
    check(page, detail, problems, "访客")
    assert "公示" in page.locator("main").inner_text()
    screenshot(page, "main-pages-publicity-public")
    page.goto(f"{base}/lists/")
    assert "山西" in page.locator("main").inner_text()  # 山西's imported lists are public
    screenshot(page, "main-pages-lists-public")
    # Without an account, a portal page sends the visitor to the login page.
    page.goto(f"{base}/reviews/inbox/")
    assert "/accounts/login/" in page.url
    assert problems == []
    assert page.outside_requests == []
