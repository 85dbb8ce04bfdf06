from django.urls import path

from . import views_imports, views_rules

urlpatterns = [
    path("notices/<int:notice_id>/rules/", views_rules.rules_page, name="eligibility-rules"),
    path("notices/<int:notice_id>/rules/preset/", views_rules.rules_preset, name="eligibility-rules-preset"),
    path("notices/<int:notice_id>/rules/evaluate/", views_rules.rules_evaluate, name="eligibility-rules-evaluate"),
    path("imports/", views_imports.import_list, name="credit-import-list"),
    path("imports/new/", views_imports.import_new, name="credit-import-new"),
    path("imports/<int:pk>/", views_imports.import_detail, name="credit-import-detail"),
]
