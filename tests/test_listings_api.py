"""/api/v1/listings/: the entries the user may see, filters, detail with renames, 404 for others."""

from datetime import date

import pytest

from listings.services import listing_remove, listing_rename
from tests.listing_helpers import listing

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(tree):
    renamed = listing(tree.ent, tree.province, level="province", year=2022)
    listing_rename(
        actor=tree.users["city"],
        listing=renamed,
        new_name="小店更名后有限公司",
        changed_on=date(2024, 3, 1),
        reason="重组",
    )
    removed = listing(tree.ent, tree.city, level="city", category="supply_chain", year=2021)
    listing_remove(
        actor=tree.users["city"], listing=removed, authority=tree.city, removed_on=date(2024, 7, 1), reason="复核不通过"
    )
    national = listing(tree.other_ent, tree.ministry, level="national", year=2023)
    return {"renamed": renamed, "removed": removed, "national": national}


def names(response):
    return sorted(r["display_name"] for r in response.json()["results"])


def test_list_is_paginated_and_filtered_by_visibility(client, tree, entries):
    client.force_login(tree.users["city"])
    body = client.get("/api/v1/listings/").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 2
    removed = next(r for r in body["results"] if r["status"] == "removed")
    assert removed["removed_on"] == "2024-07-01" and removed["removal_reason"] == "复核不通过"
    assert removed["removal_authority_name"] == "太原市工信局（测试）"
    assert removed["region"] == ["山西省", "太原市", "小店区"]

    client.force_login(tree.users["ministry"])
    assert client.get("/api/v1/listings/").json()["count"] == 3
    client.force_login(tree.users["ent"])
    assert names(client.get("/api/v1/listings/")) == ["小店更名后有限公司", "小店测试企业有限公司"]
    client.force_login(tree.users["eco"])
    assert client.get("/api/v1/listings/").json()["count"] == 0
    client.logout()
    assert client.get("/api/v1/listings/").status_code in (401, 403)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("level=national", ["平城测试企业有限公司"]),
        ("status=removed", ["小店测试企业有限公司"]),
        ("status=active&category=factory", ["小店更名后有限公司", "平城测试企业有限公司"]),
        ("year=2021", ["小店测试企业有限公司"]),
        ("city=140200", ["平城测试企业有限公司"]),
        ("q=更名后", ["小店更名后有限公司"]),
    ],
)
def test_list_filters(client, tree, entries, query, expected):
    client.force_login(tree.users["province"])
    assert names(client.get(f"/api/v1/listings/?{query}")) == expected


def test_credit_code_search(client, tree, entries):
    client.force_login(tree.users["province"])
    assert names(client.get(f"/api/v1/listings/?q={tree.other_ent.credit_code.lower()}")) == ["平城测试企业有限公司"]


def test_detail_with_renames_and_404_for_another_city(client, tree, entries):
    url = f"/api/v1/listings/{entries['renamed'].pk}/"
    client.force_login(tree.users["county"])
    body = client.get(url).json()
    assert (body["display_name"], body["name"], body["level"], body["year"]) == (
        "小店更名后有限公司",
        "小店测试企业有限公司",
        "province",
        2022,
    )
    assert [(r["old_name"], r["new_name"], r["changed_on"], r["reason"]) for r in body["renames"]] == [
        ("小店测试企业有限公司", "小店更名后有限公司", "2024-03-01", "重组")
    ]
    client.force_login(tree.users["other_city"])
    missing = client.get(url)
    assert missing.status_code == 404 and missing.json()["detail"] == "名单条目不存在或无权查看。"
    client.force_login(tree.users["other_ent"])
    assert client.get(url).status_code == 404
    assert client.get(f"/api/v1/listings/{entries['national'].pk}/").status_code == 200


def test_read_only(client, tree, entries):
    client.force_login(tree.users["ministry"])
    url = f"/api/v1/listings/{entries['national'].pk}/"
    assert client.delete(url).status_code == 405
    assert client.post("/api/v1/listings/", {}).status_code == 405
