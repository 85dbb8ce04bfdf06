"""推荐汇总表 benchmark: the styled renderer against openpyxl write-only mode writing the same cell values bare.

    .venv/bin/python benchmarks/documents_summary_xlsx.py [--rows 2000] [--repeat 5]

Builds a SummaryData of --rows applications in memory (no database: factory 70 %, supply chain 15 %, product 11 %,
park 4 %, every one also a row of the 明细 sheet), renders it with documents.renderers.summary_xlsx.render, and
writes a plain write-only workbook with the same values on both sheets (no styles, merges or print set-up). Best of
--repeat runs each, in a warm process (openpyxl imported and one render done before timing). The target of issue 7
is a ratio within 2×. Not a timed test: the figures go into benchmarks/README.md with the machine noted.
"""

import argparse
import io
import platform
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from documents.builders.summary import SECTIONS, DetailRow, SummaryData, SummaryRow, SummarySection  # noqa: E402
from documents.renderers import summary_xlsx  # noqa: E402
from documents.renderers.xlsx_style import date_text  # noqa: E402

SHARES = (("factory", 0.70), ("supply_chain", 0.15), ("product", 0.11), ("park", 0.04))
LABELS = {
    "factory": "绿色工厂",
    "park": "绿色工业园区",
    "supply_chain": "绿色供应链管理企业",
    "product": "绿色设计产品",
}


def summary(rows: int) -> SummaryData:
    counts = {code: int(rows * share) for code, share in SHARES}
    counts["factory"] += rows - sum(counts.values())
    sections, details, rank = [], [], 0
    for code, (title, name_header, trait_header) in SECTIONS.items():
        section = SummarySection(code, title, name_header, trait_header)
        for i in range(counts[code]):
            rank += 1
            third_party = i % 3 != 0
            assessor = f"中环联合（北京）认证中心第{i % 12 + 1}分中心" if third_party else "自评价"
            trait = "省级" if code == "park" else "金属结构制造"
            name = f"山西省测试{LABELS[code]}{i:04d}有限责任公司"
            section.rows.append(SummaryRow(name, assessor, trait, "申报单位：某公司" if code == "product" else ""))
            details.append(
                DetailRow(
                    rank=rank,
                    category=LABELS[code],
                    name=name,
                    credit_code="914403001922038216",
                    region="山西省太原市小店区",
                    evaluation="第三方评价" if third_party else "自评价",
                    assessor=assessor,
                    assessor_score="86.5" if third_party else "",
                    expert_score="78.25" if i % 2 else "",
                    findings="提示：节水型企业；待补充证据：能效水平" if i % 7 == 0 else "",
                    batch="太原市工业和信息化局2024年度绿色制造名单第1批推荐",
                )
            )
        sections.append(section)
    return SummaryData(
        "市级工业和信息化主管部门推荐汇总表", "太原市工业和信息化局", date(2024, 5, 7), sections, details
    )


def plain(data: SummaryData) -> bytes:
    """The same values in openpyxl's write-only mode without any style: the floor a styled sheet is held to."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("推荐汇总表")
    ws.append([data.title])
    for s in data.sections:
        ws.append([s.title])
        ws.append(["序号", s.name_header, "第三方机构名称", s.trait_header, "备注"])
        for n, r in enumerate(s.rows, start=1):
            ws.append([n, r.name, r.assessor, r.trait, r.remark or None])
    ws.append([])
    for text in (f"推荐单位：{data.authority}", "(单位公章)", date_text(data.signed_on)):
        ws.append([None, None, text])
    ws2 = wb.create_sheet("明细")
    ws2.append([h for h, _ in summary_xlsx.DETAIL_HEADERS])
    for d in data.details:
        ws2.append(
            [
                d.rank,
                d.category,
                d.name,
                d.credit_code,
                d.region,
                d.evaluation,
                d.assessor,
                d.assessor_score or None,
                d.expert_score or None,
                d.findings or None,
                d.batch,
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def best(fn, data, repeat: int) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        size = len(fn(data))
        times.append(time.perf_counter() - start)
    return min(times), size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    data = summary(args.rows)
    summary_xlsx.render(data)  # warm: imports and first-use caches, as in a worker that has rendered before
    plain(data)
    styled, styled_size = best(summary_xlsx.render, data, args.repeat)
    bare, bare_size = best(plain, data, args.repeat)
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"rows: {args.rows} (+ {args.rows} on 明细), best of {args.repeat}")
    print(f"write-only, bare values:  {bare:.3f} s  ({bare_size:,} bytes)")
    print(f"summary_xlsx.render:      {styled:.3f} s  ({styled_size:,} bytes)")
    print(f"ratio: {styled / bare:.2f}× (target ≤ 2×)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
