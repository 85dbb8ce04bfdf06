"""公示: the deciding authority publishes its list for a period, anyone may object, the authority handles each
objection, and after the period the final decision lists (or does not list) every unit.

Dates are Asia/Shanghai calendar days. Every function takes `today` (a date) for tests and back-office
corrections; by default it is today's date in Asia/Shanghai.
"""

import re
from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from activity.services import audit_record, email_queue, notification_send
from applications.models import Application, State
from applications.services import members
from listings.services import listing_create, may_decide, root_notice
from notices.models import Notice
from notices.selectors import notice_family
from organizations.models import Organization

from ..models import Objection, Publicity, PublicityEntry
from .transitions import transition_perform

CUSTOMARY_WORKING_DAYS = 5
OBJECTION_LIMIT = 5  # accepted objections per IP address
OBJECTION_WINDOW = 3600  # seconds
PHONE_SEPARATORS = re.compile(r"[\s\-()（）]")


class ObjectionRateLimited(ValidationError):
    """Too many objections from one address: the API answers 429."""


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def _at(today: date | None) -> datetime | None:
    """The moment the workflow guards judge by: noon of `today` in Asia/Shanghai."""
    if today is None:
        return None
    return timezone.make_aware(datetime.combine(today, time(12)), timezone.get_default_timezone())


def _require_decider(actor, authority: Organization) -> None:
    if not may_decide(actor, authority):
        raise PermissionDenied(f"您无权以{authority.name}名义办理公示。")


def working_days(starts_on: date, ends_on: date) -> int:
    """Monday to Friday from start to end, both included (public holidays are not known here)."""
    days = (ends_on - starts_on).days + 1
    return sum(1 for i in range(max(days, 0)) if (starts_on + timedelta(days=i)).weekday() < 5)


def publicity_warnings(publicity: Publicity) -> list[str]:
    """What is unusual but allowed."""
    warnings = []
    count = working_days(publicity.starts_on, publicity.ends_on)
    if count < CUSTOMARY_WORKING_DAYS:
        warnings.append(f"公示期仅含{count}个工作日，按惯例公示期不少于{CUSTOMARY_WORKING_DAYS}个工作日。")
    return warnings


def _check_period(starts_on: date, ends_on: date) -> None:
    if not starts_on or not ends_on:
        raise ValidationError({"starts_on": ["请填写公示开始日期和结束日期。"]})
    if ends_on < starts_on:
        raise ValidationError({"ends_on": ["公示结束日期不能早于开始日期。"]})


def _check_notice(authority: Organization, notice: Notice) -> None:
    if notice.issuer_id != authority.pk or notice.forwards_id is not None:
        raise ValidationError({"notice": ["公示须依据本单位发布的年度通知（名单由通知的发文机关决定）。"]})


def _checked_applications(authority: Organization, notice: Notice, applications, exclude_publicity=None) -> list:
    """The applications, each held by the authority, recommended, in the notice's round and in no other
    open 公示; in the order given, without repeats."""
    ids = list(dict.fromkeys(a.pk if isinstance(a, Application) else int(a) for a in applications))
    if not ids:
        raise ValidationError({"applications": ["请至少选择一项申报列入公示。"]})
    found = {a.pk: a for a in Application.objects.filter(pk__in=ids).select_related("applicant", "notice")}
    family = {n.pk for n in notice_family(notice)}
    busy = dict(
        PublicityEntry.objects.filter(
            application_id__in=ids, publicity__state__in=[Publicity.State.DRAFT, Publicity.State.PUBLISHED]
        )
        .exclude(publicity=exclude_publicity)
        .values_list("application_id", "publicity__title")
    )
    problems = []
    for pk in ids:
        application = found.get(pk)
        if application is None:
            problems.append(f"申报{pk}不存在。")
            continue
        name = application.applicant.name
        if application.holder_id != authority.pk:
            problems.append(f"《{name}》的申报不在本单位办理。")
        elif application.state != State.RECOMMENDED:
            problems.append(f"《{name}》的申报当前为“{application.get_state_display()}”，只有已推荐的申报可以公示。")
        elif application.notice_id not in family:
            problems.append(f"《{name}》的申报不属于《{notice.title}》，名单不由本单位依据该通知决定。")
        elif pk in busy:
            problems.append(f"《{name}》的申报已列入公示《{busy[pk]}》。")
    if problems:
        raise ValidationError({"applications": problems})
    return [found[pk] for pk in ids]


