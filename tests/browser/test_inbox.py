"""The county works its inbox in the browser on the demo data: filters, a bulk return with one refused row
(someone else returned it first), then the application page's trail. Screenshots in test-artifacts/screenshots."""

import pytest

from applications.models import Application, State
from reviews.services import transition_perform
from tests.browser.conftest import screenshot
from tests.browser.test_login_dashboards import login

pytestmark = pytest.mark.browser


def test_county_inbox_bulk_decision_and_trail(live_demo, page, demo_password="greenmfg-demo"):
    base = live_demo.url
    login(page, base, "county", demo_password)
    page.goto(f"{base}/reviews/inbox/")
    assert page.locator("h1").inner_text() == "审核待办"
    held = list(Application.objects.filter(holder__name="太原市小店区工业和信息化局", state=State.UNDER_REVIEW))
    assert len(held) >= 2
    boxes = page.locator('input[name="applications"]')
    assert boxes.count() == len(held)
    assert "资格：" in page.locator("table.inbox").inner_text()
    screenshot(page, "inbox-county")

    # Search narrows the list.
    first, second = sorted(held, key=lambda a: a.applicant.name)[:2]
    page.get_by_label("申报单位或统一社会信用代码").fill(first.applicant.name[:6])
    page.get_by_role("button", name="查询").click()
    page.wait_for_load_state("networkidle")
    assert page.locator('input[name="applications"]').count() >= 1
    assert first.applicant.name in page.locator("table.inbox").inner_text()
    page.goto(f"{base}/reviews/inbox/")

    # Select both; meanwhile someone else returns the second one.
    page.get_by_label(f"选择{first.applicant.name}（{first.get_category_display()}）").check()
    page.get_by_label(f"选择{second.applicant.name}（{second.get_category_display()}）").check()
    from django.contrib.auth import get_user_model

    transition_perform(
        actor=get_user_model().objects.get(username="county"), application=second, action="return", reason="先行退回"
    )
    page.get_by_label("退回修改").check()
    page.get_by_label("初审意见（同时记入每一项） *").fill("请补充能源审计报告。")
    page.get_by_role("button", name="逐项办理").click()
    page.wait_for_load_state("networkidle")
    results = page.locator("table.results").inner_text()
    assert "已办理" in results and "未办理" in results and "已被他人处理" in results
    screenshot(page, "inbox-bulk-results")
    first.refresh_from_db()
    assert first.state == State.RETURNED

    # The page of the returned application: the trail level by level.
    page.get_by_role("link", name=first.applicant.name).click()
    page.wait_for_load_state("networkidle")
    trail = page.locator("#history").inner_text()
    assert "太原市小店区工业和信息化局" in trail and "请补充能源审计报告。" in trail
    page.locator("#history").scroll_into_view_if_needed()
    page.locator("#history").screenshot(
        path=str(screenshot(page, "inbox-application-page").with_name("inbox-trail.png"))
    )
    assert not page.console_errors and not page.outside_requests
