"""The one workflow table: every state change of an application, who may make it, its guards and effects.

State codes are stable ASCII (applications.models.State); action codes are stable too: the API and the audit
trail use them. `python manage.py workflow_diagram` prints this table as Mermaid. The review chain extends it
(recommend, batches, ...); the entry point that performs a row is reviews.services.transition_perform.
"""

from dataclasses import dataclass, field

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
    holder: str = "keep"  # first_authority / applicant / keep
    decision: str = ""  # the Referral decision this records, if any
    notify_applicant: bool = True
    effects: tuple[str, ...] = field(default=())


TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "submit",
        "提交",
        (State.DRAFT,),
        State.UNDER_REVIEW,
        APPLICANT,
        guards=("applicant_deadline", "complete", "eligibility"),
        holder="first_authority",
        notify_applicant=False,
    ),
    Transition(
        "resubmit",
        "重新提交",
        (State.RETURNED,),
        State.UNDER_REVIEW,
        APPLICANT,
        guards=("applicant_deadline", "complete", "eligibility"),
        holder="first_authority",
        notify_applicant=False,
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
        holder="keep",
        decision="not_recommend",
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
        for source in t.sources:
            lines.append(f"    {source} --> {t.target}: {t.action} {t.label}（{who}）")
    return "\n".join(lines)
