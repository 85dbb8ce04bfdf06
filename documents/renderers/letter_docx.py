"""A letter (LetterData of documents/builders/letters.py) as a Word file laid out per GB/T 9704-2012 (FORMATS.md),
with python-docx: the same blocks of letter_layout as the PDF, so both say the same words.

Word keeps page geometry itself, so positions are set the way Word templates of 公文 do: exact line spacing on the
28.9 pt pitch, spacer paragraphs over the 标志, the red rule as a paragraph border, page numbers as PAGE fields in
odd/even footers, the 信函格式's 标志 and double rules in the first page's header and footer, and the 版记 as a
table floated to the bottom of the last page's 版心.
"""

import io
import re

from . import letter_layout as L

FACES = {
    L.FANGSONG: "仿宋_GB2312",
    L.XIAOBIAOSONG: "方正小标宋简体",
    L.HEITI: "黑体",
    L.KAITI: "楷体_GB2312",
    L.SONGTI: "宋体",
}
RED_HEX = L.RED.lstrip("#")

# the schema's order of property elements (ECMA-376 Part 1, 17.3.1.26, 17.3.2.28, 17.4.60, 17.4.82)
RPR = tuple(
    "w:" + t
    for t in "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint noProof "
    "snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u effect bdr shd fitText "
    "vertAlign rtl cs em lang eastAsianLayout specVanish oMath".split()
)
PPR = tuple(
    "w:" + t
    for t in "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers pBdr shd "
    "tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE autoSpaceDN bidi "
    "adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents suppressOverlap jc textDirection "
    "textAlignment textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange".split()
)
TBLPR = tuple(
    "w:" + t
    for t in "tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize tblW jc "
    "tblCellSpacing tblInd tblBorders shd tblLayout tblCellMar tblLook tblCaption tblDescription".split()
)
TRPR = tuple(
    "w:" + t
    for t in "cnfStyle divId gridBefore gridAfter wBefore wAfter cantSplit trHeight tblHeader tblCellSpacing "
    "jc hidden".split()
)


def _twips(points: float) -> str:
    return str(round(points * 20))


def _eighths(millimetres: float) -> str:
    """A border width in eighths of a point."""
    return str(max(2, round(L.pt(millimetres) * 8)))


# ----------------------------------------------------------------------------------------------- low level


def _el(tag: str, **attrs):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    el = OxmlElement(tag)
    for name, value in attrs.items():
        el.set(qn(f"w:{name}"), str(value))
    return el


def _insert(parent, child, seq):
    """Put `child` where the schema's sequence wants it (Word refuses misordered properties)."""
    tag = "w:" + child.tag.split("}")[1]
    parent.remove_all(tag)
    successors = seq[seq.index(tag) + 1 :]
    parent.insert_element_before(child, *successors)
    return child


def _fonts(r_pr, face: str):
    from docx.oxml.ns import qn

    fonts = r_pr.get_or_add_rFonts()
    for key in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{key}"), face)
    fonts.set(qn("w:hint"), "eastAsia")


def run(paragraph, text: str, role: str = L.FANGSONG, size: float = L.BODY_PT, *, color=None, spacing=None):
    """A run in one of the official faces (East Asian font set too: python-docx's font.name sets ascii only)."""
    from docx.shared import Pt, RGBColor

    r = paragraph.add_run(text)
    r.font.size = Pt(size)
    _fonts(r._element.get_or_add_rPr(), FACES[role])
    if color:
        r.font.color.rgb = RGBColor.from_string(color)
    if spacing:
        _insert(r._element.rPr, _el("w:spacing", val=_twips(spacing)), RPR)
    return r


def para(container, **fmt):
    """A new paragraph formatted by _format."""
    return _format(container.add_paragraph(), **fmt)


