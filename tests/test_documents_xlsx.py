"""The xlsx documents read back with openpyxl: the 推荐汇总表 of a city's batch and of the province's whole round
(FORMATS.md, 000_0e19f411d564c71d.txt 附件2), 初审意见表 / 审核意见表, 专家评分表, 评审排序表, 入选名单; and
LibreOffice printing the summary to PDF."""

import io
import subprocess
from datetime import date
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from documents.builders import summary, tables
from documents.builders.summary import DetailRow, SummaryData, SummaryRow, SummarySection
from documents.renderers import summary_xlsx, tables_xlsx
from documents.renderers.xlsx_style import date_text, fit_height, sheet_title
from eligibility.selectors import latest_evaluation
from listings.models import Listing
from notices.models import NoticeCategory
from reviews.models import Batch
from tests import documents_fixtures

documents_round = documents_fixtures.documents_round  # fixture

FACTORY_HEADER = ("序号", "工厂名称", "第三方机构名称", "行业", "备注")
PARK_HEADER = ("序号", "园区名称", "第三方机构名称", "类型", "备注")
SUPPLY_HEADER = ("序号", "企业名称", "第三方机构名称", "行业", "备注")
PRODUCT_HEADER = ("序号", "产品名称", "第三方机构名称", "行业", "备注")
ASSESSOR = "中环联合（北京）认证中心有限公司"


def book(data: bytes):
    return load_workbook(io.BytesIO(data))


def rows(ws) -> list[tuple]:
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


def section(values: list[tuple], title: str) -> list[tuple]:
    """The header and the rows under a section title, up to the next section title or the blank row."""
    start = values.index((title, None, None, None, None))
    out = []
    for row in values[start + 1 :]:
        if row[0] is not None and str(row[0]).endswith("名单") or not any(row):
            break
        out.append(row)
    return out


