"""Upload abuse: wrong content behind a right name, oversized files and bodies, zip bombs dressed as docx/xlsx,
hostile names, PDFs with scripts, attachments or passwords. Each is refused with a clear Chinese message, nothing
is stored (no file under MEDIA_ROOT, no row), memory stays bounded; through the real pages and API."""

import json
import tracemalloc
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from applications import services
from applications.models import MaterialFile
from greenmfg.uploads import check_upload, safe_name
from notices import services as notice_services
from tests.application_helpers import PDF_BYTES, add_required_material
from tests.factories import PASSWORD
from tests.notice_helpers import published_notice
from tests.upload_abuse_helpers import (
    MB,
    TRUNCATED_PDF,
    EndlessBody,
    deflated,
    docx,
    js_name_tree,
    js_open_action,
    js_page_action,
    launch_action,
    multipart_head,
    page_objects,
    pdf_hiding_in_object_stream,
    pdf_with_pictures,
    pdf_written,
    png_bytes,
    png_header_only,
    raw_pdf,
    raw_zip,
    rich_media,
    stored,
    stored_files,
    upload,
    wsgi_post,
    xlsx,
    zeros,
)

ALL = ["pdf", "docx", "xlsx", "jpg", "png"]


def refusal(content: bytes, name: str, accepted=ALL, max_bytes=50 * MB) -> str:
    with pytest.raises(ValidationError) as refused:
        check_upload(upload(name, content), accepted=list(accepted), max_bytes=max_bytes)
    return " ".join(refused.value.messages)


# What the content really is


@pytest.mark.parametrize(
    ("name", "content", "accepted", "expected"),
    [
        ("扫描件.pdf", png_bytes(), ["pdf"], "文件“扫描件.pdf”的实际内容是PNG 图片，此处只接受PDF。"),
        ("说明.docx", b"<html><body><script>alert(1)</script></body></html>", ["docx"], "无法识别或已损坏"),
        ("名单.xlsx", raw_zip([stored("a/b.txt", b"x"), stored("random.bin", b"y")]), ["xlsx"], "无法识别或已损坏"),
        ("名单.xlsx", docx(), ["xlsx"], "的实际内容是Word（docx），此处只接受Excel（xlsx）。"),
        ("报告.pdf", TRUNCATED_PDF, ["pdf"], "不完整（缺少文件结尾"),
        ("报告.pdf", b"%PDF-1.7\n" + b"x" * 2000, ["pdf"], "不完整"),
    ],
    ids=["png-as-pdf", "html-as-docx", "zip-as-xlsx", "docx-as-xlsx", "truncated-pdf", "pdf-without-end"],
)
def test_wrong_content_behind_a_right_name_is_refused(name, content, accepted, expected):
    assert expected in refusal(content, name, accepted)


def test_an_empty_file_and_an_oversized_one_are_refused_with_the_size_and_the_limit():
    assert refusal(b"", "空.pdf") == "请选择要上传的文件（文件不能为空）。"
    big = upload("大文件.pdf", PDF_BYTES + b"%" + b"x" * (3 * MB))
    with pytest.raises(ValidationError) as refused:
        check_upload(big, accepted=["pdf"], max_bytes=2 * MB)
    assert refused.value.messages == ["文件“大文件.pdf”大小为3.0 MB，超过上限2 MB。"]


def test_real_files_of_every_kind_pass():
    assert check_upload(upload("a.pdf", PDF_BYTES), accepted=ALL, max_bytes=MB) == "pdf"
    assert check_upload(upload("a.pdf", pdf_written()), accepted=ALL, max_bytes=MB) == "pdf"
    assert check_upload(upload("a.png", png_bytes()), accepted=ALL, max_bytes=MB) == "png"
    assert check_upload(upload("a.xlsx", xlsx([["统一社会信用代码"]])), accepted=ALL, max_bytes=MB) == "xlsx"
    # A chart's workbook embedded in a Word file is an archive inside the archive: allowed there, and checked.
    embedded = deflated("word/embeddings/Microsoft_Excel_Worksheet.xlsx", xlsx([["1"]]))
    assert check_upload(upload("a.docx", docx(embedded)), accepted=ALL, max_bytes=MB) == "docx"
    # An owner-locked PDF opens without a password and merges: accepted.
    locked = pdf_written(lambda w, p: w.encrypt(user_password="", owner_password="owner-only", algorithm="AES-128"))
    assert check_upload(upload("a.pdf", locked), accepted=["pdf"], max_bytes=MB) == "pdf"


