"""Expert review at the provinces: an expert pool per province (a few experts tied to an enterprise of their
province), and a panel per province and category holding applications, with the demo's scoring form, three
experts per application chosen least-loaded first and never with a conflict (the portal's own ConflictIndex),
most of them scored (weighted totals as score_submit computes them), some declined and replaced, view grants for
the experts of active assignments (as assignment_create gives)."""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.utils import timezone

from applications.models import ApplicationUserObjectPermission, State
from greenmfg.demo_chain import CRITERIA
from greenmfg.management.commands.load_demo import PASSWORD
from notices.models import Category
from organizations.models import ExpertAffiliation, ExpertProfile, Organization
from reviews.models import Assignment, Criterion, ExpertConflict, Panel, Score
from reviews.selectors.experts import ConflictIndex
from reviews.services.experts import weighted_total

from .common import GIVEN, MARK, SURNAMES

EXPERTS_PER_PROVINCE = 15
TITLES = ["教授级高级工程师", "高级工程师", "研究员", "教授", "副研究员"]
SPECIALTIES = ["节能与能效", "清洁生产", "环境工程", "资源综合利用", "绿色设计", "工业低碳", "标准化"]
EMPLOYERS = ["省节能监察中心", "省工业技术研究院", "大学环境学院", "省标准化研究院", "省生产力促进中心"]
DECLINES = ["时间冲突，无法按期完成评审。", "与申报单位存在业务往来，申请回避。"]


