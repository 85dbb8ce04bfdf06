"""Writes of dynamic management (动态管理): rounds of yearly tables and the units' reports.

An authority (city, province or the ministry; approver or admin) opens a round for a data year with a due date; the
units that must file are the entries in effect in its jurisdiction (selectors_dynamic.round_scope). A unit fills
its table per entry, saves drafts and submits by the due date (Asia/Shanghai, to the second); the authority may
extend the round, and a report submitted in the extension is marked late. On submission the values are compared
with the entry's previous report of an earlier year (flags); the round's authority accepts or returns the report,
and accepting a declared change of name renames the entry (listings.services.listing_rename).
Sources: 002 §二 (动态管理表 each year, key indicators checked), 003 §三 (tables by 4/15).
# 002_3e46b5da0b2a2c6e.txt  # 003_32b3e8f77524ff49.txt

Re-checks and removals are in services_dynamic_checks.py.
"""

from collections import defaultdict
from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from activity.services import audit_record, notification_send
from applications.services import is_member
from notices.selectors import to_second
from notices.services import format_moment
from organizations.models import Membership, Organization
from organizations.selectors import authority_ancestor_ids, authority_subtree_ids

from .indicators import clean_report, compare, flag_text
from .models import DynamicReport, DynamicRound, Listing
from .selectors_dynamic import ROUND_LEVELS, listing_in_round, previous_report, round_scope, with_round_report
from .services import listing_rename, may_decide

FIRST_YEAR = 2016  # the first national green manufacturing list was published in 2016
EDITABLE = (DynamicReport.Status.DRAFT, DynamicReport.Status.RETURNED)


def _home_url() -> str:
    return reverse("dynamic-home")


def _report_url(report: DynamicReport) -> str:
    return reverse("dynamic-report-detail", args=[report.pk])


def notify_organizations(org_ids, *, title: str, body: str, url: str) -> None:
    """One notification (and e-mail) per member of each unit, grouped by unit (two queries in all)."""
    by_org: dict[int, list] = defaultdict(list)
    orgs = {}
    for m in (
        Membership.objects.filter(organization_id__in=set(org_ids), is_active=True, organization__is_active=True)
        .select_related("user", "organization")
        .order_by("organization_id", "id")
    ):
        by_org[m.organization_id].append(m.user)
        orgs[m.organization_id] = m.organization
    for org_id, users in by_org.items():
        notification_send(recipients=users, organization=orgs[org_id], email=True, title=title, body=body, url=url)


def _deadline_text(round_: DynamicRound) -> str:
    if round_.extended_until:
        return f"{format_moment(round_.extended_until)}（已延期，原截止时间{format_moment(round_.due_at)}）"
    return format_moment(round_.due_at)


# ---------------------------------------------------------------------------------------------------------- rounds


