"""Writes of the third-party assessor registry: filing (备案) with a province and its decision, the yearly work
report against a call's deadline, and the blacklist.

Each service runs in a transaction, checks permission and state, writes the audit event and notifies after commit.
A change that the eligibility rules read (approval, revocation, reports, blacklist) calls the registered
ASSESSOR_FACT_HOOKS after commit with the assessor's id, so its open applications are evaluated again.

Sources: 002_3e46b5da0b2a2c6e.txt §三 (basic conditions, blacklist three years), 001_df05fc8070bc22d3.txt §三 (annual
work report), 003_32b3e8f77524ff49.txt §（二） (report by 4/30, "十个严禁"), 004_30892f5977438438.txt §四 (备案).
"""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from activity.services import audit_record, notification_send
from greenmfg.uploads import CONTENT_TYPES, check_upload, store_upload

from .models import (
    AnnualReportCall,
    AssessorAnnualReport,
    AssessorBlacklist,
    AssessorFiling,
    AssessorFilingProof,
    Organization,
)
from .registry_models import SENIOR_FIELDS, TEN_PROHIBITIONS
from .selectors import memberships_of
from .selectors_registry import DECIDING_ROLES, can_decide, registry_assessors_visible_to, unmet_conditions

SHANGHAI = ZoneInfo("Asia/Shanghai")
PROOF_TYPES = ["pdf", "jpg", "png"]
PROOF_MAX_BYTES = 20 * 1024 * 1024
REPORT_TYPES = ["pdf"]
REPORT_MAX_BYTES = 50 * 1024 * 1024
BLACKLIST_YEARS = 3  # 001 §二（四）, 002 §三, 003 §（二）2, 004 §四: 三年内不予采信

# Called after commit with the ids of assessors whose registry facts changed (eligibility registers itself here).
ASSESSOR_FACT_HOOKS: list = []


def assessor_facts_changed(assessor_ids) -> None:
    ids = sorted(set(assessor_ids))
    for hook in ASSESSOR_FACT_HOOKS:
        transaction.on_commit(lambda hook=hook: hook(ids))


# ------------------------------------------------------------------------------------------------ helpers


def _is_member(user, organization: Organization) -> bool:
    return bool(user.is_superuser) or any(m.organization_id == organization.pk for m in memberships_of(user))


def _members(organization: Organization, roles=None) -> list:
    qs = organization.memberships.filter(is_active=True).select_related("user")
    if roles:
        qs = qs.filter(role__in=roles)
    return [m.user for m in qs]


def _require_assessor(actor, assessor: Organization) -> None:
    if assessor.kind != Organization.Kind.ASSESSOR:
        raise ValidationError("只有第三方评价机构可以办理此事项。")
    if not _is_member(actor, assessor):
        raise PermissionDenied(f"只有{assessor.name}的人员可以办理此事项。")


def _require_decider(actor, authority: Organization, what: str) -> None:
    if not can_decide(actor, authority):
        raise PermissionDenied(f"只有{authority.name}的审核人或管理员可以{what}。")


def _require_province(authority: Organization, what: str = "受理备案") -> None:
    if authority.kind != Organization.Kind.AUTHORITY or authority.level != Organization.Level.PROVINCE:
        raise ValidationError({"authority": [f"只有省级工业和信息化主管部门可以{what}。"]})


def _notify_deciders(authority: Organization, *, title: str, body: str = "", url: str = "") -> None:
    notification_send(
        recipients=_members(authority, DECIDING_ROLES), organization=authority, title=title, body=body, url=url
    )


def _notify_assessor(assessor: Organization, *, title: str, body: str = "", url: str = "") -> None:
    notification_send(recipients=_members(assessor), organization=assessor, email=True, title=title, body=body, url=url)


