"""Demo applications in each state the portal can reach today, with real PDF materials.

The PDFs are rendered with WeasyPrint from a short Chinese text per material (CJK fonts embedded), so the demo's
downloads open as real documents.
"""

from functools import lru_cache

from django.core.files.uploadedfile import SimpleUploadedFile

from applications import services
from applications.models import Application, Engagement, NegativeItem
from reviews.services import transition_perform

FACTORY = {
    "industry_code": "C3311",
    "industry_name": "金属结构制造",
    "evaluation_standard": "GB/T 36132-2018 绿色工厂评价通则",
    "key_energy_industry": False,
    "energy_efficiency_level": "advanced",
    "key_water_user": False,
    "water_saving_enterprise": False,
    "chain_leader": False,
    "little_giant": True,
    "town_leader": False,
    "self_score": 85.0,
}
FACTORY_ENERGY = {
    **FACTORY,
    "industry_code": "C3110",
    "industry_name": "炼铁",
    "key_energy_industry": True,
    "energy_efficiency_level": "benchmark",
    "key_water_user": True,
    "water_saving_enterprise": True,
    "chain_leader": True,
    "little_giant": False,
    "self_score": 91.0,
}
PARK = {
    "park_level": "provincial",
    "main_function": True,
    "value_added_share": 68.5,
    "legal_boundary": True,
    "unified_management": True,
    "green_factory_count": 9,
    "green_factory_share": 21.4,
    "low_carbon_pilot": True,
    "water_saving_park": True,
    "self_score": 88.0,
}
SUPPLY_CHAIN = {
    "industry_code": "C3841",
    "industry_name": "锂离子电池制造",
    "chain_leader": True,
    "independent_legal_person": True,
    "green_supplier_count": 12,
    "epr_pilot": False,
    "national_green_factory": True,
    "self_score": 84.0,
}

# applicant key, category, data, evaluation mode, assessor key, lead assessor, final action(s), acting authority key
PLAN = [
    ("enterprise", "factory", FACTORY, "self", None, "", ["submit"], None),
    ("enterprise2", "factory", FACTORY_ENERGY, "third_party", "assessor", "韩立群", ["submit"], None),
    (
        "enterprise2",
        "supply_chain",
        {"industry_code": "C2659", "industry_name": "其他合成材料制造"},
        "self",
        None,
        "",
        [],
        None,
    ),
    ("ent-xd3", "factory", FACTORY, "self", None, "", ["submit", "return"], "county"),
    ("ent-dz1", "factory", FACTORY_ENERGY, "self", None, "", ["submit"], None),
    ("ent-dz2", "supply_chain", SUPPLY_CHAIN, "self", None, "", ["submit", "withdraw"], None),
    ("ent-yz1", "factory", FACTORY, "self", None, "", ["submit", "not_recommend"], "yingze"),
    (
        "ent-qx1",
        "factory",
        {"industry_code": "C1462", "industry_name": "酱油、食醋及类似制品制造"},
        "self",
        None,
        "",
        [],
        None,
    ),
    ("ent-qx2", "factory", FACTORY_ENERGY, "third_party", "assessor2", "", [], None),
    ("park", "park", PARK, "self", None, "", ["submit"], None),
]
REASONS = {
    "return": "请补充能效水平达到先进值的证明材料，并更新自评价报告第三章数据。",
    "not_recommend": "经征求市场监管部门意见，该企业近三年发生质量事故，不符合申报条件。",
}


@lru_cache(maxsize=256)
def demo_pdf(title: str, organization: str) -> bytes:
    from weasyprint import HTML

    html = f"""<html><head><style>
      @page {{ size: A4; margin: 30mm 26mm; }}
      body {{ font-family: "Noto Serif CJK SC", serif; font-size: 14pt; line-height: 1.8; }}
      h1 {{ font-size: 20pt; text-align: center; margin-bottom: 24pt; }}
      .org {{ text-align: center; margin-bottom: 30pt; }}
    </style></head><body>
      <h1>{title}</h1><p class="org">{organization}</p>
      <p>　　本材料为绿色制造名单推荐申报门户的演示材料，内容仅用于展示申报、审核和下载流程。</p>
      <p>　　申报单位对材料内容的真实性、准确性负责。</p>
    </body></html>"""
    return HTML(string=html).write_pdf()


def _pdf_upload(title: str, organization: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(f"{title}.pdf", demo_pdf(title, organization), content_type="application/pdf")


def _fill(user, application: Application, notice_category) -> None:
    services.declarations_save(
        actor=user,
        application=application,
        answers={code: {"occurred": False, "note": ""} for code in NegativeItem.values},
    )
    services.commitment_sign(
        actor=user, application=application, signer=application.applicant.legal_representative or "法定代表人"
    )
    for material in notice_category.materials.filter(required=True):
        services.material_upload(
            actor=user,
            application=application,
            kind=str(material.pk),
            upload=_pdf_upload(material.name, application.applicant.name),
        )


def build_demo_applications(orgs: dict, users: dict, notices_by_issuer: dict) -> int:
    """Create the planned applications if missing; returns how many were created."""
    created = 0
    for key, category, data, mode, assessor_key, lead, actions, authority_key in PLAN:
        applicant = orgs[key]
        user = users[key]
        notice = notices_by_issuer[
            applicant.competent_authority.parent_id
            if applicant.competent_authority.level == "county"
            else applicant.competent_authority_id
        ]
        if Application.objects.filter(notice=notice, category=category, applicant=applicant).exists():
            continue
        application = services.application_create(
            actor=user, applicant=applicant, notice=notice, category=category, evaluation_mode=mode, data=data
        )
        created += 1
        complete = bool(actions)
        if complete:
            _fill(user, application, notice.categories.get(category=category))
        if assessor_key:
            engagement = services.engagement_request(actor=user, application=application, assessor=orgs[assessor_key])
            if lead:
                assessor_user = users[assessor_key]
                services.engagement_respond(actor=assessor_user, engagement=engagement, accept=True, lead_assessor=lead)
                engagement = Engagement.objects.get(pk=engagement.pk)
                services.engagement_report(
                    actor=assessor_user,
                    engagement=engagement,
                    score="90.5",
                    upload=_pdf_upload("第三方评价报告", applicant.name),
                )
        for action in actions:
            actor = users[authority_key] if action in REASONS else user
            application = transition_perform(
                actor=actor, application=application, action=action, reason=REASONS.get(action, "")
            )
    return created
