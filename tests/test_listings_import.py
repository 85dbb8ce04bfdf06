"""Importing historical lists: row errors by row number and column, good rows loaded, re-import changes nothing,
who may import which level, units created from their credit code."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from activity.models import AuditEvent
from listings.imports import listings_import, row_errors, row_notes, template_xlsx
from listings.models import Listing
from organizations.credit_code import make_credit_code
from organizations.models import Organization
from tests.factories import credit_code, member
from tests.listing_helpers import read_xlsx, xlsx_upload


def row(code, name="新导入测试企业有限公司", category="绿色工厂", level="省级", year=2022, *rest):
    return [code, name, category, level, year, *rest]


def errors_by_row(batch):
    return {(e["row"], e["column"]): e["reason"] for e in row_errors(batch)}


def test_bad_rows_are_reported_by_row_and_column_and_good_rows_load(tree):
    good = credit_code("140105")
    new_code = credit_code("140105")
    valid = make_credit_code("91140105MA0000777")
    bad_check = valid[:17] + ("1" if valid[17] != "1" else "2")  # wrong check character: a note, still loaded
    rows = [
        row(
            tree.ent.credit_code, "小店测试企业有限公司", "绿色工厂", "省级", 2022, "2022-12-30", "晋工信〔2022〕1号"
        ),  # 2
        row("91140105MA12345", "短代码公司"),  # 3: bad code
        row(good, "类别错误公司", "绿色食堂"),  # 4: unknown category
        row(good, "层级错误公司", "绿色工厂", "区级"),  # 5: unknown level
        row(good, "年度错误公司", "绿色工厂", "省级", 2009),  # 6: year out of range
        row(tree.ent.credit_code, "小店测试企业有限公司", "绿色工厂", "省级", 2022),  # 7: duplicate of row 2
        row(good, "市级名单公司", "绿色工厂", "市级", 2021),  # 8: a province may not import the city list
        row(
            new_code, "新建园区管委会", "绿色工业园区", "国家级", 2023, None, None, "已移出", "2024-05-06", "复核不合格"
        ),  # 9
        row(bad_check, "校验码存疑公司", "绿色供应链管理企业", "省级", 2020),  # 10
        row(good, "移出缺日期公司", "绿色工厂", "省级", 2021, None, None, "已移出"),  # 11
    ]
    batch = listings_import(actor=tree.users["province"], authority=tree.province, upload=xlsx_upload(rows))

    errors = errors_by_row(batch)
    assert errors == {
        (3, "统一社会信用代码"): "“91140105MA12345”有误：统一社会信用代码应为18位，当前为15位。",
        (4, "类别"): "“绿色食堂”无法识别，应为绿色工厂、绿色工业园区、绿色供应链管理企业或绿色设计产品。",
        (5, "层级"): "“区级”无法识别，应为市级、省级或国家级。",
        (6, "年度"): f"“2009”无效，应为2016年至{timezone.localdate().year}年之间的四位年份。",
        (7, "统一社会信用代码"): "与第2行重复（同一单位、类别、层级、年度），未导入。",
        (8, "层级"): "山西省工信厅（测试）只能导入省级、国家级名单，不能导入市级名单。",
        (11, "移出日期"): "状态为已移出，须填写移出日期。",
    }
    assert (batch.rows_total, batch.rows_loaded, batch.rows_skipped) == (10, 3, 0)

    entry = Listing.objects.get(organization=tree.ent)
    assert (entry.level, entry.category, entry.year, entry.listed_on) == (
        "province",
        "factory",
        2022,
        date(2022, 12, 30),
    )
    assert (entry.reference, entry.authority, entry.source, entry.import_batch) == (
        "晋工信〔2022〕1号",
        tree.province,
        "import",
        batch,
    )
    park = Organization.objects.get(credit_code=new_code)
    assert (park.kind, park.name, park.region_id, park.competent_authority) == (
        "park",
        "新建园区管委会",
        "140105",
        None,
    )
    assert sorted(o.name for o in batch.created_organizations.all()) == ["新建园区管委会", "校验码存疑公司"]
    removed = Listing.objects.get(organization=park)
    # National entries imported by a province are the ministry's decision.
    assert (removed.status, removed.removed_on, removed.removal_reason) == ("removed", date(2024, 5, 6), "复核不合格")
    assert removed.authority == removed.removal_authority == tree.ministry
    assert removed.listed_on == date(2023, 12, 31)  # no date: 12-31 of the year
    supply = Listing.objects.get(credit_code=bad_check)
    assert supply.category == "supply_chain"
    notes = {(n["row"], n["column"]) for n in row_notes(batch)}
    assert (10, "统一社会信用代码") in notes and (9, "统一社会信用代码") in notes
    event = AuditEvent.objects.get(verb="listing.import")
    assert (event.organization, event.after) == (tree.province, "导入3条，跳过0条，错误7行")


def test_the_same_file_again_changes_nothing_and_is_reported_as_skipped(tree):
    new_code = credit_code("140105")
    rows = [
        row(tree.ent.credit_code, "小店测试企业有限公司"),
        row(new_code, "新导入测试企业有限公司", "绿色工厂", "国家级", 2021),
    ]
    first = listings_import(actor=tree.users["province"], authority=tree.province, upload=xlsx_upload(rows))
    assert (first.rows_loaded, first.rows_skipped) == (2, 0)
    before = list(Listing.objects.order_by("id").values())
    organizations = Organization.objects.count()

    again = listings_import(actor=tree.users["province"], authority=tree.province, upload=xlsx_upload(rows))
    assert (again.rows_total, again.rows_loaded, again.rows_skipped, row_errors(again)) == (2, 0, 2, [])
    assert list(Listing.objects.order_by("id").values()) == before
    assert Organization.objects.count() == organizations
    assert list(again.created_organizations.all()) == []

    # The same rows in another file, one now marked removed: still nothing changes, and the row says why.
    changed = [rows[0], [*rows[1], None, None, "已移出", "2024-01-05"]]
    third = listings_import(
        actor=tree.users["province"], authority=tree.province, upload=xlsx_upload(changed, name="另一文件.xlsx")
    )
    assert (third.rows_loaded, third.rows_skipped) == (0, 2)
    assert list(Listing.objects.order_by("id").values()) == before
    assert [n["reason"] for n in row_notes(third)] == [
        "名单中已有该条目（状态：有效），本次未更改；移出请通过动态管理办理。"
    ]


def test_an_entry_listed_by_the_review_chain_is_not_imported_again(tree):
    from tests.listing_helpers import listing

    listing(tree.ent, tree.ministry, level="national", year=2023)
    batch = listings_import(
        actor=tree.users["province"],
        authority=tree.province,
        upload=xlsx_upload([row(tree.ent.credit_code, "旧名称", "绿色工厂", "国家级", 2023)]),
    )
    assert (batch.rows_loaded, batch.rows_skipped) == (0, 1)


def test_who_may_import_which_level(tree):
    city_code, other_code = credit_code("140105"), credit_code("140213")
    upload = lambda *rows: xlsx_upload(list(rows))  # noqa: E731

    # A city: its city list only, units of its jurisdiction only.
    batch = listings_import(
        actor=tree.users["city"],
        authority=tree.city,
        upload=upload(
            row(city_code, "太原新企业", "绿色工厂", "市级", 2022),
            row(tree.ent.credit_code, "小店测试企业有限公司", "绿色工厂", "省级", 2022),
            row(other_code, "大同新企业", "绿色工厂", "市级", 2022),
            row(tree.other_ent.credit_code, "平城测试企业有限公司", "绿色工厂", "市级", 2022),
        ),
    )
    assert errors_by_row(batch) == {
        (3, "层级"): "太原市工信局（测试）只能导入市级名单，不能导入省级名单。",
        (4, "统一社会信用代码"): "信用代码的登记机关行政区划（140213）不在太原市工信局（测试）的辖区内。",
        (5, "统一社会信用代码"): "“平城测试企业有限公司”不在太原市工信局（测试）的辖区内。",
    }
    assert Listing.objects.get().authority == tree.city

    # The ministry: any level, anywhere.
    batch = listings_import(
        actor=tree.users["ministry"],
        authority=tree.ministry,
        upload=upload(
            row(tree.other_ent.credit_code, "平城测试企业有限公司", "绿色工厂", "市级", 2020),
            row(tree.other_ent.credit_code, "平城测试企业有限公司", "绿色工厂", "国家级", 2020),
        ),
    )
    assert batch.rows_loaded == 2 and row_errors(batch) == []

    # Counties, operators, applicants and other authorities' members may not.
    refused = [
        (tree.users["county"], tree.county),
        (member(tree.province, role="operator"), tree.province),
        (tree.users["ent"], tree.province),
        (tree.users["city"], tree.province),
    ]
    for user, authority in refused:
        with pytest.raises(PermissionDenied):
            listings_import(actor=user, authority=authority, upload=upload(row(city_code)))
    approver = member(tree.province, role="approver")
    assert listings_import(actor=approver, authority=tree.province, upload=upload(row(city_code))).rows_loaded == 1


def test_an_unknown_region_in_the_code_falls_back_to_the_importing_authority(tree):
    code = make_credit_code("91149999MA000777Y")
    batch = listings_import(
        actor=tree.users["city"],
        authority=tree.city,
        upload=xlsx_upload([row(code, "区划未知企业", "绿色工厂", "市级")]),
    )
    assert batch.rows_loaded == 1
    assert Organization.objects.get(credit_code=code).region_id == "140100"


def test_a_unit_of_another_kind_is_refused_for_the_category(tree):
    batch = listings_import(
        actor=tree.users["province"],
        authority=tree.province,
        upload=xlsx_upload([row(tree.ent.credit_code, "小店测试企业有限公司", "绿色工业园区", "省级")]),
    )
    assert errors_by_row(batch) == {
        (2, "类别"): "该信用代码登记为企业“小店测试企业有限公司”，不能列入绿色工业园区名单。"
    }


def test_files_that_cannot_be_used_are_refused_as_a_whole(tree):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ValidationError, match="缺少必需的列：层级、年度"):
        listings_import(
            actor=tree.users["province"],
            authority=tree.province,
            upload=xlsx_upload([], header=["统一社会信用代码", "单位名称", "类别"]),
        )
    with pytest.raises(ValidationError, match="找不到含“统一社会信用代码”的表头行"):
        listings_import(
            actor=tree.users["province"], authority=tree.province, upload=xlsx_upload([], header=["名称", "类别"])
        )
    with pytest.raises(ValidationError, match="此处只接受Excel（xlsx）"):
        listings_import(
            actor=tree.users["province"],
            authority=tree.province,
            upload=SimpleUploadedFile("名单.xlsx", b"%PDF-1.4 not a sheet"),
        )


def test_the_template_has_the_header_row_and_an_example_that_imports(tree):
    rows = read_xlsx(template_xlsx())
    assert rows[0] == [
        "统一社会信用代码",
        "单位名称",
        "类别",
        "层级",
        "年度",
        "列入日期",
        "批次/文号",
        "状态",
        "移出日期",
        "移出原因",
    ]
    assert rows[1][2:5] == ["绿色工厂", "省级", 2022]
    example = [credit_code("140105"), *rows[1][1:]]
    batch = listings_import(actor=tree.users["province"], authority=tree.province, upload=xlsx_upload([example]))
    assert batch.rows_loaded == 1 and row_errors(batch) == []
