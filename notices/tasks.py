from celery import shared_task


@shared_task(acks_late=True)
def notify_notice_published(notice_id: int) -> int:
    from .services import notice_notify_jurisdiction

    return notice_notify_jurisdiction(notice_id=notice_id)


@shared_task(acks_late=True)
def send_reminders() -> int:
    from .reminders import reminders_send

    return len(reminders_send())
