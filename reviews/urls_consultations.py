"""URLs of the consultations pages."""

urlpatterns = []
