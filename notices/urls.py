from django.urls import path  # noqa: F401

# Pages for notices are added by the notices web UI work.
urlpatterns: list = []