def _format(p, *, align=None, line=L.LINE_PT, left=0.0, right=0.0, first=0.0, space=0.0, page_break=False):
    """An exact line pitch, indents in pt (first < 0 hangs), `space` before and after (table cells)."""
    from docx.enum.text import WD_LINE_SPACING
    from docx.shared import Pt

    fmt = p.paragraph_format
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(line)
    fmt.space_before = fmt.space_after = Pt(space)
    fmt.widow_control = False
    if align is not None:
        p.alignment = align
    for name, value in (("left_indent", left), ("right_indent", right), ("first_line_indent", first)):
        if value:
            setattr(fmt, name, Pt(value))
    if page_break:
        fmt.page_break_before = True
    _no_autospace(p._p.get_or_add_pPr())
    return p


def _no_autospace(p_pr):
    """No extra space between CJK and digits (Word's default makes `2024 年`); the PDF has none either."""
    for tag in ("w:autoSpaceDE", "w:autoSpaceDN"):
        _insert(p_pr, _el(tag, val=0), PPR)


def blank(container, lines: int = 1, height: float = L.LINE_PT):
    for _ in range(lines):
        para(container, line=height)


def border(paragraph, side: str, *, style="single", width_mm=L.RED_RULE_MM, color=RED_HEX, space_pt=0):
    p_pr = paragraph._p.get_or_add_pPr()
    bdr = p_pr.find(_el("w:pBdr").tag)
    if bdr is None:
        bdr = _insert(p_pr, _el("w:pBdr"), PPR)
    bdr.append(_el(f"w:{side}", val=style, sz=_eighths(width_mm), space=round(space_pt), color=color))


def tabs(paragraph, *stops):
    """Tab stops as (alignment, position in pt from the margin)."""
    from docx.shared import Pt

    for alignment, position in stops:
        paragraph.paragraph_format.tab_stops.add_tab_stop(Pt(position), alignment)


def page_field(paragraph, size: float, *, right: bool):
    """—PAGE— in 宋体 四号, the field showing each page's own number. The gaps are character spacing, not space
    characters, as in the PDF: a reader's text extraction then keeps `—1—` one word (gbt9704_check.py)."""
    spacing = L.PAGE_NUMBER_SPACING * size

    def piece(text=""):
        return run(paragraph, text, L.SONGTI, size, spacing=spacing)

    piece("—")
    piece()._element.append(_el("w:fldChar", fldCharType="begin"))
    instr = _el("w:instrText")
    instr.text = " PAGE "
    piece()._element.append(instr)
    piece()._element.append(_el("w:fldChar", fldCharType="separate"))
    piece("1")
    piece()._element.append(_el("w:fldChar", fldCharType="end"))
    # the spacing after the last dash would push it off its one-character indent on the right
    run(paragraph, "—", L.SONGTI, size, spacing=None if right else spacing)


# ------------------------------------------------------------------------------------------------- the page


def _page(doc, letter_format: bool):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    section = doc.sections[0]
    section.page_width, section.page_height = Mm(L.PAGE_W_MM), Mm(L.PAGE_H_MM)
    section.top_margin, section.bottom_margin = Mm(L.TOP_MM), Mm(L.BOTTOM_MM)
    section.left_margin, section.right_margin = Mm(L.LEFT_MM), Mm(L.RIGHT_MM)
    section.gutter = Mm(0)
    # footers end 20 mm above the paper's bottom (where a 函's lower double rule lies); the page number's line
    # keeps space under it so that it starts 7 mm under the 版心
    section.footer_distance = Mm(L.LETTER_RULE_BOTTOM_MM)
    under_number = L.pt(L.BOTTOM_MM - L.PAGE_NUMBER_GAP_MM - L.LETTER_RULE_BOTTOM_MM) - L.SMALL_PT
    section.header_distance = Mm(L.LETTER_MARK_TOP_MM)
    doc.settings.odd_and_even_pages_header_footer = True  # odd pages number right, even pages left

    odd = para(section.footer, align=WD_ALIGN_PARAGRAPH.RIGHT, line=L.SMALL_PT, right=L.SMALL_CHAR_PT)
    page_field(odd, L.SMALL_PT, right=True)
    even = para(section.even_page_footer, align=WD_ALIGN_PARAGRAPH.LEFT, line=L.SMALL_PT, left=L.SMALL_CHAR_PT)
    page_field(even, L.SMALL_PT, right=False)
    for footer, number in ((section.footer, odd), (section.even_page_footer, even)):
        number.paragraph_format.space_after = Pt(under_number)
        _drop_first_empty(footer)
    section.different_first_page_header_footer = letter_format
    return section


