"""Documents on the real stack: a real Celery worker renders what a request queued after commit; two requests at
once make one document; two letters at once get consecutive numbers (PostgreSQL row locks)."""

import io
import threading
import time

import openpyxl
import pytest
from django.db import connection

from documents.models import DocumentNumber, GeneratedDocument
from documents.services import document_request
from reviews.services.batches import batch_create
from tests.application_helpers import open_chain
from tests.test_batch_services import recommended_apps

pytestmark = pytest.mark.integration


def wait_for(predicate, timeout=90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    return predicate()


@pytest.fixture
def chain(regions, tree_tx, django_user_model):
    root = django_user_model.objects.create_superuser("root-docs", "root@example.test", "x-unused-password-1")
    notice = open_chain(tree_tx, root)
    return tree_tx, notice


def test_a_real_worker_renders_the_summary_table(chain, celery_worker_process, settings):
    tree, notice = chain
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(celery_worker_process["media_dir"])},
        },
    }
    apps = recommended_apps(tree, notice, 2)
    batch = batch_create(actor=tree.users["county"], authority=tree.county, notice=notice, applications=apps)
    doc = document_request(actor=tree.users["county"], kind="batch_summary", owner=batch)
    assert doc.status == "queued"
    done = wait_for(lambda: GeneratedDocument.objects.filter(pk=doc.pk, status__in=["done", "failed"]).first())
    assert done is not None, celery_worker_process["log"].read_text()[-3000:]
    assert done.status == "done", done.error
    assert done.attempts == 1 and done.started_at <= done.finished_at
    with done.file.open("rb") as fh:
        sheet = openpyxl.load_workbook(io.BytesIO(fh.read())).worksheets[0]
    names = {c for row in sheet.iter_rows(values_only=True) for c in row if c}
    assert {a.applicant.name for a in apps} <= names
    # Asked again with nothing changed: the same document, nothing queued.
    again = document_request(actor=tree.users["county"], kind="batch_summary", owner=batch)
    assert again.pk == doc.pk and GeneratedDocument.objects.count() == 1


def _in_threads(*calls):
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def run(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()  # each thread's own connection; left open it blocks dropping the test database

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


def test_two_letters_at_once_get_consecutive_numbers(chain):
    tree, notice = chain
    user = tree.users["county"]
    first = batch_create(
        actor=user, authority=tree.county, notice=notice, applications=recommended_apps(tree, notice, 1)
    )
    from tests.chain_helpers import recommend, submitted
    from tests.factories import enterprise, member

    extra = enterprise("小店并发测试企业有限公司", tree.county)
    app = recommend(submitted(tree, notice, applicant=extra, user=member(extra)), user)
    second = batch_create(actor=user, authority=tree.county, notice=notice, applications=[app])
    from documents.letter_templates import template_for
    from documents.numbers import number_allocate

    prefix = template_for(tree.county, "recommend").code_prefix
    numbers = _in_threads(
        lambda: number_allocate(authority=tree.county, letter="recommend", owner=first, prefix=prefix, user=user),
        lambda: number_allocate(authority=tree.county, letter="recommend", owner=second, prefix=prefix, user=user),
    )
    assert sorted(n.number for n in numbers) == [1, 2]
    assert DocumentNumber.objects.filter(authority=tree.county).count() == 2


def test_two_requests_at_once_make_one_document(chain, celery_worker_process, settings):
    tree, notice = chain
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(celery_worker_process["media_dir"])},
        },
    }
    user = tree.users["county"]
    batch = batch_create(
        actor=user, authority=tree.county, notice=notice, applications=recommended_apps(tree, notice, 1)
    )
    docs = _in_threads(
        lambda: document_request(actor=user, kind="batch_summary", owner=batch),
        lambda: document_request(actor=user, kind="batch_summary", owner=batch),
    )
    assert docs[0].pk == docs[1].pk and GeneratedDocument.objects.count() == 1
    done = wait_for(lambda: GeneratedDocument.objects.filter(pk=docs[0].pk, status="done").first())
    assert done is not None and done.attempts == 1
