"""What a recommendation batch still needs before it can be submitted: quotas, the assessor cap across the batch,
the applications' state and eligibility, the stamped scan, the deadline, the documents. Reads only."""

from collections import Counter, defaultdict
from dataclasses import dataclass

from applications.models import Engagement, State
from eligibility.catalogue import FAIL, HARD
from eligibility.models import Evaluation
from notices.models import Deadline, Notice, NoticeCategory, Quota
from notices.selectors import deadline_for, notice_family_ids
from notices.services import format_moment

from ..models import Batch, BatchItem

SENT_STATES = (Batch.State.SUBMITTED, Batch.State.RECEIVED)
DOCUMENTS_PENDING = "尚未生成推荐汇总表和推荐文：请在本页“文书”一栏生成，打印并签字盖章后上传扫描件。"
BATCH_DOCUMENTS = {"batch_summary": "推荐汇总表", "batch_letter_pdf": "推荐文"}
ERROR, WARNING, INFO = "error", "warning", "info"
LEVEL_LABELS = {ERROR: "须处理", WARNING: "请注意", INFO: "提示"}


@dataclass(frozen=True)
class Finding:
    level: str  # error / warning / info
    code: str
    message: str
    application_id: int | None = None

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS[self.level]


def family_ids(notice: Notice) -> set[int]:
    return set(notice_family_ids(notice))


def batch_findings(batch: Batch, at=None) -> list[Finding]:
    """Everything the portal checks about the batch, errors first; a draft with an error cannot be submitted."""
    findings: list[Finding] = []
    draft = batch.state == Batch.State.DRAFT
    items = list(batch.items.select_related("application__applicant").order_by("rank", "id"))
    apps = [i.application for i in items]
    ids = [a.pk for a in apps]
    family = family_ids(batch.notice)
    if draft and not items:
        findings.append(Finding(ERROR, "EMPTY", "批次中还没有申报，请至少列入一项已推荐的申报。"))

    # Each application still recommended and held by the authority.
    if draft:
        for app in apps:
            if app.holder_id != batch.authority_id or app.state != State.RECOMMENDED:
                findings.append(
                    Finding(
                        ERROR,
                        "STATE",
                        f"{app.applicant.name}当前为“{app.get_state_display()}”，已不是本单位推荐的申报，请移出批次。",
                        app.pk,
                    )
                )

    # What the authority already sent in this round (applications returned to it on their own do not count).
    sent = list(
        BatchItem.objects.filter(
            batch__authority_id=batch.authority_id, batch__state__in=SENT_STATES, batch__notice_id__in=family
        )
        .exclude(batch_id=batch.pk)
        .exclude(application__holder_id=batch.authority_id)
        .values_list("application_id", "application__category")
    )

    # QUOTA per category, allotted by the parent on its notice of this round.
    quotas: dict[str, int] = {}
    for quota in Quota.objects.filter(notice_category__notice_id__in=family, authority_id=batch.authority_id).values(
        "notice_category__category", "limit"
    ):
        category = quota["notice_category__category"]
        quotas[category] = min(quota["limit"], quotas.get(category, quota["limit"]))
    here = Counter(a.category for a in apps)
    before = Counter(category for _, category in sent)
    labels = dict(NoticeCategory._meta.get_field("category").choices)
    for category, limit in sorted(quotas.items()):
        if not here[category]:
            continue
        total = here[category] + before[category]
        text = f"{batch.authority.name}{labels.get(category, category)}推荐名额{limit}个，本批次及已报送批次共{total}家"
        if total > limit:
            findings.append(Finding(ERROR, "QUOTA", f"{text}，超出{total - limit}家。"))
        else:
            findings.append(Finding(INFO, "QUOTA", f"{text}。"))

    # ASSESSOR-CAP across the batch (and the round's sent batches when the cap is per year).
    caps = {
        (nc.notice_id, nc.category): nc
        for nc in NoticeCategory.objects.filter(notice_id__in={a.notice_id for a in apps})
    }
    sent_ids = [pk for pk, _ in sent]
    engaged = defaultdict(list)
    assessors = {}
    for e in Engagement.objects.filter(
        application_id__in=ids + sent_ids, status=Engagement.Status.ACCEPTED
    ).select_related("assessor"):
        engaged[e.assessor_id].append(e.application_id)
        assessors[e.assessor_id] = e.assessor
    by_pk = {a.pk: a for a in apps}
    for assessor_id, app_ids in engaged.items():
        mine = [by_pk[pk] for pk in app_ids if pk in by_pk]
        if not mine:
            continue
        settings = [caps.get((a.notice_id, a.category)) for a in mine]
        settings = [s for s in settings if s is not None]
        if not settings:
            continue
        cap = min(s.assessor_cap for s in settings)
        per_year = any(s.cap_period == NoticeCategory.CapPeriod.YEAR for s in settings)
        count = len(mine) + (len([pk for pk in app_ids if pk not in by_pk]) if per_year else 0)
        scope = "本年度本单位已报送及本批次" if per_year else "本批次"
        if count > cap:
            findings.append(
                Finding(
                    ERROR,
                    "ASSESSOR-CAP",
                    f"第三方评价机构{assessors[assessor_id].name}在{scope}评价的项目共{count}个，"
                    f"超过上限{cap}个（超出{count - cap}个）。",
                )
            )

    # Hard eligibility failures in each application's latest evaluation.
    latest = {}
    for evaluation in Evaluation.objects.filter(application_id__in=ids).order_by(
        "application_id", "-created_at", "-id"
    ):
        latest.setdefault(evaluation.application_id, evaluation)
    for app in apps:
        evaluation = latest.get(app.pk)
        for f in evaluation.findings if evaluation else ():
            if f.get("kind") == HARD and f.get("outcome") == FAIL:
                findings.append(
                    Finding(
                        ERROR,
                        "ELIGIBILITY",
                        f"{app.applicant.name}资格审查未通过：{f['title']}——{f['message']}",
                        app.pk,
                    )
                )

    if draft:
        if not batch.scan:
            findings.append(Finding(ERROR, "SCAN", "尚未上传推荐文和推荐汇总表签字盖章后的扫描件（PDF、JPG 或 PNG）。"))
        effective = deadline_for(notice=batch.notice, organization=batch.authority, stage=Deadline.Stage.AUTHORITY)
        if effective is None:
            findings.append(Finding(INFO, "DEADLINE", f"{batch.recipient.name}尚未设定报送截止时间。"))
        else:
            due = format_moment(effective.due_at) + ("（含延期）" if effective.extension else "")
            if effective.is_past(at):
                findings.append(
                    Finding(ERROR, "DEADLINE", f"已超过报送截止时间{due}，逾期则视为无申报企业，不能再报送。")
                )
            else:
                findings.append(Finding(INFO, "DEADLINE", f"报送截止时间：{due}。"))
    findings.append(_documents_finding(batch, draft))
    order = {ERROR: 0, WARNING: 1, INFO: 2}
    return sorted(findings, key=lambda f: order[f.level])


