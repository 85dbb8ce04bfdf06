from datetime import timedelta

from applications import services
from applications.models import Engagement
from notices.models import Reminder
from notices.reminders import reminders_send
from tests.application_helpers import open_chain, ready_application
from tests.factories import enterprise, member


def test_drafts_and_unfinished_reports_are_reminded_once(tree, django_user_model, django_capture_on_commit_callbacks):
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    notice = open_chain(tree, root, applicant_days=5)
    user = tree.users["ent"]
    app = ready_application(user, tree.ent, notice)
    assessor = enterprise("提醒测试评价机构有限公司", tree.province, kind="assessor")
    assessor_user = member(assessor)
    services.application_update(actor=user, application=app, evaluation_mode="third_party")
    engagement = services.engagement_request(actor=user, application=app, assessor=assessor)
    services.engagement_respond(actor=assessor_user, engagement=engagement, accept=True, lead_assessor="张三")

    due = notice.deadlines.get(stage="applicant").due_at
    with django_capture_on_commit_callbacks(execute=True):
        sent = reminders_send(due - timedelta(days=4, hours=23))
    kinds = {(r.organization_id, r.kind.split("_")[0], r.days_before) for r in sent}
    assert (tree.ent.pk, "application", 7) in kinds
    assert (assessor.pk, "assessor", 7) in kinds
    note = user.notifications.get(title__startswith="截止提醒")
    assert "提交绿色工厂申报（当前为草稿）" in note.body
    assert (
        "上传小店测试企业有限公司的第三方评价报告和得分"
        in assessor_user.notifications.get(title__startswith="截止提醒").body
    )
    assert reminders_send(due - timedelta(days=4, hours=23)) == []
    # Once the report is in, the assessor is no longer reminded; the applicant still is, at 3 days.
    Engagement.objects.filter(pk=engagement.pk).update(report_submitted_at=due - timedelta(days=3))
    later = reminders_send(due - timedelta(days=2))
    assert {(r.organization_id, r.days_before) for r in later if r.kind.startswith(("application", "assessor"))} == {
        (tree.ent.pk, 3)
    }
    assert Reminder.objects.filter(organization=assessor).count() == 1
