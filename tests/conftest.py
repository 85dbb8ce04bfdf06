import os
from types import SimpleNamespace

import pytest
from django.core.management import call_command

# Playwright's sync API runs an event loop in the test thread; Django's ORM must still be usable there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

DEMO_PASSWORD = "greenmfg-demo"


@pytest.fixture(autouse=True)
def _celery_eager(request):
    """Tasks run in-process, also in the PostgreSQL run where a broker is set; only integration tests use the
    real worker (they start their own on a queue of their own)."""
    if request.node.get_closest_marker("integration"):
        yield
        return
    from greenmfg.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Rate limits (公示 objections) count in the cache: each test starts from none. Configuration is kept between
    requests as in production (one test process: its local cache is shared by all it runs)."""
    from django.core.cache import cache

    settings.SHARED_CONFIG_CACHE = True
    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _fast_hashers(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # Production settings want collectstatic's manifest; tests render templates straight from the sources.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def media_tmp(settings, tmp_path):
    """Uploaded and generated files go to a temporary folder, never to var/media."""
    location = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(location)}},
    }
    return location


@pytest.fixture
def demo(db, media_tmp):
    call_command("load_demo", force=True, stdout=open(os.devnull, "w"))  # noqa: SIM115
    from django.contrib.auth import get_user_model

    from organizations.models import Organization

    users = {u.username: u for u in get_user_model().objects.all()}
    orgs = {o.name: o for o in Organization.objects.all()}
    return SimpleNamespace(users=users, orgs=orgs, password=DEMO_PASSWORD)


@pytest.fixture
def tree(db):
    """A small authority tree in two cities, with applicants and departments under each county."""
    from tests.factories import authority, department, enterprise, member

    ministry = authority("工信部节能司（测试）", "110000", "ministry")
    province = authority("山西省工信厅（测试）", "140000", "province", ministry)
    city = authority("太原市工信局（测试）", "140100", "city", province)
    county = authority("小店区工信局（测试）", "140105", "county", city)
    other_city = authority("大同市工信局（测试）", "140200", "city", province)
    other_county = authority("平城区工信局（测试）", "140213", "county", other_city)
    ent = enterprise("小店测试企业有限公司", county)
    other_ent = enterprise("平城测试企业有限公司", other_county)
    eco = department("小店区生态环境（测试）", county, "ecology")
    other_eco = department("平城区生态环境（测试）", other_county, "ecology")
    ns = SimpleNamespace(
        ministry=ministry,
        province=province,
        city=city,
        county=county,
        other_city=other_city,
        other_county=other_county,
        ent=ent,
        other_ent=other_ent,
        eco=eco,
        other_eco=other_eco,
    )
    ns.users = {name: member(getattr(ns, name), username=f"u-{name}") for name in vars(ns).copy()}
    return ns
