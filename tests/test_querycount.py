"""List pages and list endpoints run a fixed number of queries: the same at 1 row and at 20 rows."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activity.services import audit_record, notification_send
from tests.factories import authority, enterprise, member

ROW = re.compile(r'<td><a href="/organizations/\d+/">')


@pytest.fixture
def county(db):
    ministry = authority("工信部（计数）", "110000", "ministry")
    province = authority("山西省工信厅（计数）", "140000", "province", ministry)
    city = authority("太原市工信局（计数）", "140100", "city", province)
    return authority("小店区工信局（计数）", "140105", "county", city)


def measure(client, url) -> tuple[int, str]:
    client.get(url)  # warm per-process caches (content types and the like)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def add_enterprises(county, start, stop):
    for i in range(start, stop):
        enterprise(f"计数测试企业{i:02d}有限公司", county)


@pytest.mark.parametrize("as_superuser", [False, True], ids=["county-user", "superuser"])
def test_organization_list_page_queries_do_not_grow(client, county, django_user_model, as_superuser):
    if as_superuser:
        user = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password")
    else:
        user = member(county)
    client.force_login(user)
    url = "/organizations/?kind=enterprise"

    add_enterprises(county, 0, 1)
    one, page = measure(client, url)
    assert len(re.findall(r'<a href="/organizations/\d+/">计数测试企业', page)) == 1

    add_enterprises(county, 1, 20)
    twenty, page = measure(client, url)
    assert len(re.findall(r'<a href="/organizations/\d+/">计数测试企业', page)) == 20
    assert county.name in page  # the competent authority column, from select_related

    assert one == twenty


def test_organization_list_page_with_authorities_queries_do_not_grow(client, county):
    """Rows of every kind (authority rows show their parent) at 20 a page."""
    client.force_login(member(county))
    add_enterprises(county, 0, 1)
    small, page = measure(client, "/organizations/")
    assert len(ROW.findall(page)) == 2
    add_enterprises(county, 1, 25)
    full, page = measure(client, "/organizations/")
    assert len(ROW.findall(page)) == 20
    assert small == full


def test_organization_api_list_queries_do_not_grow(client, county):
    client.force_login(member(county))
    url = "/api/v1/organizations/?kind=enterprise"

    add_enterprises(county, 0, 1)
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(url).json()
    one = len(ctx.captured_queries)
    assert body["count"] == 1

    add_enterprises(county, 1, 20)
    client.get(url)  # warm again: adding organizations moved the kept memberships on
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(url).json()
    twenty = len(ctx.captured_queries)
    assert body["count"] == 20
    assert len(body["results"]) == 20
    assert {row["region_name"] for row in body["results"]} == {"小店区"}

    assert one == twenty


def test_audit_list_page_queries_do_not_grow(client, county):
    user = member(county)
    client.force_login(user)
    url = "/activity/?verb=test."
    targets = []
    for i in range(20):
        targets.append(enterprise(f"审计计数企业{i:02d}有限公司", county))

    audit_record(actor=user, verb="test.count", target=targets[0], organization=county)
    one, page = measure(client, url)
    assert page.count("审计计数企业") == 1

    for target in targets[1:]:
        audit_record(actor=user, verb="test.count", target=target, organization=county)
    twenty, page = measure(client, url)
    assert page.count("审计计数企业") == 20
    assert page.count(county.name) >= 20  # the organization column, from select_related

    assert one == twenty


def test_notification_list_page_queries_do_not_grow(client, county):
    user = member(county)
    client.force_login(user)

    notification_send(recipients=[user], title="计数通知00")
    one, page = measure(client, "/notifications/")
    assert page.count("计数通知") == 1

    for i in range(1, 20):
        notification_send(recipients=[user], title=f"计数通知{i:02d}")
    twenty, page = measure(client, "/notifications/")
    assert page.count("计数通知") == 20

    assert one == twenty


def test_notification_api_list_queries_do_not_grow(client, county):
    user = member(county)
    client.force_login(user)
    notification_send(recipients=[user], title="接口计数通知")
    client.get("/api/v1/notifications/")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/api/v1/notifications/").json()["count"] == 1
    one = len(ctx.captured_queries)
    notification_send(recipients=[user] * 19, title="接口计数通知")
    with CaptureQueriesContext(connection) as ctx:
        assert len(client.get("/api/v1/notifications/").json()["results"]) == 20
    assert len(ctx.captured_queries) == one
