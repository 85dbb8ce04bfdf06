"""A long-lived process's settings of the garbage collector, applied once Django is loaded (greenmfg/wsgi.py, the
Celery worker's processes: greenmfg/celery.py)."""

import gc

# Between full collections the young generation may hold this many objects: one page of a few hundred rows makes
# tens of thousands, and at the default 700 a request went through a dozen collections.
YOUNG_THRESHOLD = 50_000


def settle() -> None:
    """Move what start-up loaded (modules, URL patterns, settings) out of the collector's sight: it lives as long as
    the process, and a full collection walked all of it, ~100 ms in the middle of a request (benchmarks/README.md)."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 -- loaded now, so it is frozen with the rest
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
