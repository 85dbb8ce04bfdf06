"""URLs of the expert review pages, mounted at /reviews/experts/."""

from django.urls import path

from . import views_experts as views

urlpatterns = [
    path("", views.panel_list, name="panel-list"),
    path("panels/new/", views.panel_create, name="panel-create"),
    path("panels/<int:pk>/", views.panel_detail, name="panel-detail"),
    path("panels/<int:pk>/edit/", views.panel_edit, name="panel-edit"),
    path("panels/<int:pk>/criteria/", views.panel_criteria, name="panel-criteria"),
    path("panels/<int:pk>/assign/", views.panel_assign, name="panel-assign"),
    path("panels/<int:pk>/auto-assign/", views.panel_auto_assign, name="panel-auto-assign"),
    path("panels/<int:pk>/ranking/", views.panel_ranking, name="panel-ranking"),
    path("assignments/", views.assignment_list, name="assignment-list"),
    path("assignments/<int:pk>/", views.assignment_detail, name="assignment-detail"),
    path("assignments/<int:pk>/remove/", views.assignment_remove, name="assignment-remove"),
]
