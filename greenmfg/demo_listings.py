"""Demo scene of issue 8: 山西's published lists of earlier years (imported), a year of dynamic management with a
worsened indicator, a re-check and a removal, and the assessor registry (filings, a report call, a blacklisting).

Built through the services, as users would; dates that must lie in the past (a closed round, an ended call) are
moved there afterwards. Idempotent: each step is skipped when its result exists.
"""

import io
from datetime import date, datetime, time, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from greenmfg.demo_applications import demo_pdf
from listings.imports import COLUMNS, listings_import
from listings.models import DynamicReport, DynamicRound, Listing, ListingImport, Removal
from listings.services_dynamic import (
    dynamic_report_accept,
    dynamic_report_save,
    dynamic_report_start,
    dynamic_report_submit,
    dynamic_round_open,
)
from listings.services_dynamic_checks import recheck_decide, removal_decide, removal_propose
from organizations.models import AnnualReportCall, AssessorBlacklist, AssessorFiling, Organization
from organizations.services import organization_create
from organizations.services_registry import (
    annual_call_open,
    annual_report_submit,
    blacklist_add,
    filing_decide,
    filing_submit,
)

IMPORT_FILE = "山西省绿色制造名单（2021—2023年，历史）.xlsx"
# Units listed in earlier years (they do not apply in the 2024 demo round): key, name, region, authority key,
# serial of the credit code, legal representative.
LISTED_UNITS = [
    ("hist-steel", "太原太钢不锈钢精密带钢有限公司", "140105", "county", 31, "梁建平"),
    ("hist-vinegar", "山西东湖老陈醋股份有限公司", "140106", "yingze", 32, "郭宝林"),
    ("hist-coal", "大同煤矿机械再制造有限公司", "140213", "pingcheng", 33, "马志强"),
]
# credit-code key, category label, level label, year, listed on, reference
IMPORT_ROWS = [
    ("hist-steel", "绿色工厂", "省级", 2021, "2021-12-28", "晋工信节能字〔2021〕186号"),
    ("hist-steel", "绿色工厂", "国家级", 2022, "2023-01-13", "工信厅节函〔2022〕235号名单"),
    ("hist-vinegar", "绿色工厂", "省级", 2022, "2022-12-26", "晋工信节能字〔2022〕120号"),
    ("hist-coal", "绿色工厂", "省级", 2023, "2023-12-22", "晋工信节能字〔2023〕141号"),
    ("enterprise2", "绿色供应链管理企业", "省级", 2023, "2023-12-22", "晋工信节能字〔2023〕141号"),
]
STEEL_2024 = {
    "energy_per_unit": 0.512,
    "water_per_unit": 1.86,
    "cod": 12.4,
    "ammonia_nitrogen": 1.1,
    "so2": 38.0,
    "nox": 96.5,
    "particulates": 14.2,
    "solid_waste_utilization": 97.5,
    "renewable_share": 8.2,
    "carbon_per_unit": 1.62,
}
# 2025: energy and water per unit worse than 2024 (flagged), the rest steady or better.
STEEL_2025 = {**STEEL_2024, "energy_per_unit": 0.561, "water_per_unit": 1.95, "nox": 91.0, "renewable_share": 9.6}
UNCHANGED = {"name": {"changed": False}, "address": {"changed": False}, "scope": {"changed": False}}
FILING = {
    "registered_in_prc": True,
    "entity_type": "enterprise",
    "office_address": "",
    "has_financial_system": True,
    "staff_full_time": 22,
    "staff_mid_level": 14,
    "staff_senior": 7,
    "senior_fields": {"energy": 3, "environment": 2, "low_carbon": 1, "lca": 1},
    "experience": [
        {"year": 2022, "client": "山西太钢不锈钢股份有限公司", "work": "绿色工厂第三方评价"},
        {"year": 2023, "client": "太原重型机械集团有限公司", "work": "绿色供应链管理企业评价"},
        {"year": 2024, "client": "山西潞安化工有限公司", "work": "产品碳足迹核算（LCA）"},
    ],
}


def _at_five(days: int):
    """A deadline `days` from today at 17:00 Beijing time, as an authority would set it."""
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(17, 0)))


