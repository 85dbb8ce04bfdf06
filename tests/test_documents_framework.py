"""The documents framework: request → Celery render → GeneratedDocument; no re-render of unchanged inputs; gapless
发文字号; failure recorded and shown; the same visibility for pages, API and downloads; constant query counts."""

import io

import openpyxl
import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activity.models import AuditEvent
from applications import services as app_services
from documents.models import DocumentNumber, GeneratedDocument, LetterTemplate
from documents.services import document_request
from reviews.services.batches import batch_create, batch_items_set, batch_scan_upload, batch_submit
from tests.application_helpers import open_chain, pdf
from tests.test_batch_services import recommended_apps

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")


@pytest.fixture
def notice(tree, root):
    return open_chain(tree, root)


@pytest.fixture
def batch(tree, notice):
    apps = recommended_apps(tree, notice, 2)
    return batch_create(actor=tree.users["county"], authority=tree.county, notice=notice, applications=apps)


def on_commit():
    """The test transaction never commits: run the on_commit render as the request returns."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def post_new(client, user, **data):
    client.force_login(user)
    with on_commit():
        return client.post(reverse("document-new"), data)


def request_doc(**kwargs):
    with on_commit():
        return document_request(**kwargs)


def test_a_page_request_renders_once_and_serves_the_file(client, tree, batch):
    user = tree.users["county"]
    page = f"/reviews/batches/{batch.pk}/"
    client.force_login(user)
    before = client.get(page).content.decode()
    assert "推荐汇总表" in before and "尚未生成" in before and "尚未生成推荐汇总表和推荐文" in before

    response = post_new(client, user, kind="batch_summary", owner=batch.pk, next=page)
    assert response.status_code == 302 and response["Location"] == page
    doc = GeneratedDocument.objects.get(kind="batch_summary")
    assert doc.status == "done" and doc.scope == tree.county and doc.created_by == user and doc.progress == 100
    assert doc.filename.endswith("推荐汇总表.xlsx") and doc.size == doc.file.size

    download = client.get(reverse("document-download", args=[doc.pk]))
    body = b"".join(download.streaming_content)
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(body)).worksheets[0]
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert "县级工业和信息化主管部门推荐汇总表" in cells
    assert any(str(c).startswith("推荐单位") and tree.county.name in str(c) for c in cells)

    # Nothing changed: the same document, no second render, no second audit event.
    again = post_new(client, user, kind="batch_summary", owner=batch.pk, next=page)
    assert again.status_code == 302 and GeneratedDocument.objects.filter(kind="batch_summary").count() == 1
    assert AuditEvent.objects.filter(verb="document.request").count() == 1

    # The order changed: a new rendering with another input hash; the page shows the new one.
    items = list(batch.items.order_by("rank").values_list("application_id", flat=True))
    batch_items_set(actor=user, batch=batch, applications=list(reversed(items)))
    post_new(client, user, kind="batch_summary", owner=batch.pk, next=page)
    docs = list(GeneratedDocument.objects.filter(kind="batch_summary").order_by("id"))
    assert len(docs) == 2 and docs[0].input_hash != docs[1].input_hash and docs[1].status == "done"
    after = client.get(page).content.decode()
    assert reverse("document-download", args=[docs[1].pk]) in after


def test_htmx_request_returns_the_row_and_polling_shows_progress_then_the_link(client, tree, batch):
    client.force_login(tree.users["county"])
    with on_commit():
        row = client.post(
            reverse("document-new"), {"kind": "batch_summary", "owner": batch.pk}, HTTP_HX_REQUEST="true"
        ).content.decode()
    doc = GeneratedDocument.objects.get()
    # The row comes back at once, queued, polling itself; the render runs after the request's commit.
    assert row.lstrip().startswith("<tr") and "排队中" in row and 'hx-trigger="every 2s"' in row
    assert f'hx-get="/documents/{doc.pk}/row/"' in row and "disabled" in row
    polled = client.get(reverse("document-row", args=[doc.pk])).content.decode()
    assert reverse("document-download", args=[doc.pk]) in polled and "hx-trigger" not in polled
    # A render still under way shows its progress.
    GeneratedDocument.objects.filter(pk=doc.pk).update(status="running", progress=40)
    polled = client.get(reverse("document-row", args=[doc.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in polled and 'value="40"' in polled and "生成中" in polled


def test_letter_numbers_run_without_gaps_per_authority_and_year(tree, notice, batch):
    user = tree.users["county"]
    LetterTemplate.objects.create(
        authority=tree.county,
        kind="recommend",
        mark="小店区工业和信息化局文件",
        code_prefix="小工信函",
        title="关于推荐{年度}年度绿色制造名单的报告",
        body="现推荐{推荐总数}家。",
    )
    first = request_doc(actor=user, kind="batch_letter_pdf", owner=batch)
    request_doc(actor=user, kind="batch_letter_docx", owner=batch)  # the same letter keeps its number
    second_batch = batch_create(
        actor=user, authority=tree.county, notice=notice, applications=recommended_apps_extra(tree, notice)
    )
    request_doc(actor=user, kind="batch_letter_pdf", owner=second_batch)
    request_doc(actor=user, kind="batch_letter_pdf", owner=batch)  # re-requested: still number 1
    numbers = list(DocumentNumber.objects.filter(authority=tree.county).order_by("number"))
    assert [(n.number, n.owner_id) for n in numbers] == [(1, batch.pk), (2, second_batch.pk)]
    assert numbers[0].text == f"小工信函〔{numbers[0].year}〕1号"
    first.refresh_from_db()
    assert first.status == "done", first.error
    # The city's sequence is its own.
    city_batch = lift_city(tree, notice, batch)
    request_doc(actor=tree.users["city"], kind="batch_letter_pdf", owner=city_batch)
    assert DocumentNumber.objects.get(authority=tree.city).number == 1


def lift_city(tree, notice, county_batch):
    from tests.chain_helpers import recommend

    batch_scan_upload(actor=tree.users["county"], batch=county_batch, upload=pdf("推荐文（盖章）.pdf"))
    batch_submit(actor=tree.users["county"], batch=county_batch)
    apps = [recommend(item.application, tree.users["city"]) for item in county_batch.items.all()]
    return batch_create(actor=tree.users["city"], authority=tree.city, notice=notice, applications=apps)


def recommended_apps_extra(tree, notice):
    from tests.chain_helpers import recommend, submitted
    from tests.factories import enterprise, member

    applicant = enterprise("小店第二批测试企业有限公司", tree.county)
    return [recommend(submitted(tree, notice, applicant=applicant, user=member(applicant)), tree.users["county"])]


def test_a_failed_render_is_recorded_with_its_reason_and_shown(client, tree, notice):
    ent_user = tree.users["ent"]
    application = app_services.application_create(
        actor=ent_user, applicant=tree.ent, notice=notice, category="factory", data={}
    )
    material = notice.categories.get(category="factory").materials.get()
    material.accepted_types = "pdf,docx"
    material.save()
    # A docx that LibreOffice cannot read, behind a valid docx container (content check passes, conversion fails).
    broken = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "not xml at all")
    from django.core.files.uploadedfile import SimpleUploadedFile

    app_services.material_upload(
        actor=ent_user,
        application=application,
        kind=str(material.pk),
        upload=SimpleUploadedFile("自评价报告.docx", broken.getvalue()),
    )
    doc = request_doc(actor=ent_user, kind="application_pdf", owner=application)
    doc.refresh_from_db()
    assert doc.status == "failed" and "自评价报告" in doc.error and not doc.file
    assert AuditEvent.objects.filter(verb="document.fail", target_id=str(doc.pk)).exists()
    client.force_login(ent_user)
    page = client.get(f"/applications/{application.pk}/").content.decode()
    assert "生成失败" in page and "自评价报告" in page
    assert client.get(reverse("document-download", args=[doc.pk])).status_code == 404


def test_another_county_sees_nothing_anywhere(client, tree, batch):
    doc = request_doc(actor=tree.users["county"], kind="batch_summary", owner=batch)
    outsider = tree.users["other_county"]
    client.force_login(outsider)
    assert client.get(reverse("document-download", args=[doc.pk])).status_code == 404
    assert client.get(reverse("document-detail", args=[doc.pk])).status_code == 404
    assert client.get(reverse("document-row", args=[doc.pk])).status_code == 404
    assert post_new(client, outsider, kind="batch_summary", owner=batch.pk).status_code == 404
    assert client.get(f"/api/v1/documents/{doc.pk}/").status_code == 404
    assert client.get(f"/api/v1/documents/{doc.pk}/download/").status_code == 404
    assert client.get("/api/v1/documents/").json()["count"] == 0
    created = client.post(
        "/api/v1/documents/", {"kind": "batch_summary", "owner_id": batch.pk}, content_type="application/json"
    )
    assert created.status_code == 404
    # The recipient city does not see a draft batch or its documents either; it does once the batch is sent.
    client.force_login(tree.users["city"])
    assert client.get(reverse("document-download", args=[doc.pk])).status_code == 404


def test_the_api_requests_reads_and_downloads(client, tree, batch):
    client.force_login(tree.users["county"])
    with on_commit():
        created = client.post(
            "/api/v1/documents/", {"kind": "batch_summary", "owner_id": batch.pk}, content_type="application/json"
        )
    assert created.status_code == 202, created.json()
    body = created.json()
    assert body["kind_label"] == "推荐汇总表" and body["scope"] == tree.county.name
    read = client.get(f"/api/v1/documents/{body['id']}/").json()
    assert read["status"] == "done" and read["download_url"] == f"/api/v1/documents/{body['id']}/download/"
    file = client.get(read["download_url"])
    assert b"".join(file.streaming_content)[:2] == b"PK"
    again = client.post(
        "/api/v1/documents/", {"kind": "batch_summary", "owner_id": batch.pk}, content_type="application/json"
    )
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    refused = client.post(
        "/api/v1/documents/", {"kind": "notice_summary", "owner_id": batch.notice_id}, content_type="application/json"
    )
    assert refused.status_code == 400 and "scope_id" in refused.json()


def test_a_department_may_not_render_the_authoritys_letter(client, tree, batch):
    client.force_login(tree.users["eco"])
    assert post_new(client, tree.users["eco"], kind="batch_letter_pdf", owner=batch.pk).status_code == 404


def test_letter_template_form_checks_placeholders_and_is_audited(client, tree):
    client.force_login(tree.users["city"])
    url = reverse("letter-template-edit", args=[tree.city.pk, "recommend"])
    form = client.get(url).content.decode()
    assert "{推荐总数}" in form and "太原市工信局（测试）文件" in form
    data = {
        "mark": "太原市工业和信息化局文件",
        "code_prefix": "并工信函",
        "signer": "张三",
        "title": "关于推荐{年度}年度绿色制造名单的报告",
        "body": "现推荐{推荐数量}家单位。",
        "signature": "",
        "contact": "李四",
        "phone": "0351-4030682",
        "cc": "市生态环境局",
        "printer": "",
    }
    bad = client.post(url, data).content.decode()
    assert "不认识的占位符：{推荐数量}" in bad and not LetterTemplate.objects.exists()
    bad_prefix = client.post(url, {**data, "body": "现推荐{推荐总数}家。", "code_prefix": "并工信函〔2024〕"})
    assert "年份和序号由系统编排" in bad_prefix.content.decode()
    ok = client.post(url, {**data, "body": "现推荐{推荐总数}家。"})
    assert "已保存" in ok.content.decode()
    saved = LetterTemplate.objects.get(authority=tree.city, kind="recommend")
    assert saved.code_prefix == "并工信函" and saved.updated_by == tree.users["city"]
    assert AuditEvent.objects.filter(verb="letter_template.update", organization=tree.city).exists()
    client.force_login(tree.users["county"])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("path", ["/documents/", "/api/v1/documents/"])
def test_document_lists_keep_a_constant_query_count(client, tree, notice, batch, path):
    from django.contrib.contenttypes.models import ContentType

    user = tree.users["county"]
    client.force_login(user)
    ct = ContentType.objects.get_for_model(batch)

    def make(n):
        GeneratedDocument.objects.all().delete()
        for i in range(n):
            GeneratedDocument.objects.create(
                kind="batch_summary",
                owner_type=ct,
                owner_id=batch.pk,
                scope=tree.county,
                input_hash=f"{i:064d}",
                status="done",
                filename=f"f{i}.xlsx",
                created_by=user,
            )
        client.get(path)  # counted warm: who the user is a member of is kept between requests
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200
        return len(queries)

    one, twenty = make(1), make(20)
    assert one == twenty


def test_the_public_reads_a_published_publicity_list_but_not_a_draft(client, tree, notice):
    from reviews.services import publicity as publicity_services
    from tests.chain_helpers import submitted
    from tests.test_documents_publicity import to_ministry
    from tests.test_publicity import make_publicity

    publicity = make_publicity(tree, notice, [to_ministry(tree, notice, submitted(tree, notice))])
    doc = request_doc(actor=tree.users["ministry"], kind="publicity_pdf", owner=publicity)
    doc.refresh_from_db()
    assert doc.status == "done"
    client.logout()
    assert client.get(reverse("document-download", args=[doc.pk])).status_code == 404  # a draft is nobody's business
    assert client.get(f"/publicity/{publicity.pk}/").status_code == 404
    publicity_services.publicity_publish(actor=tree.users["ministry"], publicity=publicity)
    page = client.get(f"/publicity/{publicity.pk}/").content.decode()
    assert reverse("document-download", args=[doc.pk]) in page
    assert (
        reverse("document-new") not in page and "重新生成" not in page and "公示名单（网页）" not in page
    )  # done files only
    download = client.get(reverse("document-download", args=[doc.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content)[:5] == b"%PDF-"
    # Anonymous visitors cannot ask for renders.
    assert client.post(reverse("document-new"), {"kind": "publicity_pdf", "owner": publicity.pk}).status_code in (
        302,
        404,
    )


def test_storage_errors_are_retried_then_recorded(tree, batch, settings, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(blocker)}},
    }
    doc = request_doc(actor=tree.users["county"], kind="batch_summary", owner=batch)
    doc.refresh_from_db()
    assert doc.status == "failed", (doc.attempts, doc.error)
    assert doc.error.startswith("多次重试后仍无法生成")
    assert doc.attempts == 4 and not doc.file  # the first try and three retries


def test_one_owners_documents_are_exactly_what_the_general_rule_gives_for_it(tree, notice, batch):
    """documents_of (the panel's narrow read) against documents_visible_to filtered to the owner, for every user
    of the tree and each kind of owner: the same rows."""
    from django.contrib.contenttypes.models import ContentType

    from documents.selectors import documents_of, documents_visible_to

    application = batch.items.first().application
    docs = [
        request_doc(actor=tree.users["county"], kind="batch_summary", owner=batch),
        request_doc(actor=tree.users["ent"], kind="application_pdf", owner=application),
    ]
    assert all(d.pk for d in docs)
    owners = [batch, application, notice]
    seen_any = set()
    for user in tree.users.values():
        for owner in owners:
            ct = ContentType.objects.get_for_model(owner)
            general = set(
                documents_visible_to(user).filter(owner_type=ct, owner_id=owner.pk).values_list("pk", flat=True)
            )
            assert set(documents_of(user, owner).values_list("pk", flat=True)) == general, (user, owner)
            seen_any |= general
    assert seen_any == {d.pk for d in docs}  # each document seen by someone, hidden from others above


def test_an_application_found_in_the_request_is_not_asked_for_again_and_its_rows_are_the_same(rf, tree, batch):
    """The application page found its application through the visibility rule; the documents panel reuses that
    answer (no second grant subquery) and gives the rows the rule gives. A user who may not see it never gets
    the shortcut: application_for answers 404 and the panel's read keeps the rule."""
    from django.http import Http404

    from applications.selectors import application_for, seen_key
    from documents.selectors import documents_of, documents_visible_to
    from greenmfg.request_memo import RequestMemoMiddleware, known

    application = batch.items.first().application
    doc = request_doc(actor=tree.users["ent"], kind="application_pdf", owner=application)
    results = {}
    for name, user in tree.users.items():

        def view(request, user=user, name=name):
            try:
                found = application_for(user, application.pk)
            except Http404:
                found = application
            with CaptureQueriesContext(connection) as ctx:
                rows = set(documents_of(user, found).values_list("pk", flat=True))
            grants = sum("guardian_" in q["sql"] for q in ctx.captured_queries)
            general = set(documents_visible_to(user).values_list("pk", flat=True)) & {doc.pk}
            results[name] = (rows, grants, general, known(seen_key(user, application)))

        RequestMemoMiddleware(view)(rf.get("/"))
    for name, (rows, _grants, general, _found) in results.items():
        assert rows == general, name
    seen = {name for name, (rows, *_rest) in results.items() if rows == {doc.pk}}
    assert {"ent", "county"} <= seen and "other_county" not in seen
    assert {name for name, (*_rest, found) in results.items() if found} == seen
    assert all(results[name][1] == 0 for name in seen)  # asked once, by application_for


def test_a_grant_taken_back_inside_the_request_is_asked_for_again(rf, tree, batch):
    from guardian.shortcuts import remove_perm

    from applications.selectors import application_for, seen_key
    from applications.services import grant_view
    from greenmfg.request_memo import RequestMemoMiddleware, known

    application = batch.items.first().application
    grant_view(application, tree.city)  # as if the city had received it
    user = tree.users["city"]
    seen = {}

    def view(request):
        application_for(user, application.pk)
        seen["before"] = known(seen_key(user, application))
        remove_perm("applications.view_application", tree.city.group, application)
        seen["after"] = known(seen_key(user, application))

    RequestMemoMiddleware(view)(rf.get("/"))
    assert seen == {"before": True, "after": False}
