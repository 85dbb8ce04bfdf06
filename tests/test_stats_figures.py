"""Statistics on the known small data set of tests/stats_helpers.py, read from the pages as a user reads them:
counts by outcome, state, category, region and assessor at a level; each assessor's pass rate; trends over two
years, listings active and removed."""

from datetime import timedelta

from stats import selectors as sel
from tests import stats_helpers
from tests.stats_helpers import TODAY, page_table

stats_round = stats_helpers.stats_round  # fixture

HEAD = {
    "outcomes": ["审核结果", "申报数"],
    "categories": ["申报类别", "申报数", "本级推荐", "入选名单"],
    "regions": ["地区", "主管部门", "申报数", "本级推荐", "入选名单"],
    "states": ["当前状态", "申报数"],
    "assessors": ["第三方评价机构", "申报数", "本级推荐", "入选名单"],
}


def overview(client, user, query=""):
    client.force_login(user)
    response = client.get(f"/stats/{query}")
    assert response.status_code == 200
    html = response.content.decode()
    return html, {key: page_table(html, key) for key in HEAD}


def outcome_counts(table) -> dict:
    return {row[0]: int(row[1]) for row in table[1:]}


def test_the_city_counts_its_jurisdiction_at_its_own_level(client, tree, stats_round):
    html, t = overview(client, tree.users["city"])
    assert "年度" in html and '<option value="2024" selected>' in html  # the latest year by default
    assert t["outcomes"] == [
        HEAD["outcomes"],
        ["推荐", "2"],
        ["退回修改", "0"],
        ["不予推荐", "1"],
        ["待审核", "0"],
        ["申报单位撤回", "0"],
        ["退回下级主管部门", "0"],
        ["尚未报送至本级", "3"],
        ["合计", "6"],
    ]
    assert t["categories"] == [
        HEAD["categories"],
        ["绿色工厂", "4", "2", "1"],
        ["绿色工业园区", "1", "0", "0"],
        ["绿色供应链管理企业", "1", "0", "0"],
        ["合计", "6", "2", "1"],
    ]
    assert t["regions"] == [
        HEAD["regions"],
        ["小店区", "小店区工信局（测试）", "6", "2", "1"],
        ["合计", "", "6", "2", "1"],
    ]
    states = {row[0]: row[1] for row in t["states"][1:]}
    assert states == {
        "草稿": "0",
        "审核中": "1",
        "退回修改": "1",
        "已撤回": "0",
        "不予推荐": "3",
        "已推荐": "0",
        "已入选名单": "1",
        "未入选": "0",
        "合计": "6",
    }
    assert t["assessors"] == [
        HEAD["assessors"],
        ["中环绿色评价中心有限公司", "4", "2", "1"],
        ["自评价（无第三方评价机构）", "2", "0", "0"],
        ["合计", "6", "2", "1"],
    ]
    # The other city's applicants and assessor appear nowhere.
    assert "平城" not in html and "晋北节能评估有限公司" not in html
    # Summary: submitted, pending here, recommended here, listed.
    assert [int(n) for n in _summary(html)] == [6, 0, 2, 1]


def _summary(html):
    import re

    block = html.split('class="grid stats-summary"')[1].split("</div></div>")[0]
    return re.findall(r"<b>(\d+)</b>", block)


def test_a_lower_level_in_the_jurisdiction_counts_its_own_decisions(client, tree, stats_round):
    _, t = overview(client, tree.users["city"], f"?level={tree.county.pk}")
    assert outcome_counts(t["outcomes"]) == {
        "推荐": 3,
        "退回修改": 1,
        "不予推荐": 1,
        "待审核": 1,
        "申报单位撤回": 0,
        "退回下级主管部门": 0,
        "尚未报送至本级": 0,
        "合计": 6,
    }
    # A county has no authority under it: its applicants are its own.
    assert t["regions"][1:] == [["本级直属", "小店区工信局（测试）", "6", "3", "1"], ["合计", "", "6", "3", "1"]]
    assert t["assessors"][1] == ["中环绿色评价中心有限公司", "4", "3", "1"]


def test_the_province_sees_its_cities_and_drills_down(client, tree, stats_round):
    html, t = overview(client, tree.users["province"])
    assert t["regions"][1:] == [
        ["太原市", "太原市工信局（测试）", "6", "1", "1"],
        ["大同市", "大同市工信局（测试）", "2", "0", "0"],
        ["合计", "", "8", "1", "1"],
    ]
    assert outcome_counts(t["outcomes"])["推荐"] == 1 and outcome_counts(t["outcomes"])["不予推荐"] == 1
    assert t["assessors"][1:3] == [["中环绿色评价中心有限公司", "4", "1", "1"], ["晋北节能评估有限公司", "1", "0", "0"]]
    assert f'href="?year=2024&amp;level={tree.other_city.pk}"' in html  # each region row drills down
    _, datong = overview(client, tree.users["province"], f"?year=2024&level={tree.other_city.pk}")
    assert outcome_counts(datong["outcomes"]) == {
        **dict.fromkeys(sel.OUTCOMES.values(), 0),
        "待审核": 1,
        "尚未报送至本级": 1,
        "合计": 2,
    }
    assert datong["regions"][1] == ["平城区", "平城区工信局（测试）", "2", "0", "0"]


