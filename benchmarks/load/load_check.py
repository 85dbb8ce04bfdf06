"""After a run: what the load client was told was accepted must be in the database, once, and nothing more.

- every accepted upload: exactly one MaterialFile with its sha256, on the right application and material, the stored
  file present with the same sha256; and no upload row by a load account that the client did not see accepted;
- every accepted submission: the application left the draft, one `application.submit` event, one open or decided
  referral at the first authority;
- every accepted decision: the application in the decision's state, the deciding authority's referral carrying that
  decision with the reviewer and the opinion, one audit event of that verb; no application decided twice;
- every downloaded document: done, its stored file and the download with the same sha256.
"""

import hashlib
import json
from collections import Counter
from pathlib import Path

STATE_AFTER = {"recommend": "recommended", "return": "returned", "not_recommend": "not_recommended"}


def read_records(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def file_sha(field) -> str | None:
    try:
        with field.open("rb") as handle:
            digest = hashlib.sha256()
            for chunk in iter(lambda: handle.read(1 << 16), b""):
                digest.update(chunk)
            return digest.hexdigest()
    except (FileNotFoundError, ValueError):
        return None
    finally:
        field.close()


def check(records: list[dict], *, since) -> dict:
    from django.contrib.contenttypes.models import ContentType

    from activity.models import AuditEvent
    from applications.models import Application, MaterialFile
    from documents.models import GeneratedDocument
    from reviews.models import Referral

    problems: list[str] = []
    by_type = Counter(r["type"] for r in records)
    app_type = ContentType.objects.get_for_model(Application)

    def events(application_id: int, verb: str) -> int:
        return AuditEvent.objects.filter(target_type=app_type, target_id=str(application_id), verb=verb).count()

    # uploads
    uploads = [r for r in records if r["type"] == "upload"]
    rows = {
        f.sha256: f
        for f in MaterialFile.objects.filter(sha256__in=[u["sha256"] for u in uploads]).select_related("uploaded_by")
    }
    counts = Counter(
        MaterialFile.objects.filter(sha256__in=[u["sha256"] for u in uploads]).values_list("sha256", flat=True)
    )
    for u in uploads:
        row = rows.get(u["sha256"])
        if row is None:
            problems.append(f"upload lost: application {u['application']} material {u['kind']} ({u['name']})")
            continue
        if counts[u["sha256"]] != 1:
            problems.append(f"upload stored {counts[u['sha256']]} times: {u['name']}")
        if (row.application_id, row.kind, row.uploaded_by.username) != (u["application"], u["kind"], u["by"]):
            problems.append(f"upload on the wrong row: {u['name']} → {row.application_id}/{row.kind}")
        if row.size != u["size"] or file_sha(row.file) != u["sha256"]:
            problems.append(f"stored file differs from the upload: {u['name']} ({row.file.name})")
    accepted = {u["sha256"] for u in uploads}
    sent = {r["sha256"] for r in records if r["type"] == "upload sent"}
    refused = {r["sha256"] for r in records if r["type"] == "upload refused"}
    in_flight = 0
    for row in MaterialFile.objects.filter(
        uploaded_at__gte=since, uploaded_by__username__startswith="load-ent-"
    ).exclude(sha256__in=accepted):
        if row.sha256 in refused:
            problems.append(f"upload stored although the client was refused: {row.application_id}/{row.kind}")
        elif row.sha256 in sent:
            in_flight += 1  # sent, answer cut off when the run stopped: stored whole, which is right
        else:
            problems.append(f"upload stored that the client never sent: {row.application_id}/{row.kind}")
    versions = Counter(
        MaterialFile.objects.filter(application_id__in={u["application"] for u in uploads}, is_current=True)
        .values_list("application_id", "kind")
        .order_by()
    )
    problems += [f"{n} current versions of {app}/{kind}" for (app, kind), n in versions.items() if n != 1]

    # submissions
    submits = [r for r in records if r["type"] == "submit"]
    submitted = Application.objects.in_bulk([s["application"] for s in submits])
    for s in submits:
        application = submitted.get(s["application"])
        if application is None or application.state == "draft" or application.submitted_at is None:
            problems.append(f"submission lost: application {s['application']}")
            continue
        if events(application.pk, "application.submit") != 1:
            problems.append(
                f"application {application.pk}: {events(application.pk, 'application.submit')} submit events"
            )
        first = application.applicant.competent_authority_id
        if Referral.objects.filter(application=application, authority_id=first).count() != 1:
            problems.append(f"application {application.pk}: not exactly one referral at its first authority")

    # decisions
    decisions = [r for r in records if r["type"] == "decision"]
    twice = [app for app, n in Counter(d["application"] for d in decisions).items() if n > 1]
    problems += [f"application {app} decided twice by the load" for app in twice]
    decided = Application.objects.in_bulk([d["application"] for d in decisions])
    for d in decisions:
        application = decided[d["application"]]
        if application.state != STATE_AFTER[d["action"]]:
            problems.append(f"decision lost: {d['action']} of {application.pk}, state {application.state}")
        referral = (
            Referral.objects.filter(application=application, decided_by__username=d["by"]).exclude(decision="").first()
        )
        if referral is None or referral.decision != d["action"] or not referral.opinion:
            problems.append(f"decision not in the trail: {d['action']} of {application.pk} by {d['by']}")
        n = events(application.pk, f"application.{d['action']}")
        if n != 1:
            problems.append(f"application {application.pk}: {n} {d['action']} events")
        if application.version != d["version"] + 1:
            problems.append(f"application {application.pk}: version {application.version}, expected {d['version'] + 1}")

    # documents
    documents = [r for r in records if r["type"] == "document"]
    stored = GeneratedDocument.objects.in_bulk([d["document"] for d in documents])
    for d in documents:
        doc = stored.get(d["document"])
        if doc is None or doc.status != "done":
            problems.append(f"document {d['document']} not done")
        elif doc.sha256 != d["sha256"] or file_sha(doc.file) != d["sha256"]:
            problems.append(f"document {d['document']}: download, row and file differ")
    pending = GeneratedDocument.objects.filter(created_at__gte=since).exclude(status="done")
    problems += [f"document {doc.pk} left {doc.status}: {doc.error}" for doc in pending]

    return {
        "uploads": by_type["upload"],
        "uploads in flight at stop": in_flight,
        "submissions": by_type["submit"],
        "decisions": by_type["decision"],
        "documents": by_type["document"],
        "problems": problems,
    }
