"""URLs of the batches pages, mounted at /reviews/batches/."""

from django.urls import path

from . import views_batches as views

urlpatterns = [
    path("", views.batch_list, name="batch-list"),
    path("new/", views.batch_new, name="batch-new"),
    path("<int:pk>/", views.batch_detail, name="batch-detail"),
    path("<int:pk>/action/", views.batch_action, name="batch-action"),
    path("<int:pk>/scan/", views.batch_scan, name="batch-scan"),
]
