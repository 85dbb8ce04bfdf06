"""The statistics pages and the pass-rate API run a fixed number of queries: the same for 1 and for 20
applications (each with its own applicant and assessor, so every table grows by a row)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.chain_helpers import recommend
from tests.stats_helpers import applicant, assessor, notices_for_year, page_table, submitted


@pytest.fixture
def round_2024(tree, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    return notices_for_year(tree, root, 2024)[2]


def add(tree, notice, start, stop):
    for i in range(start, stop):
        org, user = applicant(f"计数测试工厂{i:02d}有限公司", tree.county)
        app = submitted(user, org, notice, by=assessor(tree, f"计数测试评价机构{i:02d}有限公司"))
        if i % 2:
            recommend(app, tree.users["county"])


def measure(client, url) -> tuple[int, str]:
    client.get(url)  # warm per-process caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    if response.streaming:
        return len(ctx.captured_queries), b"".join(response.streaming_content)
    return len(ctx.captured_queries), response.content.decode()


def test_pages_and_api_queries_do_not_grow(client, tree, round_2024):
    client.force_login(tree.users["city"])
    pages = {
        "/stats/": "assessors",
        f"/stats/?level={tree.county.pk}": "assessors",
        "/stats/pass-rates/": "pass-rates",
        "/stats/trends/": "trends",
        "/stats/export/assessors.xlsx": None,
        "/stats/export/pass-rates.xlsx": None,
    }
    add(tree, round_2024, 0, 1)
    one = {}
    for url, key in pages.items():
        one[url], html = measure(client, url)
        if key in ("assessors", "pass-rates"):
            assert len(page_table(html, key)) >= 2  # header and the one row
    api_one, body = measure(client, "/api/v1/assessors/pass-rates/")
    assert '"count":1' in body

    add(tree, round_2024, 1, 20)
    for url, key in pages.items():
        twenty, html = measure(client, url)
        if key in ("assessors", "pass-rates"):
            names = [row[0] for row in page_table(html, key)]
            assert sum(name.startswith("计数测试评价机构") for name in names) == 20
        assert twenty == one[url], url
    api_twenty, body = measure(client, "/api/v1/assessors/pass-rates/")
    assert '"count":20' in body
    assert api_twenty == api_one
