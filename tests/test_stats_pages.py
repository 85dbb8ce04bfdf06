"""Statistics pages: who may see them (404 otherwise), the xlsx export of each table equals the page's table with
the filters in its title row, charts are inline SVG with Chinese text, empty states."""

import re

import pytest

from organizations.services import membership_add
from stats import charts
from tests import stats_helpers
from tests.factories import enterprise
from tests.stats_helpers import page_table, same_cells, xlsx_rows

stats_round = stats_helpers.stats_round  # fixture

OVERVIEW_TABLES = ("outcomes", "categories", "regions", "states", "assessors")


def get(client, user, url):
    client.force_login(user)
    return client.get(url)


def download(response) -> bytes:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response["Content-Disposition"] and ".xlsx" in response["Content-Disposition"]
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("name", ["ent", "eco"])
def test_applicants_and_departments_get_404(client, tree, name):
    for url in ("/stats/", "/stats/pass-rates/", "/stats/trends/", "/stats/export/regions.xlsx"):
        assert get(client, tree.users[name], url).status_code == 404


def test_assessors_get_404_on_the_pages(client, tree, stats_round):
    for url in ("/stats/", "/stats/pass-rates/", "/stats/export/pass-rates.xlsx"):
        assert get(client, stats_round.x_user, url).status_code == 404


def test_anonymous_users_are_sent_to_log_in(client, db):
    response = client.get("/stats/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_another_city_sees_neither_the_counts_nor_the_export_of_this_one(client, tree, stats_round):
    other = tree.users["other_city"]
    html = get(client, other, "/stats/").content.decode()
    assert page_table(html, "regions")[1:] == [
        ["平城区", "平城区工信局（测试）", "2", "0", "0"],
        ["合计", "", "2", "0", "0"],
    ]
    assert "小店" not in html and "中环绿色评价中心有限公司" not in html
    for url in (
        f"/stats/?level={tree.city.pk}",
        f"/stats/?level={tree.county.pk}",
        f"/stats/trends/?level={tree.city.pk}",
        f"/stats/export/regions.xlsx?year=2024&level={tree.city.pk}",
        f"/stats/export/trends.xlsx?level={tree.county.pk}",
    ):
        assert get(client, other, url).status_code == 404, url
    # Its own export holds its own figures only.
    _, rows = xlsx_rows(download(get(client, other, "/stats/export/assessors.xlsx?year=2024")))
    assert rows[1:] == [
        ["晋北节能评估有限公司", "1", "0", "0"],
        ["自评价（无第三方评价机构）", "1", "0", "0"],
        ["合计", "2", "0", "0"],
    ]
    # A county cannot look above itself.
    assert get(client, tree.users["county"], f"/stats/?level={tree.city.pk}").status_code == 404


def test_a_notice_the_user_cannot_see_is_a_404(client, tree, stats_round):
    datong_notice = stats_round.notices.datong  # 大同's forward: not in 太原's chain
    for url in (
        f"/stats/?notice={datong_notice.pk}",
        f"/stats/pass-rates/?notice={datong_notice.pk}",
        f"/stats/export/outcomes.xlsx?notice={datong_notice.pk}",
        "/stats/?notice=999999",
    ):
        assert get(client, tree.users["city"], url).status_code == 404, url
    assert get(client, tree.users["other_city"], f"/stats/?notice={datong_notice.pk}").status_code == 200
    # The province filter takes provinces only.
    assert get(client, tree.users["ministry"], f"/stats/pass-rates/?province={tree.city.pk}").status_code == 404
    assert get(client, tree.users["ministry"], f"/stats/pass-rates/?province={tree.province.pk}").status_code == 200


@pytest.mark.parametrize("query", ["", "?year=all", "notice"])
def test_each_export_is_the_pages_table_with_the_filters_in_its_title(client, tree, stats_round, query):
    if query == "notice":
        query = f"?notice={stats_round.notices.top.pk}"
    user = tree.users["province"]
    html = get(client, user, f"/stats/{query}").content.decode()
    for key in OVERVIEW_TABLES:
        link = re.search(rf'href="(/stats/export/{key}\.xlsx\?[^"]*)"', html).group(1).replace("&amp;", "&")
        title, rows = xlsx_rows(download(get(client, user, link)))
        assert same_cells(rows) == same_cells(page_table(html, key)), key
        assert title[0][0] == page_title(html, key)
        filters = title[1][0]
        assert f"统计层级：{tree.province.name}" in filters and f"导出单位：{tree.province.name}" in filters
        if "notice" in query:
            assert f"通知：{stats_round.notices.top.title}（2024年，含各级转发）" in filters
        elif "all" in query:
            assert "年度：全部" in filters
        else:
            assert "年度：2024年" in filters
    client.force_login(tree.users["ministry"])
    for page, key in (("pass-rates/?year=2024", "pass-rates"), ("trends/", "trends"), ("trends/", "listings")):
        html = client.get(f"/stats/{page}").content.decode()
        link = re.search(rf'href="(/stats/export/{key}\.xlsx\?[^"]*)"', html).group(1).replace("&amp;", "&")
        title, rows = xlsx_rows(download(client.get(link)))
        assert same_cells(rows) == same_cells(page_table(html, key)), key
        assert title[0][0] == page_title(html, key)


def page_title(html, key):
    return re.search(rf'<h2 id="h-{key}">([^<]+)</h2>', html).group(1)


def test_figures_stay_numbers_in_the_export(client, tree, stats_round):
    content = download(get(client, tree.users["ministry"], "/stats/export/pass-rates.xlsx?year=2024"))
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(content)).active
    assert [c.value for c in sheet[3]][:3] == ["第三方评价机构", "统一社会信用代码", "评价数"]
    row = [c.value for c in sheet[4]]
    assert row[2:8] == [4, 3, 2, 1, 1, 1] and row[8:] == [75.0, 50.0, 25.0, 25.0, 25.0]
    assert sheet.freeze_panes == "A4" and "A1:M1" in {str(r) for r in sheet.merged_cells.ranges}


