"""Credit-record import: xlsx and csv read by content, row errors with row numbers, idempotent, re-evaluation."""

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone
from openpyxl import Workbook

from activity.models import AuditEvent
from eligibility.imports import affected_application_ids, credit_records_import, row_errors, row_notes
from eligibility.models import CreditRecord, ImportBatch
from eligibility.selectors import latest_evaluation
from organizations.credit_code import check_character
from tests.application_helpers import PARK_DATA, open_chain, ready_application
from tests.factories import credit_code, enterprise, member

HEADER = ["统一社会信用代码", "单位名称", "列入日期", "来源", "说明"]
LIST_HEADER = ["统一社会信用代码", "单位名称", "日期", "类别", "层级", "来源"]


def recent(days=30) -> date:
    return timezone.localdate() - timedelta(days=days)


def write_xlsx(path, rows):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def write_csv(path, rows, encoding="utf-8"):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def wrong_check_character(code: str) -> str:
    other = next(c for c in "0123456789" if c != check_character(code[:17]))
    return code[:17] + other


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")


@pytest.fixture
def dishonest_csv(tmp_path):
    a, b = credit_code(), credit_code()
    rows = [
        HEADER,
        [a, "甲公司", "2024-05-17", "最高人民法院失信被执行人名单", ""],
        ["91140105MA0000000", "代码少一位公司", "2024-05-17", "同上", ""],
        [b, "乙公司", "2024-13-45", "同上", ""],
        [b, "乙公司", "2024/5/17", "", "来源取默认值"],
        ["", "", "", "", ""],
        [b, "乙公司", "2023年11月2日", "最高人民法院失信被执行人名单", "第二次"],
    ]
    return write_csv(tmp_path / "失信被执行人.csv", rows), a, b


def test_csv_loads_good_rows_and_reports_bad_rows_by_spreadsheet_row_number(root, dishonest_csv):
    path, a, b = dishonest_csv
    batch = credit_records_import(actor=root, kind="dishonest", upload_or_path=path, source_default="信用中国")

    assert (batch.rows_total, batch.rows_loaded, batch.rows_skipped) == (5, 3, 0)
    errors = row_errors(batch)
    assert [e["row"] for e in errors] == [3, 4]
    assert "统一社会信用代码“91140105MA0000000”有误" in errors[0]["reason"]
    assert "18位" in errors[0]["reason"]
    assert "日期“2024-13-45”无效" in errors[1]["reason"]
    records = CreditRecord.objects.filter(batch=batch).order_by("occurred_on", "credit_code")
    assert [(r.credit_code, r.occurred_on, r.source) for r in records] == [
        (b, date(2023, 11, 2), "最高人民法院失信被执行人名单"),
        (a, date(2024, 5, 17), "最高人民法院失信被执行人名单"),
        (b, date(2024, 5, 17), "信用中国"),
    ]
    assert batch.file_name == "失信被执行人.csv" and len(batch.sha256) == 64 and batch.imported_by == root
    event = AuditEvent.objects.get(verb="eligibility.import")
    assert event.actor == root and "导入3条" in event.after and event.reason == "失信被执行人.csv"


def test_importing_the_same_file_twice_changes_nothing(root, dishonest_csv):
    path = dishonest_csv[0]
    credit_records_import(actor=root, kind="dishonest", upload_or_path=path, source_default="信用中国")
    before = set(CreditRecord.objects.values_list("pk", "batch_id"))

    again = credit_records_import(actor=root, kind="dishonest", upload_or_path=path, source_default="信用中国")

    assert (again.rows_total, again.rows_loaded, again.rows_skipped) == (5, 0, 3)
    assert [e["row"] for e in row_errors(again)] == [3, 4]
    assert set(CreditRecord.objects.values_list("pk", "batch_id")) == before
    assert ImportBatch.objects.count() == 2


