"""Expert review pages and API: what the authority and the expert see and do, who gets a 404, query counts."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.models import State
from notices.models import NoticeCategory, Quota
from reviews.models import Assignment, ExpertConflict, Panel
from reviews.services import bulk as services_bulk
from reviews.services import experts as services
from tests import test_expert_setup as setup
from tests.factories import member
from tests.test_expert_setup import at_province

chain, root = setup.chain, setup.root  # fixtures


def measure(client, url) -> tuple[int, str]:
    client.get(url)  # warm per-process caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(ctx.captured_queries), response.content.decode()


def score_all(chain, app, totals):
    """Assign the first experts to `app` and have them score so their weighted totals are `totals`."""
    basic, perf = chain.panel.criteria.all()
    for expert, total in zip(chain.experts, totals, strict=False):
        a = services.assignment_create(actor=chain.province, panel=chain.panel, application=app, expert=expert)
        # basic 100 max weight 1, perf 50 max weight 3: total = (b/100 + p/50×3)/4×100; b = p×2 gives b.
        services.score_submit(actor=expert.user, assignment=a, values={basic.pk: total, perf.pk: total / 2})


def test_panel_create_criteria_and_manual_assign_through_the_pages(client, tree, chain, root):
    (app,) = at_province(tree, chain.notice, 1)
    client.force_login(chain.province)
    page = client.get("/reviews/experts/panels/new/").content.decode()
    assert "新建评审组" in page and "甲（高级工程师" in page
    response = client.post(
        "/reviews/experts/panels/new/",
        {
            "authority": tree.province.pk,
            "notice": chain.notice.forwards.pk,
            "category": "park",
            "name": "绿色园区评审组",
            "aggregate": "trimmed",
            "experts_per_application": 3,
            "experts": [e.pk for e in chain.experts[:3]],
        },
    )
    park = Panel.objects.get(name="绿色园区评审组")
    assert response.status_code == 302 and response["Location"] == f"/reviews/experts/panels/{park.pk}/"
    assert park.aggregate == "trimmed" and park.experts.count() == 3
    response = client.post(
        f"/reviews/experts/panels/{park.pk}/criteria/",
        {"name": ["指标", ""], "description": ["", ""], "weight": ["0", ""], "max_score": ["10", ""]},
        follow=True,
    )
    assert "评分表未保存：第1项：权重须大于0" in response.content.decode()
    client.post(
        f"/reviews/experts/panels/{park.pk}/criteria/",
        {"name": ["指标", "管理"], "description": ["要点", ""], "weight": ["2", "1"], "max_score": ["10", "5"]},
    )
    assert [(c.name, c.max_score) for c in park.criteria.all()] == [("指标", 10), ("管理", 5)]

    ExpertConflict.objects.create(expert=chain.experts[1], organization=app.applicant, reason="曾任独立董事")
    page = client.get(f"/reviews/experts/panels/{chain.panel.pk}/").content.decode()
    assert app.applicant.name in page
    assert f"专家已声明回避申报单位“{app.applicant.name}”：曾任独立董事" in page
    response = client.post(
        f"/reviews/experts/panels/{chain.panel.pk}/assign/",
        {"application": app.pk, "expert": chain.experts[1].pk},
        follow=True,
    )
    assert "未能分配：乙须回避" in response.content.decode()
    client.post(
        f"/reviews/experts/panels/{chain.panel.pk}/assign/", {"application": app.pk, "expert": chain.experts[0].pk}
    )
    response = client.post(f"/reviews/experts/panels/{chain.panel.pk}/auto-assign/", follow=True)
    assert "自动分配完成" in response.content.decode()
    assert set(Assignment.objects.filter(application=app).values_list("expert__user__first_name", flat=True)) == {
        "甲",
        "丙",
    }


def test_the_expert_scores_and_declines_on_the_assignment_page(client, tree, chain):
    first, second = at_province(tree, chain.notice, 2)
    expert = chain.experts[0]
    a1 = services.assignment_create(actor=chain.province, panel=chain.panel, application=first, expert=expert)
    a2 = services.assignment_create(actor=chain.province, panel=chain.panel, application=second, expert=expert)
    basic, perf = chain.panel.criteria.all()
    client.force_login(expert.user)
    page = client.get("/reviews/experts/assignments/").content.decode()
    assert first.applicant.name in page and second.applicant.name in page and "待评审" in page
    page = client.get(f"/reviews/experts/assignments/{a1.pk}/").content.decode()
    assert "基本要求" in page and "绩效指标" in page and f'href="/applications/{first.pk}/"' in page
    assert client.get(f"/applications/{first.pk}/").status_code == 200  # the view grant

    response = client.post(
        f"/reviews/experts/assignments/{a1.pk}/", {"do": "score", f"score-{basic.pk}": "120", f"score-{perf.pk}": ""}
    )
    page = response.content.decode()
    assert "“基本要求”的得分应在0到100之间。" in page and "请为“绩效指标”打分。" in page
    assert 'value="120"' in page
    response = client.post(
        f"/reviews/experts/assignments/{a1.pk}/",
        {"do": "score", f"score-{basic.pk}": "80", f"score-{perf.pk}": "40", "comment": "材料翔实"},
        follow=True,
    )
    assert "评分已提交，加权总分 80.00。" in response.content.decode()
    a1.refresh_from_db()
    assert (a1.status, str(a1.total), a1.comment) == ("submitted", "80.00", "材料翔实")

    response = client.post(f"/reviews/experts/assignments/{a2.pk}/", {"do": "decline", "decline-reason": ""})
    assert "这个字段是必填项" in response.content.decode() or "必填" in response.content.decode()
    response = client.post(
        f"/reviews/experts/assignments/{a2.pk}/",
        {"do": "decline", "decline-reason": "本人近亲属在该企业任职", "decline-conflict": "on"},
        follow=True,
    )
    assert "已拒绝该评审任务" in response.content.decode()
    assert ExpertConflict.objects.filter(expert=expert, organization=second.applicant).exists()
    assert client.get(f"/applications/{second.pk}/").status_code == 404


def test_an_expert_sees_only_its_own_assignments(client, tree, chain):
    first, second = at_province(tree, chain.notice, 2)
    mine = services.assignment_create(
        actor=chain.province, panel=chain.panel, application=first, expert=chain.experts[0]
    )
    theirs = services.assignment_create(
        actor=chain.province, panel=chain.panel, application=second, expert=chain.experts[1]
    )
    client.force_login(chain.experts[0].user)
    page = client.get("/reviews/experts/assignments/").content.decode()
    assert first.applicant.name in page and second.applicant.name not in page
    assert client.get(f"/reviews/experts/assignments/{mine.pk}/").status_code == 200
    assert client.get(f"/reviews/experts/assignments/{theirs.pk}/").status_code == 404
    assert client.get(f"/applications/{second.pk}/").status_code == 404
    assert client.get(f"/api/v1/expert-reviews/assignments/{theirs.pk}/").status_code == 404
    listed = client.get("/api/v1/expert-reviews/assignments/").json()
    assert [r["id"] for r in listed["results"]] == [mine.pk]
    response = client.post(
        f"/api/v1/expert-reviews/assignments/{theirs.pk}/score/", {"scores": [], "comment": ""}, "application/json"
    )
    assert response.status_code == 404
    # The authority's pages are not the expert's.
    for url in (
        f"/reviews/experts/panels/{chain.panel.pk}/",
        f"/reviews/experts/panels/{chain.panel.pk}/ranking/",
        f"/api/v1/expert-reviews/panels/{chain.panel.pk}/",
        f"/api/v1/expert-reviews/panels/{chain.panel.pk}/ranking/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/reviews/experts/assignments/{theirs.pk}/remove/").status_code == 404


def test_another_organization_gets_404_everywhere(client, tree, chain):
    (app,) = at_province(tree, chain.notice, 1)
    a = services.assignment_create(actor=chain.province, panel=chain.panel, application=app, expert=chain.experts[0])
    for outsider in (tree.users["city"], tree.users["other_county"], member(tree.ministry)):
        client.force_login(outsider)
        for url in (
            f"/reviews/experts/panels/{chain.panel.pk}/",
            f"/reviews/experts/panels/{chain.panel.pk}/edit/",
            f"/reviews/experts/panels/{chain.panel.pk}/ranking/",
            f"/reviews/experts/assignments/{a.pk}/",
            f"/api/v1/expert-reviews/panels/{chain.panel.pk}/",
            f"/api/v1/expert-reviews/panels/{chain.panel.pk}/ranking/",
            f"/api/v1/expert-reviews/assignments/{a.pk}/",
        ):
            assert client.get(url).status_code == 404, (outsider, url)
        for url in (
            f"/reviews/experts/panels/{chain.panel.pk}/criteria/",
            f"/reviews/experts/panels/{chain.panel.pk}/assign/",
            f"/reviews/experts/panels/{chain.panel.pk}/auto-assign/",
            f"/reviews/experts/panels/{chain.panel.pk}/ranking/",
            f"/reviews/experts/assignments/{a.pk}/remove/",
            f"/api/v1/expert-reviews/panels/{chain.panel.pk}/assign/",
            f"/api/v1/expert-reviews/panels/{chain.panel.pk}/auto-assign/",
            f"/api/v1/expert-reviews/assignments/{a.pk}/decline/",
        ):
            assert client.post(url, {}).status_code == 404, (outsider, url)
        assert "绿色工厂评审组" not in client.get("/reviews/experts/").content.decode()
        assert client.get("/api/v1/expert-reviews/panels/").json()["count"] == 0
        assert client.get("/api/v1/expert-reviews/assignments/").json()["count"] == 0
    assert Assignment.objects.get().status == "assigned"


def ranked_three(tree, chain):
    """Three applications at the province, a quota of one: the first scored 75, the second 92, the third not."""
    apps = at_province(tree, chain.notice, 3)
    nc = NoticeCategory.objects.get(notice=chain.notice.forwards, category="factory")
    Quota.objects.create(notice_category=nc, authority=tree.province, limit=1)
    score_all(chain, apps[0], [70, 80])
    score_all(chain, apps[1], [90, 94])
    return apps


def test_ranking_orders_by_aggregate_with_badges_quota_and_bulk_recommend(client, tree, chain):
    apps = ranked_three(tree, chain)
    client.force_login(chain.province)
    page = client.get(f"/reviews/experts/panels/{chain.panel.pk}/ranking/").content.decode()
    order = [page.index(a.applicant.name) for a in (apps[1], apps[0], apps[2])]
    assert order == sorted(order)
    assert "92.00" in page and "75.00" in page and "未评分" in page
    assert "推荐名额 <strong>1</strong>" in page and page.count("名额内</span>") == 1
    assert page.count(">能效标杆<") == 3  # FACTORY_DATA: energy efficiency "advanced", a priority rule that passed

    response = client.post(
        f"/reviews/experts/panels/{chain.panel.pk}/ranking/",
        {"applications": [apps[1].pk, apps[0].pk], "action": "recommend", "opinion": "经专家评审，同意推荐。"},
        follow=True,
    )
    page = response.content.decode()
    assert "已推荐2项" in page
    for app in apps[:2]:
        app.refresh_from_db()
        assert app.state == State.RECOMMENDED
        assert app.referrals.get(authority=tree.province).opinion == "经专家评审，同意推荐。"
    apps[2].refresh_from_db()
    assert apps[2].state == State.UNDER_REVIEW
    response = client.post(
        f"/reviews/experts/panels/{chain.panel.pk}/ranking/",
        {"applications": [apps[2].pk], "action": "not_recommend", "opinion": ""},
    )
    assert "这个字段是必填项" in response.content.decode() or "必填" in response.content.decode()


def test_list_pages_and_endpoints_query_counts_do_not_grow(client, tree, chain):
    expert = chain.experts[0]

    def counts():
        client.force_login(chain.province)
        ranking, page = measure(client, f"/reviews/experts/panels/{chain.panel.pk}/ranking/")
        ranked = len(re.findall(r'name="applications"', page))
        api_ranking, _ = measure(client, f"/api/v1/expert-reviews/panels/{chain.panel.pk}/ranking/")
        panels, _ = measure(client, "/reviews/experts/")
        api_panels, _ = measure(client, "/api/v1/expert-reviews/panels/")
        client.force_login(expert.user)
        mine, page = measure(client, "/reviews/experts/assignments/")
        listed = len(re.findall(r'href="/reviews/experts/assignments/\d+/"', page))
        api_mine, _ = measure(client, "/api/v1/expert-reviews/assignments/")
        return (ranking, api_ranking, panels, api_panels, mine, api_mine), (ranked, listed)

    def add(start, count):
        for app in at_province(tree, chain.notice, count, start=start):
            a = services.assignment_create(actor=chain.province, panel=chain.panel, application=app, expert=expert)
            basic, perf = chain.panel.criteria.all()
            services.score_submit(actor=expert.user, assignment=a, values={basic.pk: 50, perf.pk: 20})

    add(0, 1)
    one, rows = counts()
    assert rows == (1, 1)
    add(1, 19)
    twenty, rows = counts()
    assert rows == (20, 20)
    assert one == twenty


def test_panel_list_queries_do_not_grow(client, tree, chain, root):
    from notices.services import notice_create

    def add(start, count):
        for i in range(start, start + count):
            notice = notice_create(
                actor=root,
                issuer=tree.province,
                year=2030 + i,
                title=f"第{i}号通知",
                list_level="province",
                categories=("factory",),
            )
            panel = Panel.objects.create(
                authority=tree.province, notice=notice, category="factory", name=f"计数评审组{i:02d}"
            )
            panel.experts.set(chain.experts)

    client.force_login(chain.province)
    Panel.objects.all().delete()
    add(0, 1)
    one, page = measure(client, "/reviews/experts/")
    assert page.count("计数评审组") == 1
    api_one, _ = measure(client, "/api/v1/expert-reviews/panels/")
    add(1, 19)
    twenty, page = measure(client, "/reviews/experts/")
    assert page.count("计数评审组") == 20 and "4 人" in page
    api_twenty, body = measure(client, "/api/v1/expert-reviews/panels/")
    assert body.count("计数评审组") == 20
    assert (one, api_one) == (twenty, api_twenty)


def test_ranking_rows_mark_the_quota_line_the_held_rows_and_escape_names(client, tree, chain):
    apps = ranked_three(tree, chain)
    apps[2].applicant.name = "<b>某</b>公司"
    apps[2].applicant.save()
    # apps[0] recommended: it stays in the ranking, without a checkbox, held by the province still.
    services_bulk.ranking_decide(
        actor=chain.province, panel=chain.panel, application_ids=[apps[0].pk], action="recommend", opinion="同意。"
    )
    client.force_login(chain.province)
    page = client.get(f"/reviews/experts/panels/{chain.panel.pk}/ranking/").content.decode()
    rows = re.findall(r"<tr class=\"([^\"]*)\">(.*?)</tr>", page, re.S)
    assert [classes for classes, _ in rows] == ["within quota-line", "", ""]
    first, second, third = (html for _, html in rows)
    assert f'id="pick-{apps[1].pk}"' in first and '<td class="nowrap">1 <span class="tag">名额内</span>' in first
    assert "<strong>92.00</strong>" in first and "94.00、90.00" in first and "2 / 2" in first and ">能效标杆<" in first
    assert 'name="applications"' not in second and "state-recommended" in second and "75.00" in second
    assert f'href="/applications/{apps[0].pk}/"' in second
    assert "&lt;b&gt;某&lt;/b&gt;公司" in third and "<b>某</b>" not in page and "未评分" in third
    assert f'value="{apps[2].pk}"' in third and '<span class="muted">—</span>' in third


def test_ranking_without_a_quota_draws_no_quota_line(client, tree, chain):
    apps = at_province(tree, chain.notice, 2)
    score_all(chain, apps[0], [70, 80])
    client.force_login(chain.province)
    page = client.get(f"/reviews/experts/panels/{chain.panel.pk}/ranking/").content.decode()
    assert "quota-line" not in page.split("<tbody>")[1] and "名额内" not in page
    assert "本单位该类别未设推荐名额" in page
