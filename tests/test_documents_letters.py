"""The letters: a county's 推荐文 for a real batch and its 征求意见函 to the departments, built from the database and
rendered to PDF (WeasyPrint) and Word (python-docx), then read back and measured against GB/T 9704-2012
(../shared/FORMATS.md): positions with pdfplumber and in rendered pixels, fonts with pdffonts, the docx's runs, and
LibreOffice's conversion of the docx."""

import io
import os
import re
import subprocess
import sys
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pdfplumber
import pytest
from django.utils import timezone
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from PIL import Image

from documents.builders.letters import DEFAULT_DEPARTMENTS, batch_letter, consultation_letter
from documents.kinds import KINDS
from documents.models import GeneratedDocument, LetterTemplate
from documents.numbers import number_allocate
from documents.renderers import letter_docx, letter_pdf
from documents.renderers import letter_layout as L
from documents.renderers.office import convert
from documents.services import document_request, input_hash
from reviews.models import ConsultationReply
from reviews.services.batches import batch_create
from reviews.services.consultations import consultation_send, reply_submit
from tests.application_helpers import open_chain
from tests.chain_helpers import recommend, submitted
from tests.factories import department, enterprise, member

MM = 72 / 25.4
TOL = 1.5  # mm, as gbt9704_check.py
# The team's GB/T 9704 checker lives beside the repository (../shared/tools), or where GBT9704_CHECK says.
CHECKERS = [
    Path(p)
    for p in (
        os.environ.get("GBT9704_CHECK", ""),
        Path(__file__).resolve().parents[2] / "shared" / "tools" / "gbt9704_check.py",
        "/work/shared/tools/gbt9704_check.py",
    )
    if str(p)
]
CHECKER = next((p for p in CHECKERS if p.is_file()), None)
NUMBER = re.compile(r"^\S+〔\d{4}〕[1-9]\d*号$")
PAGE_NO = re.compile(r"^—(\d+)—$")
DUE = timezone.localdate() + timedelta(days=5)
SUPPLY_DATA = {
    "industry_code": "C3670",
    "industry_name": "汽车零部件及配件制造",
    "chain_leader": True,
    "independent_legal_person": True,
    "green_supplier_count": 12,
    "epr_pilot": False,
    "national_green_factory": True,
    "self_score": 83,
}


# ------------------------------------------------------------------------------------------------- fixtures


@pytest.fixture
def notice(tree, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    return open_chain(tree, root)


@pytest.fixture
def emergency(tree):
    dept = department("小店区应急管理局（测试）", tree.county, "emergency")
    tree.users["emergency"] = member(dept, username="u-emergency")
    return dept


@pytest.fixture
def round_(tree, notice, emergency):
    """Three applications of the county: consulted (both departments answer 无异议), recommended, in a batch."""
    second = enterprise("小店第二测试钢铁有限公司", tree.county)
    chain = enterprise("小店供应链测试企业有限公司", tree.county)
    apps = [
        submitted(tree, notice),
        submitted(tree, notice, applicant=second, user=member(second)),
        submitted(tree, notice, applicant=chain, user=member(chain), category="supply_chain", data=SUPPLY_DATA),
    ]
    consultation = consultation_send(
        actor=tree.users["county"],
        authority=tree.county,
        applications=apps[:2],
        departments=[emergency, tree.eco],
        due_on=DUE,
    )
    for reply in ConsultationReply.objects.filter(consultation=consultation):
        user = tree.users["eco"] if reply.department_id == tree.eco.pk else tree.users["emergency"]
        reply_submit(actor=user, reply=reply, opinion="no_objection")
    apps = [recommend(a, tree.users["county"]) for a in apps]
    batch = batch_create(actor=tree.users["county"], authority=tree.county, notice=notice, applications=apps)
    LetterTemplate.objects.create(
        authority=tree.county,
        kind="recommend",
        mark="小店区工业和信息化局文件",
        code_prefix="小工信函",
        signer="王建国",
        title="关于推荐{年度}年度绿色制造名单的报告",
        body=(
            "根据{上级单位}《{通知标题}》要求，我局组织开展了{年度}年度绿色制造名单推荐工作，"
            "并充分征求{征求意见部门}意见。现推荐{推荐总数}家单位，其中绿色工厂{绿色工厂数}家、"
            "绿色工业园区{绿色工业园区数}家、绿色供应链管理企业{绿色供应链管理企业数}家。\n"
            "一、审核情况。经审核，被推荐单位近三年未发生较大及以上安全、质量、环境污染等事故。\n"
            "（一）材料审核。申报材料真实有效。\n"
            "特此报告。"
        ),
        signature="小店区工业和信息化局",
        contact="侯富余",
        phone="0351-3046280",
        cc="小店区生态环境局、小店区应急管理局",
        printer="小店区工业和信息化局办公室",
    )
    return batch, consultation, apps


def numbered(owner, authority, letter, prefix):
    return number_allocate(authority=authority, letter=letter, owner=owner, prefix=prefix)


@pytest.fixture
def batch_data(tree, round_):
    batch = round_[0]
    numbered(batch, tree.county, "recommend", "小工信函")
    return batch_letter(batch, tree.county)


@pytest.fixture
def consult_data(tree, round_):
    consultation = round_[1]
    numbered(consultation, tree.county, "consult", "小工信函")
    return consultation_letter(consultation, tree.county)


# --------------------------------------------------------------------------------------------------- helpers


def lines_of(page):
    return [ln for ln in page.extract_text_lines() if ln["text"].strip()]


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def is_red(color) -> bool:
    return color is not None and len(color) == 3 and color[0] > 0.85 and color[1] < 0.1 and color[2] < 0.15


def outside_block(page, *, allow=lambda w: False):
    """Words outside the 版心 (± 1.5 mm), page numbers in the band 7 mm under it and `allow`ed words aside."""
    out = []
    for w in page.extract_words():
        if PAGE_NO.match(w["text"]) or allow(w):
            continue
        if (
            w["x0"] < (L.LEFT_MM - TOL) * MM
            or w["x1"] > page.width - (L.RIGHT_MM - TOL) * MM
            or w["top"] < (L.TOP_MM - TOL) * MM
            or w["bottom"] > page.height - (L.BOTTOM_MM - TOL) * MM
        ):
            out.append(w["text"])
    return out


def page_numbers(pdf):
    found = {}
    for n, page in enumerate(pdf.pages, start=1):
        for w in page.extract_words():
            m = PAGE_NO.match(w["text"])
            if m:
                found[n] = (int(m.group(1)), w)
    return found


def ink_rows(png: Path, predicate, px_per_mm: float):
    """Bands of pixel rows holding ink that satisfies `predicate`, as (top, bottom, left, right) in mm."""
    image = Image.open(png).convert("RGB")
    width, height = image.size
    pixels = image.load()
    rows = [y for y in range(height) if any(predicate(pixels[x, y]) for x in range(0, width, 2))]
    bands = []
    for y in rows:
        if bands and y == bands[-1][1] + 1:
            bands[-1][1] = y
        else:
            bands.append([y, y])
    out = []
    for top, bottom in bands:
        xs = [x for x in range(width) if any(predicate(pixels[x, y]) for y in range(top, bottom + 1))]
        out.append(tuple(v / px_per_mm for v in (top, bottom + 1, xs[0], xs[-1] + 1)))
    return out


def png_of(pdf_path: Path, page: int, dpi: int = 254) -> Path:
    stem = pdf_path.with_name(f"{pdf_path.stem}-p{page}")
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-singlefile", "-f", str(page), "-l", str(page),
                    str(pdf_path), str(stem)], check=True)  # fmt: skip
    return stem.with_suffix(".png")


