"""What nearly every page reads (the authority tree, a notice's categories and materials, a deadline, a user's
memberships) is kept in the cache between requests, and a change to any of it is seen by the next request."""

from datetime import timedelta

from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notices.models import Deadline
from notices.services import extension_grant
from tests.application_helpers import draft_in_open_chain


def reads(queries, table: str) -> int:
    return sum(f'FROM "{table}"' in q["sql"] for q in queries)


def page(client, application):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/applications/{application.pk}/")
    assert response.status_code == 200
    return response.content.decode(), ctx.captured_queries


def test_the_application_page_keeps_configuration_until_it_changes(client, tree, django_user_model):
    root, notice, application = draft_in_open_chain(tree, django_user_model)
    user = tree.users["ent"]
    client.force_login(user)
    page(client, application)  # the notice's first evaluation creates its rule set: a write, so nothing kept yet
    cache.clear()  # the first page of a day: nothing kept
    html, first = page(client, application)
    assert "<td>自评价报告 <span" in html
    kept = ("notices_deadline", "notices_noticecategory", "notices_requiredmaterial", "organizations_membership")
    assert all(reads(first, table) for table in kept)

    html, second = page(client, application)
    assert [reads(second, table) for table in kept] == [0, 0, 0, 0]
    assert len(second) < len(first)

    # A material renamed (as an administrator would, in the database) and an extension: both on the next page.
    material = notice.categories.get(category="factory").materials.get()
    material.name = "能源审计报告（测试）"
    material.save(update_fields=["name"])
    due = Deadline.objects.get(notice=notice, stage=Deadline.Stage.APPLICANT)
    later = (timezone.now() + timedelta(days=12)).replace(microsecond=0)
    extension_grant(actor=root, deadline=due, organization=tree.ent, new_due_at=later, reason="系统故障")
    html, third = page(client, application)
    local = timezone.localtime(later)
    assert "能源审计报告（测试）" in html
    assert f"{local.year}年{local.month}月{local.day}日" in html and "（含延期）" in html
    assert "<td>自评价报告 <span" not in html and "<td>能源审计报告（测试） <span" in html
    assert reads(third, "notices_deadline") == 1 and reads(third, "notices_requiredmaterial") == 1


def test_inside_a_transaction_the_cache_is_neither_read_nor_written(rf, tree, django_user_model):
    from applications.selectors import notice_category_of
    from greenmfg.request_memo import RequestMemoMiddleware

    root, notice, application = draft_in_open_chain(tree, django_user_model)

    def names(app):
        return [m.name for m in notice_category_of(app).materials.all()]

    seen = {}

    def view(request):
        seen["kept"] = names(application)  # kept in the cache
        try:
            with transaction.atomic():
                material = notice.categories.get(category="factory").materials.get()
                material.name = "临时材料（回滚）"
                material.save(update_fields=["name"])
                seen["inside"] = names(application)  # read from the database, not kept
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass

    RequestMemoMiddleware(view)(rf.get("/"))
    after = {}
    RequestMemoMiddleware(lambda request: after.setdefault("names", names(application)))(rf.get("/"))
    assert seen["kept"] == ["自评价报告"]
    assert seen["inside"] == ["临时材料（回滚）"]
    assert after["names"] == ["自评价报告"]


def test_a_read_about_a_few_ids_is_kept_and_one_about_many_is_not(rf):
    from greenmfg.request_memo import RequestMemoMiddleware
    from greenmfg.shared_cache import MOST_IDS, kept_for_ids

    computed = []
    many = list(range(MOST_IDS + 1))

    def view(request):
        for ids in ([7, 3], [3, 7, 7], many, many):
            kept_for_ids("test-ids", ids, lambda ids=ids: computed.append(len(set(ids))) or sorted(set(ids)))

    RequestMemoMiddleware(view)(rf.get("/"))
    assert computed == [2, MOST_IDS + 1, MOST_IDS + 1]


def test_nothing_is_kept_without_a_cache_every_process_shares(rf, settings):
    """Without CACHE_URL each process has its own memory: a write handled by one would not reach another."""
    from greenmfg.request_memo import RequestMemoMiddleware
    from greenmfg.shared_cache import kept

    settings.SHARED_CONFIG_CACHE = False
    computed = []
    RequestMemoMiddleware(lambda request: [kept("test-off", lambda: computed.append(1)) for _ in range(2)])(rf.get("/"))
    RequestMemoMiddleware(lambda request: kept("test-off", lambda: computed.append(1)))(rf.get("/"))
    assert computed == [1, 1, 1]
