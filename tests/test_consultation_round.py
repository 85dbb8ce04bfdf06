"""Department consultation (征求意见) through the services: send, replies, proofs, waive, the recommend guard and
the objection as an eligibility fact."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from activity.models import AuditEvent, Notification
from applications.selectors import applications_visible_to
from eligibility.services import evaluate_application
from reviews.models import Consultation, ConsultationReply
from reviews.selectors.consultations import pending_replies_for, reply_matrix
from reviews.services.consultations import consultation_send, reply_submit, reply_waive
from tests.application_helpers import PDF_BYTES, open_chain, pdf, ready_application
from tests.chain_helpers import recommend, submitted
from tests.factories import department, enterprise, member


@pytest.fixture
def notice(tree, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    return open_chain(tree, root)


@pytest.fixture
def depts(tree):
    emergency = department("小店区应急管理局（测试）", tree.county, "emergency")
    tree.users["emergency"] = member(emergency, username="u-emergency")
    return [tree.eco, emergency]


def send(tree, apps, depts, days=3, **kwargs):
    return consultation_send(
        actor=tree.users["county"],
        authority=tree.county,
        applications=apps,
        departments=depts,
        due_on=timezone.localdate() + timedelta(days=days),
        **kwargs,
    )


def reply_of(consultation, app, dept) -> ConsultationReply:
    return ConsultationReply.objects.get(consultation=consultation, application=app, department=dept)


def past_due(consultation, days=1):
    """Time passes: the reply date is behind us (as the server sees it, Asia/Shanghai)."""
    Consultation.objects.filter(pk=consultation.pk).update(due_on=timezone.localdate() - timedelta(days=days))


def test_full_round(tree, notice, depts, media_tmp):
    eco, emergency = depts
    app = submitted(tree, notice)
    second_ent = enterprise("小店第二测试企业有限公司", tree.county)
    second_user = member(second_ent)
    app2 = submitted(tree, notice, applicant=second_ent, user=second_user)

    consultation = send(tree, [app, app2], depts, message="请于三日内反馈。")
    assert consultation.notice == notice
    assert ConsultationReply.objects.filter(consultation=consultation, opinion="pending").count() == 4
    # The departments may now see the applications and are told about them.
    assert applications_visible_to(tree.users["eco"]).filter(pk__in=[app.pk, app2.pk]).count() == 2
    assert Notification.objects.filter(recipient=tree.users["emergency"], url__contains=str(consultation.pk)).exists()
    assert AuditEvent.objects.filter(verb="consultation.send", target_id=str(app.pk)).count() == 1
    assert [r.application_id for r in pending_replies_for(eco)] == sorted([app.pk, app2.pk])

    # Recommend refused while replies are pending, naming the departments.
    with pytest.raises(ValidationError) as refused:
        recommend(app, tree.users["county"])
    assert eco.name in str(refused.value) and emergency.name in str(refused.value)

    # Ecology objects to app with a proof PDF; emergency has no objection.
    reply = reply_submit(
        actor=tree.users["eco"],
        reply=reply_of(consultation, app, eco),
        opinion="objection",
        reason="2025年3月发生废水超标排放事故，已立案处罚。",
        proof=pdf("处罚决定书.pdf"),
    )
    assert reply.negative_item == "NEG-ENVIRONMENT"  # the ecology department's default
    assert reply.proof_name == "处罚决定书.pdf" and len(reply.proof_sha256) == 64
    assert (media_tmp / reply.proof.name).read_bytes() == PDF_BYTES
    reply_submit(actor=tree.users["emergency"], reply=reply_of(consultation, app, emergency), opinion="no_objection")
    assert Notification.objects.filter(recipient=tree.users["county"], title__contains="有异议").exists()
    assert AuditEvent.objects.filter(verb="consultation.reply", target_id=str(app.pk)).count() == 2

    # The objection is a fact: NEG-ENVIRONMENT fails and recommend is refused naming it.
    evaluation = evaluate_application(app)
    finding = next(f for f in evaluation.findings if f["rule"] == "NEG-ENVIRONMENT")
    assert finding["outcome"] == "fail" and eco.name in finding["message"]
    with pytest.raises(ValidationError) as refused:
        recommend(app, tree.users["county"])
    assert "发生环境污染事故" in str(refused.value) and f"{eco.name}反馈有异议" in str(refused.value)
    assert "废水超标" not in finding["message"]  # the applicant reads rule messages; the reason is for reviewers

    # The department withdraws its objection: the fact goes, and the application may be recommended.
    reply_submit(actor=tree.users["eco"], reply=reply_of(consultation, app, eco), opinion="no_objection")
    assert next(f for f in evaluate_application(app).findings if f["rule"] == "NEG-ENVIRONMENT")["outcome"] == "pass"
    app = recommend(app, tree.users["county"])
    assert app.state == "recommended"
    # Decided: replies on it can no longer change.
    with pytest.raises(ValidationError) as refused:
        reply_submit(actor=tree.users["eco"], reply=reply_of(consultation, app, eco), opinion="objection", reason="x")
    assert "已对该申报作出决定（推荐）" in str(refused.value)

    # app2: ecology answers, emergency stays silent. Waive refused before the due date, accepted after.
    reply_submit(actor=tree.users["eco"], reply=reply_of(consultation, app2, eco), opinion="no_objection")
    silent = reply_of(consultation, app2, emergency)
    with pytest.raises(ValidationError) as refused:
        reply_waive(actor=tree.users["county"], reply=silent, reason="已电话催办")
    assert "截止日之后" in str(refused.value)
    assert reply_of(consultation, app2, emergency).waived_at is None
    past_due(consultation)
    with pytest.raises(ValidationError) as refused:
        reply_waive(actor=tree.users["county"], reply=silent, reason="  ")
    assert "请说明" in str(refused.value)
    with pytest.raises(PermissionDenied):
        reply_waive(actor=tree.users["eco"], reply=silent, reason="我们替他说")
    reply_waive(actor=tree.users["county"], reply=silent, reason="5月20日电话催办，部门未反馈。")
    silent.refresh_from_db()
    assert silent.waived_by == tree.users["county"] and silent.waived_reason == "5月20日电话催办，部门未反馈。"
    assert AuditEvent.objects.filter(verb="consultation.waive", target_id=str(app2.pk)).exists()
    with pytest.raises(ValidationError):
        reply_waive(actor=tree.users["county"], reply=silent, reason="再记一次")
    app2 = recommend(app2, tree.users["county"])
    assert app2.state == "recommended"


def test_a_fake_pdf_is_refused_and_nothing_is_stored(tree, notice, depts, media_tmp):
    app = submitted(tree, notice)
    consultation = send(tree, [app], depts)
    reply = reply_of(consultation, app, tree.eco)
    fake = SimpleUploadedFile("证明.pdf", b"MZ\x90\x00 this is not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError) as refused:
        reply_submit(actor=tree.users["eco"], reply=reply, opinion="objection", reason="事故", proof=fake)
    assert "无法识别或已损坏" in str(refused.value)
    reply.refresh_from_db()
    assert (reply.opinion, reply.proof.name, reply.proof_sha256) == ("pending", "", "")
    assert not (media_tmp / "consultations").exists()
    assert not AuditEvent.objects.filter(verb="consultation.reply").exists()


def test_reply_rules(tree, notice, depts):
    app = submitted(tree, notice)
    consultation = send(tree, [app], depts)
    reply = reply_of(consultation, app, tree.eco)
    with pytest.raises(ValidationError) as refused:
        reply_submit(actor=tree.users["eco"], reply=reply, opinion="objection")
    assert "请说明理由" in str(refused.value)
    with pytest.raises(ValidationError):
        reply_submit(actor=tree.users["eco"], reply=reply, opinion="maybe")
    with pytest.raises(ValidationError):
        reply_submit(actor=tree.users["eco"], reply=reply, opinion="objection", reason="x", negative_item="NEG-FOO")
    with pytest.raises(PermissionDenied):
        reply_submit(actor=tree.users["emergency"], reply=reply, opinion="no_objection")
    with pytest.raises(PermissionDenied):
        reply_submit(actor=tree.users["county"], reply=reply, opinion="no_objection")
    # Any negative-list item may be named; a late reply is accepted.
    past_due(consultation)
    reply = reply_submit(
        actor=tree.users["eco"], reply=reply, opinion="objection", reason="偷排被罚", negative_item="NEG-TAX"
    )
    assert reply.negative_item == "NEG-TAX"
    consultation.refresh_from_db()
    eco_cell, emergency_cell = reply_matrix(consultation, tree.users["county"]).rows[0].cells
    assert eco_cell.late and not eco_cell.overdue
    assert emergency_cell.overdue and emergency_cell.waivable and not emergency_cell.late
    assert "逾期反馈" in AuditEvent.objects.get(verb="consultation.reply").reason


def test_send_rules(tree, notice, depts):
    app = submitted(tree, notice)
    draft_ent = enterprise("小店草稿测试企业有限公司", tree.county)
    draft = ready_application(member(draft_ent), draft_ent, notice)  # not submitted: held by its applicant
    with pytest.raises(PermissionDenied):
        consultation_send(
            actor=tree.users["other_county"],
            authority=tree.county,
            applications=[app],
            departments=depts,
            due_on=timezone.localdate(),
        )
    with pytest.raises(ValidationError) as refused:
        send(tree, [draft], depts)
    assert "不在本单位审核中" in str(refused.value)
    with pytest.raises(ValidationError) as refused:
        send(tree, [app], [tree.other_eco])
    assert "对口的协同部门" in str(refused.value)
    with pytest.raises(ValidationError) as refused:
        send(tree, [app], depts, days=-1)
    assert "不能早于今天" in str(refused.value)
    with pytest.raises(ValidationError) as refused:
        send(tree, [], [])
    assert "请选择要征求意见的申报" in str(refused.value) and "至少选择一个" in str(refused.value)
    assert not Consultation.objects.exists()
    send(tree, [app], depts, days=0)  # today is fine
    with pytest.raises(ValidationError) as refused:
        send(tree, [app], [tree.eco])
    assert "无需重复征求" in str(refused.value)


def test_a_department_sees_only_its_own_column(tree, notice, depts):
    eco, emergency = depts
    app = submitted(tree, notice)
    consultation = send(tree, [app], depts)
    reply_submit(
        actor=tree.users["emergency"], reply=reply_of(consultation, app, emergency), opinion="objection", reason="事故"
    )
    matrix = reply_matrix(consultation, tree.users["eco"])
    assert [d.pk for d in matrix.departments] == [eco.pk]
    assert [c.reply.department_id for c in matrix.rows[0].cells] == [eco.pk]
    assert matrix.rows[0].cells[0].answerable and not matrix.is_authority
    full = reply_matrix(consultation, tree.users["county"])
    assert [d.pk for d in full.departments] == [eco.pk, emergency.pk]
    assert [c.reply.opinion for c in full.rows[0].cells] == ["pending", "objection"]
    assert not any(c.answerable for c in full.rows[0].cells)
