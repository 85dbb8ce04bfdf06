"""Pending work that applications create, for the deadline reminders (notices.reminders)."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from notices.models import Deadline
from notices.reminders import THRESHOLDS, PendingWork
from notices.selectors import deadlines_for_notices

from .models import EDITABLE_STATES, Application, Engagement


def _due_soon(now: datetime):
    return lambda eff: eff is not None and now < eff.due_at <= now + timedelta(days=max(THRESHOLDS))


def applicants_with_drafts(now: datetime) -> Iterable[PendingWork]:
    """Applicants whose application is still a draft (or returned) as their submission deadline nears."""
    soon = _due_soon(now)
    for app in Application.objects.filter(state__in=EDITABLE_STATES, notice__status="published").select_related(
        "applicant", "notice"
    ):
        eff = deadlines_for_notices([app.notice], organization=app.applicant, stage=Deadline.Stage.APPLICANT)[
            app.notice_id
        ]
        if soon(eff):
            yield PendingWork(
                organization=app.applicant,
                deadline=eff,
                kind=f"application_{app.pk}",
                what=f"提交{app.get_category_display()}申报（当前为{app.get_state_display()}）",
            )


def assessors_with_reports_due(now: datetime) -> Iterable[PendingWork]:
    """Assessors that accepted a commission and have not uploaded the report before the applicant's deadline."""
    soon = _due_soon(now)
    for engagement in Engagement.objects.filter(
        status=Engagement.Status.ACCEPTED, report_submitted_at__isnull=True, application__state__in=EDITABLE_STATES
    ).select_related("assessor", "application", "application__applicant", "application__notice"):
        app = engagement.application
        eff = deadlines_for_notices([app.notice], organization=app.applicant, stage=Deadline.Stage.APPLICANT)[
            app.notice_id
        ]
        if soon(eff):
            yield PendingWork(
                organization=engagement.assessor,
                deadline=eff,
                kind=f"assessor_report_{engagement.pk}",
                what=f"上传{app.applicant.name}的第三方评价报告和得分",
            )
