"""URLs of the inbox pages, mounted at /reviews/inbox/."""

from django.urls import path

from . import views_inbox

urlpatterns = [
    path("", views_inbox.inbox, name="review-inbox"),
    path("bulk/", views_inbox.inbox_bulk, name="review-inbox-bulk"),
]
