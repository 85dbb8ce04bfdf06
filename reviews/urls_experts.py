"""URLs of the experts pages."""

urlpatterns = []
