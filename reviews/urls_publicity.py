"""URLs of the publicity pages."""

urlpatterns = []
