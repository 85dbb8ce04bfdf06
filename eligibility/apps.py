from django.apps import AppConfig


class EligibilityConfig(AppConfig):
    name = "eligibility"
    verbose_name = "资格审查"

    def ready(self):
        from applications.services import FACT_HOOKS

        from .tasks import evaluate_applications

        def reevaluate(ids):
            evaluate_applications.delay(ids)

        if reevaluate not in FACT_HOOKS:
            FACT_HOOKS.append(reevaluate)