def test_batch_summary_is_the_formats_sheet(documents_round, tree):
    r = documents_round
    wb = book(summary_xlsx.render(summary.batch_summary(r.city_batch, tree.city)))
    assert wb.sheetnames == ["推荐汇总表", "明细"]
    ws = wb["推荐汇总表"]
    values = rows(ws)
    assert values[0] == ("市级工业和信息化主管部门推荐汇总表", None, None, None, None)
    assert "A1:E1" in {str(m) for m in ws.merged_cells.ranges}
    assert (ws["A1"].font.name, ws["A1"].font.sz, ws["A1"].font.b) == ("方正小标宋简体", 16, True)
    titles = [v[0] for v in values if v[0] and str(v[0]).endswith("推荐名单")]
    assert titles == ["绿色工厂推荐名单", "绿色工业园区推荐名单", "绿色供应链管理企业推荐名单", "绿色设计产品推荐名单"]
    # Rank order within the section (the second factory was ranked first), 自评价 where there is no assessor.
    assert section(values, "绿色工厂推荐名单") == [
        FACTORY_HEADER,
        (1, "并州精密机械有限公司", "自评价", "金属结构制造", None),
        (2, "小店测试企业有限公司", ASSESSOR, "金属结构制造", None),
    ]
    assert section(values, "绿色工业园区推荐名单") == [
        PARK_HEADER,
        (1, "小店经济技术开发区管理委员会", "自评价", "省级", None),
    ]
    assert section(values, "绿色供应链管理企业推荐名单") == [
        SUPPLY_HEADER,
        (1, "晋阳汽车零部件有限公司", "自评价", "汽车零部件及配件制造", None),
    ]
    assert section(values, "绿色设计产品推荐名单") == [
        PRODUCT_HEADER,
        (1, "变频房间空气调节器", "自评价", None, "申报单位：龙城空调设备有限公司"),
    ]
    # Footer: the authority, the seal line and the day the batch was submitted, unpadded.
    footer = [v[2] for v in values[-3:]]
    assert footer == ["推荐单位：太原市工信局（测试）", "(单位公章)", "2024年5月7日"]
    # Print set-up: A4 landscape fitted to the width, the title repeated and frozen.
    setup = ws.page_setup
    assert (setup.orientation, int(setup.paperSize), setup.fitToWidth, setup.fitToHeight) == ("landscape", 9, 1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws.print_title_rows == "$1:$1" and ws.freeze_panes == "A2"
    assert "&P" in ws.HeaderFooter.oddFooter.center.text
    # Borders and faces: 黑体 headers, 仿宋 body, thin borders all round, the name column wide.
    header = ws.cell(row=values.index(FACTORY_HEADER) + 1, column=2)
    body = ws.cell(row=values.index(FACTORY_HEADER) + 2, column=2)
    assert header.font.name == "黑体" and body.font.name == "仿宋_GB2312"
    for cell in (header, body):
        assert {cell.border.left.style, cell.border.right.style, cell.border.top.style, cell.border.bottom.style} == {
            "thin"
        }
    end = ws.cell(row=2, column=5)  # the merged section title is bordered to its end
    assert (end.border.right.style, end.border.top.style, end.border.bottom.style) == ("thin", "thin", "thin")
    assert body.alignment.wrap_text and ws.column_dimensions["B"].width > ws.column_dimensions["D"].width


def test_batch_summary_details_sheet(documents_round, tree):
    r = documents_round
    ws = book(summary_xlsx.render(summary.batch_summary(r.city_batch, tree.city)))["明细"]
    values = rows(ws)
    assert values[0] == (
        "推荐顺序",
        "类别",
        "名称",
        "统一社会信用代码",
        "所在地区",
        "评价方式",
        "第三方机构",
        "第三方评价得分",
        "专家评审得分",
        "资格审查提示",
        "所在批次",
    )
    apps = r.apps
    order = [apps.second, apps.supply, apps.factory, apps.park, apps.product]
    assert [v[0] for v in values[1:]] == [1, 2, 3, 4, 5]
    assert [v[3] for v in values[1:]] == [a.applicant.credit_code for a in order]
    assert {v[4] for v in values[1:]} == {"山西省太原市小店区"}
    factory = values[3]
    assert factory[2] == "小店测试企业有限公司" and factory[5:9] == ("第三方评价", ASSESSOR, 91.5, 85)
    # The province panel's mean: 甲 62.5, 乙 declined.
    assert values[1][8] == 62.5 and values[2][8] is None
    for row, app in zip(values[1:], order, strict=True):
        expected = summary.findings_line(latest_evaluation(app).findings)
        assert (row[9] or "") == expected
    assert any(v[9] for v in values[1:])  # the round's evaluations do report findings
    assert {v[10] for v in values[1:]} == {r.city_batch.title}
    assert ws.auto_filter.ref == "A1:K6" and ws.freeze_panes == "A2" and ws.print_title_rows == "$1:$1"
    assert ws["A1"].font.name == "黑体" and ws["C2"].font.name == "仿宋_GB2312"


def test_findings_line_names_failed_and_warned_rules_only():
    findings = [
        {"rule": "A", "title": "负面清单", "kind": "hard", "outcome": "fail"},
        {"rule": "B", "title": "节水型企业", "kind": "priority", "outcome": "fail"},  # only forgoes a bonus
        {"rule": "C", "title": "能效水平", "kind": "advisory", "outcome": "warn"},
        {"rule": "D", "title": "园区级别", "kind": "hard", "outcome": "needs_evidence"},
        {"rule": "E", "title": "行业标准", "kind": "hard", "outcome": "pass"},
        {"rule": "F", "title": "不适用项", "kind": "hard", "outcome": "not_applicable"},
    ]
    assert summary.findings_line(findings) == "不符合：负面清单；提示：能效水平；待补充证据：园区级别"
    assert summary.findings_line([]) == ""


def test_three_sections_always_and_no_product_section_unless_opened(documents_round, tree):
    r = documents_round
    first = r.province_batches[0]  # a factory and a park
    NoticeCategory.objects.filter(notice=first.notice, category="product").delete()
    data = summary.batch_summary(first, tree.province)
    assert data.title == "省级工业和信息化主管部门推荐汇总表"
    assert [s.title for s in data.sections] == [
        "绿色工厂推荐名单",
        "绿色工业园区推荐名单",
        "绿色供应链管理企业推荐名单",
    ]
    values = rows(book(summary_xlsx.render(data))["推荐汇总表"])
    # The empty supply-chain section keeps its title, its header and one empty bordered row.
    assert section(values, "绿色供应链管理企业推荐名单") == [SUPPLY_HEADER]
    start = values.index(SUPPLY_HEADER)
    assert values[start + 1] == (None,) * 5
    assert "绿色设计产品推荐名单" not in [v[0] for v in values]


def test_blank_date_and_empty_sections_render(tmp_path):
    sections = [summary.SummarySection(code, *summary.SECTIONS[code]) for code in summary.ALWAYS]
    data = SummaryData("县级工业和信息化主管部门推荐汇总表", "小店区工信局", None, sections, [])
    wb = book(summary_xlsx.render(data))
    values = rows(wb["推荐汇总表"])
    assert [v[2] for v in values[-3:]] == ["推荐单位：小店区工信局", "(单位公章)", "年 月 日"]
    ws = wb["推荐汇总表"]
    empty = values.index(FACTORY_HEADER) + 2
    assert ws.cell(row=empty, column=2).border.left.style == "thin"
    assert rows(wb["明细"])[1:] == []
    assert date_text(date(2024, 5, 7)) == "2024年5月7日" and date_text(date(2024, 12, 20)) == "2024年12月20日"


def test_province_summary_over_two_batches_in_order(documents_round, tree):
    r = documents_round
    first, second = r.province_batches
    data = summary.notice_summary(r.notice, tree.province)
    assert data.title == "省级工业和信息化主管部门推荐汇总表" and data.authority == tree.province.name
    assert [(d.batch, d.rank, d.name) for d in data.details] == [
        (first.title, 1, "小店测试企业有限公司"),
        (first.title, 2, "小店经济技术开发区管理委员会"),
        (second.title, 1, "晋阳汽车零部件有限公司"),
        (second.title, 2, "并州精密机械有限公司"),
        (second.title, 3, "变频房间空气调节器"),
    ]
    values = rows(book(summary_xlsx.render(data))["推荐汇总表"])
    assert section(values, "绿色工厂推荐名单")[1:] == [
        (1, "小店测试企业有限公司", ASSESSOR, "金属结构制造", None),
        (2, "并州精密机械有限公司", "自评价", "金属结构制造", None),
    ]
    assert values[-3][2] == f"推荐单位：{tree.province.name}"
    # A returned batch is no longer recommended.
    Batch.objects.filter(pk=second.pk).update(state=Batch.State.RETURNED)
    data = summary.notice_summary(r.notice, tree.province)
    assert [d.name for d in data.details] == ["小店测试企业有限公司", "小店经济技术开发区管理委员会"]
    assert [len(s.rows) for s in data.sections] == [1, 1, 0, 0]


def test_summary_queries_do_not_grow_with_items(documents_round, tree):
    first, second = documents_round.province_batches  # 2 and 3 items, the same panels
    counts = []
    for batch in (first, second):
        with CaptureQueriesContext(connection) as ctx:
            summary.batch_summary(batch, tree.province)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] and counts[0] <= 20