@transaction.atomic
def dynamic_round_open(
    *,
    actor,
    authority: Organization,
    year: int,
    due_at: datetime,
    title: str = "",
    note: str = "",
    request=None,
) -> DynamicRound:
    """Open the yearly round of 动态管理表 for the entries of the authority's jurisdiction; the units are told."""
    if authority.kind != Organization.Kind.AUTHORITY or authority.level not in ROUND_LEVELS:
        raise ValidationError("只有市级、省级工业和信息化主管部门和工业和信息化部可以组织动态管理表填报。")
    if not may_decide(actor, authority):
        raise PermissionDenied(f"只有{authority.name}的审核人或管理员可以组织动态管理表填报。")
    errors: dict[str, list[str]] = {}
    this_year = timezone.localdate().year
    if not isinstance(year, int) or not FIRST_YEAR <= year <= this_year:
        errors["year"] = [f"数据年度应在{FIRST_YEAR}年到{this_year}年之间。"]
    if due_at is None:
        errors["due_at"] = ["请填写填报截止时间。"]
    elif to_second(due_at) <= timezone.now():
        errors["due_at"] = ["填报截止时间应晚于现在。"]
    title = " ".join((title or "").split())[:200]
    if "year" not in errors:
        related = authority_subtree_ids([authority.pk]) | set(authority_ancestor_ids(authority.pk))
        existing = (
            DynamicRound.objects.filter(year=year, authority_id__in=related)
            .select_related("authority")
            .order_by("id")
            .first()
        )
        if existing is not None and existing.authority_id == authority.pk:
            errors["year"] = [f"本单位已组织{year}年度动态管理表填报（{existing.title}）。"]
        elif existing is not None:
            errors["year"] = [
                f"{existing.authority.name}已组织{year}年度动态管理表填报，范围与本单位辖区重叠；"
                "同一数据年度每家名单单位只填报一次。"
            ]
    if errors:
        raise ValidationError(errors)
    round_ = DynamicRound(
        authority=authority,
        year=year,
        title=title or f"{year}年度绿色制造名单动态管理表填报（{authority.name}）",
        due_at=to_second(due_at),
        note=(note or "").strip(),
        created_by=actor,
    )
    try:
        with transaction.atomic():
            round_.save()
    except IntegrityError as exc:
        raise ValidationError({"year": [f"本单位已组织{year}年度动态管理表填报。"]}) from exc
    audit_record(
        actor=actor,
        verb="dynamic.round_open",
        target=round_,
        organization=authority,
        after=f"{year}:{timezone.localtime(round_.due_at):%Y-%m-%d %H:%M:%S}",
        request=request,
    )
    units = set(round_scope(round_).values_list("organization_id", flat=True))
    notify_organizations(
        units,
        title=f"请填报{year}年度绿色制造名单动态管理表",
        body=(
            f"{authority.name}组织{year}年度绿色制造名单动态管理表填报，请于{format_moment(round_.due_at)}前"
            f"逐项填报本单位入选名单的关键指标及名称、地址、经营范围等变更情况。逾期未填报的将予以标记。"
            + (f"\n填报要求：{round_.note}" if round_.note else "")
        ),
        url=_home_url(),
    )
    return round_


def _locked_round(round_: DynamicRound) -> DynamicRound:
    locked = DynamicRound.objects.select_for_update(of=("self",)).get(pk=round_.pk)
    locked.authority = Organization.objects.get(pk=locked.authority_id)
    return locked


@transaction.atomic
def dynamic_round_extend(*, actor, round: DynamicRound, until: datetime, reason: str, request=None) -> DynamicRound:
    """Extend a round's due date (延期): units that have not submitted may still submit until then, marked late."""
    round_ = _locked_round(round)
    if not may_decide(actor, round_.authority):
        raise PermissionDenied(f"只有{round_.authority.name}的审核人或管理员可以延期。")
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = ["请填写延期理由。"]
    current = round_.effective_due_at
    if until is None:
        errors["until"] = ["请填写延期后的截止时间。"]
    else:
        until = to_second(until)
        if until <= current:
            errors["until"] = [f"延期后的截止时间应晚于当前截止时间{format_moment(current)}。"]
        elif until <= timezone.now():
            errors["until"] = ["延期后的截止时间应晚于现在。"]
    if errors:
        raise ValidationError(errors)
    round_.extended_until = until
    round_.extension_reason = reason
    round_.save(update_fields=["extended_until", "extension_reason"])
    audit_record(
        actor=actor,
        verb="dynamic.round_extend",
        target=round_,
        organization=round_.authority,
        before=f"{timezone.localtime(current):%Y-%m-%d %H:%M:%S}",
        after=f"{timezone.localtime(until):%Y-%m-%d %H:%M:%S}",
        reason=reason,
        request=request,
    )
    pending = (
        with_round_report(round_scope(round_), round_)
        .exclude(rep__status__in=[DynamicReport.Status.SUBMITTED, DynamicReport.Status.ACCEPTED])
        .values_list("organization_id", flat=True)
    )
    notify_organizations(
        set(pending),
        title=f"{round_.year}年度动态管理表填报已延期",
        body=(
            f"{round_.authority.name}将《{round_.title}》的填报截止时间延至{format_moment(until)}。"
            f"原截止时间{format_moment(round_.due_at)}之后提交的，标记为逾期提交。理由：{reason}"
        ),
        url=_home_url(),
    )
    return round_


# --------------------------------------------------------------------------------------------------------- reports


def _require_unit(actor, listing: Listing) -> None:
    if not is_member(actor, listing.organization):
        raise PermissionDenied("只有名单单位本单位的人员可以填报动态管理表。")


