"""The application detail page with its workflow actions, and the one POST that performs an action.

Thin: what the page shows comes from applications.selectors and reviews.services.available_actions; the action
goes through reviews.services.transition_perform with the version the page was rendered at, so a stale page
gets the conflict message instead of acting on something it did not see.
"""

from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from activity.models import AuditEvent
from applications import selectors
from applications.categories import FORMS
from applications.forms import accept_attr
from applications.models import THIRD_PARTY_REPORT, Application, NegativeItem, State
from applications.services import is_member
from applications.views import category_rows, display_value, refusal
from eligibility.catalogue import FAIL, HARD, KINDS, LEVEL_LABELS, NOT_APPLICABLE, OUTCOMES, PASS, PRIORITY, RULES
from eligibility.models import CreditRecord, Evaluation
from eligibility.selectors import latest_evaluation
from eligibility.services import evaluate_application
from notices.models import Deadline
from notices.selectors import deadline_for
from organizations.models import Organization
from organizations.selectors import memberships_of

from .selectors.inbox import application_trail, department_replies, expert_summary
from .services import TransitionConflict, available_actions, transition_perform
from .workflow import BY_ACTION

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


def _materials(application: Application, notice_category) -> tuple[list[dict], list, list]:
    """Per required material: its current version and the older ones; plus the third-party report versions
    and files of materials the notice no longer asks for."""
    by_kind = defaultdict(list)
    for f in selectors.application_files(application):
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


# ------------------------------------------------------------------------------------------------ eligibility

# Short names for the priority flags reviewers rank by; any other rule switched to priority shows its title.
PRIORITY_BADGES = {
    "FACTORY-ENERGY-BENCHMARK": "能效标杆",
    "WATER-SAVING": "节水型",
    "SUPPLY-CHAIN-NATIONAL-FACTORY": "国家级绿色工厂",
    "SUPPLY-CHAIN-LEADER": "链主企业",
    "LIST-PREREQUISITE": "已列入下级名单",
    "PARK-LEVEL": "园区级别",
}
# Hard fails first, then what still needs evidence, then the rest; not applicable rules are folded away.
OUTCOME_ORDER = {FAIL: 1, "needs_evidence": 2, "warn": 3, PASS: 4, NOT_APPLICABLE: 5}
FIELD_LABELS = {name: (str(f.label), f) for form in FORMS.values() for name, f in form.base_fields.items()}
EVIDENCE_LABELS = {
    "window_since": "回溯起始日",
    "declared": "申报单位声明",
    "records": "信用记录",
    "min_share": "占比下限（%）",
    "min_level": "最低园区级别",
    "required_level": "须已列入的名单层级",
    "entries": "列入日期",
    "level": "名单层级",
    "authority": "推荐单位",
    "limit": "名额",
    "used": "已在推荐流程中",
    "assessor": "评价机构",
    "count": "已承担项目数",
    "cap": "上限",
    "basis": "计算口径",
    "period": "计算周期",
    "listings": "黑名单列入日期",
    "year": "年度",
    "filed": "填报日期",
    "filed_with": "备案机关",
    "self_evaluation_org": "自评价报告编制单位",
    "self_evaluation_person": "自评价报告编制人",
    "lead_assessor": "项目负责人",
    "error": "错误",
}
CHOICE_LABELS = {
    **{p.name: dict(p.choices) for rule in RULES.values() for p in rule.params if p.type == "choice"},
    "level": LEVEL_LABELS,
}
RECORD_KINDS = dict(CreditRecord.Kind.choices)


def _evidence_value(key: str, value) -> str:
    if key == "declared":
        return {True: "存在该情形", False: "无该情形"}.get(value, "尚未声明")
    if value is None or value == "":
        return "未填写"
    if key in CHOICE_LABELS and isinstance(value, str):
        return CHOICE_LABELS[key].get(value, value)
    if key in FIELD_LABELS:
        return display_value(FIELD_LABELS[key][1], value) or "未填写"
    if value is True or value is False:
        return "是" if value else "否"
    if isinstance(value, list):
        if not value:
            return "无"
        return "；".join(
            " ".join(
                str(v)
                for v in (
                    RECORD_KINDS.get(item.get("kind"), item.get("kind")),
                    *(item.get(k) for k in ("credit_code", "occurred_on", "source")),
                )
                if v
            )
            if isinstance(item, dict)
            else str(item)
            for item in value
        )
    if isinstance(value, dict):
        return "；".join(f"{k}：{v}" for k, v in value.items())
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _evidence_rows(evidence: dict) -> list[tuple[str, str]]:
    return [
        (FIELD_LABELS[key][0] if key in FIELD_LABELS else EVIDENCE_LABELS.get(key, key), _evidence_value(key, value))
        for key, value in (evidence or {}).items()
    ]