def _drop_first_empty(container):
    """python-docx gives a new header/footer one empty paragraph: remove it when others follow."""
    first = container.paragraphs[0]
    if not first.text and len(container.paragraphs) > 1 and not first.runs:
        first._p.getparent().remove(first._p)


def _mark_line(size: float) -> float:
    return size * 1.15  # Word clips a glyph taller than an exact line: give the 标志 some room


def _mark_em_top(size: float) -> float:
    # Word sets the baseline about 0.8 of an exact line down; the em box starts 0.88 em above it
    return 0.8 * _mark_line(size) - L.EM_ABOVE * size


def _letter_head(doc, section, data, size):
    """信函格式: 标志 30 mm from the paper's top with the thick-over-thin rule 4 mm under it in the first page's
    header; the thin-over-thick rule 20 mm above the paper's bottom in its footer; no page number there."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    overhang = L.pt((L.LETTER_RULE_W_MM - L.BLOCK_W_MM) / 2)
    section.header_distance = Mm(L.LETTER_MARK_TOP_MM) - Pt(_mark_em_top(size))
    header = section.first_page_header
    mark = para(header, align=WD_ALIGN_PARAGRAPH.CENTER, line=_mark_line(size), left=-overhang, right=-overhang)
    run(mark, data.mark, L.XIAOBIAOSONG, size, color=RED_HEX)
    gap = L.pt(L.RULE_GAP_MM) - (_mark_line(size) - _mark_em_top(size) - size)
    border(mark, "bottom", style="thickThinSmallGap", width_mm=L.DOUBLE_THICK_MM + L.DOUBLE_THIN_MM, space_pt=gap)
    _drop_first_empty(header)
    footer = section.first_page_footer
    rule = para(footer, line=1, left=-overhang, right=-overhang)
    # the footer ends footer_distance (20 mm) above the paper's bottom: the rule is its last line
    border(rule, "bottom", style="thinThickSmallGap", width_mm=L.DOUBLE_THICK_MM + L.DOUBLE_THIN_MM)
    _drop_first_empty(footer)
    number = para(doc, align=WD_ALIGN_PARAGRAPH.RIGHT)
    run(number, data.number_text, spacing=L.LETTER_SPACING_PT)


def _file_head(doc, data, size):
    """文件格式: 标志 35 mm under the 版心 top, 字号 two lines under it (签发人 for a 上行文), red rule 4 mm under."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT

    blank(doc, 1, L.pt(L.MARK_TOP_MM) - _mark_em_top(size))
    mark = para(doc, align=WD_ALIGN_PARAGRAPH.CENTER, line=_mark_line(size))
    run(mark, data.mark, L.XIAOBIAOSONG, size, color=RED_HEX)
    # two blank lines under the 标志, less the room its taller line took (the PDF's 标志 line is `size` high)
    blank(doc, 1, L.LINE_PT - (_mark_line(size) - size))
    blank(doc, 1)
    if data.signer:
        number = para(doc)
        tabs(number, (WD_TAB_ALIGNMENT.LEFT, L.CHAR_PT), (WD_TAB_ALIGNMENT.RIGHT, L.pt(L.BLOCK_W_MM) - L.CHAR_PT))
        run(number, f"\t{data.number_text}\t签发人：", spacing=L.LETTER_SPACING_PT)
        run(number, data.signer, L.KAITI, spacing=L.LETTER_SPACING_PT)
    else:
        number = para(doc, align=WD_ALIGN_PARAGRAPH.CENTER)
        run(number, data.number_text, spacing=L.LETTER_SPACING_PT)
    gap = L.pt(L.RULE_GAP_MM) - (L.LINE_PT - L.em_bottom_in_line(L.BODY_PT, L.LINE_PT))
    border(number, "bottom", width_mm=L.RED_RULE_MM, space_pt=gap)


