"""Decisions on several applications at once (the inbox's bulk form, the expert ranking's decide form): each
application goes through the one workflow entry point in its own transaction, and each row says what happened."""

from django.core.exceptions import PermissionDenied, ValidationError

from applications.models import Application
from applications.selectors import applications_visible_to
from greenmfg.errors import refusal
from notices.selectors import notice_family_ids

from ..models import Panel
from ..workflow import BY_ACTION
from .transitions import TransitionConflict, transition_perform


def bulk_perform(
    *, actor, authority, ids: list[int], versions: dict[int, int | None], action: str, reason: str, request=None
) -> list[dict]:
    """Each selected application through transition_perform on its own (its own transaction): per row, done or
    refused with the Chinese reason. An application outside the acting authority's inbox is refused, not revealed."""
    visible = {a.pk: a for a in applications_visible_to(actor).filter(pk__in=ids).select_related("applicant", "holder")}
    label = BY_ACTION[action].label
    results = []
    for pk in ids:
        application = visible.get(pk)
        if application is None:
            results.append({"pk": pk, "name": f"申报 #{pk}", "ok": False, "message": "不在本单位待办中，未处理。"})
            continue
        row = {"pk": pk, "name": application.applicant.name, "category": application.get_category_display()}
        if application.holder_id != authority.pk:
            row.update(
                ok=False,
                message=f"该申报已被他人处理，当前为“{application.get_state_display()}”，"
                f"由{application.holder.name}办理；未作改动。",
            )
            results.append(row)
            continue
        try:
            done = transition_perform(
                actor=actor,
                application=application,
                action=action,
                reason=reason,
                expected_version=versions.get(pk),
                request=request,
            )
        except TransitionConflict as exc:
            row.update(ok=False, message=refusal(exc))
        except ValidationError as exc:
            row.update(ok=False, message=f"未能{label}：{refusal(exc)}")
        except PermissionDenied as exc:
            row.update(ok=False, message=refusal(exc))
        else:
            row.update(ok=True, message=f"已{label}，当前状态为“{done.get_state_display()}”。", state=done.state)
        results.append(row)
    return results


def ranking_decide(*, actor, panel: Panel, application_ids, action: str, opinion: str, request=None):
    """Recommend or not recommend several applications of the ranking through the workflow's one entry point.
    Each is its own transaction: returns (done applications, [(application, Chinese reason)])."""
    from .experts import _require_panel_member

    _require_panel_member(actor, panel)
    if action not in ("recommend", "not_recommend"):
        raise ValidationError({"action": ["请选择“推荐”或“不予推荐”。"]})
    if not (opinion or "").strip():
        raise ValidationError({"opinion": ["请填写意见。"]})
    family = notice_family_ids(panel.notice)
    chosen = list(
        Application.objects.filter(
            pk__in=list(application_ids),
            category=panel.category,
            notice_id__in=family,
            referrals__authority=panel.authority,
        )
        .distinct()
        .select_related("applicant")
        .order_by("id")
    )
    if not chosen:
        raise ValidationError({"applications": ["请勾选要决定的申报。"]})
    done, refused = [], []
    for application in chosen:
        try:
            done.append(
                transition_perform(actor=actor, application=application, action=action, reason=opinion, request=request)
            )
        except (ValidationError, PermissionDenied) as exc:
            message = "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            refused.append((application, message))
    return done, refused
