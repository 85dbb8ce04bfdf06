"""Logging in, lockout, login-required pages, password change and switching roles."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from activity.models import AuditEvent
from organizations.middleware import SESSION_KEY
from organizations.services import membership_add
from tests.factories import PASSWORD

DASHBOARDS = {
    "admin": "系统管理工作台",
    "ministry": "部级主管部门工作台",
    "province": "省级主管部门工作台",
    "city": "市级主管部门工作台",
    "city2": "市级主管部门工作台",
    "zone": "市级主管部门工作台",
    "county": "县级主管部门工作台",
    "devzone": "县级主管部门工作台",
    "eco": "生态环境部门工作台",
    "safety": "应急管理部门工作台",
    "market": "市场监管部门工作台",
    "county-eco": "生态环境部门工作台",
    "county-safety": "应急管理部门工作台",
    "county-market": "市场监管部门工作台",
    "enterprise": "申报单位工作台",
    "enterprise2": "申报单位工作台",
    "park": "申报单位工作台",
    "assessor": "第三方评价机构工作台",
    "assessor2": "第三方评价机构工作台",
    "expert": "评审专家工作台",
    "expert2": "评审专家工作台",
}
LOGIN_ERROR = re.compile(r'<ul class="errorlist" role="alert">(.*?)</ul>', re.S)


def h1(html: str) -> str:
    return re.sub(r"<[^>]+>", "", re.search(r"<h1>(.*?)</h1>", html, re.S).group(1)).strip()


def test_every_demo_login_lands_on_its_dashboard(client, demo):
    assert set(DASHBOARDS) <= set(demo.users)
    for username, heading in DASHBOARDS.items():
        client.cookies.clear()
        response = client.post("/accounts/login/", {"username": username, "password": demo.password}, follow=True)
        assert response.redirect_chain == [("/dashboard/", 302)], username
        page = response.content.decode()
        assert h1(page).startswith(heading), (username, h1(page))
        user = demo.users[username]
        assert (user.get_full_name() or username) in page, username
        assert int(client.session["_auth_user_id"]) == user.pk


def test_dashboards_name_the_users_organization(client, demo):
    client.force_login(demo.users["devzone"])
    page = client.get("/dashboard/").content.decode()
    assert "太原经济技术开发区经济发展局" in page
    client.force_login(demo.users["enterprise"])
    page = client.get("/dashboard/").content.decode()
    assert "山西晋阳精密机械有限公司" in page
    client.force_login(demo.users["expert2"])
    page = client.get("/dashboard/").content.decode()
    assert "山西省工业和信息化厅" in page


def test_wrong_password_message_is_the_same_for_known_and_unknown_users(client, demo):
    known = client.post("/accounts/login/", {"username": "county", "password": "wrong-password"})
    unknown = client.post("/accounts/login/", {"username": "no-such-user", "password": "wrong-password"})
    assert known.status_code == unknown.status_code == 200
    known_error = LOGIN_ERROR.search(known.content.decode()).group(1)
    unknown_error = LOGIN_ERROR.search(unknown.content.decode()).group(1)
    assert known_error == unknown_error
    assert "密码" in known_error
    assert "_auth_user_id" not in client.session


def test_lockout_after_failure_limit_even_with_right_password(client, demo, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post("/accounts/login/", {"username": "city", "password": "wrong-password"})
        assert response.status_code == 200
        assert LOGIN_ERROR.search(response.content.decode())
    fifth = client.post("/accounts/login/", {"username": "city", "password": "wrong-password"})
    assert "登录失败次数过多" in fifth.content.decode()

    right = client.post("/accounts/login/", {"username": "city", "password": demo.password})
    assert right.status_code != 302
    assert "登录失败次数过多" in right.content.decode()
    assert "_auth_user_id" not in client.session
    assert not AuditEvent.objects.filter(verb="auth.login", actor=demo.users["city"]).exists()
    assert AuditEvent.objects.filter(verb="auth.login_failed", reason="用户名：city").count() >= 5

    # Another account from the same address is not locked.
    other = client.post("/accounts/login/", {"username": "city2", "password": demo.password})
    assert other.status_code == 302


# Pages need a login.

PUBLIC = {
    "/",
    "/healthz",
    "/accounts/login/",
    "/admin/login/",
    "/publicity/",
    "/lists/",
    "/favicon.ico",
}  # 公示 and the lists are public


def all_paths(pk: int) -> list[str]:
    """Every routed path outside the API and static files, with an existing primary key filled in."""
    found = []

    def walk(patterns, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if route.startswith(("api/", "static/")) or route.startswith("^") or "(?P" in route:
                    continue
                route = re.sub(r"<int:\w+>", str(pk), route)
                route = re.sub(r"<(?:\w+:)?\w+>", "x", route)
                found.append("/" + route)

    walk(get_resolver().url_patterns, "")
    return sorted(set(found))


def test_every_page_but_public_ones_redirects_anonymous_users_to_login(client, tree):
    paths = all_paths(tree.ent.pk)
    for expected in ["/dashboard/", "/organizations/", f"/organizations/{tree.ent.pk}/", "/activity/", "/role/"]:
        assert expected in paths
    checked = 0
    for path in paths:
        if path in PUBLIC:
            continue
        response = client.get(path)
        if response.status_code == 404:  # e.g. admin routes for a model with that id; nothing leaks
            continue
        assert response.status_code == 302, path
        assert response["Location"].startswith(("/accounts/login/?next=", "/admin/login/?next=")), path
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize("path", ["/", "/healthz", "/accounts/login/"])
def test_public_pages_are_open(client, db, path):
    response = client.get(path)
    assert response.status_code == 200
    if path == "/healthz":
        assert response.json() == {"status": "ok"}
    else:
        assert "绿色制造名单推荐申报门户" in response.content.decode()


def test_favicon_ico_answers_with_the_portal_icon(client, db):
    # The admin's pages link no icon, so the browser asks for /favicon.ico; a 404 there is a console error.
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].startswith("/static/favicon") and response["Location"].endswith(".svg")


def test_login_redirects_back_to_next(client, tree):
    user = tree.users["county"]
    first = client.get("/organizations/")
    assert first["Location"] == "/accounts/login/?next=/organizations/"
    response = client.post(
        "/accounts/login/?next=/organizations/",
        {"username": user.username, "password": PASSWORD, "next": "/organizations/"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/organizations/"
    assert tree.ent.name in response.content.decode()


def test_password_change_works_and_is_audited(client, tree):
    user = tree.users["ent"]
    client.force_login(user)
    new = "Lvse-Zhizao-2025!"
    response = client.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/change/done/"
    user.refresh_from_db()
    assert user.check_password(new)
    assert not user.check_password(PASSWORD)
    event = AuditEvent.objects.get(verb="auth.password_change")
    assert event.actor == user
    assert event.target_id == str(user.pk)
    # Still logged in on this session; the new password works for a fresh login.
    assert client.get("/dashboard/").status_code == 200
    client.logout()
    assert client.post("/accounts/login/", {"username": user.username, "password": new}).status_code == 302


def test_password_change_with_wrong_old_password_changes_nothing(client, tree):
    user = tree.users["ent"]
    client.force_login(user)
    new = "Lvse-Zhizao-2025!"
    response = client.post(
        "/accounts/password/change/",
        {"old_password": "not-it", "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(verb="auth.password_change").exists()


# Role switching.


def test_switch_role_shows_the_other_dashboard(client, tree):
    user = tree.users["county"]
    second = membership_add(actor=None, user=user, organization=tree.ent, role="operator")
    client.force_login(user)

    page = client.get("/dashboard/").content.decode()
    assert h1(page).startswith("县级主管部门工作台")
    assert f'<option value="m{second.pk}"' in page  # the switcher offers both roles

    response = client.post("/role/", {"role": f"m{second.pk}"}, follow=True)
    assert response.redirect_chain[-1][0] == "/dashboard/"
    assert h1(response.content.decode()).startswith("申报单位工作台")
    assert client.session[SESSION_KEY] == f"m{second.pk}"

    # The choice sticks for later requests.
    assert h1(client.get("/dashboard/").content.decode()).startswith("申报单位工作台")


@pytest.mark.parametrize("key", ["m999999", "admin", "expert", ""])
def test_unknown_role_key_is_ignored(client, tree, key):
    user = tree.users["county"]
    membership_add(actor=None, user=user, organization=tree.ent, role="operator")
    client.force_login(user)
    response = client.post("/role/", {"role": key}, follow=True)
    assert h1(response.content.decode()).startswith("县级主管部门工作台")
    assert SESSION_KEY not in client.session


def test_role_of_another_user_is_ignored(client, tree):
    user = tree.users["county"]
    membership_add(actor=None, user=user, organization=tree.ent, role="operator")
    others = tree.users["city"].memberships.get()
    client.force_login(user)
    response = client.post("/role/", {"role": f"m{others.pk}"}, follow=True)
    assert h1(response.content.decode()).startswith("县级主管部门工作台")
    assert tree.city.name not in response.content.decode()


def test_switch_role_refuses_offsite_next(client, tree):
    user = tree.users["county"]
    second = membership_add(actor=None, user=user, organization=tree.ent, role="operator")
    client.force_login(user)
    response = client.post("/role/", {"role": f"m{second.pk}", "next": "https://evil.example/"})
    assert response["Location"] == "/dashboard/"


def test_passwords_are_stored_as_argon2id_and_old_pbkdf2_hashes_upgrade_at_login(client, tree, settings):
    from django.contrib.auth.hashers import make_password

    from greenmfg import settings as product

    settings.PASSWORD_HASHERS = product.PASSWORD_HASHERS  # the product's, not the fast test ones
    user = tree.users["county"]
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])
    assert user.password.startswith("pbkdf2_sha256$")

    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    # argon2$argon2id$v=19$m=19456,t=2,p=1$salt$hash
    algorithm, variety, version, params, *_ = user.password.split("$")
    assert (algorithm, variety, version, params) == ("argon2", "argon2id", "v=19", "m=19456,t=2,p=1")
    client.logout()
    assert client.post("/accounts/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
    client.logout()
    assert (
        client.post("/accounts/login/", {"username": user.username, "password": "wrong-" + PASSWORD}).status_code == 200
    )
