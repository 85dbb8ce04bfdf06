"""The application detail page with its workflow actions, and the one POST that performs an action.

Thin: what the page shows comes from applications.selectors and reviews.services.available_actions; the action
goes through reviews.services.transition_perform with the version the page was rendered at, so a stale page
gets the conflict message instead of acting on something it did not see.
"""

from collections import defaultdict

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from activity.models import AuditEvent
from applications import selectors
from applications.forms import accept_attr
from applications.models import THIRD_PARTY_REPORT, Application, NegativeItem, State
from applications.services import is_member
from applications.views import category_rows, refusal
from notices.models import Deadline
from notices.selectors import deadline_for

from .services import TransitionConflict, available_actions, transition_perform
from .workflow import BY_ACTION, TRANSITIONS

VERB_LABELS = {
    "application.create": "创建申报",
    "application.update": "修改申报信息",
    "application.declare": "填写负面清单声明",
    "application.commit": "签署承诺书",
    "application.upload": "上传申报材料",
    "engagement.request": "委托第三方评价机构",
    "engagement.accept": "评价机构接受委托",
    "engagement.decline": "评价机构拒绝委托",
    "engagement.cancel": "撤销第三方评价委托",
    "engagement.report": "上传第三方评价报告",
    **{f"application.{t.action}": t.label for t in TRANSITIONS},
}
STATE_LABELS = dict(State.choices)


def _event_note(event: AuditEvent) -> str:
    if event.verb.startswith("application.") and event.verb.removeprefix("application.") in BY_ACTION:
        change = f"{STATE_LABELS.get(event.before, event.before)} → {STATE_LABELS.get(event.after, event.after)}"
        return f"{change}；{event.reason}" if event.reason else change
    if event.verb == "application.upload":
        version = event.after.rpartition(":")[2].removeprefix("v")
        return f"{event.reason}（第{version}版）" if version.isdigit() else event.reason
    if event.verb == "application.declare":
        return f"声明存在情形{event.after}项" if event.after not in ("", "0") else "均声明无相关情形"
    if event.verb == "engagement.report":
        return f"得分 {event.after.rpartition(':')[2]}" if ":" in event.after else ""
    return event.reason


def _events(application: Application) -> list[dict]:
    events = (
        AuditEvent.objects.filter(
            target_type=ContentType.objects.get_for_model(Application), target_id=str(application.pk)
        )
        .select_related("actor", "organization")
        .order_by("created_at", "id")
    )
    return [{"event": e, "label": VERB_LABELS.get(e.verb, e.verb), "note": _event_note(e)} for e in events]


def _materials(application: Application, notice_category) -> tuple[list[dict], list, list]:
    """Per required material: its current version and the older ones; plus the third-party report versions
    and files of materials the notice no longer asks for."""
    by_kind = defaultdict(list)
    for f in application.files.select_related("uploaded_by", "uploaded_by_org").order_by("kind", "-version"):
        by_kind[f.kind].append(f)
    rows = []
    for material in notice_category.materials.all() if notice_category else []:
        versions = by_kind.pop(str(material.pk), [])
        current = next((f for f in versions if f.is_current), None)
        rows.append(
            {
                "material": material,
                "current": current,
                "older": [f for f in versions if f is not current],
                "accept": accept_attr(material.types),
            }
        )
    report = by_kind.pop(THIRD_PARTY_REPORT, [])
    orphans = [f for versions in by_kind.values() for f in versions]
    return rows, report, orphans


@require_GET
def application_detail(request, pk: int):
    application = selectors.application_for(request.user, pk)
    is_applicant = is_member(request.user, application.applicant)
    editable = is_applicant and application.is_editable
    notice_category = selectors.notice_category_of(application)
    materials, report_files, orphan_files = _materials(application, notice_category)
    declarations = {d.item: d for d in application.declarations.all()}
    engagements = list(application.engagements.select_related("assessor"))
    deadline = None
    if is_applicant:
        deadline = deadline_for(
            notice=application.notice, organization=application.applicant, stage=Deadline.Stage.APPLICANT
        )
    actions = available_actions(request.user, application)
    return render(
        request,
        "reviews/application_detail.html",
        {
            "application": application,
            "is_applicant": is_applicant,
            "editable": editable,
            "missing": selectors.completeness(application) if editable else [],
            "data_rows": category_rows(application),
            "notice_category": notice_category,
            "materials": materials,
            "report_files": report_files,
            "orphan_files": orphan_files,
            "declaration_rows": [
                {"code": code, "label": label, "answer": declarations.get(code)} for code, label in NegativeItem.choices
            ],
            "answered": len(declarations),
            "occurred": [d for d in declarations.values() if d.occurred],
            "engagements": engagements,
            "active_engagement": next((e for e in engagements if e.is_active), None),
            "third_party": application.evaluation_mode == Application.EvaluationMode.THIRD_PARTY,
            "referrals": list(application.referrals.select_related("authority", "decided_by")),
            "events": _events(application),
            "actions": actions,
            "deadline": deadline,
            "deadline_past": deadline.is_past() if deadline else False,
        },
    )


@require_POST
def application_transition(request, pk: int):
    application = selectors.application_for(request.user, pk)
    action = request.POST.get("action", "")
    try:
        expected_version = int(request.POST.get("expected_version", ""))
    except ValueError:
        expected_version = None
    transition = BY_ACTION.get(action)
    try:
        application = transition_perform(
            actor=request.user,
            application=application,
            action=action,
            reason=request.POST.get("reason", ""),
            expected_version=expected_version,
            request=request,
        )
    except TransitionConflict as exc:
        messages.error(request, refusal(exc))
    except ValidationError as exc:
        label = transition.label if transition else "办理"
        messages.error(request, f"未能{label}：{refusal(exc)}")
    except PermissionDenied as exc:
        messages.error(request, refusal(exc))
    else:
        if application.holder_id != application.applicant_id and transition.holder == "first_authority":
            messages.success(request, f"已{transition.label}，现由{application.holder.name}审核。")
        else:
            messages.success(request, f"已{transition.label}。申报当前为“{application.get_state_display()}”。")
    return redirect("application-detail", pk=pk)
