"""The province's registry pages: the list (filters, pagination, empty state, xlsx export, a fixed number of
queries at 1 and 20 rows), one assessor's record with blacklisting and lifting, the blacklist list; and 404 for
another province, another assessor and users without a part in the registry."""

import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from organizations import services_registry as services
from organizations.models import AssessorBlacklist
from tests.factories import authority, member
from tests.registry_helpers import approved, file_with, new_assessor, open_call, report

ROW = re.compile(r'<td><a href="/assessors/registry/\d+/">')


@pytest.fixture
def jilin(tree):
    return authority("吉林省工信厅（测试）", "220000", "province", tree.ministry)


def measure(client, url) -> tuple[int, str]:
    client.get(url)  # warm per-process caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def add_filings(tree, start, stop, *, approve=True):
    for i in range(start, stop):
        assessor, user = new_assessor(f"计数评价机构{i:02d}有限公司")
        filing = file_with(user, assessor, tree.province)
        if approve and i % 2 == 0:
            services.filing_decide(actor=tree.users["province"], filing=filing, approve=True)
        if i % 3 == 0:
            services.blacklist_add(
                actor=tree.users["province"],
                authority=tree.province,
                assessor=assessor,
                starts_on=timezone.localdate() - timedelta(days=5),
                reason="弄虚作假",
                notice_ref=f"晋工信函〔2026〕{i}号",
            )


@pytest.mark.parametrize("who", ["province", "ministry"])
def test_registry_list_queries_do_not_grow(tree, client, who):
    client.force_login(tree.users[who])
    add_filings(tree, 0, 1)
    one, page = measure(client, "/assessors/registry/")
    assert len(ROW.findall(page)) == 1 and "在黑名单期内" in page
    add_filings(tree, 1, 25)
    twenty, page = measure(client, "/assessors/registry/")
    assert len(ROW.findall(page)) == 20 and "共 25 条，第 1 / 2 页" in page
    assert one == twenty


def test_registry_list_filters_and_the_waiting_count(tree, client, jilin):
    add_filings(tree, 0, 4)
    other, other_user = new_assessor("吉林绿评有限公司", region="220102")
    file_with(other_user, other, jilin)
    client.force_login(tree.users["province"])
    page = client.get("/assessors/registry/").content.decode()
    assert len(ROW.findall(page)) == 4 and "吉林绿评有限公司" not in page
    assert "有 2 份备案等待审核" in page
    waiting = client.get("/assessors/registry/?status=submitted").content.decode()
    assert "计数评价机构01有限公司" in waiting and "计数评价机构00有限公司" not in waiting
    found = client.get("/assessors/registry/?q=评价机构03").content.decode()
    assert len(ROW.findall(found)) == 1 and "计数评价机构03有限公司" in found
    code = other.credit_code
    assert "没有符合条件的备案" in client.get(f"/assessors/registry/?q={code}").content.decode()
    # The province filter is the ministry's.
    client.force_login(tree.users["ministry"])
    everything = client.get("/assessors/registry/").content.decode()
    assert len(ROW.findall(everything)) == 5 and 'name="province"' in everything
    only_jilin = client.get(f"/assessors/registry/?province={jilin.pk}").content.decode()
    assert len(ROW.findall(only_jilin)) == 1 and "吉林绿评有限公司" in only_jilin


def test_a_refiling_replaces_the_rejected_filing_in_the_list(tree, client):
    assessor, user = new_assessor("晋源评价咨询有限公司")
    first = file_with(user, assessor, tree.province)
    services.filing_decide(actor=tree.users["province"], filing=first, approve=False, reason="材料不全")
    file_with(user, assessor, tree.province, previous=first)
    client.force_login(tree.users["province"])
    page = client.get("/assessors/registry/").content.decode()
    assert len(ROW.findall(page)) == 1 and "待审核" in page


def test_registry_empty_state(tree, client):
    client.force_login(tree.users["province"])
    assert "还没有评价机构向本单位备案。" in client.get("/assessors/registry/").content.decode()


def test_registry_export_xlsx(tree, client):
    from openpyxl import load_workbook

    add_filings(tree, 0, 3)
    assessor, user = new_assessor("晋源评价咨询有限公司")
    approved(user, assessor, tree.province, tree.users["province"])
    call = open_call(tree.users["province"], tree.province, year=timezone.localdate().year - 1)
    report(user, assessor, call)
    client.force_login(tree.users["province"])
    response = client.get("/assessors/registry/export.xlsx?status=approved")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("序号", "评价机构", "统一社会信用代码", "法定代表人", "备案主管部门", "备案状态")
    body = {r[1]: r for r in rows[1:]}
    assert set(body) == {"计数评价机构00有限公司", "计数评价机构02有限公司", "晋源评价咨询有限公司"}
    assert body["计数评价机构00有限公司"][5] == "已备案" and body["计数评价机构00有限公司"][12] == "在黑名单期内"
    assert body["晋源评价咨询有限公司"][8] == "满足" and body["晋源评价咨询有限公司"][13] == "已填报"
    client.force_login(tree.users["city"])
    assert client.get("/assessors/registry/export.xlsx").status_code == 404


