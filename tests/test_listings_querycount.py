"""The public page, the authority's list, the export and the API list run the same number of queries at 1 and 20 rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from listings.services import listing_rename
from tests.factories import enterprise
from tests.listing_helpers import listing

pytestmark = pytest.mark.django_db


def add(tree, start, stop):
    for i in range(start, stop):
        county = tree.other_county if i % 2 else tree.county
        unit = enterprise(f"计数名单企业{i:02d}有限公司", county)
        entry = listing(
            unit, tree.province, level="province", year=2020 + i % 4, status="removed" if i % 5 == 4 else "active"
        )
        if i % 3 == 0:
            listing_rename(
                actor=tree.users["province"],
                listing=entry,
                new_name=f"计数名单更名企业{i:02d}",
                changed_on=entry.listed_on,
            )


def measure(client, url) -> tuple[int, str]:
    client.get(url)  # warm per-process caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return len(ctx.captured_queries), content.decode("utf-8", errors="replace")


@pytest.mark.parametrize(
    ("who", "url"),
    [
        (None, "/lists/"),
        (None, "/lists/?province=140000"),
        ("province", "/listings/"),
        ("province", "/listings/?province=140000&status=active"),
        ("city", "/listings/"),
        ("province", "/listings/export/"),
        ("ministry", "/api/v1/listings/"),
        ("province", "/api/v1/listings/"),
    ],
)
def test_queries_do_not_grow_with_rows(client, tree, who, url):
    if who:
        client.force_login(tree.users[who])
    add(tree, 0, 1)
    one, _ = measure(client, url)
    add(tree, 1, 25)
    twenty, page = measure(client, url)
    assert one == twenty
    if "export" in url:
        return
    if url.startswith("/api/"):
        assert page.count('"display_name"') == 20
    else:
        assert page.count('class="listing-row"') >= 10


def test_public_page_rows(client, tree):
    add(tree, 0, 25)
    page = client.get("/lists/").content.decode()
    assert page.count('class="listing-row"') == 20  # 25 entries, 5 removed
    assert "原名：计数名单企业00有限公司" in page
