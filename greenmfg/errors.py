"""One way to say why an action was refused, for pages and bulk results alike."""

from contextlib import contextmanager

from django.core.exceptions import ValidationError


def refusal(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(exc) or "您无权办理此事项。"


@contextmanager
def api_service_errors():
    """A service's refusal as the API says it: ValidationError → 400 with the fields' Chinese messages (non-field
    ones under "detail"), PermissionDenied → 403 with its message."""
    from django.core.exceptions import NON_FIELD_ERRORS
    from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
    from rest_framework.exceptions import PermissionDenied
    from rest_framework.exceptions import ValidationError as ApiValidationError

    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise ApiValidationError({"detail": "；".join(exc.messages)}) from exc
        errors: dict = {}
        for field, messages in exc.message_dict.items():
            key = "detail" if field == NON_FIELD_ERRORS else field
            errors.setdefault(key, []).extend(messages)
        raise ApiValidationError(errors) from exc
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc) or "您无权办理此事项。") from exc
