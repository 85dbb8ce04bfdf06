"""Expert review (专家评审) at the province and the ministry: panels per notice and category, weighted scoring
forms, assignments by hand or automatically (least-loaded first, never an expert with a conflict), an expert's
decline (回避) and scores, and the bulk decision from the ranking through the workflow's one entry point.
Conflicts and aggregates are reads: reviews.selectors.experts (re-exported here).
"""

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from activity.services import audit_record, notification_send
from applications.models import Application, State
from applications.services import members
from notices.models import Notice, NoticeCategory
from notices.selectors import notice_family_ids
from organizations.models import ExpertProfile, Organization
from organizations.selectors import LEVEL_RANK, authority_ancestor_ids, memberships_of

from ..models import Assignment, Criterion, ExpertConflict, Panel, Score

# The reads the services use, re-exported: conflicts(expert, application) and aggregate(totals, method) live with
# the other reads in reviews.selectors.experts.
from ..selectors.experts import CENT, ConflictIndex, aggregate, candidate_applications, conflicts  # noqa: F401

VIEW = "applications.view_application"
ACTIVE = (Assignment.Status.ASSIGNED, Assignment.Status.SUBMITTED)


# ------------------------------------------------------------------------------------------------ permissions


def is_panel_member(user, panel: Panel) -> bool:
    """A member of the authority that runs the panel (superusers too)."""
    return bool(user.is_superuser) or any(m.organization_id == panel.authority_id for m in memberships_of(user))


def _require_panel_member(actor, panel: Panel) -> None:
    if not is_panel_member(actor, panel):
        raise PermissionDenied("只有组织评审的主管部门人员可以办理此事项。")


def _require_expert(actor, assignment: Assignment) -> None:
    if assignment.expert.user_id != actor.pk:
        raise PermissionDenied("只有被分配的评审专家本人可以办理此事项。")


def panel_authorities(user) -> list[Organization]:
    """The province- or ministry-level authorities the user may set up panels for."""
    return [
        m.organization
        for m in memberships_of(user)
        if m.organization.kind == Organization.Kind.AUTHORITY
        and LEVEL_RANK.get(m.organization.level, 0) >= LEVEL_RANK["province"]
    ]


# ------------------------------------------------------------------------------------------------------ panels


