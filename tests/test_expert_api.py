"""The expert review API under /api/v1/expert-reviews/: panels, assignment, auto-assign, ranking, decline, score."""

from reviews.models import Assignment, ExpertConflict, Panel
from tests import test_expert_setup as setup
from tests.test_expert_setup import at_province

chain, root = setup.chain, setup.root  # fixtures

BASE = "/api/v1/expert-reviews"


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def test_create_a_panel_with_its_scoring_form(client, tree, chain):
    client.force_login(chain.province)
    payload = {
        "authority": tree.province.pk,
        "notice": chain.notice.forwards.pk,
        "category": "park",
        "name": "园区评审组",
        "aggregate": "median",
        "experts_per_application": 3,
        "experts": [e.pk for e in chain.experts],
        "criteria": [{"name": "布局", "weight": "2", "max_score": 10}, {"name": "管理", "weight": "1", "max_score": 5}],
    }
    response = post(client, f"{BASE}/panels/", payload)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "园区评审组" and body["aggregate"] == "median"
    assert [c["name"] for c in body["criteria"]] == ["布局", "管理"] and len(body["experts"]) == 4
    again = post(client, f"{BASE}/panels/", payload)
    assert again.status_code == 400 and again.json()["category"] == ["本单位已为该通知的此类别设置了评审组。"]
    client.force_login(tree.users["city"])
    refused = post(client, f"{BASE}/panels/", {**payload, "authority": tree.city.pk, "category": "supply_chain"})
    assert refused.status_code == 400 and "专家评审由省级或部级主管部门组织。" in refused.json()["authority"]
    assert Panel.objects.count() == 2


def test_assign_refuses_a_conflict_then_auto_assigns_and_ranks(client, tree, chain):
    apps = at_province(tree, chain.notice, 2)
    ExpertConflict.objects.create(expert=chain.experts[0], organization=apps[0].applicant, reason="曾任顾问")
    client.force_login(chain.province)
    response = post(
        client, f"{BASE}/panels/{chain.panel.pk}/assign/", {"application": apps[0].pk, "expert": chain.experts[0].pk}
    )
    assert response.status_code == 400
    assert response.json()["detail"] == f"甲须回避：专家已声明回避申报单位“{apps[0].applicant.name}”：曾任顾问"
    response = post(
        client, f"{BASE}/panels/{chain.panel.pk}/assign/", {"application": apps[1].pk, "expert": chain.experts[0].pk}
    )
    assert response.status_code == 201 and response.json()["status"] == "assigned"
    response = client.post(f"{BASE}/panels/{chain.panel.pk}/auto-assign/")
    assert response.json() == {"created": 3, "unfilled": []}
    assert not Assignment.objects.filter(application=apps[0], expert=chain.experts[0]).exists()

    # Every expert scores through the API; the ranking follows.
    basic, perf = chain.panel.criteria.all()
    for a in Assignment.objects.select_related("expert__user"):
        client.force_login(a.expert.user)
        value = 100 if a.application_id == apps[0].pk else 50
        response = post(
            client,
            f"{BASE}/assignments/{a.pk}/score/",
            {"scores": [{"criterion": basic.pk, "value": value}, {"criterion": perf.pk, "value": value / 2}]},
        )
        assert response.status_code == 200, response.json()
        assert response.json()["total"] == f"{value:.2f}"
    client.force_login(chain.province)
    ranking = client.get(f"{BASE}/panels/{chain.panel.pk}/ranking/").json()
    assert [(r["application"], r["score"], r["scored"], r["rank"]) for r in ranking["rows"]] == [
        (apps[0].pk, "100.00", 2, 1),
        (apps[1].pk, "50.00", 2, 2),
    ]
    assert ranking["quota"] is None and ranking["rows"][0]["badges"] == ["能效标杆"]


def test_score_and_decline_refusals_in_chinese(client, tree, chain):
    (app,) = at_province(tree, chain.notice, 1)
    client.force_login(chain.province)
    created = post(
        client, f"{BASE}/panels/{chain.panel.pk}/assign/", {"application": app.pk, "expert": chain.experts[0].pk}
    ).json()
    basic, perf = chain.panel.criteria.all()
    client.force_login(chain.experts[0].user)
    url = f"{BASE}/assignments/{created['id']}"
    response = post(client, f"{url}/score/", {"scores": [{"criterion": basic.pk, "value": "-1"}]})
    assert response.status_code == 400
    assert response.json() == {
        str(basic.pk): ["“基本要求”的得分应在0到100之间。"],
        str(perf.pk): ["请为“绩效指标”打分。"],
    }
    response = post(client, f"{url}/decline/", {"reason": ""})
    assert response.status_code == 400 and response.json()["reason"] == ["请填写拒绝评审的理由。"]
    response = post(client, f"{url}/decline/", {"reason": "时间冲突"})
    assert response.status_code == 200 and response.json()["status"] == "declined"
    assert not ExpertConflict.objects.exists()  # a plain decline records no conflict
    # The authority sees the assignment but may not score it.
    client.force_login(chain.province)
    assert client.get(f"{url}/").json()["decline_reason"] == "时间冲突"
    response = post(client, f"{url}/score/", {"scores": []})
    assert response.status_code == 403 and "评审专家本人" in response.json()["detail"]


def test_ranking_payload_is_what_the_serializer_gives(client, tree, chain):
    from notices.models import NoticeCategory, Quota
    from reviews.api_experts import RankingSerializer, ranking_payload
    from reviews.selectors.experts import ranking
    from tests.test_expert_pages import score_all

    apps = at_province(tree, chain.notice, 3)
    score_all(chain, apps[0], [70, 80.5])
    score_all(chain, apps[1], [90])
    nc = NoticeCategory.objects.get(notice=chain.notice.forwards, category="factory")
    Quota.objects.create(notice_category=nc, authority=tree.province, limit=1)
    data = ranking(chain.panel)
    payload = ranking_payload(data)
    assert payload == RankingSerializer(data).data
    assert [(r["rank"], r["score"], r["totals"], r["within_quota"]) for r in payload["rows"]] == [
        (1, "90.00", ["90.00"], True),
        (2, "75.25", ["80.50", "70.00"], False),
        (None, None, [], False),
    ]
    client.force_login(chain.province)
    assert client.get(f"{BASE}/panels/{chain.panel.pk}/ranking/").json() == payload
