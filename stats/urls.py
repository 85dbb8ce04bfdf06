"""Statistics pages, mounted at /stats/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.overview, name="stats-overview"),
    path("pass-rates/", views.pass_rates, name="stats-pass-rates"),
    path("trends/", views.trends, name="stats-trends"),
    path("export/<slug:key>.xlsx", views.export, name="stats-export"),
]
