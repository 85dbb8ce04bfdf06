"""The review chain's pages for authorities, departments and experts, mounted at /reviews/."""

from django.urls import include, path

urlpatterns = [
    path("inbox/", include("reviews.urls_inbox")),
    path("consultations/", include("reviews.urls_consultations")),
    path("batches/", include("reviews.urls_batches")),
    path("experts/", include("reviews.urls_experts")),
    path("publicity/", include("reviews.urls_publicity")),
]
