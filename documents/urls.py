from django.urls import path

from . import views

urlpatterns = [
    path("", views.document_list, name="document-list"),
    path("new/", views.document_new, name="document-new"),
    path("<int:pk>/", views.document_detail, name="document-detail"),
    path("<int:pk>/row/", views.document_row, name="document-row"),
    path("<int:pk>/download/", views.document_download, name="document-download"),
    path("notices/<int:notice_pk>/", views.notice_documents, name="notice-documents"),
    path("templates/", views.template_list, name="letter-templates"),
    path("templates/<int:authority_pk>/<str:kind>/", views.template_edit, name="letter-template-edit"),
]