def _locked_report(report: DynamicReport) -> DynamicReport:
    """The report row locked alone (PostgreSQL cannot lock the nullable joins), then its round and entry read."""
    locked = DynamicReport.objects.select_for_update(of=("self",)).get(pk=report.pk)
    locked.round = DynamicRound.objects.select_related("authority").get(pk=locked.round_id)
    locked.listing = Listing.objects.select_related("organization", "authority").get(pk=locked.listing_id)
    return locked


def _require_editable(report: DynamicReport) -> None:
    if report.status not in EDITABLE:
        raise ValidationError(f"动态管理表当前为“{report.get_status_display()}”，不能修改。")


@transaction.atomic
def dynamic_report_start(*, actor, round: DynamicRound, listing: Listing, request=None) -> DynamicReport:
    """The entry's report of the round, created as a draft on first use (calling again returns the same one)."""
    listing = Listing.objects.select_related("organization").get(pk=listing.pk)
    _require_unit(actor, listing)
    existing = DynamicReport.objects.filter(round=round, listing=listing).first()
    if existing is not None:
        return existing
    if not listing_in_round(listing, round):
        raise ValidationError(f"{listing.display_name}的该项名单不在《{round.title}》的填报范围内。")
    try:
        with transaction.atomic():
            report = DynamicReport.objects.create(round=round, listing=listing)
    except IntegrityError:
        return DynamicReport.objects.get(round=round, listing=listing)
    audit_record(
        actor=actor,
        verb="dynamic.report_start",
        target=report,
        organization=listing.organization,
        after=report.status,
        request=request,
    )
    return report


def _merged(current: dict, given: dict | None) -> dict:
    return {**(current or {}), **(given or {})} if given is not None else dict(current or {})


@transaction.atomic
def dynamic_report_save(
    *, actor, report: DynamicReport, indicators=None, changes=None, note=None, request=None
) -> DynamicReport:
    """Save a draft (or a returned report being corrected): values are checked (numbers ≥ 0, percentages 0–100,
    dates), completeness only on submission. Indicators and changes not given keep their saved values."""
    report = _locked_report(report)
    _require_unit(actor, report.listing)
    _require_editable(report)
    cleaned_indicators, cleaned_changes = clean_report(
        report.listing.category,
        _merged(report.indicators, indicators),
        _merged(report.changes, changes),
        complete=False,
        today=timezone.localdate(),
    )
    report.indicators = cleaned_indicators
    report.changes = cleaned_changes
    if note is not None:
        report.note = (note or "").strip()[:2000]
    report.save(update_fields=["indicators", "changes", "note", "updated_at"])
    audit_record(
        actor=actor,
        verb="dynamic.report_save",
        target=report,
        organization=report.listing.organization,
        after=report.status,
        request=request,
    )
    return report


class SubmissionLate(ValidationError):
    """A first submission after the round's (extended) due date: refused, with the deadline named."""


def deadline_refusal(round_: DynamicRound) -> str:
    extended = "（含延期）" if round_.extended_until else ""
    return (
        f"已超过填报截止时间{format_moment(round_.effective_due_at)}{extended}"
        f"（{round_.authority.name}《{round_.title}》），不能提交。确有困难的，请联系{round_.authority.name}办理延期。"
    )


@transaction.atomic
def dynamic_report_submit(*, actor, report: DynamicReport, at: datetime | None = None, request=None) -> DynamicReport:
    """Submit the table: refused after the due date unless the round was extended (then marked late); a returned
    report may be corrected and resubmitted whenever (it was filed in time once). Flags are computed against the
    entry's previous report of an earlier year."""
    report = _locked_report(report)
    _require_unit(actor, report.listing)
    _require_editable(report)
    round_ = report.round
    now = to_second(at or timezone.now())
    resubmission = report.status == DynamicReport.Status.RETURNED
    if not resubmission and now > round_.effective_due_at:
        raise SubmissionLate(deadline_refusal(round_), code="deadline_passed")
    cleaned_indicators, cleaned_changes = clean_report(
        report.listing.category, report.indicators, report.changes, complete=True, today=timezone.localdate()
    )
    previous = previous_report(report)
    flags = (
        compare(report.listing.category, previous.indicators, cleaned_indicators, previous_year=previous.round.year)
        if previous is not None
        else []
    )
    report.indicators, report.changes, report.flags = cleaned_indicators, cleaned_changes, flags
    report.status = DynamicReport.Status.SUBMITTED
    report.submitted_at, report.submitted_by = now, actor
    if not resubmission:
        report.late = now > round_.due_at
    report.save(
        update_fields=["indicators", "changes", "flags", "status", "submitted_at", "submitted_by", "late", "updated_at"]
    )
    audit_record(
        actor=actor,
        verb="dynamic.report_resubmit" if resubmission else "dynamic.report_submit",
        target=report,
        organization=report.listing.organization,
        before=DynamicReport.Status.RETURNED if resubmission else DynamicReport.Status.DRAFT,
        after=report.status + (":late" if report.late else ""),
        reason="；".join(flag_text(f) for f in flags),
        request=request,
    )
    return report


