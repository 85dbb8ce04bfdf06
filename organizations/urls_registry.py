"""The third-party assessor registry, mounted at /assessors/ (the API's assessors/pass-rates is the statistics')."""

from django.urls import path

from . import views_registry as views
from . import views_registry_province as province

urlpatterns = [
    # The assessor's own pages.
    path("", views.assessor_home, name="assessor-home"),
    path("filings/new/", views.filing_new, name="assessor-filing-new"),
    path("filings/<int:pk>/", views.filing_detail, name="assessor-filing-detail"),
    path("filings/<int:pk>/proofs/", views.filing_proof_add, name="assessor-filing-proof-add"),
    path("filings/<int:pk>/proofs/<int:proof_id>/", views.filing_proof, name="assessor-filing-proof"),
    path("filings/<int:pk>/decide/", views.filing_decide, name="assessor-filing-decide"),
    path("filings/<int:pk>/revoke/", views.filing_revoke, name="assessor-filing-revoke"),
    path("calls/<int:pk>/report/", views.report_new, name="assessor-report-new"),
    path("reports/<int:pk>/", views.report_detail, name="assessor-report-detail"),
    path("reports/<int:pk>/file/", views.report_download, name="assessor-report-download"),
    path("reports/<int:pk>/review/", views.report_review, name="assessor-report-review"),
    # The province's and the ministry's pages.
    path("registry/", province.registry_list, name="assessor-registry"),
    path("registry/export.xlsx", province.registry_export, name="assessor-registry-export"),
    path("registry/<int:pk>/", province.registry_detail, name="assessor-registry-detail"),
    path("registry/<int:pk>/blacklist/", province.blacklist_add, name="assessor-blacklist-add"),
    path("blacklist/", province.blacklist_list, name="assessor-blacklist"),
    path("blacklist/<int:pk>/lift/", province.blacklist_lift, name="assessor-blacklist-lift"),
    path("calls/", province.call_list, name="assessor-call-list"),
    path("calls/<int:pk>/", province.call_detail, name="assessor-call-detail"),
]
