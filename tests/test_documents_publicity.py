"""公示名单 as PDF and standalone HTML: the public's list by category, with period, contact and the objection
instructions, never a credit code; fonts embedded; no external URL in the page."""

import dataclasses
import io
import json
import re
import subprocess
from datetime import date, timedelta

import pdfplumber
import pytest
from pypdf import PdfReader

from applications import services
from documents.builders.publicity import PublicityList, PublicityRow, PublicitySection, publicity_list
from documents.models import GeneratedDocument
from documents.renderers import publicity as renderer
from documents.services import document_request
from reviews.services import transition_perform
from tests.application_helpers import open_chain, pdf, ready_application
from tests.chain_helpers import climb, recommend, submitted
from tests.factories import enterprise, member
from tests.test_publicity import make_publicity

pytestmark = pytest.mark.django_db

BODY = "根据有关要求，经推荐、审核和专家评审，现将拟列入2024年度绿色制造名单的单位予以公示。\n\n请社会各界监督。"


@pytest.fixture
def notice(tree, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    return open_chain(tree, root)


def to_ministry(tree, notice, application):
    return recommend(climb(application, tree, notice, to="ministry"), tree.users["ministry"], "部级审核通过。")


def third_party_factory(tree, notice):
    """A factory evaluated by a third-party assessor, submitted and carried up to the ministry."""
    org = enterprise("小店第三方评价测试钢铁有限公司", tree.county)
    user = member(org)
    assessor = enterprise("晋测绿色评价有限公司", tree.province, kind="assessor")
    assessor_user = member(assessor)
    application = ready_application(user, org, notice)
    services.application_update(actor=user, application=application, evaluation_mode="third_party")
    engagement = services.engagement_request(actor=user, application=application, assessor=assessor)
    services.engagement_respond(actor=assessor_user, engagement=engagement, accept=True, lead_assessor="张三")
    services.engagement_report(actor=assessor_user, engagement=engagement, score="90", upload=pdf("报告.pdf"))
    application = transition_perform(actor=user, application=application, action="submit")
    return to_ministry(tree, notice, application), org


@pytest.fixture
def entries(tree, notice):
    factory = to_ministry(tree, notice, submitted(tree, notice))
    park_org = enterprise("小店绿色产业园区管理委员会", tree.county, kind="park")
    park = to_ministry(
        tree, notice, submitted(tree, notice, applicant=park_org, user=member(park_org), category="park")
    )
    assessed, assessed_org = third_party_factory(tree, notice)
    return [park, factory, assessed], [park_org, tree.ent, assessed_org]


@pytest.fixture
def publicity(tree, notice, entries):
    return make_publicity(tree, notice, entries[0], body=BODY)


def request(django_capture_on_commit_callbacks, **kwargs) -> GeneratedDocument:
    with django_capture_on_commit_callbacks(execute=True):
        doc = document_request(**kwargs)
    doc.refresh_from_db()
    assert doc.status == "done", doc.error
    return doc


def tables(content: bytes) -> list[list[str]]:
    """Every table row of every page, cells with their wrapped lines joined."""
    with pdfplumber.open(io.BytesIO(content)) as document:
        return [
            ["".join((cell or "").split()) for cell in row]
            for page in document.pages
            for table in page.extract_tables()
            for row in table
        ]


def zh(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def test_data_is_what_the_public_page_shows(tree, publicity, entries):
    data = publicity_list(publicity, tree.ministry)
    assert [s.heading for s in data.sections] == ["一、绿色工厂（2家）", "二、绿色工业园区（1家）"]
    factories, parks = data.sections
    # 序号 is the entry's position (as on the public page and in its objection form); tables follow the categories
    assert [(r.position, r.name, r.region, r.assessor) for r in factories.rows] == [
        (2, tree.ent.name, "山西省太原市", "自评价"),
        (3, "小店第三方评价测试钢铁有限公司", "山西省太原市", "晋测绿色评价有限公司"),
    ]
    assert [(r.position, r.name, r.category) for r in parks.rows] == [(1, "小店绿色产业园区管理委员会", "绿色工业园区")]
    assert (factories.name_header, parks.name_header) == ("工厂名称", "园区名称")
    assert data.paragraphs == [
        "根据有关要求，经推荐、审核和专家评审，现将拟列入2024年度绿色制造名单的单位予以公示。",
        "请社会各界监督。",
    ]
    assert data.authority == tree.ministry.name and data.contact == "010-68205360" and data.count == 3
    assert f"公示时间：{zh(publicity.starts_on)}至{zh(publicity.ends_on)}。" in data.objection
    dumped = json.dumps(dataclasses.asdict(data), default=str, ensure_ascii=False)
    for org in entries[1]:
        assert org.credit_code and org.credit_code not in dumped


def test_empty_body_gets_the_standard_introduction(tree, notice, entries):
    publicity = make_publicity(tree, notice, entries[0][:1])
    [paragraph] = publicity_list(publicity, tree.ministry).paragraphs
    assert (
        paragraph.endswith("现将拟列入2024年度绿色制造名单的1家单位予以公示。")
        and "经推荐、审核和专家评审" in paragraph
    )


def test_pdf_text_layout_and_no_credit_codes(tree, publicity, entries, tmp_path, django_capture_on_commit_callbacks):
    doc = request(
        django_capture_on_commit_callbacks, actor=tree.users["ministry"], kind="publicity_pdf", owner=publicity
    )
    content = doc.file.open("rb").read()
    assert doc.filename.endswith("公示名单.pdf") and content.startswith(b"%PDF-")
    with pdfplumber.open(io.BytesIO(content)) as document:
        page = document.pages[0]
        assert (round(page.width), round(page.height)) == (595, 842)
        text = "\n".join(p.extract_text() for p in document.pages)
        chars = [c for p in document.pages for c in p.chars]
        title = [c for c in page.chars if c["text"] in "公示" and round(c["size"]) == 22]
        assert title, "title at 22 pt"
        title_line = [c for c in page.chars if abs(c["top"] - title[0]["top"]) < 1]
        middle = (min(c["x0"] for c in title_line) + max(c["x1"] for c in title_line)) / 2
        assert abs(middle - page.width / 2) < 3  # centred
        body = [c for c in chars if c["text"] == "根"]
        assert body and round(body[0]["size"]) == 16
        # page numbers at the foot, — 1 —
        assert re.search(r"— 1 —", page.extract_text())
    flat = "".join(text.split())
    for expected in (
        "2024年度绿色制造名单公示",
        "一、绿色工厂（2家）",
        "二、绿色工业园区（1家）",
        "序号工厂名称所在地区第三方评价机构",
        f"公示时间：{zh(publicity.starts_on)}至{zh(publicity.ends_on)}",
        f"请以书面形式向{tree.ministry.name}反映",
        "联系方式：010-68205360",
        f"{tree.ministry.name}{zh(publicity.starts_on)}",
    ):
        assert expected in flat, expected
    assert flat.index("绿色工厂（2家）") < flat.index("绿色工业园区（1家）") < flat.index("公示时间")
    assert tables(content) == [
        ["序号", "工厂名称", "所在地区", "第三方评价机构"],
        ["2", tree.ent.name, "山西省太原市", "自评价"],
        ["3", "小店第三方评价测试钢铁有限公司", "山西省太原市", "晋测绿色评价有限公司"],
        ["序号", "园区名称", "所在地区", "第三方评价机构"],
        ["1", "小店绿色产业园区管理委员会", "山西省太原市", "自评价"],
    ]
    for org in entries[1]:
        assert org.credit_code not in flat and org.credit_code.encode() not in content

    path = tmp_path / "publicity.pdf"
    path.write_bytes(content)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:]]
    assert rows and all(row[-5] == "yes" for row in rows), fonts
    assert any("Noto-Serif-CJK-SC" in row[0] for row in rows) and any("Sans-CJK" in row[0] for row in rows), fonts


