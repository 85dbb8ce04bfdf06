"""A year's round for the document tests, built through the services: a notice chain opening all four categories,
a county that consulted its departments, a city batch of two factories (one third-party assessed), a park
(self-evaluated), a supply-chain applicant and a product, a province panel with scores and a quota, two province
batches to the ministry, and the ministry's listings. Other document tests may import `documents_round`.
"""

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from applications import services as app_services
from listings.services import listing_create
from notices.services import quota_set
from organizations.services import expert_profile_save
from reviews.models import Batch, Panel
from reviews.services import experts as expert_services
from reviews.services.consultations import consultation_send, reply_submit
from tests.application_helpers import PARK_DATA, ready_application
from tests.chain_helpers import lift, recommend
from tests.factories import UserFactory, department, enterprise, member
from tests.notice_helpers import published_notice, sh

SUPPLY_DATA = {
    "industry_code": "C3670",
    "industry_name": "汽车零部件及配件制造",
    "chain_leader": True,
    "independent_legal_person": True,
    "green_supplier_count": 12,
    "self_score": 88,
}
PRODUCT_DATA = {
    "product_name": "变频房间空气调节器",
    "product_standard": "T/CAGP 0001-2016 绿色设计产品评价技术规范 房间空气调节器",
    "self_score": 90,
}
SUBMITTED_ON = sh(2024, 5, 7, 16, 30)


def _notice_chain(tree, root):
    now = timezone.now().replace(microsecond=0)
    categories = ("factory", "park", "supply_chain", "product")
    top = published_notice(
        root, tree.ministry, categories=categories, deadlines=[("authority", now + timedelta(days=60))]
    )
    province = published_notice(root, tree.province, forwards=top, deadlines=[("authority", now + timedelta(days=30))])
    return published_notice(
        root,
        tree.city,
        forwards=province,
        deadlines=[("authority", now + timedelta(days=20)), ("applicant", now + timedelta(days=5))],
    )


def _submit(user, app):
    from reviews.services import transition_perform

    return transition_perform(actor=user, application=app, action="submit")


