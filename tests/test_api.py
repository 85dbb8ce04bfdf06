"""REST API v1: token auth, /me/, paginated and scoped lists, the OpenAPI schema and its local docs page."""

import re

import pytest
from django.contrib.staticfiles import finders
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import PASSWORD


@pytest.fixture
def api():
    return APIClient()


def test_token_for_username_and_password(api, tree):
    user = tree.users["county"]
    response = api.post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token"}
    assert body["token"] == Token.objects.get(user=user).key


def test_wrong_password_gives_400_and_no_token(api, tree):
    user = tree.users["county"]
    response = api.post("/api/v1/auth/token/", {"username": user.username, "password": "wrong-one"}, format="json")
    assert response.status_code == 400
    assert "token" not in response.json()
    assert not Token.objects.filter(user=user).exists()


def test_me_with_token(api, tree):
    user = tree.users["county"]
    token = api.post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}).json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    response = api.get("/api/v1/me/")

    assert response.status_code == 200
    me = response.json()
    assert me["username"] == user.username
    assert me["is_superuser"] is False
    assert len(me["memberships"]) == 1
    membership = me["memberships"][0]
    assert membership["role"] == "admin"
    assert membership["role_display"] == "管理员"
    assert membership["organization"]["id"] == tree.county.pk
    assert membership["organization"]["name"] == tree.county.name
    assert membership["organization"]["level"] == "county"
    assert me["roles"] == [
        {"key": f"m{user.memberships.get().pk}", "dashboard": "authority", "label": f"{tree.county.name}（管理员）"}
    ]


def test_bad_token_is_refused(api, tree):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = api.get("/api/v1/me/")
    assert response.status_code in (401, 403)
    assert "username" not in response.json()


@pytest.mark.parametrize("path", ["/api/v1/me/", "/api/v1/organizations/", "/api/v1/notifications/"])
def test_anonymous_api_is_refused_not_redirected(client, tree, path):
    response = client.get(path)
    assert response.status_code in (401, 403)
    assert "Location" not in response.headers
    assert "detail" in response.json()
    assert "results" not in response.json()


def test_organizations_list_is_paginated_and_scoped(api, tree):
    api.force_authenticate(tree.users["county"])
    body = api.get("/api/v1/organizations/").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    assert body["next"] is None and body["previous"] is None
    assert {row["name"] for row in body["results"]} == {tree.county.name, tree.ent.name, tree.eco.name}
    ent = next(row for row in body["results"] if row["id"] == tree.ent.pk)
    assert ent["kind"] == "enterprise"
    assert ent["kind_display"] == "企业"
    assert ent["region"] == "140105"
    assert ent["region_name"] == "小店区"


def test_organizations_list_pages_at_twenty(api, tree):
    from tests.factories import enterprise

    for i in range(22):
        enterprise(f"分页测试企业{i:02d}", tree.county)
    api.force_authenticate(tree.users["county"])
    first = api.get("/api/v1/organizations/").json()
    assert first["count"] == 25
    assert len(first["results"]) == 20
    assert first["next"].endswith("/api/v1/organizations/?page=2")
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 5
    assert second["previous"] is not None
    ids = {r["id"] for r in first["results"]} | {r["id"] for r in second["results"]}
    assert len(ids) == 25


def test_notifications_api_lists_only_own(api, tree):
    from activity.services import notification_send

    notification_send(recipients=[tree.users["ent"]], title="给企业的通知")
    notification_send(recipients=[tree.users["county"]], title="给县局的通知")
    api.force_authenticate(tree.users["ent"])
    body = api.get("/api/v1/notifications/").json()
    assert body["count"] == 1
    assert body["results"][0]["title"] == "给企业的通知"


def test_openapi_schema_lists_the_endpoints(client, tree):
    client.force_login(tree.users["county"])
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "绿色制造名单推荐申报门户 API"
    for path in ["/api/v1/organizations/", "/api/v1/organizations/{id}/", "/api/v1/me/", "/api/v1/auth/token/"]:
        assert path in schema["paths"], path


def test_openapi_schema_yaml_by_default(client, tree):
    client.force_login(tree.users["county"])
    text = client.get("/api/schema/").content.decode()
    assert "openapi:" in text
    assert "/api/v1/organizations/:" in text


def test_api_docs_use_only_local_assets(client, tree):
    client.force_login(tree.users["county"])
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assets = re.findall(r"<(?:script|link)\b[^>]*?\b(?:src|href)=[\"']([^\"']+)[\"']", html)
    assert assets, html
    for url in assets:
        assert url.startswith("/static/"), url
    assert not re.search(r"https?://", " ".join(re.findall(r"<(?:script|link)\b[^>]*>", html)))
    assert "/api/schema/" in html
    # Swagger UI's default online validator badge would call validator.swagger.io from the browser.
    assert '"validatorUrl": null' in html
    for url in assets:  # shipped with the code (drf-spectacular-sidecar), not fetched from anywhere
        assert finders.find(url.removeprefix("/static/").split("?")[0]), url


def test_unknown_object_and_unreadable_body_are_refused_in_chinese(api, tree):
    api.force_authenticate(tree.users["county"])
    missing = api.get("/api/v1/organizations/987654/")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "未找到，或您无权查看。"}
    # An address no API route matches (an id that is not a number, a ".json" suffix) is a JSON 404 too.
    for path in ("/api/v1/organizations/1.5/", "/api/v1/notices/1/publish.json", "/api/v1/no-such-thing/"):
        unknown = api.get(path)
        assert unknown.status_code == 404, path
        assert unknown.json() == {"detail": "未找到，或您无权查看。"}, path
    garbled = api.post("/api/v1/auth/token/", b'{"username": ', content_type="application/json")
    assert garbled.status_code == 400
    assert garbled.json()["detail"].startswith("请求内容无法解析（JSON parse error")
    assert not Token.objects.exists()


def test_schema_documents_the_errors_every_operation_can_give(client, tree):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    # Not logged in → 403; an unknown object or page → 404; a malformed filter → 400.
    assert {"200", "403", "404"} <= set(paths["/api/v1/organizations/{id}/"]["get"]["responses"])
    assert {"200", "400", "403", "404"} <= set(paths["/api/v1/notices/"]["get"]["responses"])
    assert paths["/api/v1/notices/"]["get"]["responses"]["404"]["description"].startswith("页码无效")
    # The token endpoint needs no login, and says so.
    token = paths["/api/v1/auth/token/"]["post"]
    assert {"200", "400"} <= set(token["responses"]) and "403" not in token["responses"]
    assert token.get("security", []) in ([], [{}])
    # Public operations (the 公示) have no 403 for the anonymous.
    assert "403" not in paths["/api/v1/publicity/{id}/"]["get"]["responses"]
