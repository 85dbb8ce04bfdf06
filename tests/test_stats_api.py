"""/api/v1/assessors/pass-rates/: figures, filters, visibility (an authority its jurisdiction, an assessor its own
row, anyone else 404) and the schema."""

import pytest
from django.core.management import call_command

from tests import stats_helpers

stats_round = stats_helpers.stats_round  # fixture

URL = "/api/v1/assessors/pass-rates/"


def rows(client, user, query=""):
    client.force_login(user)
    response = client.get(URL + query)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == len(body["results"])
    return body["results"]


def test_the_ministry_reads_every_assessors_pass_rate(client, tree, stats_round):
    x, y = stats_round.x, stats_round.y
    assert rows(client, tree.users["ministry"], "?year=2024") == [
        {
            "assessor": x.pk,
            "name": x.name,
            "credit_code": x.credit_code,
            "evaluated": 4,
            "recommended_county": 3,
            "recommended_city": 2,
            "recommended_province": 1,
            "recommended_ministry": 1,
            "listed": 1,
            "rate_county": 75.0,
            "rate_city": 50.0,
            "rate_province": 25.0,
            "rate_ministry": 25.0,
            "rate_listed": 25.0,
        },
        {
            "assessor": y.pk,
            "name": y.name,
            "credit_code": y.credit_code,
            "evaluated": 1,
            "recommended_county": 1,
            "recommended_city": 0,
            "recommended_province": 0,
            "recommended_ministry": 0,
            "listed": 0,
            "rate_county": 100.0,
            "rate_city": 0.0,
            "rate_province": 0.0,
            "rate_ministry": 0.0,
            "rate_listed": 0.0,
        },
    ]


def test_filters_year_notice_and_province(client, tree, stats_round):
    ministry = tree.users["ministry"]
    assert [r["evaluated"] for r in rows(client, ministry)] == [4, 1]  # no filter: every year
    assert rows(client, ministry, "?year=2023") == []
    assert [r["name"] for r in rows(client, ministry, f"?notice={stats_round.notices.top.pk}")] == [
        stats_round.x.name,
        stats_round.y.name,
    ]
    # A city's forward belongs to the same family as the ministry's notice.
    assert len(rows(client, ministry, f"?notice={stats_round.notices.datong.pk}")) == 2
    assert rows(client, ministry, f"?notice={stats_round.notices.top_2023.pk}") == []
    assert len(rows(client, ministry, f"?province={tree.province.pk}")) == 2
    assert client.get(URL + f"?province={tree.city.pk}").status_code == 404
    bad = client.get(URL + "?year=abc")
    assert bad.status_code == 400 and bad.json()["year"] == ["年度应为四位数字。"]


def test_an_authority_counts_its_jurisdiction_only(client, tree, stats_round):
    (city,) = rows(client, tree.users["city"], "?year=2024")
    assert (city["assessor"], city["evaluated"], city["rate_city"]) == (stats_round.x.pk, 4, 50.0)
    (other,) = rows(client, tree.users["other_city"])
    assert (other["assessor"], other["evaluated"]) == (stats_round.y.pk, 1)
    assert len(rows(client, tree.users["province"])) == 2
    # Filtering by the province never widens a city's view.
    assert [r["assessor"] for r in rows(client, tree.users["other_city"], f"?province={tree.province.pk}")] == [
        stats_round.y.pk
    ]
    # A notice outside the city's chain is a 404, as on the pages.
    assert client.get(URL + f"?notice={stats_round.notices.taiyuan.pk}").status_code == 404


def test_an_assessor_sees_its_own_row_only(client, tree, stats_round):
    (own,) = rows(client, stats_round.x_user)
    assert own["assessor"] == stats_round.x.pk and own["rate_county"] == 75.0
    (own,) = rows(client, stats_round.y_user, "?year=2024")
    assert own["assessor"] == stats_round.y.pk


@pytest.mark.parametrize("name", ["ent", "eco"])
def test_others_get_404(client, tree, name):
    client.force_login(tree.users[name])
    assert client.get(URL).status_code == 404


def test_anonymous_is_refused(client, db):
    assert client.get(URL).status_code in (401, 403)


def test_schema_holds_the_endpoint(tmp_path, db):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(out))
    text = out.read_text(encoding="utf-8")
    assert f"  {URL}:" in text
    section = text.split(f"  {URL}:")[1].split("\n  /")[0]
    for word in ("name: year", "name: notice", "name: province", "name: page", "PaginatedPassRateList"):
        assert word in section or word in text, word
    assert "rate_county" in text