@pytest.fixture
def documents_round(tree, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    notice = _notice_chain(tree, root)
    county_user, city_user, province_user = tree.users["county"], tree.users["city"], tree.users["province"]

    # Applicants under the county; the first factory is assessed by a third party.
    assessor = enterprise("中环联合（北京）认证中心有限公司", tree.province, kind="assessor")
    assessor_user = member(assessor)
    park = enterprise("小店经济技术开发区管理委员会", tree.county, kind="park")
    supplier = enterprise("晋阳汽车零部件有限公司", tree.county)
    maker = enterprise("龙城空调设备有限公司", tree.county)
    second = enterprise("并州精密机械有限公司", tree.county)
    refused = enterprise("汾河化工有限公司", tree.county)
    users = {o.pk: member(o) for o in (park, supplier, maker, second, refused)}
    users[tree.ent.pk] = tree.users["ent"]

    factory = ready_application(tree.users["ent"], tree.ent, notice, "factory")
    app_services.application_update(actor=tree.users["ent"], application=factory, evaluation_mode="third_party")
    engagement = app_services.engagement_request(actor=tree.users["ent"], application=factory, assessor=assessor)
    app_services.engagement_respond(actor=assessor_user, engagement=engagement, accept=True, lead_assessor="张工")
    app_services.engagement_report(actor=assessor_user, engagement=engagement, score="91.5", upload=_pdf())
    apps = SimpleNamespace(
        factory=factory,
        park=ready_application(users[park.pk], park, notice, "park", data=PARK_DATA),
        supply=ready_application(users[supplier.pk], supplier, notice, "supply_chain", data=SUPPLY_DATA),
        product=ready_application(users[maker.pk], maker, notice, "product", data=PRODUCT_DATA),
        second=ready_application(users[second.pk], second, notice, "factory"),
        refused=ready_application(users[refused.pk], refused, notice, "factory"),
    )
    for name, app in vars(apps).items():
        setattr(apps, name, _submit(users[app.applicant_id], app))

    # The county consults ecology and emergency; emergency objects to one applicant, who is not recommended.
    emergency = department("小店区应急管理局（测试）", tree.county, "emergency")
    emergency_user = member(emergency)
    consultation = consultation_send(
        actor=county_user,
        authority=tree.county,
        applications=list(vars(apps).values()),
        departments=[tree.eco, emergency],
        due_on=timezone.localdate() + timedelta(days=3),
    )
    for reply in consultation.replies.select_related("application").order_by("id"):
        objection = reply.department_id == emergency.pk and reply.application_id == apps.refused.pk
        reply_submit(
            actor=tree.users["eco"] if reply.department_id == tree.eco.pk else emergency_user,
            reply=reply,
            opinion="objection" if objection else "no_objection",
            reason="2023年发生一般生产安全事故" if objection else "",
        )
    from reviews.services import transition_perform

    transition_perform(actor=county_user, application=apps.refused, action="not_recommend", reason="存在安全事故。")
    climbing = ["factory", "park", "supply", "product", "second"]
    for name in climbing:
        setattr(apps, name, recommend(getattr(apps, name), county_user, opinion=f"同意推荐（{name}）。"))
    _, moved = lift([getattr(apps, n) for n in climbing], authority=tree.county, user=county_user, notice=notice)

    # The city recommends and sends one batch, ranked: second factory, supply chain, first factory, park, product.
    moved = {n: recommend(a, city_user) for n, a in zip(climbing, moved, strict=True)}
    order = ["second", "supply", "factory", "park", "product"]
    city_batch, moved_up = lift([moved[n] for n in order], authority=tree.city, user=city_user, notice=notice)
    Batch.objects.filter(pk=city_batch.pk).update(submitted_at=SUBMITTED_ON)
    city_batch.refresh_from_db()
    at_province = dict(zip(order, moved_up, strict=True))

    # The province's factory panel: two experts, one factory quota; 乙 declines the second factory.
    ministry_notice = notice.forwards.forwards
    quota_set(
        actor=root, notice_category=ministry_notice.categories.get(category="factory"), authority=tree.province, limit=1
    )
    experts = [
        expert_profile_save(
            actor=root,
            user=UserFactory(username=f"expert-{n}", first_name=n),
            pool=tree.province,
            title="高级工程师",
            employer="山西省节能中心",
        )
        for n in ("甲", "乙")
    ]
    panel = expert_services.panel_save(
        actor=province_user,
        authority=tree.province,
        notice=notice.forwards,
        category="factory",
        name="绿色工厂评审组",
        aggregate=Panel.Aggregate.MEAN,
        experts_per_application=2,
        experts=experts,
    )
    expert_services.criteria_save(
        actor=province_user,
        panel=panel,
        rows=[
            {"name": "基本要求", "weight": "1", "max_score": "100"},
            {"name": "绩效指标", "weight": "3", "max_score": "50"},
        ],
    )
    criteria = list(panel.criteria.order_by("position", "id"))
    scores = {("factory", 0): (90, 45), ("factory", 1): (80, 40), ("second", 0): (70, 30)}
    for name in ("factory", "second"):
        for i, expert in enumerate(experts):
            a = expert_services.assignment_create(
                actor=province_user, panel=panel, application=at_province[name], expert=expert
            )
            if (name, i) in scores:
                values = dict(zip([c.pk for c in criteria], map(Decimal, scores[(name, i)]), strict=True))
                expert_services.score_submit(actor=expert.user, assignment=a, values=values, comment=f"{name}意见")
            else:
                expert_services.assignment_decline(actor=expert.user, assignment=a, reason="曾为该企业提供咨询")

    # The province recommends everything in two batches; the ministry lists the first factory and the park.
    recommended = {n: recommend(a, province_user) for n, a in at_province.items()}
    first, at_ministry = lift([recommended["factory"], recommended["park"]], **_up(tree, notice))
    second_batch, more = lift([recommended[n] for n in ("supply", "second", "product")], **_up(tree, notice))
    at_ministry = dict(zip(["factory", "park"], at_ministry, strict=True)) | dict(
        zip(["supply", "second", "product"], more, strict=True)
    )
    listed_on = date(2024, 12, 20)
    listings = [
        listing_create(actor=tree.users["ministry"], application=at_ministry[n], authority=tree.ministry, listed_on=d)
        for n, d in (("park", listed_on), ("factory", listed_on), ("product", listed_on))
    ]
    return SimpleNamespace(
        root=root,
        notice=notice,
        apps=apps,
        assessor=assessor,
        emergency=emergency,
        city_batch=city_batch,
        province_batches=[first, second_batch],
        panel=panel,
        experts=experts,
        listings=listings,
    )


def _up(tree, notice):
    return {"authority": tree.province, "user": tree.users["province"], "notice": notice}


def _pdf():
    from tests.application_helpers import pdf

    return pdf("第三方评价报告.pdf")
