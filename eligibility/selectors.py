from applications.models import Application

from .models import Evaluation, RuleSet


def latest_evaluation(application: Application) -> Evaluation | None:
    return (
        Evaluation.objects.filter(application=application)
        .select_related("rule_set")
        .order_by("-created_at", "-id")
        .first()
    )


def current_rule_set(notice) -> RuleSet | None:
    return RuleSet.objects.filter(notice=notice, is_current=True).prefetch_related("entries").first()
