"""This app's viewsets on the /api/v1/ router: (prefix, viewset, basename) in ROUTES."""

from .api_registry import AssessorRegistryViewSet

# After the statistics app's "assessors/pass-rates"; the registry's ids are digits only (lookup_value_regex).
ROUTES: list = [("assessors", AssessorRegistryViewSet, "api-assessor")]


def register(router) -> None:
    for prefix, viewset, basename in ROUTES:
        router.register(prefix, viewset, basename=basename)
