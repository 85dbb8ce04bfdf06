"""URLs of dynamic management (动态管理), mounted at /dynamic/."""

from django.urls import path

from . import views_dynamic as views
from . import views_dynamic_checks as checks

urlpatterns = [
    path("", views.dynamic_home, name="dynamic-home"),
    path("rounds/new/", views.round_new, name="dynamic-round-new"),
    path("rounds/<int:pk>/", views.round_detail, name="dynamic-round-detail"),
    path("rounds/<int:pk>/export.xlsx", views.round_export, name="dynamic-round-export"),
    path("rounds/<int:pk>/extend/", views.round_extend, name="dynamic-round-extend"),
    path("rounds/<int:pk>/start/<int:listing_id>/", views.report_start, name="dynamic-report-start"),
    path("reports/<int:pk>/", views.report_detail, name="dynamic-report-detail"),
    path("reports/<int:pk>/review/", views.report_review, name="dynamic-report-review"),
    path("rechecks/", checks.recheck_list, name="dynamic-recheck-list"),
    path("rechecks/<int:pk>/", checks.recheck_detail, name="dynamic-recheck-detail"),
    path("listings/<int:listing_id>/rechecks/new/", checks.recheck_new, name="dynamic-recheck-new"),
    path("removals/", checks.removal_list, name="dynamic-removal-list"),
    path("removals/<int:pk>/", checks.removal_detail, name="dynamic-removal-detail"),
    path("listings/<int:listing_id>/removals/new/", checks.removal_new, name="dynamic-removal-new"),
]