def _set_entries(publicity: Publicity, applications: list) -> None:
    publicity.entries.all().delete()
    PublicityEntry.objects.bulk_create(
        [
            PublicityEntry(publicity=publicity, application=a, position=position)
            for position, a in enumerate(applications, start=1)
        ]
    )


def _clean_text(title: str, body: str, contact: str) -> tuple[str, str, str]:
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": ["请填写公示标题。"]})
    return title, (body or "").strip(), (contact or "").strip()


@transaction.atomic
def publicity_create(
    *,
    actor,
    authority: Organization,
    notice: Notice,
    title: str,
    starts_on: date,
    ends_on: date,
    applications,
    body: str = "",
    contact: str = "",
    request=None,
) -> Publicity:
    """A draft 公示 of recommended applications the authority holds and decides the list for.
    A period shorter than five working days is allowed (see publicity_warnings)."""
    _require_decider(actor, authority)
    title, body, contact = _clean_text(title, body, contact)
    _check_period(starts_on, ends_on)
    _check_notice(authority, notice)
    chosen = _checked_applications(authority, notice, applications)
    publicity = Publicity.objects.create(
        authority=authority,
        notice=notice,
        title=title,
        body=body,
        starts_on=starts_on,
        ends_on=ends_on,
        contact=contact,
        created_by=actor,
    )
    _set_entries(publicity, chosen)
    audit_record(
        actor=actor,
        verb="publicity.create",
        target=publicity,
        organization=authority,
        after=f"{starts_on:%Y-%m-%d}~{ends_on:%Y-%m-%d}:{len(chosen)}",
        request=request,
    )
    return publicity


def _locked(publicity: Publicity) -> Publicity:
    return Publicity.objects.select_for_update(of=("self",)).select_related("authority", "notice").get(pk=publicity.pk)


@transaction.atomic
def publicity_update(
    *,
    actor,
    publicity: Publicity,
    title: str | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
    body: str | None = None,
    contact: str | None = None,
    applications=None,
    request=None,
) -> Publicity:
    """Change a draft; arguments left as None keep their value. `applications` replaces the entries."""
    current = _locked(publicity)
    _require_decider(actor, current.authority)
    if current.state != Publicity.State.DRAFT:
        raise ValidationError(f"公示当前为“{current.get_state_display()}”，只有草稿可以修改。")
    before = f"{current.starts_on:%Y-%m-%d}~{current.ends_on:%Y-%m-%d}"
    current.title, current.body, current.contact = _clean_text(
        current.title if title is None else title,
        current.body if body is None else body,
        current.contact if contact is None else contact,
    )
    current.starts_on = starts_on or current.starts_on
    current.ends_on = ends_on or current.ends_on
    _check_period(current.starts_on, current.ends_on)
    current.save(update_fields=["title", "body", "contact", "starts_on", "ends_on"])
    if applications is not None:
        _set_entries(
            current, _checked_applications(current.authority, current.notice, applications, exclude_publicity=current)
        )
    audit_record(
        actor=actor,
        verb="publicity.update",
        target=current,
        organization=current.authority,
        before=before,
        after=f"{current.starts_on:%Y-%m-%d}~{current.ends_on:%Y-%m-%d}",
        request=request,
    )
    return current


@transaction.atomic
def publicity_publish(*, actor, publicity: Publicity, request=None, today: date | None = None) -> Publicity:
    """Draft → published: the public page shows it and takes objections during the period."""
    current = _locked(publicity)
    _require_decider(actor, current.authority)
    if current.state != Publicity.State.DRAFT:
        raise ValidationError(f"公示当前为“{current.get_state_display()}”，不能再次发布。")
    if current.ends_on < _today(today):
        raise ValidationError(f"公示期已于{current.ends_on:%Y年%m月%d日}结束，请修改公示期后再发布。")
    entries = list(current.entries.select_related("application__applicant"))
    if not entries:
        raise ValidationError("公示名单为空，不能发布。")
    # The applications may have moved since the draft was made.
    _checked_applications(current.authority, current.notice, [e.application for e in entries], current)
    current.state = Publicity.State.PUBLISHED
    current.published_at = timezone.now()
    current.published_by = actor
    current.save(update_fields=["state", "published_at", "published_by"])
    audit_record(
        actor=actor,
        verb="publicity.publish",
        target=current,
        organization=current.authority,
        before=Publicity.State.DRAFT,
        after=Publicity.State.PUBLISHED,
        request=request,
    )
    period = f"{current.starts_on:%Y年%m月%d日}至{current.ends_on:%Y年%m月%d日}"
    for entry in entries:
        applicant = entry.application.applicant
        notification_send(
            recipients=members(applicant),
            organization=applicant,
            email=True,
            title=f"已列入公示：{current.title}",
            body=f"{current.authority.name}公示期为{period}。",
            url=f"/publicity/{current.pk}/",
        )
    return current


