"""Guards of the workflow table: each returns a list of problems in Chinese (empty = may proceed)."""

from django.utils import timezone

from applications.models import Application
from applications.selectors import completeness
from notices.models import Deadline
from notices.services import DeadlinePassed, deadline_enforce


def _deadline(notice, organization, stage, at) -> list[str]:
    try:
        deadline_enforce(notice=notice, organization=organization, stage=stage, at=at)
    except DeadlinePassed as exc:
        return list(exc.messages)
    return []


def applicant_deadline(application: Application, at=None) -> list[str]:
    return _deadline(application.notice, application.applicant, Deadline.Stage.APPLICANT, at)


def returner(application: Application):
    """The authority that last returned the application to its applicant (None if never returned)."""
    referral = application.referrals.filter(decision="return").select_related("authority").order_by("-id").first()
    return referral.authority if referral else None


def resubmit_deadline(application: Application, at=None) -> list[str]:
    """Back to the first authority: the applicants' deadline. Back to a higher one: that authority must still be
    able to report on time, so its own reporting deadline binds (the top authority has none)."""
    authority = returner(application)
    if authority is None or authority.pk == application.applicant.competent_authority_id:
        return applicant_deadline(application, at)
    return _deadline(application.notice, authority, Deadline.Stage.AUTHORITY, at)


def complete(application: Application, at=None) -> list[str]:
    return completeness(application)


def no_decision_yet(application: Application, at=None) -> list[str]:
    open_referral = application.referrals.filter(decision="").first()
    if open_referral is None:
        return ["申报已有审核决定，不能撤回。"]
    return []


def eligibility(application: Application, at=None) -> list[str]:
    """Hard rules of the notice's rule set; every failing rule is listed with what to do."""
    from eligibility.services import blocking_problems, evaluate_application

    if completeness(application):
        return []  # the completeness guard already explains; evaluate once the application is whole
    return blocking_problems(evaluate_application(application))


def consultations_answered(application: Application, at=None) -> list[str]:
    """Every department asked by the holding authority has replied, or the authority recorded why not (逾期)."""
    from .models import ConsultationReply

    pending = (
        ConsultationReply.objects.filter(
            application=application,
            consultation__authority_id=application.holder_id,
            opinion=ConsultationReply.Opinion.PENDING,
            waived_at__isnull=True,
        )
        .select_related("department", "consultation")
        .order_by("department__name")
    )
    return [
        f"{r.department.name}尚未反馈意见（反馈截止{r.consultation.due_on:%Y年%m月%d日}）；"
        "逾期未反馈的，须记录原因后方可推荐。"
        for r in pending
    ]


def came_in_batch(application: Application, at=None) -> list[str]:
    open_referral = application.referrals.filter(decision="").first()
    if open_referral is None or open_referral.batch_id is None:
        return ["该申报由申报单位直接提交至本单位，没有可退回的下级主管部门。"]
    return []


def not_in_batch(application: Application, at=None) -> list[str]:
    from .models import Batch, BatchItem

    item = (
        BatchItem.objects.filter(
            application=application,
            batch__authority_id=application.holder_id,
            # Held again after a submitted batch means it came back: only a draft batch still holds it.
            batch__state=Batch.State.DRAFT,
        )
        .select_related("batch")
        .first()
    )
    return [f"该申报已列入推荐批次《{item.batch.title}》，请先从批次中移出。"] if item else []


def not_in_publicity(application: Application, at=None) -> list[str]:
    from .models import Publicity, PublicityEntry

    entry = (
        PublicityEntry.objects.filter(
            application=application, publicity__state__in=[Publicity.State.PUBLISHED, Publicity.State.DRAFT]
        )
        .select_related("publicity")
        .first()
    )
    return [f"该申报已列入公示《{entry.publicity.title}》。"] if entry else []


def list_authority(application: Application, at=None) -> list[str]:
    """The final list is decided by the issuer of the notice the round starts from (the ministry for national
    lists, the province for a province's own list)."""
    from notices.selectors import notice_family

    family = notice_family(application.notice)
    root = next((n for n in family if n.forwards_id is None), application.notice)
    if root.issuer_id != application.holder_id:
        return [f"名单由{root.issuer.name}决定。"]
    return []


def publicity_done(application: Application, at=None) -> list[str]:
    """Listed only after the holder's 公示 period has ended and every objection to this unit was handled."""
    from .models import Objection, Publicity, PublicityEntry

    entry = (
        PublicityEntry.objects.filter(
            application=application,
            publicity__authority_id=application.holder_id,
            publicity__state__in=[Publicity.State.PUBLISHED, Publicity.State.FINALIZED],
        )
        .select_related("publicity")
        .order_by("-publicity__starts_on", "-id")
        .first()
    )
    if entry is None:
        return ["该申报尚未经本单位公示，公示期满后方可作出最终决定。"]
    today = timezone.localdate(at) if at else timezone.localdate()
    problems = []
    if today <= entry.publicity.ends_on:
        problems.append(f"公示期至{entry.publicity.ends_on:%Y年%m月%d日}，期满后方可作出最终决定。")
    open_count = Objection.objects.filter(entry=entry, status=Objection.Status.OPEN).count()
    if open_count:
        problems.append(f"该单位尚有{open_count}件公示异议未处理。")
    return problems


GUARDS = {
    "eligibility": eligibility,
    "applicant_deadline": applicant_deadline,
    "resubmit_deadline": resubmit_deadline,
    "complete": complete,
    "no_decision_yet": no_decision_yet,
    "consultations_answered": consultations_answered,
    "came_in_batch": came_in_batch,
    "not_in_batch": not_in_batch,
    "not_in_publicity": not_in_publicity,
    "list_authority": list_authority,
    "publicity_done": publicity_done,
}
