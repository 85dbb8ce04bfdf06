"""Recommendation batches through the REST API and the pages: county → city, visibility, refusals, query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import Application, State
from notices.models import Deadline
from notices.services import quota_set
from reviews.models import Batch
from reviews.services.batches import DOCUMENTS_PENDING, batch_create
from tests.application_helpers import PDF_BYTES, open_chain, pdf
from tests.test_batch_services import ready_batch, recommended_apps


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")


@pytest.fixture
def notice(tree, root):
    return open_chain(tree, root)


def api(client, user):
    client.force_login(user)
    return client


def test_county_to_city_through_the_api(client, tree, notice):
    apps = recommended_apps(tree, notice, 2)
    c = api(client, tree.users["county"])
    created = c.post(
        "/api/v1/batches/",
        {"notice": notice.pk, "applications": [apps[1].pk, apps[0].pk]},
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert [(i["rank"], i["application"]) for i in body["items"]] == [(1, apps[1].pk), (2, apps[0].pk)]
    assert body["state"] == "draft" and body["recipient"]["name"] == tree.city.name
    codes = {(f["level"], f["code"]) for f in body["findings"]}
    assert ("error", "SCAN") in codes and any(f["message"] == DOCUMENTS_PENDING for f in body["findings"])
    assert body["deadline"]["past"] is False
    pk = body["id"]

    refused = c.post(f"/api/v1/batches/{pk}/transitions/", {"action": "submit"}, content_type="application/json")
    assert refused.status_code == 400 and "尚未上传推荐文和推荐汇总表" in refused.json()["detail"]

    reordered = c.patch(
        f"/api/v1/batches/{pk}/", {"applications": [apps[0].pk, apps[1].pk]}, content_type="application/json"
    )
    assert [i["application"] for i in reordered.json()["items"]] == [apps[0].pk, apps[1].pk]

    scanned = c.post(f"/api/v1/batches/{pk}/scan/", {"file": pdf("推荐文.pdf")})
    assert scanned.status_code == 200 and scanned.json()["scan"]["name"] == "推荐文.pdf"
    version = scanned.json()["version"]
    assert not [f for f in scanned.json()["findings"] if f["level"] == "error"]

    stale = c.post(
        f"/api/v1/batches/{pk}/transitions/",
        {"action": "submit", "version": version - 1},
        content_type="application/json",
    )
    assert stale.status_code == 409 and stale.json()["state"] == "draft"
    sent = c.post(
        f"/api/v1/batches/{pk}/transitions/", {"action": "submit", "version": version}, content_type="application/json"
    )
    assert sent.status_code == 200 and sent.json()["state"] == "submitted"

    city = api(client, tree.users["city"])
    listed = city.get("/api/v1/applications/").json()
    assert {a["id"] for a in listed["results"]} >= {a.pk for a in apps}
    incoming = city.get("/api/v1/batches/?direction=incoming").json()
    assert [b["id"] for b in incoming["results"]] == [pk] and incoming["results"][0]["item_count"] == 2
    received = city.post(f"/api/v1/batches/{pk}/transitions/", {"action": "receive"}, content_type="application/json")
    assert received.status_code == 200 and received.json()["state"] == "received"
    assert {(a.state, a.holder_id) for a in Application.objects.filter(pk__in=[a.pk for a in apps])} == {
        (State.UNDER_REVIEW, tree.city.pk)
    }


def test_quota_overflow_and_late_batch_are_refused_through_the_api(client, tree, notice, root):
    batch, apps = ready_batch(tree, notice)
    quota_set(actor=root, notice_category=notice.categories.get(category="factory"), authority=tree.county, limit=1)
    c = api(client, tree.users["county"])
    refused = c.post(f"/api/v1/batches/{batch.pk}/transitions/", {"action": "submit"}, content_type="application/json")
    assert refused.status_code == 400
    assert f"{tree.county.name}绿色工厂推荐名额1个，本批次及已报送批次共2家，超出1家。" in refused.json()["problems"]
    quota_set(actor=root, notice_category=notice.categories.get(category="factory"), authority=tree.county, limit=None)
    from datetime import timedelta

    from django.utils import timezone

    Deadline.objects.filter(notice=notice, stage="authority").update(due_at=timezone.now() - timedelta(minutes=1))
    late = c.post(f"/api/v1/batches/{batch.pk}/transitions/", {"action": "submit"}, content_type="application/json")
    assert late.status_code == 400 and "逾期则视为无申报企业" in late.json()["detail"]
    assert Batch.objects.get(pk=batch.pk).state == Batch.State.DRAFT


def test_batch_return_through_the_api(client, tree, notice):
    batch, apps = ready_batch(tree, notice)
    c = api(client, tree.users["county"])
    c.post(f"/api/v1/batches/{batch.pk}/transitions/", {"action": "submit"}, content_type="application/json")
    city = api(client, tree.users["city"])
    missing = city.post(
        f"/api/v1/batches/{batch.pk}/transitions/", {"action": "return"}, content_type="application/json"
    )
    assert missing.status_code == 400 and "须填写理由" in missing.json()["detail"]
    back = city.post(
        f"/api/v1/batches/{batch.pk}/transitions/",
        {"action": "return", "reason": "缺少部门意见"},
        content_type="application/json",
    )
    assert back.status_code == 200 and back.json()["state"] == "returned"
    for app in Application.objects.filter(pk__in=[a.pk for a in apps]):
        assert (app.state, app.holder_id) == (State.UNDER_REVIEW, tree.county.pk)


def test_another_county_gets_404_on_pages_scan_and_api(client, tree, notice):
    batch, _ = ready_batch(tree, notice)
    c = api(client, tree.users["other_county"])
    for url in (
        reverse("batch-detail", args=[batch.pk]),
        reverse("batch-scan", args=[batch.pk]),
        f"/api/v1/batches/{batch.pk}/",
    ):
        assert c.get(url).status_code == 404, url
    assert c.post(reverse("batch-action", args=[batch.pk]), {"op": "submit"}).status_code == 404
    assert c.post(reverse("batch-scan", args=[batch.pk]), {"file": pdf()}).status_code == 404
    for path, data in ((f"{batch.pk}/transitions/", {"action": "submit"}), (f"{batch.pk}/scan/", {"file": pdf()})):
        assert c.post(f"/api/v1/batches/{path}", data).status_code == 404
    assert (
        c.patch(f"/api/v1/batches/{batch.pk}/", {"applications": [1]}, content_type="application/json").status_code
        == 404
    )
    assert c.get("/api/v1/batches/").json()["count"] == 0
    assert batch.title not in c.get(reverse("batch-list")).content.decode()
    # The city does not see a draft either; it does once submitted.
    city = api(client, tree.users["city"])
    assert city.get(f"/api/v1/batches/{batch.pk}/").status_code == 404


def test_pages_show_ranked_items_findings_scan_and_submit(client, tree, notice):
    batch, apps = ready_batch(tree, notice)
    c = api(client, tree.users["county"])
    page = c.get(reverse("batch-detail", args=[batch.pk])).content.decode()
    assert batch.title in page and DOCUMENTS_PENDING in page and "报送截止" in page
    assert page.index(apps[0].applicant.name) < page.index(apps[1].applicant.name)
    c.post(
        reverse("batch-action", args=[batch.pk]), {"op": "down", "application": apps[0].pk, "version": batch.version}
    )
    assert list(batch.items.order_by("rank").values_list("application_id", flat=True)) == [apps[1].pk, apps[0].pk]
    assert c.get(reverse("batch-scan", args=[batch.pk])).getvalue() == PDF_BYTES
    batch.refresh_from_db()
    done = c.post(reverse("batch-action", args=[batch.pk]), {"op": "submit", "version": batch.version}, follow=True)
    assert f"已报送至{tree.city.name}" in done.content.decode()
    city = api(client, tree.users["city"])
    incoming = city.get(reverse("batch-list") + "?tab=incoming").content.decode()
    assert batch.title in incoming
    detail = city.get(reverse("batch-detail", args=[batch.pk])).content.decode()
    assert "签收批次" in detail and reverse("application-detail", args=[apps[0].pk]) in detail


def test_new_batch_page_prechecks_from_the_query_and_creates(client, tree, notice):
    apps = recommended_apps(tree, notice, 3)
    c = api(client, tree.users["county"])
    page = c.get(reverse("batch-new") + f"?applications={apps[0].pk},{apps[2].pk}").content.decode()
    assert f'value="{apps[0].pk}" id="app-{apps[0].pk}" checked' in page
    assert f'value="{apps[1].pk}" id="app-{apps[1].pk}">' in page
    made = c.post(reverse("batch-new"), {"notice": notice.pk, "applications": [apps[0].pk, apps[2].pk], "title": ""})
    batch = Batch.objects.get()
    assert made.url == reverse("batch-detail", args=[batch.pk])
    assert set(batch.items.values_list("application_id", flat=True)) == {apps[0].pk, apps[2].pk}


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _batches(tree, notice, apps):
    for app in apps:
        batch_create(actor=tree.users["county"], authority=tree.county, notice=notice, applications=[app])


def test_list_page_and_endpoint_queries_do_not_grow(client, tree, notice):
    apps = recommended_apps(tree, notice, 20)
    _batches(tree, notice, apps[:1])
    c = api(client, tree.users["county"])
    c.get(reverse("batch-list"))  # counted warm: who the user is a member of is kept between requests
    page_one, api_one = _count(c, reverse("batch-list")), _count(c, "/api/v1/batches/")
    _batches(tree, notice, apps[1:])
    assert Batch.objects.count() == 20
    page = c.get(reverse("batch-list")).content.decode()
    assert page.count(reverse("batch-detail", args=[Batch.objects.first().pk])) == 1
    assert c.get("/api/v1/batches/").json()["count"] == 20
    assert (_count(c, reverse("batch-list")), _count(c, "/api/v1/batches/")) == (page_one, api_one)


@pytest.mark.parametrize(
    "path, field",
    [
        ("/api/v1/batches/", "applications"),
        ("/api/v1/consultations/", "applications"),
        ("/api/v1/consultations/", "departments"),
        ("/api/v1/publicity-management/", "applications"),
    ],
)
def test_an_id_beyond_the_database_range_is_a_400_not_a_500(client, tree, notice, path, field):
    """SQLite's integers stop at 2**63 - 1: a larger id in a list used to reach pk__in and end in a 500."""
    c = api(client, tree.users["county"])
    payload = {"notice": notice.pk, "applications": [1], "departments": [1], "due": "2030-01-01", field: [2**64]}
    response = c.post(path, payload, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()[field] == {"0": ["请确保该值小于或者等于 9223372036854775807。"]}
    assert not Batch.objects.exists()