def test_blacklisting_and_lifting_on_the_assessors_page(tree, client):
    assessor, user = new_assessor("晋源评价咨询有限公司")
    approved(user, assessor, tree.province, tree.users["province"])
    client.force_login(tree.users["province"])
    page = client.get(f"/assessors/registry/{assessor.pk}/").content.decode()
    assert 'id="blacklist"' in page and "该机构没有黑名单记录。" in page
    refused = client.post(
        f"/assessors/registry/{assessor.pk}/blacklist/",
        {"authority": tree.province.pk, "starts_on": "2026-01-05", "notice_ref": "", "reason": ""},
    )
    body = refused.content.decode()
    assert "请填写通报或公告的文号。" in body and not AssessorBlacklist.objects.exists()
    start = timezone.localdate() - timedelta(days=3)
    done = client.post(
        f"/assessors/registry/{assessor.pk}/blacklist/",
        {
            "authority": tree.province.pk,
            "starts_on": start.isoformat(),
            "notice_ref": "晋工信节能函〔2026〕8号",
            "reason": "评价报告能耗数据与企业台账不符",
        },
    )
    entry = AssessorBlacklist.objects.get()
    assert done.status_code == 302 and entry.ends_on == start.replace(year=start.year + 3)
    page = client.get(f"/assessors/registry/{assessor.pk}/").content.decode()
    assert "在黑名单期内" in page and f'action="/assessors/blacklist/{entry.pk}/lift/"' in page
    client.post(f"/assessors/blacklist/{entry.pk}/lift/", {f"lift{entry.pk}-reason": ""})
    entry.refresh_from_db()
    assert entry.lifted_on is None
    client.post(f"/assessors/blacklist/{entry.pk}/lift/", {f"lift{entry.pk}-reason": "复查撤销"})
    entry.refresh_from_db()
    assert entry.lifted_on == timezone.localdate() and entry.lift_reason == "复查撤销"
    # The assessor sees its own entries.
    client.force_login(user)
    home = client.get("/assessors/").content.decode()
    assert "晋工信节能函〔2026〕8号" in home and "移出" in home


def test_the_blacklist_list(tree, client, jilin):
    add_filings(tree, 0, 4)
    client.force_login(member(jilin))  # published entries: every province sees them
    page = client.get("/assessors/blacklist/").content.decode()
    assert page.count('id="blacklist-') == 2
    assert client.get("/assessors/blacklist/?state=ended").content.decode().count('id="blacklist-') == 0
    assert "计数评价机构03" in client.get("/assessors/blacklist/?q=03").content.decode()
    assessor = AssessorBlacklist.objects.order_by("id").first().assessor
    client.force_login(assessor.memberships.get().user)
    assert client.get("/assessors/blacklist/").content.decode().count('id="blacklist-') == 1
    client.force_login(tree.users["ent"])
    assert client.get("/assessors/blacklist/").status_code == 404


def test_visibility_of_the_registry_pages(tree, client, jilin):
    assessor, user = new_assessor("晋源评价咨询有限公司")
    approved(user, assessor, tree.province, tree.users["province"])
    elsewhere, elsewhere_user = new_assessor("吉林绿评有限公司", region="220102")
    jilin_user = member(jilin)
    approved(elsewhere_user, elsewhere, jilin, jilin_user)
    client.force_login(jilin_user)
    assert client.get(f"/assessors/registry/{assessor.pk}/").status_code == 404
    assert client.post(f"/assessors/registry/{assessor.pk}/blacklist/", {}).status_code == 404
    client.force_login(elsewhere_user)
    assert client.get(f"/assessors/registry/{assessor.pk}/").status_code == 404
    assert client.get("/assessors/registry/").status_code == 404
    for outsider in (tree.users["city"], tree.users["county"], tree.users["ent"], tree.users["eco"]):
        client.force_login(outsider)
        assert client.get("/assessors/registry/").status_code == 404
        assert client.get(f"/assessors/registry/{assessor.pk}/").status_code == 404
    client.force_login(tree.users["ministry"])
    page = client.get(f"/assessors/registry/{elsewhere.pk}/").content.decode()
    assert "吉林绿评有限公司" in page and "已备案" in page
    # A province member lands on the registry from /assessors/.
    client.force_login(tree.users["province"])
    assert client.get("/assessors/")["Location"] == "/assessors/registry/"