def years_after(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 28 February (as eligibility.catalogue.years_after)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def end_of_day(day: date) -> datetime:
    """A deadline given as a day ends at 23:59:59 of that day, Asia/Shanghai."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=SHANGHAI)


def _int(value, label: str, errors: dict, name: str, *, required=True) -> int | None:
    if value in (None, ""):
        if required:
            errors[name] = [f"请填写{label}。"]
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors[name] = [f"{label}应为整数。"]
        return None
    if number < 0:
        errors[name] = [f"{label}不能为负数。"]
        return None
    return number


def _text(data: dict, name: str) -> str:
    return str(data.get(name) or "").strip()


def _store(upload, *, folder: str, accepted, max_bytes) -> tuple[str, str, str]:
    kind = check_upload(upload, accepted=accepted, max_bytes=max_bytes)
    name, sha = store_upload(upload, folder=folder, kind=kind)
    return kind, name, sha


# ------------------------------------------------------------------------------------------------ filings


def clean_filing_data(data: dict) -> dict:
    """The filing's fields from a form or API payload, or a ValidationError naming each field in Chinese.

    The 002 conditions (≥ 10 mid-level staff, ≥ 5 senior in the fields …) are not checked here: a filing that does
    not meet them can be submitted, is shown so to the province, and cannot be approved.
    """
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    out = {
        "registered_in_prc": bool(data.get("registered_in_prc")),
        "entity_type": _text(data, "entity_type") or AssessorFiling.EntityType.ENTERPRISE,
        "registration_authority": _text(data, "registration_authority"),
        "office_address": _text(data, "office_address"),
        "has_financial_system": bool(data.get("has_financial_system")),
        "contact_name": _text(data, "contact_name"),
        "contact_phone": _text(data, "contact_phone"),
        "contact_email": _text(data, "contact_email"),
    }
    if out["entity_type"] not in AssessorFiling.EntityType.values:
        errors["entity_type"] = ["请选择单位性质。"]
    if not out["registration_authority"]:
        errors["registration_authority"] = ["请填写登记机关（如市场监督管理局）。"]
    if not out["office_address"]:
        errors["office_address"] = ["请填写固定办公场所地址。"]
    if not out["contact_name"]:
        errors["contact_name"] = ["请填写联系人。"]
    if not out["contact_phone"]:
        errors["contact_phone"] = ["请填写联系电话。"]
    full = _int(data.get("staff_full_time"), "专职人员总数", errors, "staff_full_time")
    mid = _int(data.get("staff_mid_level"), "中级职称以上专职人员人数", errors, "staff_mid_level")
    senior = _int(data.get("staff_senior"), "高级职称人员人数", errors, "staff_senior")
    fields, raw_fields = {}, data.get("senior_fields") or {}
    for code, label in SENIOR_FIELDS:
        n = _int(raw_fields.get(code), f"{label}专业高级职称人数", errors, f"senior_{code}", required=False)
        if n:
            fields[code] = n
    if full is not None and mid is not None and mid > full:
        errors["staff_mid_level"] = ["中级职称以上专职人员不能多于专职人员总数。"]
    if mid is not None and senior is not None and senior > mid:
        errors["staff_senior"] = ["高级职称人员不能多于中级职称以上专职人员。"]
    if senior is not None and sum(fields.values()) > senior:
        errors["senior_fields"] = ["各专业高级职称人数之和不能多于高级职称人员人数。"]
    out.update(staff_full_time=full or 0, staff_mid_level=mid or 0, staff_senior=senior or 0, senior_fields=fields)
    experience = []
    for i, item in enumerate(data.get("experience") or [], start=1):
        year, client, work = (
            item.get("year"),
            str(item.get("client") or "").strip(),
            str(item.get("work") or "").strip(),
        )
        if year in (None, "") and not client and not work:
            continue
        try:
            year = int(year)
        except (TypeError, ValueError):
            errors.setdefault("experience", []).append(f"第{i}项工作经历：请填写年份。")
            continue
        if not 1990 <= year <= today.year:
            errors.setdefault("experience", []).append(f"第{i}项工作经历：年份{year}无效。")
        elif not client or not work:
            errors.setdefault("experience", []).append(f"第{i}项工作经历：请填写委托方和工作内容。")
        else:
            experience.append({"year": year, "client": client[:128], "work": work[:500]})
    if not experience and "experience" not in errors:
        errors["experience"] = ["请至少填写一项近五年的相关工作经历。"]
    out["experience"] = sorted(experience, key=lambda p: -p["year"])
    if errors:
        raise ValidationError(errors)
    return out


def _add_proof(*, actor, filing: AssessorFiling, kind: str, upload, title: str = "") -> AssessorFilingProof:
    if kind not in AssessorFilingProof.Kind.values:
        raise ValidationError({"proofs": ["请选择证明材料的类别。"]})
    detected, name, sha = _store(upload, folder="assessors/filings", accepted=PROOF_TYPES, max_bytes=PROOF_MAX_BYTES)
    try:
        proof = AssessorFilingProof(
            filing=filing,
            kind=kind,
            title=(title or "").strip()[:128],
            original_name=upload.name[:255],
            content_type=CONTENT_TYPES[detected],
            size=upload.size,
            sha256=sha,
            uploaded_by=actor if getattr(actor, "pk", None) else None,
        )
        proof.file.name = name
        proof.save()
    except Exception:
        default_storage.delete(name)  # nothing stored half-way
        raise
    return proof


def _filing_url(filing: AssessorFiling) -> str:
    return f"/assessors/filings/{filing.pk}/"


@transaction.atomic
def filing_submit(
    *,
    actor,
    assessor: Organization,
    authority: Organization,
    data: dict,
    proofs=(),
    previous: AssessorFiling | None = None,
    request=None,
) -> AssessorFiling:
    """File (备案) with a province: the declared conditions and proofs (pdf/jpg/png, checked by content).

    `proofs` is a list of (kind, upload). Filing again after a rejection or revocation names the previous filing
    as `previous`; its proofs are carried over, new ones are added.
    """
    _require_assessor(actor, assessor)
    _require_province(authority)
    if not authority.is_active:
        raise ValidationError({"authority": [f"{authority.name}已停用，不能向其备案。"]})
    cleaned = clean_filing_data(data)
    proofs = [(kind, upload) for kind, upload in proofs or () if upload is not None]
    for _, upload in proofs:  # every file is checked before anything is stored
        try:
            check_upload(upload, accepted=PROOF_TYPES, max_bytes=PROOF_MAX_BYTES)
        except ValidationError as exc:
            raise ValidationError({"proofs": exc.messages}) from exc
    if previous is not None:
        previous = AssessorFiling.objects.get(pk=previous.pk)
        if previous.assessor_id != assessor.pk or previous.authority_id != authority.pk:
            raise ValidationError("只能在本机构向同一主管部门的备案基础上重新备案。")
        if previous.status not in (AssessorFiling.Status.REJECTED, AssessorFiling.Status.REVOKED):
            raise ValidationError("只有未通过或已撤销的备案可以修改后重新提交。")
    carried = list(previous.proofs.all()) if previous is not None else []
    if not proofs and not carried:
        raise ValidationError({"proofs": ["请上传基本条件的证明材料（PDF、JPG 或 PNG）。"]})
    open_one = (
        AssessorFiling.objects.filter(assessor=assessor, authority=authority, status__in=AssessorFiling.OPEN)
        .order_by("-id")
        .first()
    )
    if open_one is not None:
        raise ValidationError(f"本机构已向{authority.name}备案（{open_one.get_status_display()}），无需重复提交。")
    filing = AssessorFiling(
        assessor=assessor,
        authority=authority,
        previous=previous,
        submitted_by=actor if getattr(actor, "pk", None) else None,
        **cleaned,
    )
    try:
        with transaction.atomic():
            filing.save()
    except IntegrityError as exc:  # a concurrent submission won
        raise ValidationError(f"本机构已向{authority.name}提交备案，无需重复提交。") from exc
    AssessorFilingProof.objects.bulk_create(
        [
            AssessorFilingProof(
                filing=filing,
                kind=p.kind,
                title=p.title,
                file=p.file.name,
                original_name=p.original_name,
                content_type=p.content_type,
                size=p.size,
                sha256=p.sha256,
                uploaded_by=p.uploaded_by,
            )
            for p in carried
        ]
    )
    stored = []
    try:
        for kind, upload in proofs:
            stored.append(_add_proof(actor=actor, filing=filing, kind=kind, upload=upload))
    except Exception:
        for proof in stored:
            default_storage.delete(proof.file.name)
        raise
    audit_record(
        actor=actor,
        verb="assessor_filing.submit",
        target=filing,
        organization=assessor,
        after=filing.status,
        reason=f"向{authority.name}备案" + (f"（修改后重新提交，原备案#{previous.pk}）" if previous else ""),
        request=request,
    )
    _notify_deciders(
        authority,
        title=f"{assessor.name}提交了第三方评价机构备案",
        body="请核对基本条件和证明材料后审核。",
        url=_filing_url(filing),
    )
    return filing


@transaction.atomic
def filing_proof_add(*, actor, filing: AssessorFiling, kind: str, upload, request=None) -> AssessorFilingProof:
    """Add a proof to a filing still waiting for the province's decision."""
    filing = AssessorFiling.objects.select_for_update(of=("self",)).select_related("assessor").get(pk=filing.pk)
    _require_assessor(actor, filing.assessor)
    if filing.status != AssessorFiling.Status.SUBMITTED:
        raise ValidationError(f"备案当前为“{filing.get_status_display()}”，不能再补充材料。")
    try:
        proof = _add_proof(actor=actor, filing=filing, kind=kind, upload=upload)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from exc
    audit_record(
        actor=actor,
        verb="assessor_filing.proof_add",
        target=filing,
        organization=filing.assessor,
        after=proof.get_kind_display()[:64],
        reason=proof.original_name,
        request=request,
    )
    return proof


def _locked_filing(filing: AssessorFiling) -> AssessorFiling:
    return (
        AssessorFiling.objects.select_for_update(of=("self",)).select_related("assessor", "authority").get(pk=filing.pk)
    )


@transaction.atomic
def filing_decide(*, actor, filing: AssessorFiling, approve: bool, reason: str = "", request=None) -> AssessorFiling:
    """The province approves (备案) or rejects a submitted filing; a rejection needs its reason."""
    filing = _locked_filing(filing)
    _require_decider(actor, filing.authority, "审核评价机构备案")
    if filing.status != AssessorFiling.Status.SUBMITTED:
        raise ValidationError(f"备案当前为“{filing.get_status_display()}”，不能再审核。")
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ValidationError({"reason": ["不予备案须填写理由，评价机构将据此修改后重新提交。"]})
    if approve:
        unmet = unmet_conditions(filing)
        if unmet:
            raise ValidationError(f"申报信息不满足基本条件，不能备案：{'；'.join(unmet)}。请填写理由后不予备案。")
    filing.status = AssessorFiling.Status.APPROVED if approve else AssessorFiling.Status.REJECTED
    filing.decided_by = actor if getattr(actor, "pk", None) else None
    filing.decided_at = timezone.now()
    filing.decision_reason = reason
    filing.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    audit_record(
        actor=actor,
        verb="assessor_filing.approve" if approve else "assessor_filing.reject",
        target=filing,
        organization=filing.authority,
        before=AssessorFiling.Status.SUBMITTED,
        after=filing.status,
        reason=reason,
        request=request,
    )
    verdict = "已予备案" if approve else "未通过备案"
    _notify_assessor(
        filing.assessor,
        title=f"{filing.authority.name}：{filing.assessor.name}{verdict}",
        body=reason or ("备案已通过，可在该省开展国家级绿色制造评价工作。" if approve else ""),
        url=_filing_url(filing),
    )
    if approve:
        assessor_facts_changed([filing.assessor_id])
    return filing


@transaction.atomic
def filing_revoke(*, actor, filing: AssessorFiling, reason: str, request=None) -> AssessorFiling:
    """The province revokes an approved filing, with its reason."""
    filing = _locked_filing(filing)
    _require_decider(actor, filing.authority, "撤销评价机构备案")
    if filing.status != AssessorFiling.Status.APPROVED:
        raise ValidationError(f"备案当前为“{filing.get_status_display()}”，只有已备案的可以撤销。")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["撤销备案须填写理由。"]})
    filing.status = AssessorFiling.Status.REVOKED
    filing.revoked_by = actor if getattr(actor, "pk", None) else None
    filing.revoked_at = timezone.now()
    filing.revoke_reason = reason
    filing.save(update_fields=["status", "revoked_by", "revoked_at", "revoke_reason"])
    audit_record(
        actor=actor,
        verb="assessor_filing.revoke",
        target=filing,
        organization=filing.authority,
        before=AssessorFiling.Status.APPROVED,
        after=filing.status,
        reason=reason,
        request=request,
    )
    _notify_assessor(
        filing.assessor,
        title=f"{filing.authority.name}撤销了{filing.assessor.name}的备案",
        body=reason,
        url=_filing_url(filing),
    )
    assessor_facts_changed([filing.assessor_id])
    return filing


