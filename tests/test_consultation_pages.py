"""Consultation pages and API: the round through the web, only one's own column, 404 for outsiders, query counts."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from reviews.models import Consultation, ConsultationReply
from reviews.services.consultations import consultation_send
from tests.application_helpers import PDF_BYTES, open_chain, pdf
from tests.chain_helpers import submitted
from tests.factories import department, enterprise, member


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
def sent(tree, notice, emergency):
    app = submitted(tree, notice)
    consultation = consultation_send(
        actor=tree.users["county"],
        authority=tree.county,
        applications=[app],
        departments=[tree.eco, emergency],
        due_on=timezone.localdate() + timedelta(days=3),
    )
    return consultation, app


def reply_of(consultation, app, dept):
    return ConsultationReply.objects.get(consultation=consultation, application=app, department=dept)


def test_send_reply_and_matrix_through_the_pages(client, tree, notice, emergency):
    app = submitted(tree, notice)
    client.force_login(tree.users["county"])
    page = client.get(f"/reviews/consultations/new/?applications={app.pk}").content.decode()
    assert tree.ent.name in page and tree.eco.name in page and emergency.name in page
    assert page.count('name="departments"') == 2 and page.count("checked") >= 3  # all departments pre-checked
    due = (timezone.localdate() + timedelta(days=5)).isoformat()
    response = client.post(
        "/reviews/consultations/new/",
        {"applications": [app.pk], "departments": [tree.eco.pk, emergency.pk], "due_on": due, "message": "请反馈"},
    )
    consultation = Consultation.objects.get()
    assert response.url == f"/reviews/consultations/{consultation.pk}/"
    assert consultation.replies.count() == 2

    # The ecology department answers with an objection and a proof.
    client.force_login(tree.users["eco"])
    reply = reply_of(consultation, app, tree.eco)
    page = client.get(f"/reviews/consultations/{consultation.pk}/").content.decode()
    assert tree.eco.name in page and emergency.name not in page  # its own column only
    assert f'action="/reviews/consultations/{consultation.pk}/reply/{reply.pk}/"' in page
    client.post(
        f"/reviews/consultations/{consultation.pk}/reply/{reply.pk}/",
        {
            "opinion": "objection",
            "negative_item": "NEG-ENVIRONMENT",
            "reason": "超标排放被处罚",
            "proof": pdf("罚单.pdf"),
        },
    )
    reply.refresh_from_db()
    assert (reply.opinion, reply.proof_name) == ("objection", "罚单.pdf")
    # Not the emergency department's reply: 404.
    other = reply_of(consultation, app, emergency)
    response = client.post(f"/reviews/consultations/{consultation.pk}/reply/{other.pk}/", {"opinion": "objection"})
    assert response.status_code == 404 and reply_of(consultation, app, emergency).opinion == "pending"

    # The authority sees the matrix with both columns, the objection and the proof link.
    client.force_login(tree.users["county"])
    page = client.get(f"/reviews/consultations/{consultation.pk}/").content.decode()
    assert tree.eco.name in page and emergency.name in page and "超标排放被处罚" in page and "待反馈" in page
    proof_url = f"/reviews/consultations/{consultation.pk}/proof/{reply.pk}/"
    assert proof_url in page
    download = client.get(proof_url)
    assert b"".join(download.streaming_content) == PDF_BYTES
    assert download["Content-Type"] == "application/pdf"
    assert "记录逾期原因" not in page  # not before the due date

    # After the due date the authority records why emergency did not answer.
    Consultation.objects.filter(pk=consultation.pk).update(due_on=timezone.localdate() - timedelta(days=1))
    page = client.get(f"/reviews/consultations/{consultation.pk}/").content.decode()
    assert "记录逾期原因" in page and "已逾期" in page
    client.post(f"/reviews/consultations/{consultation.pk}/waive/{other.pk}/", {"reason": "电话催办未果"})
    assert reply_of(consultation, app, emergency).waived_reason == "电话催办未果"

    listing = client.get("/reviews/consultations/").content.decode()
    assert "已反馈 1/2" in listing and "1 项" in listing


def test_a_fake_pdf_through_the_page_is_refused(client, tree, sent, media_tmp):
    consultation, app = sent
    reply = reply_of(consultation, app, tree.eco)
    client.force_login(tree.users["eco"])
    fake = pdf("假的.pdf", content=b"GIF89a not a pdf at all")
    response = client.post(
        f"/reviews/consultations/{consultation.pk}/reply/{reply.pk}/",
        {"opinion": "objection", "reason": "事故", "proof": fake},
        follow=True,
    )
    assert "无法识别或已损坏" in response.content.decode()
    reply.refresh_from_db()
    assert reply.opinion == "pending" and not reply.proof
    assert not (media_tmp / "consultations").exists()


def test_another_countys_department_gets_404_everywhere(client, tree, sent):
    consultation, app = sent
    reply = reply_of(consultation, app, tree.eco)
    reply.proof.save("p.pdf", pdf(), save=True)
    other_dept = member(tree.other_eco)
    for user in (other_dept, tree.users["other_county"], tree.users["ent"]):
        client.force_login(user)
        for url in (
            f"/reviews/consultations/{consultation.pk}/",
            f"/reviews/consultations/{consultation.pk}/proof/{reply.pk}/",
        ):
            assert client.get(url).status_code == 404
        assert client.post(f"/reviews/consultations/{consultation.pk}/reply/{reply.pk}/", {}).status_code == 404
        assert client.post(f"/reviews/consultations/{consultation.pk}/waive/{reply.pk}/", {}).status_code == 404
        listing = client.get("/reviews/consultations/").content.decode()
        assert f'href="/reviews/consultations/{consultation.pk}/"' not in listing and 'class="empty"' in listing
        api = APIClient()
        api.force_authenticate(user)
        assert api.get(f"/api/v1/consultations/{consultation.pk}/").status_code == 404
        assert api.get("/api/v1/consultations/").json()["count"] == 0
        body = {"application": app.pk, "opinion": "no_objection"}
        assert api.post(f"/api/v1/consultations/{consultation.pk}/replies/", body, format="json").status_code == 404
        body = {"application": app.pk, "department": tree.eco.pk, "reason": "x"}
        assert api.post(f"/api/v1/consultations/{consultation.pk}/waive/", body, format="json").status_code == 404
    # The emergency department cannot fetch the ecology department's proof either.
    client.force_login(tree.users["emergency"])
    assert client.get(f"/reviews/consultations/{consultation.pk}/proof/{reply.pk}/").status_code == 404
    assert client.get(f"/reviews/consultations/{consultation.pk}/").status_code == 200
    # Nor can a department open the authority's "new" page.
    assert client.get("/reviews/consultations/new/").status_code == 404
    assert ConsultationReply.objects.filter(opinion="pending").count() == 2


def test_api_round(tree, sent, emergency):
    consultation, app = sent
    eco = APIClient()
    eco.force_authenticate(tree.users["eco"])
    detail = eco.get(f"/api/v1/consultations/{consultation.pk}/").json()
    assert [r["department"]["id"] for r in detail["replies_list"]] == [tree.eco.pk]  # its own only
    response = eco.post(
        f"/api/v1/consultations/{consultation.pk}/replies/",
        {"application": app.pk, "opinion": "objection", "reason": "", "proof": pdf()},
        format="multipart",
    )
    assert response.status_code == 400 and "请说明理由" in response.json()["reason"][0]
    response = eco.post(
        f"/api/v1/consultations/{consultation.pk}/replies/",
        {"application": app.pk, "opinion": "objection", "reason": "废气超标", "proof": pdf("证明.pdf")},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["negative_item"] == "NEG-ENVIRONMENT" and body["proof_name"] == "证明.pdf" and not body["late"]
    assert body["proof_url"] == f"/reviews/consultations/{consultation.pk}/proof/{body['id']}/"

    county = APIClient()
    county.force_authenticate(tree.users["county"])
    body = county.get(f"/api/v1/consultations/{consultation.pk}/").json()
    assert (body["answered"], body["replies"], body["objections"], body["overdue"]) == (1, 2, 1, False)
    assert len(body["replies_list"]) == 2
    # The authority is not a department of it: 403.
    response = county.post(
        f"/api/v1/consultations/{consultation.pk}/replies/",
        {"application": app.pk, "opinion": "no_objection"},
        format="json",
    )
    assert response.status_code == 403
    waive = {"application": app.pk, "department": emergency.pk, "reason": "未反馈"}
    response = county.post(f"/api/v1/consultations/{consultation.pk}/waive/", waive, format="json")
    assert response.status_code == 400 and "截止日之后" in response.json()["detail"]
    Consultation.objects.filter(pk=consultation.pk).update(due_on=timezone.localdate() - timedelta(days=1))
    response = county.post(f"/api/v1/consultations/{consultation.pk}/waive/", waive, format="json")
    assert response.status_code == 200 and response.json()["waived_reason"] == "未反馈"


def test_api_send(tree, notice, emergency):
    app = submitted(tree, notice)
    county = APIClient()
    county.force_authenticate(tree.users["county"])
    payload = {"applications": [app.pk], "departments": [tree.eco.pk], "due": "2000-01-01"}
    response = county.post("/api/v1/consultations/", payload, format="json")
    assert response.status_code == 400 and "不能早于今天" in response.json()["due"][0]
    payload["due"] = (timezone.localdate() + timedelta(days=2)).isoformat()
    response = county.post("/api/v1/consultations/", payload, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["replies"] == 1 and body["replies_list"][0]["opinion"] == "pending"
    other = APIClient()
    other.force_authenticate(tree.users["other_county"])
    assert other.post("/api/v1/consultations/", payload, format="json").status_code == 400  # not visible
    assert Consultation.objects.count() == 1


# ------------------------------------------------------------------------------------------------ query counts


def consultations(tree, notice, emergency, start, stop):
    for i in range(start, stop):
        ent = enterprise(f"计数企业{i:02d}有限公司", tree.county)
        app = submitted(tree, notice, applicant=ent, user=member(ent))
        consultation_send(
            actor=tree.users["county"],
            authority=tree.county,
            applications=[app],
            departments=[tree.eco, emergency],
            due_on=timezone.localdate() + timedelta(days=1),
        )


def measure(client, url) -> tuple[int, str]:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


@pytest.mark.parametrize("who", ["county", "eco"])
def test_list_page_and_endpoint_queries_do_not_grow(client, tree, notice, emergency, who):
    client.force_login(tree.users[who])
    row = re.compile(r'<a href="/reviews/consultations/\d+/">')
    consultations(tree, notice, emergency, 0, 1)
    one, page = measure(client, "/reviews/consultations/")
    api_one, body = measure(client, "/api/v1/consultations/")
    assert len(row.findall(page)) == 1 and '"count":1' in body
    consultations(tree, notice, emergency, 1, 20)
    twenty, page = measure(client, "/reviews/consultations/")
    api_twenty, body = measure(client, "/api/v1/consultations/")
    assert len(row.findall(page)) == 20 and '"count":20' in body
    assert ("已反馈 0/2" if who == "county" else "本部门待反馈") in page
    assert (one, api_one) == (twenty, api_twenty)


def test_an_id_beyond_the_database_range_is_a_400(tree, sent, emergency):
    """SQLite stops at 2**63 - 1: a larger department or application id in a waive or a reply used to end in a 500."""
    consultation, app = sent
    county = APIClient()
    county.force_authenticate(tree.users["county"])
    waive = {"application": app.pk, "department": 2**121, "reason": "未反馈"}
    response = county.post(f"/api/v1/consultations/{consultation.pk}/waive/", waive, format="json")
    assert response.status_code == 400 and "9223372036854775807" in response.json()["department"][0]
    eco = APIClient()
    eco.force_authenticate(tree.users["eco"])
    reply = {"application": 2**70, "opinion": "no_objection"}
    response = eco.post(f"/api/v1/consultations/{consultation.pk}/replies/", reply, format="json")
    assert response.status_code == 400 and "9223372036854775807" in response.json()["application"][0]
    assert set(ConsultationReply.objects.filter(consultation=consultation).values_list("opinion", flat=True)) == {
        ConsultationReply.Opinion.PENDING
    }
    assert not ConsultationReply.objects.filter(consultation=consultation).exclude(waived_reason="").exists()
