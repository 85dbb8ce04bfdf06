from django.urls import path

from . import views

# Mounted at /applications/ beside reviews.urls (the detail page and the workflow actions live there).
urlpatterns = [
    path("", views.application_list, name="application-list"),
    path("new/", views.application_create, name="application-create"),
    path("<int:pk>/edit/", views.application_edit, name="application-edit"),
    path("<int:pk>/declarations/", views.application_declarations, name="application-declarations"),
    path("<int:pk>/materials/<str:kind>/upload/", views.material_upload, name="application-upload"),
    path("<int:pk>/files/<int:file_id>/", views.file_download, name="application-file"),
    path("<int:pk>/engagement/", views.application_engagement, name="application-engagement"),
]
