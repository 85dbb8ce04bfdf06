"""A year's round through the API: a factory, a park and a supply-chain applicant from draft to listed.

County: department consultation with an objection (that applicant is not recommended), a return and resubmission,
a quota overflow refused; city: a late batch refused, then sent within an extension; province: expert review with
a conflicted expert refused; ministry: 公示 with an objection, finalized into the list.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from activity.models import AuditEvent
from applications.models import Application, State
from greenmfg.demo_applications import SUPPLY_CHAIN
from listings.models import Listing
from notices.models import Deadline
from notices.services import extension_grant, quota_set
from organizations.models import ExpertAffiliation
from organizations.services import expert_profile_save
from reviews.models import Publicity
from reviews.workflow import TRANSITIONS
from tests.application_helpers import open_chain, pdf, ready_application
from tests.factories import UserFactory, department, enterprise, member

JSON = "application/json"


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client, url, data, status=200):
    response = client.post(url, data, content_type=JSON)
    assert response.status_code == status, (url, response.status_code, response.content.decode()[:600])
    return response.json()


def act(client, app_id, action, reason="", status=200, version=None):
    data = {"action": action, "reason": reason}
    if version is not None:
        data["version"] = version
    return post(client, f"/api/v1/applications/{app_id}/transitions/", data, status)


def send_batch(client, notice, apps, *, expect_refusal=None):
    batch = post(client, "/api/v1/batches/", {"notice": notice.pk, "applications": apps}, 201)
    scanned = client.post(f"/api/v1/batches/{batch['id']}/scan/", {"file": pdf("推荐文（盖章）.pdf")})
    assert scanned.status_code == 200, scanned.content
    return batch["id"]


@pytest.fixture
def year(tree, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    notice = open_chain(
        tree,
        root,
        materials=(("factory", "自评价报告"), ("park", "园区自评价报告"), ("supply_chain", "供应链自评价报告")),
    )
    park = enterprise("小店测试园区管理委员会", tree.county, kind="park")
    ent2 = enterprise("小店第二测试企业有限公司", tree.county)
    ent3 = enterprise("小店第三测试企业有限公司", tree.county)
    users = {
        "park": member(park, username="u-park"),
        "ent2": member(ent2, username="u-ent2"),
        "ent3": member(ent3, username="u-ent3"),
        "safety": member(department("小店区应急管理（测试）", tree.county, "emergency"), username="u-safety"),
        "market": member(department("小店区市场监管（测试）", tree.county, "market"), username="u-market"),
    }
    return root, notice, park, ent2, ent3, users


def test_a_year_from_draft_to_listed_through_the_api(tree, year, client):
    root, notice, park, ent2, ent3, users = year
    ent_user = tree.users["ent"]
    factory = ready_application(ent_user, tree.ent, notice, "factory")
    supply = ready_application(ent_user, tree.ent, notice, "supply_chain", data=SUPPLY_CHAIN)
    park_app = ready_application(users["park"], park, notice, "park")
    polluter = ready_application(users["ent2"], ent2, notice, "factory")
    extra = ready_application(users["ent3"], ent3, notice, "factory")
    applicant_of = {
        factory.pk: ent_user,
        supply.pk: ent_user,
        park_app.pk: users["park"],
        polluter.pk: users["ent2"],
        extra.pk: users["ent3"],
    }
    for app_id, user in applicant_of.items():
        assert act(as_user(user), app_id, "submit")["state"] == "under_review"

    # County: consult the three departments; the ecology department objects to one applicant.
    county = as_user(tree.users["county"])
    all_ids = list(applicant_of)
    departments = [tree.eco.pk, users["safety"].memberships.get().organization_id]
    departments.append(users["market"].memberships.get().organization_id)
    consultation = post(
        county,
        "/api/v1/consultations/",
        {"applications": all_ids, "departments": departments, "due": str(timezone.localdate() + timedelta(days=3))},
        201,
    )
    refused = act(county, factory.pk, "recommend", "同意推荐", status=400)
    assert any("尚未反馈意见" in p for p in refused["problems"])
    for key, dept_user in (("eco", tree.users["eco"]), ("safety", users["safety"]), ("market", users["market"])):
        dept = as_user(dept_user)
        for app_id in all_ids:
            objecting = key == "eco" and app_id == polluter.pk
            post(
                dept,
                f"/api/v1/consultations/{consultation['id']}/replies/",
                {
                    "application": app_id,
                    "opinion": "objection" if objecting else "no_objection",
                    "reason": "2025年废水超标排放被行政处罚" if objecting else "",
                },
            )
    matrix = county.get(f"/api/v1/consultations/{consultation['id']}/").json()
    assert sum(r["opinion"] == "objection" for r in matrix["replies_list"]) == 1
    assert sum(r["opinion"] == "no_objection" for r in matrix["replies_list"]) == 3 * 5 - 1
    blocked = act(county, polluter.pk, "recommend", "同意推荐", status=400)
    assert any("发生环境污染事故" in p for p in blocked["problems"])
    assert act(county, polluter.pk, "not_recommend", "生态环境部门反馈近三年有环境违法记录。")["state"] == (
        "not_recommended"
    )

    # A return and a resubmission, before the applicant deadline.
    assert act(county, factory.pk, "return", "请补充能耗在线监测数据。")["state"] == "returned"
    assert act(as_user(ent_user), factory.pk, "resubmit")["holder"] == tree.county.pk
    for app_id in (factory.pk, supply.pk, park_app.pk, extra.pk):
        assert act(county, app_id, "recommend", "经初审，同意推荐。")["state"] == "recommended"

    # The county's green-factory quota is 1: a batch with two factories is refused, one comes out.
    quota_set(actor=root, notice_category=notice.categories.get(category="factory"), authority=tree.county, limit=1)
    batch = send_batch(county, notice, [factory.pk, extra.pk, park_app.pk, supply.pk])
    over = post(county, f"/api/v1/batches/{batch}/transitions/", {"action": "submit"}, 400)
    assert f"{tree.county.name}绿色工厂推荐名额1个，本批次及已报送批次共2家，超出1家。" in over["problems"]
    patched = county.patch(
        f"/api/v1/batches/{batch}/", {"applications": [factory.pk, park_app.pk, supply.pk]}, content_type=JSON
    )
    assert [i["application"] for i in patched.json()["items"]] == [factory.pk, park_app.pk, supply.pk]
    assert post(county, f"/api/v1/batches/{batch}/transitions/", {"action": "submit"})["state"] == "submitted"
    chosen = [factory.pk, park_app.pk, supply.pk]

    # City: receives, recommends; its batch is late for the province until the province extends its deadline.
    city = as_user(tree.users["city"])
    post(city, f"/api/v1/batches/{batch}/transitions/", {"action": "receive"})
    for app_id in chosen:
        act(city, app_id, "recommend", "经审核，同意推荐。")
    city_batch = send_batch(city, notice, chosen)
    province_deadline = Deadline.objects.get(notice__issuer=tree.province, notice__year=notice.year, stage="authority")
    Deadline.objects.filter(pk=province_deadline.pk).update(due_at=timezone.now() - timedelta(hours=1))
    late = post(city, f"/api/v1/batches/{city_batch}/transitions/", {"action": "submit"}, 400)
    assert "逾期则视为无申报企业" in late["detail"]
    extension_grant(
        actor=tree.users["province"],
        deadline=Deadline.objects.get(pk=province_deadline.pk),
        organization=tree.city,
        new_due_at=timezone.now() + timedelta(days=2),
        reason="太原市因部门意见反馈延迟申请延期",
    )
    assert post(city, f"/api/v1/batches/{city_batch}/transitions/", {"action": "submit"})["state"] == "submitted"

    # Province: a factory panel; an expert affiliated with the applicant is refused, another scores.
    province = as_user(tree.users["province"])
    post(province, f"/api/v1/batches/{city_batch}/transitions/", {"action": "receive"})
    conflicted = expert_profile_save(
        actor=root,
        user=UserFactory(username="expert-conflicted"),
        pool=tree.province,
        title="高级工程师",
        affiliations=[
            {"organization": tree.ent, "name": tree.ent.name, "relation": ExpertAffiliation.Relation.CONSULTANT}
        ],
    )
    fair = expert_profile_save(actor=root, user=UserFactory(username="expert-fair"), pool=tree.province, title="教授")
    panel = post(
        province,
        "/api/v1/expert-reviews/panels/",
        {
            "authority": tree.province.pk,
            "notice": notice.forwards_id,
            "category": "factory",
            "name": "绿色工厂评审组",
            "experts_per_application": 1,
            "experts": [conflicted.pk, fair.pk],
            "criteria": [
                {"name": "能源与资源投入", "weight": "60", "max_score": 100},
                {"name": "绩效", "weight": "40", "max_score": 100},
            ],
        },
        201,
    )
    refusal = post(
        province,
        f"/api/v1/expert-reviews/panels/{panel['id']}/assign/",
        {"application": factory.pk, "expert": conflicted.pk},
        400,
    )
    assert tree.ent.name in str(refusal)
    assignment = post(
        province,
        f"/api/v1/expert-reviews/panels/{panel['id']}/assign/",
        {"application": factory.pk, "expert": fair.pk},
        201,
    )
    expert = as_user(fair.user)
    assert expert.get(f"/api/v1/applications/{supply.pk}/").status_code == 404  # only what it was assigned
    criteria = {c["name"]: c["id"] for c in panel["criteria"]}
    scored = post(
        expert,
        f"/api/v1/expert-reviews/assignments/{assignment['id']}/score/",
        {
            "scores": [
                {"criterion": criteria["能源与资源投入"], "value": "90"},
                {"criterion": criteria["绩效"], "value": "80"},
            ],
            "comment": "能效水平先进。",
        },
    )
    assert scored["status"] == "submitted" and scored["total"] == "86.00"
    ranking = province.get(f"/api/v1/expert-reviews/panels/{panel['id']}/ranking/").json()
    assert [(r["application"], r["score"], r["badges"]) for r in ranking["rows"]] == [
        (factory.pk, "86.00", ["能效标杆"])
    ]
    for app_id in chosen:
        act(province, app_id, "recommend", "经专家评审，同意推荐为国家级。")
    province_batch = send_batch(province, notice, chosen)
    post(province, f"/api/v1/batches/{province_batch}/transitions/", {"action": "submit"})

    # Ministry: 公示 with an objection from the public, handled; then the final list.
    ministry = as_user(tree.users["ministry"])
    post(ministry, f"/api/v1/batches/{province_batch}/transitions/", {"action": "receive"})
    for app_id in chosen:
        act(ministry, app_id, "recommend", "拟列入国家级绿色制造名单。")
    top_notice = notice.forwards.forwards
    today = timezone.localdate()
    publicity = post(
        ministry,
        "/api/v1/publicity-management/",
        {
            "notice": top_notice.pk,
            "title": "2026年度绿色制造名单公示",
            "starts_on": str(today),
            "ends_on": str(today + timedelta(days=7)),
            "applications": chosen,
        },
        201,
    )
    post(ministry, f"/api/v1/publicity-management/{publicity['id']}/publish/", {})
    public = Client().get(f"/api/v1/publicity/{publicity['id']}/").json()
    assert [e["name"] for e in public["entries"]] == [tree.ent.name, park.name, tree.ent.name]
    assert "credit_code" not in str(public)
    entry = public["entries"][1]["id"]
    post(
        Client(),
        f"/api/v1/publicity/{publicity['id']}/objections/",
        {"entry": entry, "name": "王先生", "phone": "13800000000", "content": "园区边界与申报材料不一致。"},
        201,
    )
    early = post(ministry, f"/api/v1/publicity-management/{publicity['id']}/finalize/", {}, 400)
    assert any("期满" in p or "异议" in p for p in early["problems"])
    objection = ministry.get(f"/api/v1/publicity-management/{publicity['id']}/").json()["objections"][0]
    post(
        ministry,
        f"/api/v1/publicity-management/{publicity['id']}/handle/",
        {
            "objection": objection["id"],
            "status": "dismissed",
            "response": "经核实，园区边界以规划批复为准，异议不成立。",
        },
    )
    # The period runs out.
    Publicity.objects.filter(pk=publicity["id"]).update(
        starts_on=today - timedelta(days=8), ends_on=today - timedelta(days=1)
    )
    final = post(ministry, f"/api/v1/publicity-management/{publicity['id']}/finalize/", {})
    assert final["state"] == "finalized" and {e["outcome"] for e in final["entries"]} == {"listed"}

    assert dict(Application.objects.filter(pk__in=all_ids).values_list("pk", "state")) == {
        factory.pk: State.LISTED,
        park_app.pk: State.LISTED,
        supply.pk: State.LISTED,
        polluter.pk: State.NOT_RECOMMENDED,
        extra.pk: State.RECOMMENDED,
    }
    listings = Listing.objects.order_by("category").values_list("name", "category", "level", "status")
    assert list(listings) == [
        (tree.ent.name, "factory", "national", "active"),
        (park.name, "park", "national", "active"),
        (tree.ent.name, "supply_chain", "national", "active"),
    ]
    # Every level decided and audited, and the applicant sees the trail level by level.
    verbs = list(
        AuditEvent.objects.filter(target_id=str(factory.pk), verb__in=[f"application.{t.action}" for t in TRANSITIONS])
        .order_by("id")
        .values_list("verb", "organization__name")
    )
    assert verbs == [
        ("application.submit", tree.ent.name),
        ("application.return", tree.county.name),
        ("application.resubmit", tree.ent.name),
        ("application.recommend", tree.county.name),
        ("application.forward", tree.county.name),
        ("application.recommend", tree.city.name),
        ("application.forward", tree.city.name),
        ("application.recommend", tree.province.name),
        ("application.forward", tree.province.name),
        ("application.recommend", tree.ministry.name),
        ("application.list", tree.ministry.name),
    ]
    page = as_user(ent_user).get(f"/applications/{factory.pk}/").content.decode()
    for authority in (tree.county, tree.city, tree.province, tree.ministry):
        assert authority.name in page
    assert "2025年废水超标排放" not in as_user(users["ent2"]).get(f"/applications/{polluter.pk}/").content.decode()
