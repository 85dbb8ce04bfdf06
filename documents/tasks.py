from celery import shared_task

MAX_RETRIES = 3


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def render_document(self, document_id: int) -> str:
    """Render one GeneratedDocument; retried on storage or database hiccups, then recorded as failed."""
    from .services import TRANSIENT, document_fail, document_render

    retries = self.request.retries
    while True:
        try:
            doc = document_render(document_id=document_id)
        except TRANSIENT as exc:
            if retries >= MAX_RETRIES:
                document_fail(document_id=document_id, error=f"多次重试后仍无法生成：{exc}")
                return "failed"
            if not self.request.is_eager:
                raise self.retry(exc=exc, countdown=2 ** (retries + 1)) from exc
            retries += 1  # embedded run: an eager Retry would only propagate, so try again in place
            continue
        return doc.status if doc is not None else "missing"