def test_review_opinions_with_department_replies(documents_round, tree):
    r = documents_round
    data = tables.review_opinions(r.notice, tree.county)
    wb = book(tables_xlsx.review_opinions(data))
    assert wb.sheetnames == ["初审意见表"]
    ws = wb["初审意见表"]
    values = rows(ws)
    assert values[0][0] == "初审意见表" and values[1][0] == r.notice.title
    assert values[2] == (
        "序号",
        "申报单位",
        "统一社会信用代码",
        "类别",
        "所在地区",
        "评价方式/第三方机构",
        "部门意见",
        "审核决定",
        "审核意见",
        "审核人",
        "审核日期",
    )
    body = [v for v in values[3:] if isinstance(v[0], int)]
    names = [v[1] for v in body]
    # Factories first (in the order they arrived), then park, supply chain, product.
    assert names == [
        "小店测试企业有限公司",
        "并州精密机械有限公司",
        "汾河化工有限公司",
        "小店经济技术开发区管理委员会",
        "晋阳汽车零部件有限公司",
        "龙城空调设备有限公司（变频房间空气调节器）",
    ]
    by_name = {v[1]: v for v in body}
    factory = by_name["小店测试企业有限公司"]
    assert factory[5] == f"第三方评价：{ASSESSOR}" and factory[7] == "推荐" and factory[8] == "同意推荐（factory）。"
    assert factory[6] == f"{tree.eco.name}：无异议\n{r.emergency.name}：无异议"
    refused = by_name["汾河化工有限公司"]
    assert refused[6].splitlines()[1] == f"{r.emergency.name}：有异议（2023年发生一般生产安全事故）"
    assert (refused[7], refused[8]) == ("不予推荐", "存在安全事故。")
    reviewer = tree.users["county"].get_full_name()
    assert {v[9] for v in body} == {reviewer}
    assert {v[2] for v in body} == {a.applicant.credit_code for a in vars(r.apps).values()}
    assert body[0][10] == date_text(data.rows[0].decided_on)
    footer = [v[6] for v in values if v[6] and str(v[6]).startswith(("审核单位", "日期"))]
    assert footer == [f"审核单位：{tree.county.name}（盖章）", f"日期：{date_text(data.signed_on)}"]
    assert ws.print_title_rows == "$3:$3" and ws.page_setup.orientation == "landscape"
    assert ws["G4"].alignment.wrap_text and ws.row_dimensions[4].height >= 35  # two departments, two lines

    # Above the county it is the 审核意见表, of what reached the city (not the applicant it refused).
    city = tables.review_opinions(r.notice, tree.city)
    assert city.title == "审核意见表" and len(city.rows) == 5
    assert {row.departments == [] for row in city.rows} == {True}
    assert rows(book(tables_xlsx.review_opinions(city))["审核意见表"])[3][6] == "未征求意见"


