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


def api_exception_handler(exc, context):
    """DRF's handler, with the framework's English texts put in Chinese: Django's 404 ("No Organization matches the
    given query.") and the parsers' errors ("JSON parse error - …"); messages already in Chinese are kept; a number
    too large for the database is a 400."""
    import re

    from django.http import Http404
    from rest_framework.exceptions import NotFound, ParseError
    from rest_framework.views import exception_handler

    def english(message) -> bool:
        return not re.search(r"[\u4e00-\u9fff]", str(message))

    if isinstance(exc, OverflowError):
        # A number past the database's integer range (SQLite: 2**63 - 1) in any id or filter: bad input, not a 500.
        from rest_framework.exceptions import ValidationError as ApiValidationError

        exc = ApiValidationError({"detail": "请求中的编号或数值超出允许范围。"})
    elif isinstance(exc, Http404) and english(exc):
        exc = NotFound("未找到，或您无权查看。")
    elif isinstance(exc, ParseError) and english(exc.detail):
        exc = ParseError(f"请求内容无法解析（{exc.detail}）。")
    return exception_handler(exc, context)


def page_not_found(request, exception, template_name="404.html"):
    """An unknown address under /api/ answers in JSON, as the API's own 404s do; pages keep the 404 page."""
    from django.http import JsonResponse
    from django.views import defaults

    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": "未找到，或您无权查看。"}, status=404, json_dumps_params={"ensure_ascii": False})
    return defaults.page_not_found(request, exception, template_name)
