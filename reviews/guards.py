"""Guards of the workflow table: each returns a list of problems in Chinese (empty = may proceed)."""

from applications.models import Application
from applications.selectors import completeness
from notices.models import Deadline
from notices.services import DeadlinePassed, deadline_enforce


def applicant_deadline(application: Application, at=None) -> list[str]:
    try:
        deadline_enforce(
            notice=application.notice, organization=application.applicant, stage=Deadline.Stage.APPLICANT, at=at
        )
    except DeadlinePassed as exc:
        return list(exc.messages)
    return []


def complete(application: Application, at=None) -> list[str]:
    return completeness(application)


def no_decision_yet(application: Application, at=None) -> list[str]:
    open_referral = application.referrals.filter(decision="").first()
    if open_referral is None:
        return ["申报已有审核决定，不能撤回。"]
    return []


def eligibility(application: Application, at=None) -> list[str]:
    """Hard rules of the notice's rule set; every failing rule is listed with what to do."""
    from eligibility.services import blocking_problems, evaluate_application

    if completeness(application):
        return []  # the completeness guard already explains; evaluate once the application is whole
    return blocking_problems(evaluate_application(application))


GUARDS = {
    "eligibility": eligibility,
    "applicant_deadline": applicant_deadline,
    "complete": complete,
    "no_decision_yet": no_decision_yet,
}
