"""The merged application PDF and the batch zip, with real files of every accepted type, read back with pypdf,
pdfplumber, pdffonts and zipfile."""

import hashlib
import io
import re
import shutil
import subprocess
import zipfile

import pdfplumber
import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader, PdfWriter

from applications import services
from applications.models import MaterialFile
from documents.builders.bundles import application_bundle, batch_bundle
from documents.models import GeneratedDocument
from documents.renderers import batch_zip, merged_pdf
from documents.services import document_request
from notices.models import RequiredMaterial
from reviews.services import transition_perform
from reviews.services.batches import batch_create, batch_scan_upload
from tests.application_helpers import FACTORY_DATA, declare_all, open_chain, pdf
from tests.chain_helpers import recommend
from tests.factories import enterprise, member

pytestmark = pytest.mark.django_db

A4 = (595.28, 841.89)
MATERIALS = {  # name → accepted type, in the notice's order
    "自评价报告": "pdf",
    "厂区照片": "png",
    "荣誉证书": "jpg",
    "企业基本情况": "docx",
    "能耗统计表": "xlsx",
}


# ------------------------------------------------------------------------------------------------ real files


def pdf_pages(n: int, label: str) -> bytes:
    from weasyprint import HTML

    pages = "".join(f'<p style="page-break-after: always">{label}第{i}页</p>' for i in range(1, n + 1))
    return HTML(
        string=f'<html lang="zh-CN"><body style="font-family: Noto Serif CJK SC">{pages}</body></html>'
    ).write_pdf()


def png_bytes(size=(1200, 800)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (30, 140, 60)).save(out, "PNG")
    return out.getvalue()


def jpg_bytes(size=(900, 600), orientation=None) -> bytes:
    from PIL import Image

    image, out = Image.new("RGB", size, (200, 40, 40)), io.BytesIO()
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    image.save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def docx_bytes(text: str) -> bytes:
    import docx

    document, out = docx.Document(), io.BytesIO()
    document.add_paragraph(text)
    document.save(out)
    return out.getvalue()


def xlsx_bytes(rows) -> bytes:
    import openpyxl

    book, out = openpyxl.Workbook(), io.BytesIO()
    for row in rows:
        book.active.append(row)
    book.save(out)
    return out.getvalue()


def broken_docx() -> bytes:
    """A docx container that passes the upload check but that LibreOffice cannot read."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "not xml at all")
    return out.getvalue()


def standard_files() -> dict[str, tuple[str, bytes]]:
    return {
        "自评价报告": ("自评价报告（终稿）.pdf", pdf_pages(3, "自评价报告")),
        "厂区照片": ("厂区全景.png", png_bytes()),
        # a phone photo stored sideways: EXIF says turn it upright, so it is shown portrait
        "荣誉证书": ("证书扫描.jpg", jpg_bytes((900, 600), orientation=6)),
        "企业基本情况": ("基本情况.docx", docx_bytes("企业基本情况说明")),
        "能耗统计表": ("能耗.xlsx", xlsx_bytes([["年度", "综合能耗（吨标准煤）"], [2023, 12000]])),
    }


# ------------------------------------------------------------------------------------------------ fixtures


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")


@pytest.fixture
def notice(tree, root):
    notice = open_chain(tree, root, materials=[("factory", name) for name in MATERIALS])
    for material in RequiredMaterial.objects.filter(name__in=MATERIALS):
        material.accepted_types = MATERIALS[material.name]
        material.save(update_fields=["accepted_types"])
    return notice


def filled(user, applicant, notice, files=None):
    """A factory application with every material uploaded through the services (not yet submitted)."""
    application = services.application_create(
        actor=user, applicant=applicant, notice=notice, category="factory", data=FACTORY_DATA
    )
    declare_all(user, application)
    files = files or standard_files()
    for material in notice.categories.get(category="factory").materials.order_by("position", "id"):
        name, content = files[material.name]
        services.material_upload(
            actor=user, application=application, kind=str(material.pk), upload=SimpleUploadedFile(name, content)
        )
    return application


def third_party(tree, application, user):
    """Commission an assessor who accepts and uploads a one-page report: it comes after the notice's materials."""
    assessor = enterprise("晋测绿色评价有限公司", tree.province, kind="assessor")
    assessor_user = member(assessor)
    services.application_update(actor=user, application=application, evaluation_mode="third_party")
    engagement = services.engagement_request(actor=user, application=application, assessor=assessor)
    services.engagement_respond(actor=assessor_user, engagement=engagement, accept=True, lead_assessor="张三")
    services.engagement_report(
        actor=assessor_user, engagement=engagement, score="88.5", upload=pdf("第三方评价报告.pdf", pdf_pages(1, "报告"))
    )
    application.refresh_from_db()
    return assessor


