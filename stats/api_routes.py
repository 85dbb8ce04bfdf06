"""This app's viewsets on the /api/v1/ router: (prefix, viewset, basename) in ROUTES."""

from .api import PassRateViewSet

ROUTES: list = [("assessors/pass-rates", PassRateViewSet, "api-assessor-pass-rate")]


def register(router) -> None:
    for prefix, viewset, basename in ROUTES:
        router.register(prefix, viewset, basename=basename)