@transaction.atomic
def panel_save(
    *,
    actor,
    authority: Organization,
    notice: Notice,
    category: str,
    name: str,
    aggregate: str = Panel.Aggregate.MEAN,  # noqa: F811 (the field, not the function)
    experts_per_application: int = 3,
    experts=(),
    panel: Panel | None = None,
    request=None,
) -> Panel:
    """Create or update a panel of a province- or ministry-level authority; experts come from its own pool."""
    if panel is not None:
        authority = panel.authority
    if not actor.is_superuser and not any(m.organization_id == authority.pk for m in memberships_of(actor)):
        raise PermissionDenied("只有本主管部门的人员可以设置专家评审组。")
    errors: dict[str, list[str]] = {}
    if authority.kind != Organization.Kind.AUTHORITY or LEVEL_RANK.get(authority.level, 0) < LEVEL_RANK["province"]:
        errors["authority"] = ["专家评审由省级或部级主管部门组织。"]
    name = (name or "").strip()
    if not name:
        errors["name"] = ["请填写评审组名称。"]
    if aggregate not in Panel.Aggregate.values:
        errors["aggregate"] = ["请选择汇总方式。"]
    try:
        experts_per_application = int(experts_per_application)
    except (TypeError, ValueError):
        experts_per_application = 0
    if not 1 <= experts_per_application <= 15:
        errors["experts_per_application"] = ["每项申报评审专家数应在1到15之间。"]
    if notice.issuer_id not in authority_ancestor_ids(authority.pk):
        errors["notice"] = ["只能为本单位或上级主管部门发布的通知组织评审。"]
    elif not NoticeCategory.objects.filter(notice=notice, category=category).exists():
        errors["category"] = ["该通知未开放此申报类别。"]
    if panel is None or (panel.notice_id, panel.category) != (notice.pk, category):
        clash = Panel.objects.filter(authority=authority, notice=notice, category=category)
        if panel is not None:
            clash = clash.exclude(pk=panel.pk)
        if clash.exists():
            errors["category"] = ["本单位已为该通知的此类别设置了评审组。"]
    if panel is not None and (panel.notice_id, panel.category) != (notice.pk, category):
        if panel.assignments.exists():
            errors["category"] = ["评审组已分配专家，不能再更改通知或类别。"]
    expert_ids = {e.pk if isinstance(e, ExpertProfile) else int(e) for e in experts}
    chosen = list(ExpertProfile.objects.filter(pk__in=expert_ids, pool=authority, is_active=True))
    if len(chosen) != len(expert_ids):
        errors["experts"] = ["评审专家须从本单位专家库在库专家中选择。"]
    if panel is not None:
        busy = (
            panel.assignments.filter(status__in=ACTIVE)
            .exclude(expert_id__in=expert_ids)
            .select_related("expert__user")
            .order_by("expert_id")
        )
        names = sorted({str(a.expert) for a in busy})
        if names:
            errors["experts"] = [f"{'、'.join(names)}已有评审任务，请先撤销分配再移出评审组。"]
    if errors:
        raise ValidationError(errors)

    created = panel is None
    before = "" if created else f"{panel.name}|{panel.aggregate}|{panel.experts_per_application}"
    if created:
        panel = Panel(authority=authority, created_by=actor)
    panel.notice = notice
    panel.category = category
    panel.name = name
    panel.aggregate = aggregate
    panel.experts_per_application = experts_per_application
    panel.save()
    panel.experts.set(chosen)
    audit_record(
        actor=actor,
        verb="panel.save",
        target=panel,
        organization=authority,
        before=before,
        after=f"{panel.name}|{panel.aggregate}|{panel.experts_per_application}|专家{len(chosen)}人",
        request=request,
    )
    return panel


def _decimal(value, label: str, errors: list[str]) -> Decimal | None:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        errors.append(f"{label}须为数字。")
        return None
    if not number.is_finite():
        errors.append(f"{label}须为数字。")
        return None
    return number


@transaction.atomic
def criteria_save(*, actor, panel: Panel, rows, request=None) -> list[Criterion]:
    """Replace the panel's scoring form. rows: [{name, description, weight, max_score}] in order; blank rows skip."""
    _require_panel_member(actor, panel)
    if Score.objects.filter(assignment__panel=panel).exists():
        raise ValidationError("已有专家提交评分，评分表不能再修改。")
    errors: list[str] = []
    cleaned = []
    for number, row in enumerate(rows, start=1):
        name = str(row.get("name") or "").strip()
        if not name and not str(row.get("weight") or "").strip() and not str(row.get("max_score") or "").strip():
            continue
        label = f"第{number}项"
        if not name:
            errors.append(f"{label}：请填写评分项名称。")
        weight = _decimal(row.get("weight"), f"{label}：权重", errors)
        if weight is not None and (weight <= 0 or weight >= 1000 or weight != weight.quantize(CENT)):
            errors.append(f"{label}：权重须大于0、小于1000，最多两位小数。")
        max_score = _decimal(row.get("max_score"), f"{label}：满分", errors)
        if max_score is not None and (max_score <= 0 or max_score != max_score.to_integral() or max_score > 1000):
            errors.append(f"{label}：满分须为1到1000的整数。")
        cleaned.append(
            {
                "name": name[:128],
                "description": str(row.get("description") or "").strip()[:255],
                "weight": weight,
                "max_score": int(max_score) if max_score is not None and max_score == max_score.to_integral() else 0,
            }
        )
    if not cleaned and not errors:
        errors.append("评分表至少需要一个评分项。")
    if errors:
        raise ValidationError(errors)
    before = "；".join(f"{c.name}×{c.weight}/{c.max_score}" for c in panel.criteria.all())
    panel.criteria.all().delete()
    Criterion.objects.bulk_create([Criterion(panel=panel, position=i, **row) for i, row in enumerate(cleaned, start=1)])
    audit_record(
        actor=actor,
        verb="panel.criteria_save",
        target=panel,
        organization=panel.authority,
        before=before,
        after="；".join(f"{c['name']}×{c['weight']}/{c['max_score']}" for c in cleaned),
        request=request,
    )
    return list(panel.criteria.all())


