from celery import shared_task

from .services import email_deliver


@shared_task(bind=True, acks_late=True, max_retries=5, default_retry_delay=60)
def send_outbound_email(self, email_id: int) -> None:
    try:
        email_deliver(email_id=email_id)
    except Exception as exc:  # noqa: BLE001 - transport errors are retried with back-off
        if self.request.is_eager:
            return
        raise self.retry(exc=exc, countdown=60 * (2**self.request.retries)) from exc
