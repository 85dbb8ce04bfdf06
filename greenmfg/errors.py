"""One way to say why an action was refused, for pages and bulk results alike."""

from django.core.exceptions import ValidationError


def refusal(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(exc) or "您无权办理此事项。"
