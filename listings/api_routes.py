"""This app's viewsets on the /api/v1/ router: (prefix, viewset, basename) in ROUTES."""

from .api import ListingViewSet
from .api_dynamic import DynamicReportViewSet

ROUTES: list = [
    ("listings", ListingViewSet, "api-listing"),
    ("dynamic-reports", DynamicReportViewSet, "api-dynamic-report"),
]


def register(router) -> None:
    for prefix, viewset, basename in ROUTES:
        router.register(prefix, viewset, basename=basename)
