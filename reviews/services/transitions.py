"""The one entry point that moves an application along the workflow table (reviews/workflow.py)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from activity.services import audit_record, notification_send
from applications.models import Application
from applications.services import grant_view, members
from organizations.models import Organization
from organizations.selectors import memberships_of

from ..guards import GUARDS, returner
from ..models import Referral
from ..workflow import APPLICANT, BY_ACTION, HOLDER, TRANSITIONS, Transition


class TransitionConflict(ValidationError):
    """Someone else moved the application first."""


def may_act(user, application: Application, transition: Transition) -> bool:
    if not user.is_authenticated:
        return False
    if transition.actor == APPLICANT:
        org_id = application.applicant_id
    elif transition.actor == HOLDER:
        if application.holder_id == application.applicant_id:
            return False
        org_id = application.holder_id
    else:
        return False
    return any(m.organization_id == org_id and m.role in transition.roles for m in memberships_of(user))


def guard_problems(application: Application, transition: Transition, at=None) -> list[str]:
    problems = []
    for name in transition.guards:
        problems.extend(GUARDS[name](application, at=at))
    return problems


def available_actions(user, application: Application, *, check_guards: bool = True) -> list[dict]:
    """The actions this user may take now, each with whatever still blocks it."""
    actions = []
    for t in TRANSITIONS:
        if t.internal or application.state not in t.sources or not may_act(user, application, t):
            continue
        problems = guard_problems(application, t) if check_guards or not t.offer_when_blocked else []
        if problems and not t.offer_when_blocked:
            continue
        actions.append(
            {
                "action": t.action,
                "label": t.label,
                "allowed": not problems,
                "problems": problems,
                "reason_required": t.reason_required,
            }
        )
    return actions


def first_authority(application: Application) -> Organization:
    authority = application.applicant.competent_authority
    if authority is None or authority.kind != Organization.Kind.AUTHORITY:
        raise ValidationError("本单位未登记属地主管部门，无法提交；请联系所在地工信部门。")
    return authority


def lower_authority(application: Application) -> Organization:
    """The authority whose batch brought the application to its holder."""
    referral = application.referrals.filter(decision="").select_related("batch__authority").first()
    if referral is None or referral.batch is None:
        raise ValidationError("该申报由申报单位直接提交至本单位，没有可退回的下级主管部门。")
    return referral.batch.authority


@transaction.atomic
def transition_perform(
    *,
    actor,
    application: Application,
    action: str,
    reason: str = "",
    expected_version: int | None = None,
    request=None,
    at=None,
    batch=None,
    internal: bool = False,
) -> Application:
    """Perform one row of the table. `internal` rows (forward) only come from their own services, with `batch`."""
    transition = BY_ACTION.get(action)
    if transition is None or (transition.internal and not internal):
        raise ValidationError({"action": [f"未知操作：{action}"]})
    # Lock the row alone: joined rows (the holder) change in a racing update, and PostgreSQL's re-check after
    # the lock wait would then drop the row instead of returning its new state.
    current = Application.objects.select_for_update().get(pk=application.pk)
    if expected_version is not None and current.version != expected_version:
        raise TransitionConflict(
            f"该申报已被他人处理，当前状态为“{current.get_state_display()}”。请刷新后再操作。", code="conflict"
        )
    if current.state not in transition.sources:
        raise TransitionConflict(
            f"申报当前为“{current.get_state_display()}”，不能{transition.label}。", code="conflict"
        )
    if not may_act(actor, current, transition):
        raise PermissionDenied(f"您无权对该申报执行“{transition.label}”。")
    reason = (reason or "").strip()
    if transition.reason_required and not reason:
        raise ValidationError({"reason": [f"{transition.label}须填写理由。"]})
    problems = guard_problems(current, transition, at=at)
    if problems:
        raise ValidationError(problems)

    now = timezone.now()
    holder = {
        "first_authority": lambda: first_authority(current),
        "returner": lambda: returner(current) or first_authority(current),
        "lower": lambda: lower_authority(current),
        "parent": lambda: batch.recipient,
        "applicant": lambda: current.applicant,
        "keep": lambda: current.holder,
    }[transition.holder]()
    changes = {"state": transition.target, "holder": holder, "version": F("version") + 1, "updated_at": now}
    if transition.actor == APPLICANT and transition.opens_referral:
        changes["submitted_at"] = now
    # The conditional update is what makes exactly one of two racing actors win, on any database.
    updated = Application.objects.filter(pk=current.pk, state=current.state, version=current.version).update(**changes)
    if updated != 1:
        raise TransitionConflict("该申报刚刚被他人处理，请刷新后再操作。", code="conflict")

    if transition.decision:
        referral = current.referrals.filter(decision="").first()
        if referral is not None:
            referral.decision = transition.decision
            referral.opinion = reason
            referral.decided_at = now
            referral.decided_by = actor
            referral.save(update_fields=["decision", "opinion", "decided_at", "decided_by"])
    if transition.opens_referral:
        Referral.objects.create(application=current, authority=holder, batch=batch)
        grant_view(current, holder)

    acting_org = current.applicant if transition.actor == APPLICANT else current.holder
    audit_record(
        actor=actor,
        verb=f"application.{transition.action}",
        target=current,
        organization=acting_org,
        before=current.state,
        after=transition.target,
        reason=reason,
        request=request,
    )
    title = f"《{current.applicant.name}》{current.get_category_display()}申报：{transition.label}"
    if transition.notify_applicant:
        notification_send(
            recipients=members(current.applicant),
            organization=current.applicant,
            email=True,
            title=title,
            body=f"{acting_org.name}：{reason}" if reason else acting_org.name,
            url=f"/applications/{current.pk}/",
        )
    if transition.notify_holder:
        notification_send(
            recipients=members(holder),
            organization=holder,
            title=f"{'申报被上级退回' if transition.action == 'return_lower' else '新申报待审核'}：{current}",
            body=reason,
            url=f"/applications/{current.pk}/",
        )
    current.refresh_from_db()
    return current
