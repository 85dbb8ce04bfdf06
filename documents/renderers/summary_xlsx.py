"""推荐汇总表 as xlsx. Sheet 1 is the sheet of 000_0e19f411d564c71d.txt 附件2 as FORMATS.md states it (title, three
or four sections each with its own header row, the 推荐单位 footer); sheet 2 "明细" carries what reviewers need
beside it (credit code, region, scores, rule findings, rank)."""

from .xlsx_style import Book, date_text, number, progress_every

SUMMARY_WIDTHS = [7, 44, 38, 24, 26]  # 序号, 名称 (wide), 第三方机构名称, 行业/类型, 备注
DETAIL_HEADERS = [
    ("推荐顺序", 8),
    ("类别", 18),
    ("名称", 36),
    ("统一社会信用代码", 22),
    ("所在地区", 22),
    ("评价方式", 11),
    ("第三方机构", 30),
    ("第三方评价得分", 10),
    ("专家评审得分", 10),
    ("资格审查提示", 40),
    ("所在批次", 32),
]


def render(data, progress=None) -> bytes:
    book = Book()
    total = sum(len(s.rows) for s in data.sections) + len(data.details)
    report = progress_every(progress, total)
    done = 0

    # Sheet 1: the official sheet. Its title row is frozen and printed on every page; each section's own header
    # row follows the section title (a repeated factory header would mislabel the park rows on later pages).
    sheet = book.sheet("推荐汇总表", SUMMARY_WIDTHS, freeze="A2")
    sheet.merged(data.title, "gm_title", height=40)
    sheet.repeat_rows(1, 1)
    for section in data.sections:
        sheet.merged(section.title, "gm_section", height=24)
        sheet.row(["序号", section.name_header, "第三方机构名称", section.trait_header, "备注"], "gm_header", height=22)
        if not section.rows:
            sheet.row([None] * 5, "gm_cell", height=20)  # an empty section keeps its table
        for n, row in enumerate(section.rows, start=1):
            sheet.row(
                [n, row.name, row.assessor, row.trait, row.remark or None],
                ["gm_center", "gm_cell", "gm_cell", "gm_center", "gm_cell"],
            )
            done += 1
            report(done)
    sheet.blank(height=12)
    sheet.merged(f"推荐单位：{data.authority}", "gm_footer", first=3, last=5, height=26)
    sheet.merged("(单位公章)", "gm_footer_center", first=3, last=5, height=26)
    sheet.merged(date_text(data.signed_on), "gm_footer_center", first=3, last=5, height=26)

    # Sheet 2: details, one header row, filterable, frozen and repeated on each printed page.
    details = book.sheet("明细", [w for _, w in DETAIL_HEADERS], freeze="A2")
    details.row([h for h, _ in DETAIL_HEADERS], "gm_header", height=30)
    details.repeat_rows(1, 1)
    styles = ["gm_center", "gm_center", "gm_cell", "gm_center", "gm_cell", "gm_center", "gm_cell"]
    styles += ["gm_center", "gm_center", "gm_cell", "gm_cell"]
    for d in data.details:
        details.row(
            [
                d.rank,
                d.category,
                d.name,
                d.credit_code or None,
                d.region or None,
                d.evaluation,
                d.assessor,
                number(d.assessor_score),
                number(d.expert_score),
                d.findings or None,
                d.batch,
            ],
            styles,
        )
        done += 1
        report(done)
    details.autofilter(1)
    return book.save()
