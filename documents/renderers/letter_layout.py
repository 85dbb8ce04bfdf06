"""What the PDF and the Word renderers of a letter share: GB/T 9704-2012 numbers (FORMATS.md) and the text blocks.

Both renderers walk `blocks(data)`, so the .pdf and the .docx say the same words in the same order; only the way
each block is drawn differs. Lengths are in mm or pt as named. No Django, no database.
"""

import re
from dataclasses import dataclass
from datetime import date

PT_PER_MM = 72 / 25.4

# --- the page: A4, 天头 37, 订口 28, 版心 156 × 225 mm
PAGE_W_MM, PAGE_H_MM = 210, 297
TOP_MM, BOTTOM_MM, LEFT_MM, RIGHT_MM = 37, 35, 28, 26
BLOCK_W_MM, BLOCK_H_MM = 156, 225

# --- type: 三号 16, 二号 22, 四号 14, 小四 12 pt
BODY_PT = 16
TITLE_PT = 22
SMALL_PT = 14  # 版记 (抄送, 印发) and page numbers
TABLE_PT = 12  # 附件 tables: five columns of names must fit in 156 mm
TABLE_HEAD_PT = 12
SECTION_PT = 14  # a table section's caption (绿色工厂推荐名单)

# 22 lines a page, 28 characters a line: a fixed pitch just under 225 mm / 22 (so 22 lines surely fit), and 16 pt
# characters tightened by 0.25 pt so that 28 of them (441 pt) fit in the 156 mm (442.2 pt) line but 29 do not.
LINES_PER_PAGE, CHARS_PER_LINE = 22, 28
LINE_PT = 28.9
LETTER_SPACING_PT = -0.25
CHAR_PT = BODY_PT + LETTER_SPACING_PT  # one character of body text: indents are counted in these
SMALL_CHAR_PT = SMALL_PT  # one character of 四号 (版记 and page-number indents)

# --- 发文机关标志 (red, 小标宋): its top 35 mm under the 版心 top (文件格式) or 30 mm under the paper top (信函格式)
RED = "#E60012"
MARK_TOP_MM = 35
LETTER_MARK_TOP_MM = 30
MARK_MAX_PT, MARK_MIN_PT = 42, 26  # 初号 at most; shrink long names to fit the 版心 width, wrap below 26 pt
RULE_GAP_MM = 4  # red rule 4 mm under the 发文字号 (文件格式) / double rule 4 mm under the 标志 (信函格式)
RED_RULE_MM = 0.5  # implementations use 0.35–0.5 mm
# 信函格式: 170 mm red double rules, thick over thin under the 标志, thin over thick 20 mm above the paper's bottom
LETTER_RULE_W_MM = 170
LETTER_RULE_BOTTOM_MM = 20
DOUBLE_THICK_MM, DOUBLE_GAP_MM, DOUBLE_THIN_MM = 0.8, 0.4, 0.3

# --- 版记: thick first and last rules, thin between; the last one on the 版心's bottom
BANJI_THICK_MM, BANJI_THIN_MM = 0.35, 0.25

# --- page numbers: 四号 宋体 `— 1 —`, 7 mm under the 版心, odd pages right and even pages left, one character in
PAGE_NUMBER_GAP_MM = 7
# `—1—` drawn without space characters (a text extraction would split `— 1 —` into three words): the gaps are
# letter-spacing of 0.2 em, under the 3 pt that pdfplumber still reads as one word
PAGE_NUMBER_SPACING = 0.2

# --- fonts (families of documents.fonts.FAMILIES; the project fontconfig maps them onto free fonts)
FANGSONG, XIAOBIAOSONG, HEITI, KAITI, SONGTI = "fangsong", "xiaobiaosong", "heiti", "kaiti", "songti"

# Metrics of Noto Serif CJK SC (what 仿宋/小标宋 resolve to here), in em: the line box of a CSS line holds
# ascent + descent (1.151 + 0.286) centred in the line height; the ideographic em box spans 0.88 above the
# baseline to 0.12 below. Used to put the em box of a glyph, not its line box, where GB/T 9704 measures.
ASCENT, DESCENT = 1.151, 0.286
EM_ABOVE, EM_BELOW = 0.88, 0.12


