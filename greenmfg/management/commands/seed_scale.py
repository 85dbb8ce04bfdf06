"""A national-scale data set for benchmarks and scale tests, built fast with bulk_create.

    python manage.py seed_scale --applications 20000 [--seed 1] [--notice-year 2030] [--force]

It writes rows directly (no audit events, no notifications), but every row is one the portal could have made:
real GB/T 2260 regions, valid 统一社会信用代码 (organizations.credit_code.make_credit_code), the authority tree
ministry → every mainland province → most cities → many counties, three departments per province and city
authority, a Django Group per organization with its view grant (as organization_create gives), one user per
authority and assessor (``scale-ministry``, ``scale-<region code>``, ``scale-assessor-NN``, password as load_demo's)
in its organization's group; enterprises and parks under counties and cities; ~60 assessors filed with their
province, some sharing a legal representative, most carrying 12–16 projects (the usual cap is 15); the year's
published notice chain (ministry → every province → some cities) with categories, materials, quotas and deadlines;
applications over all four categories and every state the workflow knows, with category data (some parks at or
under 50 % value added, some factories short of the energy benchmark), the 9 negative-list declarations, referrals
and guardian grants following the flow (applicant, each authority reached, the commissioned assessor); credit
records (dishonest, accidents, abnormal operation, rectification, green lists, removals) for a few percent of
applicants and assessor blacklist / annual-report records. Material files are not seeded.

Organizations carry MARK in their address and are built once per database; a later --notice-year reuses them
(adding applicants when it needs more). A second run for the same year is refused; with --force that year's seeded
notices, applications (with declarations, engagements, referrals, evaluations and grants) and credit records are
deleted first and built again. With DEBUG off the command refuses a database whose name does not look like a test or
benchmark database (test, bench, scale, seed, tmp, an in-memory or /tmp SQLite file) unless --force.
"""

import math
import random
import re
import tempfile
import time
from datetime import date, datetime, timedelta
from datetime import time as dtime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from applications.categories import GENERAL_FACTORY_STANDARD, PRODUCT_STANDARDS
from applications.models import (
    Application,
    ApplicationGroupObjectPermission,
    Declaration,
    Engagement,
    NegativeItem,
    State,
)
from eligibility.models import CreditRecord, Evaluation
from greenmfg.demo_notices import MATERIALS
from greenmfg.management.commands.load_demo import PASSWORD
from notices.models import Deadline, Notice, NoticeCategory, Quota, RequiredMaterial
from organizations.credit_code import make_credit_code
from organizations.models import Membership, Organization, OrganizationGroupObjectPermission, Region
from reviews.models import Referral

MARK = "规模测试数据（seed_scale）"
A, E, P, S, D = "authority", "enterprise", "park", "assessor", "department"
MATERIALS_ALL = {
    **MATERIALS,
    "product": [
        ("绿色设计产品自评价报告或第三方评价报告", True, "pdf", 50),
        ("产品检测报告", True, "pdf", 20),
        ("近三年无负面清单情形承诺书", True, "pdf", 10),
    ],
}
SAFE_NAME = re.compile(r"(^|[^a-z])(test|tests|bench|benchmark|scale|seed|tmp)([^a-z]|$)")
BRANDS = "恒达 华晟 金泰 宏远 鑫源 中联 海川 天成 瑞丰 鼎盛 永安 润泽 博瑞 凯旋 嘉禾 新纪元 长城 东方 正大 伟业 兴隆 泰和 合力 力拓 荣盛 华信 银河 同创 远景 明德".split()
FIELDS = "精密 新材料 环保 智能 能源 化工 机械 电子 食品 纺织 汽车零部件 光电 储能 装备 医药 建材 钢铁 有色 造纸 家电".split()
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "建国 志强 秀兰 海燕 立新 德明 国强 建华 志勇 文博 明辉 丽华 国栋 立群 振华 晓燕 卫东 志刚 红梅 玉兰 春生 永福 桂芳 俊杰".split()
# (industry code, name, key energy-using industry)
INDUSTRIES = [
    ("C3110", "炼铁", True),
    ("C3120", "炼钢", True),
    ("C3011", "水泥制造", True),
    ("C2611", "无机酸制造", True),
    ("C3216", "铝冶炼", True),
    ("C2211", "木竹浆制造", True),
    ("C3311", "金属结构制造", False),
    ("C3841", "锂离子电池制造", False),
    ("C3670", "汽车零部件及配件制造", False),
    ("C3911", "计算机整机制造", False),
    ("C1462", "酱油、食醋及类似制品制造", False),
    ("C2710", "化学药品原料药制造", False),
    ("C3512", "冶金专用设备制造", False),
    ("C1713", "棉印染精加工", False),
]
PRODUCTS = ["变频房间空气调节器", "滚筒洗衣机", "家用电冰箱", "钢塑复合管", "稀土钢板", "节能型电动机"]
# application state, weight, holder (applicant / first / parent), referral decisions (first authority, parent)
STATES = [
    (State.DRAFT, 22, "applicant", ()),
    (State.UNDER_REVIEW, 38, "first", ("",)),
    (State.RETURNED, 8, "applicant", ("return",)),
    (State.WITHDRAWN, 4, "applicant", ("withdrawn",)),
    (State.NOT_RECOMMENDED, 8, "first", ("not_recommend",)),
    (State.RECOMMENDED, 20, "parent", ("recommend", "")),
]
OPINIONS = {
    "return": "请补充能效水平证明材料，并更新自评价报告相关数据。",
    "not_recommend": "经征求相关部门意见，不符合推荐条件。",
    "recommend": "经审核，同意推荐。",
}
# credit record kind, share of enterprise applicants, lifted share (rectified / removed)
RECORD_PLAN = [
    ("dishonest", 0.005, 0.3),
    ("abnormal_operation", 0.005, 0.4),
    ("safety_accident", 0.005, 0.0),
    ("quality_accident", 0.003, 0.0),
    ("environment_accident", 0.005, 0.0),
    ("tax_violation", 0.002, 0.0),
    ("inspection", 0.002, 0.0),
    ("rectification", 0.005, 0.5),
    ("green_list_removed", 0.002, 0.0),
]
SOURCES = {
    "dishonest": "中国执行信息公开网",
    "abnormal_operation": "国家企业信用信息公示系统",
    "safety_accident": "应急管理部门",
    "quality_accident": "市场监管部门",
    "environment_accident": "生态环境部门",
    "tax_violation": "信用中国",
    "inspection": "国务院督查",
    "rectification": "工业节能监察",
    "green_list_removed": "绿色制造名单动态管理",
    "green_list": "绿色制造名单",
    "assessor_blacklist": "第三方评价机构黑名单",
    "assessor_annual_report": "评价机构年度工作情况填报",
}