def is_reviewer(user, application: Application, referrals) -> bool:
    """An authority that holds the application or has received it (the flow's reviewers)."""
    if user.is_superuser:
        return True
    reached = {r.authority_id for r in referrals} | {application.holder_id}
    return any(
        m.organization_id in reached and m.organization.kind == Organization.Kind.AUTHORITY
        for m in memberships_of(user)
    )


def eligibility_context(evaluation: Evaluation, *, reviewer: bool) -> dict:
    """The latest evaluation as the page shows it: every finding with its labels and evidence, in order of
    severity; for reviewers, the priority rules that passed as badges. Reads only the evaluation row."""
    findings = []
    for position, f in enumerate(evaluation.findings):
        hard_fail = f["kind"] == HARD and f["outcome"] == FAIL
        findings.append(
            {
                **f,
                "kind_label": KINDS.get(f["kind"], f["kind"]),
                "outcome_label": OUTCOMES.get(f["outcome"], f["outcome"]),
                "hard_fail": hard_fail,
                "evidence_rows": _evidence_rows(f.get("evidence")),
                "order": (0 if hard_fail else OUTCOME_ORDER.get(f["outcome"], 4), position),
            }
        )
    findings.sort(key=lambda f: f["order"])
    badges = [
        {"rule": f["rule"], "label": PRIORITY_BADGES.get(f["rule"], f["title"]), "title": f["title"]}
        for f in findings
        if reviewer and f["kind"] == PRIORITY and f["outcome"] == PASS
    ]
    applicable = [f for f in findings if f["outcome"] != NOT_APPLICABLE]
    return {
        "evaluation": evaluation,
        "rule_set": evaluation.rule_set,
        "findings": applicable,
        "not_applicable": [f for f in findings if f["outcome"] == NOT_APPLICABLE],
        "hard_fails": [f for f in findings if f["hard_fail"]],
        "pending": [f for f in applicable if f["outcome"] == "needs_evidence"],
        "badges": badges,
    }


def _label_opinions(actions: list[dict], referrals) -> None:
    """The opinion of a recommendation is the 初审意见 at the first level (the application came from its
    applicant, not in a batch) and the 审核意见 above; other reasons keep their own label (退回修改理由 ...)."""
    open_referral = next((r for r in referrals if r.is_open), None)
    first_level = open_referral is None or open_referral.batch_id is None
    for a in actions:
        if a["action"] == "recommend":
            a["reason_label"] = "初审意见" if first_level else "审核意见"
            a["reason_help"] = "推荐须填写意见，意见随申报逐级报送。"
        else:
            a["reason_label"] = f"{a['label']}理由"


@require_GET
def application_detail(request, pk: int):
    application = selectors.application_for(request.user, pk)
    is_applicant = is_member(request.user, application.applicant)
    editable = is_applicant and application.is_editable
    notice_category = selectors.notice_category_of(application)
    materials, report_files, orphan_files = _materials(application, notice_category)
    declarations = {d.item: d for d in selectors.declarations_of(application)}
    engagements = list(application.engagements.select_related("assessor"))
    deadline = None
    if is_applicant:
        deadline = deadline_for(
            notice=application.notice, organization=application.applicant, stage=Deadline.Stage.APPLICANT
        )
    actions = available_actions(request.user, application)  # may evaluate eligibility for the submit guard
    trail = application_trail(request.user, application, event_note=_event_note)
    referrals = [level.referral for level in trail["levels"]]
    _label_opinions(actions, referrals)
    evaluation = latest_evaluation(application) or evaluate_application(application)
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
            "referrals": referrals,
            "eligibility": eligibility_context(evaluation, reviewer=is_reviewer(request.user, application, referrals)),
            "trail": trail,
            "replies": department_replies(request.user, application, referrals) if trail["insider"] else [],
            "experts": expert_summary(request.user, application, referrals) if trail["insider"] else [],
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