def red_px(p):
    return p[0] > 180 and p[1] < 110 and p[2] < 120


def dark_px(p):
    return sum(p) < 300 and not red_px(p)


def docx_blocks(document):
    """The docx body in order: paragraph texts and table cell texts (tabs and line breaks dropped)."""
    out = []
    body = document.element.body
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            text = "".join(t.text or "" for t in child.iter(qn("w:t")))
            if text.strip():
                out.append(text)
        elif child.tag == qn("w:tbl"):
            for tc in child.iter(qn("w:tc")):
                text = "".join(t.text or "" for t in tc.iter(qn("w:t")))
                if text.strip():
                    out.append(text)
    return out


def east_asian(run) -> str:
    return run._element.rPr.rFonts.get(qn("w:eastAsia"))


def render_pdf(data, tmp_path, name="letter.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(letter_pdf.render(data))
    return path


# --------------------------------------------------------------------------------------------------- the data


def test_the_batch_letter_reads_batch_template_and_consultations(tree, notice, round_, batch_data):
    batch, _, apps = round_
    d = batch_data
    assert d.format == "file" and d.mark == "小店区工业和信息化局文件" and d.signer == "王建国"
    assert NUMBER.match(d.number_text) and d.number_text.startswith(f"小工信函〔{timezone.localdate().year}〕")
    assert d.addressees == [tree.city.name] and d.title == "关于推荐2024年度绿色制造名单的报告"
    # The county's batch goes to the city: the letter cites the city's notice; the departments come in domain
    # order (生态环境 before 应急管理) though they were asked the other way round.
    assert d.paragraphs[0] == (
        f"根据{tree.city.name}《{notice.title}》要求，我局组织开展了2024年度绿色制造名单推荐工作，"
        f"并充分征求{tree.eco.name}、小店区应急管理局（测试）意见。现推荐3家单位，其中绿色工厂2家、"
        "绿色工业园区0家、绿色供应链管理企业1家。"
    )
    assert d.paragraphs[1:] == [
        "一、审核情况。经审核，被推荐单位近三年未发生较大及以上安全、质量、环境污染等事故。",
        "（一）材料审核。申报材料真实有效。",
        "特此报告。",
    ]
    (summary,) = d.attachments
    assert summary.name == "推荐汇总表" and summary.title == "县级工业和信息化主管部门推荐汇总表"
    assert [s.caption for s in summary.sections] == [
        "绿色工厂推荐名单",
        "绿色工业园区推荐名单",
        "绿色供应链管理企业推荐名单",
    ]
    assert summary.sections[0].headers == ["序号", "工厂名称", "第三方机构名称", "行业", "备注"]
    assert [r[:3] for r in summary.sections[0].rows] == [
        ["1", apps[0].applicant.name, "自评价"],
        ["2", apps[1].applicant.name, "自评价"],
    ]
    assert summary.sections[1].rows == [] and summary.sections[2].rows[0][1] == apps[2].applicant.name
    assert summary.footer == [f"推荐单位：{tree.county.name}", "（单位公章）", L.date_cn(timezone.localdate())]
    assert sum(summary.widths_mm) <= L.BLOCK_W_MM
    assert d.signature == "小店区工业和信息化局" and d.signed_on == d.printed_on == timezone.localdate()
    assert d.note == "（联系人：侯富余，联系电话：0351-3046280）"
    assert d.cc == ["小店区生态环境局", "小店区应急管理局"] and d.printer == "小店区工业和信息化局办公室"
    # The framework hashes the data: the same batch builds the same data.
    kind = KINDS["batch_letter_pdf"]
    assert input_hash(kind, batch_letter(batch, tree.county)) == input_hash(kind, d)


def test_no_letter_before_its_number_and_default_departments(tree, round_):
    batch = round_[0]
    with pytest.raises(ValueError, match="尚未编发文字号"):
        batch_letter(batch, tree.county)
    numbered(batch, tree.county, "recommend", "小工信函")
    ConsultationReply.objects.all().delete()  # nobody was consulted about these applications
    assert f"并充分征求{DEFAULT_DEPARTMENTS}意见" in batch_letter(batch, tree.county).paragraphs[0]


def test_a_city_letter_cites_the_provinces_notice_with_the_default_template(tree, notice):
    from tests.chain_helpers import lift

    app = recommend(submitted(tree, notice), tree.users["county"])
    _, (app,) = lift([app], authority=tree.county, user=tree.users["county"], notice=notice)
    app = recommend(app, tree.users["city"])
    batch = batch_create(actor=tree.users["city"], authority=tree.city, notice=notice, applications=[app])
    numbered(batch, tree.city, "recommend", "太原工信函")
    d = batch_letter(batch, tree.city)
    assert notice.forwards.issuer == tree.province
    assert d.paragraphs[0].startswith(f"根据{tree.province.name}《{notice.forwards.title}》要求")
    assert d.mark == f"{tree.city.name}文件" and d.signer == "" and d.addressees == [tree.province.name]
    assert d.attachments[0].title == "市级工业和信息化主管部门推荐汇总表"
    assert d.printer == f"{tree.city.name}办公室" and d.cc == []


def test_the_consultation_letter_reads_its_replies(tree, round_, emergency, consult_data):
    _, consultation, apps = round_
    d = consult_data
    assert d.format == "letter" and d.signer == "" and d.mark == tree.county.name
    assert d.addressees == [tree.eco.name, emergency.name]
    assert d.title == "关于征求2024年度绿色制造名单推荐单位意见的函"
    assert (
        "现将2家申报单位名单送你单位" in d.paragraphs[0]
        and f"并于{DUE.year}年{DUE.month}月{DUE.day}日前反馈我单位" in d.paragraphs[0]
    )
    assert d.paragraphs[-1] == "特此函告。"
    (names,) = d.attachments
    assert names.name == names.title == "申报单位名单"
    assert names.sections[0].headers == ["序号", "申报单位", "统一社会信用代码", "申报类别"]
    assert names.sections[0].rows == [
        ["1", apps[0].applicant.name, apps[0].applicant.credit_code, "绿色工厂"],
        ["2", apps[1].applicant.name, apps[1].applicant.credit_code, "绿色工厂"],
    ]
    assert d.cc == [] and d.note == ""  # the tree's county has no contact on file


# ----------------------------------------------------------------------------------------------- layout rules


def test_layout_text_rules():
    assert L.date_cn(date(2024, 5, 7)) == "2024年5月7日"
    assert L.attachment_note(["推荐汇总表"]) == ["附件：推荐汇总表"]
    assert L.attachment_note(["推荐汇总表", "申报单位名单"]) == ["附件：1.推荐汇总表", "2.申报单位名单"]
    assert L.heading_split("一、总体情况。经审核无误。") == (L.HEITI, "一、总体情况。", "经审核无误。")
    assert L.heading_split("（二）材料审核") == (L.KAITI, "（二）材料审核", "")
    assert L.heading_split("特此报告。") == ("", "", "特此报告。")
    assert L.contact_note("张三", "") == "（联系人：张三）" and L.contact_note("", "") == ""
    title = "关于组织开展2024年度绿色制造名单推荐工作暨绿色工厂梯度培育有关事项的通知"
    lines = L.title_lines(title)
    assert "".join(lines) == title and len(lines) == 2
    assert all(L.width_chars(x) <= L.TITLE_CHARS for x in lines)
    assert L.width_chars(lines[0]) >= L.width_chars(lines[1])  # the upper line the longer
    assert not any(x[0] in "，。、》）" for x in lines)
    assert L.mark_size_pt("太原市工业和信息化局") == L.MARK_MAX_PT
    assert L.MARK_MIN_PT <= L.mark_size_pt("山西转型综合改革示范区管理委员会经济发展局文件") < L.MARK_MAX_PT
    # 28 characters of body text fill the 156 mm line, 29 do not; 22 lines fill the 225 mm block
    assert 28 * L.CHAR_PT <= L.pt(L.BLOCK_W_MM) < 29 * L.CHAR_PT
    assert 22 * L.LINE_PT <= L.pt(L.BLOCK_H_MM) < 23 * L.LINE_PT


# ------------------------------------------------------------------------------------------------ 推荐文 .pdf


def test_the_batch_letter_pdf_measures_up_to_gbt_9704(batch_data, tmp_path):
    d = batch_data
    path = render_pdf(d, tmp_path)
    with pdfplumber.open(path) as pdf:
        pages = pdf.pages
        assert len(pages) >= 2
        for page in pages:
            assert (round(page.width / MM), round(page.height / MM)) == (210, 297)
            assert outside_block(page) == []
        first = pages[0]
        lines = lines_of(first)
        # 标志: red, 小标宋 (bold Noto Serif CJK here), the largest text on the page
        mark = [c for c in first.chars if c["size"] > L.TITLE_PT + 1]
        assert "".join(c["text"] for c in mark) == d.mark and all(is_red(c["non_stroking_color"]) for c in mark)
        # 发文字号 one character in from the left, 签发人 (楷体 name) one in from the right, on one line
        number_line = next(ln for ln in lines if ln["text"].startswith("小工信函"))
        number_text, signer = number_line["text"].split("签发人：")
        assert NUMBER.match(number_text.strip()) and signer.strip() == "王建国"
        number_chars = [c for c in number_line["chars"] if not c["text"].isspace()]
        assert abs(number_chars[0]["x0"] / MM - (L.LEFT_MM + L.mm(L.CHAR_PT))) < 0.6
        assert abs(number_chars[-1]["x1"] / MM - (210 - L.RIGHT_MM - L.mm(L.CHAR_PT))) < 0.6
        assert "UKai" in number_chars[-1]["fontname"] and "UKai" not in number_chars[0]["fontname"]
        # title at 二号, body at 三号
        title_line = next(ln for ln in lines if ln["text"] == d.title)
        assert {round(c["size"]) for c in title_line["chars"]} == {22}
        body_line = next(ln for ln in lines if ln["text"].startswith("根据"))
        assert {round(c["size"]) for c in body_line["chars"]} == {16}
        # first line of a paragraph is indented two characters, later lines start at the margin
        assert abs(body_line["x0"] / MM - (L.LEFT_MM + L.mm(2 * L.CHAR_PT))) < 0.6
        following = lines[lines.index(body_line) + 1]
        assert abs(following["x0"] / MM - L.LEFT_MM) < 0.6 and abs(following["x1"] / MM - (210 - L.RIGHT_MM)) < 1
        # 22 lines a page: the body's line pitch is 28.9 pt
        assert abs(following["top"] - body_line["top"] - L.LINE_PT) < 0.2
        # headings: 一、 in 黑体 (Noto Sans CJK), （一） in 楷体 (AR PL UKai)
        all_chars = [c for p in pages for c in p.chars]
        text = "".join(c["text"] for c in all_chars)
        assert "NotoSansCJK" in all_chars[text.index("一、审核情况")]["fontname"].replace("-", "")
        assert "UKai" in all_chars[text.index("（一）材料审核")]["fontname"]

        # page numbers: —1— right on odd pages, —2— left on even ones, 7 mm under the 版心
        numbers = page_numbers(pdf)
        assert sorted(numbers) == list(range(1, len(pages) + 1))
        for n, (value, word) in numbers.items():
            assert value == n
            assert abs(word["top"] / MM - (297 - L.BOTTOM_MM + L.PAGE_NUMBER_GAP_MM)) < TOL
            if n % 2:
                assert abs(word["x1"] / MM - (210 - L.RIGHT_MM - L.mm(L.SMALL_CHAR_PT))) < 1
            else:
                assert abs(word["x0"] / MM - (L.LEFT_MM + L.mm(L.SMALL_CHAR_PT))) < 1

        # every text of the letter, in order
        squeezed = squeeze("".join(p.extract_text() for p in pages))
        position = 0
        for block in L.front_blocks(d):
            found = squeezed.find(squeeze(block.text), position)
            assert found >= 0, block.text
            position = found

        # the 附件 pages: 附件 (黑体) on line 1, the title on line 3, the summary table with its sections
        attachment = next(p for p in pages if lines_of(p)[0]["text"] == "附件")
        label = lines_of(attachment)[0]
        assert abs(label["x0"] / MM - L.LEFT_MM) < 0.6 and "NotoSansCJK" in label["chars"][0]["fontname"].replace(
            "-", ""
        )
        title = lines_of(attachment)[1]
        assert title["text"] == d.attachments[0].title
        assert abs(title["top"] - label["top"] - 2 * L.LINE_PT) < 2
        assert abs((title["x0"] + title["x1"]) / 2 / MM - (L.LEFT_MM + L.BLOCK_W_MM / 2)) < 1
        cells = [squeeze(c or "") for t in attachment.extract_tables() for row in t for c in row]
        assert "绿色工厂推荐名单" in cells and "第三方机构名称" in cells and "自评价" in cells
        for row in d.attachments[0].sections[0].rows:
            assert row[1] in cells
        footer_text = squeeze(pages[-1].extract_text())
        assert squeeze(d.attachments[0].footer[0]) in footer_text and "（单位公章）" in footer_text

        # 版记 on the last page: 抄送 … 。, 印发机关 and 印发日期, the last thick rule on the 版心's bottom
        last = pages[-1]
        last_lines = lines_of(last)
        cc = next(ln for ln in last_lines if ln["text"].startswith("抄送："))
        assert cc["text"] == "抄送：小店区生态环境局，小店区应急管理局。"
        assert abs(cc["x0"] / MM - (L.LEFT_MM + L.mm(L.SMALL_CHAR_PT))) < 0.6
        assert {round(c["size"]) for c in cc["chars"]} == {14}
        printer = next(ln for ln in last_lines if ln["text"].startswith(d.printer))
        assert printer["text"].replace(" ", "").endswith(f"{L.date_cn(d.printed_on)}印发")
        assert abs(printer["x1"] / MM - (210 - L.RIGHT_MM - L.mm(L.SMALL_CHAR_PT))) < 0.6
        bottoms = sorted(r["bottom"] / MM for r in last.rects)
        assert bottoms and abs(bottoms[-1] - (297 - L.BOTTOM_MM)) < 0.3
        assert printer["bottom"] / MM > 297 - L.BOTTOM_MM - 12  # the 版记 sits at the bottom of the 版心
        assert not any(ln["text"].startswith("抄送") for p in pages[:-1] for ln in lines_of(p))

    if CHECKER is None:
        pytest.skip("gbt9704_check.py not found (set GBT9704_CHECK)")
    checked = subprocess.run([sys.executable, str(CHECKER), str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts)  # the emb column
    names = " ".join(line.split()[0] for line in fonts)
    assert "Noto-Serif-CJK-SC" in names and "Noto-Sans-CJK-SC" in names and "AR-PL-UKai-CN" in names


def test_the_batch_letter_first_page_in_pixels(batch_data, tmp_path):
    """Measured on the rendered page (5 px a mm): the red 标志 35 mm under the 版心 top and centred, the 发文字号
    two lines under it, the red rule 4 mm under the 字号 across the 版心, the title two lines under the rule."""
    path = render_pdf(batch_data, tmp_path)
    png = png_of(path, 1, dpi=127)
    red = ink_rows(png, red_px, 5)
    mark, rule = red[0], red[1]
    assert len(red) == 2
    assert abs(mark[0] - (L.TOP_MM + L.MARK_TOP_MM)) < 1
    assert abs((mark[2] + mark[3]) / 2 - (L.LEFT_MM + L.BLOCK_W_MM / 2)) < 1.5
    assert abs(rule[2] - L.LEFT_MM) < 0.5 and abs(rule[3] - (210 - L.RIGHT_MM)) < 0.5
    assert 0.2 < rule[1] - rule[0] < 1
    dark = [b for b in ink_rows(png, dark_px, 5) if b[0] > mark[1]]
    number, title = dark[0], dark[1]
    assert number[1] < rule[0] and abs(rule[0] - number[1] - L.RULE_GAP_MM) < 1
    assert abs(number[0] - mark[1] - (2 * L.mm(L.LINE_PT) + 1)) < 2.5  # two blank lines between
    assert abs(title[0] - rule[1] - 2 * L.mm(L.LINE_PT)) < 2.5
    assert abs((title[2] + title[3]) / 2 - (L.LEFT_MM + L.BLOCK_W_MM / 2)) < 1.5


# ----------------------------------------------------------------------------------------------- 推荐文 .docx


def paragraph_with(document, text):
    return next(p for p in document.paragraphs if squeeze(p.text) == squeeze(text))


def test_the_batch_letter_docx_says_the_same_in_the_official_faces(batch_data, tmp_path):
    d = batch_data
    document = Document(io.BytesIO(letter_docx.render(d)))
    blocks = docx_blocks(document)
    # the same text as the PDF: the letter's text sequence, and each piece is in the PDF
    assert [squeeze(b) for b in blocks] == [squeeze(t) for t in L.text_sequence(d)]
    with pdfplumber.open(render_pdf(d, tmp_path)) as pdf:
        pdf_text = squeeze("".join(p.extract_text() for p in pdf.pages))
        cells = {squeeze(c or "") for p in pdf.pages for t in p.extract_tables() for row in t for c in row}
    for block in blocks:
        assert squeeze(block) in pdf_text or squeeze(block) in cells, block

    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    margins = [section.top_margin, section.bottom_margin, section.left_margin, section.right_margin]
    assert [round(m.mm) for m in margins] == [37, 35, 28, 26]
    assert document.settings.odd_and_even_pages_header_footer
    odd, even = section.footer.paragraphs[0], section.even_page_footer.paragraphs[0]
    assert odd.alignment == 2 and even.alignment == 0  # right, left
    assert odd.paragraph_format.right_indent == Pt(L.SMALL_CHAR_PT) == even.paragraph_format.left_indent
    for footer in (odd, even):
        assert "PAGE" in "".join(t.text for t in footer._p.iter(qn("w:instrText")))
        assert footer.text == "—1—" and {east_asian(r) for r in footer.runs} == {"宋体"}
        assert {r.font.size for r in footer.runs} == {Pt(14)}

    mark = paragraph_with(document, d.mark).runs[0]
    assert east_asian(mark) == "方正小标宋简体" and str(mark.font.color.rgb) == "E60012"
    assert mark.font.size == Pt(L.mark_size_pt(d.mark))
    number = paragraph_with(document, f"{d.number_text}签发人：{d.signer}")
    assert [east_asian(r) for r in number.runs] == ["仿宋_GB2312", "楷体_GB2312"]
    rule = number._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert rule.get(qn("w:color")) == "E60012" and rule.get(qn("w:val")) == "single"
    title = paragraph_with(document, d.title)
    assert title.alignment == 1 and {(east_asian(r), r.font.size) for r in title.runs} == {("方正小标宋简体", Pt(22))}
    addressee = paragraph_with(document, d.addressees[0] + "：")
    assert addressee.paragraph_format.first_line_indent is None
    body = paragraph_with(document, d.paragraphs[0])
    assert {(east_asian(r), r.font.size) for r in body.runs} == {("仿宋_GB2312", Pt(16))}
    fmt = body.paragraph_format
    assert fmt.line_spacing == Pt(L.LINE_PT) and fmt.line_spacing_rule == 4  # exactly
    assert fmt.first_line_indent == Pt(2 * L.CHAR_PT)
    spacing = body.runs[0]._element.rPr.find(qn("w:spacing"))
    assert spacing.get(qn("w:val")) == str(round(L.LETTER_SPACING_PT * 20))
    assert [east_asian(r) for r in paragraph_with(document, d.paragraphs[1]).runs] == ["黑体", "仿宋_GB2312"]
    assert [east_asian(r) for r in paragraph_with(document, d.paragraphs[2]).runs] == ["楷体_GB2312", "仿宋_GB2312"]
    note = paragraph_with(document, "附件：推荐汇总表")
    assert note.paragraph_format.left_indent == Pt(5 * L.CHAR_PT)
    assert note.paragraph_format.first_line_indent == Pt(-3 * L.CHAR_PT)
    label = paragraph_with(document, "附件")
    assert label.paragraph_format.page_break_before and east_asian(label.runs[0]) == "黑体"

    tables = document.tables
    assert len(tables) == 4  # three sections and the 版记
    for table in tables[:3]:
        headers = [
            row for row in table.rows if row._tr.trPr is not None and row._tr.trPr.find(qn("w:tblHeader")) is not None
        ]
        assert len(headers) == 2  # caption and column names repeat on every page
        assert sum(c.width for c in table.rows[-1].cells) <= Mm(L.BLOCK_W_MM) + 10
        assert east_asian(table.rows[1].cells[0].paragraphs[0].runs[0]) == "黑体"
    banji = tables[-1]
    position = banji._tbl.tblPr.find(qn("w:tblpPr"))
    assert position.get(qn("w:tblpYSpec")) == "bottom" and position.get(qn("w:vertAnchor")) == "margin"
    borders = banji._tbl.tblPr.find(qn("w:tblBorders"))
    sizes = {side: borders.find(qn(f"w:{side}")).get(qn("w:sz")) for side in ("top", "insideH", "bottom")}
    assert sizes == {"top": "8", "insideH": "6", "bottom": "8"}  # 0.35 / 0.25 / 0.35 mm in eighths of a point
    assert [c.text for r in banji.rows for c in r.cells] == [
        "抄送：小店区生态环境局，小店区应急管理局。",
        f"{d.printer}\t{L.date_cn(d.printed_on)}印发",
    ]


def test_libreoffice_opens_the_docx_and_converts_it(batch_data, tmp_path):
    d = batch_data
    path = tmp_path / "lo.pdf"
    path.write_bytes(convert(letter_docx.render(d), "docx"))
    with pdfplumber.open(path) as pdf:
        assert len(pdf.pages) >= 2
        for page in pdf.pages:
            assert (round(page.width / MM), round(page.height / MM)) == (210, 297)
            assert outside_block(page) == []
        text = squeeze("".join(p.extract_text() for p in pdf.pages))
        for block in L.front_blocks(d) + L.banji_blocks(d):
            assert squeeze(block.text) in text, block.text
        numbers = page_numbers(pdf)
        assert numbers[1][0] == 1 and numbers[1][1]["x0"] / MM > 150 and numbers[2][1]["x0"] / MM < 60
        red = [c for c in pdf.pages[0].chars if is_red(c["non_stroking_color"])]
        assert "".join(c["text"] for c in red) == d.mark
    png = png_of(path, 1, dpi=127)
    mark, rule = ink_rows(png, red_px, 5)[:2]
    assert abs(mark[0] - (L.TOP_MM + L.MARK_TOP_MM)) < 1.5 and abs(rule[3] - rule[2] - L.BLOCK_W_MM) < 1


# --------------------------------------------------------------------------------------- 征求意见函, 信函格式


def test_the_consultation_letter_pdf_in_letter_format(tree, consult_data, tmp_path):
    d = consult_data
    path = render_pdf(d, tmp_path, "consult.pdf")
    with pdfplumber.open(path) as pdf:
        pages = pdf.pages
        first = pages[0]
        mark = [c for c in first.chars if is_red(c["non_stroking_color"])]
        assert "".join(c["text"] for c in mark) == d.mark
        # The 信函格式's 标志 stands 30 mm under the paper's top, above the 版心 (37 mm): the only text outside it.
        assert outside_block(first, allow=lambda w: w["text"] == d.mark) == []
        assert [w["text"] for w in first.extract_words() if w["top"] < (L.TOP_MM - TOL) * MM] == [d.mark]
        for page in pages[1:]:
            assert outside_block(page) == []
        # 发文字号 flush right under the first double rule; no page number on page one, —2— on page two
        number = next(ln for ln in lines_of(first) if NUMBER.match(ln["text"]))
        assert abs(number["x1"] / MM - (210 - L.RIGHT_MM)) < 0.6
        numbers = page_numbers(pdf)
        assert 1 not in numbers and numbers[2][0] == 2 and sorted(numbers) == list(range(2, len(pages) + 1))
        addressee = next(ln for ln in lines_of(first) if ln["text"].endswith("："))
        assert addressee["text"] == f"{tree.eco.name}、小店区应急管理局（测试）："
        # the long title wraps by hand into two centred lines, the upper one the longer
        title = [ln for ln in lines_of(first) if ln["text"] in L.title_lines(d.title)]
        assert [ln["text"] for ln in title] == L.title_lines(d.title) and len(title) == 2
        assert {round(c["size"]) for ln in title for c in ln["chars"]} == {22}
        for ln in title:
            assert abs((ln["x0"] + ln["x1"]) / 2 / MM - (L.LEFT_MM + L.BLOCK_W_MM / 2)) < 1
        # 附件: the 申报单位名单 with credit codes
        attachment = next(p for p in pages if lines_of(p)[0]["text"] == "附件")
        cells = [squeeze(c or "") for t in attachment.extract_tables() for row in t for c in row]
        assert cells[:4] == ["序号", "申报单位", "统一社会信用代码", "申报类别"]
        for row in d.attachments[0].sections[0].rows:
            assert row[2] in cells and row[1] in cells
        # a 函's 版记 has no 印发 line and no rules (GB/T 9704 10.1); this one has no 抄送 either
        assert "印发" not in pages[-1].extract_text() and "抄送" not in pages[-1].extract_text()
    png = png_of(path, 1, dpi=127)
    red = ink_rows(png, red_px, 5)
    mark_band, thick, thin, low_thin, low_thick = red
    assert abs(mark_band[0] - L.LETTER_MARK_TOP_MM) < 1
    assert abs(thick[0] - (L.LETTER_MARK_TOP_MM + L.mm(L.mark_size_pt(d.mark)) + L.RULE_GAP_MM)) < 1
    for rule in (thick, thin, low_thin, low_thick):
        assert abs(rule[3] - rule[2] - L.LETTER_RULE_W_MM) < 0.5
        assert abs((rule[2] + rule[3]) / 2 - (L.LEFT_MM + L.BLOCK_W_MM / 2)) < 0.5
    assert thick[1] - thick[0] > thin[1] - thin[0]  # thick over thin under the 标志 ...
    assert low_thick[1] - low_thick[0] > low_thin[1] - low_thin[0]  # ... thin over thick at the bottom
    assert abs(low_thick[1] - (297 - L.LETTER_RULE_BOTTOM_MM)) < 0.5


def test_the_consultation_letter_docx_and_its_libreoffice_rendering(consult_data, tmp_path):
    d = consult_data
    content = letter_docx.render(d)
    document = Document(io.BytesIO(content))
    # the body holds everything but the 标志, which is in the first page's header
    assert [squeeze(b) for b in docx_blocks(document)] == [squeeze(t) for t in L.text_sequence(d)[1:]]
    section = document.sections[0]
    assert section.different_first_page_header_footer  # page one: the letterhead, no page number
    (mark,) = [p for p in section.first_page_header.paragraphs if p.text]
    assert mark.text == d.mark and str(mark.runs[0].font.color.rgb) == "E60012"
    assert east_asian(mark.runs[0]) == "方正小标宋简体"
    rules = [
        mark._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom")).get(qn("w:val")),
        section.first_page_footer.paragraphs[0]._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom")).get(qn("w:val")),
    ]
    assert rules == ["thickThinSmallGap", "thinThickSmallGap"]
    assert round(mark.paragraph_format.left_indent.mm) == -7  # 170 mm: 7 mm beyond the 版心 on each side
    number = paragraph_with(document, d.number_text)
    assert number.alignment == 2
    path = tmp_path / "consult-lo.pdf"
    path.write_bytes(convert(content, "docx"))
    with pdfplumber.open(path) as pdf:
        text = squeeze("".join(p.extract_text() for p in pdf.pages))
        for block in L.front_blocks(d):
            assert squeeze(block.text) in text
        assert 1 not in page_numbers(pdf)
    red = ink_rows(png_of(path, 1, dpi=127), red_px, 5)
    assert abs(red[0][0] - L.LETTER_MARK_TOP_MM) < 1.5 and abs(red[-1][1] - (297 - L.LETTER_RULE_BOTTOM_MM)) < 1


# ------------------------------------------------------------------------------------- long letters, framework


def test_a_long_letter_with_two_attachments(batch_data, tmp_path):
    """Several body pages: the 署名 shares its page with body text, 附件说明 numbers the attachments, each 附件
    starts a page with 附件1 / 附件2, page numbers alternate sides, the 版记 closes the last page."""
    second = replace(batch_data.attachments[0], name="申报单位名单", title="申报单位名单")
    filler = "经审核，被推荐单位申报材料齐全，数据真实，符合绿色制造名单的各项基本条件和评价要求。" * 3
    d = replace(
        batch_data,
        paragraphs=[f"{n}、第{n}部分。{filler}" for n in "一二三四五六七八九十"] + ["特此报告。"],
        attachments=[batch_data.attachments[0], second],
    )
    path = render_pdf(d, tmp_path)
    with pdfplumber.open(path) as pdf:
        pages = pdf.pages
        assert len(pages) >= 6
        for page in pages:
            assert outside_block(page) == []
        numbers = page_numbers(pdf)
        assert sorted(numbers) == list(range(1, len(pages) + 1))
        for n, (_, word) in numbers.items():
            assert (word["x0"] / MM > 150) == bool(n % 2)
        signed = next(p for p in pages if L.date_cn(d.signed_on) in (p.extract_text() or ""))
        text = squeeze(signed.extract_text())
        assert "特此报告。" in text and text.index("特此报告。") < text.index(squeeze(d.signature))
        assert "附件：1.推荐汇总表" in text and "2.申报单位名单" in text
        notes = ("附件：1.推荐汇总表", "2.申报单位名单")
        note_lines = [ln for ln in lines_of(signed) if squeeze(ln["text"]) in notes]
        assert len(note_lines) == 2
        assert abs(note_lines[0]["x0"] / MM - (L.LEFT_MM + L.mm(2 * L.CHAR_PT))) < 0.6
        # the second name starts under the first one's name: its number sits under the first number
        assert abs(note_lines[1]["x0"] / MM - (L.LEFT_MM + L.mm(5 * L.CHAR_PT))) < 0.6
        labels = [lines_of(p)[0]["text"] for p in pages if lines_of(p)[0]["text"].startswith("附件")]
        assert labels == ["附件1", "附件2"]
        last = pages[-1]
        assert "抄送" in last.extract_text() and abs(max(r["bottom"] for r in last.rects) / MM - 262) < 0.3
    if CHECKER is None:
        pytest.skip("gbt9704_check.py not found (set GBT9704_CHECK)")
    checked = subprocess.run([sys.executable, str(CHECKER), str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout
    document = Document(io.BytesIO(letter_docx.render(d)))
    assert [squeeze(b) for b in docx_blocks(document)] == [squeeze(t) for t in L.text_sequence(d)]
    second_note = paragraph_with(document, "2.申报单位名单")
    assert second_note.paragraph_format.left_indent == Pt(6 * L.CHAR_PT)
    assert [p.text for p in document.paragraphs if p.paragraph_format.page_break_before] == ["附件1", "附件2"]
    signature = paragraph_with(document, d.signature)
    assert signature.alignment == 2 and signature.paragraph_format.right_indent >= Pt(2 * L.CHAR_PT)
    closing = paragraph_with(document, "特此报告。")
    assert closing.paragraph_format.keep_with_next  # it goes to the 署名's page if the 署名 moves


def test_rendered_through_the_documents_framework(tree, round_, django_capture_on_commit_callbacks):
    """The registry's kinds reach these builders and renderers: a request allocates the number and renders."""
    batch, consultation, _ = round_
    user = tree.users["county"]
    with django_capture_on_commit_callbacks(execute=True):
        pdf_doc = document_request(actor=user, kind="batch_letter_pdf", owner=batch)
        docx_doc = document_request(actor=user, kind="batch_letter_docx", owner=batch)
        consult_doc = document_request(actor=user, kind="consultation_letter_pdf", owner=consultation)
    for doc in (pdf_doc, docx_doc, consult_doc):
        doc.refresh_from_db()
        assert doc.status == GeneratedDocument.Status.DONE, doc.error
    year = timezone.localdate().year
    with pdf_doc.file.open("rb") as f, pdfplumber.open(f) as pdf:
        assert f"小工信函〔{year}〕1号" in pdf.pages[0].extract_text()
    with docx_doc.file.open("rb") as f:
        assert f"小工信函〔{year}〕1号签发人：王建国" in [p.text.replace("\t", "") for p in Document(f).paragraphs]
    with consult_doc.file.open("rb") as f, pdfplumber.open(f) as pdf:
        # no saved 函 template: the default 代字; numbers run on per authority and year whatever the 代字
        assert f"小店工信函〔{year}〕2号" in pdf.pages[0].extract_text()


def test_a_bare_letter_and_typed_control_characters(tree, round_, batch_data, tmp_path):
    """No body, no 附件, no 抄送: both renderers still lay out a letter; the 版记 keeps its 印发 line. Control
    characters typed into a template (a .docx cannot hold them) are dropped by the builder."""
    bare = replace(batch_data, paragraphs=[], attachments=[], cc=[], note="")
    with pdfplumber.open(render_pdf(bare, tmp_path)) as pdf:
        assert len(pdf.pages) == 1
        text = pdf.pages[0].extract_text()
        assert "附件" not in text and "抄送" not in text and f"{L.date_cn(bare.printed_on)}印发" in text
    document = Document(io.BytesIO(letter_docx.render(bare)))
    assert [squeeze(b) for b in docx_blocks(document)] == [squeeze(t) for t in L.text_sequence(bare)]
    LetterTemplate.objects.filter(authority=tree.county, kind="recommend").update(
        body="第一段\x01内容。\x0b第二段\x7f。", cc="甲\x02局，乙局", title="标题\x1f"
    )
    d = batch_letter(round_[0], tree.county)
    assert d.paragraphs == ["第一段内容。", "第二段。"] and d.cc == ["甲局", "乙局"] and d.title == "标题"
    assert letter_docx.render(d)[:2] == b"PK"
