"""A letter (LetterData of documents/builders/letters.py) as a PDF laid out per GB/T 9704-2012 (FORMATS.md), with
WeasyPrint. The HTML is templates/documents/letter/letter.html; the CSS is built here from letter_layout's numbers
so that the Word renderer and this one agree.

WeasyPrint is imported inside render(); the parsed stylesheet and the font configuration are kept per process, so a
worker renders many letters without loading them again.
"""

import math
from functools import lru_cache

from . import letter_layout as L

# ------------------------------------------------------------------------------------------------------ CSS


def _stack(role: str) -> str:
    from documents.fonts import CSS_STACKS

    return CSS_STACKS[role]


def _page_number_box(side: str) -> str:
    # the em box of the numerals 7 mm under the 版心; no space characters between the dashes and the number
    # (a reader's text extraction would split them into three words), letter-spacing makes the gaps instead
    return (
        f"@bottom-{side} {{ content: '—' counter(page) '—'; vertical-align: top; font-family: {_stack(L.SONGTI)};"
        f" font-size: {L.SMALL_PT}pt; line-height: {L.SMALL_PT}pt; letter-spacing: {L.PAGE_NUMBER_SPACING}em;"
        f" padding-top: {L.pt(L.PAGE_NUMBER_GAP_MM) - L.em_top_in_line(L.SMALL_PT, L.SMALL_PT):.2f}pt;"
        # letter-spacing also follows the last dash: take it off the right-hand indent
        f" padding-{side}: {L.SMALL_CHAR_PT - (L.PAGE_NUMBER_SPACING * L.SMALL_PT if side == 'right' else 0):.2f}pt; }}"
    )