# ------------------------------------------------------------------------------------------------ annual reports


@transaction.atomic
def annual_call_open(
    *, actor, authority: Organization, year: int, due_at, note: str = "", request=None
) -> AnnualReportCall:
    """A province asks its filed assessors for their work report on `year`, due at `due_at` (a day: its end)."""
    _require_province(authority, "发布年度工作情况填报通知")
    _require_decider(actor, authority, "发布年度工作情况填报通知")
    errors: dict[str, list[str]] = {}
    now = timezone.now()
    try:
        year = int(year)
    except (TypeError, ValueError):
        year = None
    if year is None or not 2000 <= year <= timezone.localdate().year:
        errors["year"] = [f"报告年度应在2000年至{timezone.localdate().year}年之间。"]
    if isinstance(due_at, date) and not isinstance(due_at, datetime):
        due_at = end_of_day(due_at)
    if due_at is None:
        errors["due_at"] = ["请填写填报截止日期。"]
    elif due_at <= now:
        errors["due_at"] = ["填报截止时间不能早于现在。"]
    if year is not None and AnnualReportCall.objects.filter(authority=authority, year=year).exists():
        errors["year"] = [f"已发布{year}年度工作情况填报通知，无需重复发布。"]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            call = AnnualReportCall.objects.create(
                authority=authority,
                year=year,
                due_at=due_at,
                note=(note or "").strip(),
                created_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError as exc:
        raise ValidationError({"year": [f"已发布{year}年度工作情况填报通知，无需重复发布。"]}) from exc
    audit_record(
        actor=actor,
        verb="annual_report_call.open",
        target=call,
        organization=authority,
        after=f"{year}:{timezone.localtime(due_at, SHANGHAI):%Y-%m-%d %H:%M}",
        reason=call.note[:200],
        request=request,
    )
    filed = Organization.objects.filter(
        filings__authority=authority, filings__status=AssessorFiling.Status.APPROVED
    ).distinct()
    for assessor in filed:
        _notify_assessor(
            assessor,
            title=f"{authority.name}：请填报{year}年度评价机构工作情况",
            body=f"截止时间：{timezone.localtime(due_at, SHANGHAI):%Y年%m月%d日 %H:%M}（北京时间）。",
            url=f"/assessors/calls/{call.pk}/report/",
        )
    return call


def may_report(assessor: Organization, call: AnnualReportCall) -> bool:
    """Assessors filed (now or earlier) with the call's province report to it."""
    return AssessorFiling.objects.filter(
        assessor=assessor,
        authority_id=call.authority_id,
        status__in=[AssessorFiling.Status.APPROVED, AssessorFiling.Status.REVOKED],
    ).exists()


def clean_report_data(data: dict) -> dict:
    errors: dict[str, list[str]] = {}
    projects = _int(data.get("projects_evaluated"), "本年度开展评价项目数", errors, "projects_evaluated")
    out = {"projects_evaluated": projects or 0}
    for name, label in (("passed_city", "市级"), ("passed_province", "省级"), ("passed_national", "国家级")):
        n = _int(data.get(name), f"列入{label}名单的项目数", errors, name, required=False)
        if n is not None and projects is not None and n > projects:
            errors[name] = [f"列入{label}名单的项目数不能多于开展评价项目数。"]
        out[name] = n
    out["summary"] = _text(data, "summary")
    if not out["summary"]:
        errors["summary"] = ["请填写工作情况总结。"]
    checked = data.get("self_check") or {}
    out["self_check"] = {code: bool(checked.get(code)) for code, _ in TEN_PROHIBITIONS}
    out["self_check_note"] = _text(data, "self_check_note")
    if not all(out["self_check"].values()) and not out["self_check_note"]:
        errors["self_check_note"] = ["有未确认的“十个严禁”事项，请在自查说明中说明情况。"]
    if errors:
        raise ValidationError(errors)
    return out


@transaction.atomic
def annual_report_submit(
    *, actor, assessor: Organization, call: AnnualReportCall, data: dict, upload, request=None
) -> AssessorAnnualReport:
    """File the yearly work report (PDF) against the call. Refused after the deadline (Asia/Shanghai); a report the
    province returned may be filed again after it, and is then marked late."""
    _require_assessor(actor, assessor)
    call = AnnualReportCall.objects.select_related("authority").get(pk=call.pk)
    if not may_report(assessor, call):
        raise PermissionDenied(f"只有在{call.authority.name}备案的评价机构可以向其填报年度工作情况。")
    now = timezone.now()
    existing = AssessorAnnualReport.objects.select_for_update(of=("self",)).filter(assessor=assessor, call=call).first()
    if existing is not None and existing.status != AssessorAnnualReport.Status.RETURNED:
        raise ValidationError(f"本机构已填报{call.year}年度工作情况（{existing.get_status_display()}），无需重复填报。")
    if existing is None and now > call.due_at:
        raise ValidationError(
            f"{call.year}年度工作情况的填报截止时间为"
            f"{timezone.localtime(call.due_at, SHANGHAI):%Y年%m月%d日 %H:%M}（北京时间），已经截止，不能再填报。"
            f"请联系{call.authority.name}。"
        )
    cleaned = clean_report_data(data)
    try:
        _, name, sha = _store(upload, folder="assessors/reports", accepted=REPORT_TYPES, max_bytes=REPORT_MAX_BYTES)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from exc
    report = existing or AssessorAnnualReport(assessor=assessor, call=call)
    for field, value in cleaned.items():
        setattr(report, field, value)
    report.file.name = name
    report.original_name = upload.name[:255]
    report.size = upload.size
    report.sha256 = sha
    report.submitted_by = actor if getattr(actor, "pk", None) else None
    report.submitted_at = now
    report.late = now > call.due_at
    report.status = AssessorAnnualReport.Status.SUBMITTED
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError as exc:
        default_storage.delete(name)
        raise ValidationError(f"本机构已填报{call.year}年度工作情况，无需重复填报。") from exc
    except Exception:
        default_storage.delete(name)
        raise
    audit_record(
        actor=actor,
        verb="annual_report.resubmit" if existing else "annual_report.submit",
        target=report,
        organization=assessor,
        after=f"{call.year}:{'late' if report.late else 'on_time'}",
        request=request,
    )
    _notify_deciders(
        call.authority,
        title=f"{assessor.name}{'重新' if existing else ''}填报了{call.year}年度工作情况",
        body="逾期填报。" if report.late else "",
        url=f"/assessors/reports/{report.pk}/",
    )
    assessor_facts_changed([assessor.pk])
    return report


@transaction.atomic
def annual_report_review(
    *, actor, report: AssessorAnnualReport, accept: bool, opinion: str = "", request=None
) -> AssessorAnnualReport:
    """The province reads the report: accepts it, or returns it for correction with its opinion."""
    report = (
        AssessorAnnualReport.objects.select_for_update(of=("self",))
        .select_related("assessor", "call", "call__authority")
        .get(pk=report.pk)
    )
    _require_decider(actor, report.call.authority, "审阅评价机构年度工作情况")
    if report.status != AssessorAnnualReport.Status.SUBMITTED:
        raise ValidationError(f"年度工作情况当前为“{report.get_status_display()}”，不能再审阅。")
    opinion = (opinion or "").strip()
    if not accept and not opinion:
        raise ValidationError({"opinion": ["退回修改须填写审阅意见。"]})
    report.status = AssessorAnnualReport.Status.ACCEPTED if accept else AssessorAnnualReport.Status.RETURNED
    report.review_opinion = opinion
    report.reviewed_by = actor if getattr(actor, "pk", None) else None
    report.reviewed_at = timezone.now()
    report.save(update_fields=["status", "review_opinion", "reviewed_by", "reviewed_at"])
    audit_record(
        actor=actor,
        verb="annual_report.accept" if accept else "annual_report.return",
        target=report,
        organization=report.call.authority,
        before=AssessorAnnualReport.Status.SUBMITTED,
        after=report.status,
        reason=opinion,
        request=request,
    )
    _notify_assessor(
        report.assessor,
        title=f"{report.call.authority.name}{'已审阅' if accept else '退回了'}{report.call.year}年度工作情况",
        body=opinion,
        url=f"/assessors/reports/{report.pk}/",
    )
    if not accept:
        assessor_facts_changed([report.assessor_id])
    return report


# ------------------------------------------------------------------------------------------------ blacklist


@transaction.atomic
def blacklist_add(
    *,
    actor,
    authority: Organization,
    assessor: Organization,
    starts_on: date,
    ends_on: date | None = None,
    reason: str,
    notice_ref: str,
    request=None,
) -> AssessorBlacklist:
    """Blacklist an assessor for fraud: its reports are not accepted until `ends_on` (default three years)."""
    if authority.kind != Organization.Kind.AUTHORITY or authority.level not in (
        Organization.Level.PROVINCE,
        Organization.Level.MINISTRY,
    ):
        raise ValidationError("只有省级或部级工业和信息化主管部门可以将评价机构列入黑名单。")
    _require_decider(actor, authority, "将评价机构列入黑名单")
    if assessor.kind != Organization.Kind.ASSESSOR:
        raise ValidationError("只能将第三方评价机构列入黑名单。")
    if actor is not None and not registry_assessors_visible_to(actor).filter(pk=assessor.pk).exists():
        raise PermissionDenied("该评价机构不在本单位的评价机构名录中。")
    errors: dict[str, list[str]] = {}
    reason, notice_ref = (reason or "").strip(), (notice_ref or "").strip()
    if starts_on is None:
        errors["starts_on"] = ["请填写列入日期。"]
    else:
        ends_on = ends_on or years_after(starts_on, BLACKLIST_YEARS)
        if ends_on <= starts_on:
            errors["ends_on"] = ["期满日期应晚于列入日期。"]
    if not reason:
        errors["reason"] = ["请填写列入黑名单的理由（查实的弄虚作假或故意隐瞒问题）。"]
    if not notice_ref:
        errors["notice_ref"] = ["请填写通报或公告的文号。"]
    if errors:
        raise ValidationError(errors)
    entry = AssessorBlacklist.objects.create(
        assessor=assessor,
        authority=authority,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason,
        notice_ref=notice_ref[:128],
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        actor=actor,
        verb="assessor_blacklist.add",
        target=entry,
        organization=authority,
        after=f"{starts_on.isoformat()}~{ends_on.isoformat()}",
        reason=f"{notice_ref}：{reason}",
        request=request,
    )
    _notify_assessor(
        assessor,
        title=f"{authority.name}将{assessor.name}列入第三方评价机构黑名单",
        body=f"{notice_ref}。{starts_on:%Y年%m月%d日}至{ends_on:%Y年%m月%d日}（不含）期间不予采信其评价结果。理由：{reason}",
        url="/assessors/",
    )
    assessor_facts_changed([assessor.pk])
    return entry


@transaction.atomic
def blacklist_lift(
    *, actor, entry: AssessorBlacklist, reason: str, lifted_on: date | None = None, request=None
) -> AssessorBlacklist:
    """The deciding authority lifts an entry before its end; from `lifted_on` (default today) it no longer applies."""
    entry = (
        AssessorBlacklist.objects.select_for_update(of=("self",))
        .select_related("assessor", "authority")
        .get(pk=entry.pk)
    )
    _require_decider(actor, entry.authority, "将评价机构移出黑名单")
    today = timezone.localdate()
    lifted_on = lifted_on or today
    reason = (reason or "").strip()
    if entry.lifted_on is not None:
        raise ValidationError(f"该记录已于{entry.lifted_on:%Y年%m月%d日}移出黑名单。")
    if entry.ends_on <= today:
        raise ValidationError(f"该记录已于{entry.ends_on:%Y年%m月%d日}期满，无需移出。")
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = ["请填写移出黑名单的理由。"]
    if lifted_on > today:
        errors["lifted_on"] = ["移出日期不能晚于今天。"]
    elif lifted_on < entry.starts_on:
        errors["lifted_on"] = [f"移出日期不能早于列入日期（{entry.starts_on:%Y年%m月%d日}）。"]
    if errors:
        raise ValidationError(errors)
    entry.lifted_on = lifted_on
    entry.lift_reason = reason
    entry.lifted_by = actor if getattr(actor, "pk", None) else None
    entry.save(update_fields=["lifted_on", "lift_reason", "lifted_by"])
    audit_record(
        actor=actor,
        verb="assessor_blacklist.lift",
        target=entry,
        organization=entry.authority,
        after=lifted_on.isoformat(),
        reason=reason,
        request=request,
    )
    _notify_assessor(
        entry.assessor,
        title=f"{entry.authority.name}将{entry.assessor.name}移出黑名单",
        body=f"自{lifted_on:%Y年%m月%d日}起移出。理由：{reason}",
        url="/assessors/",
    )
    assessor_facts_changed([entry.assessor_id])
    return entry