def test_long_list_repeats_the_header_on_every_page_and_numbers_pages():
    rows = [
        PublicityRow(i, f"山西示范绿色制造有限公司第{i}分厂", "绿色工厂", "山西省太原市", "自评价")
        for i in range(1, 61)
    ]
    data = PublicityList(
        title="2024年度绿色制造名单公示",
        authority="山西省工业和信息化厅",
        paragraphs=["现将拟列入名单的60家单位予以公示。"],
        starts_on=date(2024, 12, 16),
        ends_on=date(2024, 12, 30),
        contact="0351-1234567",
        objection="公示时间：2024年12月16日至2024年12月30日。",
        signed_on=date(2024, 12, 16),
        count=60,
        sections=[PublicitySection("一、绿色工厂（60家）", "绿色工厂", "工厂名称", rows)],
    )
    content = renderer.render_pdf(data)
    pages = len(PdfReader(io.BytesIO(content)).pages)
    assert pages >= 3
    with pdfplumber.open(io.BytesIO(content)) as document:
        for index, page in enumerate(document.pages, start=1):
            lines = page.extract_text().splitlines()
            assert f"— {index} —" in lines[-1]
            if index < pages:  # the last page may hold only the instructions
                first_row = page.extract_tables()[0][0]
                assert first_row == ["序号", "工厂名称", "所在地区", "第三方评价机构"], index
        last = "".join(document.pages[-1].extract_text().split())
        assert last.endswith(f"山西省工业和信息化厅2024年12月16日—{pages}—")
    body = [row for row in tables(content) if row[0] != "序号"]
    assert [int(row[0]) for row in body] == list(range(1, 61))  # no row lost or doubled across pages
    assert body[59] == ["60", "山西示范绿色制造有限公司第60分厂", "山西省太原市", "自评价"]


