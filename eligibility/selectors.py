from applications.models import Application
from greenmfg.request_memo import in_transaction, memoized

from .models import Evaluation, RuleSet


def latest_evaluation(application: Application) -> Evaluation | None:
    """Kept for the request, and replaced by an evaluation made in it (the page shows what its guard evaluated).
    Not inside a transaction: what it reads there may be rolled back."""
    if in_transaction():
        return _latest_evaluation(application)
    return memoized(("latest_evaluation", application.pk), lambda: _latest_evaluation(application))


def _latest_evaluation(application: Application) -> Evaluation | None:
    return (
        Evaluation.objects.filter(application=application)
        .select_related("rule_set")
        .order_by("-created_at", "-id")
        .first()
    )


def current_rule_set(notice) -> RuleSet | None:
    return RuleSet.objects.filter(notice=notice, is_current=True).prefetch_related("entries").first()