# ------------------------------------------------------------------------------------------------- the body


def _body(doc, data):
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    ch, sp = L.CHAR_PT, L.LETTER_SPACING_PT
    blocks = L.front_blocks(data)
    for block in blocks:
        role = block.role
        if role == "title":
            blank(doc, 2)
            _title(doc, block.parts)
        elif role == "addressee":
            blank(doc)
            run(para(doc), block.text, spacing=sp)
        elif role.startswith("body"):
            p = para(doc, align=WD_ALIGN_PARAGRAPH.JUSTIFY, first=2 * ch)
            if role == "body":
                run(p, block.text, spacing=sp)
            else:
                run(p, block.parts[0], L.HEITI if role == "body-heiti" else L.KAITI, spacing=sp)
                if block.parts[1]:
                    run(p, block.parts[1], spacing=sp)
        elif role.startswith("attachment-note"):
            first = role == "attachment-note-first"
            if first:
                blank(doc)
            numbered = len(data.attachments) > 1
            hang = (4 if first else 1) * ch if numbered else 3 * ch
            run(para(doc, left=(6 if numbered else 5) * ch, first=-hang), block.text, spacing=sp)
        elif role == "signature":
            _signature(doc, data)
        elif role == "note":
            run(para(doc, left=2 * ch), block.text, spacing=sp)
    _keep_closing(doc)


def _title(doc, lines):
    """二号小标宋, centred, wrapped by hand (letter_layout.title_lines) with line breaks."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    p = para(doc, align=WD_ALIGN_PARAGRAPH.CENTER)
    for i, line in enumerate(lines):
        r = run(p, line, L.XIAOBIAOSONG, L.TITLE_PT)
        if i < len(lines) - 1:
            r.add_break()


def _keep_closing(doc):
    """The 署名 never stands on a page without body text: the last body paragraph, the 附件说明 and the blank
    lines keep with the 署名, and the 署名 with its date (as .closing does in the PDF)."""
    paragraphs = doc.paragraphs
    body = [i for i, p in enumerate(paragraphs) if (p.paragraph_format.first_line_indent or 0) > 0]
    if not body:
        return
    last_body = body[-1]
    date = len(paragraphs) - 1
    while date > last_body and not re.search(r"\d+年\d+月\d+日$", paragraphs[date].text):
        date -= 1
    for p in paragraphs[last_body:date]:
        p.paragraph_format.keep_with_next = True


def _right_block(doc, lines: list[str], *, size=L.BODY_PT, spacing=L.LETTER_SPACING_PT, shift=None):
    """Lines set left-aligned in a block whose right edge is two characters in from the right (the block's
    width estimated in characters; the longest line is right-aligned so its edge is exact)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    ch = size + spacing
    shift = shift or [0.0] * len(lines)
    widths = [L.width_chars(t) + s for t, s in zip(lines, shift, strict=True)]
    block = max(widths)
    for text, width in zip(lines, widths, strict=True):
        p = para(doc, align=WD_ALIGN_PARAGRAPH.RIGHT, right=(2 + block - width) * ch)
        run(p, text, size=size, spacing=spacing)


def _signature(doc, data):
    """署名 one blank line under, two characters in from the right; the date starts two characters right of the
    署名's start, or ends two characters in when it is the longer (GB/T 9704 7.3.5.2)."""
    blank(doc)
    _right_block(doc, [data.signature, L.date_cn(data.signed_on)], shift=[0.0, 2.0])


