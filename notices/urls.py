from django.urls import path

from . import views, views_config, views_files

urlpatterns = [
    path("", views.notice_list, name="notice-list"),
    path("new/", views.notice_create, name="notice-create"),
    path("<int:pk>/", views.notice_detail, name="notice-detail"),
    path("<int:pk>/edit/", views.notice_edit, name="notice-edit"),
    path("<int:pk>/publish/", views.notice_publish, name="notice-publish"),
    path("<int:pk>/forward/", views.notice_forward, name="notice-forward"),
    path("<int:pk>/close/", views.notice_close, name="notice-close"),
    path("<int:pk>/categories/", views_config.notice_categories, name="notice-categories"),
    path("<int:pk>/categories/<str:code>/", views_config.category_set, name="notice-category-set"),
    path("<int:pk>/categories/<str:code>/remove/", views_config.category_remove, name="notice-category-remove"),
    path("<int:pk>/categories/<str:code>/materials/", views_config.material_add, name="notice-material-add"),
    path("<int:pk>/materials/<int:material_id>/", views_config.material_edit, name="notice-material-edit"),
    path("<int:pk>/materials/<int:material_id>/remove/", views_config.material_remove, name="notice-material-remove"),
    path("<int:pk>/quotas/", views_config.quotas_save, name="notice-quotas"),
    path("<int:pk>/deadlines/", views_config.notice_deadlines, name="notice-deadlines"),
    path("<int:pk>/deadlines/<int:deadline_id>/remove/", views_config.deadline_remove, name="notice-deadline-remove"),
    path("<int:pk>/extensions/new/", views_config.extension_add, name="notice-extension-add"),
    path("<int:pk>/attachments/new/", views_files.attachment_add, name="notice-attachment-add"),
    path(
        "<int:pk>/attachments/<int:attachment_id>/",
        views_files.attachment_download,
        name="notice-attachment-download",
    ),
]