@pytest.fixture
def application(tree, notice):
    user = tree.users["ent"]
    application = filled(user, tree.ent, notice)
    third_party(tree, application, user)
    return application


def outline(reader: PdfReader) -> list[tuple[str, int]]:
    return [(item.title, reader.get_destination_page_number(item)) for item in reader.outline]


def stored(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read()


# ------------------------------------------------------------------------------------------------ merged PDF


def test_bundle_data_lists_current_files_in_the_application_pages_order(tree, notice, application):
    # a re-upload replaces the current version; only the current one is bundled
    photo = notice.categories.get(category="factory").materials.get(name="厂区照片")
    newer = png_bytes((800, 1200))
    services.material_upload(
        actor=tree.users["ent"],
        application=application,
        kind=str(photo.pk),
        upload=SimpleUploadedFile("新照片.png", newer),
    )
    data = application_bundle(application, tree.ent)
    assert [(f.material, f.original_name, f.type) for f in data.files] == [
        ("自评价报告", "自评价报告（终稿）.pdf", "pdf"),
        ("厂区照片", "新照片.png", "png"),
        ("荣誉证书", "证书扫描.jpg", "jpg"),
        ("企业基本情况", "基本情况.docx", "docx"),
        ("能耗统计表", "能耗.xlsx", "xlsx"),
        ("第三方评价报告", "第三方评价报告.pdf", "pdf"),
    ]
    current = MaterialFile.objects.get(application=application, kind=str(photo.pk), is_current=True)
    assert data.files[1].storage_name == current.file.name and data.files[1].size == len(newer)
    assert (
        data.files[1].sha256
        == hashlib.sha256(newer).hexdigest()
        == hashlib.sha256(stored(current.file.name)).hexdigest()
    )
    assert (data.applicant, data.credit_code, data.region) == (
        tree.ent.name,
        tree.ent.credit_code,
        "山西省太原市小店区",
    )
    assert (data.category, data.evaluation, data.assessor) == ("绿色工厂", "第三方评价", "晋测绿色评价有限公司")
    assert data.notice_title == notice.title and data.notice_year == 2024 and data.dated is not None


def test_merged_pdf_has_cover_contents_every_material_and_bookmarks(tree, notice, application):
    progress = []
    data = application_bundle(application, tree.ent)
    content = merged_pdf.render(data, progress=progress.append)
    assert progress[-1] == 1.0 and progress == sorted(progress) and len(progress) == len(data.files) + 1

    reader = PdfReader(io.BytesIO(content))
    material_pages = [3, 1, 1, 1, 1, 1]  # pdf, png, jpg, docx, xlsx, report
    assert len(reader.pages) == 2 + sum(material_pages)
    starts = [3, 6, 7, 8, 9, 10]
    names = ["自评价报告", "厂区照片", "荣誉证书", "企业基本情况", "能耗统计表", "第三方评价报告"]
    assert outline(reader) == [("封面", 0), ("目录", 1)] + [(n, s - 1) for n, s in zip(names, starts, strict=True)]

    with pdfplumber.open(io.BytesIO(content)) as doc:
        cover = "".join(doc.pages[0].extract_text().split())  # the title is letter-spaced
        for text in ("申报材料", tree.ent.name, tree.ent.credit_code, "绿色工厂", "第三方评价", "晋测绿色评价有限公司"):
            assert text in cover, text
        assert re.search(r"日期\d{4}年\d{1,2}月\d{1,2}日", cover)
        assert "".join(notice.title.split()) in cover.replace("申报通知", "")
        lines = doc.pages[1].extract_text().splitlines()
        assert "".join(lines[0].split()) == "目录" and lines[1].split() == ["序号", "材料名称", "原文件名", "起始页"]
        rows = [re.fullmatch(r"(\d+) (\S+) (.+) (\d+)", line).groups() for line in lines[2:] if line[0].isdigit()]
        assert [(name, int(page)) for _n, name, _f, page in rows] == list(zip(names, starts, strict=True))
        assert rows[0][2] == "自评价报告（终稿）.pdf" and rows[5][2] == "第三方评价报告.pdf"
        # the materials' own pages, where the contents says they start
        assert "自评价报告第1页" in doc.pages[2].extract_text() and "自评价报告第3页" in doc.pages[4].extract_text()
        assert "企业基本情况说明" in doc.pages[7].extract_text()
        assert "综合能耗" in doc.pages[8].extract_text()
        assert "报告第1页" in doc.pages[9].extract_text()
        # pictures sit on A4 pages: the wide PNG landscape, the JPG turned upright by its EXIF portrait
        png_page, jpg_page = doc.pages[5], doc.pages[6]
        assert (round(png_page.width), round(png_page.height)) == (842, 595)
        assert (round(jpg_page.width), round(jpg_page.height)) == (595, 842)
        [png_image], [jpg_image] = png_page.images, jpg_page.images
        assert jpg_image["srcsize"] == (600, 900)  # turned: 900×600 stored, EXIF orientation 6
        for image, page in ((png_image, png_page), (jpg_image, jpg_page)):  # inside the 10 mm margin
            assert image["x0"] >= 28 and image["x1"] <= page.width - 28 and image["top"] >= 28
            assert image["bottom"] <= page.height - 28
        assert png_image["x1"] - png_image["x0"] > 700  # scaled to fill the width
    for page in reader.pages[:2]:
        assert round(float(page.mediabox.width)) == 595 and round(float(page.mediabox.height)) == 842


def test_front_pages_embed_cjk_fonts_and_the_cover_renders(tree, notice, application, tmp_path):
    content = merged_pdf.render(application_bundle(application, tree.ent))
    path = tmp_path / "merged.pdf"
    path.write_bytes(content)
    fonts = subprocess.run(["pdffonts", "-l", "2", str(path)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:]]
    assert rows and all("yes" == row[-5] for row in rows), fonts  # emb column
    assert any("CJK" in row[0] for row in rows), fonts
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "2", str(path), str(tmp_path / "p")], check=True)
    pictures = sorted(tmp_path.glob("p-*.png"))
    assert len(pictures) == 2 and all(p.stat().st_size > 3000 for p in pictures)


