"""Reads a page repeats (the authority tree, an organization's open notices), kept for one request only.

Outside a request (Celery tasks, commands, the shell) nothing is kept, so a long-running process never sees stale
data; inside one, saving or deleting an organization or notice forgets everything kept so far.
"""

from contextvars import ContextVar

_memo: ContextVar[dict | None] = ContextVar("greenmfg_request_memo", default=None)


def memoized(key, compute):
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def forget(**_kwargs) -> None:
    """Signal receiver: drop what this request kept."""
    memo = _memo.get()
    if memo is not None:
        memo.clear()


class RequestMemoMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _memo.set({})
        try:
            return self.get_response(request)
        finally:
            _memo.reset(token)
