"""What a request reads more than once is read once in it; what every page reads is kept between requests only
until it changes (greenmfg.shared_cache)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from organizations.selectors import authority_ancestor_ids, authority_subtree_ids
from tests.factories import authority
from tests.test_dashboard_deadlines import deadline_rows, open_chain  # noqa: F401 (a fixture)

TREE_SQL = '"organizations_organization"."parent_id" AS "parent_id" FROM "organizations_organization"'


def tree_reads(queries) -> int:
    return sum(TREE_SQL in q["sql"] for q in queries)


def test_outside_a_request_every_call_reads_the_current_tree(tree):
    with CaptureQueriesContext(connection) as ctx:
        before = authority_subtree_ids([tree.province.pk])
        added = authority("晋中市工信局（测试）", "140700", "city", tree.province)
        after = authority_subtree_ids([tree.province.pk])
    assert added.pk not in before and added.pk in after
    assert tree_reads(ctx.captured_queries) == 2


def test_a_dashboard_reads_the_tree_once(client, tree, open_chain):  # noqa: F811
    client.force_login(tree.users["ent"])
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/dashboard/")
    assert response.status_code == 200
    assert len(deadline_rows(response.content.decode())) == 1
    assert tree_reads(ctx.captured_queries) == 1
    # The next request takes it from the cache (greenmfg.shared_cache) ...
    with CaptureQueriesContext(connection) as ctx:
        client.get("/dashboard/")
    assert tree_reads(ctx.captured_queries) == 0
    # ... until an authority is added: then it reads the tree again, with the new one.
    added = authority("晋中市工信局（测试）", "140700", "city", tree.province)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/dashboard/")
    assert response.status_code == 200 and tree_reads(ctx.captured_queries) == 1
    from organizations.selectors import authority_parents

    assert authority_parents()[added.pk] == tree.province.pk


def test_saving_an_organization_inside_a_request_forgets_the_kept_tree(rf, tree):
    from greenmfg.request_memo import RequestMemoMiddleware

    seen = {}

    def view(request):
        seen["before"] = authority_ancestor_ids(tree.county.pk)
        tree.county.parent = tree.province
        tree.county.save(update_fields=["parent"])
        seen["after"] = authority_ancestor_ids(tree.county.pk)
        return None

    RequestMemoMiddleware(view)(rf.get("/"))
    assert seen["before"] == [tree.county.pk, tree.city.pk, tree.province.pk, tree.ministry.pk]
    assert seen["after"] == [tree.county.pk, tree.province.pk, tree.ministry.pk]


def test_an_upload_inside_a_request_is_seen_by_the_completeness_check_after_it(rf, tree, django_user_model):
    from applications import services
    from applications.selectors import completeness, current_files
    from greenmfg.request_memo import RequestMemoMiddleware
    from tests.application_helpers import draft_in_open_chain, pdf

    root, notice, application = draft_in_open_chain(tree, django_user_model)
    user = tree.users["ent"]
    material = notice.categories.get(category="factory").materials.get()
    seen = {}

    def view(request):
        seen["before"] = (set(current_files(application)), completeness(application))
        services.material_upload(actor=user, application=application, kind=str(material.pk), upload=pdf())
        seen["after"] = (set(current_files(application)), completeness(application))
        return None

    RequestMemoMiddleware(view)(rf.get("/"))
    assert seen["before"][0] == set() and any("自评价报告" in p for p in seen["before"][1])
    assert seen["after"][0] == {str(material.pk)} and not any("自评价报告" in p for p in seen["after"][1])


def test_a_grant_inside_a_request_is_seen_by_the_next_visibility_read(rf, tree, django_user_model):
    from applications import services
    from applications.selectors import applications_visible_to
    from greenmfg.request_memo import RequestMemoMiddleware
    from tests.application_helpers import open_chain as notice_chain

    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    notice = notice_chain(tree, root)
    application = services.application_create(
        actor=tree.users["ent"], applicant=tree.ent, notice=notice, category="factory", data={}
    )
    city = tree.users["city"]
    seen = {}

    def view(request):
        listed = applications_visible_to(city)
        seen["before"] = list(listed.values_list("pk", flat=True))
        services.grant_view(application, tree.city)
        seen["after"] = list(applications_visible_to(city).values_list("pk", flat=True))
        seen["listed again"] = list(listed.values_list("pk", flat=True))
        return None

    RequestMemoMiddleware(view)(rf.get("/"))
    assert seen["before"] == [] and seen["after"] == [application.pk] == seen["listed again"]


def test_answers_an_extension_and_an_evaluation_made_inside_a_request_are_seen_after_them(rf, tree, django_user_model):
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from applications.selectors import completeness
    from eligibility.selectors import latest_evaluation
    from eligibility.services import evaluate_application
    from greenmfg.request_memo import RequestMemoMiddleware
    from notices.models import Deadline
    from notices.selectors import deadline_for
    from notices.services import extension_grant
    from tests.application_helpers import declare_all, draft_in_open_chain

    root, notice, application = draft_in_open_chain(tree, django_user_model)
    user = tree.users["ent"]
    due = Deadline.objects.get(notice=notice, stage=Deadline.Stage.APPLICANT)
    later = (timezone.now() + timedelta(days=9)).replace(microsecond=0)
    seen = {}

    def view(request):
        stage = Deadline.Stage.APPLICANT
        seen["unanswered before"] = [p for p in completeness(application) if "负面清单" in p]
        seen["due before"] = deadline_for(notice=notice, organization=tree.ent, stage=stage).due_at
        seen["evaluation before"] = latest_evaluation(application)
        declare_all(user, application)
        extension_grant(actor=root, deadline=due, organization=tree.ent, new_due_at=later, reason="系统故障")
        seen["unanswered after"] = [p for p in completeness(application) if "负面清单" in p]
        seen["due after"] = deadline_for(notice=notice, organization=tree.ent, stage=stage).due_at
        made = evaluate_application(application)
        seen["made"], seen["latest"] = made, latest_evaluation(application)
        try:
            with transaction.atomic():
                application.data = {**application.data, "self_score": 61}
                application.save(update_fields=["data"])
                seen["inner"] = evaluate_application(application)
                seen["latest inside"] = latest_evaluation(application)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        seen["latest after rollback"] = latest_evaluation(application)
        return None

    RequestMemoMiddleware(view)(rf.get("/"))
    assert seen["unanswered before"] == ["负面清单声明还有9项未作答。"] and seen["unanswered after"] == []
    assert seen["due before"] == due.due_at and seen["due after"] == later
    assert seen["evaluation before"] is None
    assert seen["made"].pk is not None and seen["latest"] is seen["made"]  # kept: no second read
    # Inside the transaction the new evaluation is read back; after its rollback, the committed one.
    assert seen["inner"].pk != seen["made"].pk and seen["latest inside"].pk == seen["inner"].pk
    assert seen["latest after rollback"].pk == seen["made"].pk


def test_the_application_page_reads_answers_deadline_evaluation_and_files_once(client, tree, django_user_model):
    from tests.application_helpers import open_chain as notice_chain
    from tests.application_helpers import ready_application

    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    notice = notice_chain(tree, root)
    application = ready_application(tree.users["ent"], tree.ent, notice)
    assert application.state == "draft"
    client.force_login(tree.users["ent"])
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/applications/{application.pk}/")
    html = response.content.decode()
    assert response.status_code == 200 and 'value="submit"' in html and "负面清单声明还有" not in html
    sqls = [q["sql"] for q in ctx.captured_queries]
    # The page's answers (the eligibility facts read their own columns for many applications at once).
    assert sum('"applications_declaration"."note"' in s for s in sqls) == 1
    assert sum(s.startswith('SELECT "applications_declaration"."item" AS "item"') for s in sqls) == 0
    assert sum('FROM "notices_deadline"' in s for s in sqls) == 1
    assert sum('FROM "eligibility_evaluation"' in s for s in sqls) == 1
    # Every version for the materials table; the completeness guard takes the current ones from it.
    assert sum('FROM "applications_materialfile"' in s for s in sqls) == 1