def request(django_capture_on_commit_callbacks, **kwargs) -> GeneratedDocument:
    """A request through the framework; the render task runs (eagerly) when the request's transaction commits."""
    with django_capture_on_commit_callbacks(execute=True):
        doc = document_request(**kwargs)
    doc.refresh_from_db()
    return doc


def test_through_the_framework_unchanged_inputs_reuse_and_a_new_version_renders_again(
    tree, notice, application, django_capture_on_commit_callbacks
):
    user = tree.users["ent"]
    doc = request(django_capture_on_commit_callbacks, actor=user, kind="application_pdf", owner=application)
    doc.refresh_from_db()
    assert doc.status == "done", doc.error
    assert doc.filename.endswith("申报材料合并PDF.pdf") and doc.content_type == "application/pdf"
    assert len(PdfReader(doc.file.open("rb")).pages) == 10
    assert document_request(actor=user, kind="application_pdf", owner=application).pk == doc.pk

    # the assessor's report is replaced: its sha256 is in the inputs, so the bundle is made again
    engagement = application.engagements.get(status="accepted")
    services.engagement_report(
        actor=member(engagement.assessor),
        engagement=engagement,
        score="90",
        upload=pdf("报告v2.pdf", pdf_pages(2, "新报告")),
    )
    again = request(django_capture_on_commit_callbacks, actor=user, kind="application_pdf", owner=application)
    assert again.pk != doc.pk and again.input_hash != doc.input_hash and again.status == "done"
    reader = PdfReader(again.file.open("rb"))
    assert len(reader.pages) == 11 and outline(reader)[-1] == ("第三方评价报告", 9)


def test_an_unconvertible_material_fails_naming_the_material_and_file(tree, notice, django_capture_on_commit_callbacks):
    files = {**standard_files(), "企业基本情况": ("情况说明.docx", broken_docx())}
    application = filled(tree.users["ent"], tree.ent, notice, files)
    with pytest.raises(merged_pdf.BundleError) as failed:
        merged_pdf.render(application_bundle(application, tree.ent))
    assert "企业基本情况" in str(failed.value) and "情况说明.docx" in str(failed.value)
    # the framework records the same reason
    doc = request(
        django_capture_on_commit_callbacks, actor=tree.users["ent"], kind="application_pdf", owner=application
    )
    assert doc.status == "failed" and "企业基本情况" in doc.error and "情况说明.docx" in doc.error