# -------------------------------------------------------------------------------------------------- assignment


def _check_application(panel: Panel, application: Application) -> None:
    if application.holder_id != panel.authority_id or application.state != State.UNDER_REVIEW:
        raise ValidationError("该申报不在本单位审核中，不能分配评审专家。")
    if application.category != panel.category:
        raise ValidationError(f"该申报类别为“{application.get_category_display()}”，与评审组类别不符。")
    if application.notice_id not in set(notice_family_ids(panel.notice)):
        raise ValidationError("该申报不属于评审组所依据通知的申报。")


def _create(actor, panel: Panel, application: Application, expert: ExpertProfile, request) -> Assignment:
    assignment = Assignment.objects.create(panel=panel, application=application, expert=expert, assigned_by=actor)
    assign_perm(VIEW, expert.user, application)
    audit_record(
        actor=actor,
        verb="expert.assign",
        target=assignment,
        organization=panel.authority,
        after=f"{expert}→{application.applicant.name}",
        request=request,
    )
    return assignment


def _notify_expert(expert: ExpertProfile, panel: Panel, count: int, url: str) -> None:
    notification_send(
        recipients=[expert.user],
        organization=panel.authority,
        email=True,
        title=f"新的专家评审任务：{panel.name}（{count}项）",
        body=f"{panel.authority.name}邀请您参加{panel.name}的评审。请查看申报材料并提交评分；如需回避请说明理由。",
        url=url,
    )


@transaction.atomic
def assignment_create(
    *, actor, panel: Panel, application: Application, expert: ExpertProfile, request=None
) -> Assignment:
    _require_panel_member(actor, panel)
    _check_application(panel, application)
    if not panel.experts.filter(pk=expert.pk).exists():
        raise ValidationError(f"{expert}不是本评审组的专家。")
    if not panel.criteria.exists():
        raise ValidationError("请先设置评分表，再分配评审专家。")
    existing = Assignment.objects.filter(panel=panel, application=application, expert=expert).first()
    if existing is not None:
        if existing.status == Assignment.Status.DECLINED:
            raise ValidationError(f"{expert}已拒绝评审该申报（{existing.decline_reason}）。")
        raise ValidationError(f"{expert}已分配评审该申报。")
    reasons = conflicts(expert, application)
    if reasons:
        raise ValidationError([f"{expert}须回避：{r}" for r in reasons])
    assignment = _create(actor, panel, application, expert, request)
    _notify_expert(expert, panel, 1, f"/reviews/experts/assignments/{assignment.pk}/")
    return assignment


