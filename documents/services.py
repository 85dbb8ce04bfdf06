"""Requesting and rendering documents. A request builds the data, hashes it and queues a render only when no
document with the same inputs exists; the Celery task renders it (documents/tasks.py)."""

import dataclasses
import hashlib
import json
import re
import uuid
from datetime import date, datetime
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import DatabaseError, transaction
from django.utils import timezone

from activity.services import audit_record
from organizations.models import Organization
from organizations.selectors import acting_org_ids

from .kinds import KINDS, Kind
from .letter_templates import template_for
from .models import GeneratedDocument
from .numbers import number_allocate

Status = GeneratedDocument.Status
# storage and database hiccups are worth a retry; anything else is a fault of the inputs or the renderer
TRANSIENT = (OSError, DatabaseError)
STALE_AFTER = 15 * 60  # a queued or running render older than this is queued again (its worker died)


def _default(value):
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot hash {type(value).__name__}")


def input_hash(kind: Kind, data) -> str:
    payload = json.dumps(
        {"kind": kind.code, "version": kind.version, "data": data},
        default=_default,
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def scope_of(kind: Kind, owner, scope: Organization | None) -> Organization:
    if kind.scope:
        return getattr(owner, kind.scope)
    if scope is None:
        raise ValidationError("请指明以哪个单位的名义生成该文书。")
    return scope


def may_request(user, kind: Kind, scope: Organization) -> bool:
    if kind.requesters == "viewers":
        return True
    return user.is_superuser or scope.pk in acting_org_ids(user)


def document_request(*, actor, kind: str, owner, scope: Organization | None = None, request=None) -> GeneratedDocument:
    """The document of these inputs: an existing one when nothing changed, else a new one queued for rendering.

    The caller has checked that `owner` is visible to the actor (selectors.owner_for)."""
    spec = KINDS.get(kind)
    if spec is None:
        raise ValidationError("未知的文书类型。")
    scope = scope_of(spec, owner, scope)
    if not may_request(actor, spec, scope):
        raise PermissionDenied(f"只有{scope.name}的工作人员可以生成{spec.label}。")
    if spec.letter:
        template = template_for(scope, spec.letter)
        number_allocate(authority=scope, letter=spec.letter, owner=owner, prefix=template.code_prefix, user=actor)
    digest = input_hash(spec, spec.builder()(owner, scope))
    ct = ContentType.objects.get_for_model(owner)
    with transaction.atomic():
        doc, created = GeneratedDocument.objects.get_or_create(
            kind=spec.code,
            owner_type=ct,
            owner_id=owner.pk,
            scope=scope,
            input_hash=digest,
            defaults={"created_by": actor if actor.is_authenticated else None},
        )
        doc = GeneratedDocument.objects.select_for_update(of=("self",)).get(pk=doc.pk)
        stale = doc.is_pending and (timezone.now() - doc.created_at).total_seconds() > STALE_AFTER
        if not created and doc.status != Status.FAILED and not stale:
            return doc
        if not created:
            doc.status, doc.error, doc.progress = Status.QUEUED, "", 0
            doc.created_by = actor if actor.is_authenticated else None
            doc.created_at = timezone.now()
            doc.save(update_fields=["status", "error", "progress", "created_by", "created_at"])
        audit_record(
            actor=actor,
            verb="document.request",
            target=doc,
            organization=scope,
            after=spec.label,
            reason=f"{owner}",
            request=request,
        )
        pk = doc.pk
        transaction.on_commit(lambda: _enqueue(pk))
    return doc


def _enqueue(pk: int) -> None:
    from .tasks import render_document

    render_document.delay(pk)


def _filename(spec: Kind, owner) -> str:
    label = re.sub(r"（.*?）", "", spec.label)
    stem = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "", f"{owner}-{label}")[:120].strip(" .") or label
    return f"{stem}.{spec.ext}"


class _Progress:
    """Writes the renderer's progress at most once a second, outside any open transaction."""

    def __init__(self, pk: int):
        self.pk, self.last = pk, 0.0

    def __call__(self, fraction: float) -> None:
        now = timezone.now().timestamp()
        if now - self.last < 1:
            return
        self.last = now
        pct = max(0, min(99, int(fraction * 100)))
        GeneratedDocument.objects.filter(pk=self.pk, status=Status.RUNNING).update(progress=pct)


def document_render(*, document_id: int) -> GeneratedDocument | None:
    """Render one queued document. Idempotent: a finished one is left alone. Transient errors propagate (the task
    retries them); any other error marks the document failed with the reason."""
    with transaction.atomic():
        doc = GeneratedDocument.objects.select_for_update(of=("self",)).filter(pk=document_id).first()
        if doc is None or doc.status == Status.DONE:
            return doc
        doc.status, doc.started_at, doc.progress = Status.RUNNING, timezone.now(), 0
        doc.attempts += 1
        doc.save(update_fields=["status", "started_at", "progress", "attempts"])
    spec = KINDS.get(doc.kind)
    owner = doc.owner
    if spec is None or owner is None:
        return document_fail(document_id=doc.pk, error="文书所属对象已不存在，无法生成。")
    try:
        content = spec.renderer()(spec.builder()(owner, doc.scope), progress=_Progress(doc.pk))
    except TRANSIENT:
        raise
    except Exception as exc:  # the renderer's own message is what the user needs to read
        return document_fail(document_id=doc.pk, error=_reason(exc))
    doc.file.save(f"{uuid.uuid4().hex}.{spec.ext}", ContentFile(content), save=False)
    doc.filename = _filename(spec, owner)
    doc.content_type = spec.content_type
    doc.size = len(content)
    doc.sha256 = hashlib.sha256(content).hexdigest()
    doc.status, doc.error, doc.progress = Status.DONE, "", 100
    doc.finished_at = timezone.now()
    doc.save(
        update_fields=[
            "file",
            "filename",
            "content_type",
            "size",
            "sha256",
            "status",
            "error",
            "progress",
            "finished_at",
        ]
    )
    return doc


def document_fail(*, document_id: int, error: str) -> GeneratedDocument | None:
    doc = GeneratedDocument.objects.filter(pk=document_id).first()
    if doc is None or doc.status == Status.DONE:
        return doc
    doc.status, doc.error, doc.finished_at = Status.FAILED, error[:2000], timezone.now()
    doc.save(update_fields=["status", "error", "finished_at"])
    audit_record(actor=None, verb="document.fail", target=doc, organization=doc.scope, after=doc.kind, reason=doc.error)
    return doc


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    text = str(exc).strip()
    return text if text else f"生成时出错（{type(exc).__name__}）"


def template_update(*, actor, authority: Organization, kind: str, fields: dict, request=None):
    """Save an authority's letter template (the form validated the placeholders)."""
    from .models import LetterTemplate

    if not (actor.is_superuser or authority.pk in acting_org_ids(actor)):
        raise PermissionDenied("只能修改本单位的公文模板。")
    with transaction.atomic():
        template = template_for(authority, kind)
        for name, value in fields.items():
            setattr(template, name, value)
        template.updated_by = actor
        template.save()
        audit_record(
            actor=actor,
            verb="letter_template.update",
            target=template,
            organization=authority,
            after=LetterTemplate.Kind(kind).label,
            request=request,
        )
    return template