def locked_pdf(user_password: str, owner_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_pages(2, "加密"))))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_an_owner_locked_pdf_is_merged_and_a_password_protected_one_is_named(tree, notice):
    files = {**standard_files(), "自评价报告": ("限制编辑.pdf", locked_pdf("", "owner-secret"))}
    application = filled(tree.users["ent"], tree.ent, notice, files)
    reader = PdfReader(io.BytesIO(merged_pdf.render(application_bundle(application, tree.ent))))
    assert len(reader.pages) == 2 + 2 + 4 and "加密第2页" in reader.pages[3].extract_text()

    # An upload with an opening password is refused now; one stored before that check is still named here.
    material = notice.categories.get(category="factory").materials.get(name="自评价报告")
    with pytest.raises(ValidationError, match="打开密码"):
        services.material_upload(
            actor=tree.users["ent"],
            application=application,
            kind=str(material.pk),
            upload=SimpleUploadedFile("有密码.pdf", locked_pdf("open-secret", "owner-secret")),
        )
    data = application_bundle(application, tree.ent)
    item = next(f for f in data.files if f.material == "自评价报告")
    item.original_name = "有密码.pdf"
    item.storage_name = default_storage.save("applications/locked.pdf", ContentFile(locked_pdf("open-secret", "o")))
    with pytest.raises(merged_pdf.BundleError, match=r"自评价报告.*有密码\.pdf.*打开密码"):
        merged_pdf.render(data)


def test_a_missing_or_corrupt_file_is_named(tree, notice):
    application = filled(tree.users["ent"], tree.ent, notice)
    data = application_bundle(application, tree.ent)
    default_storage.delete(data.files[2].storage_name)
    with pytest.raises(merged_pdf.BundleError, match=r"荣誉证书.*证书扫描\.jpg.*找不到"):
        merged_pdf.render(data)
    data.files[2].storage_name = default_storage.save("applications/bad.png", ContentFile(b"\x89PNG\r\n\x1a\nbroken"))
    with pytest.raises(merged_pdf.BundleError, match=r"荣誉证书.*图片无法读取"):
        merged_pdf.render(data)


# ------------------------------------------------------------------------------------------------ batch zip


@pytest.fixture
def batch(tree, notice):
    county = tree.users["county"]
    first = filled(tree.users["ent"], tree.ent, notice)
    other = enterprise("小店区/第二..测试:企业", tree.county)  # a name that must not make folders
    other_user = member(other)
    second = filled(other_user, other, notice)
    apps = []
    for application, user in ((first, tree.users["ent"]), (second, other_user)):
        application = transition_perform(actor=user, application=application, action="submit")
        apps.append(recommend(application, county))
    batch = batch_create(actor=county, authority=tree.county, notice=notice, applications=apps)
    batch_scan_upload(actor=county, batch=batch, upload=pdf("推荐文（盖章）.pdf", pdf_pages(1, "盖章")))
    batch.refresh_from_db()
    return batch