@transaction.atomic
def assignments_auto(*, actor, panel: Panel, request=None) -> list[dict]:
    """Fill every candidate application up to experts_per_application, least-loaded expert first (ties by id),
    never with a conflict or with an expert who declined it. Returns [{application, missing, reasons}] for the
    applications that could not be filled."""
    _require_panel_member(actor, panel)
    if not panel.criteria.exists():
        raise ValidationError("请先设置评分表，再分配评审专家。")
    panel = Panel.objects.select_for_update(of=("self",)).get(pk=panel.pk)
    experts = list(panel.experts.filter(is_active=True).select_related("user").order_by("id"))
    applications = list(candidate_applications(panel))
    index = ConflictIndex(experts, applications)
    taken: dict[int, set[int]] = defaultdict(set)  # application -> experts ever assigned (declined included)
    active: dict[int, int] = defaultdict(int)  # application -> active assignments
    load: dict[int, int] = {e.pk: 0 for e in experts}
    for app_id, expert_id, status in Assignment.objects.filter(panel=panel).values_list(
        "application_id", "expert_id", "status"
    ):
        taken[app_id].add(expert_id)
        if status in ACTIVE:
            active[app_id] += 1
            if expert_id in load:
                load[expert_id] += 1
    unfilled, new_by_expert = [], defaultdict(list)
    for application in applications:
        need = panel.experts_per_application - active[application.pk]
        if need <= 0:
            continue
        conflicted = []
        free = []
        for expert in experts:
            if expert.pk in taken[application.pk]:
                continue
            reasons = index.reasons(expert, application)
            if reasons:
                conflicted.append(f"{expert}：{reasons[0]}")
            else:
                free.append(expert)
        free.sort(key=lambda e: (load[e.pk], e.pk))
        for expert in free[:need]:
            new_by_expert[expert.pk].append(_create(actor, panel, application, expert, request))
            load[expert.pk] += 1
            taken[application.pk].add(expert.pk)
        if len(free) < need:
            unfilled.append({"application": application, "missing": need - len(free), "reasons": conflicted})
    by_pk = {e.pk: e for e in experts}
    for expert_id, made in new_by_expert.items():
        _notify_expert(by_pk[expert_id], panel, len(made), "/reviews/experts/assignments/")
    return unfilled


def _revoke_view(assignment: Assignment) -> None:
    """The expert keeps the view while another active assignment of theirs covers the same application."""
    still = (
        Assignment.objects.filter(application_id=assignment.application_id, expert=assignment.expert, status__in=ACTIVE)
        .exclude(pk=assignment.pk)
        .exists()
    )
    if not still:
        remove_perm(VIEW, assignment.expert.user, assignment.application)


@transaction.atomic
def assignment_remove(*, actor, assignment: Assignment, request=None) -> None:
    _require_panel_member(actor, assignment.panel)
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("expert__user", "panel__authority", "application__applicant")
        .get(pk=assignment.pk)
    )
    if assignment.status == Assignment.Status.SUBMITTED:
        raise ValidationError("专家已提交评分，不能撤销分配。")
    _revoke_view(assignment)
    audit_record(
        actor=actor,
        verb="expert.unassign",
        target=assignment,
        organization=assignment.panel.authority,
        before=assignment.status,
        after=f"{assignment.expert}→{assignment.application.applicant.name}",
        request=request,
    )
    expert, panel, application = assignment.expert, assignment.panel, assignment.application
    assignment.delete()
    if assignment.status == Assignment.Status.ASSIGNED:
        notification_send(
            recipients=[expert.user],
            organization=panel.authority,
            title=f"评审任务已撤销：{application.applicant.name}",
            body=f"{panel.authority.name}撤销了{panel.name}中的这项评审任务。",
            url="/reviews/experts/assignments/",
        )


@transaction.atomic
def assignment_decline(*, actor, assignment: Assignment, reason: str, conflict: bool = False, request=None):
    _require_expert(actor, assignment)
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("expert__user", "panel__authority", "application__applicant")
        .get(pk=assignment.pk)
    )
    if assignment.status != Assignment.Status.ASSIGNED:
        raise ValidationError(f"该评审任务当前为“{assignment.get_status_display()}”，不能拒绝。")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["请填写拒绝评审的理由。"]})
    assignment.status = Assignment.Status.DECLINED
    assignment.decline_reason = reason[:255]
    assignment.responded_at = timezone.now()
    assignment.save(update_fields=["status", "decline_reason", "responded_at"])
    applicant = assignment.application.applicant
    if conflict:
        declared, created = ExpertConflict.objects.get_or_create(
            expert=assignment.expert, organization=applicant, defaults={"reason": reason[:255]}
        )
        if created:
            audit_record(
                actor=actor,
                verb="expert.conflict_declare",
                target=declared,
                organization=assignment.panel.authority,
                after=applicant.name,
                reason=reason,
                request=request,
            )
    _revoke_view(assignment)
    audit_record(
        actor=actor,
        verb="expert.decline",
        target=assignment,
        organization=assignment.panel.authority,
        before=Assignment.Status.ASSIGNED,
        after=Assignment.Status.DECLINED,
        reason=f"{'回避：' if conflict else ''}{reason}",
        request=request,
    )
    panel = assignment.panel
    notification_send(
        recipients=members(panel.authority),
        organization=panel.authority,
        title=f"专家拒绝评审：{assignment.expert} · {applicant.name}",
        body=f"{'声明回避。' if conflict else ''}理由：{reason}",
        url=f"/reviews/experts/panels/{panel.pk}/",
    )
    return assignment


