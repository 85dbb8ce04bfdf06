"""Integration tests: the real PostgreSQL and Redis, and a real Celery worker process started here."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.support import ensure_regions

ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(config, items):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql" or settings.CELERY_TASK_ALWAYS_EAGER:
        skip = pytest.mark.skip(reason="needs DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis): make test")
        for item in items:
            if "integration" in item.keywords:
                item.add_marker(skip)


@pytest.fixture
def regions(transactional_db):
    ensure_regions()


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, tmp_path_factory):
    """A real `celery worker` on its own queue, pointed at the test database."""
    from greenmfg.celery import app

    queue = f"greenmfg-test-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = queue
    mail_dir = tmp_path_factory.mktemp("mail")
    media_dir = tmp_path_factory.mktemp("worker-media")
    db = settings.DATABASES["default"]
    with django_db_blocker.unblock():
        test_db_name = connection.settings_dict["NAME"]
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{test_db_name}",
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(mail_dir),
            "CONN_MAX_AGE": "0",
            "MEDIA_ROOT": str(media_dir),
        }
    )
    log = open(mail_dir.parent / f"{queue}.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "greenmfg",
            "worker",
            "-P",
            "solo",
            "-Q",
            queue,
            "-n",
            f"{queue}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"celery worker exited: {Path(log.name).read_text()[-2000:]}")
        replies = app.control.ping(destination=[f"{queue}@{os.uname().nodename}"], timeout=1.0)
        if replies:
            break
    else:
        proc.terminate()
        raise RuntimeError("celery worker did not answer within 60 s")
    yield {"queue": queue, "mail_dir": mail_dir, "media_dir": media_dir, "log": Path(log.name)}
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture
def tree_tx(transactional_db, request):
    """The `tree` of tests/conftest.py, committed, for tests whose threads or processes must see it."""
    return request.getfixturevalue("tree")