def test_a_notice_counts_its_whole_family_and_another_year_its_own(client, tree, stats_round):
    notices = stats_round.notices
    # The ministry's notice: the city's applications came in through its forward of the province's forward.
    _, t = overview(client, tree.users["city"], f"?notice={notices.top.pk}")
    assert t["outcomes"][-1] == ["合计", "6"]
    _, t = overview(client, tree.users["city"], f"?notice={notices.taiyuan.pk}")
    assert t["outcomes"][-1] == ["合计", "6"]
    _, t = overview(client, tree.users["city"], f"?notice={notices.top_2023.pk}")
    assert t["categories"][1:] == [["绿色工厂", "1", "1", "1"], ["合计", "1", "1", "1"]]
    _, t = overview(client, tree.users["city"], "?year=2023")
    assert t["categories"][1:] == [["绿色工厂", "1", "1", "1"], ["合计", "1", "1", "1"]]
    _, t = overview(client, tree.users["ministry"], "?year=all")
    assert t["regions"][1:] == [["山西省", "山西省工信厅（测试）", "10", "2", "2"], ["合计", "", "10", "2", "2"]]


def test_pass_rates_as_the_ministry_publishes_them(client, tree, stats_round):
    client.force_login(tree.users["ministry"])
    html = client.get("/stats/pass-rates/?year=2024").content.decode()
    table = page_table(html, "pass-rates")
    assert table[0] == [
        "第三方评价机构",
        "统一社会信用代码",
        "评价数",
        "县级推荐",
        "市级推荐",
        "省级推荐",
        "部级推荐",
        "入选名单",
        "县级通过率（%）",
        "市级通过率（%）",
        "省级通过率（%）",
        "部级通过率（%）",
        "入选率（%）",
    ]
    x, y = stats_round.x, stats_round.y
    assert table[1:] == [
        [x.name, x.credit_code, "4", "3", "2", "1", "1", "1", "75.0", "50.0", "25.0", "25.0", "25.0"],
        [y.name, y.credit_code, "1", "1", "0", "0", "0", "0", "100.0", "0.0", "0.0", "0.0", "0.0"],
    ]
    # The selector gives the same figures.
    viewer = sel.Viewer(None, sel.authority_tree(), None)
    rows = [sel.with_rates(r) for r in sel.pass_rates(viewer, sel.Filters(year=2024))]
    assert [(r["assessor_id"], r["rate_county"], r["rate_city"], r["rate_listed"]) for r in rows] == [
        (x.pk, 75.0, 50.0, 25.0),
        (y.pk, 100.0, 0.0, 0.0),
    ]
    # A city counts the applications of its jurisdiction only; another year has no third-party evaluation.
    client.force_login(tree.users["city"])
    assert [row[0] for row in page_table(client.get("/stats/pass-rates/").content.decode(), "pass-rates")[1:]] == [
        x.name
    ]
    client.force_login(tree.users["other_city"])
    other = page_table(client.get("/stats/pass-rates/").content.decode(), "pass-rates")
    assert [row[0] for row in other[1:]] == [y.name]
    client.force_login(tree.users["ministry"])
    html = client.get("/stats/pass-rates/?year=2023").content.decode()
    assert "所选范围内没有经第三方评价并已提交的申报。" in html and 'id="table-pass-rates"' not in html


def test_a_revoked_recommendation_no_longer_counts(client, tree, stats_round):
    """The latest decision at a level counts: a recommendation the county revokes is no longer the assessor's."""
    from reviews.services import transition_perform
    from tests.stats_helpers import applicant, submitted

    org, user = applicant("小店撤销测试工厂有限公司", tree.county)
    app = submitted(user, org, stats_round.notices.taiyuan, by=(stats_round.x, stats_round.x_user))
    app = transition_perform(actor=tree.users["county"], application=app, action="recommend", reason="同意。")
    viewer = sel.Viewer(None, sel.authority_tree(), None)
    (row,) = [r for r in sel.pass_rates(viewer, sel.Filters(year=2024)) if r["assessor_id"] == stats_round.x.pk]
    assert (row["evaluated"], row["recommended_county"]) == (5, 4)
    transition_perform(actor=tree.users["county"], application=app, action="revoke", reason="需补充材料。")
    (row,) = [r for r in sel.pass_rates(viewer, sel.Filters(year=2024)) if r["assessor_id"] == stats_round.x.pk]
    assert (row["evaluated"], row["recommended_county"]) == (5, 3)


