"""API fuzzing: schemathesis generates requests for every operation of /api/schema/ (valid and invalid ones) and sends
them, as each kind of demo user and anonymously, to the WSGI application over the demo data. No answer may be a 5xx,
and each must conform to the schema: a documented status code, content type, headers and body; a refusal's "detail"
is in Chinese.

The demo is loaded once for the module; every call runs in a savepoint rolled back afterwards, so a state change never
leaks into the next call. Each (role, operation) has its own fixed seed: a failure here fails the same way on every run.
FUZZ_EXAMPLES=50 in the environment fuzzes harder (the default keeps the module near two minutes)."""

import os
import re
import time
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import override_settings
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.test import Client as WsgiClient

# One user per kind of actor (README's demo logins); None is the anonymous caller.
ROLES = (None, "enterprise", "county", "city", "province", "ministry", "assessor", "expert", "eco", "listed")
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
# Without a login every protected operation answers 403 before reading the request: a few examples say so.
ANONYMOUS_PROTECTED_EXAMPLES = 2
METHODS = ("get", "put", "post", "patch", "delete")
CJK = re.compile(r"[\u4e00-\u9fff]")

# The test databases are set up only for tests marked so; each test's own savepoint sits inside the module's.
pytestmark = pytest.mark.django_db


def chinese_error_detail(ctx, response, case):
    """A refusal's "detail" is read by people: it must be in Chinese (Django's and DRF's own texts are English)."""
    if response.status_code < 400 or "json" not in ",".join(response.headers.get("content-type", [])):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, str) and not CJK.search(detail):
        raise AssertionError(f"英文的错误说明：{detail!r}")
    return None


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    chinese_error_detail,
]


@dataclass
class World:
    schema: object
    operations: list
    tokens: dict
    ids: dict = field(default_factory=lambda: defaultdict(set))


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo, loaded once inside a transaction rolled back after the module; the schema as the app serves it."""
    from greenmfg.celery import app as celery_app

    media = tmp_path_factory.mktemp("fuzz-media")
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(media)}},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    saved_eager = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = celery_app.conf.task_eager_propagates = True
    # As Django's test client does: a request must not close the connection that holds the module's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with (
            django_db_blocker.unblock(),
            override_settings(STORAGES=storages, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
            transaction.atomic(),
        ):
            call_command("load_demo", force=True, stdout=open(os.devnull, "w"))  # noqa: SIM115
            from django.contrib.auth import get_user_model
            from rest_framework.authtoken.models import Token

            from greenmfg.wsgi import application

            users = get_user_model().objects.filter(username__in=[r for r in ROLES if r])
            tokens = {u.username: Token.objects.get_or_create(user=u)[0].key for u in users}
            assert set(tokens) == {r for r in ROLES if r}
            schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
            results = list(schema.get_all_operations())
            broken = [r.err() for r in results if not hasattr(r, "ok")]
            assert not broken, broken
            w = World(schema=schema, operations=[r.ok() for r in results], tokens=tokens)
            _harvest_ids(w)
            yield w
            transaction.set_rollback(True)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = saved_eager


@pytest.fixture(autouse=True)
def media_tmp(world):
    """The demo's files stay where the module put them (the suite's default is a new folder per test)."""
    from django.conf import settings as django_settings

    return django_settings.STORAGES["default"]["OPTIONS"]["location"]


def _headers(world, role):
    return {"Authorization": f"Token {world.tokens[role]}"} if role else {}


def _harvest_ids(world):
    """Ids of real rows from each list endpoint, as each role sees them: detail operations then reach objects that
    exist (visible to the caller or not) and not only ids that no row has."""
    # Werkzeug's client, as schemathesis' calls: Django's test client would connect close_old_connections again.
    client = WsgiClient(world.schema.app)
    lists = sorted({op.path for op in world.operations if op.method.lower() == "get" and "{" not in op.path})
    for role in ROLES:
        for path in lists:
            response = client.get(path, headers=_headers(world, role))
            if response.status_code != 200:
                continue
            body = response.get_json()
            rows = body.get("results", body) if isinstance(body, dict) else body
            if isinstance(rows, list):
                world.ids[path].update(r["id"] for r in rows if isinstance(r, dict) and isinstance(r.get("id"), int))


def _protected(operation) -> bool:
    security = operation.definition.raw.get("security")
    return bool(security) and {} not in security


def _fuzz(world, operation, role, failures) -> Counter:
    """schemathesis' cases for one operation as one role; a failure is recorded, the other operations still run."""
    label = f"{operation.method.upper()} {operation.path}"
    pool = sorted(world.ids.get(operation.path.split("{id}")[0], ())) if "{id}" in operation.path else []
    strategy = st.one_of(
        operation.as_strategy(schemathesis.GenerationMode.POSITIVE),
        operation.as_strategy(schemathesis.GenerationMode.NEGATIVE),
    )
    headers = _headers(world, role)
    statuses = Counter()
    examples = ANONYMOUS_PROTECTED_EXAMPLES if role is None and _protected(operation) else EXAMPLES

    @seed(zlib.crc32(f"{role} {label}".encode()))
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(data=st.data())
    def run(data):
        case = data.draw(strategy)
        # Mostly ids of real rows, sometimes what schemathesis made up (unknown, negative, not a number).
        if pool and "id" in (case.path_parameters or {}) and data.draw(st.integers(0, 3)):
            case.path_parameters["id"] = data.draw(st.sampled_from(pool))
        with transaction.atomic():
            response = case.call(headers=headers)
            transaction.set_rollback(True)
        statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - every operation is fuzzed, all failures listed
        failures.append(f"{role or 'anonymous'} {label}: {exc}")
    return statuses


def test_schema_operations_are_all_loaded(world):
    """Every operation the schema lists is fuzzed: none is lost between the schema and schemathesis."""
    paths = world.schema.raw_schema["paths"]
    listed = {f"{m.upper()} {p}" for p, item in paths.items() for m in item if m in METHODS}
    loaded = {f"{op.method.upper()} {op.path}" for op in world.operations}
    assert loaded == listed
    print(f"{len(loaded)} operations in /api/schema/")


@pytest.mark.parametrize("role", ROLES, ids=[r or "anonymous" for r in ROLES])
def test_fuzz_every_operation(world, role):
    failures, statuses, called = [], Counter(), Counter()
    started = time.monotonic()
    for operation in world.operations:
        seen = _fuzz(world, operation, role, failures)
        statuses.update(seen)
        called[f"{operation.method.upper()} {operation.path}"] = sum(seen.values())
    print(
        f"\n{role or 'anonymous'}: {len(called)} operations, {sum(statuses.values())} calls "
        f"{dict(sorted(statuses.items()))} in {time.monotonic() - started:.0f}s"
    )
    assert not failures, "\n\n".join(failures)
    # Still inside the module's transaction, demo intact (a request closing the connection would have lost it).
    from rest_framework.authtoken.models import Token

    assert Token.objects.filter(key__in=world.tokens.values()).count() == len(world.tokens)
    assert len(called) == len(world.operations)
    assert not [op for op, n in called.items() if n == 0], "operations never called"
