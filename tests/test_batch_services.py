"""Recommendation batches through their services: numbering, ranking, findings, submit, receive and return."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from activity.models import AuditEvent, Notification
from applications import services as app_services
from applications.models import State
from applications.selectors import applications_visible_to
from notices.services import quota_set
from reviews.models import Batch, Referral
from reviews.services import transition_perform
from reviews.services.batches import (
    DOCUMENTS_PENDING,
    BatchConflict,
    batch_create,
    batch_delete,
    batch_findings,
    batch_items_set,
    batch_receive,
    batch_return,
    batch_scan_upload,
    batch_submit,
)
from tests.application_helpers import PDF_BYTES, open_chain, pdf, ready_application
from tests.chain_helpers import recommend, submitted
from tests.factories import enterprise, member


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")


@pytest.fixture
def notice(tree, root):
    return open_chain(tree, root)


def recommended_apps(tree, notice, n, *, county=None):
    """n applications of n enterprises under the county, recommended by it."""
    county = county or tree.county
    user = tree.users["county"] if county == tree.county else tree.users["other_county"]
    apps = []
    for i in range(n):
        if i == 0 and county == tree.county:
            applicant, ent_user = tree.ent, tree.users["ent"]
        else:
            applicant = enterprise(f"{county.name[:3]}批次测试企业{i}有限公司", county)
            ent_user = member(applicant)
        apps.append(recommend(submitted(tree, notice, applicant=applicant, user=ent_user), user))
    return apps


def ready_batch(tree, notice, n=2):
    apps = recommended_apps(tree, notice, n)
    batch = batch_create(actor=tree.users["county"], authority=tree.county, notice=notice, applications=apps)
    batch_scan_upload(actor=tree.users["county"], batch=batch, upload=pdf("推荐文（盖章）.pdf"))
    batch.refresh_from_db()
    return batch, apps


def test_create_numbers_titles_and_ranks_in_the_given_order(tree, notice):
    a, b, c = recommended_apps(tree, notice, 3)
    first = batch_create(actor=tree.users["county"], authority=tree.county, notice=notice, applications=[c, a])
    second = batch_create(actor=tree.users["county"], authority=tree.county, notice=notice, applications=[b])
    assert (first.number, second.number) == (1, 2)
    assert first.title == f"{tree.county.name}{notice.year}年度绿色制造名单第1批推荐"
    assert first.recipient == tree.city and first.state == Batch.State.DRAFT
    assert list(first.items.values_list("application_id", "rank")) == [(c.pk, 1), (a.pk, 2)]
    assert AuditEvent.objects.filter(verb="batch.create", target_id=str(first.pk)).exists()
    # An application already in a draft batch cannot be put in another one.
    with pytest.raises(ValidationError) as refused:
        batch_create(actor=tree.users["county"], authority=tree.county, notice=notice, applications=[a])
    assert f"已列入批次《{first.title}》" in str(refused.value)
    # Deleting the last draft frees its number for the next batch: max + 1, no gap.
    batch_delete(actor=tree.users["county"], batch=second)
    third = batch_create(actor=tree.users["county"], authority=tree.county, notice=notice, applications=[b])
    assert third.number == 2


def test_create_refuses_what_the_county_does_not_hold_or_did_not_recommend(tree, notice):
    (a,) = recommended_apps(tree, notice, 1)
    other = enterprise("未推荐企业有限公司", tree.county)
    under_review = submitted(tree, notice, applicant=other, user=member(other))
    with pytest.raises(ValidationError) as refused:
        batch_create(actor=tree.users["county"], authority=tree.county, notice=notice, applications=[a, under_review])
    assert "只有本单位已推荐的申报可以列入批次" in str(refused.value)
    assert not Batch.objects.exists()
    with pytest.raises(PermissionDenied):
        batch_create(actor=tree.users["other_county"], authority=tree.county, notice=notice, applications=[a])
    operator = member(tree.county, role="operator")
    with pytest.raises(PermissionDenied):
        batch_create(actor=operator, authority=tree.county, notice=notice, applications=[a])


def test_items_reorder_add_remove_only_in_draft(tree, notice):
    a, b, c = recommended_apps(tree, notice, 3)
    batch = batch_create(actor=tree.users["county"], authority=tree.county, notice=notice, applications=[a, b])
    batch = batch_items_set(actor=tree.users["county"], batch=batch, applications=[c, b])
    assert list(batch.items.order_by("rank").values_list("application_id", flat=True)) == [c.pk, b.pk]
    assert batch.version == 2
    with pytest.raises(BatchConflict):
        batch_items_set(actor=tree.users["county"], batch=batch, applications=[a], expected_version=1)


def test_findings_list_scan_deadline_and_the_documents_notice(tree, notice):
    apps = recommended_apps(tree, notice, 1)
    batch = batch_create(actor=tree.users["county"], authority=tree.county, notice=notice, applications=apps)
    findings = batch_findings(batch)
    codes = {(f.level, f.code) for f in findings}
    assert ("error", "SCAN") in codes and ("info", "DEADLINE") in codes
    assert any(f.message == DOCUMENTS_PENDING for f in findings)
    assert findings[0].level == "error"
    with pytest.raises(ValidationError) as refused:
        batch_submit(actor=tree.users["county"], batch=batch)
    assert "尚未上传推荐文和推荐汇总表签字盖章后的扫描件" in str(refused.value)


def test_quota_overflow_is_refused_naming_the_quota(tree, notice, root):
    batch, apps = ready_batch(tree, notice, n=2)
    quota_set(actor=root, notice_category=notice.categories.get(category="factory"), authority=tree.county, limit=1)
    findings = [f for f in batch_findings(batch) if f.code == "QUOTA"]
    expected = f"{tree.county.name}绿色工厂推荐名额1个，本批次及已报送批次共2家，超出1家。"
    assert [(f.level, f.message) for f in findings] == [("error", expected)]
    with pytest.raises(ValidationError) as refused:
        batch_submit(actor=tree.users["county"], batch=batch)
    assert expected in refused.value.messages
    batch.refresh_from_db()
    assert batch.state == Batch.State.DRAFT
    assert {a.state for a in type(apps[0]).objects.filter(pk__in=[a.pk for a in apps])} == {State.RECOMMENDED}


def test_quota_counts_batches_already_submitted(tree, notice, root):
    a, b = recommended_apps(tree, notice, 2)
    quota_set(actor=root, notice_category=notice.categories.get(category="factory"), authority=tree.county, limit=1)
    first = batch_create(actor=tree.users["county"], authority=tree.county, notice=notice, applications=[a])
    batch_scan_upload(actor=tree.users["county"], batch=first, upload=pdf())
    batch_submit(actor=tree.users["county"], batch=first)
    second = batch_create(actor=tree.users["county"], authority=tree.county, notice=notice, applications=[b])
    quota = next(f for f in batch_findings(second) if f.code == "QUOTA")
    assert quota.level == "error" and "本批次及已报送批次共2家，超出1家" in quota.message


def _third_party(tree, notice, assessor, assessor_user, name):
    applicant = enterprise(name, tree.county)
    user = member(applicant)
    app = ready_application(user, applicant, notice)
    app_services.application_update(
        actor=user,
        application=app,
        evaluation_mode="third_party",
        self_evaluation_org=None,
        self_evaluation_person="李四",
    )
    engagement = app_services.engagement_request(actor=user, application=app, assessor=assessor)
    app_services.engagement_respond(actor=assessor_user, engagement=engagement, accept=True, lead_assessor="张三")
    app_services.engagement_report(actor=assessor_user, engagement=engagement, score="90", upload=pdf("报告.pdf"))
    app = transition_perform(actor=user, application=app, action="submit")
    return recommend(app, tree.users["county"])


def test_assessor_cap_is_checked_across_the_batch(tree, notice):
    assessor = enterprise("批次测试评价机构有限公司", tree.province, kind="assessor")
    assessor_user = member(assessor)
    apps = [_third_party(tree, notice, assessor, assessor_user, f"委托企业{i}有限公司") for i in range(2)]
    notice.categories.filter(category="factory").update(assessor_cap=1)  # the notice lowers the cap
    batch = batch_create(actor=tree.users["county"], authority=tree.county, notice=notice, applications=apps)
    caps = [f for f in batch_findings(batch) if f.code == "ASSESSOR-CAP"]
    assert [(f.level, f.message) for f in caps] == [
        ("error", f"第三方评价机构{assessor.name}在本批次评价的项目共2个，超过上限1个（超出1个）。")
    ]
    batch = batch_items_set(actor=tree.users["county"], batch=batch, applications=apps[:1])
    assert not [f for f in batch_findings(batch) if f.code == "ASSESSOR-CAP"]


def test_a_late_batch_is_refused(tree, notice):
    batch, apps = ready_batch(tree, notice)
    late = timezone.now() + timedelta(days=21)  # the city's deadline for counties is in 20 days
    assert any(f.code == "DEADLINE" and f.level == "error" for f in batch_findings(batch, at=late))
    with pytest.raises(ValidationError) as refused:
        batch_submit(actor=tree.users["county"], batch=batch, at=late)
    assert "逾期则视为无申报企业" in refused.value.messages[0]
    batch.refresh_from_db()
    assert batch.state == Batch.State.DRAFT
    assert not applications_visible_to(tree.users["city"]).filter(pk__in=[a.pk for a in apps]).exists()


def test_submit_forwards_every_application_and_the_city_receives(tree, notice):
    batch, apps = ready_batch(tree, notice)
    assert batch.scan_sha256 and batch.scan.read() == PDF_BYTES
    batch = batch_submit(actor=tree.users["county"], batch=batch, expected_version=batch.version)
    assert batch.state == Batch.State.SUBMITTED and batch.submitted_by == tree.users["county"]
    visible = applications_visible_to(tree.users["city"]).filter(pk__in=[a.pk for a in apps])
    assert {(a.state, a.holder_id) for a in visible} == {(State.UNDER_REVIEW, tree.city.pk)}
    assert Referral.objects.filter(batch=batch, authority=tree.city, decision="").count() == 2
    assert Notification.objects.filter(recipient=tree.users["city"], title__contains=batch.title).count() == 1
    with pytest.raises(PermissionDenied):
        batch_receive(actor=tree.users["other_county"], batch=batch)
    batch = batch_receive(actor=tree.users["city"], batch=batch)
    assert batch.state == Batch.State.RECEIVED and batch.received_by == tree.users["city"]


def test_a_racing_double_submit_leaves_one_outcome(tree, notice):
    batch, apps = ready_batch(tree, notice)
    seen = batch.version  # both read the same page
    batch_submit(actor=tree.users["county"], batch=batch, expected_version=seen)
    with pytest.raises(BatchConflict, match="已被他人修改"):
        batch_submit(actor=tree.users["county"], batch=batch, expected_version=seen)
    with pytest.raises(BatchConflict, match="不能报送"):
        batch_submit(actor=tree.users["county"], batch=batch)
    assert AuditEvent.objects.filter(verb="batch.submit").count() == 1
    assert Referral.objects.filter(authority=tree.city).count() == 2


def test_batch_return_brings_every_application_back_to_the_county(tree, notice):
    batch, apps = ready_batch(tree, notice)
    batch = batch_submit(actor=tree.users["county"], batch=batch)
    with pytest.raises(ValidationError) as refused:
        batch_return(actor=tree.users["city"], batch=batch, reason=" ")
    assert "退回推荐批次须填写理由。" in str(refused.value)
    batch = batch_return(actor=tree.users["city"], batch=batch, reason="缺少部门反馈意见")
    assert batch.state == Batch.State.RETURNED and batch.return_reason == "缺少部门反馈意见"
    for app in type(apps[0]).objects.filter(pk__in=[a.pk for a in apps]):
        assert (app.state, app.holder_id) == (State.UNDER_REVIEW, tree.county.pk)
    assert Notification.objects.filter(recipient=tree.users["county"], title__startswith="推荐批次被退回").exists()
    # Recommended again, they go in a new batch.
    again = [recommend(a, tree.users["county"]) for a in apps]
    new = batch_create(actor=tree.users["county"], authority=tree.county, notice=notice, applications=again)
    assert new.number == 2


def test_no_batch_return_once_the_city_decided_on_one(tree, notice):
    batch, (a, b) = ready_batch(tree, notice)
    batch_submit(actor=tree.users["county"], batch=batch)
    a.refresh_from_db()
    recommend(a, tree.users["city"])
    with pytest.raises(ValidationError) as refused:
        batch_return(actor=tree.users["city"], batch=batch, reason="退回")
    assert f"已对{a.applicant.name}作出决定" in str(refused.value)


def test_one_application_returned_alone_may_go_in_a_new_batch(tree, notice):
    batch, (a, b) = ready_batch(tree, notice)
    batch_submit(actor=tree.users["county"], batch=batch)
    a.refresh_from_db()
    a = transition_perform(actor=tree.users["city"], application=a, action="return_lower", reason="补充材料")
    a = transition_perform(actor=tree.users["county"], application=a, action="recommend", reason="已补充")
    new = batch_create(actor=tree.users["county"], authority=tree.county, notice=notice, applications=[a])
    assert new.items.get().application == a


def test_scan_refused_by_content_stores_nothing(tree, notice, media_tmp):
    apps = recommended_apps(tree, notice, 1)
    batch = batch_create(actor=tree.users["county"], authority=tree.county, notice=notice, applications=apps)
    with pytest.raises(ValidationError) as refused:
        batch_scan_upload(actor=tree.users["county"], batch=batch, upload=pdf("假的.pdf", b"not a pdf at all"))
    assert "无法识别或已损坏" in str(refused.value)
    batch.refresh_from_db()
    assert not batch.scan and not (media_tmp / "batches").exists()
