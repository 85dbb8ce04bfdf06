"""The authority inbox (/reviews/inbox/): tabs, filters and search on real applications, bulk decisions."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications import services
from applications.models import State
from reviews.models import Consultation, ConsultationReply, Referral
from reviews.services import transition_perform
from tests.application_helpers import open_chain, pdf, ready_application
from tests.chain_helpers import lift, recommend, submitted
from tests.factories import enterprise, member
from tests.notice_helpers import published_notice

ROW = re.compile(r'<input type="checkbox" name="applications" value="(\d+)"')


@pytest.fixture
def notice(tree, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    return open_chain(tree, root, materials=(("factory", "自评价报告"), ("park", "自评价报告")))


@pytest.fixture
def other_notice(tree, notice, django_user_model):
    """大同's forward of the province's notice, so that 平城 applicants can apply too."""
    from datetime import timedelta

    from django.utils import timezone

    root = django_user_model.objects.get(username="root")
    later = timezone.now() + timedelta(days=5)
    return published_notice(root, tree.other_city, forwards=notice.forwards, deadlines=[("applicant", later)])


def applicant(tree, name, county=None):
    org = enterprise(name, county or tree.county)
    return org, member(org)


def submit_as(tree, notice, name, county=None, **kwargs):
    org, user = applicant(tree, name, county)
    return submitted(tree, notice, applicant=org, user=user, **kwargs)


def rows(response) -> list[int]:
    return [int(pk) for pk in ROW.findall(response.content.decode())]


def page(client, user, url="/reviews/inbox/", **params):
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200
    return response


def test_pending_tab_lists_what_the_county_holds_with_its_columns(client, tree, notice):
    app = submitted(tree, notice)
    response = page(client, tree.users["county"])
    html = response.content.decode()
    assert rows(response) == [app.pk]
    assert tree.ent.name in html and tree.ent.credit_code in html
    assert app.get_category_display() in html
    assert "自评价" in html and "未征求" in html and "资格：通过" in html
    assert f'name="version-{app.pk}" value="{app.version}"' in html
    # The county's own tabs count what they hold.
    assert re.search(r"待审核 <span class=\"count\">1</span>", html)
    assert re.search(r"已推荐待报送 <span class=\"count\">0</span>", html)


def test_tabs_move_with_the_decisions(client, tree, notice):
    pending = submitted(tree, notice)
    recommended = recommend(submit_as(tree, notice, "推荐待报企业有限公司"), tree.users["county"])
    returned = transition_perform(
        actor=tree.users["county"],
        application=submit_as(tree, notice, "退回企业有限公司"),
        action="return",
        reason="补充能耗数据",
    )
    forwarded = recommend(submit_as(tree, notice, "已报送企业有限公司"), tree.users["county"])
    _, (forwarded,) = lift([forwarded], authority=tree.county, user=tree.users["county"], notice=notice)

    user = tree.users["county"]
    assert rows(page(client, user)) == [pending.pk]
    assert rows(page(client, user, tab="recommended")) == [recommended.pk]
    done = page(client, user, tab="done")
    assert sorted(rows(done)) == sorted([returned.pk, forwarded.pk])
    html = done.content.decode()
    assert "本单位：退回修改" in html and "本单位：推荐" in html and f"现由{tree.city.name}办理" in html
    # Each tab's count (one query for the three) is what the tab lists.
    assert re.search(r"待审核 <span class=\"count\">1</span>", html)
    assert re.search(r"已推荐待报送 <span class=\"count\">1</span>", html)
    assert re.search(r"本单位已处理 <span class=\"count\">2</span>", html)
    # The done tab filters by the current state.
    assert rows(page(client, user, tab="done", state=State.RETURNED)) == [returned.pk]
    # The city sees only what reached it.
    assert rows(page(client, tree.users["city"])) == [forwarded.pk]


def test_filters_and_search_on_real_data(client, tree, notice):
    factory = submitted(tree, notice)
    park_org = enterprise("小店测试园区管委会", tree.county, kind="park")
    park = submitted(tree, notice, applicant=park_org, user=member(park_org), category="park")
    other = submit_as(tree, notice, "三方评价企业有限公司")
    user = tree.users["county"]

    assert rows(page(client, user, q="园区")) == [park.pk]
    assert rows(page(client, user, q=tree.ent.credit_code[-8:])) == [factory.pk]
    assert rows(page(client, user, q=tree.ent.credit_code.lower()[-8:])) == [factory.pk]
    assert sorted(rows(page(client, user, category="factory"))) == sorted([factory.pk, other.pk])
    assert rows(page(client, user, category="park")) == [park.pk]
    assert sorted(rows(page(client, user, notice=notice.forwards.forwards_id))) == sorted(
        [factory.pk, park.pk, other.pk]
    )
    assert sorted(rows(page(client, user, eligibility="pass"))) == sorted([factory.pk, park.pk, other.pk])
    empty = page(client, user, eligibility="fail")
    assert rows(empty) == [] and "没有符合条件的申报" in empty.content.decode()
    names = [int(pk) for pk in ROW.findall(page(client, user, sort="name").content.decode())]
    assert names == [a.pk for a in sorted([factory, park, other], key=lambda a: a.applicant.name)]
    oldest_first = rows(page(client, user, sort="submitted"))
    assert oldest_first == [factory.pk, park.pk, other.pk]
    assert rows(page(client, user)) == list(reversed(oldest_first))


def test_county_filter_at_the_city(client, tree, notice):
    sub = tree.county
    from tests.factories import authority

    second = authority("晋源区工信局（测试）", "140110", "county", tree.city)
    a = recommend(submitted(tree, notice), tree.users["county"])
    second_org, second_user = applicant(tree, "晋源测试企业有限公司", second)
    b = recommend(submitted(tree, notice, applicant=second_org, user=second_user), member(second))
    lift([a], authority=sub, user=tree.users["county"], notice=notice)
    lift([b], authority=second, user=member(second), notice=notice)
    user = tree.users["city"]
    html = page(client, user).content.decode()
    assert "所属地区" in html and second.name in html
    assert sorted(rows(page(client, user))) == sorted([a.pk, b.pk])
    assert rows(page(client, user, county=second.pk)) == [b.pk]
    assert rows(page(client, user, county=sub.pk)) == [a.pk]
    # At the county there is nothing to choose from.
    assert 'name="county"' not in page(client, tree.users["county"]).content.decode()


def test_assessor_filter_and_column(client, tree, notice):
    assessor = enterprise("测试评价机构有限公司", tree.province, kind="assessor")
    assessor_user = member(assessor)
    own = submitted(tree, notice)
    org, user = applicant(tree, "委托评价企业有限公司")
    app = ready_application(user, org, notice)
    services.application_update(actor=user, application=app, evaluation_mode="third_party")
    engagement = services.engagement_request(actor=user, application=app, assessor=assessor)
    services.engagement_respond(actor=assessor_user, engagement=engagement, accept=True, lead_assessor="张三")
    services.engagement_report(actor=assessor_user, engagement=engagement, score="91.5", upload=pdf("报告.pdf"))
    app = transition_perform(actor=user, application=app, action="submit")

    county = tree.users["county"]
    html = page(client, county).content.decode()
    assert sorted(rows(page(client, county))) == sorted([own.pk, app.pk])
    assert "第三方评价" in html and assessor.name in html
    assert rows(page(client, county, assessor=assessor.pk)) == [app.pk]


def test_consultation_column_counts_replies_and_objections(client, tree, notice):
    app = submitted(tree, notice)
    consultation = Consultation.objects.create(authority=tree.county, notice=notice, due_on="2099-01-01")
    ConsultationReply.objects.create(
        consultation=consultation, application=app, department=tree.eco, opinion="objection", reason="超标排放"
    )
    from tests.factories import department

    market = department("小店区市场监管（测试）", tree.county, "market")
    ConsultationReply.objects.create(consultation=consultation, application=app, department=market)
    html = page(client, tree.users["county"]).content.decode()
    assert "已反馈 1/2" in html and "有异议 1" in html


def test_a_county_does_not_see_another_county_s_applications(client, tree, notice, other_notice):
    mine = submitted(tree, notice)
    theirs = submitted(tree, other_notice, applicant=tree.other_ent, user=tree.users["other_ent"])
    assert rows(page(client, tree.users["county"])) == [mine.pk]
    assert rows(page(client, tree.users["other_county"])) == [theirs.pk]
    client.force_login(tree.users["other_county"])
    assert client.get(f"/applications/{mine.pk}/").status_code == 404


def test_only_authorities_have_an_inbox(client, tree, notice):
    submitted(tree, notice)
    for name in ("ent", "eco"):
        client.force_login(tree.users[name])
        assert client.get("/reviews/inbox/").status_code == 404
        assert client.post("/reviews/inbox/bulk/", {"action": "recommend"}).status_code == 404
    client.logout()
    assert client.get("/reviews/inbox/").status_code in (302, 404)


# ----------------------------------------------------------------------------------------------------- bulk


def bulk(client, user, apps, **data):
    client.force_login(user)
    payload = {"applications": [a.pk for a in apps], **{f"version-{a.pk}": a.version for a in apps}, **data}
    return client.post("/reviews/inbox/bulk/", payload)


def test_bulk_recommend_with_a_refused_row(client, tree, notice):
    ok = submitted(tree, notice)
    blocked = submit_as(tree, notice, "部门未反馈企业有限公司")
    consultation = Consultation.objects.create(authority=tree.county, notice=notice, due_on="2099-01-01")
    ConsultationReply.objects.create(consultation=consultation, application=blocked, department=tree.eco)
    response = bulk(client, tree.users["county"], [ok, blocked], action="recommend", reason="经初审，同意推荐。")
    html = response.content.decode()
    assert response.status_code == 200
    assert "已办理 <strong>1</strong> 项" in html and '<strong class="overdue">1</strong> 项未办理' in html
    assert f"{tree.eco.name}尚未反馈意见" in html
    ok.refresh_from_db()
    blocked.refresh_from_db()
    assert ok.state == State.RECOMMENDED and ok.referrals.get().opinion == "经初审，同意推荐。"
    assert blocked.state == State.UNDER_REVIEW and blocked.referrals.get().decision == ""


def test_bulk_refuses_a_stale_row_and_rows_outside_the_inbox(client, tree, notice, other_notice):
    stale = submitted(tree, notice)
    fresh = submit_as(tree, notice, "新鲜企业有限公司")
    theirs = submitted(tree, other_notice, applicant=tree.other_ent, user=tree.users["other_ent"])
    page_version = stale.version
    stale = transition_perform(actor=tree.users["county"], application=stale, action="return", reason="补充材料")
    stale = transition_perform(actor=tree.users["ent"], application=stale, action="resubmit")
    stale.version = page_version  # what the page showed
    response = bulk(client, tree.users["county"], [stale, fresh, theirs], action="not_recommend", reason="不符合条件")
    html = response.content.decode()
    assert "该申报已被他人处理" in html and "不在本单位待办中" in html
    assert tree.other_ent.name not in html
    states = {a.pk: a.state for a in type(stale).objects.filter(pk__in=[stale.pk, fresh.pk, theirs.pk])}
    assert states == {stale.pk: State.UNDER_REVIEW, fresh.pk: State.NOT_RECOMMENDED, theirs.pk: State.UNDER_REVIEW}


def test_bulk_needs_an_opinion_and_an_operator_is_refused(client, tree, notice):
    app = submitted(tree, notice)
    response = bulk(client, tree.users["county"], [app], action="return", reason="  ")
    assert response.status_code == 400 and "退回修改须填写意见" in response.content.decode()
    operator = member(tree.county, role="operator")
    response = bulk(client, operator, [app], action="return", reason="补充")
    assert "您无权对该申报执行“退回修改”" in response.content.decode()
    app.refresh_from_db()
    assert app.state == State.UNDER_REVIEW and not Referral.objects.exclude(decision="").exists()


def test_navigation_buttons_carry_the_selection(client, tree, notice):
    a = submitted(tree, notice)
    b = submit_as(tree, notice, "第二家企业有限公司")
    response = bulk(client, tree.users["county"], [a, b], go="consult")
    assert response.status_code == 302
    assert response["Location"] == f"/reviews/consultations/new/?applications={a.pk},{b.pk}"
    response = bulk(client, tree.users["county"], [b], go="batch")
    assert response["Location"] == f"/reviews/batches/new/?applications={b.pk}"
    assert bulk(client, tree.users["county"], [], go="batch").status_code == 400


# ------------------------------------------------------------------------------------------------- query count


def measure(client, url) -> tuple[int, str]:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


@pytest.mark.parametrize("tab", ["pending", "done"])
def test_inbox_queries_do_not_grow(client, tree, notice, tab):
    def add(i):
        app = submit_as(tree, notice, f"计数企业{i:02d}有限公司")
        consultation = Consultation.objects.create(authority=tree.county, notice=notice, due_on="2099-01-01")
        ConsultationReply.objects.create(consultation=consultation, application=app, department=tree.eco)
        if tab == "done":
            transition_perform(actor=tree.users["county"], application=app, action="return", reason="补充")

    client.force_login(tree.users["county"])
    url = f"/reviews/inbox/?tab={tab}&sort=name"
    add(0)
    one, html = measure(client, url)
    assert len(ROW.findall(html)) == 1
    for i in range(1, 20):
        add(i)
    twenty, html = measure(client, url)
    assert len(ROW.findall(html)) == 20
    assert one == twenty


def test_bulk_ignores_an_id_beyond_the_database_range(client, tree, notice):
    """A number past 2**63 - 1 in the selection used to reach pk__in and overflow SQLite (a 500)."""
    app = submitted(tree, notice)
    client.force_login(tree.users["county"])
    payload = {"applications": [app.pk, 2**64], f"version-{app.pk}": app.version, "action": "not_recommend"}
    response = client.post("/reviews/inbox/bulk/", {**payload, "reason": "不符合条件"})
    assert response.status_code == 200
    assert "已办理 <strong>1</strong> 项" in response.content.decode()
    app.refresh_from_db()
    assert app.state == State.NOT_RECOMMENDED


def test_region_filter_goes_two_levels_down(tree):
    """The ministry chooses among provinces and cities (not every county of the country); a province among its
    cities and counties; a city's choice is itself and its counties."""
    from reviews.selectors.inbox import inbox_counties

    ministry = set(inbox_counties(tree.ministry))
    assert {tree.ministry, tree.province, tree.city, tree.other_city} <= ministry
    assert tree.county not in ministry and tree.other_county not in ministry
    province = set(inbox_counties(tree.province))
    assert {tree.city, tree.county, tree.other_city, tree.other_county} <= province
    assert set(inbox_counties(tree.city)) == {tree.city, tree.county}
    assert set(inbox_counties(tree.county)) == {tree.county}
