"""The demo's notices, from the seed notices (000 and 001).

Two chains: the real 2024 pre-notice chain with its real dates (山西 → 太原, closed) and the open 2024 chain
(ministry → 山西 → 太原) whose deadlines are set relative to the day the demo is loaded, so the demo is usable today.
The 2023 ministry notice (001) is kept, closed, with its real number and date.
"""

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from notices import services
from notices.models import Notice

PROVINCE_PRENOTICE_BODY = """山西综改示范区管委会，各市工信局：

根据工作安排，现将 2024 年度绿色制造名单推荐工作预申报有关事项通知如下：

一、总体要求

请山西综改示范区管委会、各市工信局按照工信部《绿色工厂梯度培育及管理暂行办法》要求，组织本地区满足申报条件的企业或园区积极申报，并按照“优中选优、宁缺毋滥”的原则遴选推荐绿色制造名单。

近三年有下列情况的，不得申报绿色制造名单：未正常经营生产的；发生安全（含网络安全、数据安全）、质量、环境污染等事故以及偷漏税等违法违规行为的（以“信用中国”和“国家企业信用信息公示系统”为准）；被动态调整出绿色制造名单的；在国务院及有关部门相关督查工作中被发现存在严重问题的；被列入工业节能监察整改名单且未按要求完成整改的；失信被执行人等。以上内容均需当地相关部门出具证明材料。

三、工作程序

山西综改示范区管委会、各市工信局在充分征求当地生态环境、应急管理、市场监管等主管部门意见后确定推荐名单，于{province_due}前将申报资料准备完毕，报送至省工业和信息化厅（节能与综合利用处）。我厅将组织专家对推荐名单开展评审工作，按照优中选优的原则确定推荐名单，申报国家级绿色制造名单。

附件：1.绿色工厂梯度培育及管理暂行办法
2.市级工业和信息化主管部门推荐汇总表"""

CITY_FORWARD_BODY = """各相关县（市、区）工信局、各开发（园）区工业主管部门：

现将省工信厅《关于组织开展2024年度绿色制造名单推荐工作的预通知》（以下简称《通知》）转发给你们，请各相关县（市、区）工信局、各开发（园）区工业主管部门严格按照《通知》要求，积极组织相关企业参与申报。

在充分征求当地生态环境、应急管理、市场监管等主管部门意见后，{city_due}前将各部门反馈意见、初审意见、企业申报材料及推荐汇总表，正式行文上报至太原市工信局，联系电话：4030682，逾期则视为无申报企业。

附件：省工信厅《关于组织开展2024年度绿色制造名单推荐工作的预通知》"""

MINISTRY_2023_BODY = """各省、自治区、直辖市及计划单列市、新疆生产建设兵团工业和信息化主管部门：

为贯彻落实《“十四五”工业绿色发展规划》《工业领域碳达峰实施方案》，持续完善绿色制造和服务体系，推进工业绿色发展，助力工业领域碳达峰碳中和，现组织开展2023年度绿色制造名单推荐工作。

各地区绿色工厂的推荐数量将按照规模以上工业企业数量和梯度培育体系建设情况等因素综合确定，绿色工业园区、绿色供应链管理企业推荐名额不限。省级工业和信息化主管部门在充分征求当地生态环境、应急管理、市场监管等部门意见后确定推荐名单，于2023年9月5日前通过工业节能与绿色发展管理平台报送工业和信息化部（节能与综合利用司）。"""

MINISTRY_2024_BODY = """各省、自治区、直辖市及计划单列市、新疆生产建设兵团工业和信息化主管部门：

现组织开展2024年度绿色制造名单推荐工作。本年度绿色制造名单推荐包括绿色工厂、绿色工业园区、绿色供应链管理企业，满足申报条件的企业或园区按照自愿的原则，开展自评价或选择具备相应能力的第三方机构对照相关标准进行评价。

省级工业和信息化主管部门在充分征求当地生态环境、应急管理、市场监管等部门意见后确定推荐名单，于{ministry_due}前报送工业和信息化部（节能与综合利用司）。每家第三方评价机构每批次评价项目不超过15个。

（演示数据：本通知的文号和日期以正式文件为准。）"""

MATERIALS = {
    "factory": [
        ("绿色工厂自评价报告或第三方评价报告", True, "pdf", 50),
        ("绿色工厂申报书", True, "pdf,docx", 20),
        ("近三年无负面清单情形承诺书", True, "pdf", 10),
        ("生态环境、应急管理、市场监管部门证明材料", True, "pdf,jpg,png", 20),
        ("能效水平证明（达到标杆水平或先进值的）", False, "pdf,xlsx", 20),
    ],
    "park": [
        ("绿色工业园区自评价报告或第三方评价报告", True, "pdf", 50),
        ("园区法定边界和统一管理机构证明", True, "pdf,jpg,png", 20),
        ("近三年无负面清单情形承诺书（含园区内企业）", True, "pdf", 10),
    ],
    "supply_chain": [
        ("绿色供应链管理企业自评价报告或第三方评价报告", True, "pdf", 50),
        ("近三年无负面清单情形承诺书", True, "pdf", 10),
        ("供应商中绿色工厂名单", False, "xlsx,pdf", 10),
    ],
}
QUOTAS = {"city": 10, "city2": 6, "zone": 4}  # green factories per receiving authority


def end_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))


def cn_date(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.year}年{local.month}月{local.day}日"