def _upload(name: str, content: bytes, content_type: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def _import_file(orgs) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "名单"
    sheet.append([c.label for c in COLUMNS])
    for key, category, level, year, listed_on, reference in IMPORT_ROWS:
        unit = orgs[key]
        sheet.append([unit.credit_code, unit.name, category, level, year, listed_on, reference, "有效", "", ""])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _listed_units(orgs, code) -> int:
    created = 0
    for key, name, region, authority, serial, rep in LISTED_UNITS:
        unit = Organization.objects.filter(credit_code=code(region, serial)).first()
        if unit is None:
            unit = organization_create(
                actor=None,
                check_permission=False,
                kind=Organization.Kind.ENTERPRISE,
                name=name,
                region_id=region,
                credit_code=code(region, serial),
                competent_authority=orgs[authority],
                legal_representative=rep,
                contact_phone=f"0351-71{serial:05d}",
            )
            created += 1
        orgs[key] = unit
    return created


def _dynamic(orgs, users) -> int:
    province, steel_user = users["province"], users["listed"]
    created = 0
    steel = Listing.objects.get(organization=orgs["hist-steel"], level="province", year=2021)
    coal = Listing.objects.get(organization=orgs["hist-coal"], level="province", year=2023)
    today = timezone.now()

    # 2024 data: filed and accepted last spring (the round is closed).
    if not DynamicRound.objects.filter(authority=orgs["province"], year=2024).exists():
        round_2024 = dynamic_round_open(
            actor=province,
            authority=orgs["province"],
            year=2024,
            due_at=today + timedelta(days=1),
            note="请各名单单位如实填报2024年度关键指标，4月15日前提交。",
        )
        report = dynamic_report_start(actor=steel_user, round=round_2024, listing=steel)
        dynamic_report_save(actor=steel_user, report=report, indicators=STEEL_2024, changes=UNCHANGED)
        dynamic_report_submit(actor=steel_user, report=report)
        dynamic_report_accept(actor=province, report=report, opinion="指标完整，同意。")
        closed = timezone.make_aware(datetime(today.year, 4, 15, 23, 59, 59))
        DynamicRound.objects.filter(pk=round_2024.pk).update(due_at=closed)
        DynamicReport.objects.filter(pk=report.pk).update(
            submitted_at=closed - timedelta(days=6), reviewed_at=closed - timedelta(days=2)
        )
        created += 2

    # 2025 data: open now; the steel plant filed with two worse indicators, the others have yet to file.
    if not DynamicRound.objects.filter(authority=orgs["province"], year=2025).exists():
        round_2025 = dynamic_round_open(
            actor=province,
            authority=orgs["province"],
            year=2025,
            due_at=_at_five(24),
            note="请各名单单位填报2025年度动态管理表；指标较上年变差的，请在说明中说明原因。",
        )
        report = dynamic_report_start(actor=steel_user, round=round_2025, listing=steel)
        dynamic_report_save(
            actor=steel_user,
            report=report,
            indicators=STEEL_2025,
            changes=UNCHANGED,
            note="2025年新增一条冷轧产线，调试期间单位产品能耗、取水量上升。",
        )
        report = dynamic_report_submit(actor=steel_user, report=report)
        recheck_decide(
            actor=province,
            authority=orgs["province"],
            listing=steel,
            reason="单位产品综合能耗、取水量较上年上升，需现场核实新增产线的能源计量情况。",
            planned_on=timezone.localdate() + timedelta(days=10),
            report=report,
        )
        created += 3

    # 大同 proposes removing the coal-machinery plant (production stopped); the province, which made the list,
    # decides. Its next application fails NEG-REMOVED.
    if not Removal.objects.filter(listing=coal).exists():
        removal = removal_propose(
            actor=users["city2"],
            authority=orgs["city2"],
            listing=coal,
            reason="该企业自2025年3月起连续停产超过12个月，不再符合绿色工厂要求。",
        )
        removal_decide(
            actor=province,
            removal=removal,
            decision="decide",
            note="经核实，同意移出省级绿色工厂名单。",
            effective_on=timezone.localdate() - timedelta(days=20),
        )
        created += 1
    return created


def _registry(orgs, users, code) -> int:
    created = 0
    province = orgs["province"]
    for key, office in (("assessor", "太原市小店区长治路227号"), ("assessor2", "北京市海淀区学院路30号")):
        assessor = orgs[key]
        if AssessorFiling.objects.filter(assessor=assessor, authority=province).exists():
            continue
        user = users[key]
        filing = filing_submit(
            actor=user,
            assessor=assessor,
            authority=province,
            data={
                **FILING,
                "office_address": office,
                "registration_authority": "太原市市场监督管理局" if key == "assessor" else "北京市海淀区市场监督管理局",
                "contact_name": assessor.legal_representative,
                "contact_phone": "0351-7123456" if key == "assessor" else "010-62345678",
            },
            proofs=[
                (
                    "legal_person",
                    _upload("营业执照.pdf", demo_pdf("营业执照（副本）", assessor.name), "application/pdf"),
                ),
                ("staff", _upload("人员职称证明.pdf", demo_pdf("专职人员职称证明", assessor.name), "application/pdf")),
            ],
        )
        if key == "assessor":
            filing_decide(actor=users["province"], filing=filing, approve=True, reason="条件符合，材料齐全，准予备案。")
        created += 1  # the second one waits for the province's decision

    # The 2024 round reads the 2023 report (filed in time, the call long closed); this year's call is open.
    if not AnnualReportCall.objects.filter(authority=province, year=2023).exists():
        call = annual_call_open(
            actor=users["province"],
            authority=province,
            year=2023,
            due_at=timezone.now() + timedelta(days=1),
            note="请已备案的第三方评价机构报送2023年度评价工作情况（含“十个严禁”自查）。",
        )
        report = annual_report_submit(
            actor=users["assessor"],
            assessor=orgs["assessor"],
            call=call,
            data={
                "projects_evaluated": 9,
                "passed_city": 6,
                "passed_province": 4,
                "passed_national": 2,
                "summary": "全年完成绿色工厂评价7项、绿色供应链评价2项，均按标准开展现场评价并出具报告。",
                "self_check": {c: True for c in _prohibition_codes()},
            },
            upload=_upload(
                "年度工作情况.pdf", demo_pdf("2023年度工作情况报告", orgs["assessor"].name), "application/pdf"
            ),
        )
        closed = timezone.make_aware(datetime(2024, 4, 30, 23, 59, 59))
        AnnualReportCall.objects.filter(pk=call.pk).update(due_at=closed)
        type(report).objects.filter(pk=report.pk).update(submitted_at=closed - timedelta(days=9))
        created += 2
    year = timezone.localdate().year - 1
    if not AnnualReportCall.objects.filter(authority=province, year=year).exists():
        annual_call_open(
            actor=users["province"],
            authority=province,
            year=year,
            due_at=_at_five(40),
            note=f"请已备案的第三方评价机构于截止时间前报送{year}年度评价工作情况（含“十个严禁”自查）。",
        )
        created += 1

    shady = Organization.objects.filter(credit_code=code("140107", 41)).first()
    if shady is None:
        shady = organization_create(
            actor=None,
            check_permission=False,
            kind=Organization.Kind.ASSESSOR,
            name="晋中恒信节能评估咨询有限公司",
            region_id="140107",
            credit_code=code("140107", 41),
            competent_authority=province,
            legal_representative="秦有福",
        )
        created += 1
    if not AssessorBlacklist.objects.filter(assessor=shady).exists():
        blacklist_add(
            actor=users["province"],
            authority=province,
            assessor=shady,
            starts_on=date(2025, 6, 18),
            reason="出具的绿色工厂评价报告数据与企业能源计量数据严重不符，存在弄虚作假行为。",
            notice_ref="晋工信节能函〔2025〕58号",
        )
        created += 1
    return created


def _prohibition_codes():
    from organizations.services_registry import TEN_PROHIBITIONS

    return [c for c, _ in TEN_PROHIBITIONS]


def build_demo_listings(orgs: dict, users: dict, code, add_member) -> int:
    """orgs and users as load_demo made them; `code(region, serial)` makes a credit code and
    `add_member(username, full_name, organization)` a demo user of an organization (user "listed" files the steel
    plant's tables)."""
    created = _listed_units(orgs, code)
    users = {**users, "listed": add_member("listed", "太钢精密带钢动态管理专员", orgs["hist-steel"])}
    if not ListingImport.objects.filter(file_name=IMPORT_FILE).exists():
        content = _import_file(orgs)
        upload = _upload(IMPORT_FILE, content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        batch = listings_import(actor=users["province"], authority=orgs["province"], upload=upload)
        if [e for e in batch.errors if not e.get("warning")]:
            raise RuntimeError(f"演示名单导入有错误：{batch.errors}")
        created += 1
    created += _dynamic(orgs, users)
    created += _registry(orgs, users, code)
    return created
