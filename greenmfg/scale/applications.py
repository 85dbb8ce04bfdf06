"""Applications over the four categories and every state of the workflow, with their declarations, referrals up the
chain, third-party engagements and the guardian view grants that follow the flow."""

from datetime import timedelta

from django.contrib.auth.models import Permission
from django.db import connection
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
from organizations.models import Organization
from reviews.models import Referral

from .common import insert_select, table

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
# Application state, weight, holder: the applicant, the first authority, or the province the application was
# recommended up to level by level (each authority between recommended it and forwarded it; the province reviews).
STATES = [
    (State.DRAFT, 22, "applicant"),
    (State.UNDER_REVIEW, 24, "first"),
    (State.RETURNED, 8, "applicant"),
    (State.WITHDRAWN, 4, "applicant"),
    (State.NOT_RECOMMENDED, 8, "first"),
    (State.RECOMMENDED, 14, "first"),
    (State.UNDER_REVIEW, 20, "province"),
]
# The decision of the last authority reached (those below it recommended); the applicant's states at the first.
LAST_DECISION = {
    State.UNDER_REVIEW: "",
    State.RECOMMENDED: "recommend",
    State.NOT_RECOMMENDED: "not_recommend",
    State.RETURNED: "return",
    State.WITHDRAWN: "withdrawn",
}
OPINIONS = {
    "return": "请补充能效水平证明材料，并更新自评价报告相关数据。",
    "not_recommend": "经征求相关部门意见，不符合推荐条件。",
    "recommend": "经审核，同意推荐。",
}
# credit record kind, share of enterprise applicants, lifted share (rectified / removed)


class ApplicationsMixin:
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
        for (applicant, category), (state, _w, holder_kind) in zip(plan, states, strict=True):
            notice = self.notice_for(applicant)
            first_authority = self.by_pk[applicant.competent_authority_id]
            holder = {
                "applicant": applicant,
                "first": first_authority,
                "province": self.province_of(first_authority),
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

    def province_of(self, authority: Organization) -> Organization:
        while authority.level not in ("province", "ministry") and authority.parent_id in self.by_pk:
            authority = self.by_pk[authority.parent_id]
        return authority

    def chain(self, app: Application) -> list[int]:
        """The authorities the application reached, first to last (none for a draft)."""
        if app.state == State.DRAFT:
            return []
        authority = self.by_pk[app.applicant.competent_authority_id]
        reached = [authority.pk]
        while authority.pk != app.holder_id and app.holder.kind == "authority" and authority.parent_id in self.by_pk:
            authority = self.by_pk[authority.parent_id]
            reached.append(authority.pk)
        return reached

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
        referrals = []
        now = timezone.now()
        for app in self.apps:
            reached = self.chain(app)
            for i, authority in enumerate(reached):
                decision = LAST_DECISION[app.state] if i == len(reached) - 1 else "recommend"
                earlier = timedelta(days=5 * (len(reached) - 1 - i))  # a lower level decided before a higher one
                referrals.append(
                    Referral(
                        application=app,
                        authority_id=authority,
                        decision=decision,
                        opinion=OPINIONS.get(decision, ""),
                        decided_at=now - earlier - timedelta(hours=rng.randint(1, 100)) if decision else None,
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