def test_a_picture_declaring_more_pixels_than_the_merge_can_decode_is_refused():
    message = refusal(png_header_only(20000, 20000), "照片.png", ["png"])
    assert "图片“照片.png”" in message and "超过上限" in message


# PDFs


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (pdf_written(js_name_tree), "JavaScript 脚本"),
        (pdf_written(js_open_action), "JavaScript 脚本"),
        (pdf_written(js_page_action), "JavaScript 脚本"),
        (pdf_written(launch_action), "启动外部程序的动作"),
        (pdf_written(lambda w, p: w.add_attachment("payload.exe", b"MZ")), "嵌入的附件文件"),
        (pdf_written(rich_media), "多媒体（RichMedia）内容"),
        # The name spelled with #xx escapes, as readers accept it.
        (raw_pdf(*page_objects(b"/OpenAction 4 0 R"), b"<</S/J#61vaScript/J#53(app.alert(1))>>"), "JavaScript 脚本"),
        # Hidden in a compressed object stream: the raw bytes do not show it.
        (pdf_hiding_in_object_stream(b"<</S/JavaScript/JS(app.alert(1))>>"), "JavaScript 脚本"),
        # A file pypdf cannot read at all is scanned byte by byte.
        (b"%PDF-1.4\n1 0 obj<</OpenAction<</S/Launch/F(cmd.exe)>>>>\n%%EOF\n", "启动外部程序的动作"),
    ],
    ids=[
        "names-javascript",
        "openaction-js",
        "page-aa-js",
        "launch",
        "embedded-file",
        "richmedia",
        "hex-escaped-name",
        "object-stream",
        "unreadable-byte-scan",
    ],
)
def test_pdfs_with_scriptslaunch_action_actions_or_attachments_are_refused(content, what):
    message = refusal(content, "报告.pdf", ["pdf"])
    assert message == f"PDF 文件“报告.pdf”含有{what}，出于安全原因不予接受。请用“打印为 PDF”或扫描重新生成后上传。"


def test_the_object_stream_pdf_hides_its_script_from_a_byte_scan():
    content = pdf_hiding_in_object_stream(b"<</S/JavaScript/JS(app.alert(1))>>")
    assert b"JavaScript" not in content and b"/JS" not in content


def test_a_password_protected_pdf_is_refused():
    content = pdf_written(lambda w, p: w.encrypt(user_password="1234", owner_password="owner", algorithm="AES-128"))
    assert refusal(content, "加密.pdf", ["pdf"]) == (
        "PDF 文件“加密.pdf”已加密（设置了打开密码），无法合并到申报材料中。请取消密码后重新上传。"
    )


