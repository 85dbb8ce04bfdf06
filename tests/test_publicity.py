"""公示 services: from recommended at the ministry to the final list, with objections, periods and the rate limit."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from activity.models import AuditEvent, Notification
from applications.models import State
from listings.models import Listing
from listings.selectors import listings_public
from reviews.models import Objection, Publicity
from reviews.selectors.publicity import objections_visible_to, publicities_public, publicities_visible_to
from reviews.services import publicity as svc
from tests.application_helpers import open_chain
from tests.chain_helpers import climb, recommend, submitted
from tests.factories import enterprise, member

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def notice(tree, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    return open_chain(tree, root)


def at_ministry(tree, notice, applicant=None, user=None):
    """A recommended application held by the ministry, which decides the national list."""
    app = climb(submitted(tree, notice, applicant=applicant, user=user), tree, notice, to="ministry")
    return recommend(app, tree.users["ministry"], "部级审核通过。")


def second_applicant(tree, name="小店第二测试企业有限公司"):
    org = enterprise(name, tree.county)
    return org, member(org, username=f"u-{org.pk}")


def make_publicity(tree, notice, apps, *, starts_on=TODAY, ends_on=TODAY + timedelta(days=9), **kwargs):
    return svc.publicity_create(
        actor=tree.users["ministry"],
        authority=tree.ministry,
        notice=svc.root_notice(notice),
        title="2024年度绿色制造名单公示",
        starts_on=starts_on,
        ends_on=ends_on,
        applications=apps,
        contact="010-68205360",
        **kwargs,
    )


def object_to(publicity, entry, **kwargs):
    data = {"name": "张三", "phone": "138-0013-8000", "content": "该企业去年发生环境违法行为。", "ip": "10.0.0.1"}
    return svc.objection_submit(publicity=publicity, entry=entry, **{**data, **kwargs})


def test_recommended_to_listed_with_an_upheld_objection_not_listed(tree, notice):
    first = at_ministry(tree, notice)
    org, user = second_applicant(tree)
    second = at_ministry(tree, notice, applicant=org, user=user)
    publicity = make_publicity(tree, notice, [first, second])
    assert publicity.state == Publicity.State.DRAFT
    assert list(publicity.entries.values_list("position", "application")) == [(1, first.pk), (2, second.pk)]
    assert not publicities_public().filter(pk=publicity.pk).exists()

    publicity = svc.publicity_publish(actor=tree.users["ministry"], publicity=publicity)
    assert publicity.state == Publicity.State.PUBLISHED and publicity.published_by == tree.users["ministry"]
    assert Notification.objects.filter(recipient=user, title__contains="已列入公示").exists()

    entry1, entry2 = publicity.entries.order_by("position")
    objection = object_to(publicity, entry2, email="zhang@example.test", organization_name="某居委会")
    assert (objection.status, objection.phone, objection.ip) == (Objection.Status.OPEN, "13800138000", "10.0.0.1")
    event = AuditEvent.objects.get(verb="objection.submit")
    assert event.actor is None and event.organization == tree.ministry and event.ip == "10.0.0.1"
    assert Notification.objects.filter(recipient=tree.users["ministry"], title__contains="收到公示异议").exists()

    after = TODAY + timedelta(days=10)
    with pytest.raises(ValidationError) as refused:
        svc.publicity_finalize(actor=tree.users["ministry"], publicity=publicity, today=after)
    assert "尚有1件公示异议未处理" in str(refused.value)

    svc.objection_handle(
        actor=tree.users["ministry"], objection=objection, status="upheld", response="经核实，该企业被行政处罚。"
    )
    publicity = svc.publicity_finalize(actor=tree.users["ministry"], publicity=publicity, today=after)
    assert publicity.state == Publicity.State.FINALIZED

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == (State.LISTED, State.NOT_LISTED)
    entry1.refresh_from_db()
    entry2.refresh_from_db()
    assert (entry1.outcome, entry2.outcome) == ("listed", "not_listed")
    assert entry2.note == "公示异议成立：经核实，该企业被行政处罚。"
    listing = Listing.objects.get()
    assert (listing.organization, listing.level, listing.year, listing.category) == (
        tree.ent,
        "national",
        2024,
        "factory",
    )
    assert (listing.name, listing.credit_code, listing.listed_on) == (tree.ent.name, tree.ent.credit_code, after)
    assert listing.authority == tree.ministry and listing.application == first
    assert list(listings_public()) == [listing]
    verbs = set(AuditEvent.objects.values_list("verb", flat=True))
    assert {
        "publicity.create",
        "publicity.publish",
        "objection.handle",
        "publicity.finalize",
        "listing.create",
    } <= verbs
    assert AuditEvent.objects.filter(verb="application.not_list", reason=entry2.note).exists()


def test_finalize_is_refused_before_the_end_and_changes_nothing(tree, notice):
    app = at_ministry(tree, notice)
    publicity = make_publicity(tree, notice, [app])
    svc.publicity_publish(actor=tree.users["ministry"], publicity=publicity)
    with pytest.raises(ValidationError) as refused:
        svc.publicity_finalize(actor=tree.users["ministry"], publicity=publicity, today=publicity.ends_on)
    assert "期满后方可定稿" in str(refused.value)
    app.refresh_from_db()
    publicity.refresh_from_db()
    assert app.state == State.RECOMMENDED and publicity.state == Publicity.State.PUBLISHED
    assert not Listing.objects.exists()


def test_stated_outcomes_win_and_not_listed_needs_a_note_all_or_nothing(tree, notice):
    first = at_ministry(tree, notice)
    org, user = second_applicant(tree)
    second = at_ministry(tree, notice, applicant=org, user=user)
    publicity = svc.publicity_publish(
        actor=tree.users["ministry"], publicity=make_publicity(tree, notice, [first, second])
    )
    e1, e2 = publicity.entries.order_by("position")
    after = publicity.ends_on + timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        svc.publicity_finalize(
            actor=tree.users["ministry"], publicity=publicity, today=after, outcomes={e2.pk: ("not_listed", "")}
        )
    assert "第2号" in str(refused.value) and "须填写理由" in str(refused.value)
    first.refresh_from_db()
    assert first.state == State.RECOMMENDED and not Listing.objects.exists()  # the first entry rolled back too

    svc.publicity_finalize(
        actor=tree.users["ministry"], publicity=publicity, today=after, outcomes={e2.pk: ("not_listed", "名额所限")}
    )
    second.refresh_from_db()
    assert second.state == State.NOT_LISTED and Listing.objects.get().application == first


def test_objections_only_during_the_period(tree, notice):
    app = at_ministry(tree, notice)
    publicity = make_publicity(tree, notice, [app], starts_on=TODAY + timedelta(days=2))
    publicity = svc.publicity_publish(actor=tree.users["ministry"], publicity=publicity)
    entry = publicity.entries.get()
    with pytest.raises(ValidationError) as early:
        object_to(publicity, entry)
    assert "届时方可提出异议" in str(early.value)
    with pytest.raises(ValidationError) as late:
        object_to(publicity, entry, today=publicity.ends_on + timedelta(days=1))
    assert "不再接受异议" in str(late.value)
    assert object_to(publicity, entry, today=publicity.ends_on).status == "open"
    assert Objection.objects.count() == 1


def test_objection_fields_are_checked_in_chinese(tree, notice):
    publicity = svc.publicity_publish(
        actor=tree.users["ministry"], publicity=make_publicity(tree, notice, [at_ministry(tree, notice)])
    )
    entry = publicity.entries.get()
    with pytest.raises(ValidationError) as refused:
        object_to(publicity, entry, name=" ", phone="12ab", content="", email="nope")
    errors = refused.value.message_dict
    assert errors["name"] == ["请填写异议人姓名。"] and errors["phone"] == ["联系电话应为7至20位数字。"]
    assert errors["content"] == ["请填写异议内容。"] and errors["email"] == ["电子邮箱格式不正确。"]
    assert not Objection.objects.exists()


def test_objections_are_rate_limited_per_address(tree, notice):
    publicity = svc.publicity_publish(
        actor=tree.users["ministry"], publicity=make_publicity(tree, notice, [at_ministry(tree, notice)])
    )
    entry = publicity.entries.get()
    for _ in range(svc.OBJECTION_LIMIT):
        object_to(publicity, entry, ip="10.0.0.9")
    with pytest.raises(svc.ObjectionRateLimited) as refused:
        object_to(publicity, entry, ip="10.0.0.9")
    assert "过于频繁" in str(refused.value)
    object_to(publicity, entry, ip="10.0.0.10")  # another address is not limited
    assert Objection.objects.count() == svc.OBJECTION_LIMIT + 1


def test_create_checks_authority_state_and_period(tree, notice):
    app = at_ministry(tree, notice)
    with pytest.raises(PermissionDenied):
        svc.publicity_create(
            actor=tree.users["province"], authority=tree.ministry, notice=svc.root_notice(notice), title="x",
            starts_on=TODAY, ends_on=TODAY, applications=[app],
        )  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        make_publicity(tree, notice, [app], ends_on=TODAY - timedelta(days=1))
    assert refused.value.message_dict["ends_on"] == ["公示结束日期不能早于开始日期。"]
    org, user = second_applicant(tree)
    at_province = climb(submitted(tree, notice, applicant=org, user=user), tree, notice, to="ministry")
    with pytest.raises(ValidationError) as refused:
        make_publicity(tree, notice, [app, at_province])
    assert "只有已推荐的申报可以公示" in str(refused.value)
    short = make_publicity(tree, notice, [app], starts_on=TODAY, ends_on=TODAY)
    assert svc.publicity_warnings(short)[0].startswith("公示期仅含")
    with pytest.raises(ValidationError) as refused:
        make_publicity(tree, notice, [app])
    assert "已列入公示" in str(refused.value)


def test_a_province_cannot_publicize_what_the_ministry_decides(tree, notice):
    app = climb(submitted(tree, notice), tree, notice, to="province")
    app = recommend(app, tree.users["province"])
    with pytest.raises(ValidationError) as refused:
        svc.publicity_create(
            actor=tree.users["province"], authority=tree.province, notice=svc.root_notice(notice), title="省级公示",
            starts_on=TODAY, ends_on=TODAY + timedelta(days=7), applications=[app],
        )  # fmt: skip
    assert "本单位发布的年度通知" in str(refused.value)


def test_visibility_of_drafts_and_objections(tree, notice):
    publicity = make_publicity(tree, notice, [at_ministry(tree, notice)])
    assert not publicities_visible_to(AnonymousUser()).filter(pk=publicity.pk).exists()
    assert not publicities_visible_to(tree.users["province"]).filter(pk=publicity.pk).exists()
    assert publicities_visible_to(tree.users["ministry"]).filter(pk=publicity.pk).exists()
    svc.publicity_publish(actor=tree.users["ministry"], publicity=publicity)
    assert publicities_visible_to(AnonymousUser()).filter(pk=publicity.pk).exists()
    object_to(publicity, publicity.entries.get())
    assert objections_visible_to(tree.users["ministry"]).count() == 1
    assert objections_visible_to(tree.users["province"]).count() == 0
    assert objections_visible_to(AnonymousUser()).count() == 0
