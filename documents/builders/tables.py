"""Data of the review tables rendered as xlsx: 初审意见表 / 审核意见表, 专家评分表, 评审排序表, 入选名单.

Builders read only and order everything explicitly (the framework hashes their data). Dates stay `date` (None
prints as the blank 年 月 日 to fill in by hand); scores are text ("" when none), as on the summary's 明细 sheet.
"""

from dataclasses import dataclass, field
from datetime import date

from .summary import SELF_EVALUATION, accepted_engagements, region_name, row_name

CATEGORY_ORDER = ("factory", "park", "supply_chain", "product")


def _category_labels() -> dict:
    from notices.models import Category

    return dict(Category.choices)


def _person(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _unit(application) -> str:
    """The applicant; for a product, 单位（产品名称）."""
    name = application.applicant.name
    return f"{name}（{row_name(application)}）" if application.category == "product" else name


def _local_date(moment) -> date | None:
    from django.utils import timezone

    return timezone.localdate(moment) if moment else None


def _family_ids(notice) -> list[int]:
    from reviews.selectors.batch_findings import family_ids

    return sorted(family_ids(notice))


# ------------------------------------------------------------------------------------- 初审意见表 / 审核意见表


@dataclass
class OpinionRow:
    name: str  # 申报单位 (a product: 单位（产品名称）)
    credit_code: str
    category: str  # label
    region: str
    evaluation: str  # 自评价 / 第三方评价：机构名称
    departments: list[str]  # 市生态环境局：无异议 / 有异议（理由） / 待反馈, in domain order
    decision: str  # 推荐 / 退回修改 / … / 待审核
    opinion: str
    reviewer: str
    decided_on: date | None


@dataclass
class OpinionsData:
    title: str  # 初审意见表 at county level, 审核意见表 above
    notice: str  # the notice's title, printed under the table title
    authority: str  # 审核单位 (footer)
    signed_on: date | None  # footer date: the last decision's day
    rows: list[OpinionRow] = field(default_factory=list)


def review_opinions(notice, scope) -> OpinionsData:
    """One row per application referred to `scope` under the notice family, with the latest referral's decision,
    and each consulted department's latest reply. 000_0e19f411d564c71d.txt: the first level sends 各部门反馈意见 and
    初审意见 up together with the applications."""
    from reviews.models import ConsultationReply, Referral

    referrals: dict[int, Referral] = {}
    for referral in (
        Referral.objects.filter(authority=scope, application__notice_id__in=_family_ids(notice))
        .select_related("application", "application__applicant__region__parent__parent", "decided_by")
        .order_by("received_at", "id")
    ):
        referrals[referral.application_id] = referral  # the latest arrival at this authority wins
    ids = sorted(referrals)
    engagements = accepted_engagements(ids)
    replies: dict[int, dict[int, ConsultationReply]] = {}
    for reply in (
        ConsultationReply.objects.filter(consultation__authority=scope, application_id__in=ids)
        .select_related("department")
        .order_by("consultation__created_at", "consultation_id", "id")
    ):
        replies.setdefault(reply.application_id, {})[reply.department_id] = reply  # the latest round wins
    labels = _category_labels()
    domain_order = {"ecology": 0, "emergency": 1, "market": 2}

    def ordered(referral):
        app = referral.application
        return (CATEGORY_ORDER.index(app.category), referral.received_at, referral.pk)

    rows = []
    for referral in sorted(referrals.values(), key=ordered):
        app = referral.application
        engagement = engagements.get(app.pk)
        evaluation = f"第三方评价：{engagement.assessor.name}" if engagement else SELF_EVALUATION
        departments = sorted(
            replies.get(app.pk, {}).values(),
            key=lambda r: (domain_order.get(r.department.domain, 9), r.department.name, r.department_id),
        )
        rows.append(
            OpinionRow(
                name=_unit(app),
                credit_code=app.applicant.credit_code,
                category=labels.get(app.category, app.category),
                region=region_name(app.applicant),
                evaluation=evaluation,
                departments=[f"{r.department.name}：{_reply_text(r)}" for r in departments],
                decision=referral.get_decision_display() if referral.decision else "待审核",
                opinion=referral.opinion,
                reviewer=_person(referral.decided_by),
                decided_on=_local_date(referral.decided_at),
            )
        )
    decided = [r.decided_on for r in rows if r.decided_on]
    level_first = scope.level == "county"
    return OpinionsData(
        title="初审意见表" if level_first else "审核意见表",
        notice=notice.title,
        authority=scope.name,
        signed_on=max(decided) if decided else None,
        rows=rows,
    )


def _reply_text(reply) -> str:
    from reviews.models import ConsultationReply

    Opinion = ConsultationReply.Opinion
    if reply.opinion == Opinion.OBJECTION:
        return f"有异议（{reply.reason}）" if reply.reason else "有异议"
    if reply.opinion == Opinion.NO_OBJECTION:
        return "无异议"
    if reply.waived_at:
        return f"待反馈（逾期未反馈：{reply.waived_reason}）"
    return "待反馈"


# ----------------------------------------------------------------------------------------------- 专家评分表


@dataclass
class ScoreRow:
    name: str  # 申报单位
    category: str
    region: str
    values: list[str]  # one per criterion, "" when not scored
    total: str  # 加权总分
    comment: str  # 评审意见
    status: str  # 已评分 / 待评审 / 已拒绝（理由）


@dataclass
class ExpertSheet:
    expert: str  # the expert's name (the sheet's title)
    employer: str
    title: str  # 职称
    signed_on: date | None  # the day of the expert's last score; blank to fill in otherwise
    rows: list[ScoreRow] = field(default_factory=list)


@dataclass
class ScoreSheetsData:
    panel: str
    notice: str
    authority: str
    category: str
    criteria: list[str]  # 评分项（满分N，权重W）
    sheets: list[ExpertSheet] = field(default_factory=list)


def _criterion_header(criterion) -> str:
    weight = criterion.weight.normalize()
    return f"{criterion.name}（满分{criterion.max_score}，权重{weight:f}）"


def score_sheets(panel, scope) -> ScoreSheetsData:
    """One sheet per expert of the panel (and per expert still holding an assignment after leaving it), in the
    order they entered the pool;
    rows are the expert's assignments by applicant name. Four queries."""
    from reviews.models import Assignment, Score

    criteria = list(panel.criteria.order_by("position", "id"))
    assignments = list(
        Assignment.objects.filter(panel=panel)
        .select_related("expert__user", "application", "application__applicant__region__parent__parent")
        .order_by("application__applicant__name", "application_id", "id")
    )
    values: dict[tuple[int, int], str] = {
        (assignment_id, criterion_id): str(value)
        for assignment_id, criterion_id, value in Score.objects.filter(assignment__panel=panel).values_list(
            "assignment_id", "criterion_id", "value"
        )
    }
    experts = {e.pk: e for e in panel.experts.select_related("user")}
    for a in assignments:
        experts.setdefault(a.expert_id, a.expert)
    labels = _category_labels()
    sheets = {}
    for expert in sorted(experts.values(), key=lambda e: e.pk):
        sheets[expert.pk] = ExpertSheet(
            expert=str(expert), employer=expert.employer, title=expert.title, signed_on=None
        )
    for a in assignments:
        sheet = sheets[a.expert_id]
        status = a.get_status_display()
        if a.status == Assignment.Status.DECLINED and a.decline_reason:
            status = f"{status}（{a.decline_reason}）"
        sheet.rows.append(
            ScoreRow(
                name=_unit(a.application),
                category=labels.get(a.application.category, a.application.category),
                region=region_name(a.application.applicant),
                values=[values.get((a.pk, c.pk), "") for c in criteria],
                total="" if a.total is None else str(a.total),
                comment=a.comment,
                status=status,
            )
        )
        if a.status == Assignment.Status.SUBMITTED and a.responded_at:
            day = _local_date(a.responded_at)
            sheet.signed_on = max(sheet.signed_on, day) if sheet.signed_on else day
    return ScoreSheetsData(
        panel=panel.name,
        notice=panel.notice.title,
        authority=panel.authority.name,
        category=labels.get(panel.category, panel.category),
        criteria=[_criterion_header(c) for c in criteria],
        sheets=list(sheets.values()),
    )


# ----------------------------------------------------------------------------------------------- 评审排序表

WITHIN_QUOTA, BEYOND_QUOTA, UNSCORED = "推荐名额内", "超出推荐名额", "未评分"


@dataclass
class RankRow:
    rank: int | None  # None: not scored yet
    name: str
    category: str
    region: str
    expert_totals: list[str]  # one per expert column: the total, 待评分, 已拒绝, or "" when not assigned
    score: str  # aggregate, "" when none
    scores: int  # number of scores in
    marker: str  # 推荐名额内 / 超出推荐名额 / 未评分 / "" when no quota is set
    last_within_quota: bool = False  # the quota line runs under this row


@dataclass
class RankingData:
    panel: str
    notice: str
    authority: str
    category: str
    aggregate: str  # 算术平均 / 中位数 / 去掉最高最低分后平均
    quota: int | None
    experts: list[str]
    rows: list[RankRow] = field(default_factory=list)


def ranking(panel, scope) -> RankingData:
    """评审排序表 from reviews.selectors.experts.ranking (its order, rank and quota), with one column per expert."""
    from reviews.models import Assignment
    from reviews.selectors.experts import panel_applications
    from reviews.selectors.experts import ranking as panel_ranking

    # Whole rows: a product's name is in its data; the region's parents make the full region name.
    table = panel_ranking(panel, panel_applications(panel).select_related("applicant__region__parent__parent"))
    cells: dict[tuple[int, int], str] = {}
    experts = {e.pk: e for e in panel.experts.select_related("user")}
    for a in Assignment.objects.filter(panel=panel).select_related("expert__user").order_by("id"):
        experts.setdefault(a.expert_id, a.expert)
        if a.status == Assignment.Status.SUBMITTED and a.total is not None:
            cells[(a.application_id, a.expert_id)] = str(a.total)
        else:
            cells[(a.application_id, a.expert_id)] = "已拒绝" if a.status == Assignment.Status.DECLINED else "待评分"
    columns = sorted(experts.values(), key=lambda e: e.pk)
    labels = _category_labels()
    rows = []
    for row in table.rows:
        app = row.application
        if table.quota is None:
            marker = "" if row.rank is not None else UNSCORED
        elif row.rank is None:
            marker = UNSCORED
        else:
            marker = WITHIN_QUOTA if row.within_quota else BEYOND_QUOTA
        rows.append(
            RankRow(
                rank=row.rank,
                name=_unit(app),
                category=labels.get(app.category, app.category),
                region=region_name(app.applicant),
                expert_totals=[cells.get((app.pk, e.pk), "") for e in columns],
                score="" if row.score is None else str(row.score),
                scores=row.scored,
                marker=marker,
                last_within_quota=table.quota is not None and row.rank == table.quota,
            )
        )
    return RankingData(
        panel=panel.name,
        notice=panel.notice.title,
        authority=panel.authority.name,
        category=labels.get(panel.category, panel.category),
        aggregate=panel.get_aggregate_display(),
        quota=table.quota,
        experts=[str(e) for e in columns],
        rows=rows,
    )


# ------------------------------------------------------------------------------------------------- 入选名单


@dataclass
class ListRow:
    name: str
    credit_code: str
    region: str
    assessor: str  # 第三方机构名称, or 自评价
    level: str  # 名单层级: 市级 / 省级 / 国家级
    listed_on: date


@dataclass
class ListSection:
    category: str
    title: str  # 绿色工厂名单
    rows: list[ListRow] = field(default_factory=list)


@dataclass
class FinalListData:
    title: str  # 2024年度国家级绿色制造名单
    authority: str
    sections: list[ListSection] = field(default_factory=list)


def final_list(notice, scope) -> FinalListData:
    """入选名单: the Listing rows `scope` decided for the notice's family, a section per category in the usual
    order, rows in the order they were listed (the 公示's order)."""
    from django.db.models import Q

    from listings.models import Listing
    from listings.services import root_notice

    family = _family_ids(notice)
    listings = list(
        Listing.objects.filter(Q(notice_id__in=family) | Q(application__notice_id__in=family), authority=scope)
        .filter(status=Listing.Status.ACTIVE)
        .select_related("organization__region__parent__parent", "application")
        .order_by("listed_on", "id")
    )
    engagements = accepted_engagements([x.application_id for x in listings if x.application_id])
    labels = _category_labels()
    sections = {code: ListSection(code, f"{labels[code]}名单") for code in CATEGORY_ORDER}
    for x in listings:
        engagement = engagements.get(x.application_id)
        name = x.name  # the name at listing, not today's
        if x.category == "product" and x.application is not None:
            name = f"{x.name}（{row_name(x.application)}）"
        assessor = engagement.assessor.name if engagement else SELF_EVALUATION
        sections[x.category].rows.append(
            ListRow(
                name=name,
                credit_code=x.credit_code,
                region=region_name(x.organization),
                assessor=assessor if x.application_id else "",  # an imported listing has no evaluation on file
                level=x.get_level_display(),
                listed_on=x.listed_on,
            )
        )
    root = root_notice(notice)
    levels = {x.get_level_display() for x in listings}
    level = levels.pop() if len(levels) == 1 else root.get_list_level_display()
    return FinalListData(
        title=f"{root.year}年度{level}绿色制造名单",
        authority=scope.name,
        sections=[s for s in sections.values() if s.rows],
    )
