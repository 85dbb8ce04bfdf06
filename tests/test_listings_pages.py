"""List pages: the public lists without login, the authority's list with removed entries, an entry's page with its
history and rename form, the export, 404s for those outside the jurisdiction."""

from datetime import date

import pytest

from listings.models import Listing
from listings.services import listing_remove, listing_rename
from tests.factories import enterprise, member
from tests.listing_helpers import listing, read_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(tree):
    """太原 (小店): a province factory renamed, a city supply chain removed; 大同 (平城): a national factory."""
    renamed = listing(tree.ent, tree.province, level="province", year=2022, reference="晋工信〔2022〕9号")
    listing_rename(
        actor=tree.users["province"], listing=renamed, new_name="小店更名后有限公司", changed_on=date(2024, 3, 1)
    )
    removed = listing(tree.ent, tree.city, level="city", category="supply_chain", year=2021)
    listing_remove(
        actor=tree.users["city"], listing=removed, authority=tree.city, removed_on=date(2024, 7, 1), reason="复核不通过"
    )
    national = listing(tree.other_ent, tree.ministry, level="national", year=2023)
    return {"renamed": renamed, "removed": removed, "national": national}


def test_public_page_without_login_shows_entries_in_effect_with_the_former_name(client, tree, entries):
    response = client.get("/lists/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "小店更名后有限公司" in html and "原名：小店测试企业有限公司" in html
    assert "平城测试企业有限公司" in html and "山西省 大同市 平城区" in html
    assert "绿色供应链管理企业</td>" not in html  # the removed entry is not shown
    assert html.count('class="listing-row"') == 2
    assert "共 <b>2</b> 项：绿色工厂 <b>2</b>" in html
    assert tree.ent.credit_code not in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("level=national", ["平城测试企业有限公司"]),
        ("level=province", ["小店更名后有限公司"]),
        ("year=2022", ["小店更名后有限公司"]),
        ("province=140000&city=140200", ["平城测试企业有限公司"]),
        ("province=110000", []),
        ("category=supply_chain", []),
        ("q=更名后", ["小店更名后有限公司"]),
        ("q=小店测试", ["小店更名后有限公司"]),
    ],
)
def test_public_page_filters(client, entries, query, expected):
    html = client.get(f"/lists/?{query}").content.decode()
    assert html.count('class="listing-row"') == len(expected)
    for name in expected:
        assert name in html
    if not expected:
        assert "没有符合条件的名单单位" in html


def test_public_page_offers_the_years_provinces_and_cities_of_the_entries(client, entries):
    html = client.get("/lists/?province=140000").content.decode()
    assert '<option value="2023">2023年</option>' in html and '<option value="2022">2022年</option>' in html
    assert '<option value="2021">' not in html  # only the removed entry has 2021
    assert '<option value="140000" selected>山西省</option>' in html
    assert '<option value="140100">太原市</option>' in html and '<option value="140200">大同市</option>' in html


def test_authority_list_shows_removed_entries_with_date_reason_and_authority(client, tree, entries):
    client.force_login(tree.users["city"])
    html = client.get("/listings/").content.decode()
    assert html.count('class="listing-row"') == 2  # 太原's own two; 大同's national entry is another city's
    assert "已移出" in html and "2024-07-01 · 太原市工信局（测试）" in html and "复核不通过" in html
    assert "平城测试企业有限公司" not in html
    only_removed = client.get("/listings/?status=removed").content.decode()
    assert only_removed.count('class="listing-row"') == 1

    client.force_login(tree.users["province"])
    assert client.get("/listings/").content.decode().count('class="listing-row"') == 3


def test_an_applicant_sees_its_own_entries_only_and_others_nothing(client, tree, entries):
    client.force_login(tree.users["ent"])
    html = client.get("/listings/").content.decode()
    assert html.count('class="listing-row"') == 2 and "平城测试企业有限公司" not in html
    assert client.get(f"/listings/{entries['renamed'].pk}/").status_code == 200
    assert client.get(f"/listings/{entries['national'].pk}/").status_code == 404
    client.force_login(tree.users["eco"])
    html = client.get("/listings/").content.decode()
    assert 'class="listing-row"' not in html and "本单位尚未列入绿色制造名单" in html


def test_detail_is_404_for_another_citys_authority(client, tree, entries):
    client.force_login(tree.users["other_city"])
    assert client.get(f"/listings/{entries['renamed'].pk}/").status_code == 404
    assert client.post(f"/listings/{entries['renamed'].pk}/rename/", {"new_name": "x"}).status_code == 404
    assert client.get(f"/listings/{entries['national'].pk}/").status_code == 200


