"""URLs of the consultations pages (征求意见), mounted at /reviews/consultations/."""

from django.urls import path

from . import views_consultations as views

urlpatterns = [
    path("", views.consultation_list, name="consultation-list"),
    path("new/", views.consultation_new, name="consultation-new"),
    path("<int:pk>/", views.consultation_detail, name="consultation-detail"),
    path("<int:pk>/reply/<int:reply_id>/", views.consultation_reply, name="consultation-reply"),
    path("<int:pk>/waive/<int:reply_id>/", views.consultation_waive, name="consultation-waive"),
    path("<int:pk>/proof/<int:reply_id>/", views.consultation_proof, name="consultation-proof"),
]