# ------------------------------------------------------------------------------------------------- 附件 pages


def _table_borders(table, *, top, bottom, inside_h, inside_v="nil", sides="nil", cell_margin=None):
    tbl_pr = table._tbl.tblPr
    borders = _el("w:tblBorders")
    specs = {"top": top, "left": sides, "bottom": bottom, "right": sides, "insideH": inside_h, "insideV": inside_v}
    for side, spec in specs.items():
        line = (
            {"val": "nil"} if spec == "nil" else {"val": "single", "sz": _eighths(spec), "space": 0, "color": "000000"}
        )
        borders.append(_el(f"w:{side}", **line))
    _insert(tbl_pr, borders, TBLPR)
    if cell_margin is not None:
        mar = _el("w:tblCellMar")
        for side in ("left", "right"):
            mar.append(_el(f"w:{side}", w=_twips(cell_margin), type="dxa"))
        _insert(tbl_pr, mar, TBLPR)


def _row_flag(row, tag: str):
    """w:tblHeader (repeat the row on every page) or w:cantSplit (keep the row on one page)."""
    _insert(row._tr.get_or_add_trPr(), _el(tag), TRPR)


def _cell_text(cell, text: str, role=L.FANGSONG, size=L.TABLE_PT, *, center=True):
    from docx.enum.table import WD_ALIGN_VERTICAL
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    cell.vertical_alignment = WD_ALIGN_VERTICAL.CENTER
    align = WD_ALIGN_PARAGRAPH.CENTER if center else WD_ALIGN_PARAGRAPH.LEFT
    p = _format(cell.paragraphs[0], align=align, line=round(size * 1.45, 1), space=2)
    if text:
        run(p, text, role, size)


def _section_table(doc, attachment, section):
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.shared import Mm

    rows = L.table_rows(section)
    cols = len(section.headers)
    table = doc.add_table(rows=0, cols=cols)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _table_borders(table, top=0.18, bottom=0.18, inside_h=0.18, inside_v=0.18, sides=0.18, cell_margin=L.pt(1.2))
    widths = [Mm(w) for w in attachment.widths_mm]
    for col, width in zip(table.columns, widths, strict=True):
        col.width = width
    if section.caption:
        row = table.add_row()
        _row_flag(row, "w:tblHeader")
        cell = row.cells[0].merge(row.cells[-1])
        _cell_text(cell, section.caption, L.HEITI, L.SECTION_PT, center=False)
    row = table.add_row()
    _row_flag(row, "w:tblHeader")
    for cell, header in zip(row.cells, section.headers, strict=True):
        _cell_text(cell, header, L.HEITI, L.TABLE_HEAD_PT)
    for values in rows:
        row = table.add_row()
        _row_flag(row, "w:cantSplit")
        for i, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
            _cell_text(cell, value, center=i == 0)
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width
    return table


def _attachments(doc, data):

    for index, attachment in enumerate(data.attachments, start=1):
        label = para(doc, page_break=True)
        run(label, L.attachment_label(index, len(data.attachments)), L.HEITI)
        blank(doc)
        _title(doc, L.title_lines(attachment.title))
        blank(doc, 1, L.LINE_PT / 2)
        for section in attachment.sections:
            _section_table(doc, attachment, section)
            blank(doc, 1, L.LINE_PT / 2)
        footer = [line for line in attachment.footer if line]
        if footer:
            _right_block(doc, footer)


# ----------------------------------------------------------------------------------------------------- 版记


