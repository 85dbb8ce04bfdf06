"""The assessor's part in the browser: 晋阳精密 commissions 清源评价; the assessor sees it on its dashboard, accepts,
is refused a fake PDF, uploads the report with a score; the enterprise's dashboard then shows the report received."""

import re

import pytest
from django.contrib.auth import get_user_model

from applications import services
from applications.categories import CATEGORIES_FOR_KIND
from applications.models import THIRD_PARTY_REPORT, Application, Engagement, MaterialFile
from notices.models import NoticeCategory
from notices.selectors import open_notices_for
from organizations.models import Organization
from tests.application_helpers import PDF_BYTES
from tests.browser.conftest import screenshot
from tests.browser.test_login_dashboards import login

pytestmark = pytest.mark.browser

ENTERPRISE = "山西晋阳精密机械有限公司"
ASSESSOR = "山西清源绿色评价技术有限公司"


@pytest.fixture
def media(settings, tmp_path):
    """Uploads land in a temporary directory, not in the working tree's var/media."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    return tmp_path


def commission_in_demo() -> Engagement:
    """The enterprise switches one application to third-party evaluation and commissions the assessor, through the
    services: a new application in a category it has not applied for yet, else one it may still edit."""
    user = get_user_model().objects.get(username="enterprise")
    enterprise = Organization.objects.get(name=ENTERPRISE)
    assessor = Organization.objects.get(name=ASSESSOR)
    forwarded = {n.forwards_id for n in open_notices_for(enterprise)}
    notice = next(n for n in open_notices_for(enterprise) if n.pk not in forwarded)  # the city's, nearest
    categories = [
        nc.category
        for nc in NoticeCategory.objects.filter(notice=notice, third_party_allowed=True)
        if nc.category in CATEGORIES_FOR_KIND["enterprise"]
    ]
    taken = set(Application.objects.filter(applicant=enterprise, notice=notice).values_list("category", flat=True))
    free = [c for c in categories if c not in taken]
    if free:
        application = services.application_create(
            actor=user, applicant=enterprise, notice=notice, category=free[0], evaluation_mode="third_party"
        )
    else:
        application = Application.objects.filter(
            applicant=enterprise, notice=notice, category__in=categories, state__in=["draft", "returned"]
        ).first()
        assert application is not None, "演示数据中该企业没有可编辑的申报"
        for active in application.engagements.filter(status__in=["pending", "accepted"]):
            services.engagement_cancel(actor=user, engagement=active)
        services.application_update(actor=user, application=application, evaluation_mode="third_party")
    return services.engagement_request(actor=user, application=application, assessor=assessor)


def go(page, url):
    page.goto(url)
    page.wait_for_load_state("networkidle")


def click(page, locator):
    locator.click()
    page.wait_for_load_state("networkidle")


def test_assessor_accepts_and_reports_and_the_enterprise_sees_the_report(live_demo, page, media):
    base = live_demo.url
    engagement = commission_in_demo()
    category = engagement.application.get_category_display()

    # The assessor finds the engagement on its dashboard, awaiting an answer.
    login(page, base, "assessor")
    assert "第三方评价机构工作台" in page.locator("h1").inner_text()
    pending = page.locator("#pending")
    row = pending.locator("tr", has=page.locator(f'a[href="/engagements/{engagement.pk}/"]'))
    assert ENTERPRISE in row.inner_text() and re.search(r"剩余 \d+天", row.inner_text())
    assert int(page.locator('a.stat[href="/engagements/?status=pending"] b').inner_text()) >= 1
    screenshot(page, "assessor-dashboard")

    # It opens the engagement: applicant, category, notice, the applicant's deadline, the data read-only.
    click(page, row.get_by_role("link", name="查看并答复"))
    assert page.url == f"{base}/engagements/{engagement.pk}/"
    assert ENTERPRISE in page.locator("h1").inner_text() and category in page.locator("h1").inner_text()
    assert re.search(r"剩余 \d+天", page.locator(".due-box").inner_text())
    assert "申报信息（只读）" in page.locator("main").inner_text()
    screenshot(page, "assessor-engagement-pending")

    # Accepting needs the 项目负责人; the service's refusal comes back in Chinese.
    page.get_by_label("项目负责人").fill("韩立群")
    click(page, page.get_by_role("button", name="接受委托"))
    assert "已接受" in page.locator(".messages").inner_text()
    assert "项目负责人：韩立群" in page.locator(".meta").inner_text()

    # A text file renamed .pdf is refused and nothing is stored.
    page.get_by_label("第三方评价得分（0–100）").fill("88.5")
    page.get_by_label("第三方评价报告（PDF）").set_input_files(
        files=[{"name": "评价报告.pdf", "mimeType": "application/pdf", "buffer": "这不是PDF".encode()}]
    )
    click(page, page.get_by_role("button", name="上传报告"))
    assert "无法识别或已损坏" in page.locator("#report [role=alert]").inner_text()
    assert not MaterialFile.objects.filter(kind=THIRD_PARTY_REPORT, application=engagement.application).exists()

    # The real report with its score.
    page.get_by_label("第三方评价得分（0–100）").fill("88.5")
    page.get_by_label("第三方评价报告（PDF）").set_input_files(
        files=[{"name": "第三方评价报告.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}]
    )
    click(page, page.get_by_role("button", name="上传报告"))
    assert "已上传第三方评价报告（第1版），得分 88.5" in page.locator(".messages").inner_text()
    assert "第三方评价报告.pdf" in page.locator("#report table").inner_text()
    screenshot(page, "assessor-engagement")
    engagement.refresh_from_db()
    assert engagement.status == "accepted" and float(engagement.score) == 88.5

    go(page, f"{base}/dashboard/")
    assert ENTERPRISE in page.locator("#reported").inner_text()
    go(page, f"{base}/engagements/?status=reported")
    assert ENTERPRISE in page.locator("table.engagements").inner_text()
    screenshot(page, "assessor-engagements")
    assert page.console_errors == []
    assert page.outside_requests == []

    # The enterprise's dashboard shows the report received.
    page.context.clear_cookies()
    login(page, base, "enterprise")
    mine = page.locator(f'#my-applications tr[data-application="{engagement.application_id}"]')
    assert "已收到评价报告（得分 88.5）" in mine.inner_text() and ASSESSOR in mine.inner_text()
    screenshot(page, "enterprise-dashboard-report-received")
    assert page.console_errors == []
    assert page.outside_requests == []