def _notice(actor, issuer, *, forwards=None, **fields) -> tuple[Notice, bool]:
    existing = Notice.objects.filter(issuer=issuer, year=fields["year"], title=fields["title"]).first()
    if existing:
        return existing, False
    if forwards is not None:
        notice = services.notice_forward(actor=actor, notice=forwards, authority=issuer)
        notice = services.notice_update(actor=actor, notice=notice, **fields)
    else:
        notice = services.notice_create(actor=actor, issuer=issuer, categories=list(MATERIALS), **fields)
        for cat in notice.categories.all():
            for position, (name, required, types, size) in enumerate(MATERIALS[cat.category]):
                services.material_save(
                    actor=actor,
                    notice_category=cat,
                    name=name,
                    required=required,
                    accepted_types=types,
                    max_size_mb=size,
                    position=position,
                )
    return notice, True


def build_demo_notices(actor, orgs: dict, today: date | None = None) -> int:
    """Create the demo notices if missing; returns how many were created."""
    today = today or timezone.localdate()
    created = 0

    # 2023 ministry notice (001), closed, real number and date.
    n2023, new = _notice(
        actor,
        orgs["ministry"],
        year=2023,
        list_level="national",
        doc_number="工信厅节函〔2023〕202号",
        issued_on=date(2023, 7, 21),
        body=MINISTRY_2023_BODY,
        title="工业和信息化部办公厅关于开展2023年度绿色制造名单推荐工作的通知",
    )
    if new:
        services.deadline_set(actor=actor, notice=n2023, stage="authority", due_at=end_of_day(date(2023, 9, 5)))
        services.notice_publish(actor=actor, notice=n2023)
        services.notice_close(actor=actor, notice=n2023)
        created += 1

    # The real 2024 pre-notice chain (000): cities → province by 5/31, counties → city by 5/17. Closed.
    real_province_due, real_city_due = end_of_day(date(2024, 5, 31)), end_of_day(date(2024, 5, 17))
    pre, new = _notice(
        actor,
        orgs["province"],
        year=2024,
        list_level="national",
        issued_on=date(2024, 4, 10),
        title="山西省工业和信息化厅关于组织开展2024年度绿色制造名单推荐工作的预通知",
        body=PROVINCE_PRENOTICE_BODY.format(province_due=cn_date(real_province_due)),
    )
    if new:
        services.deadline_set(actor=actor, notice=pre, stage="authority", due_at=real_province_due)
        pre = services.notice_publish(actor=actor, notice=pre)
        created += 1
    pre_city, new = _notice(
        actor,
        orgs["city"],
        forwards=pre,
        year=2024,
        list_level="national",
        issued_on=date(2024, 4, 16),
        title="太原市工业和信息化局关于转发省工信厅《关于组织开展2024年度绿色制造名单推荐工作的预通知》的通知",
        body=CITY_FORWARD_BODY.format(city_due=cn_date(real_city_due).removeprefix("2024年")),
    )
    if new:
        services.deadline_set(actor=actor, notice=pre_city, stage="authority", due_at=real_city_due)
        services.notice_publish(actor=actor, notice=pre_city)
        services.notice_close(actor=actor, notice=pre_city)
        services.notice_close(actor=actor, notice=pre)
        created += 1

    # The open 2024 chain, deadlines relative to today.
    ministry_due = end_of_day(today + timedelta(days=60))
    province_due = end_of_day(today + timedelta(days=21))
    city_due = end_of_day(today + timedelta(days=10))
    applicant_due = end_of_day(today + timedelta(days=5))
    top, new = _notice(
        actor,
        orgs["ministry"],
        year=2024,
        list_level="national",
        issued_on=today,
        title="工业和信息化部办公厅关于开展2024年度绿色制造名单推荐工作的通知",
        body=MINISTRY_2024_BODY.format(ministry_due=cn_date(ministry_due)),
    )
    if new:
        services.deadline_set(actor=actor, notice=top, stage="authority", due_at=ministry_due)
        top = services.notice_publish(actor=actor, notice=top)
        created += 1
    prov, new = _notice(
        actor,
        orgs["province"],
        forwards=top,
        year=2024,
        list_level="national",
        issued_on=today,
        title="山西省工业和信息化厅关于组织开展2024年度绿色制造名单推荐工作的通知",
        body=PROVINCE_PRENOTICE_BODY.format(province_due=cn_date(province_due)),
    )
    if new:
        factory = prov.categories.get(category="factory")
        for key, limit in QUOTAS.items():
            services.quota_set(actor=actor, notice_category=factory, authority=orgs[key], limit=limit)
        services.deadline_set(actor=actor, notice=prov, stage="authority", due_at=province_due)
        prov = services.notice_publish(actor=actor, notice=prov)
        created += 1
    city, new = _notice(
        actor,
        orgs["city"],
        forwards=prov,
        year=2024,
        list_level="national",
        issued_on=today,
        title="太原市工业和信息化局关于转发省工信厅《关于组织开展2024年度绿色制造名单推荐工作的通知》的通知",
        body=CITY_FORWARD_BODY.format(city_due=cn_date(city_due)),
    )
    if new:
        services.deadline_set(actor=actor, notice=city, stage="authority", due_at=city_due)
        services.deadline_set(
            actor=actor,
            notice=city,
            stage="applicant",
            due_at=applicant_due,
            note="申报单位向所在县（市、区）工信局或开发区工业主管部门提交",
        )
        services.notice_publish(actor=actor, notice=city)
        created += 1
    return created