def test_xlsx_green_list_with_excel_dates_categories_levels_and_bad_rows(root, tmp_path):
    a, b, c = credit_code(), credit_code(), credit_code()
    path = write_xlsx(
        tmp_path / "省级绿色制造名单.xlsx",
        [
            ["2024年省级绿色制造名单"],  # a title row above the header
            LIST_HEADER,
            [a, "甲公司", datetime(2024, 5, 17), "绿色工厂", "省级", "山西省工信厅公告"],
            [b, "乙园区", 45429, "绿色工业园区", "国家级", "工信部公告"],  # 45429 is an Excel serial date
            [c, "丙公司", "2024年5月17日", "绿色工厂", "区级", "公告"],
            ["91140105MA0000001O", "丁公司", "2024-05-17", "绿色工厂", "市级", "公告"],
            [c, "丙公司", "去年", "绿色供应链管理企业", "市级", "公告"],
            [c, "丙公司", "2024-05-17", "绿色食品", "市级", "公告"],
            [c, "丙公司", "2024/5/17", "绿色设计产品", "市级", "公告"],
        ],
    )
    batch = credit_records_import(actor=root, kind="green_list", upload_or_path=path)

    assert (batch.rows_total, batch.rows_loaded, batch.rows_skipped) == (7, 3, 0)
    errors = {e["row"]: e["reason"] for e in row_errors(batch)}
    assert sorted(errors) == [5, 6, 7, 8]
    assert "层级“区级”无法识别" in errors[5]
    assert "统一社会信用代码“91140105MA0000001O”有误" in errors[6] and "第18位字符“O”不合法" in errors[6]
    assert "日期“去年”无效" in errors[7]
    assert "类别“绿色食品”无法识别" in errors[8]
    got = {(r.credit_code, r.category, r.level, r.occurred_on) for r in CreditRecord.objects.all()}
    assert got == {
        (a, "factory", "province", date(2024, 5, 17)),
        (b, "park", "national", date(2024, 5, 17)),
        (c, "product", "city", date(2024, 5, 17)),
    }
    again = credit_records_import(actor=root, kind="green_list", upload_or_path=path)
    assert (again.rows_loaded, again.rows_skipped) == (0, 3)
    assert CreditRecord.objects.count() == 3


def test_gbk_csv_and_a_wrong_check_character_is_loaded_and_noted(root, tmp_path):
    code = wrong_check_character(credit_code())
    path = write_csv(
        tmp_path / "经营异常.csv",
        [
            ["统一社会信用代码", "企业名称", "列入日期", "移出日期", "已移出", "数据来源"],
            [code, "晋中某某机械制造有限公司", "2024-03-01", "2024-06-30", "是", "国家企业信用信息公示系统"],
        ],
        encoding="gbk",
    )
    batch = credit_records_import(actor=root, kind="abnormal_operation", upload_or_path=path)

    assert batch.rows_loaded == 1 and row_errors(batch) == []
    assert [n["row"] for n in row_notes(batch)] == [2] and "校验码" in row_notes(batch)[0]["reason"]
    record = CreditRecord.objects.get()
    assert record.name == "晋中某某机械制造有限公司" and record.source == "国家企业信用信息公示系统"
    assert record.rectified and record.ended_on == date(2024, 6, 30)


def test_utf8_bom_csv_with_rectified_status_later_updated(root, tmp_path):
    code = credit_code()
    header = ["统一社会信用代码", "单位名称", "列入日期", "是否整改", "整改完成日期", "来源"]
    first = write_csv(
        tmp_path / "整改名单.csv", [header, [code, "甲公司", "2024-01-10", "否", "", "节能监察"]], "utf-8-sig"
    )
    batch = credit_records_import(actor=root, kind="rectification", upload_or_path=first)
    assert batch.rows_loaded == 1 and not CreditRecord.objects.get().rectified

    later = write_csv(
        tmp_path / "整改名单2.csv", [header, [code, "甲公司", "2024-01-10", "是", "2024-04-01", "节能监察"]]
    )
    update = credit_records_import(actor=root, kind="rectification", upload_or_path=later)
    record = CreditRecord.objects.get()
    assert record.rectified and record.ended_on == date(2024, 4, 1) and record.batch == update
    assert update.rows_loaded == 1 and "更新" in row_notes(update)[0]["reason"]


def test_a_text_file_named_xlsx_is_refused_in_chinese_and_nothing_is_stored(root, tmp_path):
    path = tmp_path / "名单.xlsx"
    path.write_text("这不是 Excel 文件，只是一段文字。\n第二行\n", encoding="utf-8")
    with pytest.raises(ValidationError) as exc:
        credit_records_import(actor=root, kind="dishonest", upload_or_path=path, source_default="x")
    message = "；".join(exc.value.messages)
    assert "实际内容不是 Excel 工作簿" in message and "统一社会信用代码" in message
    assert not ImportBatch.objects.exists() and not CreditRecord.objects.exists()


