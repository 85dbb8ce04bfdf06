"""REST API for applications: the contract other systems use, over the same selectors and services as the pages.

State changes (submit, withdraw, ...) are in reviews/api.py, which extends `ApplicationViewSet` with `transitions`:
this app does not import reviews.
"""

from .serializers import ApplicationDetailSerializer, ApplicationSerializer, EngagementSerializer
from .views import APPLICATION_ID, ERRORS, ApplicationViewSet, EngagementViewSet

__all__ = [
    "APPLICATION_ID",
    "ERRORS",
    "ApplicationDetailSerializer",
    "ApplicationSerializer",
    "ApplicationViewSet",
    "EngagementSerializer",
    "EngagementViewSet",
]
