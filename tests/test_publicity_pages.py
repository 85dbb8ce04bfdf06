"""公示 pages and API: public without login and without credit codes, the authority's pages, 404s, query counts."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.models import State
from listings.models import Listing
from reviews.models import Objection, Publicity, PublicityEntry
from reviews.services import publicity as svc
from tests.test_publicity import TODAY, at_ministry, make_publicity

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def notice(tree, django_user_model):
    from tests.application_helpers import open_chain

    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    return open_chain(tree, root)


@pytest.fixture
def app(tree, notice):
    return at_ministry(tree, notice)


@pytest.fixture
def published(tree, notice, app):
    return svc.publicity_publish(actor=tree.users["ministry"], publicity=make_publicity(tree, notice, [app]))


def test_public_pages_work_logged_out_and_show_no_credit_code(client, tree, published):
    page = client.get("/publicity/").content.decode()
    assert published.title in page and "2024年度绿色制造名单公示" in page
    detail = client.get(f"/publicity/{published.pk}/")
    html = detail.content.decode()
    assert detail.status_code == 200
    assert tree.ent.name in html and "绿色工厂" in html
    assert "山西省" in html and "太原市" in html and "小店区" in html
    assert tree.ent.credit_code not in html and "部级审核通过" not in html
    assert 'name="csrfmiddlewaretoken"' in html and '<label for="id_phone">联系电话' in html


def test_objection_through_the_public_page(client, tree, published):
    entry = published.entries.get()
    url = f"/publicity/{published.pk}/"
    bad = client.post(url, {"entry": entry.pk, "name": "李四", "phone": "12", "content": "有问题"})
    assert "联系电话应为7至20位数字。" in bad.content.decode() and not Objection.objects.exists()
    ok = client.post(
        url, {"entry": entry.pk, "name": "李四", "phone": "0351-1234567", "content": "数据不实。"}, follow=True
    )
    assert "异议已提交" in ok.content.decode()
    objection = Objection.objects.get()
    assert (objection.entry, objection.name, objection.phone, objection.ip) == (
        entry,
        "李四",
        "03511234567",
        "127.0.0.1",
    )


def test_public_page_is_closed_outside_the_period(client, tree, notice, app):
    publicity = make_publicity(tree, notice, [app], starts_on=TODAY + timedelta(days=3))
    svc.publicity_publish(actor=tree.users["ministry"], publicity=publicity)
    html = client.get(f"/publicity/{publicity.pk}/").content.decode()
    assert "届时方可提出异议" in html and "提交异议</button>" not in html
    refused = client.post(
        f"/publicity/{publicity.pk}/",
        {"entry": publicity.entries.get().pk, "name": "李四", "phone": "13800138000", "content": "x"},
    )
    assert "届时方可提出异议" in refused.content.decode() and not Objection.objects.exists()


def test_api_is_public_and_takes_objections_with_429(client, tree, published):
    listing = client.get("/api/v1/publicity/").json()
    assert listing["count"] == 1 and set(listing) == {"count", "next", "previous", "results"}
    item = listing["results"][0]
    assert (item["starts_on"], item["ends_on"]) == (str(published.starts_on), str(published.ends_on))
    entry = item["entries"][0]
    assert entry["name"] == tree.ent.name and entry["category"] == "factory"
    assert entry["region"] == ["山西省", "太原市", "小店区"]
    assert tree.ent.credit_code not in str(listing)
    assert client.get(f"/api/v1/publicity/{published.pk}/").json()["id"] == published.pk

    url = f"/api/v1/publicity/{published.pk}/objections/"
    data = {"entry": entry["id"], "name": "王五", "phone": "13800138000", "content": "不符合条件。"}
    missing = client.post(url, {"entry": entry["id"]}, content_type="application/json")
    assert missing.status_code == 400 and "phone" in missing.json()
    wrong = client.post(url, {**data, "phone": "abc1234"}, content_type="application/json")
    assert wrong.json() == {"phone": ["联系电话应为7至20位数字。"]}
    for _ in range(svc.OBJECTION_LIMIT):
        created = client.post(url, data, content_type="application/json")
        assert created.status_code == 201 and created.json()["status"] == "open"
    limited = client.post(url, data, content_type="application/json")
    assert limited.status_code == 429 and "过于频繁" in limited.json()["detail"]
    assert Objection.objects.count() == svc.OBJECTION_LIMIT


def test_drafts_are_404_for_the_public_and_another_authority(client, tree, notice, app):
    draft = make_publicity(tree, notice, [app])
    for url in (f"/publicity/{draft.pk}/", f"/api/v1/publicity/{draft.pk}/"):
        assert client.get(url).status_code == 404
    assert client.post(f"/api/v1/publicity/{draft.pk}/objections/", {}).status_code == 404
    assert client.get("/api/v1/publicity/").json()["count"] == 0
    client.force_login(tree.users["province"])
    for url in (
        f"/publicity/{draft.pk}/",
        f"/api/v1/publicity/{draft.pk}/",
        f"/reviews/publicity/{draft.pk}/",
    ):
        assert client.get(url).status_code == 404
    for action in ("edit", "publish", "finalize"):
        assert client.post(f"/reviews/publicity/{draft.pk}/{action}/").status_code == 404
    assert draft.title not in client.get("/reviews/publicity/").content.decode()
    new = client.get("/reviews/publicity/new/").content.decode()  # the province decides no list in this round
    assert "没有发布过决定名单的年度通知" in new and tree.ent.name not in new
    draft.refresh_from_db()
    assert draft.state == Publicity.State.DRAFT


def test_other_authority_gets_404_on_published_authority_pages(client, tree, published):
    objection = svc.objection_submit(
        publicity=published, entry=published.entries.get(), name="赵六", phone="13800138000", content="x", ip="1.2.3.4"
    )
    client.force_login(tree.users["province"])
    assert client.get(f"/reviews/publicity/{published.pk}/").status_code == 404
    handle = client.post(
        f"/reviews/publicity/{published.pk}/objections/{objection.pk}/", {"status": "upheld", "response": "x"}
    )
    assert handle.status_code == 404
    objection.refresh_from_db()
    assert objection.status == "open"
    public = client.get(f"/publicity/{published.pk}/").content.decode()
    assert "赵六" not in public and "13800138000" not in public


def test_authority_pages_from_new_to_final_list(client, tree, notice, app):
    client.force_login(tree.users["ministry"])
    page = client.get("/reviews/publicity/new/").content.decode()
    assert tree.ent.name in page and f'value="{app.pk}"' in page
    start, end = TODAY, TODAY + timedelta(days=1)
    created = client.post(
        "/reviews/publicity/new/",
        {
            "notice": svc.root_notice(notice).pk,
            "title": "部级公示",
            "starts_on": start.isoformat(),
            "ends_on": end.isoformat(),
            "applications": [app.pk],
        },
        follow=True,
    )
    html = created.content.decode()
    assert "公示草稿已保存，共1项" in html and "公示期仅含" in html
    publicity = Publicity.objects.get(title="部级公示")
    assert "发布公示" in html and tree.ent.credit_code in html

    listing = client.get("/reviews/publicity/").content.decode()
    assert "部级公示" in listing and "草稿" in listing
    done = client.post(f"/reviews/publicity/{publicity.pk}/publish/", follow=True).content.decode()
    assert "公示已发布" in done
    entry = publicity.entries.get()
    objection = svc.objection_submit(publicity=publicity, entry=entry, name="钱七", phone="13800138000", content="y")
    detail = client.get(f"/reviews/publicity/{publicity.pk}/").content.decode()
    assert "钱七" in detail and "13800138000" in detail and "待处理1件" in detail
    client.post(
        f"/reviews/publicity/{publicity.pk}/objections/{objection.pk}/", {"status": "dismissed", "response": "不属实"}
    )
    objection.refresh_from_db()
    assert (objection.status, objection.response, objection.handled_by) == (
        "dismissed",
        "不属实",
        tree.users["ministry"],
    )
    early = client.post(f"/reviews/publicity/{publicity.pk}/finalize/", follow=True).content.decode()
    assert "期满后方可定稿" in early
    # The period has passed: move it into the past the way a correction would (the service checks draft only).
    Publicity.objects.filter(pk=publicity.pk).update(
        starts_on=TODAY - timedelta(days=9), ends_on=TODAY - timedelta(days=1)
    )
    form = client.get(f"/reviews/publicity/{publicity.pk}/").content.decode()
    assert f'name="outcome-{entry.pk}"' in form
    final = client.post(
        f"/reviews/publicity/{publicity.pk}/finalize/", {f"outcome-{entry.pk}": "", f"note-{entry.pk}": ""}, follow=True
    )
    assert "公示已定稿" in final.content.decode()
    app.refresh_from_db()
    assert app.state == State.LISTED and Listing.objects.get().application == app


# ---------------------------------------------------------------------------------------------- query counts


def _rows(publicity, app, start, stop):
    for i in range(start, stop):
        p = Publicity.objects.create(
            authority=publicity.authority,
            notice=publicity.notice,
            title=f"计数公示{i:02d}",
            starts_on=TODAY,
            ends_on=TODAY + timedelta(days=7),
            state=Publicity.State.PUBLISHED,
        )
        PublicityEntry.objects.create(publicity=p, application=app, position=1)


def _measure(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


@pytest.mark.parametrize("url", ["/publicity/", "/api/v1/publicity/", "/reviews/publicity/"])
def test_list_queries_do_not_grow(client, tree, published, app, url):
    if url.startswith("/reviews/"):
        client.force_login(tree.users["ministry"])
    Publicity.objects.filter(pk=published.pk).delete()
    _rows(published, app, 0, 1)
    one, page = _measure(client, url)
    assert len(re.findall("计数公示", page)) == 1
    _rows(published, app, 1, 20)
    twenty, page = _measure(client, url)
    assert len(re.findall("计数公示", page)) == 20
    if url.startswith("/api/"):
        assert page.count(tree.ent.name) == 20  # entries come with each row, prefetched
    assert one == twenty