def database_problem() -> str:
    """Why this database does not look like a test or benchmark one (empty when it does, or DEBUG is on)."""
    if settings.DEBUG:
        return ""
    db = connection.settings_dict
    name = str(db.get("NAME") or "")
    if db["ENGINE"].endswith("sqlite3"):
        if name == ":memory:" or "mode=memory" in name or name.startswith((tempfile.gettempdir(), "/tmp/")):
            return ""
    if SAFE_NAME.search(name.rsplit("/", 1)[-1].lower()):
        return ""
    return f"DEBUG 未开启，且数据库“{name}”不像测试或基准库（名称含 test、bench、scale、seed 或 tmp）"


def short(name: str) -> str:
    for suffix in (
        "维吾尔自治区",
        "壮族自治区",
        "回族自治区",
        "自治区",
        "特别行政区",
        "省",
        "市",
        "地区",
        "盟",
        "自治州",
    ):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def end_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, dtime(23, 59, 59)))


class Command(BaseCommand):
    help = "生成全国规模的基准测试数据（bulk_create，不写审计和通知；同一年度重复运行须加 --force）"

    def add_arguments(self, parser):
        parser.add_argument("--applications", type=int, default=20000, help="申报数量（默认 20000）")
        parser.add_argument("--seed", type=int, default=1, help="随机种子（默认 1）")
        parser.add_argument("--notice-year", type=int, default=2030, help="通知年度（默认 2030）")
        parser.add_argument(
            "--force", action="store_true", help="该年度已生成过时先删除再重建；并允许写入不像测试库的数据库"
        )

    def handle(self, *args, **options):
        n, year, force = options["applications"], options["notice_year"], options["force"]
        if n < 1:
            raise CommandError("--applications 至少为 1。")
        if not 2000 <= year <= 2100:
            raise CommandError("--notice-year 应在 2000 至 2100 之间。")
        problem = database_problem()
        if problem and not force:
            raise CommandError(f"{problem}：为免误写生产库，拒绝生成。确需生成请加 --force。")
        existing = Notice.objects.filter(year=year, issuer__address=MARK)
        if existing.exists() and not force:
            raise CommandError(f"本数据库已生成过{year}年度的规模测试数据；如需删除后重建，请加 --force。")
        self.seed = options["seed"]
        self.year, self.timings, started = year, [], time.perf_counter()
        with transaction.atomic():
            if existing.exists():
                self.step("清除本年度旧数据", lambda: clear_year(year))
            self.build(n)
        total = time.perf_counter() - started
        counts = {
            "主管部门": Organization.objects.filter(kind=A, address=MARK).count(),
            "协同部门": Organization.objects.filter(kind=D, address=MARK).count(),
            "企业": Organization.objects.filter(kind=E, address=MARK).count(),
            "园区": Organization.objects.filter(kind=P, address=MARK).count(),
            "评价机构": Organization.objects.filter(kind=S, address=MARK).count(),
            "通知": Notice.objects.filter(year=year, issuer__address=MARK).count(),
            "申报": Application.objects.filter(notice__year=year, notice__issuer__address=MARK).count(),
            "负面清单声明": Declaration.objects.filter(application__notice__in=self.notice_ids).count(),
            "第三方委托": Engagement.objects.filter(application__notice__in=self.notice_ids).count(),
            "信用记录": CreditRecord.objects.filter(source__endswith=self.tag).count(),
        }
        self.stdout.write("  ".join(f"{k} {v}" for k, v in counts.items()))
        for label, seconds in self.timings:
            self.stdout.write(f"  {label:<12} {seconds:6.2f} 秒")
        self.stdout.write(
            self.style.SUCCESS(f"{year}年度规模测试数据就绪：{counts['申报']} 件申报，用时 {total:.1f} 秒。")
        )

    def step(self, label, fn):
        # Each step draws from its own stream, so a year's data does not depend on whether the tree was built now.
        self.rng = random.Random(f"{self.seed}:{label}")
        started = time.perf_counter()
        result = fn()
        self.timings.append((label, time.perf_counter() - started))
        return result

    @property
    def tag(self) -> str:
        return f"（规模测试{self.year}）"

    def build(self, n: int) -> None:
        self.step("主管部门树", self.build_tree)
        parks = round(n * 0.04) if n >= 25 else min(1, n - 1)
        enterprise_apps = n - parks
        enterprises = math.ceil(enterprise_apps / 1.15)
        self.step("申报单位", lambda: self.build_applicants(enterprises, parks))
        self.step("评价机构", self.build_assessors)
        self.step("权限组和账号", self.build_groups)
        self.step("通知链", self.build_notices)
        self.step("申报", lambda: self.build_applications(enterprise_apps, enterprises, parks))
        self.step("声明和报送", self.build_declarations_and_referrals)
        self.step("第三方委托", self.build_engagements)
        self.step("信用记录", self.build_records)
        self.step("申报授权", self.build_grants)

    # Organizations -----------------------------------------------------------------------------------------------

    def seeded(self, kind):
        return list(Organization.objects.filter(kind=kind, address=MARK).order_by("id"))

    def index_authorities(self) -> None:
        self.by_pk = {o.pk: o for o in self.authorities.values()}
        self.by_pk[self.ministry.pk] = self.ministry

    def build_tree(self) -> None:
        self.authorities = {o.region_id: o for o in self.seeded(A) if o.level != "ministry"}
        self.ministry = next(iter(Organization.objects.filter(kind=A, level="ministry", address=MARK)), None)
        self.regions = {r.code: r for r in Region.objects.all()}
        if self.ministry is not None:
            self.index_authorities()
            return
        rng = self.rng
        provinces = [
            r for r in self.regions.values() if r.level == "province" and r.code.isdigit() and r.code < "710000"
        ]
        province_codes = {r.code for r in provinces}
        ministry = Organization(
            kind=A, name="工业和信息化部节能与综合利用司", region_id="110000", level="ministry", address=MARK
        )
        ministry.save()
        self.ministry = ministry
        rows = []
        for r in sorted(provinces, key=lambda r: r.code):
            title = "经济和信息化局" if r.kind == "直辖市" else "工业和信息化厅"
            rows.append(
                Organization(kind=A, name=f"{r.name}{title}", region_id=r.code, level="province", parent=ministry)
            )
        by_region = self.insert(rows)
        cities = sorted(
            (r for r in self.regions.values() if r.level == "city" and r.parent_id in province_codes),
            key=lambda r: r.code,
        )
        rows = [
            Organization(
                kind=A, name=f"{r.name}工业和信息化局", region_id=r.code, level="city", parent=by_region[r.parent_id]
            )
            for r in cities
            if r.code.endswith("0100") or rng.random() < 0.85
        ]
        by_region.update(self.insert(rows))
        rows = []
        for r in sorted((r for r in self.regions.values() if r.level == "county"), key=lambda r: r.code):
            parent = by_region.get(r.parent_id)
            if parent is None or rng.random() >= 0.55:
                continue
            prefix = self.regions[r.parent_id].name if r.kind == "市辖区" and parent.level == "city" else ""
            rows.append(
                Organization(
                    kind=A, name=f"{prefix}{r.name}工业和信息化局", region_id=r.code, level="county", parent=parent
                )
            )
        by_region.update(self.insert(rows))
        self.authorities = by_region
        self.index_authorities()
        rows = []
        names = {
            "ecology": ("生态环境厅", "生态环境局"),
            "emergency": ("应急管理厅", "应急管理局"),
            "market": ("市场监督管理局", "市场监督管理局"),
        }
        for org in by_region.values():
            if org.level not in ("province", "city"):
                continue
            region = self.regions[org.region_id]
            for domain, (prov, city) in names.items():
                title = prov if org.level == "province" and region.kind != "直辖市" else city
                rows.append(
                    Organization(
                        kind=D,
                        name=f"{region.name}{title}",
                        region_id=org.region_id,
                        level=org.level,
                        domain=domain,
                        competent_authority=org,
                    )
                )
        self.insert(rows)

    def insert(self, rows: list[Organization]) -> dict[str, Organization]:
        for row in rows:
            row.address = MARK
        Organization.objects.bulk_create(rows, batch_size=500)
        return {row.region_id: row for row in rows if row.kind == A}

    def next_serial(self) -> int:
        if not hasattr(self, "_serial"):
            self._serial = Organization.objects.filter(address=MARK).exclude(credit_code="").count()
        self._serial += 1
        return self._serial

    def code(self, prefix: str, region: str) -> str:
        return make_credit_code(f"{prefix}{region}GM{self.next_serial():07d}")

    def person(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def anchor(self, county: Region) -> Organization:
        """The competent authority of an applicant in this county: county, else city, else province authority."""
        return (
            self.authorities.get(county.code)
            or self.authorities.get(county.parent_id)
            or self.authorities[self.regions[county.parent_id].parent_id or county.parent_id]
        )

    def build_applicants(self, enterprises: int, parks: int) -> None:
        rng = self.rng
        counties = sorted(
            (r for r in self.regions.values() if r.level == "county" and r.code[:2] + "0000" in self.authorities),
            key=lambda r: r.code,
        )
        weights = [
            3.0 if r.code[:2] in ("32", "33", "37", "44") else 0.4 if r.code[:2] in ("54", "63") else 1.0
            for r in counties
        ]
        have = {E: self.seeded(E), P: self.seeded(P)}
        rows = []
        for kind, wanted in ((E, enterprises), (P, parks)):
            for _ in range(wanted - len(have[kind])):
                county = rng.choices(counties, weights)[0]
                city = self.regions[county.parent_id]
                if kind == E:
                    authority = self.anchor(county)
                    name = f"{short(city.name)[:4]}{rng.choice(BRANDS)}{rng.choice(FIELDS)}{rng.choice(('有限公司', '股份有限公司', '科技有限公司'))}"
                    region = county.code
                else:
                    # Parks answer to the city authority mostly, to a county authority for some.
                    county_authority = self.authorities.get(county.code)
                    city_authority = self.authorities.get(city.code) if city.level == "city" else None
                    authority = (
                        (county_authority if rng.random() < 0.3 else None) or city_authority or self.anchor(county)
                    )
                    region = authority.region_id
                    name = f"{short(city.name)[:4]}{rng.choice(FIELDS)}产业园区管理委员会"
                rows.append(
                    Organization(
                        kind=kind,
                        name=name,
                        region_id=region,
                        credit_code=self.code("91" if kind == E else "11", region),
                        competent_authority=authority,
                        legal_representative=self.person(),
                        contact_name=self.person(),
                        contact_phone=f"0{rng.randint(10, 999)}-{rng.randint(6000000, 8999999)}",
                    )
                )
        self.insert(rows)
        self.enterprises = self.seeded(E)[:enterprises]
        self.parks = self.seeded(P)[:parks]

    def build_assessors(self) -> None:
        self.assessors = self.seeded(S)
        if self.assessors:
            return
        provinces = sorted((o for o in self.authorities.values() if o.level == "province"), key=lambda o: o.region_id)
        busy = [
            "11",
            "11",
            "11",
            "11",
            "11",
            "31",
            "31",
            "31",
            "32",
            "32",
            "32",
            "44",
            "44",
            "44",
            "33",
            "33",
            "37",
            "37",
        ]
        busy += ["13", "41", "42", "51", "61", "21", "34", "43", "35", "50", "12"]
        by_prefix = {o.region_id[:2]: o for o in provinces}
        homes = provinces + [by_prefix[p] for p in busy if p in by_prefix]
        reps = [self.person() for _ in range(48)]
        rows = []
        first_county = {}
        for r in sorted(self.regions.values(), key=lambda r: r.code, reverse=True):
            if r.level == "county":
                first_county[r.code[:2]] = r
        for i, province in enumerate(homes[:60]):
            county = first_county[province.region_id[:2]]
            kind = ("绿色制造评价技术有限公司", "节能技术服务有限公司", "绿色发展研究院有限公司", "认证检测有限公司")[
                i % 4
            ]
            rows.append(
                Organization(
                    kind=S,
                    name=f"{short(self.regions[province.region_id].name)}{BRANDS[i % len(BRANDS)]}{kind}",
                    region_id=county.code,
                    credit_code=self.code("91", county.code),
                    competent_authority=province,
                    legal_representative=reps[i] if i < 48 else reps[i - 48],  # 12 pairs share a representative
                )
            )
        self.insert(rows)
        self.assessors = self.seeded(S)

    def build_groups(self) -> None:
        """A Group per organization with its view grant (as organization_create), and users for authorities and
        assessors in their organization's group."""
        orgs = list(Organization.objects.filter(address=MARK, group__isnull=True).order_by("id"))
        if not orgs:
            return
        groups = Group.objects.bulk_create([Group(name=f"org-{o.pk}") for o in orgs], batch_size=500)
        for o, g in zip(orgs, groups, strict=True):
            o.group = g
        # One UPDATE instead of bulk_update's CASE per row: each organization takes the group named after it.
        named = Group.objects.filter(name=Concat(Value("org-"), Cast(OuterRef("pk"), CharField()))).values("pk")[:1]
        Organization.objects.filter(address=MARK, group__isnull=True).update(group=Subquery(named))
        view = Permission.objects.get(codename="view_organization", content_type__app_label="organizations")
        OrganizationGroupObjectPermission.objects.bulk_create(
            [OrganizationGroupObjectPermission(permission=view, group=o.group, content_object=o) for o in orgs],
            batch_size=500,
        )
        User = get_user_model()
        password = make_password(PASSWORD)
        people = []
        for o in orgs:
            if o.kind == A:
                username = "scale-ministry" if o.level == "ministry" else f"scale-{o.region_id}"
            elif o.kind == S:
                username = f"scale-assessor-{self.assessors.index(o) + 1:02d}"
            else:
                continue
            people.append((o, User(username=username, first_name=f"{o.name}经办人", password=password)))
        users = User.objects.bulk_create([u for _, u in people], batch_size=500)
        Membership.objects.bulk_create(
            [
                Membership(user=u, organization=o, role=Membership.Role.ADMIN)
                for (o, _), u in zip(people, users, strict=True)
            ],
            batch_size=500,
        )
        User.groups.through.objects.bulk_create(
            [User.groups.through(user_id=u.pk, group_id=o.group_id) for (o, _), u in zip(people, users, strict=True)],
            batch_size=500,
        )

    # Notices -----------------------------------------------------------------------------------------------------

    def build_notices(self) -> None:
        rng, year = self.rng, self.year
        published = timezone.make_aware(datetime(year, 5, 6, 9, 30))
        body = f"（{MARK}）\n各省、自治区、直辖市工业和信息化主管部门：\n现组织开展{year}年度绿色制造名单推荐工作。"

        def notice(issuer, forwards, title, offset):
            return Notice(
                year=year,
                title=title,
                doc_number=f"规模测试〔{year}〕{issuer.pk}号",
                issuer=issuer,
                list_level="national",
                body=body,
                forwards=forwards,
                status=Notice.Status.PUBLISHED,
                issued_on=published.date() + timedelta(days=offset),
                published_at=published + timedelta(days=offset),
            )

        top = notice(self.ministry, None, f"工业和信息化部办公厅关于开展{year}年度绿色制造名单推荐工作的通知", 0)
        top.save()
        provinces = sorted((o for o in self.authorities.values() if o.level == "province"), key=lambda o: o.region_id)
        rows = [
            notice(p, top, f"{p.name}关于组织开展{year}年度绿色制造名单推荐工作的通知", rng.randint(3, 10))
            for p in provinces
        ]
        Notice.objects.bulk_create(rows)
        self.by_issuer = {n.issuer_id: n for n in rows}
        cities = sorted((o for o in self.authorities.values() if o.level == "city"), key=lambda o: o.region_id)
        city_rows = [
            notice(
                c,
                self.by_issuer[c.parent_id],
                f"{c.name}关于转发省《{year}年度绿色制造名单推荐工作通知》的通知",
                rng.randint(11, 18),
            )
            for c in cities
            if rng.random() < 0.45
        ]
        Notice.objects.bulk_create(city_rows, batch_size=500)
        self.by_issuer.update({n.issuer_id: n for n in city_rows})
        notices = [top, *rows, *city_rows]
        self.notice_ids = [n.pk for n in notices]
        # Categories: all four; three provinces (and their cities) count the cap per legal representative per year.
        by_rep = {p.pk for p in rng.sample(provinces, min(3, len(provinces)))}
        cats = []
        for n in notices:
            province_id = n.issuer_id if n.issuer.level == "province" else n.issuer.parent_id
            rep = province_id in by_rep
            for category in MATERIALS_ALL:
                cats.append(
                    NoticeCategory(
                        notice=n,
                        category=category,
                        cap_basis="legal_representative" if rep else "legal_entity",
                        cap_period="year" if rep else "batch",
                    )
                )
        NoticeCategory.objects.bulk_create(cats, batch_size=500)
        RequiredMaterial.objects.bulk_create(
            [
                RequiredMaterial(
                    notice_category=c, name=name, required=req, accepted_types=types, max_size_mb=size, position=i
                )
                for c in cats
                for i, (name, req, types, size) in enumerate(MATERIALS_ALL[c.category])
            ],
            batch_size=500,
        )
        factory = {c.notice_id: c for c in cats if c.category == "factory"}
        Quota.objects.bulk_create(
            [
                Quota(notice_category=factory[self.by_issuer[c.parent_id].pk], authority=c, limit=rng.randint(5, 40))
                for c in cities
            ],
            batch_size=500,
        )
        deadlines = [Deadline(notice=top, stage="authority", due_at=end_of_day(date(year, 9, 5)))]
        for n in rows:
            deadlines.append(Deadline(notice=n, stage="authority", due_at=end_of_day(date(year, 8, 20))))
            deadlines.append(Deadline(notice=n, stage="applicant", due_at=end_of_day(date(year, 7, 31))))
        for n in city_rows:
            deadlines.append(Deadline(notice=n, stage="authority", due_at=end_of_day(date(year, 8, 10))))
            deadlines.append(
                Deadline(
                    notice=n,
                    stage="applicant",
                    due_at=end_of_day(date(year, 7, 25)),
                    note="申报单位向所在县（市、区）工信局提交",
                )
            )
        Deadline.objects.bulk_create(deadlines, batch_size=500)

    def notice_for(self, applicant: Organization) -> Notice:
        """The nearest published notice of the applicant's chain (its city's notice, else its province's)."""
        authority = self.by_pk[applicant.competent_authority_id]
        while authority.pk not in self.by_issuer:
            authority = self.by_pk[authority.parent_id]
        return self.by_issuer[authority.pk]

    # Applications ------------------------------------------------------------------------------------------------

    def category_data(self, category: str, state: str, applicant: Organization) -> dict:
        rng = self.rng
        if category == "factory":
            code, name, key = rng.choice(INDUSTRIES)
            if key:
                level = rng.choices(["benchmark", "advanced", "above_baseline"], [70, 20, 10])[0]
            else:
                level = rng.choices(["benchmark", "advanced", "above_baseline", "none"], [15, 60, 20, 5])[0]
            water = rng.random() < 0.3
            data = {
                "industry_code": code,
                "industry_name": name,
                "evaluation_standard": GENERAL_FACTORY_STANDARD
                if rng.random() < 0.6
                else f"{name}行业绿色工厂评价要求",
                "key_energy_industry": key,
                "energy_efficiency_level": level,
                "key_water_user": water,
                "water_saving_enterprise": (rng.random() < 0.8) if water else False,
                "chain_leader": rng.random() < 0.1,
                "little_giant": rng.random() < 0.15,
                "town_leader": rng.random() < 0.05,
                "self_score": round(rng.uniform(75, 98), 1),
            }
        elif category == "park":
            share = 50.0 if rng.random() < 0.02 else round(rng.uniform(42, 85), 2)
            near = self.near.get(applicant.region_id[:2]) or self.enterprises
            members = [e.credit_code for e in rng.sample(near, min(rng.randint(3, 8), len(near)))]
            data = {
                "park_level": rng.choices(["national", "provincial", "other"], [35, 60, 5])[0],
                "main_function": rng.random() < 0.97,
                "value_added_share": share,
                "legal_boundary": rng.random() < 0.98,
                "unified_management": rng.random() < 0.98,
                "green_factory_count": rng.randint(0, 30),
                "green_factory_share": round(rng.uniform(5, 45), 2),
                "low_carbon_pilot": rng.random() < 0.2,
                "water_saving_park": rng.random() < 0.6,
                "member_credit_codes": "\n".join(dict.fromkeys(members)),
                "self_score": round(rng.uniform(75, 96), 1),
            }
        elif category == "supply_chain":
            code, name, _key = rng.choice(INDUSTRIES)
            data = {
                "industry_code": code,
                "industry_name": name,
                "chain_leader": rng.random() < 0.85,
                "independent_legal_person": rng.random() < 0.97,
                "green_supplier_count": rng.randint(0, 60),
                "epr_pilot": rng.random() < 0.1,
                "national_green_factory": rng.random() < 0.6,
                "self_score": round(rng.uniform(75, 96), 1),
            }
        else:
            data = {
                "product_name": rng.choice(PRODUCTS),
                "product_standard": rng.choice(PRODUCT_STANDARDS),
                "self_score": round(rng.uniform(75, 96), 1),
            }
        if state == State.DRAFT and rng.random() < 0.3:
            for name in rng.sample(sorted(data), min(3, len(data) - 1)):
                del data[name]  # an unfinished draft
        return data

    def build_applications(self, enterprise_apps: int, enterprises: int, parks: int) -> None:
        rng = self.rng
        self.near: dict[str, list[Organization]] = {}
        for e in self.enterprises:
            self.near.setdefault(e.region_id[:2], []).append(e)
        kinds = ("factory", "supply_chain", "product")
        first = rng.choices(kinds, [72, 14, 14], k=len(self.enterprises))
        plan = list(zip(self.enterprises, first, strict=True))
        firsts = {e.pk: c for e, c in plan}
        for e in rng.sample(self.enterprises, max(0, enterprise_apps - len(self.enterprises))):
            others = [c for c in kinds if c != firsts[e.pk]]
            plan.append((e, rng.choice(others)))  # a second category for the same enterprise
        plan += [(p, "park") for p in self.parks]
        rng.shuffle(plan)
        now = timezone.now()
        states = rng.choices(STATES, [s[1] for s in STATES], k=len(plan))
        apps = []
        self.assessor_ids = {a.pk for a in self.assessors}
        for (applicant, category), (state, _w, holder_kind, _d) in zip(plan, states, strict=True):
            notice = self.notice_for(applicant)
            first_authority = self.by_pk[applicant.competent_authority_id]
            holder = {
                "applicant": applicant,
                "first": first_authority,
                "parent": self.parent_of(first_authority),
            }[holder_kind]
            submitted = state != State.DRAFT
            signed = submitted or rng.random() < 0.5
            app = Application(
                notice=notice,
                category=category,
                applicant=applicant,
                data=self.category_data(category, state, applicant),
                state=state,
                holder=holder,
                version=1 if state == State.DRAFT else 3 if state != State.UNDER_REVIEW else 2,
                commitment_signer=applicant.legal_representative if signed else "",
                commitment_signed_at=now - timedelta(days=rng.randint(20, 40)) if signed else None,
                submitted_at=now - timedelta(days=rng.randint(1, 19), minutes=rng.randint(0, 1440))
                if submitted
                else None,
            )
            if rng.random() < 0.05:
                app.self_evaluation_org = rng.choice(self.assessors)
                app.self_evaluation_person = self.person()
            apps.append(app)
        self.engagements = self.plan_engagements(apps)
        self.apps = Application.objects.bulk_create(apps, batch_size=500)

    def parent_of(self, authority: Organization) -> Organization:
        return self.by_pk.get(authority.parent_id, authority)

    def build_declarations_and_referrals(self) -> None:
        rng = self.rng
        # Nine answers for each application in one INSERT … SELECT per item; then a few declare an occurrence.
        notices = ", ".join(str(int(pk)) for pk in self.notice_ids)
        answered = connection.ops.adapt_datetimefield_value(timezone.now())
        for item in NegativeItem.values:
            insert_select(
                Declaration,
                ["application_id", "item", "occurred", "note", "answered_at"],
                f"SELECT id, %s, %s, '', %s FROM {table(Application)} WHERE notice_id IN ({notices}) ORDER BY id",
                [item, False, answered],
            )
        for app in rng.sample(self.apps, round(len(self.apps) * 0.005)):
            Declaration.objects.filter(application=app, item=rng.choice(NegativeItem.values)).update(occurred=True)
        decisions = {s[0]: s[3] for s in STATES}
        referrals = []
        now = timezone.now()
        for app in self.apps:
            chain = decisions[app.state]
            authorities = [app.applicant.competent_authority_id, app.holder_id]
            for authority, decision in zip(authorities, chain, strict=False):
                referrals.append(
                    Referral(
                        application=app,
                        authority_id=authority,
                        decision=decision,
                        opinion=OPINIONS.get(decision, ""),
                        decided_at=now - timedelta(hours=rng.randint(1, 200)) if decision else None,
                    )
                )
        self.referrals = Referral.objects.bulk_create(referrals, batch_size=500)

    def plan_engagements(self, apps: list[Application]) -> list[Engagement]:
        """Assessors mostly at 12–16 projects, mostly in their own province; a few independence conflicts.
        Decided before the applications are inserted, so their evaluation mode needs no second write."""
        rng = self.rng
        pool: dict[str, list[Application]] = {}
        for app in apps:
            pool.setdefault(app.applicant.region_id[:2], []).append(app)
        for same_province in pool.values():
            rng.shuffle(same_province)
        everyone = list(apps)
        rng.shuffle(everyone)
        budget = max(1, round(len(apps) * 0.05))
        taken, rows, now = set(), [], timezone.now()
        targets = [rng.choices([15, 14, 13, 12, 16, 9], [25, 20, 15, 15, 10, 15])[0] for _ in self.assessors]
        for assessor, target in zip(self.assessors, targets, strict=True):
            home = pool.get(self.by_pk[assessor.competent_authority_id].region_id[:2], [])
            for _ in range(target):
                if budget <= 0:
                    break
                source = home if home and rng.random() < 0.8 else everyone
                while source and id(source[-1]) in taken:
                    source.pop()
                while everyone and id(everyone[-1]) in taken:
                    everyone.pop()
                if not (source or everyone):
                    break
                app = (source or everyone).pop()
                taken.add(id(app))
                budget -= 1
                app.evaluation_mode = Application.EvaluationMode.THIRD_PARTY
                accepted = app.state != State.DRAFT or rng.random() < 0.5
                lead = self.person() if accepted else ""
                if rng.random() < 0.03:
                    app.self_evaluation_org, app.self_evaluation_person = assessor, lead
                if rng.random() < 0.05:
                    other = rng.choice(self.assessors)
                    if other.pk != assessor.pk:
                        rows.append(
                            Engagement(
                                application=app,
                                assessor=other,
                                status=Engagement.Status.DECLINED,
                                responded_at=now - timedelta(days=30),
                                decline_reason="本批次评价项目已满。",
                            )
                        )
                rows.append(
                    Engagement(
                        application=app,
                        assessor=assessor,
                        status=Engagement.Status.ACCEPTED if accepted else Engagement.Status.PENDING,
                        responded_at=now - timedelta(days=rng.randint(20, 28)) if accepted else None,
                        lead_assessor=lead,
                        score=round(rng.uniform(78, 96), 1) if accepted and app.state != State.DRAFT else None,
                        report_submitted_at=now - timedelta(days=rng.randint(2, 19))
                        if accepted and app.state != State.DRAFT
                        else None,
                    )
                )
        return rows

    def build_engagements(self) -> None:
        for e in self.engagements:
            e.application_id = e.application.pk
        Engagement.objects.bulk_create(self.engagements, batch_size=500)

    def build_records(self) -> None:
        rng, year, tag = self.rng, self.year, self.tag
        today = timezone.localdate()
        rows = {}

        def add(kind, org, occurred, **extra):
            r = CreditRecord(
                kind=kind,
                credit_code=org.credit_code,
                name=org.name,
                occurred_on=occurred,
                source=f"{SOURCES[kind]}{tag}",
                **extra,
            )
            rows[(kind, r.credit_code, occurred, extra.get("category", ""), extra.get("level", ""))] = r

        applicants = self.enterprises + self.parks
        for kind, share, lifted in RECORD_PLAN:
            for org in rng.sample(applicants, max(1 if len(applicants) > 50 else 0, round(len(applicants) * share))):
                recent = rng.random() < 0.75
                occurred = today - timedelta(days=rng.randint(30, 1000) if recent else rng.randint(1130, 1800))
                done = rng.random() < lifted
                add(kind, org, occurred, rectified=done, ended_on=occurred + timedelta(days=90) if done else None)
        categories = {}
        for app in self.apps:
            categories.setdefault(app.applicant_id, app.category)
        for org in rng.sample(applicants, round(len(applicants) * 0.06)):
            category = categories.get(org.pk, "factory")
            level = "province" if rng.random() < 0.65 else "city"
            add("green_list", org, date(year - rng.randint(1, 4), 12, 20), category=category, level=level)
        for org in rng.sample(applicants, round(len(applicants) * 0.003)):
            add("green_list", org, date(year - 2, 1, 10), category=categories.get(org.pk, "factory"), level="national")
        for i, assessor in enumerate(self.assessors):
            if i % 12 != 11:  # most filed last year's work report
                add("assessor_annual_report", assessor, date(year, 1, 15), category=str(year - 1))
        if len(self.assessors) > 20:
            add("assessor_blacklist", self.assessors[7], today - timedelta(days=200))  # still listed
            add("assessor_blacklist", self.assessors[19], years_ago(today, 4))  # listing expired
        CreditRecord.objects.bulk_create(list(rows.values()), batch_size=500)

    def build_grants(self) -> None:
        """Guardian view grants following the flow: applicant, every authority reached, the commissioned assessor."""
        view = Permission.objects.get(codename="view_application", content_type__app_label="applications")
        notices = ", ".join(str(int(pk)) for pk in self.notice_ids)
        org, app, ref, eng = table(Organization), table(Application), table(Referral), table(Engagement)
        ours = f"JOIN {app} a ON a.id = x.application_id AND a.notice_id IN ({notices})"
        pairs = (
            f"SELECT a.id AS app_id, o.group_id AS group_id FROM {app} a JOIN {org} o ON o.id = a.applicant_id"
            f" WHERE a.notice_id IN ({notices})"
            f" UNION SELECT x.application_id, o.group_id FROM {ref} x {ours} JOIN {org} o ON o.id = x.authority_id"
            f" UNION SELECT x.application_id, o.group_id FROM {eng} x {ours} JOIN {org} o ON o.id = x.assessor_id"
            " WHERE x.status IN ('pending', 'accepted')"
        )
        insert_select(
            ApplicationGroupObjectPermission,
            ["permission_id", "group_id", "content_object_id"],
            f"SELECT %s, p.group_id, p.app_id FROM ({pairs}) p ORDER BY p.app_id, p.group_id",
            [view.pk],
        )


def table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def insert_select(model, columns: list[str], select: str, params: list) -> None:
    """INSERT INTO model (columns) SELECT …: rows made by the database, no Python object per row."""
    cols = ", ".join(connection.ops.quote_name(model._meta.get_field(c).column) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table(model)} ({cols}) {select}", params)


def years_ago(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def clear_year(year: int) -> None:
    """Delete what seed_scale made for this year: notices, their applications and everything on them, records."""
    notices = Notice.objects.filter(year=year, issuer__address=MARK)
    apps = Application.objects.filter(notice__in=notices)
    Evaluation.objects.filter(application__in=apps).delete()
    apps.delete()
    from eligibility.models import RuleSet

    Evaluation.objects.filter(rule_set__notice__in=notices).delete()
    RuleSet.objects.filter(notice__in=notices).delete()
    remaining = set(notices.values_list("pk", flat=True))
    while remaining:
        forwarded = set(Notice.objects.filter(forwards_id__in=remaining).values_list("forwards_id", flat=True))
        leaves = remaining - forwarded
        Notice.objects.filter(pk__in=leaves).delete()
        remaining -= leaves
    CreditRecord.objects.filter(source__endswith=f"（规模测试{year}）").delete()