def _require_reviewer(actor, report: DynamicReport) -> None:
    if not may_decide(actor, report.round.authority):
        raise PermissionDenied(f"只有{report.round.authority.name}的审核人或管理员可以审核动态管理表。")
    if report.status != DynamicReport.Status.SUBMITTED:
        raise ValidationError(f"动态管理表当前为“{report.get_status_display()}”，不能审核。")


def declared_name(report: DynamicReport) -> tuple[str, date | None]:
    item = (report.changes or {}).get("name") or {}
    if not item.get("changed") or not item.get("value"):
        return "", None
    try:
        when = date.fromisoformat(item.get("date") or "")
    except ValueError:
        when = None
    return item["value"], when


@transaction.atomic
def dynamic_report_accept(*, actor, report: DynamicReport, opinion: str = "", request=None) -> DynamicReport:
    report = _locked_report(report)
    _require_reviewer(actor, report)
    report.status = DynamicReport.Status.ACCEPTED
    report.reviewed_at, report.reviewed_by = timezone.now(), actor
    report.review_opinion = (opinion or "").strip() or "审核通过。"
    report.save(update_fields=["status", "reviewed_at", "reviewed_by", "review_opinion", "updated_at"])
    audit_record(
        actor=actor,
        verb="dynamic.report_accept",
        target=report,
        organization=report.round.authority,
        before=DynamicReport.Status.SUBMITTED,
        after=report.status,
        reason=report.review_opinion,
        request=request,
    )
    new_name, changed_on = declared_name(report)
    if new_name and new_name != report.listing.display_name:
        listing_rename(
            actor=actor,
            listing=report.listing,
            new_name=new_name,
            changed_on=changed_on or timezone.localdate(),
            reason=f"{report.round.year}年度动态管理表申报名称变更，{report.round.authority.name}审核通过",
            report=report,
            authority=report.round.authority,
            request=request,
        )
    notify_organizations(
        [report.listing.organization_id],
        title=f"{report.round.year}年度动态管理表已审核通过",
        body=f"{report.round.authority.name}审核通过了{report.listing}的动态管理表。{report.review_opinion}",
        url=_report_url(report),
    )
    return report


@transaction.atomic
def dynamic_report_return(*, actor, report: DynamicReport, opinion: str, request=None) -> DynamicReport:
    report = _locked_report(report)
    _require_reviewer(actor, report)
    opinion = (opinion or "").strip()
    if not opinion:
        raise ValidationError({"opinion": ["退回的，请填写审核意见，说明需要修改的内容。"]})
    report.status = DynamicReport.Status.RETURNED
    report.reviewed_at, report.reviewed_by = timezone.now(), actor
    report.review_opinion = opinion
    report.save(update_fields=["status", "reviewed_at", "reviewed_by", "review_opinion", "updated_at"])
    audit_record(
        actor=actor,
        verb="dynamic.report_return",
        target=report,
        organization=report.round.authority,
        before=DynamicReport.Status.SUBMITTED,
        after=report.status,
        reason=opinion,
        request=request,
    )
    notify_organizations(
        [report.listing.organization_id],
        title=f"{report.round.year}年度动态管理表被退回修改",
        body=f"{report.round.authority.name}退回了{report.listing}的动态管理表，请修改后重新提交。审核意见：{opinion}",
        url=_report_url(report),
    )
    return report
