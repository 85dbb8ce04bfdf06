"""The applicant's life cycle: create, fill in, submit to the first authority, withdraw, return, resubmit."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from applications import services
from applications.models import MaterialFile, State
from applications.selectors import applications_visible_to, completeness
from reviews.models import Referral
from reviews.services import TransitionConflict, available_actions, transition_perform
from tests.application_helpers import open_chain, pdf, ready_application


@pytest.fixture
def notice(tree, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    return open_chain(tree, root)


def test_submit_sends_it_to_the_first_authority_which_then_sees_it(tree, notice):
    user = tree.users["ent"]
    app = ready_application(user, tree.ent, notice)
    assert completeness(app) == []
    assert app not in applications_visible_to(tree.users["county"])
    app = transition_perform(actor=user, application=app, action="submit")
    assert app.state == State.UNDER_REVIEW and app.holder == tree.county and app.version == 2
    assert Referral.objects.get(application=app).authority == tree.county
    assert app in applications_visible_to(tree.users["county"])
    # The city has not received it: 404 territory.
    assert app not in applications_visible_to(tree.users["city"])
    assert tree.users["county"].notifications.filter(title__startswith="新申报待审核").exists()


def test_submit_is_refused_with_reasons_when_incomplete(tree, notice):
    user = tree.users["ent"]
    app = services.application_create(actor=user, applicant=tree.ent, notice=notice, category="factory")
    with pytest.raises(ValidationError) as exc:
        transition_perform(actor=user, application=app, action="submit")
    text = " ".join(exc.value.messages)
    assert "申报信息未填写" in text and "缺少必须提交的材料：自评价报告" in text
    assert "负面清单声明还有9项未作答" in text and "尚未签署承诺书" in text
    app.refresh_from_db()
    assert app.state == State.DRAFT and not Referral.objects.exists()


def test_submit_after_the_applicant_deadline_is_refused_naming_it(tree, notice):
    user = tree.users["ent"]
    app = ready_application(user, tree.ent, notice)
    late = timezone.now() + timedelta(days=6)
    with pytest.raises(ValidationError) as exc:
        transition_perform(actor=user, application=app, action="submit", at=late)
    assert "已超过截止时间" in exc.value.messages[0] and "逾期则视为无申报企业" in exc.value.messages[0]
    app.refresh_from_db()
    assert app.state == State.DRAFT


def test_withdraw_return_and_resubmit(tree, notice):
    user, county_user = tree.users["ent"], tree.users["county"]
    app = transition_perform(actor=user, application=ready_application(user, tree.ent, notice), action="submit")
    assert [a["action"] for a in available_actions(county_user, app)] == ["recommend", "return", "not_recommend"]
    with pytest.raises(ValidationError, match="须填写理由"):
        transition_perform(actor=county_user, application=app, action="return")
    app = transition_perform(actor=county_user, application=app, action="return", reason="补充能效证明")
    assert app.state == State.RETURNED and app.holder == tree.ent
    assert Referral.objects.get(application=app).decision == "return"
    note = user.notifications.get(title__contains="退回修改")
    assert "补充能效证明" in note.body
    services.material_upload(
        actor=user,
        application=app,
        kind=str(notice.categories.get(category="factory").materials.get().pk),
        upload=pdf("新版.pdf"),
    )
    app = transition_perform(actor=user, application=app, action="resubmit")
    assert app.state == State.UNDER_REVIEW and Referral.objects.filter(application=app).count() == 2
    app = transition_perform(actor=user, application=app, action="withdraw")
    assert app.state == State.WITHDRAWN and app.holder == tree.ent
    app = transition_perform(actor=user, application=app, action="reopen")
    assert app.state == State.DRAFT


def test_a_withdraw_racing_a_county_decision_leaves_one_outcome(tree, notice):
    user, county_user = tree.users["ent"], tree.users["county"]
    app = transition_perform(actor=user, application=ready_application(user, tree.ent, notice), action="submit")
    seen_version = app.version  # both read the same page
    transition_perform(
        actor=county_user, application=app, action="not_recommend", reason="能效未达标", expected_version=seen_version
    )
    with pytest.raises(TransitionConflict, match="已被他人处理"):
        transition_perform(actor=user, application=app, action="withdraw", expected_version=seen_version)
    app.refresh_from_db()
    assert app.state == State.NOT_RECOMMENDED
    assert list(Referral.objects.filter(application=app).values_list("decision", flat=True)) == ["not_recommend"]


def test_only_the_holder_decides_and_only_the_applicant_submits(tree, notice):
    user = tree.users["ent"]
    app = ready_application(user, tree.ent, notice)
    with pytest.raises(PermissionDenied):
        transition_perform(actor=tree.users["county"], application=app, action="submit")
    app = transition_perform(actor=user, application=app, action="submit")
    for outsider in (tree.users["city"], tree.users["other_county"], user):
        with pytest.raises(PermissionDenied):
            transition_perform(actor=outsider, application=app, action="return", reason="x")


def test_reupload_keeps_versions_and_editing_locks_after_submit(tree, notice):
    user = tree.users["ent"]
    app = ready_application(user, tree.ent, notice)
    kind = str(notice.categories.get(category="factory").materials.get().pk)
    second = services.material_upload(actor=user, application=app, kind=kind, upload=pdf("第二版.pdf"))
    versions = list(
        MaterialFile.objects.filter(application=app, kind=kind)
        .order_by("version")
        .values_list("version", "is_current", "original_name")
    )
    assert versions == [(1, False, "材料.pdf"), (2, True, "第二版.pdf")]
    assert second.file.name.startswith("applications/") and "第二版" not in second.file.name
    app = transition_perform(actor=user, application=app, action="submit")
    with pytest.raises(ValidationError, match="不能修改"):
        services.material_upload(actor=user, application=app, kind=kind, upload=pdf("第三版.pdf"))
    assert MaterialFile.objects.filter(application=app, kind=kind).count() == 2


def test_a_fake_pdf_is_refused_and_nothing_is_stored(tree, notice, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    user = tree.users["ent"]
    app = services.application_create(actor=user, applicant=tree.ent, notice=notice, category="factory")
    kind = str(notice.categories.get(category="factory").materials.get().pk)
    with pytest.raises(ValidationError, match="无法识别或已损坏"):
        services.material_upload(actor=user, application=app, kind=kind, upload=pdf("报告.pdf", b"just text"))
    assert not MaterialFile.objects.exists()
    assert not any(tmp_path.rglob("*.*"))


def test_third_party_independence_and_report_only_by_the_assessor(tree, notice):
    from tests.factories import enterprise, member

    assessor_org = enterprise("测试评价机构有限公司", tree.province, kind="assessor")
    assessor_user = member(assessor_org)
    user = tree.users["ent"]
    app = ready_application(user, tree.ent, notice)
    services.application_update(
        actor=user,
        application=app,
        evaluation_mode="third_party",
        self_evaluation_org=assessor_org,
        self_evaluation_person="李四",
    )
    with pytest.raises(ValidationError, match="编制了本单位的自评价报告"):
        services.engagement_request(actor=user, application=app, assessor=assessor_org)
    services.application_update(actor=user, application=app, self_evaluation_org=None, self_evaluation_person="李四")
    engagement = services.engagement_request(actor=user, application=app, assessor=assessor_org)
    assert app in applications_visible_to(assessor_user)
    with pytest.raises(ValidationError, match="不能担任第三方评价项目负责人"):
        services.engagement_respond(actor=assessor_user, engagement=engagement, accept=True, lead_assessor="李四")
    services.engagement_respond(actor=assessor_user, engagement=engagement, accept=True, lead_assessor="张三")
    with pytest.raises(PermissionDenied):
        services.engagement_report(actor=user, engagement=engagement, score=90, upload=pdf())
    services.engagement_report(actor=assessor_user, engagement=engagement, score="91.5", upload=pdf("第三方报告.pdf"))
    app.refresh_from_db()
    assert app.data["third_party_score"] == 91.5 and completeness(app) == []
    app = transition_perform(actor=user, application=app, action="submit")
    assert app.holder == tree.county