def _clean_objection(name, phone, content, email, organization_name) -> dict:
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = ["请填写异议人姓名。"]
    elif len(name) > 64:
        errors["name"] = ["姓名不能超过64个字。"]
    phone = PHONE_SEPARATORS.sub("", phone or "")
    if not phone:
        errors["phone"] = ["请填写联系电话。"]
    elif not phone.isdigit() or not 7 <= len(phone) <= 20:
        errors["phone"] = ["联系电话应为7至20位数字。"]
    content = (content or "").strip()
    if not content:
        errors["content"] = ["请填写异议内容。"]
    elif len(content) > 5000:
        errors["content"] = ["异议内容不能超过5000字。"]
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = ["电子邮箱格式不正确。"]
    organization_name = (organization_name or "").strip()
    if len(organization_name) > 128:
        errors["organization_name"] = ["单位名称不能超过128个字。"]
    if errors:
        raise ValidationError(errors)
    return {"name": name, "phone": phone, "content": content, "email": email, "organization_name": organization_name}


def _rate_key(ip) -> str:
    return f"greenmfg:objection:{ip or 'unknown'}"


@transaction.atomic
def objection_submit(
    *,
    publicity: Publicity,
    entry: PublicityEntry,
    name: str,
    phone: str,
    content: str,
    email: str = "",
    organization_name: str = "",
    ip: str | None = None,
    today: date | None = None,
) -> Objection:
    """Anyone's objection to one entry, during the period of a published 公示 (no login)."""
    publicity = Publicity.objects.select_related("authority").get(pk=publicity.pk)
    if publicity.state != Publicity.State.PUBLISHED:
        raise ValidationError("该公示不在公示期内，不接受异议。")
    day = _today(today)
    if day < publicity.starts_on:
        raise ValidationError(f"公示期自{publicity.starts_on:%Y年%m月%d日}开始，届时方可提出异议。")
    if day > publicity.ends_on:
        raise ValidationError(f"公示期已于{publicity.ends_on:%Y年%m月%d日}结束，不再接受异议。")
    if entry.publicity_id != publicity.pk:
        raise ValidationError({"entry": ["请从本公示名单中选择异议对象。"]})
    key = _rate_key(ip)
    if (cache.get(key) or 0) >= OBJECTION_LIMIT:
        raise ObjectionRateLimited("提交异议过于频繁，请一小时后再试；如有急事请按公示所列联系方式联系。")
    data = _clean_objection(name, phone, content, email, organization_name)
    objection = Objection.objects.create(publicity=publicity, entry=entry, ip=ip, **data)
    if not cache.add(key, 1, OBJECTION_WINDOW):
        try:
            cache.incr(key)
        except ValueError:  # expired in between
            cache.add(key, 1, OBJECTION_WINDOW)
    audit_record(
        actor=None,
        verb="objection.submit",
        target=objection,
        organization=publicity.authority,
        after=Objection.Status.OPEN,
        ip=ip,
    )
    notification_send(
        recipients=members(publicity.authority),
        organization=publicity.authority,
        title=f"收到公示异议：{publicity.title}",
        body=f"异议对象：第{entry.position}号。请在公示期满定稿前处理。",
        url=f"/reviews/publicity/{publicity.pk}/#objection-{objection.pk}",
    )
    return objection


@transaction.atomic
def objection_handle(*, actor, objection: Objection, status: str, response: str, request=None) -> Objection:
    """Decide an objection (upheld / dismissed) with a response, before the 公示 is finalized."""
    current = (
        Objection.objects.select_for_update(of=("self",))
        .select_related("publicity__authority", "entry__application__applicant")
        .get(pk=objection.pk)
    )
    publicity = current.publicity
    _require_decider(actor, publicity.authority)
    if publicity.state != Publicity.State.PUBLISHED:
        raise ValidationError("公示已定稿，异议处理结果不能再改变。")
    if status not in (Objection.Status.UPHELD, Objection.Status.DISMISSED):
        raise ValidationError({"status": ["请选择“异议成立”或“异议不成立”。"]})
    response = (response or "").strip()
    if not response:
        raise ValidationError({"response": ["请填写处理意见。"]})
    before = current.status
    current.status = status
    current.response = response
    current.handled_by = actor
    current.handled_at = timezone.now()
    current.save(update_fields=["status", "response", "handled_by", "handled_at"])
    audit_record(
        actor=actor,
        verb="objection.handle",
        target=current,
        organization=publicity.authority,
        before=before,
        after=status,
        reason=response,
        request=request,
    )
    if current.email:
        email_queue(
            to=current.email,
            subject=f"公示异议处理结果：{publicity.title}",
            body=f"您对第{current.entry.position}号的异议经核查：{current.get_status_display()}。\n{response}\n"
            f"{publicity.authority.name}",
        )
    return current


