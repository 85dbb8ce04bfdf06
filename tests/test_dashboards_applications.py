"""Dashboards with applications: the applicant's 我的申报 and 可申报的通知, the assessor's engagements, the
authority's 待办. Each at a fixed number of queries, at 1 and at 20 applications or engagements."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applications import services
from applications.models import Application, MaterialFile
from applications.selectors import completeness, missing_summary
from reviews.services import transition_perform
from tests.application_helpers import FACTORY_DATA, PARK_DATA, declare_all, open_chain, pdf, ready_application
from tests.factories import enterprise, member
from tests.notice_helpers import published_notice

SUPPLY_DATA = {
    "industry_code": "C3670",
    "industry_name": "汽车零部件及配件制造",
    "chain_leader": True,
    "independent_legal_person": True,
    "green_supplier_count": 12,
    "epr_pilot": False,
    "national_green_factory": True,
    "self_score": 83,
}
PRODUCT_DATA = {
    "product_name": "变频房间空气调节器",
    "product_standard": "T/CAGP 0001-2016 绿色设计产品评价技术规范 房间空气调节器",
    "self_score": 90,
}
DATA = {"factory": FACTORY_DATA, "supply_chain": SUPPLY_DATA, "product": PRODUCT_DATA, "park": PARK_DATA}
APP_ROW = re.compile(r'<tr data-application="(\d+)"')
DUE_IN_5_DAYS = re.compile(r"剩余 (4天2[0-3]小时|5天0小时)")  # open_chain's applicant deadline, a moment later


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    return tmp_path


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")


@pytest.fixture
def notice(tree, root):
    """The city's notice (forwarding the province's, forwarding the ministry's); applicants' deadline in 5 days."""
    return open_chain(tree, root)


@pytest.fixture
def assessor(tree):
    org = enterprise("清源测试评价有限公司", tree.province, kind="assessor")
    return org, member(org, username="u-assessor")


def section(html: str, heading_id: str) -> str:
    return html.split(f'id="{heading_id}"', 1)[1].split("</section>", 1)[0]


def row_of(html: str, application: Application) -> str:
    return html.split(f'<tr data-application="{application.pk}"', 1)[1].split("</tr>", 1)[0]


def dashboard(client, user) -> str:
    client.force_login(user)
    response = client.get("/dashboard/")
    assert response.status_code == 200
    return response.content.decode()


def third_party(user, application, assessor_org):
    services.application_update(actor=user, application=application, evaluation_mode="third_party")
    return services.engagement_request(actor=user, application=application, assessor=assessor_org)


def reported(user, application, assessor_org, assessor_user, score=88.5):
    engagement = third_party(user, application, assessor_org)
    services.engagement_respond(actor=assessor_user, engagement=engagement, accept=True, lead_assessor="张三")
    services.engagement_report(actor=assessor_user, engagement=engagement, score=score, upload=pdf("评价报告.pdf"))
    return engagement


# 我的申报


def test_applicant_sees_each_application_with_state_position_missing_and_deadline(client, tree, notice):
    user = tree.users["ent"]
    draft = services.application_create(
        actor=user, applicant=tree.ent, notice=notice, category="supply_chain", data={"industry_code": "C3670"}
    )
    submitted = transition_perform(actor=user, application=ready_application(user, tree.ent, notice), action="submit")
    html = section(dashboard(client, user), "mine-h")
    assert "共 2 项" in html

    row = row_of(html, draft)
    assert f'href="/applications/{draft.pk}/"' in row and "绿色供应链管理企业" in row and notice.title in row
    assert "草稿" in row and "本单位填报中" in row
    problems = completeness(draft)
    assert f"{len(problems)} 项" in row
    assert "申报信息未填写：" in row and "缺少必须提交的材料" not in row  # only the first items are listed
    assert f"另有 {len(problems) - 2} 项" in row
    assert DUE_IN_5_DAYS.search(row) and "data-deadline=" in row

    row = row_of(html, submitted)
    assert "审核中" in row and f"待{tree.county.name}审核" in row
    assert "项</strong>" not in row and "已于" in row and "提交" in row
    assert "data-deadline=" not in row  # a submitted application no longer counts down


def test_a_returned_application_names_who_returned_it_and_why(client, tree, notice):
    user = tree.users["ent"]
    app = transition_perform(actor=user, application=ready_application(user, tree.ent, notice), action="submit")
    transition_perform(actor=tree.users["county"], application=app, action="return", reason="补充能效证明")
    row = row_of(dashboard(client, user), app)
    assert "退回修改" in row and f"{tree.county.name}退回本单位修改" in row and "退回理由：补充能效证明" in row
    assert "材料齐全，可以提交" in row and DUE_IN_5_DAYS.search(row)


def test_the_applicant_sees_the_assessors_progress_and_the_report_received(client, tree, notice, assessor):
    org, assessor_user = assessor
    user = tree.users["ent"]
    app = ready_application(user, tree.ent, notice)
    engagement = third_party(user, app, org)
    row = row_of(dashboard(client, user), app)
    assert "第三方评价" in row and org.name in row and "待机构接受" in row
    assert f"第三方评价机构“{org.name}”尚未接受委托。" in row
    services.engagement_respond(actor=assessor_user, engagement=engagement, accept=True, lead_assessor="张三")
    assert "已接受，报告待提交" in row_of(dashboard(client, user), app)
    services.engagement_report(actor=assessor_user, engagement=engagement, score="91.5", upload=pdf())
    row = row_of(dashboard(client, user), app)
    assert "已收到评价报告（得分 91.5）" in row and "材料齐全，可以提交" in row


def test_open_notices_offer_the_categories_this_applicant_may_apply_for(client, tree, notice, root):
    user = tree.users["ent"]
    html = section(dashboard(client, user), "open-h")
    # One notice per forwarding family: the city's, nearest the applicant.
    assert f'href="/notices/{notice.pk}/"' in html
    assert f'href="/notices/{notice.forwards_id}/"' not in html
    links = re.findall(r'href="/applications/new/\?notice=(\d+)&amp;category=(\w+)"', html)
    assert links == [(str(notice.pk), "factory"), (str(notice.pk), "supply_chain")]  # not 园区
    assert DUE_IN_5_DAYS.search(html)

    app = services.application_create(actor=user, applicant=tree.ent, notice=notice, category="factory")
    html = section(dashboard(client, user), "open-h")
    assert re.findall(r"category=(\w+)", html) == ["supply_chain"]
    assert f'<a href="/applications/{app.pk}/">已申报（草稿）</a>' in html


def test_a_park_may_apply_only_as_a_park_and_an_unforwarded_chain_offers_the_provinces_notice(client, tree, notice):
    park = enterprise("小店测试园区管理委员会", tree.county, kind="park")
    html = section(dashboard(client, member(park)), "open-h")
    assert re.findall(r"notice=(\d+)&amp;category=(\w+)", html) == [(str(notice.pk), "park")]
    # 平城's city did not forward: its applicants apply under the province's notice.
    html = section(dashboard(client, tree.users["other_ent"]), "open-h")
    assert re.findall(r"notice=(\d+)&amp;category=(\w+)", html) == [
        (str(notice.forwards_id), "factory"),
        (str(notice.forwards_id), "supply_chain"),
    ]


def test_past_the_deadline_a_notice_offers_no_new_application(client, tree, root):
    now = timezone.now()
    top = published_notice(root, tree.ministry, deadlines=[("applicant", now - timedelta(hours=3))])
    html = section(dashboard(client, tree.users["ent"]), "open-h")
    assert f'href="/notices/{top.pk}/"' in html and "申报已截止" in html and "/applications/new/" not in html
    assert re.search(r"已逾期 (2小时59分|3小时0分)", html)


def test_empty_states(client, tree):
    html = dashboard(client, tree.users["ent"])
    assert "您还没有申报。年度通知发布后" in section(html, "mine-h")
    assert "目前没有面向本单位的年度通知" in section(html, "open-h")


# The assessor's dashboard


def test_assessor_sees_engagements_awaiting_answer_reports_due_and_reported(client, tree, notice, assessor):
    org, assessor_user = assessor
    applicants = [enterprise(f"委托测试企业{i}有限公司", tree.county) for i in range(3)]
    engagements = []
    for applicant in applicants:
        u = member(applicant)
        engagements.append(third_party(u, ready_application(u, applicant, notice), org))
    pending, due, done = engagements
    services.engagement_respond(actor=assessor_user, engagement=due, accept=True, lead_assessor="张三")
    services.engagement_respond(actor=assessor_user, engagement=done, accept=True, lead_assessor="李四")
    services.engagement_report(actor=assessor_user, engagement=done, score=92, upload=pdf())
    html = dashboard(client, assessor_user)
    assert "第三方评价机构工作台" in html and org.name in html
    counts = dict(
        (label, int(n))
        for n, label in re.findall(r'<a class="stat" href="[^"]+"><b>(\d+)</b><span>([^<]+)</span>', html)
    )
    assert counts == {"待答复的委托": 1, "待提交的评价报告": 1, "已提交报告": 1, "已拒绝或撤销": 0}
    box = section(html, "pending-h")
    assert applicants[0].name in box and f'href="/engagements/{pending.pk}/"' in box and DUE_IN_5_DAYS.search(box)
    box = section(html, "due-h")
    assert applicants[1].name in box and "张三" in box and f'href="/engagements/{due.pk}/#report"' in box
    assert DUE_IN_5_DAYS.search(box)
    box = section(html, "reported-h")
    assert applicants[2].name in box and "92.0" in box and f'href="/engagements/{done.pk}/"' in box


def test_assessor_dashboard_empty_states(client, assessor):
    html = dashboard(client, assessor[1])
    assert "暂无待答复的委托" in html and "没有待提交的评价报告" in html and "尚未提交评价报告" in html


# The authority's 待办


def test_authority_sees_the_applications_it_holds_for_review(client, tree, notice):
    user = tree.users["ent"]
    app = transition_perform(actor=user, application=ready_application(user, tree.ent, notice), action="submit")
    html = section(dashboard(client, tree.users["county"]), "inbox-h")
    assert "待审核 1 项" in html and 'href="/reviews/inbox/"' in html
    assert f'<a href="/applications/{app.pk}/">{tree.ent.name}</a>' in html and "绿色工厂" in html
    # The city holds nothing yet; after a return the county holds nothing either.
    assert "暂无待审核的申报" in section(dashboard(client, tree.users["city"]), "inbox-h")
    transition_perform(actor=tree.users["county"], application=app, action="return", reason="补充材料")
    assert "暂无待审核的申报" in section(dashboard(client, tree.users["county"]), "inbox-h")


# missing_summary agrees with completeness


def test_missing_summary_agrees_with_completeness(tree, notice, assessor, root):
    org, assessor_user = assessor
    user = tree.users["ent"]
    ent2 = enterprise("小店第二测试企业有限公司", tree.county)
    user2 = member(ent2)
    park = enterprise("小店测试园区管理委员会", tree.county, kind="park")
    park_user = member(park)
    cases = []
    # Nothing done yet.
    cases.append(services.application_create(actor=user, applicant=tree.ent, notice=notice, category="supply_chain"))
    # Complete, self-evaluated.
    cases.append(ready_application(user, tree.ent, notice))
    # A park with part of its data, declarations, no commitment.
    park_app = services.application_create(
        actor=park_user, applicant=park, notice=notice, category="park", data={"park_level": "national"}
    )
    services.declarations_save(
        actor=park_user, application=park_app, answers={"NEG-TAX": {"occurred": False, "note": ""}}
    )
    cases.append(park_app)
    # Third party at each step: not commissioned, pending, accepted, reported, report file lost.
    steps = []
    for i in range(5):
        applicant = enterprise(f"第三方步骤测试企业{i}有限公司", tree.county)
        u = member(applicant)
        a = ready_application(u, applicant, notice)
        services.application_update(actor=u, application=a, evaluation_mode="third_party")
        steps.append((u, a))
    cases.append(steps[0][1])
    cases.append(third_party(*steps[1], org).application)
    e = third_party(*steps[2], org)
    services.engagement_respond(actor=assessor_user, engagement=e, accept=True, lead_assessor="张三")
    cases.append(e.application)
    cases.append(reported(*steps[3], org, assessor_user).application)
    lost = reported(*steps[4], org, assessor_user).application
    MaterialFile.objects.filter(application=lost, kind="third_party_report").update(is_current=False)
    cases.append(lost)
    # A material missing after all, and a category the notice does not (or no longer) allows self-evaluation for.
    no_material = ready_application(user2, ent2, notice)
    MaterialFile.objects.filter(application=no_material).update(is_current=False)
    cases.append(no_material)
    strict = services.application_create(
        actor=user2, applicant=ent2, notice=notice, category="supply_chain", data=SUPPLY_DATA
    )
    declare_all(user2, strict)
    notice.categories.filter(category="supply_chain").update(self_evaluation_allowed=False)
    cases.append(strict)
    # A category the notice never opened (data moved underneath).
    unopened = services.application_create(actor=user, applicant=tree.ent, notice=notice.forwards, category="factory")
    Application.objects.filter(pk=unopened.pk).update(category="product")
    cases.append(unopened)

    fresh = list(Application.objects.filter(pk__in=[a.pk for a in cases]))
    summary = missing_summary(fresh)
    expected = {a.pk: completeness(a) for a in fresh}
    assert summary == expected
    # The cases do cover every kind of message.
    text = " ".join(p for problems in expected.values() for p in problems)
    for fragment in (
        "申报信息未填写",
        "所选通知未开放该申报类别",
        "不允许自评价",
        "缺少必须提交的材料",
        "负面清单声明还有",
        "尚未签署承诺书",
        "尚未委托第三方评价机构",
        "尚未接受委托",
        "尚未上传评价报告和得分",
        "第三方评价报告文件缺失",
    ):
        assert fragment in text, fragment
    assert expected[cases[1].pk] == [] and expected[steps[3][1].pk] == []
    assert missing_summary([]) == {}


def test_missing_summary_runs_a_fixed_number_of_queries(tree, notice, assessor):
    org, _ = assessor

    def measure(applications):
        with CaptureQueriesContext(connection) as ctx:
            missing_summary(applications)
        return len(ctx.captured_queries)

    apps = []
    for i in range(20):
        applicant = enterprise(f"汇总计数测试企业{i:02d}有限公司", tree.county)
        u = member(applicant)
        a = services.application_create(
            actor=u, applicant=applicant, notice=notice, category="factory", evaluation_mode="third_party"
        )
        services.engagement_request(actor=u, application=a, assessor=org)
        apps.append(Application.objects.get(pk=a.pk))
    assert measure(apps[:1]) == measure(apps) <= 5


# Query counts at 1 and at 20


def measure(client, user) -> tuple[int, str]:
    client.force_login(user)
    client.get("/dashboard/")  # warm per-process caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/dashboard/")
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_applicant_dashboard_queries_do_not_grow(client, tree, notice, root, assessor):
    org, assessor_user = assessor
    user = tree.users["ent"]
    # Enough notices for twenty applications of one enterprise (three categories each).
    yearly = [
        published_notice(
            root,
            tree.ministry,
            year=year,
            categories=("factory", "supply_chain", "product"),
            deadlines=[("authority", timezone.now() + timedelta(days=60))],
        )
        for year in range(2018, 2024)
    ]
    slots = [(n, c) for n in yearly for c in ("factory", "supply_chain", "product")] + [(notice, "supply_chain")]
    # The first one takes every path: third party, report received, returned with a reason.
    first = ready_application(user, tree.ent, notice)
    reported(user, first, org, assessor_user)
    first = transition_perform(actor=user, application=first, action="submit")
    transition_perform(actor=tree.users["county"], application=first, action="return", reason="补充能效证明")

    one, html = measure(client, user)
    assert APP_ROW.findall(html) == [str(first.pk)]

    for i, (n, category) in enumerate(slots[:19]):
        a = services.application_create(actor=user, applicant=tree.ent, notice=n, category=category)
        if i % 4 == 0:
            third_party(user, a, org)
        elif i % 4 == 1:
            services.application_update(actor=user, application=a, data=DATA[category])
            declare_all(user, a)
            transition_perform(actor=user, application=a, action="submit")
        elif i % 4 == 2:
            services.application_update(actor=user, application=a, data=DATA[category])
    twenty, html = measure(client, user)
    assert len(APP_ROW.findall(html)) == 20
    assert html.count("待机构接受") == 5 and html.count(f"待{tree.county.name}审核") == 5
    assert one == twenty


def test_assessor_dashboard_queries_do_not_grow(client, tree, notice, assessor):
    org, assessor_user = assessor

    def add(start, stop):
        for i in range(start, stop):
            applicant = enterprise(f"评价计数测试企业{i:02d}有限公司", tree.county if i % 2 == 0 else tree.other_county)
            u = member(applicant)
            a = services.application_create(
                actor=u,
                applicant=applicant,
                notice=notice if i % 2 == 0 else notice.forwards,
                category="factory",
                evaluation_mode="third_party",
            )
            e = services.engagement_request(actor=u, application=a, assessor=org)
            if i % 3 >= 1:
                services.engagement_respond(actor=assessor_user, engagement=e, accept=True, lead_assessor="张三")
            if i % 3 == 2:
                services.engagement_report(actor=assessor_user, engagement=e, score=80 + i % 10, upload=pdf())

    add(0, 1)
    one, html = measure(client, assessor_user)
    assert "评价计数测试企业00有限公司" in section(html, "pending-h")
    add(1, 20)
    twenty, html = measure(client, assessor_user)
    assert html.count('href="/engagements/') >= 20
    assert one == twenty


def test_authority_dashboard_queries_do_not_grow(client, tree, notice):
    def add(start, stop):
        for i in range(start, stop):
            applicant = enterprise(f"待办计数测试企业{i:02d}有限公司", tree.county)
            u = member(applicant)
            transition_perform(actor=u, application=ready_application(u, applicant, notice), action="submit")

    add(0, 1)
    one, html = measure(client, tree.users["county"])
    assert "待审核 1 项" in html
    add(1, 20)
    twenty, html = measure(client, tree.users["county"])
    box = section(html, "inbox-h")
    assert "待审核 20 项" in box and len(re.findall(r'<a href="/applications/\d+/">', box)) == 10
    assert "查看全部 20 项" in box
    assert one == twenty