def test_score_sheets_one_per_expert(documents_round, tree):
    r = documents_round
    wb = book(tables_xlsx.score_sheets(tables.score_sheets(r.panel, tree.province)))
    assert wb.sheetnames == ["甲", "乙"]
    first = rows(wb["甲"])
    assert first[0][0] == "专家评分表"
    assert first[1][0].startswith("评审组：绿色工厂评审组") and first[2][0] == f"通知：{r.panel.notice.title}"
    assert first[3][0].startswith("评审专家：甲（山西省节能中心、高级工程师）　　日期：")
    assert first[4] == (
        "序号",
        "申报单位",
        "所在地区",
        "基本要求（满分100，权重1）",
        "绩效指标（满分50，权重3）",
        "加权总分",
        "评审意见",
        "状态",
    )
    assert first[5] == (1, "小店测试企业有限公司", "山西省太原市小店区", 90, 45, 90, "factory意见", "已评分")
    assert first[6] == (2, "并州精密机械有限公司", "山西省太原市小店区", 70, 30, 62.5, "second意见", "已评分")
    assert first[-1][1].startswith("评审专家签字：")
    second = rows(wb["乙"])
    assert second[6][:3] == (2, "并州精密机械有限公司", "山西省太原市小店区")
    assert second[6][3:] == (None, None, None, None, "已拒绝（曾为该企业提供咨询）")
    ws = wb["乙"]
    assert ws.print_title_rows == "$5:$5" and ws["D5"].font.name == "黑体" and ws["D5"].border.top.style == "thin"


def test_sheet_titles_are_valid_and_unique():
    used = set()
    assert sheet_title("张三", used) == "张三"
    assert sheet_title("张三", used) == "张三(2)"
    assert sheet_title("a/b:c*?[d]", used) == "abcd"
    long = sheet_title("很" * 40, used)
    assert long == "很" * 31 and len(sheet_title("很" * 40, used)) == 31
    assert len(used) == 5


def test_ranking_order_and_quota_line(documents_round, tree):
    r = documents_round
    wb = book(tables_xlsx.ranking(tables.ranking(r.panel, tree.province)))
    ws = wb["评审排序表"]
    values = rows(ws)
    assert values[0][0] == "评审排序表"
    assert "汇总方式：算术平均" in values[1][0] and "推荐名额：1个" in values[1][0]
    assert values[3] == (
        "排名",
        "申报单位",
        "类别",
        "所在地区",
        "甲",
        "乙",
        "汇总得分（算术平均）",
        "评分数",
        "名额线",
    )
    assert values[4] == (1, "小店测试企业有限公司", "绿色工厂", "山西省太原市小店区", 90, 80, 85, 2, "推荐名额内")
    assert values[5] == (
        2,
        "并州精密机械有限公司",
        "绿色工厂",
        "山西省太原市小店区",
        62.5,
        "已拒绝",
        62.5,
        1,
        "超出推荐名额",
    )
    # The quota line: a rule under the last row within the quota, none under the next.
    assert ws["B5"].border.bottom.style == "medium" and ws["B6"].border.bottom.style == "thin"
    assert ws.print_title_rows == "$4:$4"