# Zip bombs dressed as Office files


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        # One member declaring 3 GB.
        ("报告.docx", docx(zeros("word/media/image1.png", 3072)), "解压后超过1024 MB"),
        # Declares 1 MB, inflates to 3 GB: caught while inflating, a chunk past the declaration.
        ("报告.docx", docx(zeros("word/media/image1.png", 3072, declared=MB)), "实际大小超过其声明的大小"),
        # 6000 members.
        (
            "名单.xlsx",
            xlsx((), *[stored(f"xl/m{i}.xml", b"") for i in range(6000)]),
            "包含6009个内部文件，超过上限5000个",
        ),
        # A zip inside, outside the embedded objects' folder.
        ("报告.docx", docx(deflated("word/media/image1.png", raw_zip([stored("x", b"1")]))), "内部嵌套了压缩包"),
        # An archive nested twice, even where embedding is allowed.
        (
            "报告.docx",
            docx(deflated("word/embeddings/a.docx", docx(deflated("word/embeddings/b.zip", docx())))),
            "内部嵌套了压缩包",
        ),
        # 64 MB of zeros in 70 KB: a ratio of about 1000.
        ("名单.xlsx", xlsx((), zeros("xl/sharedStrings2.xml", 64)), "压缩比超过200倍"),
    ],
    ids=["declares-3gb", "lies-about-size", "6000-members", "nested-zip", "nested-twice", "ratio-1000"],
)
def test_zip_bombs_are_refused(name, content, expected):
    message = refusal(content, name)
    assert expected in message and "可能是恶意构造的压缩文件，不予接受" in message


def test_checking_a_bomb_keeps_memory_bounded():
    """Peak memory while checking, measured by tracemalloc: a few chunks, not the gigabytes inside. The first
    bomb passes every declared bound (500 MB, ratio under 200) and is caught only by inflating 500 MB of it."""
    cases = (
        (docx(zeros("word/media/image1.png", 3072, declared=500 * MB)), "实际大小超过其声明的大小"),
        (docx(zeros("word/media/image1.png", 3072)), "解压后超过1024 MB"),
        (xlsx((), *[stored(f"xl/m{i}.xml", b"") for i in range(60000)]), "包含60009个内部文件"),
    )
    for content, expected in cases:
        tracemalloc.start()
        try:
            with pytest.raises(ValidationError) as refused:
                check_upload(upload("报告.docx", content), accepted=["docx", "xlsx"], max_bytes=50 * MB)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert expected in refused.value.messages[0] and peak < 20 * MB, (expected, peak)


def test_checking_a_large_scanned_pdf_keeps_memory_bounded():
    """Every object is walked, one at a time: 40 MB of pictures are not held while the file is checked."""
    big = upload("扫描件.pdf", pdf_with_pictures(40))
    tracemalloc.start()
    try:
        kind = check_upload(big, accepted=["pdf"], max_bytes=100 * MB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert kind == "pdf" and big.size > 40 * MB and peak < 20 * MB, peak


# Names


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\system.ini.pdf", "system.ini.pdf"),
        ("a\x00b.pdf", "ab.pdf"),
        ("报告\r\nSet-Cookie: x=1.pdf", "报告Set-Cookie_ x=1.pdf"),
        ("发票\u202efdp.exe", "发票fdp.exe"),
        ("a\u2028b\u200b.pdf", "a b.pdf"),
        ("CON.pdf", "_CON.pdf"),
        ("lpt1", "_lpt1"),
        ('报告"; filename="evil.exe.pdf', "报告_; filename=_evil.exe.pdf"),
        ("..", "文件"),
        ("", "文件"),
        (" . ", "文件"),
    ],
)
def test_safe_name(raw, clean):
    assert safe_name(raw) == clean


def test_a_very_long_name_is_cut_and_keeps_its_extension():
    name = safe_name("很" * 400 + ".pdf")
    assert len(name) == 120 and name.endswith("很.pdf")


# Through the pages and the API: the application's materials


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")


@pytest.fixture
def app(tree, root, media_tmp):
    """An editable application whose notice asks for a PDF (5 MB at most) and takes any type as a second material."""
    now = timezone.now().replace(microsecond=0)

    def materials(notice):
        add_required_material(root, notice, name="自评价报告", types="pdf", size_mb=5)
        category = notice.categories.get(category="factory")
        notice_services.material_save(
            actor=root, notice_category=category, name="其他材料", required=False, accepted_types=",".join(ALL)
        )

    top = published_notice(
        root, tree.ministry, deadlines=[("authority", now + timedelta(days=60))], before_publish=materials
    )
    prov = published_notice(root, tree.province, forwards=top, deadlines=[("authority", now + timedelta(days=30))])
    city = published_notice(
        root,
        tree.city,
        forwards=prov,
        deadlines=[("authority", now + timedelta(days=20)), ("applicant", now + timedelta(days=5))],
    )
    from tests.application_helpers import FACTORY_DATA

    application = services.application_create(
        actor=tree.users["ent"], applicant=tree.ent, notice=city, category="factory", data=FACTORY_DATA
    )
    kinds = {m.name: str(m.pk) for m in city.categories.get(category="factory").materials.all()}
    return application, kinds