def test_file_level_refusals(root, tmp_path):
    binary = tmp_path / "x.csv"
    binary.write_bytes(b"\x00\x01\x02binary\x00" * 20)
    with pytest.raises(ValidationError, match="无法识别"):
        credit_records_import(actor=root, kind="dishonest", upload_or_path=binary)
    no_source = write_csv(tmp_path / "s.csv", [["统一社会信用代码", "日期"], [credit_code(), "2024-01-01"]])
    with pytest.raises(ValidationError, match="缺少必需的列：来源"):
        credit_records_import(actor=root, kind="dishonest", upload_or_path=no_source)
    no_level = write_csv(tmp_path / "l.csv", [["统一社会信用代码", "日期", "类别", "来源"]])
    with pytest.raises(ValidationError, match="缺少必需的列：层级"):
        credit_records_import(actor=root, kind="green_list", upload_or_path=no_level)
    with pytest.raises(ValidationError, match="未知的记录类型"):
        credit_records_import(actor=root, kind="nonsense", upload_or_path=no_source)
    assert not ImportBatch.objects.exists()


def test_only_superusers_and_province_or_ministry_admins_may_import(tree, tmp_path):
    path = write_csv(tmp_path / "a.csv", [HEADER, [credit_code(), "甲", "2024-01-01", "来源", ""]])
    for name in ("county", "city", "ent"):
        with pytest.raises(PermissionDenied):
            credit_records_import(actor=tree.users[name], kind="dishonest", upload_or_path=path)
    operator = member(tree.province, role="operator")
    with pytest.raises(PermissionDenied):
        credit_records_import(actor=operator, kind="dishonest", upload_or_path=path)
    assert credit_records_import(actor=tree.users["province"], kind="dishonest", upload_or_path=path).rows_loaded == 1
    assert credit_records_import(actor=tree.users["ministry"], kind="dishonest", upload_or_path=path).rows_skipped == 1


def test_the_command_prints_totals_and_row_errors_in_chinese(db, dishonest_csv):
    path = dishonest_csv[0]
    out = io.StringIO()
    call_command("import_credit_records", str(path), kind="dishonest", source="信用中国", stdout=out)
    text = out.getvalue()
    assert "导入3条" in text and "重复跳过0条" in text and "错误2行" in text
    assert "第3行：统一社会信用代码" in text and "第4行：日期“2024-13-45”无效" in text

    out = io.StringIO()
    call_command("import_credit_records", str(path), kind="失信被执行人", source="信用中国", stdout=out)
    assert "导入0条" in out.getvalue() and "重复跳过3条" in out.getvalue()
    assert CreditRecord.objects.count() == 3

    with pytest.raises(CommandError, match="未知的记录类型“bogus”"):
        call_command("import_credit_records", str(path), kind="bogus")
    with pytest.raises(CommandError, match="不存在"):
        call_command("import_credit_records", str(path.with_name("none.csv")), kind="dishonest")
    with pytest.raises(CommandError, match="缺少必需的列：来源"):
        call_command(
            "import_credit_records",
            str(write_csv(path.with_name("n.csv"), [["统一社会信用代码", "日期"]])),
            kind="dishonest",
        )