def done_document(batch, kind, filename, content: bytes, scope):
    """A finished rendering of the batch's summary table, as the framework leaves it."""
    from django.contrib.contenttypes.models import ContentType

    doc = GeneratedDocument(
        kind=kind,
        owner_type=ContentType.objects.get_for_model(batch),
        owner_id=batch.pk,
        scope=scope,
        input_hash=hashlib.sha256(content + kind.encode()).hexdigest(),
        status="done",
        filename=filename,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    doc.file.save(f"{kind}.bin", ContentFile(content), save=False)
    doc.save()
    return doc


def test_batch_zip_folders_names_flag_manifest_and_identical_files(
    tree, notice, batch, tmp_path, django_capture_on_commit_callbacks
):
    summary = xlsx_bytes([["绿色工厂推荐名单"]])
    done_document(batch, "batch_summary", "小店区工信局（测试）-推荐汇总表.xlsx", summary, tree.county)
    data = batch_bundle(batch, tree.county)
    assert [d.kind for d in data.documents] == ["batch_summary", "scan"]
    assert [(a.rank, a.applicant) for a in data.applications] == [(1, tree.ent.name), (2, "小店区/第二..测试:企业")]

    doc = request(django_capture_on_commit_callbacks, actor=tree.users["county"], kind="batch_zip", owner=batch)
    assert doc.status == "done", doc.error
    archive = zipfile.ZipFile(doc.file.open("rb"))
    files = [f"{n}-{m}.{t}" for n, (m, t) in enumerate(MATERIALS.items(), start=1)]
    first = f"01-{tree.ent.name}-绿色工厂"
    second = "02-小店区_第二.测试_企业-绿色工厂"
    assert archive.namelist() == [
        "00-推荐文及汇总表/小店区工信局（测试）-推荐汇总表.xlsx",
        "00-推荐文及汇总表/盖章扫描件-推荐文（盖章）.pdf",
        *[f"{first}/{f}" for f in files],
        *[f"{second}/{f}" for f in files],
        "清单.txt",
    ]
    assert all(info.flag_bits & batch_zip.UTF8_FLAG for info in archive.infolist())
    assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in archive.infolist())

    # every file is the stored one, byte for byte
    assert archive.read(archive.namelist()[0]) == summary
    assert archive.read(archive.namelist()[1]) == stored(batch.scan.name)
    expected = {}
    for folder, application in ((first, data.applications[0]), (second, data.applications[1])):
        for name, item in zip(files, application.files, strict=True):
            expected[f"{folder}/{name}"] = stored(item.storage_name)
    for name, content in expected.items():
        assert archive.read(name) == content, name

    # 清单.txt: sha256sum's format, one line per file, each sum right
    manifest = archive.read("清单.txt").decode("utf-8")
    lines = [line for line in manifest.splitlines() if line and not line.startswith("#")]
    sums = dict(reversed(line.split("  ", 1)) for line in lines)
    assert set(sums) == set(archive.namelist()) - {"清单.txt"}
    for name, digest in sums.items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest
    assert "原文件名：证书扫描.jpg" in manifest and batch.title in manifest
    if shutil.which("sha256sum"):
        archive.extractall(tmp_path / "out")
        check = subprocess.run(["sha256sum", "-c", "--quiet", "清单.txt"], cwd=tmp_path / "out", capture_output=True)
        assert check.returncode == 0, check.stdout + check.stderr


def test_zip_refuses_a_file_that_changed_in_storage(tree, notice, batch):
    data = batch_bundle(batch, tree.county)
    item = data.applications[1].files[0]
    with default_storage.open(item.storage_name, "wb") as handle:
        handle.write(b"%PDF-1.4 replaced")
    with pytest.raises(batch_zip.ZipBundleError, match=r"第二\.\.测试:企业的材料“自评价报告”.*校验值不符"):
        batch_zip.render(data)


def test_names_are_cleaned_and_made_unique():
    assert batch_zip.clean("../证明\\材料:1*?.pdf") == "_证明_材料_1_.pdf"
    assert batch_zip.clean("a\x00b\tc\nd") == "a_b_c_d"
    assert batch_zip.clean(" .. ") == "未命名" and batch_zip.clean("CON") == "_CON"
    assert len(batch_zip.clean("长" * 300)) == batch_zip.MAX_NAME
    names = batch_zip._Names()
    assert [names.add("01-甲", "1-材料", "pdf") for _ in range(3)] == [
        "01-甲/1-材料.pdf",
        "01-甲/1-材料(2).pdf",
        "01-甲/1-材料(3).pdf",
    ]
    assert names.add("01-甲", "1-材料", "PDF") == "01-甲/1-材料(4).PDF"  # Windows compares names case-blind


def test_an_application_without_files_gets_cover_and_contents_only(tree, notice):
    application = services.application_create(
        actor=tree.users["ent"], applicant=tree.ent, notice=notice, category="factory", data=FACTORY_DATA
    )
    data = application_bundle(application, tree.ent)
    assert data.files == [] and data.dated is None and data.assessor == "自评价"
    reader = PdfReader(io.BytesIO(merged_pdf.render(data)))
    assert len(reader.pages) == 2 and outline(reader) == [("封面", 0), ("目录", 1)]
    assert "未上传任何材料" in reader.pages[1].extract_text()
    assert "第三方评价机构" not in reader.pages[0].extract_text()  # a self-evaluated unit names no assessor
