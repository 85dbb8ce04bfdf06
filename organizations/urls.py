from django.urls import path

from . import member_views, views

urlpatterns = [
    path("", views.organization_list, name="organization-list"),
    path("new/", views.organization_create, name="organization-create"),
    path("<int:pk>/", views.organization_detail, name="organization-detail"),
    path("<int:pk>/edit/", views.organization_edit, name="organization-edit"),
    path("<int:pk>/members/add/", member_views.member_add, name="member-add"),
    path("<int:pk>/members/<int:membership_id>/remove/", member_views.member_remove, name="member-remove"),
]
