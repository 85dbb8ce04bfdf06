"""Data of the 推荐汇总表 (000_0e19f411d564c71d.txt 附件2): one batch, or everything an authority recommended
under a notice. Read by the xlsx renderer and by the letters, whose 附件 pages show the same table."""

from dataclasses import dataclass, field
from datetime import date


@dataclass
class SummaryRow:
    name: str  # 工厂名称 / 园区名称 / 企业名称 / 产品名称
    assessor: str  # 第三方机构名称, or 自评价
    trait: str  # 行业 (factory, supply chain, product) or 类型 (park)
    remark: str = ""  # 备注


@dataclass
class SummarySection:
    category: str  # notices.Category value
    title: str  # 绿色工厂推荐名单
    name_header: str  # 工厂名称
    trait_header: str  # 行业 / 类型
    rows: list[SummaryRow] = field(default_factory=list)


@dataclass
class DetailRow:
    """The second sheet: what a reviewer needs beside the official sheet."""

    rank: int
    category: str  # label, 绿色工厂
    name: str
    credit_code: str
    region: str  # full name, 山西省太原市小店区
    evaluation: str  # 第三方评价 / 自评价
    assessor: str
    assessor_score: str  # "" when none
    expert_score: str  # aggregated panel score, "" when none
    findings: str  # eligibility findings in one line, "" when all passed
    batch: str  # batch title


@dataclass
class SummaryData:
    title: str  # 市级工业和信息化主管部门推荐汇总表
    authority: str  # 推荐单位 (footer)
    signed_on: date | None  # footer date; None prints the blank 年 月 日
    sections: list[SummarySection]
    details: list[DetailRow]


# ----------------------------------------------------------------------------------------------------- builders
# The three sections of 000_0e19f411d564c71d.txt 附件2 always; 绿色设计产品 (002_3e46b5da0b2a2c6e.txt) when opened.
SECTIONS = {
    "factory": ("绿色工厂推荐名单", "工厂名称", "行业"),
    "park": ("绿色工业园区推荐名单", "园区名称", "类型"),
    "supply_chain": ("绿色供应链管理企业推荐名单", "企业名称", "行业"),
    "product": ("绿色设计产品推荐名单", "产品名称", "行业"),
}
ALWAYS = ("factory", "park", "supply_chain")
SELF_EVALUATION = "自评价"


def summary_title(authority) -> str:
    """FORMATS.md: the title names the level (市级工业和信息化主管部门推荐汇总表)."""
    from organizations.models import Organization

    level = dict(Organization.Level.choices).get(authority.level, "")
    return f"{level}工业和信息化主管部门推荐汇总表"


def region_name(organization) -> str:
    """山西省太原市小店区, from a select_related region__parent__parent chain (no queries)."""
    from reviews.selectors.publicity import region_names

    return "".join(region_names(organization))


def accepted_engagements(application_ids) -> dict:
    """application id → its accepted engagement (with the assessor), one query."""
    from applications.models import Engagement

    engagements = {}
    for e in (
        Engagement.objects.filter(application_id__in=list(application_ids), status=Engagement.Status.ACCEPTED)
        .select_related("assessor")
        .order_by("application_id", "requested_at", "id")
    ):
        engagements[e.application_id] = e  # the latest accepted one wins
    return engagements


def latest_findings(application_ids) -> dict:
    """application id → findings of its latest eligibility evaluation, two queries whatever the count."""
    from django.db.models import OuterRef, Subquery

    from applications.models import Application
    from eligibility.models import Evaluation

    latest = Evaluation.objects.filter(application=OuterRef("pk")).order_by("-created_at", "-id").values("pk")[:1]
    pairs = dict(
        Application.objects.filter(pk__in=list(application_ids))
        .annotate(evaluation_id=Subquery(latest))
        .values_list("pk", "evaluation_id")
    )
    findings = dict(Evaluation.objects.filter(pk__in=[e for e in pairs.values() if e]).values_list("pk", "findings"))
    return {app_id: findings.get(ev_id) or [] for app_id, ev_id in pairs.items()}


def findings_line(findings) -> str:
    """The failed and warned rules in one line, 不符合：…；提示：… ("" when everything passed). A priority rule
    that is not met only forgoes a bonus: it is no finding."""
    from eligibility.catalogue import FAIL, NEEDS_EVIDENCE, OUTCOMES, PRIORITY, WARN

    parts = []
    for f in findings:
        outcome = f.get("outcome")
        if outcome not in (FAIL, WARN, NEEDS_EVIDENCE) or (outcome == FAIL and f.get("kind") == PRIORITY):
            continue
        parts.append(f"{OUTCOMES[outcome]}：{f.get('title') or f.get('rule')}")
    return "；".join(parts)


