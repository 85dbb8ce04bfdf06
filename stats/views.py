"""Statistics pages (authorities and superusers; anyone else gets a 404) and the xlsx export of each table.

Thin: the filters are resolved here, the figures come from stats.selectors through stats.tables, which the export
uses too, so a download holds exactly the table of the page with the same filters.
"""

import io

from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from . import selectors as sel
from . import tables
from .exports import XLSX, table_xlsx

TABS = (
    ("stats-overview", "申报概况"),
    ("stats-pass-rates", "评价机构通过率"),
    ("stats-trends", "历年趋势"),
)
PAGE_OF = {key: "stats-overview" for key in tables.OVERVIEW} | {key: "stats-trends" for key in tables.TRENDS}
PAGE_OF["pass-rates"] = "stats-pass-rates"


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def resolve_filters(request, viewer: sel.Viewer, *, period=True, level=True, province=False):
    """The filters asked for, checked against what the viewer may see (a notice, level or province it cannot
    see is a 404). Without a notice or year the latest year is shown; year=all shows every year."""
    filters = sel.Filters()
    notices = sel.notices_for_picker(request.user) if period else []
    years = sorted({n.year for n in notices}, reverse=True)
    if period:
        notice_id = _int(request.GET.get("notice"))
        if notice_id is not None:
            filters.notice, filters.family_ids = sel.notice_filter(request.user, notice_id)
            filters.year = filters.notice.year
        elif request.GET.get("year") != "all":
            filters.year = _int(request.GET.get("year")) or (years[0] if years else None)
    if level:
        asked = _int(request.GET.get("level"))
        if asked is not None and not viewer.may_see(asked):
            raise Http404
        filters.level = asked if asked is not None else viewer.home
    if province:
        asked = _int(request.GET.get("province"))
        filters.province = sel.province_or_404(viewer, asked) if asked is not None else None
    return filters, notices, years


def _level_context(viewer: sel.Viewer, report: tables.Report) -> dict:
    """The path from the viewer's own authority down to the level shown, and the authorities right under it."""
    level = report.level
    if level is None:
        return {"path": [], "below": []}
    tree = viewer.tree
    chain = tree.ancestors(level)
    if viewer.roots is not None:
        own = next((i for i, pk in enumerate(chain) if pk in viewer.roots), len(chain) - 1)
        chain = chain[: own + 1]
    path = [{"name": tree.name(pk), "href": "?" + report.query(level=pk)} for pk in reversed(chain)]
    below = [{"name": tree.name(pk), "href": "?" + report.query(level=pk)} for pk in tree.children.get(level, [])]
    return {"path": path, "below": below, "level_name": tree.name(level)}


def _common(viewer, filters, notices, years, report) -> dict:
    return {
        "tabs": TABS,
        "filters": filters,
        "notices": notices,
        "years": years,
        "query": report.query(),
        "viewer_name": viewer.tree.name(viewer.home) if viewer.home else "全部",
    }


@require_GET
def overview(request):
    viewer = sel.page_viewer(request)
    filters, notices, years = resolve_filters(request, viewer)
    report = tables.Report(viewer, filters, paging={"assessors": request.GET.get("apage") or 1})
    built = {key: tables.build(key, report) for key in tables.OVERVIEW}
    facts = built["outcomes"].facts
    return render(
        request,
        "stats/overview.html",
        {
            **_common(viewer, filters, notices, years, report),
            **_level_context(viewer, report),
            "current": "stats-overview",
            "tables": [built[key] for key in tables.OVERVIEW],
            "summary": [
                ("已提交申报", facts.get("total", 0)),
                ("待本级审核", facts.get("pending", 0)),
                ("本级推荐", facts.get("recommend", 0)),
                ("入选名单", built["categories"].facts.get("listed", 0)),
            ],
            "has_data": bool(facts.get("total")),
        },
    )


@require_GET
def pass_rates(request):
    viewer = sel.page_viewer(request)
    filters, notices, years = resolve_filters(request, viewer, level=False, province=True)
    report = tables.Report(viewer, filters, paging={"pass-rates": request.GET.get("page") or 1})
    tree = viewer.tree
    return render(
        request,
        "stats/pass_rates.html",
        {
            **_common(viewer, filters, notices, years, report),
            "current": "stats-pass-rates",
            "table": tables.build("pass-rates", report),
            "provinces": [{"id": pk, "name": tree.name(pk)} for pk in sel.province_choices(viewer)],
        },
    )


@require_GET
def trends(request):
    viewer = sel.page_viewer(request)
    filters, notices, years = resolve_filters(request, viewer, period=False)
    report = tables.Report(viewer, filters)
    return render(
        request,
        "stats/trends.html",
        {
            **_common(viewer, filters, notices, years, report),
            **_level_context(viewer, report),
            "current": "stats-trends",
            "tables": [tables.build(key, report) for key in tables.TRENDS],
        },
    )


@require_GET
def export(request, key: str):
    """One table as xlsx: the same builder and filters as its page, every row (not only the page shown)."""
    if key not in tables.BUILDERS:
        raise Http404
    viewer = sel.page_viewer(request)
    page = PAGE_OF[key]
    filters, _, _ = resolve_filters(
        request,
        viewer,
        period=page != "stats-trends",
        level=page != "stats-pass-rates",
        province=page == "stats-pass-rates",
    )
    table = tables.build(key, tables.Report(viewer, filters))
    exporter = request.acting.organization.name if request.acting.organization else "系统管理员"
    content = table_xlsx(table, filters.describe(viewer.tree), exporter=exporter, at=timezone.localtime())
    stamp = timezone.localdate().strftime("%Y%m%d")
    return FileResponse(
        io.BytesIO(content), as_attachment=True, filename=f"{table.title}_{stamp}.xlsx", content_type=XLSX
    )
