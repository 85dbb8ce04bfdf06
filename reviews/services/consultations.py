"""Department consultation (征求意见): an authority asks its region's 生态环境/应急管理/市场监管 departments about
some of the applications it holds; each department answers per application; an objection is a fact for the
eligibility engine (reviews/facts.py); the recommend guard waits for every reply or a recorded reason (逾期).

Audit events target the application (so its trail shows them), with the consultation's id in `after` for sends.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from activity.services import audit_record, notification_send
from applications.models import Application, NegativeItem, State
from applications.services import facts_changed, grant_view, is_member, members
from greenmfg.uploads import check_upload, safe_name, store_upload
from organizations.models import Organization

from ..models import Consultation, ConsultationReply, Referral

DOMAIN_ITEMS = {
    Organization.Domain.ECOLOGY: NegativeItem.ENVIRONMENT,
    Organization.Domain.EMERGENCY: NegativeItem.SAFETY,
    Organization.Domain.MARKET: NegativeItem.QUALITY,
}
PROOF_TYPES = ["pdf", "jpg", "png"]
PROOF_MAX_BYTES = 20 * 1024 * 1024
ANSWERS = (ConsultationReply.Opinion.NO_OBJECTION, ConsultationReply.Opinion.OBJECTION)


def default_negative_item(department: Organization) -> str:
    return DOMAIN_ITEMS.get(department.domain, "")


def decided_by_authority(application: Application, authority_id: int) -> Referral | None:
    """The consulting authority's decision on the application, if its latest referral there has one."""
    referral = Referral.objects.filter(application=application, authority_id=authority_id).order_by("-id").first()
    return referral if referral is not None and referral.decision else None


def _detail_url(consultation: Consultation) -> str:
    return f"/reviews/consultations/{consultation.pk}/"


def _family_notice(authority: Organization, applications: list[Application]):
    notice = applications[0].notice
    if len({a.notice_id for a in applications}) == 1:
        return notice
    from notices.selectors import notice_family

    family = notice_family(notice)
    ids = {n.pk for n in family}
    if any(a.notice_id not in ids for a in applications):
        raise ValidationError({"applications": ["所选申报属于不同的年度通知，请分别征求意见。"]})
    return next((n for n in family if n.issuer_id == authority.pk), notice)


@transaction.atomic
def consultation_send(
    *, actor, authority: Organization, applications, departments, due_on, message: str = "", request=None
) -> Consultation:
    if authority.kind != Organization.Kind.AUTHORITY:
        raise ValidationError("只有工业和信息化主管部门可以征求协同部门意见。")
    if not is_member(actor, authority):
        raise PermissionDenied(f"只有{authority.name}的人员可以以该单位名义征求意见。")
    errors: dict[str, list[str]] = {}
    ids = sorted({a.pk if isinstance(a, Application) else int(a) for a in applications or []})
    apps = list(
        Application.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("applicant", "notice")
        .order_by("id")
    )
    if not ids:
        errors["applications"] = ["请选择要征求意见的申报。"]
    elif len(apps) != len(ids):
        errors["applications"] = ["所选申报不存在。"]
    else:
        wrong = [a.applicant.name for a in apps if a.holder_id != authority.pk or a.state != State.UNDER_REVIEW]
        if wrong:
            errors["applications"] = [f"以下申报不在本单位审核中，不能征求意见：{'、'.join(wrong)}。"]
    dept_ids = sorted({d.pk if isinstance(d, Organization) else int(d) for d in departments or []})
    depts = list(Organization.objects.filter(pk__in=dept_ids).order_by("name", "id"))
    if not dept_ids:
        errors["departments"] = ["请至少选择一个协同部门。"]
    elif len(depts) != len(dept_ids) or any(
        d.kind != Organization.Kind.DEPARTMENT or d.competent_authority_id != authority.pk or not d.is_active
        for d in depts
    ):
        errors["departments"] = [f"只能向{authority.name}对口的协同部门征求意见。"]
    today = timezone.localdate()
    if due_on is None:
        errors["due_on"] = ["请填写反馈截止日期。"]
    elif due_on < today:
        errors["due_on"] = [f"反馈截止日期不能早于今天（{today:%Y年%m月%d日}）。"]
    if not errors:
        open_pairs = list(
            ConsultationReply.objects.filter(
                consultation__authority=authority,
                application_id__in=ids,
                department_id__in=dept_ids,
                opinion=ConsultationReply.Opinion.PENDING,
                waived_at__isnull=True,
            )
            .select_related("application__applicant", "department")
            .order_by("application_id", "department_id")
        )
        if open_pairs:
            pairs = "、".join(f"{r.department.name}（{r.application.applicant.name}）" for r in open_pairs)
            errors["departments"] = [f"以下部门尚未反馈此前征求的意见，无需重复征求：{pairs}。"]
    if errors:
        raise ValidationError(errors)

    consultation = Consultation.objects.create(
        authority=authority,
        notice=_family_notice(authority, apps),
        due_on=due_on,
        message=(message or "").strip(),
        created_by=actor,
    )
    ConsultationReply.objects.bulk_create(
        [ConsultationReply(consultation=consultation, application=a, department=d) for a in apps for d in depts]
    )
    names = "、".join(d.name for d in depts)
    for a in apps:
        for d in depts:
            grant_view(a, d)
        audit_record(
            actor=actor,
            verb="consultation.send",
            target=a,
            organization=authority,
            after=f"consultation:{consultation.pk}",
            reason=f"向{names}征求意见，{due_on:%Y年%m月%d日}前反馈" + (f"；{consultation.message}" if message else ""),
            request=request,
        )
    applicants = "、".join(a.applicant.name for a in apps[:5]) + (f"等{len(apps)}家单位" if len(apps) > 5 else "")
    for d in depts:
        notification_send(
            recipients=members(d),
            organization=d,
            email=True,
            title=f"{authority.name}征求意见：{applicants}",
            body=f"请于{due_on:%Y年%m月%d日}前逐项反馈意见。{consultation.message}",
            url=_detail_url(consultation),
        )
    return consultation


