"""Reads a page repeats (the authority tree, an organization's open notices), kept for one request only.

Outside a request (Celery tasks, commands, the shell) nothing is kept, so a long-running process never sees stale
data; inside one, saving or deleting an organization or notice forgets everything kept so far.
"""

from contextvars import ContextVar

from django.db import connection, transaction

_memo: ContextVar[dict | None] = ContextVar("greenmfg_request_memo", default=None)
_DEPTH = object()  # the transactions open when the request began (a test's own is not the request's)


def memoized(key, compute):
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def remember(key, value) -> None:
    """Keep a value a write just produced (outside a request: nothing)."""
    memo = _memo.get()
    if memo is not None:
        memo[key] = value


def known(key) -> bool:
    memo = _memo.get()
    return memo is not None and key in memo


def in_transaction() -> bool:
    """Inside a transaction the request opened (what is read or written there may still be rolled back)."""
    memo = _memo.get()
    base = memo.get(_DEPTH, 0) if memo is not None else 0
    return len(connection.atomic_blocks) > base


def remember_when_committed(key, value) -> None:
    """Keep a value a write produced, once that write is committed; until then the next read asks the database."""
    if in_transaction():
        drop(key)
        transaction.on_commit(lambda: remember(key, value))
    else:
        remember(key, value)


def drop(key) -> None:
    memo = _memo.get()
    if memo is not None:
        memo.pop(key, None)


def forget(**_kwargs) -> None:
    """Signal receiver: drop what this request kept."""
    memo = _memo.get()
    if memo is not None:
        depth = memo[_DEPTH]
        memo.clear()
        memo[_DEPTH] = depth


class RequestMemoMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _memo.set({_DEPTH: len(connection.atomic_blocks)})
        try:
            return self.get_response(request)
        finally:
            _memo.reset(token)
