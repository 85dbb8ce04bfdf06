"""Letter PDF benchmark: a 推荐文 with a 100-row 附件 rendered by documents.renderers.letter_pdf.render() in a warm
process, against WeasyPrint rendering the same final HTML (letter_pdf.html_of) alone in the same process.

    .venv/bin/python benchmarks/documents_letter_pdf.py [--rows 100] [--repeat 5] [--out /tmp/letter.pdf]

Both sides are warmed first (one render each, so fonts and WeasyPrint are loaded), then each is timed `--repeat`
times and the best is kept. Target (issue 7): render() within 1.3× of WeasyPrint on the same HTML — a worker keeps
WeasyPrint, its font configuration and the parsed stylesheet loaded, never a process per document. No database:
the letter's data is made here. Not a timed test: figures are written down in benchmarks/README.md.
"""

import argparse
import io
import os
import platform
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.3


def letter(rows: int):
    from documents.builders.letters import SUMMARY_WIDTHS, Attachment, LetterData, TableSection

    sections = []
    for caption, name, trait, share in (
        ("绿色工厂推荐名单", "工厂名称", "行业", 0.6),
        ("绿色工业园区推荐名单", "园区名称", "类型", 0.1),
        ("绿色供应链管理企业推荐名单", "企业名称", "行业", 0.3),
    ):
        count = round(rows * share)
        body = [
            [
                str(i),
                f"山西{caption[2:4]}示范测试企业{i:03d}有限公司",
                "自评价" if i % 3 else "中国质量认证中心",
                "钢铁",
                "",
            ]
            for i in range(1, count + 1)
        ]
        sections.append(TableSection(caption, ["序号", name, "第三方机构名称", trait, "备注"], body))
    summary = Attachment(
        "推荐汇总表",
        "省级工业和信息化主管部门推荐汇总表",
        SUMMARY_WIDTHS,
        sections,
        ["推荐单位：山西省工业和信息化厅", "（单位公章）", "2024年5月7日"],
    )
    return LetterData(
        format="file",
        mark="山西省工业和信息化厅文件",
        number_text="晋工信节能函〔2024〕12号",
        signer="王建国",
        title="关于推荐2024年度绿色制造名单的报告",
        addressees=["工业和信息化部节能与综合利用司"],
        paragraphs=[
            "根据《工业和信息化部办公厅关于组织开展2024年度绿色制造名单推荐工作的通知》要求，我厅组织开展了"
            "2024年度绿色制造名单推荐工作，并充分征求生态环境、应急管理、市场监管等部门意见。",
            f"一、推荐情况。现推荐{rows}家单位。",
            "经审核，被推荐单位近三年未发生较大及以上安全、质量、环境污染等事故，申报材料真实有效。",
            "特此报告。",
        ],
        attachments=[summary],
        signature="山西省工业和信息化厅",
        signed_on=date(2024, 5, 7),
        note="（联系人：侯富余，联系电话：0351-3046280）",
        cc=["山西省生态环境厅", "山西省应急管理厅", "山西省市场监督管理局"],
        printer="山西省工业和信息化厅办公室",
        printed_on=date(2024, 5, 7),
    )


def best_of(repeat: int, fn) -> tuple[float, bytes]:
    best, out = float("inf"), b""
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", help="write the rendered PDF here")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "greenmfg.settings")
    import django

    django.setup()  # the project fontconfig is set here (documents.apps), before WeasyPrint loads
    from pypdf import PdfReader
    from weasyprint import HTML

    from documents.renderers import letter_pdf

    data = letter(args.rows)
    html = letter_pdf.html_of(data)  # the final HTML, stylesheet inline

    def plain():
        return HTML(string=html).write_pdf()

    def ours():
        return letter_pdf.render(data)

    plain()
    ours()  # warm both: fonts, WeasyPrint, the cached stylesheet
    plain_s, plain_pdf = best_of(args.repeat, plain)
    ours_s, ours_pdf = best_of(args.repeat, ours)
    if args.out:
        Path(args.out).write_bytes(ours_pdf)
    pages = len(PdfReader(io.BytesIO(ours_pdf)).pages)
    ratio = ours_s / plain_s
    print(f"machine: {platform.machine()}, {os.cpu_count()} cpus, Python {platform.python_version()}")
    print(f"letter with a {args.rows}-row 附件: {pages} pages, {len(ours_pdf) // 1024} KiB")
    print(f"WeasyPrint on the final HTML (best of {args.repeat}): {plain_s:.3f} s ({len(plain_pdf) // 1024} KiB)")
    print(f"letter_pdf.render()           (best of {args.repeat}): {ours_s:.3f} s")
    print(f"ratio {ratio:.2f}× (target ≤ {TARGET}×): {'ok' if ratio <= TARGET else 'SLOWER THAN TARGET'}")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
