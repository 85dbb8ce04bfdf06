"""The organizations of the national data set: the authority tree on real GB/T 2260 regions with its departments,
enterprises and parks with valid credit codes, assessors filed with their province, a Group per organization and a
user per authority and assessor. Built once per database (a later year reuses them)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat

from greenmfg.management.commands.load_demo import PASSWORD
from organizations.credit_code import make_credit_code
from organizations.models import Membership, Organization, OrganizationGroupObjectPermission, Region

from .common import BRANDS, FIELDS, GIVEN, MARK, SURNAMES, A, D, E, P, S, short


class OrganizationsMixin:
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
