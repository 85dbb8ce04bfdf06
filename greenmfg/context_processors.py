from django.conf import settings
from django.utils.functional import SimpleLazyObject


def portal(request):
    from activity.selectors import unread_count
    from organizations.selectors import roles_of

    user = getattr(request, "user", None)
    return {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "acting_roles": SimpleLazyObject(lambda: roles_of(user) if user is not None else []),
        "unread_notifications": SimpleLazyObject(lambda: unread_count(user) if user is not None else 0),
    }