def _outcome_for(entry: PublicityEntry, outcomes: dict, upheld: dict) -> tuple[str, str]:
    stated = outcomes.get(entry.pk)
    if stated is None:
        stated = outcomes.get(str(entry.pk))
    outcome, note = stated if stated is not None else ("", "")
    note = (note or "").strip()
    if not outcome:
        outcome = PublicityEntry.Outcome.NOT_LISTED if entry.pk in upheld else PublicityEntry.Outcome.LISTED
    if outcome not in (PublicityEntry.Outcome.LISTED, PublicityEntry.Outcome.NOT_LISTED):
        raise ValidationError({"outcomes": [f"第{entry.position}号的结果无效：{outcome}"]})
    if outcome == PublicityEntry.Outcome.NOT_LISTED and not note and entry.pk in upheld:
        note = "公示异议成立：" + "；".join(upheld[entry.pk])
    return outcome, note


@transaction.atomic
def publicity_finalize(
    *, actor, publicity: Publicity, outcomes: dict | None = None, request=None, today: date | None = None
) -> Publicity:
    """After the period, with every objection handled: list or not list each entry (default: listed, not listed
    where an objection was upheld), create the listings, finalize. All or nothing."""
    current = _locked(publicity)
    _require_decider(actor, current.authority)
    if current.state != Publicity.State.PUBLISHED:
        raise ValidationError(f"公示当前为“{current.get_state_display()}”，不能定稿。")
    day = _today(today)
    if day <= current.ends_on:
        raise ValidationError(f"公示期至{current.ends_on:%Y年%m月%d日}，期满后方可定稿。")
    open_count = current.objections.filter(status=Objection.Status.OPEN).count()
    if open_count:
        raise ValidationError(f"尚有{open_count}件公示异议未处理，处理后方可定稿。")
    outcomes = outcomes or {}
    entries = list(current.entries.select_related("application__applicant", "application__notice"))
    known = {e.pk for e in entries} | {str(e.pk) for e in entries}
    unknown = [k for k in outcomes if k not in known]
    if unknown:
        raise ValidationError({"outcomes": ["结果中含有不属于本公示的条目。"]})
    upheld: dict[int, list[str]] = {}
    for entry_id, response in current.objections.filter(status=Objection.Status.UPHELD).values_list(
        "entry_id", "response"
    ):
        upheld.setdefault(entry_id, []).append(response)
    at = _at(day)
    for entry in entries:
        outcome, note = _outcome_for(entry, outcomes, upheld)
        action = "list" if outcome == PublicityEntry.Outcome.LISTED else "not_list"
        name = entry.application.applicant.name
        try:
            application = transition_perform(
                actor=actor, application=entry.application, action=action, reason=note, request=request, at=at
            )
        except ValidationError as exc:
            raise ValidationError(f"第{entry.position}号《{name}》：" + "；".join(exc.messages)) from exc
        if action == "list":
            listing_create(
                actor=actor,
                application=application,
                authority=current.authority,
                listed_on=day,
                notice=current.notice,
                request=request,
            )
        entry.outcome = outcome
        entry.note = note[:255]
        entry.save(update_fields=["outcome", "note"])
    current.state = Publicity.State.FINALIZED
    current.finalized_at = timezone.now()
    current.finalized_by = actor
    current.save(update_fields=["state", "finalized_at", "finalized_by"])
    listed = sum(1 for e in entries if e.outcome == PublicityEntry.Outcome.LISTED)
    audit_record(
        actor=actor,
        verb="publicity.finalize",
        target=current,
        organization=current.authority,
        before=Publicity.State.PUBLISHED,
        after=Publicity.State.FINALIZED,
        reason=f"列入{listed}项，不予列入{len(entries) - listed}项",
        request=request,
    )
    return current


__all__ = [
    "ObjectionRateLimited",
    "objection_handle",
    "objection_submit",
    "publicity_create",
    "publicity_finalize",
    "publicity_publish",
    "publicity_update",
    "publicity_warnings",
    "root_notice",
    "working_days",
]