@lru_cache(maxsize=1)
def stylesheet_text() -> str:
    P = L.LINE_PT  # noqa: N806 - the line pitch, used everywhere below
    ch = L.CHAR_PT
    small = L.SMALL_CHAR_PT
    return f"""
@page {{
  size: A4;
  margin: {L.TOP_MM}mm {L.RIGHT_MM}mm {L.BOTTOM_MM}mm {L.LEFT_MM}mm;
  @footnote {{ margin: 0; padding: 0; border: 0; }}
}}
@page :right {{ {_page_number_box("right")} }}
@page :left {{ {_page_number_box("left")} }}
@page letter:first {{ @bottom-right {{ content: none; }} }}

html {{ font-family: {_stack(L.FANGSONG)}; font-size: {L.BODY_PT}pt; line-height: {P}pt;
  letter-spacing: {L.LETTER_SPACING_PT}pt; color: #000; }}
body {{ margin: 0; }}
div, p {{ margin: 0; padding: 0; }}
.letter-format {{ page: letter; }}  /* a 函 shows no page number on page one */

/* page one, 文件格式: 标志 35 mm under the 版心 top, 字号 two lines under it, red rule 4 mm under the 字号 */
.mark {{ color: {L.RED}; font-family: {_stack(L.XIAOBIAOSONG)}; text-align: center; letter-spacing: 0; }}
.gap2 {{ height: {2 * P}pt; }}
.number {{ text-align: center; }}
.number.signed {{ display: flex; justify-content: space-between; padding: 0 {ch}pt; }}
.number.signed > span, .sign > div, .att-footer > div, .banji .printer > span {{ flex: none; white-space: nowrap; }}
.number .signer {{ font-family: {_stack(L.KAITI)}; }}
.rule {{ height: 0; border-top: {L.RED_RULE_MM}mm solid {L.RED};
  margin-top: {L.pt(L.RULE_GAP_MM) - (P - L.em_bottom_in_line(L.BODY_PT, P)):.2f}pt; }}

/* page one, 信函格式: 标志 and the double rules sit in the page margins (explained in letter_pdf.html_of) */
.band {{ position: absolute; left: {-(L.LETTER_RULE_W_MM - L.BLOCK_W_MM) / 2}mm; width: {L.LETTER_RULE_W_MM}mm; }}
.double-top {{ border-top: {L.DOUBLE_THICK_MM}mm solid {L.RED}; border-bottom: {L.DOUBLE_THIN_MM}mm solid {L.RED};
  height: {L.DOUBLE_GAP_MM}mm; }}
.double-bottom {{ border-top: {L.DOUBLE_THIN_MM}mm solid {L.RED}; border-bottom: {L.DOUBLE_THICK_MM}mm solid {L.RED};
  height: {L.DOUBLE_GAP_MM}mm; }}
.number.right {{ text-align: right; }}

.title {{ font-family: {_stack(L.XIAOBIAOSONG)}; font-size: {L.TITLE_PT}pt; text-align: center; letter-spacing: 0;
  padding-top: {2 * P}pt; }}
.addressee {{ padding-top: {P}pt; }}
.body {{ text-indent: {2 * ch}pt; text-align: justify; }}
.h1 {{ font-family: {_stack(L.HEITI)}; }}
.h2 {{ font-family: {_stack(L.KAITI)}; }}

/* 附件说明: one line under the body, two characters in; wrapped lines align with the name */
.att-note {{ padding-top: {P}pt; }}
.att-line {{ padding-left: {5 * ch}pt; text-indent: {-3 * ch}pt; }}
.att-line.numbered {{ padding-left: {6 * ch}pt; text-indent: {-4 * ch}pt; }}
.att-line.numbered.next {{ text-indent: {-ch}pt; }}
.att-line .no {{ display: inline-block; width: {ch}pt; text-indent: 0; }}

/* 署名 one line under, two characters in from the right; the date two characters right of the 署名's start */
.sign {{ display: flex; justify-content: flex-end; padding: {P}pt {2 * ch}pt 0 0; }}
.sign .date {{ padding-left: {2 * ch}pt; }}
.note {{ padding-left: {2 * ch}pt; }}
/* the 署名 never stands on a page without body text: the last paragraph goes along with it */
.closing {{ break-inside: avoid; }}

/* 附件 pages: 附件 in 黑体 on line 1, its title centred on line 3, then the table */
.attachment {{ break-before: page; }}
.att-label {{ font-family: {_stack(L.HEITI)}; }}
.att-title {{ font-family: {_stack(L.XIAOBIAOSONG)}; font-size: {L.TITLE_PT}pt; text-align: center;
  letter-spacing: 0; padding-top: {P}pt; padding-bottom: {P / 2}pt; }}
table {{ width: {L.BLOCK_W_MM}mm; table-layout: fixed; border-collapse: collapse; font-size: {L.TABLE_PT}pt;
  line-height: 1.45; letter-spacing: 0; margin-bottom: {P / 2}pt; }}
th, td {{ border: 0.5pt solid #000; padding: 1mm 1.2mm; text-align: center; vertical-align: middle;
  font-weight: normal; }}
thead th {{ font-family: {_stack(L.HEITI)}; font-size: {L.TABLE_HEAD_PT}pt; }}
thead th.caption {{ font-size: {L.SECTION_PT}pt; text-align: left; padding-left: 2mm; }}
td.text {{ text-align: left; }}
tr {{ break-inside: avoid; }}
.att-footer {{ display: flex; justify-content: flex-end; padding: {P / 2}pt {2 * ch}pt 0 0; }}

/* 版记 at the bottom of the last page's 版心: a footnote, which WeasyPrint places at the page area's bottom */
.banji {{ float: footnote; font-size: {L.SMALL_PT}pt; line-height: {P}pt; letter-spacing: 0; }}
.banji::footnote-marker {{ content: none; }}
::footnote-call {{ content: none; }}
.banji.ruled {{ border-top: {L.BANJI_THICK_MM}mm solid #000; border-bottom: {L.BANJI_THICK_MM}mm solid #000; }}
.banji .cc {{ padding: 0 {small}pt 0 {4 * small}pt; text-indent: {-3 * small}pt; }}
.banji.ruled .cc + .printer {{ border-top: {L.BANJI_THIN_MM}mm solid #000; }}
.banji .printer {{ display: flex; justify-content: space-between; padding: 0 {small}pt; }}
.end {{ height: 0; line-height: 0; }}
"""


# ------------------------------------------------------------------------------------------------------ HTML


def _mark_lines(mark: str, size_pt: float) -> int:
    return max(1, math.ceil(L.width_chars(mark) * size_pt / L.pt(L.BLOCK_W_MM)))