class ReviewsMixin:
    def provinces(self) -> list[Organization]:
        return sorted((o for o in self.authorities.values() if o.level == "province"), key=lambda o: o.region_id)

    def build_experts(self) -> None:
        """Once per database, like the organizations: users scale-expert-<province code>-NN in the province's pool."""
        self.experts = defaultdict(list)
        for e in ExpertProfile.objects.filter(pool__address=MARK).select_related("user").order_by("id"):
            self.experts[e.pool_id].append(e)
        if self.experts:
            return
        rng, User = self.rng, get_user_model()
        password = make_password(PASSWORD)
        plan = []
        for province in self.provinces():
            for i in range(EXPERTS_PER_PROVINCE):
                name = rng.choice(SURNAMES) + rng.choice(GIVEN)
                user = User(
                    username=f"scale-expert-{province.region_id}-{i + 1:02d}", first_name=name, password=password
                )
                plan.append((province, user))
        users = User.objects.bulk_create([u for _, u in plan], batch_size=500)
        profiles = ExpertProfile.objects.bulk_create(
            [
                ExpertProfile(
                    user=u,
                    pool=province,
                    title=rng.choice(TITLES),
                    specialties="、".join(rng.sample(SPECIALTIES, 2)),
                    employer=f"{province.name[:3]}{rng.choice(EMPLOYERS)}",
                    phone=f"139{rng.randint(10000000, 99999999)}",
                )
                for (province, _), u in zip(plan, users, strict=True)
            ],
            batch_size=500,
        )
        by_province = defaultdict(list)
        for e in self.enterprises:
            by_province[e.region_id[:2]].append(e)
        affiliations = []
        for profile in profiles:
            self.experts[profile.pool_id].append(profile)
            near = by_province.get(profile.pool.region_id[:2])
            if near and rng.random() < 0.15:  # a consultant or former employee of an applicant: a conflict
                org = rng.choice(near)
                affiliations.append(
                    ExpertAffiliation(
                        expert=profile,
                        organization=org,
                        name=org.name,
                        credit_code=org.credit_code,
                        relation=rng.choice([ExpertAffiliation.Relation.CONSULTANT, ExpertAffiliation.Relation.FORMER]),
                    )
                )
        ExpertAffiliation.objects.bulk_create(affiliations, batch_size=500)

    def build_panels(self) -> None:
        rng, year, now = self.rng, self.year, timezone.now()
        User = get_user_model()
        leads = {
            u.username: u for u in User.objects.filter(username__in=[f"scale-{p.region_id}" for p in self.provinces()])
        }
        held = defaultdict(list)  # (province, category) -> applications it reviews now
        for app in self.apps:
            if app.state == State.UNDER_REVIEW and app.holder.level == "province":
                held[(app.holder_id, app.category)].append(app)
        panels, members = [], []
        for province in self.provinces():
            for category, label in Category.choices:
                if not held.get((province.pk, category)):
                    continue
                panel = Panel(
                    authority=province,
                    notice=self.by_issuer[province.pk],
                    category=category,
                    name=f"{year}年度{label}专家评审组",
                    aggregate=rng.choices(list(Panel.Aggregate.values), [50, 20, 30])[0],
                    experts_per_application=3,
                    created_by=leads.get(f"scale-{province.region_id}"),
                )
                panels.append(panel)
        Panel.objects.bulk_create(panels, batch_size=500)
        criteria = []
        for panel in panels:
            members += [
                Panel.experts.through(panel_id=panel.pk, expertprofile_id=e.pk)
                for e in self.experts[panel.authority_id]
            ]
            criteria += [
                Criterion(
                    panel=panel,
                    position=i,
                    name=c["name"],
                    description=c["description"],
                    weight=Decimal(c["weight"]),
                    max_score=c["max_score"],
                )
                for i, c in enumerate(CRITERIA, start=1)
            ]
        Panel.experts.through.objects.bulk_create(members, batch_size=1000)
        Criterion.objects.bulk_create(criteria, batch_size=1000)
        forms = defaultdict(list)
        for c in criteria:
            forms[c.panel_id].append(c)
        assignments, scored, conflicts = [], [], {}
        for panel in panels:
            experts = self.experts[panel.authority_id]
            apps = held[(panel.authority_id, panel.category)]
            index = ConflictIndex(experts, apps)  # the portal's own conflict rules
            load = {e.pk: 0 for e in experts}
            for app in apps:
                free = sorted((e for e in experts if not index.reasons(e, app)), key=lambda e: (load[e.pk], e.pk))
                progress = rng.random()  # most scored, some half-way, a few just assigned
                quality = rng.uniform(70, 95)
                active = 0
                for expert in free:
                    if active >= panel.experts_per_application:
                        break
                    a = Assignment(panel=panel, application=app, expert=expert, assigned_by=panel.created_by)
                    load[expert.pk] += 1
                    if rng.random() < 0.03:
                        conflict = rng.random() < 0.5
                        a.status, a.decline_reason = Assignment.Status.DECLINED, DECLINES[conflict]
                        a.responded_at = now - timedelta(days=rng.randint(1, 5))
                        if conflict:
                            conflicts[(expert.pk, app.applicant_id)] = ExpertConflict(
                                expert=expert, organization_id=app.applicant_id, reason=DECLINES[1]
                            )
                    elif rng.random() < (0.95 if progress < 0.7 else 0.5 if progress < 0.9 else 0.0):
                        values = {
                            c.pk: Decimal(min(c.max_score, max(0, round(rng.gauss(quality, 5) * c.max_score / 100))))
                            for c in forms[panel.pk]
                        }
                        a.status, a.total = Assignment.Status.SUBMITTED, weighted_total(forms[panel.pk], values)
                        a.comment = "符合评价要求。" if a.total >= 80 else "部分指标有待提升。"
                        a.responded_at = now - timedelta(days=rng.randint(0, 4), hours=rng.randint(0, 23))
                        scored.append((a, values))
                    active += a.status != Assignment.Status.DECLINED
                    assignments.append(a)
        Assignment.objects.bulk_create(assignments, batch_size=500)
        Score.objects.bulk_create(
            [Score(assignment=a, criterion_id=pk, value=v) for a, values in scored for pk, v in values.items()],
            batch_size=1000,
        )
        ExpertConflict.objects.bulk_create(list(conflicts.values()), batch_size=500)
        view = Permission.objects.get(codename="view_application", content_type__app_label="applications")
        grants = {(a.expert.user_id, a.application.pk) for a in assignments if a.status != Assignment.Status.DECLINED}
        ApplicationUserObjectPermission.objects.bulk_create(
            [
                ApplicationUserObjectPermission(permission=view, user_id=u, content_object_id=app)
                for u, app in sorted(grants)
            ],
            batch_size=1000,
        )
