"""Every demo role × every object-level page, download and API endpoint → allowed or 404, against the table in
tests/permission_matrix_table.py. Endpoints are discovered from the URL conf and the OpenAPI schema, so a new one
fails here until the table says who may reach it."""

import logging
import os
import re
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.permission_matrix_objects import OBJECTS, Scene
from tests.permission_matrix_table import ANONYMOUS, API, PAGES, ROLES

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
# Outside the matrix: Django's own admin site (staff only, guarded by its own login) and DRF's format suffixes.
SKIPPED_PREFIXES = ("admin/", "api/")
PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


def discovered_pages() -> dict[str, str]:
    """URL name → route, for every routed page with a path parameter outside the API and the admin site."""
    found: dict[str, str] = {}

    def walk(patterns, prefix: str, namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if route.startswith(SKIPPED_PREFIXES) or not PARAM.search(route):
                    continue
                assert p.name, f"页面 /{route} 没有 URL 名称：权限矩阵按名称登记，请在 urls.py 中为它命名"
                found[namespace + p.name] = route

    walk(get_resolver().url_patterns, "", "")
    return found


def discovered_api() -> set[str]:
    """ "METHOD /path" for every operation with a path parameter, as /api/schema/ serves the schema."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        if "{" in path
        for method in operations
        if method in HTTP_METHODS
    }


HOW_TO_ADD = (
    "在 tests/permission_matrix_table.py 的 {table} 中登记：选用（或在 tests/permission_matrix_objects.py 的 OBJECTS 中"
    "新写）填参数的演示对象，按可见性规则列出可访问的角色"
)


def test_every_discovered_page_is_in_the_table():
    pages = discovered_pages()
    missing = [f"{n} (/{pages[n]})" for n in sorted(set(pages) - set(PAGES))]
    stale = sorted(set(PAGES) - set(pages))
    problems = []
    if missing:
        problems.append(f"未登记的页面 {missing}：" + HOW_TO_ADD.format(table="PAGES"))
    if stale:
        problems.append(f"PAGES 登记了已不存在的页面 {stale}：请删去")
    assert not problems, "\n".join(problems)
    assert len(pages) >= 80, len(pages)


def test_every_discovered_api_operation_is_in_the_table():
    operations = discovered_api()
    missing = sorted(operations - set(API))
    stale = sorted(set(API) - operations)
    problems = []
    if missing:
        problems.append(f"未登记的 API 操作 {missing}：" + HOW_TO_ADD.format(table="API"))
    if stale:
        problems.append(f"API 登记了已不存在的操作 {stale}：请删去")
    assert not problems, "\n".join(problems)
    assert len(operations) >= 45, len(operations)


def test_every_entry_names_a_known_object_and_known_roles():
    for key, entry in [*PAGES.items(), *API.items()]:
        assert entry.obj in OBJECTS, (key, entry.obj)
        assert entry.allowed <= set(ROLES), (key, entry.allowed - set(ROLES))
        assert entry.method in ("GET", "POST", ""), key


# ------------------------------------------------------------------------------------------------ the matrix


def outcome(response, *, api: bool, write: bool, anonymous: bool) -> str:
    """'ok' (reached), '404', 'login' / 'login-or-403' (anonymous turned away) or the status code as found.

    An action that refuses (400, 403, 409, 422, or a redirect with a message) has seen its object: 'ok'."""
    status = response.status_code
    if status == 404:
        # The plain 404 and nothing of the object: the site's page, or DRF's {"detail": …}.
        if api:
            plain = response.get("Content-Type", "").startswith("application/json") and set(response.json()) == {
                "detail"
            }
        else:
            plain = "页面不存在" in response.content.decode()
        return "404" if plain else "404-with-content"
    if status in (301, 302, 303):
        location = urlsplit(response["Location"]).path
        return "login" if location.startswith(("/accounts/login/", "/admin/login/")) else "ok"
    if anonymous and api and status in (401, 403):
        return "login-or-403"
    if 200 <= status < 300 or (write and status in (400, 403, 409, 422)):
        return "ok"
    return str(status)


def request(client, method: str, url: str, body: dict, *, api: bool):
    """One request in a savepoint rolled back afterwards: no request changes what the next one sees."""
    cache.clear()  # rate limits count in the cache, which a rollback does not undo
    with transaction.atomic():
        if method == "GET":
            response = client.get(url)
        elif api:
            response = getattr(client, method.lower())(url, body, format="json")
            if response.status_code == 415:  # an upload endpoint: the same minimal body as a form
                response = getattr(client, method.lower())(url, body, format="multipart")
        else:
            response = client.post(url, body)
        transaction.set_rollback(True)
    return response


def api_url(template: str, params: dict) -> str:
    values = {"id": params.get("pk"), **params}
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), template)


@pytest.fixture
def demo_scene(db, media_tmp):
    from tests.support import ensure_regions

    ensure_regions()
    call_command("load_demo", force=True, verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    return Scene()


def clients_for(scene: Scene) -> dict[str, tuple[Client, APIClient]]:
    """One page client and one API client per role, logged in once (session for pages, token for the API)."""
    clients = {ANONYMOUS: (Client(raise_request_exception=False), APIClient(raise_request_exception=False))}
    for role in ROLES:
        user = scene.user(role)
        web = Client(raise_request_exception=False)
        web.force_login(user)
        token, _ = Token.objects.get_or_create(user=user)
        rest = APIClient(raise_request_exception=False)
        rest.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        clients[role] = (web, rest)
    return clients


@pytest.fixture
def quiet_request_log():
    """Thousands of expected 404s would each be logged (and captured): keep only errors."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


def test_permission_matrix(demo_scene, quiet_request_log):
    params = {name: getter(demo_scene) for name, getter in OBJECTS.items()}
    routes = discovered_pages()
    clients = clients_for(demo_scene)
    mismatches, allowed_somewhere, refused_somewhere = [], set(), set()
    checks = []
    for name, entry in PAGES.items():
        kwargs = {k: v for k, v in params[entry.obj].items() if k in PARAM.findall(routes[name])}
        url = reverse(name, kwargs=kwargs)
        checks.append((f"{entry.method} {name}", entry, entry.method, url, params[entry.obj].get("_post", {}), False))
    for key, entry in API.items():
        method, template = key.split(" ", 1)
        url = api_url(template, params[entry.obj])
        checks.append((key, entry, method, url, params[entry.obj].get("_post", {}), True))

    for role, (web, rest) in clients.items():
        for key, entry, method, url, body, is_api in checks:
            response = request(rest if is_api else web, method, url, body, api=is_api)
            got = outcome(response, api=is_api, write=method != "GET", anonymous=role == ANONYMOUS)
            acceptable = entry.acceptable(role, api=is_api)
            if got not in acceptable:
                want = "/".join(sorted(acceptable))
                mismatches.append(f"{role:14} {key:52} {url:48} expected {want:12} got {got}")
            (allowed_somewhere if got == "ok" else refused_somewhere).add(role)

    assert not mismatches, f"{len(mismatches)} mismatches of {len(checks) * len(clients)}:\n" + "\n".join(mismatches)
    assert len(checks) >= 130
    assert allowed_somewhere >= set(ROLES) | {ANONYMOUS}
    assert refused_somewhere >= set(ROLES) | {ANONYMOUS}
