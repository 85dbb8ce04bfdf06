"""The statistics tables, built once for the page and for its xlsx export, so the download is exactly the table
the page shows (same selector, same filters, same headers and cells).

A Table is plain data: a title, Chinese headers, rows of text and figures, an optional total row, and for the page
a chart and the page of rows it shows. build(key, report) makes one table; the page builds several.
"""

from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from itertools import groupby
from urllib.parse import urlencode

from django.core.paginator import Paginator

from notices.models import Category

from . import charts
from . import selectors as sel

PAGE_SIZE = 25
SIDE = 520  # width of a chart beside its table
CHART_ROWS = 10  # the pass-rate chart shows the first rows of the page; the table holds them all


@dataclass
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    total: list | None = None
    links: dict[int, str] = field(default_factory=dict)  # row index → link of its first cell (drill down)
    text_columns: int = 1  # leading columns of text; the others hold figures
    empty: str = "所选范围内没有数据。"
    chart: str = ""
    extra_chart: str = ""
    facts: dict = field(default_factory=dict)  # named figures for the page's summary
    page: object = None  # the Paginator page the web page shows, for paginated tables

    @property
    def body(self) -> list[dict]:
        """Rows for the template, cells formatted as the export writes them."""
        return [{"cells": [cell_text(c) for c in row], "link": self.links.get(i)} for i, row in enumerate(self.rows)]

    @property
    def total_cells(self) -> list[str]:
        return [cell_text(c) for c in self.total] if self.total else []


