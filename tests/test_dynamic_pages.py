"""Pages of dynamic management: the unit fills and submits, the round page with its flags, filters and export, the
review, re-check and removal pages, 404 for those who may not see."""

import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from listings.models import DynamicReport, DynamicRound, Listing, Recheck, Removal
from tests.dynamic_helpers import FACTORY, filed, open_round, past_due
from tests.factories import enterprise, member
from tests.listing_helpers import listing


@pytest.fixture
def entries(tree):
    return {
        "factory": listing(tree.ent, tree.city, category="factory", level="city", year=2022),
        "chain": listing(tree.ent, tree.province, category="supply_chain", level="province", year=2023),
        "other": listing(tree.other_ent, tree.other_city, category="factory", level="city", year=2022),
    }


def login(client, user):
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def form_data(values: dict, **extra) -> dict:
    data = {k: "" if v is None else str(v).lower() if isinstance(v, bool) else str(v) for k, v in values.items()}
    for code in ("name", "address", "scope"):
        data[f"chg_{code}"] = "unchanged"
    data.update(extra)
    return data


def test_a_unit_starts_fills_saves_and_submits_its_table_in_the_pages(client, tree, entries):
    round_ = open_round(tree)
    login(client, tree.users["ent"])
    home = client.get("/dynamic/").content.decode()
    assert round_.title in home and "开始填报" in home
    assert home.count("开始填报") == 2  # the factory entry and the supply-chain entry
    response = client.post(f"/dynamic/rounds/{round_.pk}/start/{entries['factory'].pk}/")
    report = DynamicReport.objects.get(round=round_, listing=entries["factory"])
    assert response.url == f"/dynamic/reports/{report.pk}/"
    page = client.get(response.url).content.decode()
    assert "单位产品综合能耗" in page and "千克标准煤/单位产品" in page and "主要污染物排放量" in page
    assert 'name="energy_per_unit"' in page and 'max="100"' in page

    bad = client.post(response.url, {"energy_per_unit": "-5", "action": "save"})
    assert "单位产品综合能耗：数值不能小于0。" in bad.content.decode()
    assert DynamicReport.objects.get(pk=report.pk).indicators == {}

    saved = client.post(response.url, {"energy_per_unit": "99", "action": "save"}, follow=True)
    assert "已保存草稿。" in messages_of(saved)
    assert DynamicReport.objects.get(pk=report.pk).indicators["energy_per_unit"] == 99.0
    assert 'value="99"' in saved.content.decode()

    incomplete = client.post(response.url, {"energy_per_unit": "99", "action": "submit"})
    assert "请填写此项" in incomplete.content.decode()
    assert any(m.startswith("已保存草稿，但未能提交") for m in messages_of(incomplete))

    done = client.post(response.url, form_data(FACTORY, action="submit"), follow=True)
    assert "已提交动态管理表。" in messages_of(done)
    report.refresh_from_db()
    assert report.status == "submitted" and report.indicators == FACTORY
    page = done.content.decode()
    assert "已提交" in page and 'name="energy_per_unit"' not in page  # read-only now
    assert client.post(response.url, form_data(FACTORY, action="save")).status_code == 404


def test_a_late_submission_is_refused_in_the_page_with_the_deadline(client, tree, entries):
    round_ = open_round(tree)
    report = filed(round_, entries["factory"], tree.users["ent"], submit=False)
    past_due(round_)
    login(client, tree.users["ent"])
    page = client.get(f"/dynamic/reports/{report.pk}/").content.decode()
    assert "已超过填报截止时间" in page and "disabled" in page
    response = client.post(f"/dynamic/reports/{report.pk}/", form_data(FACTORY, action="submit"))
    assert any("已超过填报截止时间" in m and "不能提交" in m for m in messages_of(response))
    assert DynamicReport.objects.get(pk=report.pk).status == "draft"
    home = client.get("/dynamic/").content.decode()
    assert "已截止" in home