def test_charts_are_inline_svg_with_chinese_text(client, tree, stats_round):
    html = get(client, tree.users["city"], "/stats/").content.decode()
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(svgs) == 3  # outcomes, categories, regions
    categories = next(s for s in svgs if 'id="chart-categories"' in s)
    assert re.search(r"<text[^>]*>(<title>绿色工厂</title>)?绿色工厂</text>", categories)
    assert ">申报数</text>" in categories and ">本级推荐</text>" in categories and ">入选名单</text>" in categories
    assert '<title id="chart-categories-title">按申报类别统计</title>' in categories
    for svg in svgs:
        assert "<script" not in svg and "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    trends = get(client, tree.users["city"], "/stats/trends/").content.decode()
    assert "<polyline" in trends and ">2023年</text>" in trends and ">推荐至工信部</text>" in trends
    rates = get(client, tree.users["ministry"], "/stats/pass-rates/?year=2024").content.decode()
    assert ">75%</text>" in rates and ">县级通过率</text>" in rates


def test_chart_text_is_escaped_and_long_labels_cut():
    svg = charts.bar_chart(
        "c", "标题<b>", ["<script>恶意</script>", "一二三四五六七八九十一二三四五六"], [("数", [1, 2])]
    )
    assert "<script>" not in svg and "&lt;script&gt;恶意&lt;/script&gt;" in svg
    assert "一二三四五六七八九十一二三…" in svg and "<title>一二三四五六七八九十一二三四五六</title>" in svg
    assert charts.bar_chart("c", "空", ["甲"], [("数", [0])]) == ""
    assert charts.line_chart("l", "空", [], []) == ""
    assert charts.axis(7) == (8, 2) and charts.axis(3) == (3, 1) and charts.axis(30, top=100) == (100, 25)


def test_empty_states(client, tree):
    html = get(client, tree.users["city"], "/stats/").content.decode()
    assert "在太原市工信局（测试）辖区内还没有已提交的申报" in html and "<table" not in html
    html = get(client, tree.users["city"], "/stats/pass-rates/").content.decode()
    assert "所选范围内没有经第三方评价并已提交的申报。" in html
    html = get(client, tree.users["city"], "/stats/trends/").content.decode()
    assert "所选范围内没有数据。" in html and "所选范围内还没有名单单位。" in html and "<svg" not in html
    # An empty export still has its title, filters and headers.
    title, rows = xlsx_rows(download(get(client, tree.users["city"], "/stats/export/categories.xlsx")))
    assert title[0][0] == "按申报类别统计" and rows == [["申报类别", "申报数", "本级推荐", "入选名单"]]


def test_superusers_start_at_the_top_and_see_everything(client, tree, stats_round, django_user_model):
    root = django_user_model.objects.get(username="root")
    html = get(client, root, "/stats/?year=2024").content.decode()
    assert page_table(html, "regions")[1] == ["山西省", "山西省工信厅（测试）", "8", "1", "1"]
    assert get(client, root, f"/stats/?level={tree.other_county.pk}").status_code == 200


def test_an_authority_acting_as_another_role_gets_404(client, tree, stats_round):
    """The pages follow the role the user acts in: a city member acting for its enterprise sees none."""
    unit = enterprise("兼职测试企业有限公司", tree.county)
    user = tree.users["city"]
    membership_add(actor=None, user=user, organization=unit, role="admin")
    client.force_login(user)
    memberships = user.memberships.order_by("id")
    session = client.session
    session["acting_role"] = f"m{memberships.get(organization=unit).pk}"
    session.save()
    assert client.get("/stats/").status_code == 404
    session["acting_role"] = f"m{memberships.get(organization=tree.city).pk}"
    session.save()
    assert client.get("/stats/").status_code == 200


def test_the_picker_shows_one_entry_per_family_and_keeps_the_choice(client, tree, stats_round):
    notices = stats_round.notices
    html = get(client, tree.users["city"], f"/stats/?notice={notices.taiyuan.pk}").content.decode()
    options = re.findall(r'<option value="(\d+)"( selected)?>(\d{4})年 · ', html)
    assert [(int(pk), year) for pk, _, year in options] == [(notices.top.pk, "2024"), (notices.top_2023.pk, "2023")]
    assert (str(notices.top.pk), " selected", "2024") in options  # the city's forward belongs to the ministry's
    assert '<option value="2024" selected>2024年</option>' in html


def test_a_region_with_two_authorities_names_them_in_the_chart(client, tree, stats_round):
    from tests.factories import authority

    zone = authority("太原综改示范区管委会（测试）", "140100", "city", tree.province)
    html = get(client, tree.users["province"], "/stats/").content.decode()
    regions = page_table(html, "regions")
    assert [row[:2] for row in regions[1:4]] == [
        ["太原市", "太原市工信局（测试）"],
        ["太原市", zone.name],
        ["大同市", "大同市工信局（测试）"],
    ]
    chart = re.search(r'<svg[^>]*id="chart-regions".*?</svg>', html, re.S).group(0)
    assert ">太原市工信局（测试）</text>" in chart and ">大同市</text>" in chart