def test_detail_shows_source_renames_and_removal(client, tree, entries):
    client.force_login(tree.users["city"])
    html = client.get(f"/listings/{entries['removed'].pk}/").content.decode()
    assert "移出日期" in html and "2024年7月1日" in html and "复核不通过" in html
    assert "历史名单导入" in html
    html = client.get(f"/listings/{entries['renamed'].pk}/").content.decode()
    assert "小店更名后有限公司（原名：小店测试企业有限公司）" in html
    assert "<td>小店测试企业有限公司</td><td>小店更名后有限公司</td>" in html
    assert "晋工信〔2022〕9号" in html
    assert "登记更名（以太原市工信局（测试）名义）" in html  # the city is an admin of the unit's jurisdiction


def test_rename_through_the_page_and_its_refusals(client, tree, entries):
    entry = entries["national"]
    client.force_login(tree.users["other_county"])
    url = f"/listings/{entry.pk}/rename/"
    response = client.post(url, {"new_name": "平城新名有限公司", "changed_on": "2024-05-01", "reason": "更名"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.display_name == "平城新名有限公司"
    bad = client.post(url, {"new_name": "平城新名有限公司", "changed_on": "2024-06-01"})
    assert bad.status_code == 400 and "与现名称“平城新名有限公司”相同" in bad.content.decode()

    operator = member(tree.other_county, role="operator")
    client.force_login(operator)
    assert "登记更名" not in client.get(f"/listings/{entry.pk}/").content.decode()
    refused = client.post(url, {"new_name": "又一名称", "changed_on": "2024-06-01"}, follow=True)
    assert "您无权变更该名单单位的名称" in refused.content.decode()
    assert Listing.objects.get(pk=entry.pk).display_name == "平城新名有限公司"


def test_export_holds_the_filtered_rows_the_user_may_see(client, tree, entries):
    client.force_login(tree.users["province"])
    response = client.get("/listings/export/?category=factory")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response["Content-Disposition"]
    rows = read_xlsx(b"".join(response.streaming_content))
    assert rows[0][:8] == ["序号", "单位名称", "入选时名称", "统一社会信用代码", "类别", "名单层级", "年度", "所在地区"]
    body = {r[1]: r for r in rows[1:]}
    assert set(body) == {"小店更名后有限公司", "平城测试企业有限公司"}
    renamed = body["小店更名后有限公司"]
    assert renamed[2:8] == [
        "小店测试企业有限公司",
        tree.ent.credit_code,
        "绿色工厂",
        "省级",
        2022,
        "山西省 太原市 小店区",
    ]
    assert renamed[8].date() == date(2022, 12, 31) and renamed[9] == "晋工信〔2022〕9号"
    assert renamed[10:13] == ["山西省工信厅（测试）", "历史名单导入", "有效"]

    removed = read_xlsx(b"".join(client.get("/listings/export/?status=removed").streaming_content))
    assert len(removed) == 2
    assert removed[1][12:16][0] == "已移出"
    assert removed[1][13].date() == date(2024, 7, 1) and removed[1][14:16] == ["复核不通过", "太原市工信局（测试）"]

    client.force_login(tree.users["other_city"])
    theirs = read_xlsx(b"".join(client.get("/listings/export/").streaming_content))
    assert [r[1] for r in theirs[1:]] == ["平城测试企业有限公司"]


def test_units_without_a_competent_authority_are_seen_by_region(client, tree):
    from organizations.models import Organization

    stray = Organization.objects.create(kind="enterprise", name="无属地企业", credit_code="", region_id="140105")
    entry = listing(stray, tree.ministry, level="national", year=2020)
    for name, seen in (("county", True), ("city", True), ("other_city", False), ("other_county", False)):
        client.force_login(tree.users[name])
        assert (client.get(f"/listings/{entry.pk}/").status_code == 200) is seen, name


def test_unit_of_a_county_under_another_city_is_not_seen_by_this_city(client, tree):
    unit = enterprise("平城另一企业", tree.other_county)
    entry = listing(unit, tree.other_city, level="city")
    client.force_login(tree.users["city"])
    assert client.get(f"/listings/{entry.pk}/").status_code == 404
    client.force_login(tree.users["other_county"])
    assert client.get(f"/listings/{entry.pk}/").status_code == 200
