"""The review chain in the demo: work waiting at every level, done through the real services.

小店区 is consulting its departments on 晋阳精密 (one reply in, two due) and has 龙城环保's resubmission; 汾河新材料 went up in 小店区's batch and
太原 is consulting its departments (市场监管 still to answer); 经开区 has a draft batch to stamp and send; the park
(via 太原's batch) and 综改区光电 (via 综改区's batch) are at the province, whose factory panel has one score in and
one expert still to score; three 大同 enterprises climbed to the ministry: two are in a 公示 running now (one with an
objection to handle) and one was listed after an earlier 公示.
"""

from datetime import timedelta

from django.utils import timezone

from applications import services as app_services
from applications.models import Application
from organizations.models import ExpertProfile
from reviews.models import Batch, Criterion
from reviews.services import transition_perform
from reviews.services.batches import batch_create, batch_receive, batch_scan_upload, batch_submit
from reviews.services.consultations import consultation_send, reply_submit
from reviews.services.experts import assignment_create, criteria_save, panel_save, score_submit
from reviews.services.publicity import (
    objection_submit,
    publicity_create,
    publicity_finalize,
    publicity_publish,
)

from .demo_applications import FACTORY, FACTORY_ENERGY, _fill, _pdf_upload

OPINIONS = {
    "county": "经初审，该企业申报材料齐全，符合绿色工厂申报条件，同意推荐。",
    "devzone": "经初审，材料齐全，能效达到标杆水平，同意推荐。",
    "pingcheng": "经初审，符合申报条件，同意推荐。",
    "yungang": "经初审，符合申报条件，同意推荐。",
    "zone": "经审核，该企业符合绿色工厂申报条件，同意推荐。",
    "city": "经审核并征求生态环境、应急管理、市场监管部门意见，同意推荐。",
    "city2": "经审核，同意推荐。",
    "province": "经专家评审，综合排名靠前，同意推荐为国家级绿色工厂。",
    "ministry": "经专家论证，拟列入国家级绿色制造名单。",
}
CRITERIA = [
    {"name": "基础设施", "description": "建筑、照明、计量设备等", "weight": "15", "max_score": 100},
    {"name": "管理体系", "description": "质量、环境、能源、职业健康安全管理体系", "weight": "15", "max_score": 100},
    {"name": "能源与资源投入", "description": "能源投入、资源投入、采购", "weight": "20", "max_score": 100},
    {"name": "产品", "description": "生态设计、有害物质限制使用、节能、碳足迹", "weight": "15", "max_score": 100},
    {"name": "环境排放", "description": "大气、水体、固体废弃物、噪声、温室气体", "weight": "15", "max_score": 100},
    {
        "name": "绩效",
        "description": "用地集约化、原料无害化、生产洁净化、废物资源化、能源低碳化",
        "weight": "20",
        "max_score": 100,
    },
]


def _apply(user, applicant, notice, data):
    application = app_services.application_create(
        actor=user, applicant=applicant, notice=notice, category="factory", evaluation_mode="self", data=data
    )
    _fill(user, application, notice.categories.get(category="factory"))
    return transition_perform(actor=user, application=Application.objects.get(pk=application.pk), action="submit")


def _recommend(application, users, key):
    return transition_perform(actor=users[key], application=application, action="recommend", reason=OPINIONS[key])


def _send(authority_key, applications, orgs, users, *, receive=True) -> Batch:
    authority = orgs[authority_key]
    user = users[authority_key]
    batch = batch_create(actor=user, authority=authority, notice=applications[0].notice, applications=applications)
    batch = batch_scan_upload(
        actor=user, batch=batch, upload=_pdf_upload(f"{batch.title}（盖章扫描件）", authority.name)
    )
    batch = batch_submit(actor=user, batch=batch)
    if receive:
        recipient_user = next(u for k, u in users.items() if orgs.get(k) == authority.parent and k in OPINIONS)
        batch = batch_receive(actor=recipient_user, batch=batch)
    return batch


def _held(application):
    return Application.objects.get(pk=application.pk)


