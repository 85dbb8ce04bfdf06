from django.urls import path

from . import views

# Mounted at /applications/ beside applications.urls.
urlpatterns = [
    path("<int:pk>/", views.application_detail, name="application-detail"),
    path("<int:pk>/transition/", views.application_transition, name="application-transition"),
]