def _banji(doc, data):
    """版记 as a table floated to the bottom of the 版心 on the page where it is anchored (the last one): thick
    rules first and last, thin between (文件格式); a 函 has 抄送 only, without rules (GB/T 9704 10.1).

    Word and WPS place it by tblpYSpec="bottom" (tblpY, from the 版记's height, is there for readers that do not
    know the spec). LibreOffice keeps a floating table as wide as the text area in the text flow: there the 版记
    follows the last line instead of sitting on the 版心's bottom; its rules and text are the same."""
    from docx.enum.text import WD_TAB_ALIGNMENT
    from docx.shared import Mm

    blocks = L.banji_blocks(data)
    if not blocks:
        return
    ruled = data.format == "file"
    table = doc.add_table(rows=0, cols=1)
    table.autofit = False
    thick = L.BANJI_THICK_MM if ruled else "nil"
    _table_borders(table, top=thick, bottom=thick, inside_h=L.BANJI_THIN_MM if ruled else "nil", cell_margin=0)
    tbl_pr = table._tbl.tblPr
    position = _el(
        "w:tblpPr",
        vertAnchor="margin",
        horzAnchor="margin",
        tblpYSpec="bottom",
        tblpY=_twips(L.pt(L.BLOCK_H_MM) - banji_height(data)),
        leftFromText=0,
        rightFromText=0,
    )
    _insert(tbl_pr, position, TBLPR)
    _insert(tbl_pr, _el("w:tblOverlap", val="never"), TBLPR)
    _insert(tbl_pr, _el("w:tblW", w=_twips(L.pt(L.BLOCK_W_MM)), type="dxa"), TBLPR)
    table.columns[0].width = Mm(L.BLOCK_W_MM)
    small = L.SMALL_CHAR_PT
    for block in blocks:
        cell = table.add_row().cells[0]
        cell.width = Mm(L.BLOCK_W_MM)
        if block.role == "cc":  # wrapped lines align after 抄送：
            p = _format(cell.paragraphs[0], left=4 * small, right=small, first=-3 * small)
            run(p, block.text, size=L.SMALL_PT)
        else:
            p = _format(cell.paragraphs[0], left=small)
            tabs(p, (WD_TAB_ALIGNMENT.RIGHT, L.pt(L.BLOCK_W_MM) - small))
            run(p, f"{block.parts[0]}\t{block.parts[1]}", size=L.SMALL_PT)
    para(doc, line=1)  # a document ends with a paragraph; this one anchors the floating table


def banji_height(data) -> float:
    """The 版记's height in pt: its lines on the line pitch plus the rules."""
    lines = 0
    for block in L.banji_blocks(data):
        if block.role == "cc":
            per_line = L.BLOCK_W_MM * L.PT_PER_MM / L.SMALL_CHAR_PT - 5  # one character in each side, 抄送：
            lines += max(1, -(-int(L.width_chars(block.text) - 3) // int(per_line)))
        else:
            lines += 1
    rules = 2 * L.BANJI_THICK_MM + L.BANJI_THIN_MM if data.format == "file" else 0
    return lines * L.LINE_PT + L.pt(rules)


# ---------------------------------------------------------------------------------------------------- render


def _styles(doc):
    from docx.enum.text import WD_LINE_SPACING
    from docx.shared import Pt

    normal = doc.styles["Normal"]
    normal.font.size = Pt(L.BODY_PT)
    _fonts(normal.element.get_or_add_rPr(), FACES[L.FANGSONG])
    fmt = normal.paragraph_format
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(L.LINE_PT)
    fmt.space_before = fmt.space_after = Pt(0)
    _no_autospace(normal.element.get_or_add_pPr())


def render(data, progress=None) -> bytes:
    from docx import Document

    doc = Document()
    _styles(doc)
    letter_format = data.format == "letter"
    section = _page(doc, letter_format)
    size = L.mark_size_pt(data.mark)
    if letter_format:
        _letter_head(doc, section, data, size)
    else:
        _file_head(doc, data, size)
    if progress:
        progress(0.2)
    _body(doc, data)
    _attachments(doc, data)
    _banji(doc, data)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