def build_demo_chain(orgs: dict, users: dict, notices_by_issuer: dict) -> int:
    """Create the chain's demo work once (a second run changes nothing); returns how many steps were taken."""
    if Batch.objects.filter(authority=orgs["county"]).exists():
        return 0
    today = timezone.localdate()
    steps = 0

    # 小店区 consults its departments on 晋阳精密: 生态环境 has answered, 应急管理 and 市场监管 are due in 5 days.
    jinyang = Application.objects.get(applicant=orgs["enterprise"], category="factory")
    county_departments = [orgs["county-eco"], orgs["county-safety"], orgs["county-market"]]
    consultation = consultation_send(
        actor=users["county"],
        authority=orgs["county"],
        applications=[jinyang],
        departments=county_departments,
        due_on=today + timedelta(days=5),
        message="请于反馈截止日期前，就申报单位近三年是否发生环境污染、安全生产、质量事故等情况反馈意见。",
    )
    reply_submit(
        actor=users["county-eco"],
        reply=consultation.replies.get(department=orgs["county-eco"]),
        opinion="no_objection",
        reason="经核查，该企业近三年无环境违法记录。",
    )
    steps += 2

    # 龙城环保 fixed what 小店区 asked for and resubmitted: back in 小店区's inbox.
    longcheng = Application.objects.get(applicant=orgs["ent-xd3"], category="factory")
    app_services.material_upload(
        actor=users["ent-xd3"],
        application=longcheng,
        kind=str(longcheng.notice.categories.get(category="factory").materials.filter(required=True).first().pk),
        upload=_pdf_upload("自评价报告（修改稿，补充能效证明）", orgs["ent-xd3"].name),
    )
    transition_perform(actor=users["ent-xd3"], application=_held(longcheng), action="resubmit")
    steps += 1

    # 汾河新材料: recommended by 小店区, sent in its batch; 太原 consults its departments, 市场监管 still due.
    fenhe = _recommend(
        _held(Application.objects.get(applicant=orgs["enterprise2"], category="factory")), users, "county"
    )
    _send("county", [fenhe], orgs, users)
    fenhe = _held(fenhe)
    consultation = consultation_send(
        actor=users["city"],
        authority=orgs["city"],
        applications=[fenhe],
        departments=[orgs["eco"], orgs["safety"], orgs["market"]],
        due_on=today + timedelta(days=7),
    )
    for key in ("eco", "safety"):
        reply_submit(
            actor=users[key],
            reply=consultation.replies.get(department=orgs[key]),
            opinion="no_objection",
            reason="经核查，无相关违法违规记录。",
        )
    steps += 4

    # 经开区 recommended 智能电气 and has a draft batch to stamp and send.
    dianqi = _recommend(_held(Application.objects.get(applicant=orgs["ent-dz1"], category="factory")), users, "devzone")
    batch_create(actor=users["devzone"], authority=orgs["devzone"], notice=dianqi.notice, applications=[dianqi])
    steps += 2

    # The park goes up in 太原's batch; 综改区光电 in 综改区's: both wait at the province.
    park = _recommend(_held(Application.objects.get(applicant=orgs["park"], category="park")), users, "city")
    _send("city", [park], orgs, users)
    province_notice = notices_by_issuer[orgs["province"].pk]
    guangdian = _apply(users["ent-zone1"], orgs["ent-zone1"], province_notice, FACTORY_ENERGY)
    guangdian = _recommend(guangdian, users, "zone")
    _send("zone", [guangdian], orgs, users)
    steps += 5

    # The province's factory panel: both experts on 综改区光电, 马秀兰 has scored, 刘志远 has not yet.
    experts = list(ExpertProfile.objects.filter(pool=orgs["province"]).order_by("id"))
    panel = panel_save(
        actor=users["province"],
        authority=orgs["province"],
        notice=province_notice,
        category="factory",
        name="2024年度绿色工厂评审组",
        aggregate="trimmed",
        experts_per_application=2,
        experts=experts,
    )
    criteria_save(actor=users["province"], panel=panel, rows=CRITERIA)
    assignments = [
        assignment_create(actor=users["province"], panel=panel, application=_held(guangdian), expert=e) for e in experts
    ]
    scores = dict(
        zip(Criterion.objects.filter(panel=panel).order_by("position", "id"), (92, 88, 95, 85, 90, 93), strict=True)
    )
    score_submit(
        actor=assignments[-1].expert.user,
        assignment=assignments[-1],
        values={c.pk: v for c, v in scores.items()},
        comment="能效达到标杆水平，节水型企业，管理体系健全。",
    )
    steps += 4

    # 大同: three factories climb from 平城区 / 云冈区 through 大同 and the province to the ministry.
    climbed = []
    for key, county_key, data in (
        ("ent-pc1", "pingcheng", FACTORY),
        ("ent-yg1", "yungang", FACTORY_ENERGY),
        ("ent-pc2", "yungang", FACTORY),
    ):
        app = _recommend(_apply(users[key], orgs[key], province_notice, data), users, county_key)
        climbed.append((app, county_key))
    for county_key in ("pingcheng", "yungang"):
        _send(county_key, [_held(a) for a, k in climbed if k == county_key], orgs, users)
    datong = [_recommend(_held(a), users, "city2") for a, _ in climbed]
    _send("city2", datong, orgs, users)
    at_province = [_recommend(_held(a), users, "province") for a in datong]
    _send("province", at_province, orgs, users)
    pc1, yg1, pc2 = [_recommend(_held(a), users, "ministry") for a in at_province]
    steps += 15

    ministry_notice = notices_by_issuer[orgs["ministry"].pk]
    # An earlier 公示, ended and finalized: 大同云冈新能源 is listed.
    earlier = publicity_create(
        actor=users["ministry"],
        authority=orgs["ministry"],
        notice=ministry_notice,
        title="2024年度绿色制造名单公示（第一批）",
        starts_on=today - timedelta(days=20),
        ends_on=today - timedelta(days=10),
        applications=[pc2],
        contact="工业和信息化部节能与综合利用司 010-68205352",
    )
    publicity_publish(actor=users["ministry"], publicity=earlier, today=today - timedelta(days=20))
    publicity_finalize(actor=users["ministry"], publicity=earlier)
    # The current 公示, with an objection waiting for the ministry.
    current = publicity_create(
        actor=users["ministry"],
        authority=orgs["ministry"],
        notice=ministry_notice,
        title="2024年度绿色制造名单公示（第二批）",
        starts_on=today - timedelta(days=2),
        ends_on=today + timedelta(days=12),
        applications=[_held(pc1), _held(yg1)],
        body="公示期间，任何单位和个人对公示名单有异议的，可通过本页面提出，并提供联系方式。",
        contact="工业和信息化部节能与综合利用司 010-68205352",
    )
    current = publicity_publish(actor=users["ministry"], publicity=current)
    objection_submit(
        publicity=current,
        entry=current.entries.get(application=_held(yg1)),
        name="李明",
        phone="13812345678",
        content="该企业2023年曾因废气排放超标被当地生态环境部门责令整改，请核实。",
        organization_name="大同市云冈区某居民",
        ip="127.0.0.1",
    )
    steps += 6
    return steps
