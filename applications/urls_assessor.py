"""The third-party assessor's pages, mounted at /engagements/."""

from django.urls import path

from . import views_assessor as views

urlpatterns = [
    path("", views.engagement_list, name="engagement-list"),
    path("<int:pk>/", views.engagement_detail, name="engagement-detail"),
    path("<int:pk>/accept/", views.engagement_accept, name="engagement-accept"),
    path("<int:pk>/decline/", views.engagement_decline, name="engagement-decline"),
    path("<int:pk>/report/", views.engagement_report, name="engagement-report"),
]
