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

        # The assessor registry (organizations) reads cap use from here and asks for re-evaluation after its changes.
        from organizations.selectors_registry import CAP_USE_SOURCES
        from organizations.services_registry import ASSESSOR_FACT_HOOKS

        from .assessor_registry import assessor_cap_use, reevaluate_assessors

        if assessor_cap_use not in CAP_USE_SOURCES:
            CAP_USE_SOURCES.append(assessor_cap_use)
        if reevaluate_assessors not in ASSESSOR_FACT_HOOKS:
            ASSESSOR_FACT_HOOKS.append(reevaluate_assessors)
