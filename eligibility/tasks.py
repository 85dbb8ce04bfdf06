from celery import shared_task


@shared_task(acks_late=True)
def evaluate_applications(application_ids: list[int]) -> int:
    from applications.models import Application

    from .services import evaluate

    apps = Application.objects.filter(pk__in=application_ids).select_related(
        "applicant", "applicant__competent_authority", "notice"
    )
    return len(evaluate(apps))


@shared_task(acks_late=True)
def evaluate_notice_task(notice_id: int) -> int:
    from .services import evaluate_notice

    return evaluate_notice(notice_id)