def test_the_round_page_lists_every_unit_with_status_overdue_flags_and_filters(client, tree, entries):
    earlier = open_round(tree, year=2023)
    filed(earlier, entries["factory"], tree.users["ent"])
    round_ = open_round(tree, authority=tree.province, year=2024)
    filed(round_, entries["factory"], tree.users["ent"], energy_per_unit=130.0)
    park = enterprise("平城测试园区管委会", tree.other_county, kind="park")
    listing(park, tree.province, category="park", level="province", year=2021)
    past_due(round_)
    login(client, tree.users["province"])
    page = client.get(f"/dynamic/rounds/{round_.pk}/").content.decode()
    assert "<b>4</b> 家名单单位" in page and "<b>3</b> 未提交" in page and "<b>3</b> 逾期未填报" in page
    assert "<b>1</b> 指标变差" in page
    assert page.count('class="overdue-row"') == 3
    assert "单位产品综合能耗 +30.0%" in page
    flagged = client.get(f"/dynamic/rounds/{round_.pk}/?flagged=on").content.decode()
    assert flagged.count("<tr") == 2 and "小店测试企业有限公司" in flagged
    overdue = client.get(f"/dynamic/rounds/{round_.pk}/?status=overdue").content.decode()
    assert overdue.count('class="overdue-row"') == 3 and "逾期未填报" in overdue
    parks = client.get(f"/dynamic/rounds/{round_.pk}/?category=park").content.decode()
    assert "平城测试园区管委会" in parks and "小店测试企业有限公司" not in parks
    city = client.get(f"/dynamic/rounds/{round_.pk}/?city=140200").content.decode()
    assert "平城测试企业有限公司" in city and "小店测试企业有限公司" not in city
    found = client.get(f"/dynamic/rounds/{round_.pk}/?q={tree.other_ent.credit_code}").content.decode()
    assert "平城测试企业有限公司" in found and "小店" not in found.split("<table", 1)[1]
    empty = client.get(f"/dynamic/rounds/{round_.pk}/?q=不存在的单位").content.decode()
    assert "没有符合条件的名单单位" in empty


def test_an_authority_below_the_round_sees_its_jurisdiction_only_and_others_get_404(client, tree, entries):
    round_ = open_round(tree, authority=tree.province)
    report = filed(round_, entries["factory"], tree.users["ent"])
    page = login(client, tree.users["county"]).get(f"/dynamic/rounds/{round_.pk}/").content.decode()
    assert "小店测试企业有限公司" in page and "平城测试企业有限公司" not in page and "仅显示本单位辖区" in page
    assert client.get(f"/dynamic/reports/{report.pk}/").status_code == 200
    city_round = open_round(tree, year=2023)
    city_report = filed(city_round, entries["factory"], tree.users["ent"])
    for user in (tree.users["other_city"], tree.users["other_ent"], tree.users["eco"], tree.users["other_county"]):
        login(client, user)
        assert client.get(f"/dynamic/reports/{report.pk}/").status_code == 404
        assert client.get(f"/dynamic/reports/{city_report.pk}/").status_code == 404
        assert client.get(f"/dynamic/rounds/{city_round.pk}/").status_code == 404
        assert client.get(f"/dynamic/rounds/{city_round.pk}/export.xlsx").status_code == 404
        assert client.post(f"/dynamic/reports/{report.pk}/review/", {"decision": "accept"}).status_code == 404
        start = f"/dynamic/rounds/{city_round.pk}/start/{entries['factory'].pk}/"
        assert client.post(start).status_code == 404
    assert DynamicReport.objects.get(pk=report.pk).status == "submitted"


