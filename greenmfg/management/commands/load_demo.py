"""Build the Shanxi 2024 demo scene (000_0e19f411d564c71d.txt: 太原 forwards 山西's notice).

    python manage.py load_demo [--force]

Idempotent: running it twice changes nothing. Every demo user's password is greenmfg-demo.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from greenmfg.demo_applications import build_demo_applications
from greenmfg.demo_chain import build_demo_chain
from greenmfg.demo_listings import build_demo_listings
from greenmfg.demo_notices import build_demo_notices
from greenmfg.shared_cache import config_changed
from notices.models import Notice
from organizations.credit_code import make_credit_code
from organizations.models import ExpertAffiliation, ExpertProfile, Organization
from organizations.services import expert_profile_save, membership_add, organization_create

PASSWORD = "greenmfg-demo"
A, E, P, S, D = (
    Organization.Kind.AUTHORITY,
    Organization.Kind.ENTERPRISE,
    Organization.Kind.PARK,
    Organization.Kind.ASSESSOR,
    Organization.Kind.DEPARTMENT,
)


def code(region: str, serial: int, kind: str = "91") -> str:
    """A valid 统一社会信用代码 for demo data: kind + region + MA + serial + X + check."""
    return make_credit_code(f"{kind}{region}MA{serial:06d}X")


# key, kind, name, region, level, parent key (authorities) or competent authority key, extra fields
AUTHORITIES = [
    ("ministry", "工业和信息化部节能与综合利用司", "110000", "ministry", None),
    ("province", "山西省工业和信息化厅", "140000", "province", "ministry"),
    ("city", "太原市工业和信息化局", "140100", "city", "province"),
    ("city2", "大同市工业和信息化局", "140200", "city", "province"),
    ("zone", "山西转型综合改革示范区管理委员会", "140100", "city", "province"),
    ("county", "太原市小店区工业和信息化局", "140105", "county", "city"),
    ("devzone", "太原经济技术开发区经济发展局", "140105", "county", "city"),
    ("yingze", "太原市迎泽区工业和信息化局", "140106", "county", "city"),
    ("qingxu", "清徐县工业和信息化局", "140121", "county", "city"),
    ("pingcheng", "大同市平城区工业和信息化局", "140213", "county", "city2"),
    ("yungang", "大同市云冈区工业和信息化局", "140214", "county", "city2"),
]
DEPARTMENTS = [
    ("eco", "太原市生态环境局", "140100", "ecology", "city"),
    ("safety", "太原市应急管理局", "140100", "emergency", "city"),
    ("market", "太原市市场监督管理局", "140100", "market", "city"),
    ("county-eco", "太原市生态环境局小店分局", "140105", "ecology", "county"),
    ("county-safety", "太原市小店区应急管理局", "140105", "emergency", "county"),
    ("county-market", "太原市小店区市场监督管理局", "140105", "market", "county"),
    ("prov-eco", "山西省生态环境厅", "140000", "ecology", "province"),
    ("prov-safety", "山西省应急管理厅", "140000", "emergency", "province"),
    ("prov-market", "山西省市场监督管理局", "140000", "market", "province"),
]
APPLICANTS = [
    ("enterprise", E, "山西晋阳精密机械有限公司", "140105", "county", 1, "王建国"),
    ("enterprise2", E, "太原汾河新材料科技有限公司", "140105", "county", 2, "李晓燕"),
    ("ent-xd3", E, "山西龙城环保装备股份有限公司", "140105", "county", 3, "张卫东"),
    ("ent-dz1", E, "太原经开区智能电气有限公司", "140105", "devzone", 4, "赵志刚"),
    ("ent-dz2", E, "山西晋电储能科技有限公司", "140105", "devzone", 5, "孙海燕"),
    ("ent-yz1", E, "太原迎泽食品股份有限公司", "140106", "yingze", 6, "周立新"),
    ("ent-qx1", E, "清徐县老陈醋酿造有限公司", "140121", "qingxu", 7, "吴德明"),
    ("ent-qx2", E, "山西清徐焦化新材料有限公司", "140121", "qingxu", 8, "郑国强"),
    ("ent-qx3", E, "太原清源精细化工有限公司", "140121", "qingxu", 9, "冯建华"),
    ("ent-pc1", E, "大同平城汽车零部件有限公司", "140213", "pingcheng", 10, "陈志勇"),
    ("ent-pc2", E, "大同云冈新能源装备有限公司", "140214", "yungang", 11, "褚文博"),
    ("ent-yg1", E, "大同同煤机械制造有限公司", "140214", "yungang", 12, "卫明辉"),
    ("ent-zone1", E, "山西综改区光电科技有限公司", "140105", "zone", 13, "蒋丽华"),
    ("park", P, "太原不锈钢产业园区管理委员会", "140100", "city", 14, "沈国栋"),
]
ASSESSORS = [
    ("assessor", "山西清源绿色评价技术有限公司", "140105", 21, "韩立群"),
    ("assessor2", "华北绿色制造评价中心（北京）有限公司", "110108", 22, "杨振华"),
]
EXPERTS = [
    (
        "expert",
        "刘志远",
        "正高级工程师",
        "工业节能、清洁生产",
        "太原理工大学",
        [{"name": "太原理工大学", "relation": ExpertAffiliation.Relation.EMPLOYED}],
    ),
    (
        "expert2",
        "马秀兰",
        "高级工程师",
        "绿色供应链、生命周期评价",
        "山西省节能中心",
        [
            {"name": "山西省节能中心", "relation": ExpertAffiliation.Relation.EMPLOYED},
            {"name": "华北绿色制造评价中心（北京）有限公司", "relation": ExpertAffiliation.Relation.CONSULTANT},
        ],
    ),
]
USERS = {  # username -> (org key, full name)
    "ministry": ("ministry", "部节能司经办人"),
    "province": ("province", "省工信厅经办人"),
    "city": ("city", "太原市工信局经办人"),
    "city2": ("city2", "大同市工信局经办人"),
    "zone": ("zone", "综改区经办人"),
    "county": ("county", "小店区工信局经办人"),
    "devzone": ("devzone", "经开区经办人"),
    "eco": ("eco", "市生态环境局经办人"),
    "safety": ("safety", "市应急管理局经办人"),
    "market": ("market", "市市场监管局经办人"),
    "county-eco": ("county-eco", "小店生态环境经办人"),
    "county-safety": ("county-safety", "小店应急管理经办人"),
    "county-market": ("county-market", "小店市场监管经办人"),
    "enterprise": ("enterprise", "晋阳精密申报专员"),
    "enterprise2": ("enterprise2", "汾河新材料申报专员"),
    "park": ("park", "不锈钢园区申报专员"),
    "assessor": ("assessor", "清源评价项目经理"),
    "assessor2": ("assessor2", "华北评价项目经理"),
    "yingze": ("yingze", "迎泽区工信局经办人"),
    "qingxu": ("qingxu", "清徐县工信局经办人"),
    "ent-xd3": ("ent-xd3", "龙城环保申报专员"),
    "ent-dz1": ("ent-dz1", "经开区智能电气申报专员"),
    "ent-dz2": ("ent-dz2", "晋电储能申报专员"),
    "ent-yz1": ("ent-yz1", "迎泽食品申报专员"),
    "ent-qx1": ("ent-qx1", "老陈醋酿造申报专员"),
    "ent-qx2": ("ent-qx2", "焦化新材料申报专员"),
    "pingcheng": ("pingcheng", "平城区工信局经办人"),
    "yungang": ("yungang", "云冈区工信局经办人"),
    "ent-pc1": ("ent-pc1", "平城汽车零部件申报专员"),
    "ent-pc2": ("ent-pc2", "云冈新能源申报专员"),
    "ent-yg1": ("ent-yg1", "同煤机械申报专员"),
    "ent-zone1": ("ent-zone1", "综改区光电申报专员"),
}


class Command(BaseCommand):
    help = "载入山西2024年度演示数据（仅限 DEBUG 模式，除非 --force）"

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="在 DEBUG 关闭时仍然载入（会创建弱口令账号）")

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError("DEBUG 未开启：演示数据含公开口令的账号，生产环境不得载入。确需载入请加 --force。")
        with transaction.atomic():
            created = self.build()
            config_changed()  # some rows are written in bulk, which sends no signal
        self.stdout.write(self.style.SUCCESS(f"演示数据就绪（本次新建 {created} 条）。所有账号密码：{PASSWORD}"))
        for username, (key, _name) in USERS.items():
            self.stdout.write(f"  {username:<14} {self.orgs[key].name}")
        self.stdout.write("  listed         太原太钢不锈钢精密带钢有限公司（名单单位，填报动态管理表）")
        self.stdout.write("  admin          系统管理员（超级用户）")
        for username, *_ in EXPERTS:
            self.stdout.write(f"  {username:<14} 山西省工业和信息化厅专家库评审专家")

    def org(self, key, **fields):
        kind = fields["kind"]
        lookup = (
            {"credit_code": fields["credit_code"]}
            if fields.get("credit_code")
            else {"name": fields["name"], "kind": kind}
        )
        existing = Organization.objects.filter(**lookup).first()
        if existing is None:
            existing = organization_create(actor=None, check_permission=False, **fields)
            self.created += 1
        self.orgs[key] = existing
        return existing

    def user(self, username, full_name, *, superuser=False):
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                first_name=full_name,
                is_superuser=superuser,
                is_staff=superuser,
                email=f"{username}@demo.greenmfg.local",
                password=self.password_hash,
            )
            user.save()
            self.created += 1
        return user

    def build(self) -> int:
        self.created, self.orgs = 0, {}
        self.password_hash = make_password(PASSWORD)
        admin = self.admin = self.user("admin", "系统管理员", superuser=True)
        for key, name, region, level, parent in AUTHORITIES:
            self.org(
                key, kind=A, name=name, region_id=region, level=level, parent=self.orgs[parent] if parent else None
            )
        for key, name, region, domain, authority in DEPARTMENTS:
            self.org(key, kind=D, name=name, region_id=region, domain=domain, competent_authority=self.orgs[authority])
        for key, kind, name, region, authority, serial, rep in APPLICANTS:
            self.org(
                key,
                kind=kind,
                name=name,
                region_id=region,
                credit_code=code(region, serial),
                competent_authority=self.orgs[authority],
                legal_representative=rep,
                contact_phone=f"0351-70{serial:05d}",
            )
        for key, name, region, serial, rep in ASSESSORS:
            self.org(
                key,
                kind=S,
                name=name,
                region_id=region,
                credit_code=code(region, serial),
                competent_authority=self.orgs["province"],
                legal_representative=rep,
            )
        for username, (key, full_name) in USERS.items():
            membership_add(actor=admin, user=self.user(username, full_name), organization=self.orgs[key], role="admin")
        for username, full_name, title, specialties, employer, affiliations in EXPERTS:
            user = self.user(username, full_name)
            if not ExpertProfile.objects.filter(user=user).exists():
                expert_profile_save(
                    actor=admin,
                    user=user,
                    pool=self.orgs["province"],
                    title=title,
                    specialties=specialties,
                    employer=employer,
                    affiliations=affiliations,
                )
                self.created += 1
        self.created += build_demo_notices(admin, self.orgs)
        open_notices = {n.issuer_id: n for n in Notice.objects.filter(status=Notice.Status.PUBLISHED, year=2024)}
        users = {username: get_user_model().objects.get(username=username) for username in USERS}
        self.created += build_demo_applications(self.orgs, users, open_notices)
        self.created += build_demo_chain(self.orgs, users, open_notices)
        self.created += build_demo_listings(self.orgs, users, code, self.member)
        return self.created

    def member(self, username, full_name, organization):
        user = self.user(username, full_name)
        if not organization.memberships.filter(user=user).exists():
            membership_add(actor=self.admin, user=user, organization=organization, role="admin")
        return user