# ----------------------------------------------------------------------------------------------------- scoring


def weighted_total(criteria, values: dict[int, Decimal]) -> Decimal:
    """Σ(value/max × weight) / Σweight × 100, rounded half up to two decimals."""
    weights = sum((Decimal(c.weight) for c in criteria), Decimal(0))
    part = sum((values[c.pk] / Decimal(c.max_score) * Decimal(c.weight) for c in criteria), Decimal(0))
    return (part / weights * 100).quantize(CENT, rounding=ROUND_HALF_UP)


@transaction.atomic
def score_submit(*, actor, assignment: Assignment, values: dict, comment: str = "", request=None) -> Assignment:
    """values: {criterion id: score}. Every criterion, 0..max_score, at most two decimals. The expert may revise
    the scores while the application is still under review at the panel's authority."""
    _require_expert(actor, assignment)
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("panel__authority", "application", "expert")
        .get(pk=assignment.pk)
    )
    if assignment.status == Assignment.Status.DECLINED:
        raise ValidationError("您已拒绝该评审任务，不能评分。")
    application = assignment.application
    if application.holder_id != assignment.panel.authority_id or application.state != State.UNDER_REVIEW:
        raise ValidationError("该申报已不在评审中，不能再评分。")
    criteria = list(assignment.panel.criteria.all())
    if not criteria:
        raise ValidationError("评审组尚未设置评分表。")
    given = {str(k): v for k, v in (values or {}).items()}
    errors: dict[str, list[str]] = {}
    cleaned: dict[int, Decimal] = {}
    for c in criteria:
        raw = given.pop(str(c.pk), None)
        if raw is None or str(raw).strip() == "":
            errors[str(c.pk)] = [f"请为“{c.name}”打分。"]
            continue
        problems: list[str] = []
        number = _decimal(raw, f"“{c.name}”的得分", problems)
        if number is not None and not (0 <= number <= c.max_score):
            problems.append(f"“{c.name}”的得分应在0到{c.max_score}之间。")
        elif number is not None and number != number.quantize(CENT):
            problems.append(f"“{c.name}”的得分最多保留两位小数。")
        if problems:
            errors[str(c.pk)] = problems
        else:
            cleaned[c.pk] = number
    if given:
        errors["scores"] = ["评分项不属于本评审组：" + "、".join(sorted(given))]
    if errors:
        raise ValidationError(errors)
    before = str(assignment.total) if assignment.total is not None else ""
    Score.objects.filter(assignment=assignment).delete()
    Score.objects.bulk_create([Score(assignment=assignment, criterion=c, value=cleaned[c.pk]) for c in criteria])
    assignment.total = weighted_total(criteria, cleaned)
    assignment.comment = (comment or "").strip()
    assignment.status = Assignment.Status.SUBMITTED
    assignment.responded_at = timezone.now()
    assignment.save(update_fields=["total", "comment", "status", "responded_at"])
    audit_record(
        actor=actor,
        verb="expert.score",
        target=assignment,
        organization=assignment.panel.authority,
        before=before,
        after=str(assignment.total),
        request=request,
    )
    return assignment


from .bulk import ranking_decide  # noqa: E402,F401 (kept importable from here)