def context_of(data) -> dict:
    """What letter.html needs: the blocks of letter_layout plus the few positions computed per letter."""
    blocks = L.front_blocks(data)
    size = L.mark_size_pt(data.mark)
    em_offset = L.em_top_in_line(size, size)
    ctx = {
        "data": data,
        "letter": data.format == "letter",
        "head": [b for b in blocks if b.role in ("mark", "number")],
        "title": next(b for b in blocks if b.role == "title"),
        "addressee": next((b for b in blocks if b.role == "addressee"), None),
        "body": [b for b in blocks if b.role.startswith("body")],
        "notes": _notes([a.name for a in data.attachments]),
        "signature": next(b for b in blocks if b.role == "signature"),
        "date": next(b for b in blocks if b.role == "date"),
        "note": next((b for b in blocks if b.role == "note"), None),
        "attachments": [
            {
                "label": L.attachment_label(i, len(data.attachments)),
                "title_lines": L.title_lines(a.title),
                "widths": a.widths_mm,
                "sections": [{"s": s, "rows": L.table_rows(s), "span": len(s.headers)} for s in a.sections],
                "footer": [line for line in a.footer if line],
            }
            for i, a in enumerate(data.attachments, start=1)
        ],
        "banji": L.banji_blocks(data),
    }
    if ctx["letter"]:
        # 信函格式: the 标志 30 mm under the paper's top is 7 mm above the 版心, the only text outside it
        top = L.pt(L.LETTER_MARK_TOP_MM - L.TOP_MM)
        bottom_of_mark = top + size * _mark_lines(data.mark, size)
        rule_top = bottom_of_mark + L.pt(L.RULE_GAP_MM)
        rule_h = L.pt(L.DOUBLE_THICK_MM + L.DOUBLE_GAP_MM + L.DOUBLE_THIN_MM)
        ctx.update(
            band_mark_top=_num(top - em_offset),
            band_rule_top=_num(rule_top),
            band_bottom_top=_num(L.pt(L.PAGE_H_MM - L.LETTER_RULE_BOTTOM_MM - L.TOP_MM) - rule_h),
            # the 发文字号 line starts right under the first double rule
            head_pad=_num(max(0.0, rule_top + rule_h + L.pt(1))),
        )
    else:
        ctx["head_pad"] = _num(L.pt(L.MARK_TOP_MM) - em_offset)
    ctx["mark_pt"] = _num(size)
    return ctx


def _num(value: float) -> str:
    """A CSS number as text (never localized by the template engine)."""
    return f"{value:.2f}"


def _notes(names: list[str]) -> list[dict]:
    """附件说明 lines split for markup; joined they are letter_layout.attachment_note's lines."""
    lines = L.attachment_note(names)
    if len(names) == 1:
        return [{"label": "附件：", "no": "", "name": names[0], "text": lines[0]}]
    return [
        {"label": "附件：" if i == 1 else "", "no": f"{i}.", "name": name, "text": line}
        for (i, name), line in zip(enumerate(names, start=1), lines, strict=True)
    ]


def html_of(data, *, inline_css: bool = True) -> str:
    """The letter's HTML; with inline_css the stylesheet is in a <style> element (the page standing alone)."""
    from django.template.loader import render_to_string

    ctx = context_of(data)
    ctx["css"] = stylesheet_text() if inline_css else ""
    return render_to_string("documents/letter/letter.html", ctx)


# ------------------------------------------------------------------------------------------------- rendering

_WARM: dict = {}


def _warm():
    """The font configuration and the parsed stylesheet, made once per process."""
    if not _WARM:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        font_config = FontConfiguration()
        _WARM["fonts"] = font_config
        _WARM["css"] = CSS(string=stylesheet_text(), font_config=font_config)
    return _WARM["fonts"], _WARM["css"]


def render(data, progress=None) -> bytes:
    from weasyprint import HTML

    font_config, css = _warm()
    html = html_of(data, inline_css=False)
    if progress:
        progress(0.1)
    document = HTML(string=html).render(stylesheets=[css], font_config=font_config)
    if progress:
        progress(0.8)
    return document.write_pdf()
