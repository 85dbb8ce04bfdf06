"""The review tables as xlsx in the house style (xlsx_style): 初审意见表 / 审核意见表, 专家评分表 (a sheet per expert),
评审排序表 with the quota line, and the 入选名单. Data from documents/builders/tables.py; no database here."""

from .xlsx_style import Book, date_text, number, progress_every

BLANK_DATE = "    年  月  日"  # for a date written by hand


def _title_rows(sheet, title: str, lines=()) -> None:
    sheet.merged(title, "gm_title", height=40)
    for line in lines:
        sheet.merged(line, "gm_meta", height=22)


def _footer(sheet, lines, first: int) -> None:
    sheet.blank(height=12)
    for line in lines:
        sheet.merged(line, "gm_footer", first=first, height=26)


# ------------------------------------------------------------------------------------- 初审意见表 / 审核意见表

OPINION_COLUMNS = [
    ("序号", 6, "gm_center"),
    ("申报单位", 26, "gm_cell"),
    ("统一社会信用代码", 21, "gm_center"),
    ("类别", 14, "gm_center"),
    ("所在地区", 17, "gm_cell"),
    ("评价方式/第三方机构", 24, "gm_cell"),
    ("部门意见", 36, "gm_cell"),
    ("审核决定", 10, "gm_center"),
    ("审核意见", 28, "gm_cell"),
    ("审核人", 10, "gm_center"),
    ("审核日期", 13, "gm_center"),
]


def review_opinions(data, progress=None) -> bytes:
    book = Book()
    report = progress_every(progress, len(data.rows))
    sheet = book.sheet(data.title, [w for _, w, _ in OPINION_COLUMNS], freeze="A4")
    _title_rows(sheet, data.title)
    sheet.merged(data.notice, "gm_subtitle", height=22)
    header = sheet.row([h for h, _, _ in OPINION_COLUMNS], "gm_header", height=30)
    sheet.repeat_rows(header, header)
    styles = [s for _, _, s in OPINION_COLUMNS]
    for n, r in enumerate(data.rows, start=1):
        decided_on = date_text(r.decided_on) if r.decided_on else None
        values = [n, r.name, r.credit_code or None, r.category, r.region or None, r.evaluation]
        values += ["\n".join(r.departments) or "未征求意见", r.decision, r.opinion or None, r.reviewer or None]
        sheet.row(values + [decided_on], styles)
        report(n)
    if not data.rows:
        sheet.merged("暂无申报", "gm_cell", height=24)
    signed = date_text(data.signed_on) if data.signed_on else BLANK_DATE
    _footer(sheet, [f"审核单位：{data.authority}（盖章）", f"日期：{signed}"], first=7)
    return book.save()


# ----------------------------------------------------------------------------------------------- 专家评分表


def score_sheets(data, progress=None) -> bytes:
    book = Book()
    criteria = data.criteria
    widths = [6, 30, 18] + [15] * len(criteria) + [10, 36, 14]
    headers = ["序号", "申报单位", "所在地区", *criteria, "加权总分", "评审意见", "状态"]
    styles = ["gm_center", "gm_cell", "gm_cell"] + ["gm_center"] * len(criteria) + ["gm_center", "gm_cell", "gm_center"]
    report = progress_every(progress, sum(len(s.rows) for s in data.sheets), step=100)
    done = 0
    for expert in data.sheets or [None]:
        sheet = book.sheet(expert.expert if expert else "专家评分表", widths, freeze="A6")
        about = "、".join(p for p in (expert.employer, expert.title) if p) if expert else ""
        signed = date_text(expert.signed_on) if expert and expert.signed_on else BLANK_DATE
        _title_rows(
            sheet,
            "专家评分表",
            [
                f"评审组：{data.panel}　　类别：{data.category}　　组织评审单位：{data.authority}",
                f"通知：{data.notice}",
                f"评审专家：{expert.expert if expert else ''}"
                + (f"（{about}）" if about else "")
                + f"　　日期：{signed}",
            ],
        )
        header = sheet.row(headers, "gm_header")
        sheet.repeat_rows(header, header)
        rows = expert.rows if expert else []
        for n, r in enumerate(rows, start=1):
            values = [n, r.name, r.region or None, *[number(v) for v in r.values]]
            sheet.row(values + [number(r.total), r.comment or None, r.status], styles)
            done += 1
            report(done)
        if not rows:
            sheet.merged("暂无评审任务" if expert else "本评审组尚无评审专家", "gm_cell", height=24)
        _footer(sheet, ["评审专家签字：                    日期：    年  月  日"], first=2)
    return book.save()


# ----------------------------------------------------------------------------------------------- 评审排序表


def ranking(data, progress=None) -> bytes:
    book = Book()
    experts = data.experts
    widths = [7, 32, 14, 20] + [11] * len(experts) + [14, 8, 14]
    headers = ["排名", "申报单位", "类别", "所在地区", *experts, f"汇总得分（{data.aggregate}）", "评分数", "名额线"]
    plain = ["gm_center", "gm_cell", "gm_center", "gm_cell"] + ["gm_center"] * (len(experts) + 3)
    line = [s.replace("gm_center", "gm_center_line").replace("gm_cell", "gm_cell_line") for s in plain]
    sheet = book.sheet("评审排序表", widths, freeze="A5")
    quota = f"{data.quota}个" if data.quota is not None else "未设定"
    _title_rows(
        sheet,
        "评审排序表",
        [
            f"评审组：{data.panel}　　类别：{data.category}　　汇总方式：{data.aggregate}　　推荐名额：{quota}",
            f"组织评审单位：{data.authority}　　通知：{data.notice}",
        ],
    )
    header = sheet.row(headers, "gm_header")
    sheet.repeat_rows(header, header)
    report = progress_every(progress, len(data.rows), step=100)
    for n, r in enumerate(data.rows, start=1):
        values = [r.rank, r.name, r.category, r.region or None, *[number(v) for v in r.expert_totals]]
        values += [number(r.score), r.scores, r.marker or None]
        # the quota line: a red rule under the last row within the quota
        sheet.row(values, line if r.last_within_quota else plain)
        report(n)
    if not data.rows:
        sheet.merged("暂无申报", "gm_cell", height=24)
    return book.save()


# ------------------------------------------------------------------------------------------------- 入选名单

LIST_COLUMNS = [
    ("序号", 6, "gm_center"),
    ("名称", 40, "gm_cell"),
    ("统一社会信用代码", 22, "gm_center"),
    ("所在地区", 24, "gm_cell"),
    ("第三方机构/自评价", 32, "gm_cell"),
    ("名单层级", 10, "gm_center"),
    ("入选日期", 15, "gm_center"),
]


def final_list(data, progress=None) -> bytes:
    book = Book()
    sheet = book.sheet("入选名单", [w for _, w, _ in LIST_COLUMNS], freeze="A2")
    _title_rows(sheet, data.title)
    sheet.repeat_rows(1, 1)
    styles = [s for _, _, s in LIST_COLUMNS]
    report = progress_every(progress, sum(len(s.rows) for s in data.sections))
    done = 0
    for section in data.sections:
        sheet.merged(section.title, "gm_section", height=24)
        sheet.row([h for h, _, _ in LIST_COLUMNS], "gm_header", height=22)
        for n, r in enumerate(section.rows, start=1):
            values = [n, r.name, r.credit_code or None, r.region or None, r.assessor or None, r.level]
            sheet.row(values + [date_text(r.listed_on)], styles)
            done += 1
            report(done)
    if not data.sections:
        sheet.merged("暂无入选单位", "gm_cell", height=24)
    return book.save()