def api_client(user):
    from rest_framework.test import APIClient

    client = APIClient()
    token = client.post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}, format="json")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    return client


BAD_MATERIALS = [
    ("自评价报告", "扫描件.pdf", png_bytes(), "实际内容是PNG 图片"),
    ("自评价报告", "报告.pdf", pdf_written(js_open_action), "含有JavaScript 脚本"),
    ("自评价报告", "报告.pdf", pdf_written(lambda w, p: w.encrypt("1234", algorithm="AES-128")), "已加密"),
    ("自评价报告", "报告.pdf", TRUNCATED_PDF, "不完整"),
    ("自评价报告", "报告.pdf", PDF_BYTES + b"%" + b"x" * (6 * MB), "大小为6.0 MB，超过上限5 MB"),
    ("其他材料", "说明.docx", b"<html><script>alert(1)</script></html>", "无法识别或已损坏"),
    ("其他材料", "说明.docx", docx(zeros("word/media/image1.png", 2048)), "可能是恶意构造的压缩文件"),
    ("其他材料", "说明.docx", docx(zeros("word/document2.xml", 2048, declared=MB)), "实际大小超过其声明"),
    ("其他材料", "说明.xlsx", xlsx((), *[stored(f"xl/m{i}.xml", b"") for i in range(6000)]), "内部文件，超过上限"),
]

BAD_IDS = ["png-as-pdf", "pdf-js", "pdf-password", "pdf-truncated", "too-big", "html-as-docx", "docx-bomb", "docx-lies",
           "xlsx-6000-members"]  # fmt: skip


@pytest.mark.parametrize(("material", "name", "content", "expected"), BAD_MATERIALS, ids=BAD_IDS)
def test_materials_page_refuses_and_stores_nothing(client, tree, app, media_tmp, material, name, content, expected):
    application, kinds = app
    client.force_login(tree.users["ent"])
    url = f"/applications/{application.pk}/materials/{kinds[material]}/upload/"
    response = client.post(url, {"file": upload(name, content)})
    assert response.status_code == 200 and expected in response.content.decode()
    assert not MaterialFile.objects.exists() and stored_files(media_tmp) == []


@pytest.mark.parametrize(("material", "name", "content", "expected"), BAD_MATERIALS, ids=BAD_IDS)
def test_materials_api_refuses_and_stores_nothing(tree, app, media_tmp, material, name, content, expected):
    application, kinds = app
    response = api_client(tree.users["ent"]).post(
        f"/api/v1/applications/{application.pk}/materials/", {"kind": kinds[material], "file": upload(name, content)}
    )
    assert response.status_code == 400 and expected in str(response.json())
    assert not MaterialFile.objects.exists() and stored_files(media_tmp) == []


