"""公示 in the browser: a visitor without an account reads the ministry's 公示 and sends an objection; the ministry
finds it on its own page with the objector's contact details and handles it."""

import pytest
from django.core.cache import cache

from reviews.models import Objection
from reviews.services import publicity as svc
from tests.browser.conftest import screenshot
from tests.browser.test_login_dashboards import login
from tests.factories import PASSWORD
from tests.support import ensure_regions

pytestmark = pytest.mark.browser


@pytest.fixture
def published(transactional_db, live_server, media_tmp, request, django_user_model):
    ensure_regions()
    cache.clear()
    tree = request.getfixturevalue("tree")
    from tests.application_helpers import open_chain
    from tests.test_publicity import at_ministry, make_publicity

    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    notice = open_chain(tree, root)
    app = at_ministry(tree, notice)
    publicity = svc.publicity_publish(actor=tree.users["ministry"], publicity=make_publicity(tree, notice, [app]))
    return tree, publicity


def test_visitor_objects_and_the_ministry_handles_it(published, page, live_server):
    tree, publicity = published
    base = live_server.url
    page.goto(f"{base}/publicity/")
    page.get_by_role("link", name=publicity.title).click()
    page.wait_for_load_state("networkidle")
    main = page.locator("main").inner_text()
    assert tree.ent.name in main and "小店区" in main and tree.ent.credit_code not in main
    page.get_by_label("异议对象").select_option(index=1)
    page.get_by_label("异议人姓名").fill("张三")
    page.get_by_label("联系电话").fill("12")
    page.get_by_label("异议内容").fill("该企业能耗数据与统计部门数据不一致。")
    page.get_by_role("button", name="提交异议").click()
    page.wait_for_load_state("networkidle")
    assert "联系电话应为7至20位数字。" in page.locator("main").inner_text()
    screenshot(page, "publicity-public-refused")
    page.get_by_label("联系电话").fill("0351-7654321")
    page.get_by_role("button", name="提交异议").click()
    page.wait_for_load_state("networkidle")
    assert "异议已提交" in page.locator("main").inner_text()
    screenshot(page, "publicity-public")
    assert Objection.objects.get().phone == "03517654321"

    login(page, base, "u-ministry", PASSWORD)
    page.goto(f"{base}/reviews/publicity/")
    page.get_by_role("link", name=publicity.title).click()
    page.wait_for_load_state("networkidle")
    assert "03517654321" in page.locator("main").inner_text()
    page.get_by_label("异议不成立").check()
    page.get_by_label("处理意见").fill("经核实，数据口径不同，异议不成立。")
    page.get_by_role("button", name="保存处理结果").click()
    page.wait_for_load_state("networkidle")
    assert "异议处理结果已记录" in page.locator("main").inner_text()
    screenshot(page, "publicity-authority")
    assert Objection.objects.get().status == "dismissed"
    assert page.console_errors == [] and page.outside_requests == []
