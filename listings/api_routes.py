"""This app's viewsets on the /api/v1/ router: (prefix, viewset, basename) in ROUTES."""

from .api import ListingViewSet

ROUTES: list = [
    ("listings", ListingViewSet, "api-listing"),
]


def register(router) -> None:
    for prefix, viewset, basename in ROUTES:
        router.register(prefix, viewset, basename=basename)
