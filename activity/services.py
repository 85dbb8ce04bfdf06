from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .models import AuditEvent, Notification, OutboundEmail


def client_ip(request) -> str | None:
    if request is None:
        return None
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    return (forwarded.split(",")[0].strip() or None) if forwarded else request.META.get("REMOTE_ADDR") or None


SHORT = 64


def _short(value: str) -> str:
    return value if len(value) <= SHORT else value[: SHORT - 1] + "…"


def audit_record(
    *,
    actor,
    verb: str,
    target=None,
    organization=None,
    before: str = "",
    after: str = "",
    reason: str = "",
    request=None,
    ip: str | None = None,
) -> AuditEvent:
    # before/after are short state columns; a longer value keeps its whole text in the reason.
    details = []
    for label, value in (("变更前", before), ("变更后", after)):
        if len(value) > SHORT:
            details.append(f"{label}：{value}")
    if details:
        before, after = _short(before), _short(after)
        reason = "\n".join([reason, *details]) if reason else "\n".join(details)
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        organization=organization,
        verb=verb,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:255] if target is not None else "",
        before=before,
        after=after,
        reason=reason,
        ip=ip or client_ip(request),
    )


def notification_send(
    *, recipients, title: str, body: str = "", url: str = "", organization=None, email: bool = False
) -> list[Notification]:
    """In-app notification for each user; optionally an e-mail, queued and sent after commit."""
    recipients = list(recipients)
    notes = Notification.objects.bulk_create(
        [Notification(recipient=u, organization=organization, title=title, body=body, url=url) for u in recipients]
    )
    if email:
        for user in recipients:
            if user.email:
                email_queue(to=user.email, subject=title, body=body)
    return notes


def notification_mark_read(*, user, ids=None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(id__in=ids)
    return qs.update(read_at=timezone.now())


def email_queue(*, to: str, subject: str, body: str) -> OutboundEmail:
    from .tasks import send_outbound_email

    mail = OutboundEmail.objects.create(to=to, subject=subject, body=body)
    transaction.on_commit(lambda: send_outbound_email.delay(mail.pk))
    return mail


def email_deliver(*, email_id: int) -> OutboundEmail | None:
    """Send one queued e-mail; safe to run twice (a sent mail is not sent again).

    A transport error is recorded on the row and then raised, so the task can retry.
    """
    failure = None
    with transaction.atomic():
        mail = OutboundEmail.objects.select_for_update().filter(pk=email_id).first()
        if mail is None or mail.status == OutboundEmail.Status.SENT:
            return mail
        mail.attempts += 1
        try:
            send_mail(mail.subject, mail.body, None, [mail.to], fail_silently=False)
        except Exception as exc:  # noqa: BLE001 - any transport error is recorded and retried
            failure = exc
            mail.status = OutboundEmail.Status.FAILED
            mail.error = f"{type(exc).__name__}: {exc}"
        else:
            mail.status = OutboundEmail.Status.SENT
            mail.sent_at = timezone.now()
            mail.error = ""
        mail.save(update_fields=["status", "sent_at", "error", "attempts"])
    if failure is not None:
        raise failure
    return mail
