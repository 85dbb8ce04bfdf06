"""/api/v1/assessors/: the registry as the caller may see it, with filing status and province, blacklist state and
annual report status; filters province, status, search; 404 for another province's or another assessor's record;
a fixed number of queries at 1 and 20 rows; assessors/pass-rates stays the statistics' route."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, resolve
from django.utils import timezone

from organizations import services_registry as services
from organizations.api_registry import AssessorRegistryViewSet
from tests.factories import authority, member
from tests.registry_helpers import approved, file_with, new_assessor, open_call, report

URL = "/api/v1/assessors/"


@pytest.fixture
def jilin(tree):
    return authority("吉林省工信厅（测试）", "220000", "province", tree.ministry)


def test_the_registry_with_filings_blacklist_and_reports(tree, client):
    assessor, user = new_assessor("晋源评价咨询有限公司")
    filing = approved(user, assessor, tree.province, tree.users["province"])
    call = open_call(tree.users["province"], tree.province, year=timezone.localdate().year - 1)
    filed_report = report(user, assessor, call)
    entry = services.blacklist_add(
        actor=tree.users["province"],
        authority=tree.province,
        assessor=assessor,
        starts_on=timezone.localdate() - timedelta(days=1),
        reason="弄虚作假",
        notice_ref="晋工信函〔2026〕1号",
    )
    client.force_login(tree.users["province"])
    body = client.get(URL).json()
    assert (body["count"], body["next"], body["previous"]) == (1, None, None)
    [row] = body["results"]
    assert row["name"] == "晋源评价咨询有限公司" and row["legal_representative"] == "韩立群"
    assert row["filings"] == [
        {
            "id": filing.pk,
            "province": tree.province.pk,
            "province_name": "山西省工信厅（测试）",
            "status": "approved",
            "status_display": "已备案",
            "submitted_at": row["filings"][0]["submitted_at"],
            "decided_at": row["filings"][0]["decided_at"],
            "reason": "材料齐全",
        }
    ]
    assert row["blacklisted"] is True
    assert [(b["id"], b["notice_ref"], b["active"], b["ends_on"]) for b in row["blacklist"]] == [
        (entry.pk, "晋工信函〔2026〕1号", True, entry.ends_on.isoformat())
    ]
    assert row["reported_last_year"] is True
    assert [(r["id"], r["year"], r["status"], r["late"]) for r in row["annual_reports"]] == [
        (filed_report.pk, call.year, "submitted", False)
    ]
    detail = client.get(f"{URL}{assessor.pk}/").json()
    assert detail == row


def test_filters_province_status_and_search(tree, client, jilin):
    approved_one, u1 = new_assessor("甲评价有限公司")
    approved(u1, approved_one, tree.province, tree.users["province"])
    waiting, u2 = new_assessor("乙评价有限公司")
    file_with(u2, waiting, tree.province)
    twice, u3 = new_assessor("丙评价有限公司")
    first = file_with(u3, twice, tree.province)
    services.filing_decide(actor=tree.users["province"], filing=first, approve=False, reason="材料不全")
    elsewhere, u4 = new_assessor("吉林绿评有限公司", region="220102")
    file_with(u4, elsewhere, jilin)

    def names(user, query=""):
        client.force_login(user)
        return sorted(r["name"] for r in client.get(URL + query).json()["results"])

    ministry = tree.users["ministry"]
    assert names(ministry) == ["丙评价有限公司", "乙评价有限公司", "吉林绿评有限公司", "甲评价有限公司"]
    assert names(ministry, f"?province={jilin.pk}") == ["吉林绿评有限公司"]
    assert names(ministry, "?status=approved") == ["甲评价有限公司"]
    assert names(ministry, "?status=submitted") == ["乙评价有限公司", "吉林绿评有限公司"]
    assert names(ministry, "?status=rejected") == ["丙评价有限公司"]
    assert names(ministry, "?search=绿评") == ["吉林绿评有限公司"]
    assert names(ministry, f"?search={approved_one.credit_code}") == ["甲评价有限公司"]
    # The province sees the assessors in its territory; 吉林's filing is not its to see.
    assert names(tree.users["province"]) == ["丙评价有限公司", "乙评价有限公司", "甲评价有限公司"]
    assert names(tree.users["province"], "?status=none") == []
    client.force_login(tree.users["province"])
    row = client.get(f"{URL}{twice.pk}/").json()
    assert [f["status"] for f in row["filings"]] == ["rejected"]


def test_an_assessor_sees_itself_and_others_get_404(tree, client, jilin):
    assessor, user = new_assessor("晋源评价咨询有限公司")
    approved(user, assessor, tree.province, tree.users["province"])
    other, other_user = new_assessor("另一评价有限公司")
    elsewhere, elsewhere_user = new_assessor("吉林绿评有限公司", region="220102")
    jilin_user = member(jilin)
    approved(elsewhere_user, elsewhere, jilin, jilin_user)
    client.force_login(user)
    body = client.get(URL).json()
    assert [r["name"] for r in body["results"]] == ["晋源评价咨询有限公司"]
    assert client.get(f"{URL}{other.pk}/").status_code == 404
    client.force_login(jilin_user)
    assert client.get(f"{URL}{assessor.pk}/").status_code == 404
    assert [r["name"] for r in client.get(URL).json()["results"]] == ["吉林绿评有限公司"]
    for outsider in (tree.users["city"], tree.users["ent"], other_user):
        client.force_login(outsider)
        assert client.get(f"{URL}{assessor.pk}/").status_code == 404
    client.force_login(tree.users["city"])
    assert client.get(URL).json()["count"] == 0
    # The ministry sees 吉林's filing of an assessor; 山西 does not see it on a shared assessor either.
    approved(elsewhere_user, elsewhere, tree.province, tree.users["province"])
    client.force_login(tree.users["province"])
    row = client.get(f"{URL}{elsewhere.pk}/").json()
    assert [f["province_name"] for f in row["filings"]] == ["山西省工信厅（测试）"]
    client.force_login(tree.users["ministry"])
    row = client.get(f"{URL}{elsewhere.pk}/").json()
    assert sorted(f["province_name"] for f in row["filings"]) == ["吉林省工信厅（测试）", "山西省工信厅（测试）"]


def test_ids_are_digits_so_pass_rates_stay_the_statistics_route():
    for path in ("/api/v1/assessors/pass-rates/", "/api/v1/assessors/abc/"):
        try:
            match = resolve(path)
        except Resolver404:
            continue
        assert getattr(match.func, "cls", None) is not AssessorRegistryViewSet
    assert resolve("/api/v1/assessors/12/").func.cls is AssessorRegistryViewSet


def add(tree, start, stop):
    for i in range(start, stop):
        assessor, user = new_assessor(f"计数评价机构{i:02d}有限公司")
        filing = file_with(user, assessor, tree.province)
        if i % 2:
            services.filing_decide(actor=tree.users["province"], filing=filing, approve=True)
        if i % 3 == 0:
            services.blacklist_add(
                actor=tree.users["province"],
                authority=tree.province,
                assessor=assessor,
                starts_on=timezone.localdate(),
                reason="弄虚作假",
                notice_ref=f"晋工信函〔2026〕{i}号",
            )


@pytest.mark.parametrize("who", ["province", "ministry"])
def test_api_list_queries_do_not_grow(tree, client, who):
    client.force_login(tree.users[who])
    add(tree, 0, 1)
    client.get(URL)
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(URL).json()
    one = len(ctx.captured_queries)
    assert body["count"] == 1 and body["results"][0]["blacklisted"] is True
    add(tree, 1, 20)
    client.get(URL)  # warm again: adding organizations moved the kept memberships on
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(URL).json()
    assert body["count"] == 20 and len(body["results"]) == 20
    assert sum(len(r["filings"]) for r in body["results"]) == 20
    assert one == len(ctx.captured_queries)
