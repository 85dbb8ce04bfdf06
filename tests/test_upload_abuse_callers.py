"""Upload abuse at the other entry points: the batch's stamped scan (page and API), a department's consultation
proof, an assessor's filing proof, a notice attachment, the list import and the credit-record import. Each hostile
file is refused with its reason in Chinese; no file reaches MEDIA_ROOT and no row changes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notices import services as notice_services
from tests.upload_abuse_helpers import (
    JS_PDF,
    MB,
    TRUNCATED_PDF,
    deflated,
    docx,
    launch_action,
    pdf_written,
    png_header_only,
    raw_zip,
    stored,
    stored_files,
    upload,
    xlsx,
    zeros,
)

BOMB_XLSX = xlsx((), zeros("xl/worksheets/sheet2.xml", 2048))
LYING_XLSX = xlsx((), zeros("xl/worksheets/sheet2.xml", 2048, declared=MB))


def files_of(root) -> set:
    return set(stored_files(root))


def page_messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")


@pytest.fixture
def chain(tree, root):
    from tests.application_helpers import open_chain

    return open_chain(tree, root)


def test_batch_scan_page_and_api_refuse_and_store_nothing(client, tree, chain, media_tmp):
    from reviews.models import Batch
    from reviews.services.batches import batch_create
    from tests.chain_helpers import recommend, submitted

    app = recommend(submitted(tree, chain), tree.users["county"])
    batch = batch_create(actor=tree.users["county"], authority=tree.county, notice=chain, applications=[app])
    before = files_of(media_tmp)
    client.force_login(tree.users["county"])
    for name, content, expected in (
        ("推荐文.pdf", JS_PDF, "含有JavaScript 脚本"),
        ("推荐文.pdf", pdf_written(lambda w, p: w.encrypt("1234", algorithm="AES-128")), "已加密"),
        ("推荐文.pdf", docx(), "实际内容是Word（docx）"),
    ):
        page = client.post(f"/reviews/batches/{batch.pk}/scan/", {"file": upload(name, content)}, follow=True)
        assert "未能上传：" in page_messages(page) and expected in page_messages(page)
        api = client.post(f"/api/v1/batches/{batch.pk}/scan/", {"file": upload(name, content)})
        assert api.status_code == 400 and expected in str(api.json())
    batch.refresh_from_db()
    assert not batch.scan and batch.scan_name == "" and batch.scan_sha256 == ""
    assert Batch.objects.get().version == batch.version and files_of(media_tmp) == before


def test_consultation_proof_page_refuses_and_stores_nothing(client, tree, chain, media_tmp):
    from reviews.models import ConsultationReply
    from reviews.services.consultations import consultation_send
    from tests.chain_helpers import submitted

    app = submitted(tree, chain)
    consultation = consultation_send(
        actor=tree.users["county"],
        authority=tree.county,
        applications=[app],
        departments=[tree.eco],
        due_on=timezone.localdate() + timedelta(days=3),
    )
    reply = ConsultationReply.objects.get(consultation=consultation)
    before = files_of(media_tmp)
    client.force_login(tree.users["eco"])
    url = f"/reviews/consultations/{consultation.pk}/reply/{reply.pk}/"
    for content, expected in (
        (JS_PDF, "含有JavaScript 脚本"),
        (pdf_written(launch_action), "启动外部程序的动作"),
        (png_header_only(20000, 20000), "超过上限"),
    ):
        data = {"opinion": "objection", "negative_item": "NEG-ENVIRONMENT", "reason": "超标排放被处罚"}
        response = client.post(url, {**data, "proof": upload("罚单.pdf", content)}, follow=True)
        assert expected in response.content.decode()
    reply.refresh_from_db()
    assert reply.opinion == "pending" and not reply.proof and reply.proof_name == ""
    assert files_of(media_tmp) == before


def test_registry_proof_page_refuses_and_stores_nothing(client, tree, media_tmp):
    from tests.registry_helpers import file_with, new_assessor

    assessor, user = new_assessor()
    filing = file_with(user, assessor, tree.province)
    before = files_of(media_tmp)
    client.force_login(user)
    for name, content, expected in (
        ("证书.pdf", JS_PDF, "含有JavaScript 脚本"),
        ("证书.pdf", pdf_written(lambda w, p: w.add_attachment("x.exe", b"MZ")), "嵌入的附件文件"),
        ("证书.pdf", TRUNCATED_PDF, "不完整"),
    ):
        response = client.post(
            f"/assessors/filings/{filing.pk}/proofs/", {"kind": "other", "file": upload(name, content)}
        )
        assert response.status_code == 200 and expected in response.content.decode()
    assert filing.proofs.count() == 1 and files_of(media_tmp) == before


def test_notice_attachment_page_refuses_and_stores_nothing(client, tree, media_tmp):
    from notices.models import NoticeAttachment

    notice = notice_services.notice_create(
        actor=tree.users["province"], issuer=tree.province, year=2025, title="通知", list_level="province",
        categories=("factory",),
    )  # fmt: skip
    client.force_login(tree.users["province"])
    for name, content, expected in (
        ("附件.docx", docx(zeros("word/media/image1.png", 2048)), "解压后超过1024 MB"),
        ("附件.docx", docx(deflated("word/media/a.png", raw_zip([stored("x", b"1")]))), "内部嵌套了压缩包"),
        ("附件.pdf", JS_PDF, "含有JavaScript 脚本"),
        ("附件.xlsx", b"<html></html>", "无法识别或已损坏"),
    ):
        response = client.post(f"/notices/{notice.pk}/attachments/new/", {"file": upload(name, content), "name": ""})
        assert response.status_code == 200 and expected in response.content.decode()
    assert not NoticeAttachment.objects.exists() and stored_files(media_tmp) == []


def test_list_import_page_refuses_bombs_and_wrong_content(client, tree, media_tmp):
    from listings.models import ListingImport

    client.force_login(tree.users["city"])
    for content, expected in (
        (BOMB_XLSX, "可能是恶意构造的压缩文件"),
        (LYING_XLSX, "实际大小超过其声明的大小"),
        (docx(), "实际内容是Word（docx），此处只接受Excel（xlsx）"),
        (raw_zip([stored("../../evil.sh", b"rm -rf /")]), "无法识别或已损坏"),
    ):
        response = client.post("/listings/import/", {"file": upload("名单.xlsx", content)})
        assert response.status_code == 400 and expected in response.content.decode()
    assert not ListingImport.objects.exists() and stored_files(media_tmp) == []


def test_credit_import_page_refuses_bombs(client, tree, root, media_tmp):
    from eligibility.models import ImportBatch

    client.force_login(root)
    for content, expected in ((BOMB_XLSX, "可能是恶意构造的压缩文件"), (LYING_XLSX, "实际大小超过其声明的大小")):
        response = client.post(
            "/eligibility/imports/new/", {"kind": "dishonest", "file": upload("失信名单.xlsx", content), "source": ""}
        )
        assert expected in response.content.decode()
    assert not ImportBatch.objects.exists()
