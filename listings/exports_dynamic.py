"""The round's export: one sheet per category with every unit of the round (as filtered), its state and its values,
columns from listings.indicators. Written with the portal's spreadsheet house style (documents.renderers.xlsx_style;
openpyxl is imported there, inside the functions)."""

from datetime import datetime

from django.utils import timezone

from notices.models import Category
from notices.services import format_moment

from .indicators import change_text, changes_for, display_value, flag_text, indicators_for
from .models import DynamicRound, Listing
from .selectors_dynamic import ROW_STATUS, row_status

FIXED = [
    ("序号", 6),
    ("单位名称", 30),
    ("统一社会信用代码", 22),
    ("名单层级", 9),
    ("列入年度", 9),
    ("所在地区", 12),
    ("填报状态", 14),
    ("提交时间", 18),
    ("逾期", 12),
    ("较上年变差的指标", 34),
]
TAIL = [("其他说明", 24), ("审核意见", 24)]


def _state(listing, past_due: bool) -> tuple[str, str]:
    status = row_status(listing)
    label = ROW_STATUS[status]
    if status in ("none", "draft") and past_due:
        return label, "逾期未填报"
    return label, "逾期提交" if listing.report_late else ""


def round_xlsx(round_: DynamicRound, rows: list[Listing], *, now: datetime | None = None) -> bytes:
    from documents.renderers.xlsx_style import Book

    now = now or timezone.now()
    past_due = now > round_.due_at
    book = Book()
    by_category: dict[str, list[Listing]] = {}
    for listing in rows:
        by_category.setdefault(listing.category, []).append(listing)
    categories = [c for c in Category.values if c in by_category] or [Category.FACTORY]
    for category in categories:
        indicators = indicators_for(category)
        changes = changes_for(category)
        columns = (
            FIXED + [(ind.full_label, 14) for ind in indicators] + [(f"{c.label}变更", 22) for c in changes] + TAIL
        )
        sheet = book.sheet(Category(category).label, [w for _, w in columns], freeze="C5")
        sheet.merged(f"{round_.title}（{Category(category).label}）", "gm_title", height=30)
        due = format_moment(round_.due_at)
        if round_.extended_until:
            due += f"，延期至{format_moment(round_.extended_until)}"
        sheet.merged(
            f"组织单位：{round_.authority.name}　数据年度：{round_.year}年　填报截止：{due}　导出时间：{format_moment(now)}",
            "gm_meta",
        )
        sheet.blank()
        header = sheet.row([label for label, _ in columns], "gm_header")
        sheet.repeat_rows(header, header)
        for number, listing in enumerate(by_category.get(category, []), start=1):
            values = listing.report_indicators or {}
            changed = listing.report_changes or {}
            label, overdue = _state(listing, past_due)
            submitted = listing.report_submitted_at
            cells = [
                number,
                listing.display_name,
                listing.credit_code or listing.organization.credit_code,
                listing.get_level_display(),
                listing.year,
                listing.organization.region.name if listing.organization.region_id else "",
                label,
                f"{timezone.localtime(submitted):%Y-%m-%d %H:%M}" if submitted else "",
                overdue,
                "\n".join(flag_text(f) for f in listing.report_flags or []),
            ]
            for ind in indicators:
                value = values.get(ind.code)
                cells.append(
                    value
                    if isinstance(value, int | float) and not isinstance(value, bool)
                    else display_value(ind, value)
                )
            cells += [change_text(changed.get(c.code)) for c in changes]
            cells += [listing.report_note or "", listing.report_opinion or ""]
            styles = ["gm_center", "gm_cell", "gm_center", "gm_center", "gm_center", "gm_cell", "gm_center"]
            styles += ["gm_center", "gm_center", "gm_cell"] + ["gm_center"] * len(indicators)
            styles += ["gm_cell"] * (len(changes) + len(TAIL))
            sheet.row(cells, styles)
        sheet.autofilter(header)
    return book.save()