def test_hostile_names_are_recorded_clean_stored_under_media_and_sent_back_safely(client, tree, app, media_tmp):
    application, kinds = app
    client.force_login(tree.users["ent"])
    url = f"/applications/{application.pk}/materials/{kinds['自评价报告']}/upload/"
    for name in ("CON.pdf", "x" * 300 + ".pdf", "评价\u202efdp.exe"):
        assert client.post(url, {"file": upload(name, PDF_BYTES)}).status_code == 302
    # The service, called with names Django's multipart parser would have cut or stripped already.
    for name in ('报告"; filename="evil.exe.pdf', "a\x00b\r\n\u202e.pdf"):
        services.material_upload(
            actor=tree.users["ent"], application=application, kind=kinds["自评价报告"], upload=upload(name, PDF_BYTES)
        )
    records = list(MaterialFile.objects.order_by("version"))
    assert [r.original_name for r in records] == [
        "_CON.pdf",
        "x" * 116 + ".pdf",
        "评价fdp.exe",
        "报告_; filename=_evil.exe.pdf",
        "ab.pdf",
    ]
    root = media_tmp.resolve()
    for record in records:
        path = (media_tmp / record.file.name).resolve()
        assert path.is_relative_to(root) and path.is_file() and path.name[:-4].isalnum()
        header = client.get(f"/applications/{application.pk}/files/{record.pk}/")["Content-Disposition"]
        assert header.startswith("attachment; filename") and not any(c in header for c in "\r\n\x00\u202e")
        assert header.count('"') in (0, 2)  # one quoted name at most: no second filename= smuggled in


# The request itself: a body past the largest limit is not read, a file past it stops the parse


def test_a_file_growing_past_the_largest_limit_stops_the_upload(client, tree, app, media_tmp, settings, tmp_path):
    settings.UPLOAD_MAX_FILE_BYTES, settings.UPLOAD_MAX_REQUEST_BYTES = 256 * 1024, 4 * MB
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE, settings.FILE_UPLOAD_TEMP_DIR = 64 * 1024, str(tmp_path / "spool")
    (tmp_path / "spool").mkdir()
    application, kinds = app
    client.force_login(tree.users["ent"])
    form = f"/applications/{application.pk}/materials/{kinds['自评价报告']}/upload/"
    big = upload("大报告.pdf", PDF_BYTES + b"%" + b"x" * MB)
    response = client.post(form, {"file": big}, HTTP_REFERER=f"http://testserver{form}", follow=True)
    assert response.redirect_chain == [(f"http://testserver{form}", 303)]
    assert (
        "文件“大报告.pdf”超过系统允许的单个文件上限256 KB（本次提交约1 MB），未保存。请压缩或拆分后重新上传。"
        in response.content.decode()
    )
    big.seek(0)
    refused = api_client(tree.users["ent"]).post(
        f"/api/v1/applications/{application.pk}/materials/", {"kind": kinds["自评价报告"], "file": big}
    )
    assert refused.status_code == 413 and "超过系统允许的单个文件上限256 KB" in refused.json()["detail"]
    big.seek(0)
    plain = client.post(form, {"file": big})  # no Referer to go back to: the refusal is the page
    assert plain.status_code == 413 and "超过系统允许的单个文件上限256 KB" in plain.content.decode()
    assert not MaterialFile.objects.exists() and stored_files(media_tmp) == []
    assert list((tmp_path / "spool").iterdir()) == []  # the partial spool file is gone too


@pytest.mark.parametrize("api", [False, True])
def test_a_body_of_gigabytes_is_refused_unread(client, tree, app, media_tmp, api):
    application, kinds = app
    client.force_login(tree.users["ent"])
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    form = f"/applications/{application.pk}/materials/{kinds['自评价报告']}/upload/"
    path = f"/api/v1/applications/{application.pk}/materials/" if api else form
    body = EndlessBody(multipart_head({"kind": kinds["自评价报告"]}, "file", "报告.pdf"), 3 * 1024 * MB)
    tracemalloc.start()
    try:
        response = wsgi_post(path, body, cookie=cookie, referer="" if api else f"http://testserver{form}")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert body.read_bytes == 0 and peak < 20 * MB
    message = "本次提交的数据约3072 MB，超过系统允许的上限516 MB，未保存任何文件。单个文件不能超过500 MB"
    if api:
        assert response.status_code == 413 and message in json.loads(response.content)["detail"]
    else:
        assert response.status_code == 303 and response["Location"] == f"http://testserver{form}"
        client.cookies.update(response.cookies)  # the message may travel in a cookie
        assert message in client.get(form).content.decode()
    assert not MaterialFile.objects.exists() and stored_files(media_tmp) == []