def _documents_finding(batch: Batch, draft: bool) -> Finding:
    """Whether the summary table and the letter were rendered, and whether the batch changed since."""
    # documents serves every app; imported late so that reviews loads without it
    from documents.kinds import KINDS
    from documents.selectors import latest_done
    from documents.services import input_hash

    done = latest_done(owner=batch, kinds=list(BATCH_DOCUMENTS))
    missing = [label for kind, label in BATCH_DOCUMENTS.items() if kind not in done]
    level = WARNING if draft else INFO
    if len(missing) == len(BATCH_DOCUMENTS):
        return Finding(level, "DOCUMENTS", DOCUMENTS_PENDING)
    if missing:
        return Finding(level, "DOCUMENTS", f"尚未生成{'、'.join(missing)}：请在本页“文书”一栏生成。")
    if draft:
        changed = [
            BATCH_DOCUMENTS[code]
            for code, doc in done.items()
            if input_hash(KINDS[code], KINDS[code].builder()(batch, batch.authority)) != doc.input_hash
        ]
        if changed:
            return Finding(
                WARNING,
                "DOCUMENTS",
                f"{'、'.join(changed)}生成后内容又有变动，请重新生成，以免打印盖章的文书与报送内容不一致。",
            )
    stamp = max(doc.finished_at for doc in done.values())
    return Finding(INFO, "DOCUMENTS", f"推荐汇总表和推荐文已生成（{format_moment(stamp)}）。")


def batch_deadline(batch: Batch):
    return deadline_for(notice=batch.notice, organization=batch.authority, stage=Deadline.Stage.AUTHORITY)


# ------------------------------------------------------------------------------------- submit, receive, return
