"""The one workflow table: every state change of an application, who may make it, its guards and effects.

State codes are stable ASCII (applications.models.State); action codes are stable too: the API and the audit
trail use them. `python manage.py workflow_diagram` prints this table as Mermaid. Batches and 公示 perform their
rows through the same entry point as everyone else: reviews.services.transition_perform.
"""

from dataclasses import dataclass

from applications.models import State
from organizations.models import Membership

APPLICANT = "applicant"  # a member of the applicant organization
HOLDER = "holder"  # a member of the authority now holding the application
DECIDING_ROLES = (Membership.Role.APPROVER, Membership.Role.ADMIN)
ANY_ROLE = tuple(Membership.Role.values)


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: tuple[str, ...]
    target: str
    actor: str
    roles: tuple[str, ...] = ANY_ROLE
    guards: tuple[str, ...] = ()  # names of guard functions in reviews.guards
    reason_required: bool = False
    # Who holds the application afterwards: first_authority / returner (the authority that returned it) /
    # lower (the authority whose batch brought it) / parent (the batch's recipient) / applicant / keep.
    holder: str = "keep"
    decision: str = ""  # the Referral decision this records, if any
    opens_referral: bool = False  # the new holder reviews it: a new Referral and a view grant
    notify_applicant: bool = True
    notify_holder: bool = False
    internal: bool = False  # performed by another service (batches, 公示), not offered on its own
    offer_when_blocked: bool = True  # False: not offered at all while a guard blocks it (it does not apply)


TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "submit",
        "提交",
        (State.DRAFT,),
        State.UNDER_REVIEW,
        APPLICANT,
        guards=("applicant_deadline", "complete", "eligibility"),
        holder="first_authority",
        opens_referral=True,
        notify_applicant=False,
        notify_holder=True,
    ),
    Transition(
        "resubmit",
        "重新提交",
        (State.RETURNED,),
        State.UNDER_REVIEW,
        APPLICANT,
        guards=("resubmit_deadline", "complete", "eligibility"),
        holder="returner",
        opens_referral=True,
        notify_applicant=False,
        notify_holder=True,
    ),
    Transition(
        "withdraw",
        "撤回",
        (State.UNDER_REVIEW,),
        State.WITHDRAWN,
        APPLICANT,
        guards=("no_decision_yet",),
        holder="applicant",
        decision="withdrawn",
        notify_applicant=False,
    ),
    Transition(
        "reopen",
        "重新编辑",
        (State.WITHDRAWN,),
        State.DRAFT,
        APPLICANT,
        guards=("applicant_deadline",),
        holder="applicant",
        notify_applicant=False,
    ),
    Transition(
        "recommend",
        "推荐",
        (State.UNDER_REVIEW,),
        State.RECOMMENDED,
        HOLDER,
        roles=DECIDING_ROLES,
        guards=("consultations_answered", "eligibility"),
        reason_required=True,
        decision="recommend",
    ),
    Transition(
        "return",
        "退回修改",
        (State.UNDER_REVIEW,),
        State.RETURNED,
        HOLDER,
        roles=DECIDING_ROLES,
        reason_required=True,
        holder="applicant",
        decision="return",
    ),
    Transition(
        "not_recommend",
        "不予推荐",
        (State.UNDER_REVIEW,),
        State.NOT_RECOMMENDED,
        HOLDER,
        roles=DECIDING_ROLES,
        reason_required=True,
        decision="not_recommend",
    ),
    Transition(
        "return_lower",
        "退回下级主管部门",
        (State.UNDER_REVIEW,),
        State.UNDER_REVIEW,
        HOLDER,
        roles=DECIDING_ROLES,
        guards=("came_in_batch",),
        offer_when_blocked=False,
        reason_required=True,
        holder="lower",
        decision="return_lower",
        opens_referral=True,
        notify_applicant=False,
        notify_holder=True,
    ),
    Transition(
        "revoke",
        "撤销推荐",
        (State.RECOMMENDED,),
        State.UNDER_REVIEW,
        HOLDER,
        roles=DECIDING_ROLES,
        guards=("not_in_batch", "not_in_publicity"),
        reason_required=True,
        opens_referral=True,
        notify_applicant=False,
    ),
    Transition(
        "forward",
        "随批次报送上级",
        (State.RECOMMENDED,),
        State.UNDER_REVIEW,
        HOLDER,
        roles=DECIDING_ROLES,
        holder="parent",
        opens_referral=True,
        notify_applicant=False,
        internal=True,
    ),
    Transition(
        "list",
        "列入名单",
        (State.RECOMMENDED,),
        State.LISTED,
        HOLDER,
        roles=DECIDING_ROLES,
        guards=("list_authority", "publicity_done"),
        offer_when_blocked=False,
    ),
    Transition(
        "not_list",
        "不予列入名单",
        (State.RECOMMENDED,),
        State.NOT_LISTED,
        HOLDER,
        roles=DECIDING_ROLES,
        guards=("list_authority", "publicity_done"),
        reason_required=True,
        offer_when_blocked=False,
    ),
)

BY_ACTION = {t.action: t for t in TRANSITIONS}


def mermaid() -> str:
    lines = ["stateDiagram-v2"]
    for code, label in State.choices:
        lines.append(f"    {code}: {code} {label}")
    lines.append("    [*] --> draft")
    for t in TRANSITIONS:
        who = "申报单位" if t.actor == APPLICANT else "当前审核主管部门"
        if t.internal:
            who += "，经推荐批次"
        for source in t.sources:
            lines.append(f"    {source} --> {t.target}: {t.action} {t.label}（{who}）")
    return "\n".join(lines)