def cell_text(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


@dataclass
class Report:
    """The viewer and the resolved filters, with the application set they select (built lazily, once)."""

    viewer: sel.Viewer
    filters: sel.Filters
    paging: dict = field(default_factory=dict)  # table key → page number asked for (None: all rows, the export)

    @cached_property
    def apps(self):
        return sel.applications_in_scope(self.viewer, self.filters)

    @cached_property
    def state_counts(self) -> list[dict]:
        """Read once: the states table shows them, and their sum is the outcome table's whole."""
        return sel.counts_by_state(self.apps)

    @property
    def level(self) -> int | None:
        return self.filters.level

    def query(self, **override) -> str:
        """The resolved filters as a query string (what the export links and drill-down links carry)."""
        f = self.filters
        params = {
            "notice": f.notice.pk if f.notice else None,
            "year": None if f.notice else (f.year or "all"),
            "level": f.level,
            "province": f.province,
        }
        params.update(override)
        return urlencode({k: v for k, v in params.items() if v is not None})

    def _paged(self, key: str, rows):
        number = self.paging.get(key)
        if number is None:
            return list(rows), None
        page = Paginator(rows, PAGE_SIZE).get_page(number)
        return list(page.object_list), page


# ------------------------------------------------------------------------------------------------ overview


def outcomes(report: Report) -> Table:
    table = Table("outcomes", "按本级审核结果统计", ["审核结果", "申报数"])
    if report.level is None:
        return table
    rows = sel.counts_by_outcome(report.apps, report.level, total=sum(r["n"] for r in report.state_counts))
    table.rows = [[r["label"], r["n"]] for r in rows]
    total = sum(r["n"] for r in rows)
    table.total = ["合计", total]
    table.facts = {"total": total, **{r["code"]: r["n"] for r in rows}}
    if not total:
        table.rows = []
        return table
    table.chart = charts.bar_chart(
        "chart-outcomes", table.title, [r["label"] for r in rows], [("申报数", [r["n"] for r in rows])], width=SIDE
    )
    return table


def states(report: Report) -> Table:
    table = Table("states", "按申报状态统计", ["当前状态", "申报数"])
    rows = report.state_counts
    total = sum(r["n"] for r in rows)
    if total:
        table.rows = [[r["label"], r["n"]] for r in rows]
        table.total = ["合计", total]
    return table


def _three(rows) -> list[tuple[str, list]]:
    return [
        ("申报数", [r["n"] for r in rows]),
        ("本级推荐", [r["recommended"] for r in rows]),
        ("入选名单", [r["listed"] for r in rows]),
    ]


def _total(label_cells: list, rows) -> list:
    return [*label_cells, *(sum(r[k] for r in rows) for k in ("n", "recommended", "listed"))]


def categories(report: Report) -> Table:
    table = Table("categories", "按申报类别统计", ["申报类别", "申报数", "本级推荐", "入选名单"])
    if report.level is None:
        return table
    rows = sel.counts_by_category(report.apps, report.level)
    table.rows = [[r["label"], r["n"], r["recommended"], r["listed"]] for r in rows]
    if rows:
        table.total = _total(["合计"], rows)
        table.facts = {"listed": table.total[-1]}
        table.chart = charts.bar_chart(
            "chart-categories", table.title, [r["label"] for r in rows], _three(rows), width=SIDE
        )
    return table


def regions(report: Report) -> Table:
    table = Table("regions", "按地区统计", ["地区", "主管部门", "申报数", "本级推荐", "入选名单"], text_columns=2)
    if report.level is None:
        return table
    rows = sel.counts_by_region(report.apps, report.viewer.tree, report.level)
    if not any(r["n"] for r in rows):
        table.empty = "所选范围内没有已提交的申报。"
        return table
    table.rows = [[r["region"], r["authority"], r["n"], r["recommended"], r["listed"]] for r in rows]
    table.links = {i: "?" + report.query(level=r["authority_id"]) for i, r in enumerate(rows) if r["authority_id"]}
    table.total = _total(["合计", ""], rows)
    # A region with two authorities (a city and a development zone reporting to the province) is named by them.
    regions = Counter(r["region"] for r in rows)
    labels = [r["region"] if regions[r["region"]] == 1 else r["authority"] for r in rows]
    table.chart = charts.bar_chart("chart-regions", table.title, labels, _three(rows)[:2])
    return table


def assessors(report: Report) -> Table:
    table = Table("assessors", "按第三方评价机构统计", ["第三方评价机构", "申报数", "本级推荐", "入选名单"])
    if report.level is None:
        return table
    # Read whole and paged here: a row per registered assessor (hundreds at most), and the paginator's count of
    # the grouped query cost as much as the query itself.
    rows, page = report._paged("assessors", list(sel.counts_by_assessor(report.apps, report.level)))
    rows = sel.recommended_by_assessor(report.apps, report.level, rows)
    table.page = page
    table.rows = [[r["assessor__name"], r["n"], r["recommended"], r["listed"]] for r in rows]
    if page is None or not page.has_next():
        unassessed = sel.counts_without_assessor(report.apps, report.level)
        if unassessed["n"]:
            table.rows.append(
                ["自评价（无第三方评价机构）", unassessed["n"], unassessed["recommended"], unassessed["listed"]]
            )
        if page is None or page.paginator.num_pages == 1:
            table.total = ["合计", *(sum(row[i] for row in table.rows) for i in (1, 2, 3))]
    return table


# ---------------------------------------------------------------------------------------------- pass rates

RATE_HEADERS = ["县级推荐", "市级推荐", "省级推荐", "部级推荐"]
RATE_LABELS = ["县级通过率（%）", "市级通过率（%）", "省级通过率（%）", "部级通过率（%）"]


def pass_rates(report: Report) -> Table:
    table = Table(
        "pass-rates",
        "第三方评价机构评价通过率",
        ["第三方评价机构", "统一社会信用代码", "评价数", *RATE_HEADERS, "入选名单", *RATE_LABELS, "入选率（%）"],
        text_columns=2,
        empty="所选范围内没有经第三方评价并已提交的申报。",
    )
    rows, page = report._paged("pass-rates", sel.pass_rates(report.viewer, report.filters))
    rows = [sel.with_rates(r) for r in rows]
    table.page = page
    table.rows = [
        [
            r["assessor__name"],
            r["assessor__credit_code"] or "—",
            r["evaluated"],
            *(r[f"recommended_{level}"] for level in sel.LEVELS),
            r["listed"],
            *(r[f"rate_{level}"] for level in sel.LEVELS),
            r["rate_listed"],
        ]
        for r in rows
    ]
    shown = rows[:CHART_ROWS]
    table.chart = charts.bar_chart(
        "chart-pass-rates",
        table.title,
        [r["assessor__name"] for r in shown],
        [
            *(
                (label.removesuffix("（%）"), [r[f"rate_{lvl}"] for r in shown])
                for label, lvl in zip(RATE_LABELS, sel.LEVELS, strict=True)
            ),
            ("入选率", [r["rate_listed"] for r in shown]),
        ],
        unit="%",
        top=100,
    )
    return table


# -------------------------------------------------------------------------------------------------- trends


def trends(report: Report) -> Table:
    table = Table(
        "trends", "历年申报、推荐与入选", ["年度", "申报类别", "申报数", "推荐至工信部", "入选名单"], text_columns=2
    )
    found = sel.application_trends(report.viewer, report.level)
    if not found:
        return table
    labels = dict(Category.choices)
    per_year = {}
    for year, group in groupby(found, key=lambda r: r["notice__year"]):
        group = list(group)
        for r in group:
            table.rows.append(
                [f"{year}年", labels.get(r["category"], r["category"]), r["n"], r["to_ministry"], r["listed"]]
            )
        per_year[year] = {k: sum(r[k] for r in group) for k in ("n", "to_ministry", "listed")}
        table.rows.append([f"{year}年", "小计", *per_year[year].values()])
    years = list(range(min(per_year), max(per_year) + 1))  # a year without applications is a zero on the line
    for year in years:
        per_year.setdefault(year, {"n": 0, "to_ministry": 0, "listed": 0})
    table.total = ["合计", "", *(sum(per_year[y][k] for y in years) for k in ("n", "to_ministry", "listed"))]
    xs = [f"{y}年" for y in years]
    table.chart = charts.line_chart(
        "chart-trends",
        table.title,
        xs,
        [
            ("申报数", [per_year[y]["n"] for y in years]),
            ("推荐至工信部", [per_year[y]["to_ministry"] for y in years]),
            ("入选名单", [per_year[y]["listed"] for y in years]),
        ],
    )
    by_category = {}
    for r in found:
        by_category.setdefault(r["category"], {})[r["notice__year"]] = r["n"]
    table.extra_chart = charts.line_chart(
        "chart-trends-categories",
        "历年各类别申报数",
        xs,
        [(labels[c], [by_category[c].get(y, 0) for y in years]) for c in Category.values if c in by_category],
    )
    return table


def listings(report: Report) -> Table:
    table = Table(
        "listings",
        "历年名单有效与移出",
        ["名单年度", "有效", "已移出", "合计", "当年移出"],
        empty="所选范围内还没有名单单位。",
    )
    rows = sel.listing_trends(report.viewer, report.level)
    if not rows:
        return table
    table.rows = [
        [f"{r['year']}年", r["active"], r["removed"], r["active"] + r["removed"], r["removed_in"]] for r in rows
    ]
    table.total = [
        "合计",
        *(sum(r[k] for r in rows) for k in ("active", "removed")),
        sum(r["active"] + r["removed"] for r in rows),
        sum(r["removed_in"] for r in rows),
    ]
    table.chart = charts.line_chart(
        "chart-listings",
        table.title,
        [f"{r['year']}年" for r in rows],
        [
            ("有效", [r["active"] for r in rows]),
            ("已移出", [r["removed"] for r in rows]),
            ("当年移出", [r["removed_in"] for r in rows]),
        ],
    )
    return table


BUILDERS = {
    "outcomes": outcomes,
    "states": states,
    "categories": categories,
    "regions": regions,
    "assessors": assessors,
    "pass-rates": pass_rates,
    "trends": trends,
    "listings": listings,
}
OVERVIEW = ("outcomes", "categories", "regions", "states", "assessors")
TRENDS = ("trends", "listings")


def build(key: str, report: Report) -> Table:
    return BUILDERS[key](report)
