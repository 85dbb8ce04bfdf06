"""Expert review in the browser: the province sees the assignment matrix with a conflict explained, auto-assigns;
the expert scores on its assignment page; the province ranks and recommends from the ranking table."""

from types import SimpleNamespace

import pytest

from applications.models import State
from organizations.services import expert_profile_save
from reviews.models import Assignment, ExpertConflict
from reviews.services import experts as services
from tests.application_helpers import open_chain
from tests.browser.conftest import screenshot
from tests.browser.test_login_dashboards import login
from tests.factories import PASSWORD, UserFactory, authority, enterprise, member
from tests.support import ensure_regions
from tests.test_expert_setup import at_province

pytestmark = pytest.mark.browser


@pytest.fixture
def scene(transactional_db, live_server, media_tmp, django_user_model):
    ensure_regions()
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    ns = SimpleNamespace()
    ns.ministry = authority("工信部节能司（浏览器）", "110000", "ministry")
    ns.province = authority("山西省工信厅（浏览器）", "140000", "province", ns.ministry)
    ns.city = authority("太原市工信局（浏览器）", "140100", "city", ns.province)
    ns.county = authority("小店区工信局（浏览器）", "140105", "county", ns.city)
    ns.ent = enterprise("小店浏览器企业有限公司", ns.county)
    ns.users = {name: member(getattr(ns, name), username=f"b-{name}") for name in ("province", "city", "county", "ent")}
    notice = open_chain(ns, root)
    experts = []
    for name in ("刘志远", "马秀兰", "张建华"):
        user = UserFactory(username=f"exp-{len(experts)}", first_name=name)
        experts.append(expert_profile_save(actor=root, user=user, pool=ns.province, title="高级工程师"))
    panel = services.panel_save(
        actor=ns.users["province"],
        authority=ns.province,
        notice=notice.forwards,
        category="factory",
        name="2024年绿色工厂专家评审组",
        experts_per_application=2,
        experts=experts,
    )
    services.criteria_save(
        actor=ns.users["province"],
        panel=panel,
        rows=[
            {"name": "基本要求", "description": "合规、管理体系", "weight": "1", "max_score": "100"},
            {"name": "能源与资源投入", "description": "节能、节水", "weight": "2", "max_score": "50"},
        ],
    )
    apps = at_province(ns, notice, 3)
    ExpertConflict.objects.create(expert=experts[2], organization=apps[0].applicant, reason="曾为该企业提供咨询")
    return SimpleNamespace(tree=ns, panel=panel, experts=experts, apps=apps, url=live_server.url)


def test_assign_score_rank_and_recommend(scene, page):
    base, panel = scene.url, scene.panel
    login(page, base, "b-province", PASSWORD)
    page.goto(f"{base}/reviews/experts/")
    assert "2024年绿色工厂专家评审组" in page.locator("main").inner_text()
    screenshot(page, "experts-panel-list")
    page.goto(f"{base}/reviews/experts/panels/{panel.pk}/")
    assert "专家已声明回避申报单位" in page.locator("main").inner_text()
    page.get_by_role("button", name="自动分配（均衡负载）").click()
    page.wait_for_load_state("networkidle")
    assert "自动分配完成" in page.locator("main").inner_text()
    screenshot(page, "experts-panel-detail")
    assert Assignment.objects.count() == 6

    mine = Assignment.objects.filter(expert=scene.experts[0]).order_by("id").first()
    page.context.clear_cookies()
    login(page, base, "exp-0", PASSWORD)
    page.goto(f"{base}/reviews/experts/assignments/")
    screenshot(page, "experts-assignment-list")
    page.goto(f"{base}/reviews/experts/assignments/{mine.pk}/")
    page.get_by_label("基本要求").fill("88")
    page.get_by_label("能源与资源投入").fill("41.5")
    page.get_by_label("评审意见").fill("节能指标先进，管理体系完善。")
    screenshot(page, "experts-assignment-form")
    page.get_by_role("button", name="提交评分").click()
    page.wait_for_load_state("networkidle")
    assert "评分已提交" in page.locator("main").inner_text()

    for a in Assignment.objects.exclude(pk=mine.pk).select_related("expert__user"):
        criteria = list(panel.criteria.all())
        services.score_submit(
            actor=a.expert.user, assignment=a, values={criteria[0].pk: 70 + a.pk, criteria[1].pk: 30 + a.pk % 7}
        )
    page.context.clear_cookies()
    login(page, base, "b-province", PASSWORD)
    page.goto(f"{base}/reviews/experts/panels/{panel.pk}/ranking/")
    screenshot(page, "experts-ranking")
    first = scene.apps[0]
    page.get_by_label(f"选择{first.applicant.name}").check()
    page.get_by_label("推荐", exact=True).check()
    page.get_by_label("意见").fill("经专家评审，同意推荐。")
    page.get_by_role("button", name="提交决定").click()
    page.wait_for_load_state("networkidle")
    assert "已推荐1项" in page.locator("main").inner_text()
    first.refresh_from_db()
    assert first.state == State.RECOMMENDED
    assert not page.console_errors and not page.outside_requests
