"""URLs of the deciding authority's 公示 pages, mounted at /reviews/publicity/."""

from django.urls import path

from . import views_publicity as views

urlpatterns = [
    path("", views.publicity_list, name="publicity-list"),
    path("new/", views.publicity_new, name="publicity-new"),
    path("<int:pk>/", views.publicity_detail, name="publicity-detail"),
    path("<int:pk>/edit/", views.publicity_edit, name="publicity-edit"),
    path("<int:pk>/publish/", views.publicity_publish, name="publicity-publish"),
    path("<int:pk>/finalize/", views.publicity_finalize, name="publicity-finalize"),
    path("<int:pk>/objections/<int:objection_id>/", views.objection_handle, name="publicity-objection-handle"),
]
