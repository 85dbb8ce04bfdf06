"""Configuration nearly every page reads (the authority tree, a notice's categories and deadlines, who is a member of
what), kept in the cache between requests.

Kept under a version that any write to a model it is read from moves on (connected in greenmfg/apps.py), at the write and again at its commit: another process may read between the two and keep the old
rows under the first new version. Bulk writes send no signal: what makes them (seed_scale, load_demo, migrations)
calls config_changed itself. Inside a transaction the request opened, the cache is neither read nor written (it
may hold the request's own uncommitted writes). Kept TTL seconds at most in any case, and only where every process
shares the cache (settings.SHARED_CONFIG_CACHE: on with CACHE_URL).
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from .request_memo import drop, in_transaction, memoized

VERSION_KEY = "greenmfg:config-version"
TTL = 300
_MISSING = object()


def _read_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # Not 1: after a cache restart, entries of an old count must not match a restarted one.
        cache.add(VERSION_KEY, time.time_ns() // 1000, timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def kept(key: str, compute):
    """compute(), or what it gave earlier under the current version."""
    if not settings.SHARED_CONFIG_CACHE or in_transaction():
        return compute()
    full = f"greenmfg:config:{memoized('config-version', _read_version)}:{key}"
    value = cache.get(full, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(full, value, TTL)
    return value


def kept_in_request(key: tuple, compute):
    """kept(), and kept for the request as well (its pages ask again, also inside their transactions)."""
    return memoized(key, lambda: kept(":".join(map(str, key)), compute))


# Reads for a handful of notices (one application's page) are kept; a batch's (hundreds of applications across as
# many notices) would be kept under a key no one asks for again.
MOST_IDS = 16


def kept_for_ids(prefix: str, ids, compute):
    """kept() for a read about a few ids (sorted into the key); a read about more is computed each time."""
    ids = sorted(set(ids))
    if len(ids) > MOST_IDS:
        return compute()
    return kept(f"{prefix}:{','.join(map(str, ids))}", compute)


def config_changed(**_kwargs) -> None:
    """Signal receiver (and the end of bulk loads): everything kept is stale, now and once the write commits."""
    _bump()
    transaction.on_commit(_bump)


def _bump() -> None:
    drop("config-version")
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not set, or evicted: a fresh start
        _read_version()
