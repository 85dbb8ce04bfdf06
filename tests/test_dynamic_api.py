"""/api/v1/dynamic-reports/: list with filters, detail with indicators, flags and review, a unit's save and submit,
the authority's accept and return, 404 for those who may not see, query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from listings.models import DynamicReport, Listing
from tests.dynamic_helpers import FACTORY, filed, open_round, past_due, unchanged
from tests.factories import enterprise, member
from tests.listing_helpers import listing

API = "/api/v1/dynamic-reports/"


@pytest.fixture
def entries(tree):
    return {
        "factory": listing(tree.ent, tree.city, category="factory", level="city", year=2022),
        "other": listing(tree.other_ent, tree.other_city, category="factory", level="city", year=2022),
    }


def login(client, user):
    client.force_login(user)
    return client


def test_a_unit_starts_saves_and_submits_through_the_api(client, tree, entries):
    round_ = open_round(tree)
    login(client, tree.users["ent"])
    created = client.post(
        API,
        {"round": round_.pk, "listing": entries["factory"].pk, "indicators": {"energy_per_unit": 101}},
        content_type="application/json",
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["status"], body["indicators"]["energy_per_unit"], body["round"]["year"]) == ("draft", 101.0, 2024)
    report_id = body["id"]
    again = client.post(API, {"round": round_.pk, "listing": entries["factory"].pk}, content_type="application/json")
    assert again.status_code == 201 and again.json()["id"] == report_id

    bad = client.post(
        f"{API}{report_id}/save/", {"indicators": {"renewable_share": 120}}, content_type="application/json"
    )
    assert bad.status_code == 400
    assert bad.json() == {"renewable_share": ["可再生能源使用比例：百分比应在0到100之间。"]}
    incomplete = client.post(f"{API}{report_id}/submit/", {}, content_type="application/json")
    assert incomplete.status_code == 400 and "water_per_unit" in incomplete.json()

    done = client.post(
        f"{API}{report_id}/submit/", {"indicators": FACTORY, "changes": unchanged()}, content_type="application/json"
    )
    assert done.status_code == 200
    body = done.json()
    assert (body["status"], body["late"], body["flags"], body["review"]["opinion"]) == ("submitted", False, [], "")
    assert body["indicators"] == FACTORY and body["changes"]["name"] == {"changed": False}
    again = client.post(f"{API}{report_id}/save/", {"note": "x"}, content_type="application/json")
    assert again.status_code == 400 and "已提交" in again.json()["detail"]
    assert client.post(f"{API}{report_id}/accept/", {}, content_type="application/json").status_code == 403


def test_a_late_submission_is_refused_in_chinese(client, tree, entries):
    round_ = open_round(tree)
    report = filed(round_, entries["factory"], tree.users["ent"], submit=False)
    past_due(round_)
    response = login(client, tree.users["ent"]).post(f"{API}{report.pk}/submit/", {}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("已超过填报截止时间") and "不能提交" in response.json()["detail"]


def test_the_authority_accepts_and_returns_and_sees_flags(client, tree, entries):
    earlier = open_round(tree, year=2023)
    filed(earlier, entries["factory"], tree.users["ent"])
    round_ = open_round(tree, authority=tree.province, year=2024)
    report = filed(round_, entries["factory"], tree.users["ent"], energy_per_unit=150.0)
    login(client, tree.users["province"])
    detail = client.get(f"{API}{report.pk}/").json()
    assert detail["flagged"] == 1
    assert detail["flags"][0] | {"previous_year": 2023} == {
        "code": "energy_per_unit",
        "label": "单位产品综合能耗",
        "unit": "千克标准煤/单位产品",
        "better": "lower",
        "previous": 100.0,
        "current": 150.0,
        "change_pct": 50.0,
        "previous_year": 2023,
    }
    refused = client.post(f"{API}{report.pk}/return/", {"opinion": ""}, content_type="application/json")
    assert refused.status_code == 400 and refused.json() == {
        "opinion": ["退回的，请填写审核意见，说明需要修改的内容。"]
    }
    returned = client.post(f"{API}{report.pk}/return/", {"opinion": "能耗请说明"}, content_type="application/json")
    assert returned.json()["status"] == "returned" and returned.json()["review"]["opinion"] == "能耗请说明"
    login(client, tree.users["ent"])
    resubmitted = client.post(
        f"{API}{report.pk}/submit/", {"note": "新增产线调试，能耗暂时上升"}, content_type="application/json"
    )
    assert resubmitted.json()["status"] == "submitted"
    accepted = login(client, tree.users["province"]).post(
        f"{API}{report.pk}/accept/", {"opinion": "同意"}, content_type="application/json"
    )
    assert accepted.json()["status"] == "accepted" and accepted.json()["review"]["reviewed_by"]
    # the city, below the province, reads the report of its unit but may not review it
    login(client, tree.users["city"])
    assert client.get(f"{API}{report.pk}/").status_code == 200


def test_list_filters_and_visibility(client, tree, entries):
    r2023 = open_round(tree, year=2023)
    old = filed(r2023, entries["factory"], tree.users["ent"])
    round_ = open_round(tree, authority=tree.province, year=2024)
    flagged = filed(round_, entries["factory"], tree.users["ent"], nox=5.0)
    draft = filed(round_, entries["other"], tree.users["other_ent"], submit=False)
    login(client, tree.users["province"])

    def ids(query=""):
        body = client.get(f"{API}{query}").json()
        assert set(body) == {"count", "next", "previous", "results"}
        return {r["id"] for r in body["results"]}

    assert ids() == {old.pk, flagged.pk, draft.pk}
    assert ids(f"?round={round_.pk}") == {flagged.pk, draft.pk}
    assert ids("?year=2023") == {old.pk}
    assert ids("?status=draft") == {draft.pk}
    assert ids("?flagged=true") == {flagged.pk}
    assert ids("?flagged=false") == {old.pk, draft.pk}
    login(client, tree.users["ent"])
    assert ids() == {old.pk, flagged.pk}
    login(client, tree.users["other_city"])
    assert ids() == {draft.pk}
    for user in (tree.users["eco"], tree.users["other_ent"], tree.users["other_city"], tree.users["other_county"]):
        login(client, user)
        assert client.get(f"{API}{flagged.pk}/").status_code == 404
        assert client.post(f"{API}{flagged.pk}/accept/", {}, content_type="application/json").status_code == 404
        assert (
            client.post(f"{API}{flagged.pk}/save/", {"note": "x"}, content_type="application/json").status_code == 404
        )
    login(client, tree.users["eco"])
    assert ids() == set()
    login(client, tree.users["other_ent"])
    response = client.post(API, {"round": round_.pk, "listing": entries["factory"].pk}, content_type="application/json")
    assert response.status_code == 400 and response.json() == {"listing": ["名单不存在或不可见。"]}
    assert DynamicReport.objects.get(pk=flagged.pk).status == "submitted"


def test_api_list_queries_do_not_grow(client, tree):
    round_ = open_round(tree)
    login(client, tree.users["city"])

    def add(start, stop):
        for i in range(start, stop):
            org = enterprise(f"接口计数企业{i:02d}有限公司", tree.county)
            filed(round_, listing(org, tree.city, year=2022), member(org))

    def measure():
        client.get(API)
        with CaptureQueriesContext(connection) as ctx:
            body = client.get(API).json()
        return len(ctx.captured_queries), body

    add(0, 1)
    one, body = measure()
    assert body["count"] == 1 and body["results"][0]["listing"]["name"] == "接口计数企业00有限公司"
    add(1, 20)
    twenty, body = measure()
    assert body["count"] == 20 and len(body["results"]) == 20
    assert one == twenty
    assert Listing.objects.count() == 20