def test_html_is_standalone_with_the_same_content(tree, publicity, entries, django_capture_on_commit_callbacks):
    doc = request(
        django_capture_on_commit_callbacks, actor=tree.users["ministry"], kind="publicity_html", owner=publicity
    )
    assert doc.content_type.startswith("text/html") and doc.filename.endswith(".html")
    html = doc.file.open("rb").read().decode("utf-8")
    assert html.startswith("<!doctype html>") and '<html lang="zh-CN">' in html and '<meta charset="utf-8">' in html
    assert "<style>" in html and "<title>2024年度绿色制造名单公示</title>" in html
    # nothing fetched from anywhere: no URL, no src/href, no script, stylesheet link or @import
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", html, re.I)
    assert not re.search(r"\b(src|href|srcset|action)\s*=", html, re.I)
    assert not re.search(r"<script|<link|<iframe|<img|@import|url\(", html, re.I)
    text = re.sub(r"<[^>]+>", "", html.split("</style>", 1)[1])
    flat = "".join(text.split())
    for expected in (
        "一、绿色工厂（2家）",
        f"2{tree.ent.name}山西省太原市自评价",
        "3小店第三方评价测试钢铁有限公司山西省太原市晋测绿色评价有限公司",
        "1小店绿色产业园区管理委员会山西省太原市自评价",
        "请社会各界监督。",
        f"公示时间：{zh(publicity.starts_on)}至{zh(publicity.ends_on)}",
        "联系方式：010-68205360",
        f"{tree.ministry.name}{zh(publicity.starts_on)}",
    ):
        assert expected in flat, expected
    for org in entries[1]:
        assert org.credit_code not in html


def test_names_are_escaped_in_the_html(tree, notice):
    org = enterprise("<b>小店</b>&测试有限公司", tree.county)
    application = to_ministry(tree, notice, submitted(tree, notice, applicant=org, user=member(org)))
    publicity = make_publicity(tree, notice, [application], starts_on=date.today() + timedelta(days=1))
    html = renderer.render_html(publicity_list(publicity, tree.ministry)).decode()
    assert "&lt;b&gt;小店&lt;/b&gt;&amp;测试有限公司" in html and "<b>" not in html