def test_final_list_from_listings(documents_round, tree):
    r = documents_round
    wb = book(tables_xlsx.final_list(tables.final_list(r.notice, tree.ministry)))
    ws = wb["入选名单"]
    values = rows(ws)
    assert values[0][0] == "2024年度国家级绿色制造名单"
    titles = [v[0] for v in values if v[0] and str(v[0]).endswith("名单") and v[1] is None]
    assert titles == ["2024年度国家级绿色制造名单", "绿色工厂名单", "绿色工业园区名单", "绿色设计产品名单"]
    header = ("序号", "名称", "统一社会信用代码", "所在地区", "第三方机构/自评价", "名单层级", "入选日期")
    factory = values[values.index(("绿色工厂名单",) + (None,) * 6) + 1 :][:2]
    assert factory == [
        header,
        (1, "小店测试企业有限公司", tree.ent.credit_code, "山西省太原市小店区", ASSESSOR, "国家级", "2024年12月20日"),
    ]
    product = values[-1]
    assert product[1] == "龙城空调设备有限公司（变频房间空气调节器）" and product[4] == "自评价"
    # Another authority decided nothing here; a removed listing is off the list.
    assert tables.final_list(r.notice, tree.province).sections == []
    Listing.objects.filter(category="park").update(status=Listing.Status.REMOVED)
    assert [s.title for s in tables.final_list(r.notice, tree.ministry).sections] == [
        "绿色工厂名单",
        "绿色设计产品名单",
    ]


def test_row_heights_fit_wrapped_text():
    assert fit_height(["短"], [20]) == 20  # one line: the sheet's default row
    assert fit_height(["很" * 30], [44]) == 2 * 15 + 5  # 63 units over a 44-wide column: two lines
    assert fit_height(["甲：无异议\n乙：无异议\n丙：有异议"], [36]) == 3 * 15 + 5
    assert fit_height([12345, None, Decimal("1.5")], [5, 5, 5]) == 20


def test_render_reports_progress():
    rows_ = [SummaryRow(f"企业{i}", "自评价", "金属结构制造") for i in range(1200)]
    sections = [SummarySection("factory", *summary.SECTIONS["factory"], rows=rows_)]
    details = [
        DetailRow(i, "绿色工厂", f"企业{i}", "", "", "自评价", "自评价", "", "", "", "第1批") for i in range(1200)
    ]
    seen = []
    summary_xlsx.render(
        SummaryData("市级工业和信息化主管部门推荐汇总表", "某局", date(2024, 5, 7), sections, details), seen.append
    )
    assert seen and seen == sorted(seen) and 0 < seen[-1] <= 1


def test_libreoffice_prints_the_summary(documents_round, tree, tmp_path):
    """LibreOffice converts the xlsx with the project fonts; the page shows the table (pdftoppm) with CJK fonts
    embedded (pdffonts), its title and rows as text."""
    import pdfplumber

    from documents.renderers.office import convert

    pdf = convert(summary_xlsx.render(summary.batch_summary(documents_round.city_batch, tree.city)), "xlsx")
    path = tmp_path / "summary.pdf"
    path.write_bytes(pdf)
    with pdfplumber.open(path) as doc:
        first = doc.pages[0]
        text = first.extract_text()
        assert first.width > first.height  # landscape
        assert "市级工业和信息化主管部门推荐汇总表" in text and "绿色工业园区推荐名单" in text
        assert "并州精密机械有限公司" in text and "推荐单位：太原市工信局（测试）" in text and "2024年5月7日" in text
        assert len(first.lines) + len(first.rects) > 20  # the table's borders
        assert len(doc.pages) == 2  # the summary, then the 明细 sheet
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(" yes " in line for line in cjk)
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")], check=True)
    png = next(tmp_path.glob("p-*.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
