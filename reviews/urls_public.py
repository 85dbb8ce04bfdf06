"""URLs of the public 公示 pages (no login), mounted at /publicity/."""

from django.urls import path

from . import views_publicity as views

urlpatterns = [
    path("", views.public_list, name="publicity-public-list"),
    path("<int:pk>/", views.public_detail, name="publicity-public-detail"),
]
