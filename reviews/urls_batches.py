"""URLs of the batches pages."""

urlpatterns = []