def em_top_in_line(size_pt: float, line_pt: float) -> float:
    """How far below the top of its line box a glyph's em box starts (pt)."""
    baseline = (line_pt - (ASCENT + DESCENT) * size_pt) / 2 + ASCENT * size_pt
    return baseline - EM_ABOVE * size_pt


def em_bottom_in_line(size_pt: float, line_pt: float) -> float:
    return em_top_in_line(size_pt, line_pt) + size_pt


def mm(pt: float) -> float:
    return pt / PT_PER_MM


def pt(millimetres: float) -> float:
    return millimetres * PT_PER_MM


# ------------------------------------------------------------------------------------------- text measures


def width_chars(text: str) -> float:
    """Width in body characters: CJK and full-width forms are one, ASCII letters, digits and spaces a half."""
    return sum(0.5 if ord(c) < 0x2000 else 1.0 for c in text)


def mark_size_pt(mark: str) -> float:
    """The largest size up to 初号 at which the 标志 fits the 版心 on one line (26 pt at least, then it wraps)."""
    fits = pt(BLOCK_W_MM) * 0.96 / max(width_chars(mark), 1)
    return max(MARK_MIN_PT, min(MARK_MAX_PT, int(fits * 2) / 2))  # half points: Word's unit of font size


TITLE_CHARS = int(pt(BLOCK_W_MM) // TITLE_PT)  # 20 characters of 二号 a line
# a title line should end after these (关于…的 / 《…》 / …年度) and never inside the words of these letters
_TITLE_BREAK_AFTER = ("的", "于", "》", "年度", "关于", "和", "及", "与", "暨")
_TITLE_WORDS = (
    "绿色制造名单", "绿色制造", "绿色工厂", "绿色工业园区", "绿色供应链管理企业", "绿色设计产品", "工业和信息化",
    "推荐", "名单", "单位", "意见", "工作", "通知", "报告", "申报", "征求", "关于", "年度", "有关", "事项", "梯度",
    "培育", "管理", "企业", "园区", "工厂", "主管部门", "汇总表", "委员会", "示范区", "开展", "组织", "推荐工作",
)  # fmt: skip


def title_lines(title: str) -> list[str]:
    """A long title wrapped by hand into lines of nearly equal length, the upper ones longer (an inverted
    trapezoid, GB/T 9704 7.3.1), breaking after a function word when one is near the balanced point."""
    title = title.strip()
    total = width_chars(title)
    if total <= TITLE_CHARS:
        return [title]
    count = int(-(-total // TITLE_CHARS))
    lines, rest = [], title
    for remaining in range(count, 1, -1):
        goal = width_chars(rest) / remaining
        cuts = [i for i in range(1, len(rest)) if width_chars(rest[:i]) <= TITLE_CHARS]
        best = min(cuts, key=lambda i: (_break_cost(rest, i, goal), -i))
        lines.append(rest[:best])
        rest = rest[best:]
    lines.append(rest)
    return lines


def _break_cost(text: str, i: int, goal: float) -> float:
    width = width_chars(text[:i])
    cost = abs(width - goal) + (0 if width >= goal else 0.5)  # prefer the upper line the longer
    if text[:i].endswith(_TITLE_BREAK_AFTER) or text[i:].startswith(("《", "（", "关于")):
        cost -= 2
    if text[i] in "，。、；：》）" or (text[i - 1].isdigit() and text[i].isdigit()):
        cost += 10  # never start a line with closing punctuation or split a number
    for word in _TITLE_WORDS:
        start = text.find(word, max(0, i - len(word) + 1))
        if 0 <= start < i < start + len(word):
            cost += 10  # nor split a word
            break
    return cost


def date_cn(d: date) -> str:
    """成文日期 in Arabic numerals without padding: 2024年5月7日."""
    return f"{d.year}年{d.month}月{d.day}日"


def heading_split(paragraph: str) -> tuple[str, str, str]:
    """(level, heading, rest): a paragraph opening with 一、 (黑体) or （一） (楷体) has that run-in heading up to
    its first 。 (or the whole paragraph when there is none)."""
    if re.match(r"^[一二三四五六七八九十]+、", paragraph):
        level = HEITI
    elif re.match(r"^（[一二三四五六七八九十]+）", paragraph):
        level = KAITI
    else:
        return "", "", paragraph
    end = paragraph.find("。")
    if end < 0:
        return level, paragraph, ""
    return level, paragraph[: end + 1], paragraph[end + 1 :]


# ---------------------------------------------------------------------------------------- the text blocks


@dataclass(frozen=True)
class Block:
    """One paragraph of the letter as both renderers draw it. `text` is what a reader sees on that paragraph
    (the docx paragraph's text); `parts` splits it where the PDF or Word changes face or alignment."""

    role: str
    text: str
    parts: tuple[str, ...] = ()


def attachment_label(index: int, count: int) -> str:
    return "附件" if count == 1 else f"附件{index}"


def attachment_note(names: list[str]) -> list[str]:
    """附件说明 lines: `附件：推荐汇总表`, or `附件：1.甲` and `2.乙` under it; no final punctuation."""
    if not names:
        return []
    if len(names) == 1:
        return [f"附件：{names[0]}"]
    return [f"{'附件：' if i == 1 else ''}{i}.{name}" for i, name in enumerate(names, start=1)]


def contact_note(contact: str, phone: str) -> str:
    parts = [f"联系人：{contact}" if contact else "", f"联系电话：{phone}" if phone else ""]
    parts = [p for p in parts if p]
    return f"（{'，'.join(parts)}）" if parts else ""


def cc_text(cc: list[str]) -> str:
    return f"抄送：{'，'.join(cc)}。" if cc else ""


def printed_text(printed_on: date) -> str:
    return f"{date_cn(printed_on)}印发"


def page_number_text(n: int) -> str:
    return f"—{n}—"


def front_blocks(data) -> list[Block]:
    """Page one and the body: 标志, 发文字号 (with 签发人), title, 主送, paragraphs, 附件说明, 署名, date, 附注."""
    out = [Block("mark", data.mark)]
    if data.signer:
        out.append(
            Block("number", f"{data.number_text}签发人：{data.signer}", (data.number_text, "签发人：", data.signer))
        )
    else:
        out.append(Block("number", data.number_text, (data.number_text,)))
    lines = title_lines(data.title)
    out.append(Block("title", "".join(lines), tuple(lines)))
    if data.addressees:
        out.append(Block("addressee", "、".join(data.addressees) + "："))
    for paragraph in data.paragraphs:
        level, head, rest = heading_split(paragraph)
        out.append(Block(f"body-{level}" if level else "body", paragraph, (head, rest) if level else (paragraph,)))
    notes = attachment_note([a.name for a in data.attachments])
    for i, line in enumerate(notes):
        out.append(Block("attachment-note-first" if i == 0 else "attachment-note", line))
    out.append(Block("signature", data.signature))
    out.append(Block("date", date_cn(data.signed_on)))
    if data.note:
        out.append(Block("note", data.note))
    return out


def banji_blocks(data) -> list[Block]:
    """版记: 抄送, then 印发机关 and 印发日期 (文件格式 only: GB/T 9704 10.1 leaves them out of a 函's 版记)."""
    out = []
    if data.cc:
        out.append(Block("cc", cc_text(data.cc)))
    if data.format == "file":
        printed = printed_text(data.printed_on)
        out.append(Block("printer", f"{data.printer}{printed}", (data.printer, printed)))
    return out


def table_rows(section) -> list[list[str]]:
    """A section's body rows; an empty section keeps its header and says 无 (the official sheet keeps all)."""
    if section.rows:
        return [list(r) for r in section.rows]
    blank = ["" for _ in section.headers]
    if len(blank) > 1:
        blank[1] = "无"
    return [blank]


def text_sequence(data) -> list[str]:
    """Every non-empty paragraph text of the letter in reading order (the docx's paragraphs, the PDF's text)."""
    out = [b.text for b in front_blocks(data)]
    for index, attachment in enumerate(data.attachments, start=1):
        out.append(attachment_label(index, len(data.attachments)))
        out.append(attachment.title)
        for section in attachment.sections:
            if section.caption:
                out.append(section.caption)
            out.extend(section.headers)
            for row in table_rows(section):
                out.extend(cell for cell in row if cell)
        out.extend(line for line in attachment.footer if line)
    out.extend(b.text for b in banji_blocks(data))
    return [t for t in out if t]