def test_trends_over_two_years(client, tree, stats_round):
    client.force_login(tree.users["city"])
    html = client.get("/stats/trends/").content.decode()
    assert page_table(html, "trends") == [
        ["年度", "申报类别", "申报数", "推荐至工信部", "入选名单"],
        ["2023年", "绿色工厂", "1", "1", "1"],
        ["2023年", "小计", "1", "1", "1"],
        ["2024年", "绿色工厂", "4", "1", "1"],
        ["2024年", "绿色工业园区", "1", "0", "0"],
        ["2024年", "绿色供应链管理企业", "1", "0", "0"],
        ["2024年", "小计", "6", "1", "1"],
        ["合计", "", "7", "2", "2"],
    ]
    removed_year = (TODAY + timedelta(days=10)).year
    listings = page_table(html, "listings")
    assert listings[0] == ["名单年度", "有效", "已移出", "合计", "当年移出"]
    assert listings[1:3] == [
        ["2023年", "0", "1", "1", "0"],
        ["2024年", "1", "0", "1", "0" if removed_year != 2024 else "1"],
    ]
    assert listings[-2][0] == f"{removed_year}年" and listings[-2][-1] == "1"
    assert [row[0] for row in listings[1:-1]] == [f"{y}年" for y in range(2023, removed_year + 1)]  # no year left out
    assert listings[-1] == ["合计", "1", "1", "2", "1"]

    client.force_login(tree.users["ministry"])
    ministry = page_table(client.get("/stats/trends/").content.decode(), "trends")
    assert ministry[1:3] == [["2023年", "绿色工厂", "2", "1", "1"], ["2023年", "小计", "2", "1", "1"]]
    assert ["2024年", "绿色工厂", "6", "1", "1"] in ministry and ministry[-1] == ["合计", "", "10", "2", "2"]
    client.force_login(tree.users["other_city"])
    datong = page_table(client.get("/stats/trends/").content.decode(), "trends")
    assert datong[1:] == [
        ["2023年", "绿色工厂", "1", "0", "0"],
        ["2023年", "小计", "1", "0", "0"],
        ["2024年", "绿色工厂", "2", "0", "0"],
        ["2024年", "小计", "2", "0", "0"],
        ["合计", "", "3", "0", "0"],
    ]


def test_tables_count_the_latest_decision_at_the_level_not_an_earlier_one(tree, django_user_model):
    """Recommended by the county, forwarded, sent back down by the city: at the county it is pending again, so
    the county's category, region and assessor tables no longer count it as recommended there."""
    from reviews.services import transition_perform
    from tests.application_helpers import open_chain
    from tests.chain_helpers import lift, recommend, submitted
    from tests.factories import enterprise, member

    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    notice = open_chain(tree, root)
    sent_back = recommend(submitted(tree, notice), tree.users["county"])
    _, (sent_back,) = lift([sent_back], authority=tree.county, user=tree.users["county"], notice=notice)
    transition_perform(
        actor=tree.users["city"], application=sent_back, action="return_lower", reason="请核实能耗数据。"
    )
    other = enterprise("小店仍推荐企业有限公司", tree.county)
    kept = recommend(submitted(tree, notice, applicant=other, user=member(other)), tree.users["county"])

    apps = sel.applications_in_scope(sel.Viewer(None, sel.authority_tree(), None), sel.Filters(level=tree.county.pk))
    assert sent_back.referrals.filter(authority=tree.county).count() == 2  # the earlier one said recommend
    (factory,) = sel.counts_by_category(apps, tree.county.pk)
    assert (factory["n"], factory["recommended"], factory["listed"]) == (2, 1, 0)
    regions = sel.counts_by_region(apps, sel.authority_tree(), tree.county.pk)
    assert [(r["n"], r["recommended"]) for r in regions if r["n"]] == [(2, 1)]
    assert sel.counts_without_assessor(apps, tree.county.pk) == {"n": 2, "recommended": 1, "listed": 0}
    outcomes = {row["code"]: row["n"] for row in sel.counts_by_outcome(apps, tree.county.pk)}
    assert outcomes["recommend"] == 1 and outcomes["pending"] == 1
    assert kept.state == "recommended"


def test_family_ids_are_the_family_of_every_notice(stats_round):
    from notices.models import Notice
    from notices.selectors import notice_family, notice_family_ids

    families = set()
    for notice in Notice.objects.all():
        ids = notice_family_ids(notice)
        assert sorted(ids) == sorted(n.pk for n in notice_family(notice)) and notice.pk in ids
        families.add(frozenset(ids))
    assert len(families) == 2  # 2024's chain and 2023's, none mixed