def test_the_export_holds_every_row_with_its_values_one_sheet_per_category(client, tree, entries):
    from openpyxl import load_workbook

    round_ = open_round(tree, authority=tree.province)
    filed(round_, entries["factory"], tree.users["ent"])
    past_due(round_)
    response = login(client, tree.users["province"]).get(f"/dynamic/rounds/{round_.pk}/export.xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["绿色工厂", "绿色供应链管理企业"]
    factory = [list(r) for r in book["绿色工厂"].iter_rows(values_only=True)]
    assert factory[0][0] == f"{round_.title}（绿色工厂）"
    header = factory[3]
    assert header[:3] == ["序号", "单位名称", "统一社会信用代码"]
    assert "单位产品综合能耗（千克标准煤/单位产品）" in header and "名称变更" in header
    rows = {r[1]: dict(zip(header, r, strict=True)) for r in factory[4:]}
    mine = rows["小店测试企业有限公司"]
    assert mine["填报状态"] == "已提交，待审核" and mine["单位产品综合能耗（千克标准煤/单位产品）"] == 100
    assert mine["名称变更"] == "未变更"
    assert rows["平城测试企业有限公司"]["逾期"] == "逾期未填报"
    chain = [list(r) for r in book["绿色供应链管理企业"].iter_rows(values_only=True)]
    assert chain[4][1] == "小店测试企业有限公司" and "绿色供应商比例（%）" in chain[3]
    filtered = client.get(f"/dynamic/rounds/{round_.pk}/export.xlsx?category=supply_chain")
    assert load_workbook(io.BytesIO(filtered.content)).sheetnames == ["绿色供应链管理企业"]


def test_the_round_authority_reviews_in_the_page(client, tree, entries):
    round_ = open_round(tree)
    report = filed(round_, entries["factory"], tree.users["ent"])
    login(client, tree.users["city"])
    page = client.get(f"/dynamic/reports/{report.pk}/").content.decode()
    assert "提交审核结论" in page and "决定现场复核" in page and "提议移出名单" in page
    refused = client.post(f"/dynamic/reports/{report.pk}/review/", {"decision": "return", "opinion": ""}, follow=True)
    assert "退回的，请填写审核意见，说明需要修改的内容。" in messages_of(refused)
    client.post(f"/dynamic/reports/{report.pk}/review/", {"decision": "return", "opinion": "请核实取水量"})
    assert DynamicReport.objects.get(pk=report.pk).status == "returned"
    unit = login(client, tree.users["ent"]).get(f"/dynamic/reports/{report.pk}/").content.decode()
    assert "请核实取水量" in unit and "重新提交" in unit
    # the province, above the round's authority, reads but does not review
    page = login(client, tree.users["province"]).get(f"/dynamic/reports/{report.pk}/").content.decode()
    assert "提交审核结论" not in page


def test_opening_and_extending_a_round_in_the_pages(client, tree, entries):
    login(client, tree.users["city"])
    assert "组织动态管理表填报" in client.get("/dynamic/").content.decode()
    due = timezone.localdate() + timedelta(days=20)
    response = client.post(
        "/dynamic/rounds/new/", {"year": "2024", "due_date": due.isoformat(), "due_time": "", "note": "按表填报"}
    )
    round_ = DynamicRound.objects.get()
    assert response.url == f"/dynamic/rounds/{round_.pk}/"
    assert timezone.localtime(round_.due_at).strftime("%Y-%m-%d %H:%M:%S") == f"{due.isoformat()} 23:59:59"
    again = client.post("/dynamic/rounds/new/", {"year": "2024", "due_date": due.isoformat()}).content.decode()
    assert "本单位已组织2024年度动态管理表填报" in again
    until = due + timedelta(days=5)
    extended = client.post(
        f"/dynamic/rounds/{round_.pk}/extend/", {"until_date": until.isoformat(), "reason": "系统维护"}, follow=True
    )
    assert any(m.startswith("已延期至") for m in messages_of(extended))
    assert "延期理由：系统维护" in extended.content.decode()
    login(client, tree.users["county"])
    assert "只有市级、省级" in client.get("/dynamic/rounds/new/").content.decode()
    client.post("/dynamic/rounds/new/", {"year": "2023", "due_date": due.isoformat()})
    assert DynamicRound.objects.count() == 1


def test_recheck_and_removal_pages_from_report_to_decision(client, tree, entries):
    entry = listing(tree.ent, tree.province, category="product", level="province", year=2022)
    round_ = open_round(tree)
    report = filed(round_, entry, tree.users["ent"], standard_met=False)
    login(client, tree.users["city"])
    form = client.get(f"/dynamic/listings/{entry.pk}/rechecks/new/?report={report.pk}").content.decode()
    assert "决定现场复核" in form and "2024年度动态管理表" in form
    response = client.post(
        f"/dynamic/listings/{entry.pk}/rechecks/new/", {"report": report.pk, "reason": "关键指标未达标"}
    )
    recheck = Recheck.objects.get()
    assert response.url == f"/dynamic/rechecks/{recheck.pk}/" and recheck.report == report
    today = timezone.localdate().isoformat()
    client.post(
        response.url,
        {"done_on": today, "inspectors": "张三", "findings": "不达标属实", "conclusion": "failed"},
    )
    page = client.get(response.url).content.decode()
    assert "复核不通过" in page and "据此提议移出名单" in page
    form = client.get(f"/dynamic/listings/{entry.pk}/removals/new/?recheck={recheck.pk}").content.decode()
    assert "由山西省工信厅（测试）决定" in form and "本单位即作出移出决定" not in form
    response = client.post(
        f"/dynamic/listings/{entry.pk}/removals/new/", {"recheck": recheck.pk, "reason": "复核不通过"}, follow=True
    )
    removal = Removal.objects.get()
    assert removal.recheck == recheck and "已提交移出提议，由山西省工信厅（测试）决定。" in messages_of(response)
    assert "作出决定" not in response.content.decode()  # the city does not decide a province list
    assert client.post(f"/dynamic/removals/{removal.pk}/", {"decision": "decide"}).status_code == 404

    login(client, tree.users["province"])
    todo = client.get("/dynamic/removals/?status=to_decide").content.decode()
    assert entry.display_name in todo
    decided = client.post(f"/dynamic/removals/{removal.pk}/", {"decision": "decide", "note": "同意"}, follow=True)
    assert "已决定移出" in decided.content.decode()
    assert Listing.objects.get(pk=entry.pk).status == "removed"
    # the unit sees the decided removal, not the proposals
    login(client, tree.users["ent"])
    assert client.get(f"/dynamic/removals/{removal.pk}/").status_code == 200
    assert client.get(f"/dynamic/rechecks/{recheck.pk}/").status_code == 200
    login(client, tree.users["other_city"])
    assert client.get(f"/dynamic/removals/{removal.pk}/").status_code == 404
    assert client.get(f"/dynamic/rechecks/{recheck.pk}/").status_code == 404
    assert client.get(f"/dynamic/listings/{entry.pk}/rechecks/new/").status_code == 404


def test_a_unit_does_not_see_a_removal_proposal_about_it(client, tree, entries):
    removal_entry = entries["factory"]
    login(client, tree.users["county"])
    client.post(f"/dynamic/listings/{removal_entry.pk}/removals/new/", {"reason": "举报"})
    removal = Removal.objects.get()
    login(client, tree.users["ent"])
    assert client.get(f"/dynamic/removals/{removal.pk}/").status_code == 404
    assert "还没有移出提议或决定" in client.get("/dynamic/removals/").content.decode()


def test_the_entry_page_shows_its_dynamic_management(client, tree, entries):
    round_ = open_round(tree)
    report = filed(round_, entries["factory"], tree.users["ent"])
    page = login(client, tree.users["city"]).get(f"/listings/{entries['factory'].pk}/").content.decode()
    assert "动态管理" in page and f"/dynamic/reports/{report.pk}/" in page
    assert f"/dynamic/listings/{entries['factory'].pk}/rechecks/new/" in page


def test_empty_states(client, tree):
    assert "还没有组织过动态管理表填报" in login(client, tree.users["city"]).get("/dynamic/").content.decode()
    assert "还没有现场复核记录" in client.get("/dynamic/rechecks/").content.decode()
    assert "目前没有需要本单位填报的动态管理表" in login(client, tree.users["ent"]).get("/dynamic/").content.decode()
    assert login(client, tree.users["eco"]).get("/dynamic/rechecks/").status_code == 404


# ------------------------------------------------------------------------------------------------- query counts


def measure(client, url) -> tuple[int, str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def units(tree, start, stop, *, file_in=None):
    made = []
    for i in range(start, stop):
        org = enterprise(f"计数企业{i:02d}有限公司", tree.county)
        entry = listing(org, tree.city, year=2022)
        if file_in is not None:
            filed(file_in, entry, member(org))
        made.append(entry)
    return made


def test_round_page_queries_do_not_grow(client, tree):
    round_ = open_round(tree)
    earlier = DynamicRound.objects.create(authority=tree.city, year=2023, title="上年", due_at=timezone.now())
    login(client, tree.users["city"])
    units(tree, 0, 1, file_in=round_)
    one, page = measure(client, f"/dynamic/rounds/{round_.pk}/")
    assert len(re.findall(r"计数企业\d\d有限公司", page)) == 1
    units(tree, 1, 20, file_in=round_)
    twenty, page = measure(client, f"/dynamic/rounds/{round_.pk}/")
    assert len(re.findall(r"计数企业\d\d有限公司</a>", page)) == 20
    assert one == twenty
    assert earlier.pk


@pytest.mark.parametrize(
    "url,make",
    [
        ("/dynamic/", "rounds"),
        ("/dynamic/rechecks/", "rechecks"),
        ("/dynamic/removals/", "removals"),
    ],
)
def test_authority_list_pages_queries_do_not_grow(client, tree, url, make):
    from listings.services_dynamic_checks import recheck_decide, removal_propose

    login(client, tree.users["province"])

    def add(start, stop):
        for i, entry in enumerate(units(tree, start, stop), start=start):
            if make == "rounds":
                DynamicRound.objects.create(
                    authority=tree.city, year=2000 + i, title=f"计数填报{i:02d}", due_at=timezone.now()
                )
            elif make == "rechecks":
                recheck_decide(actor=tree.users["city"], authority=tree.city, listing=entry, reason=f"计数复核{i:02d}")
            else:
                removal_propose(actor=tree.users["county"], authority=tree.county, listing=entry, reason=f"计数{i:02d}")

    add(0, 1)
    one, page = measure(client, url)
    assert len(re.findall(r"计数(填报|企业)\d\d", page)) == 1
    add(1, 20)
    twenty, page = measure(client, url)
    assert len(re.findall(r"计数(填报|企业)\d\d", page)) == 20
    assert one == twenty


def test_unit_home_queries_do_not_grow_with_entries(client, tree):
    round_ = open_round(tree, authority=tree.province)
    login(client, tree.users["ent"])
    listing(tree.ent, tree.city, category="factory", year=2020)
    one, page = measure(client, "/dynamic/")
    assert page.count("开始填报") == 1
    for year, category in [(2021, "factory"), (2022, "factory"), (2021, "product"), (2019, "supply_chain")]:
        entry = listing(tree.ent, tree.city, category=category, year=year)
        filed(round_, entry, tree.users["ent"], submit=False)
    more, page = measure(client, "/dynamic/")
    assert page.count("继续填报") == 4
    assert one == more