def expert_scores(authorities, notice, categories) -> dict:
    """application id → the aggregate score of a panel of these authorities (the first one's panel wins), over
    the notice family; six queries a panel."""
    from reviews.models import Panel
    from reviews.selectors.batch_findings import family_ids
    from reviews.selectors.experts import ranking

    ids = [a.pk for a in authorities if a is not None]
    panels = list(
        Panel.objects.filter(authority_id__in=ids, notice_id__in=family_ids(notice), category__in=sorted(categories))
        .select_related("notice")
        .order_by("id")
    )
    panels.sort(key=lambda p: ids.index(p.authority_id))
    scores: dict[int, str] = {}
    for panel in panels:
        for row in ranking(panel).rows:
            if row.score is not None:
                scores.setdefault(row.application.pk, str(row.score))
    return scores


def _trait(application) -> str:
    from applications.categories import ParkForm

    data = application.data or {}
    if application.category == "park":
        levels = dict(ParkForm.base_fields["park_level"].choices)
        return str(levels.get(data.get("park_level"), "")) if data.get("park_level") else ""
    return str(data.get("industry_name") or data.get("industry_code") or "")


def row_name(application) -> str:
    if application.category == "product":
        return str((application.data or {}).get("product_name") or application.applicant.name)
    return application.applicant.name


def _summary(items, *, authority, scope, notice, panel_authorities, signed_on) -> SummaryData:
    """items: (batch, BatchItem) in the order they appear."""
    from applications.models import Application
    from notices.models import Category, NoticeCategory

    apps = [item.application for _, item in items]
    ids = [a.pk for a in apps]
    engagements = accepted_engagements(ids)
    findings = latest_findings(ids)
    categories = {a.category for a in apps}
    scores = expert_scores(panel_authorities, notice, categories) if apps else {}
    wanted = list(ALWAYS)
    opened = NoticeCategory.objects.filter(notice=notice, category="product").exists()
    if opened or "product" in categories:
        wanted.append("product")
    sections = {code: SummarySection(code, *SECTIONS[code]) for code in wanted}
    labels = dict(Category.choices)
    modes = dict(Application.EvaluationMode.choices)
    details = []
    for batch, item in items:
        app = item.application
        engagement = engagements.get(app.pk)
        assessor = engagement.assessor.name if engagement else SELF_EVALUATION
        remark = f"申报单位：{app.applicant.name}" if app.category == "product" else ""
        sections[app.category].rows.append(SummaryRow(row_name(app), assessor, _trait(app), remark))
        details.append(
            DetailRow(
                rank=item.rank,
                category=labels.get(app.category, app.category),
                name=row_name(app),
                credit_code=app.applicant.credit_code,
                region=region_name(app.applicant),
                evaluation=modes.get(app.evaluation_mode, app.evaluation_mode),
                assessor=assessor,
                assessor_score="" if engagement is None or engagement.score is None else str(engagement.score),
                expert_score=scores.get(app.pk, ""),
                findings=findings_line(findings.get(app.pk, [])),
                batch=batch.title,
            )
        )
    return SummaryData(
        title=summary_title(scope or authority),
        authority=authority.name,
        signed_on=signed_on,
        sections=[sections[code] for code in wanted],
        details=details,
    )


def _items(batch_ids):
    from reviews.models import BatchItem

    return (
        BatchItem.objects.filter(batch_id__in=batch_ids)
        .select_related("application", "application__applicant__region__parent__parent")
        .order_by("rank", "id")
    )


def batch_summary(batch, scope) -> SummaryData:
    """推荐汇总表 of one batch: its items in rank order; signed on the day it was submitted (today for a draft)."""
    from django.utils import timezone

    signed_on = timezone.localdate(batch.submitted_at) if batch.submitted_at else timezone.localdate()
    return _summary(
        [(batch, item) for item in _items([batch.pk])],
        authority=batch.authority,
        scope=scope,
        notice=batch.notice,
        panel_authorities=[batch.authority, batch.recipient],
        signed_on=signed_on,
    )


def notice_summary(notice, scope) -> SummaryData:
    """Everything `scope` recommended in the notice's family: its batches that were not returned, by batch number
    then rank; signed on the last submission when every batch is submitted, else today."""
    from django.utils import timezone

    from reviews.models import Batch
    from reviews.selectors.batch_findings import family_ids

    batches = list(
        Batch.objects.filter(authority=scope, notice_id__in=family_ids(notice))
        .exclude(state=Batch.State.RETURNED)
        .order_by("year", "number", "id")
    )
    by_pk = {b.pk: b for b in batches}
    position = {b.pk: n for n, b in enumerate(batches)}
    items = sorted(_items(list(by_pk)), key=lambda i: (position[i.batch_id], i.rank, i.pk))
    sent = [b.submitted_at for b in batches if b.submitted_at]
    signed_on = timezone.localdate(max(sent)) if sent and len(sent) == len(batches) else timezone.localdate()
    return _summary(
        [(by_pk[i.batch_id], i) for i in items],
        authority=scope,
        scope=scope,
        notice=notice,
        panel_authorities=[scope, scope.parent],
        signed_on=signed_on,
    )