def test_the_pages_upload_and_show_the_result_and_are_404_for_others(tree, client, tmp_path):
    a = credit_code()
    path = write_xlsx(
        tmp_path / "安全事故.xlsx",
        [
            ["统一社会信用代码", "单位名称", "发生日期", "说明"],
            [a, "甲", date(2024, 2, 3), "一般事故"],
            ["bad", "乙", "", ""],
        ],
    )
    client.force_login(tree.users["province"])
    assert client.get("/eligibility/imports/").status_code == 200
    assert "失信被执行人" in client.get("/eligibility/imports/new/").content.decode()
    upload = SimpleUploadedFile("安全事故.xlsx", path.read_bytes())
    response = client.post(
        "/eligibility/imports/new/",
        {"kind": "safety_accident", "file": upload, "source": "应急管理局通报"},
        follow=True,
    )
    page = response.content.decode()
    batch = ImportBatch.objects.get()
    assert response.redirect_chain[-1][0] == f"/eligibility/imports/{batch.pk}/"
    assert "已导入1条，重复跳过0条，1行有错误" in page
    assert 'id="rows-loaded">1<' in page and 'id="rows-skipped">0<' in page
    assert "第3行" in page and "统一社会信用代码“bad”有误" in page and "缺少日期" in page
    assert CreditRecord.objects.get().source == "应急管理局通报"
    listing = client.get("/eligibility/imports/").content.decode()
    assert "安全事故.xlsx" in listing and "安全事故（含网络安全、数据安全）" in listing

    # A text file named .xlsx comes back with the reason on the form.
    fake = SimpleUploadedFile("名单.xlsx", "随便写点什么".encode())
    response = client.post("/eligibility/imports/new/", {"kind": "dishonest", "file": fake, "source": "x"})
    assert response.status_code == 200 and "实际内容不是 Excel 工作簿" in response.content.decode()

    for name in ("city", "county", "ent"):
        client.force_login(tree.users[name])
        for url in ("/eligibility/imports/", "/eligibility/imports/new/", f"/eligibility/imports/{batch.pk}/"):
            assert client.get(url).status_code == 404, (name, url)
        assert client.post("/eligibility/imports/new/", {"kind": "dishonest"}).status_code == 404


def test_the_admin_dashboard_links_to_the_import(root, client):
    client.force_login(root)
    assert "信用记录导入" in client.get("/dashboard/").content.decode()


def test_an_applicant_on_an_imported_dishonest_list_is_reevaluated_and_fails(
    tree, root, tmp_path, django_capture_on_commit_callbacks
):
    notice = open_chain(tree, root)
    app = ready_application(tree.users["ent"], tree.ent, notice)
    neighbour = enterprise("小店另一测试企业有限公司", tree.county)
    other = ready_application(member(neighbour), neighbour, notice)
    path = write_csv(
        tmp_path / "失信.csv",
        [HEADER, [tree.ent.credit_code, tree.ent.name, recent().isoformat(), "最高人民法院", ""]],
    )
    with django_capture_on_commit_callbacks(execute=True):
        credit_records_import(actor=root, kind="dishonest", upload_or_path=path)

    evaluation = latest_evaluation(app)
    finding = next(f for f in evaluation.findings if f["rule"] == "NEG-DISHONEST")
    assert finding["outcome"] == "fail" and "失信被执行人" in finding["message"]
    assert evaluation.blocked
    assert latest_evaluation(other) is None  # not touched


def test_park_members_and_assessors_are_found_in_a_fixed_number_of_queries(
    tree, root, tmp_path, django_assert_num_queries
):
    notice = open_chain(tree, root)
    park = enterprise("小店测试园区管委会", tree.county, kind="park")
    park_user = member(park)
    member_code = credit_code()
    park_app = ready_application(
        park_user, park, notice, category="park", data={**PARK_DATA, "member_credit_codes": member_code}
    )
    app = ready_application(tree.users["ent"], tree.ent, notice)
    path = write_csv(
        tmp_path / "环境.csv",
        [
            HEADER,
            [member_code, "园区内企业", recent().isoformat(), "生态环境局", ""],
            [tree.ent.credit_code, tree.ent.name, recent().isoformat(), "生态环境局", ""],
            *[[credit_code(), f"无关企业{i}", recent().isoformat(), "生态环境局", ""] for i in range(20)],
        ],
    )
    batch = credit_records_import(actor=root, kind="environment_accident", upload_or_path=path)
    with django_assert_num_queries(4):
        ids = affected_application_ids(batch)
    assert ids == sorted([park_app.pk, app.pk])


def test_a_batch_from_the_command_shows_the_system_as_importer(root, client, dishonest_csv):
    call_command("import_credit_records", str(dishonest_csv[0]), kind="dishonest", source="x", stdout=io.StringIO())
    batch = ImportBatch.objects.get()
    client.force_login(root)
    assert "系统（命令行）" in client.get("/eligibility/imports/").content.decode()
    page = client.get(f"/eligibility/imports/{batch.pk}/").content.decode()
    assert "系统（命令行）" in page and "第3行" in page
