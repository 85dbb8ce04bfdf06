"""The yearly work report against a call's deadline (001 §三; 003 §（二）: by 4/30, "十个严禁")."""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from activity.services import audit_record
from greenmfg.uploads import safe_name

from ..models import AnnualReportCall, AssessorAnnualReport, AssessorFiling, Organization
from ..registry_models import TEN_PROHIBITIONS
from .common import (
    REPORT_MAX_BYTES,
    REPORT_TYPES,
    SHANGHAI,
    _int,
    _notify_assessor,
    _notify_deciders,
    _require_assessor,
    _require_decider,
    _require_province,
    _store,
    _text,
    assessor_facts_changed,
    end_of_day,
)

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
    report.original_name = safe_name(upload.name)
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
