"""URL of the public lists (no login), mounted at /lists/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.public_list, name="listings-public"),
]
