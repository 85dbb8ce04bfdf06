from django.utils.functional import SimpleLazyObject

from .selectors import acting_role

SESSION_KEY = "acting_role"


class ActingOrganizationMiddleware:
    """Puts the role the user acts in on request.acting (lazy: public pages pay nothing)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.acting = SimpleLazyObject(lambda: acting_role(request.user, request.session.get(SESSION_KEY)))
        return self.get_response(request)