@transaction.atomic
def reply_submit(
    *,
    actor,
    reply: ConsultationReply,
    opinion: str,
    reason: str = "",
    negative_item: str = "",
    proof=None,
    request=None,
) -> ConsultationReply:
    reply = (
        ConsultationReply.objects.select_for_update(of=("self",))
        .select_related("consultation__authority", "department", "application__applicant")
        .get(pk=reply.pk)
    )
    consultation, department, application = reply.consultation, reply.department, reply.application
    if not is_member(actor, department):
        raise PermissionDenied(f"只有{department.name}的人员可以反馈该意见。")
    decided = decided_by_authority(application, consultation.authority_id)
    if decided is not None:
        raise ValidationError(
            f"{consultation.authority.name}已对该申报作出决定（{decided.get_decision_display()}），不能再反馈或修改意见。"
        )
    errors: dict[str, list[str]] = {}
    if opinion not in ANSWERS:
        errors["opinion"] = ["请选择“无异议”或“有异议”。"]
    reason = (reason or "").strip()
    negative_item = (negative_item or "").strip()
    if opinion == ConsultationReply.Opinion.OBJECTION:
        if not reason:
            errors["reason"] = ["有异议的，请说明理由（如事故、处罚的时间和文号）。"]
        negative_item = negative_item or default_negative_item(department)
        if negative_item not in NegativeItem.values:
            errors["negative_item"] = ["请选择异议涉及的负面清单事项。"]
    else:
        negative_item = ""
    detected = None
    if proof is not None:
        try:
            detected = check_upload(proof, accepted=PROOF_TYPES, max_bytes=PROOF_MAX_BYTES)
        except ValidationError as exc:
            errors["proof"] = exc.messages
    if errors:
        raise ValidationError(errors)

    before = reply.opinion
    reply.opinion, reply.reason, reply.negative_item = opinion, reason, negative_item
    reply.replied_by, reply.replied_at = actor, timezone.now()
    fields = ["opinion", "reason", "negative_item", "replied_by", "replied_at"]
    stored = None
    if detected is not None:
        stored, sha = store_upload(proof, folder="consultations", kind=detected)
        reply.proof.name, reply.proof_name, reply.proof_sha256 = stored, safe_name(proof.name), sha
        fields += ["proof", "proof_name", "proof_sha256"]
    try:
        reply.save(update_fields=fields)
    except Exception:
        if stored:
            from django.core.files.storage import default_storage

            default_storage.delete(stored)
        raise
    late = timezone.localdate(reply.replied_at) > consultation.due_on
    audit_record(
        actor=actor,
        verb="consultation.reply",
        target=application,
        organization=department,
        before=before,
        after=opinion,
        reason="；".join(
            p for p in (reply.get_opinion_display(), reason, "逾期反馈" if late else "", reply.proof_name) if p
        ),
        request=request,
    )
    notification_send(
        recipients=members(consultation.authority),
        organization=consultation.authority,
        title=f"{department.name}反馈意见：{application.applicant.name}（{reply.get_opinion_display()}）",
        body=reason + ("（逾期反馈）" if late else ""),
        url=_detail_url(consultation),
    )
    facts_changed([application.pk])
    return reply


@transaction.atomic
def reply_waive(*, actor, reply: ConsultationReply, reason: str, request=None) -> ConsultationReply:
    reply = (
        ConsultationReply.objects.select_for_update(of=("self",))
        .select_related("consultation__authority", "department", "application__applicant")
        .get(pk=reply.pk)
    )
    consultation = reply.consultation
    if not is_member(actor, consultation.authority):
        raise PermissionDenied(f"只有{consultation.authority.name}的人员可以记录逾期未反馈的原因。")
    if reply.opinion != ConsultationReply.Opinion.PENDING:
        raise ValidationError(f"{reply.department.name}已反馈意见，无需记录逾期原因。")
    if reply.waived_at:
        raise ValidationError(f"已于{timezone.localtime(reply.waived_at):%Y年%m月%d日 %H:%M}记录过逾期原因。")
    today = timezone.localdate()
    if today <= consultation.due_on:
        raise ValidationError(
            f"反馈截止日期为{consultation.due_on:%Y年%m月%d日}，截止日之后仍未反馈的，方可记录逾期原因。"
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["请说明部门逾期未反馈的情况（如催办记录）。"]})
    reply.waived_reason, reply.waived_by, reply.waived_at = reason, actor, timezone.now()
    reply.save(update_fields=["waived_reason", "waived_by", "waived_at"])
    audit_record(
        actor=actor,
        verb="consultation.waive",
        target=reply.application,
        organization=consultation.authority,
        after=str(reply.department_id),
        reason=f"{reply.department.name}逾期未反馈：{reason}",
        request=request,
    )
    notification_send(
        recipients=members(reply.department),
        organization=reply.department,
        title=f"{consultation.authority.name}已记录贵单位逾期未反馈：{reply.application.applicant.name}",
        body=reason,
        url=_detail_url(consultation),
    )
    return reply
