"""REST API of publicity; ROUTES are registered on the /api/v1/ router by reviews.api_routes."""

ROUTES: list = []  # (prefix, viewset, basename)
