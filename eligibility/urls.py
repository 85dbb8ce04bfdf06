from django.urls import path

from . import views_imports

urlpatterns = [
    path("imports/", views_imports.import_list, name="credit-import-list"),
    path("imports/new/", views_imports.import_new, name="credit-import-new"),
    path("imports/<int:pk>/", views_imports.import_detail, name="credit-import-detail"),
]
