"""The workflow rows of the review chain: recommend, return to the lower authority, revoke, forward."""

import pytest
from django.core.exceptions import ValidationError

from applications.models import State
from applications.selectors import applications_visible_to
from reviews.models import Referral
from reviews.services import available_actions, transition_perform
from tests.application_helpers import open_chain
from tests.chain_helpers import climb, lift, recommend, submitted


@pytest.fixture
def notice(tree, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    return open_chain(tree, root)


def test_recommend_needs_an_opinion_and_keeps_the_application_at_the_county(tree, notice):
    app = submitted(tree, notice)
    with pytest.raises(ValidationError) as refused:
        transition_perform(actor=tree.users["county"], application=app, action="recommend")
    assert "推荐须填写理由。" in str(refused.value)
    app = recommend(app, tree.users["county"], "初审通过。")
    assert app.state == State.RECOMMENDED and app.holder == tree.county
    referral = app.referrals.get()
    assert (referral.decision, referral.opinion, referral.decided_by) == (
        "recommend",
        "初审通过。",
        tree.users["county"],
    )


def test_forward_is_not_offered_or_accepted_on_its_own(tree, notice):
    app = recommend(submitted(tree, notice), tree.users["county"])
    actions = [a["action"] for a in available_actions(tree.users["county"], app)]
    assert actions == ["revoke"]
    with pytest.raises(ValidationError) as refused:
        transition_perform(actor=tree.users["county"], application=app, action="forward")
    assert "未知操作：forward" in str(refused.value)


def test_a_batch_brings_it_to_the_city_which_may_return_it_to_the_county(tree, notice):
    app = recommend(submitted(tree, notice), tree.users["county"])
    assert not applications_visible_to(tree.users["city"]).filter(pk=app.pk).exists()
    batch, (app,) = lift([app], authority=tree.county, user=tree.users["county"], notice=notice)
    assert app.state == State.UNDER_REVIEW and app.holder == tree.city
    assert applications_visible_to(tree.users["city"]).filter(pk=app.pk).exists()
    assert [a["action"] for a in available_actions(tree.users["city"], app)] == [
        "recommend",
        "return",
        "not_recommend",
        "return_lower",
    ]
    app = transition_perform(actor=tree.users["city"], application=app, action="return_lower", reason="补充部门意见")
    assert app.state == State.UNDER_REVIEW and app.holder == tree.county
    rows = list(app.referrals.values_list("authority__name", "decision", "batch"))
    assert rows == [
        (tree.county.name, "recommend", None),
        (tree.city.name, "return_lower", batch.pk),
        (tree.county.name, "", None),
    ]
    # Direct submissions have no lower authority: the row is not offered.
    assert "return_lower" not in [a["action"] for a in available_actions(tree.users["county"], app)]


def test_a_return_from_the_province_comes_back_to_the_province_on_resubmit(tree, notice):
    app = climb(submitted(tree, notice), tree, notice, to="province")
    app = transition_perform(actor=tree.users["province"], application=app, action="return", reason="补充能耗数据")
    assert app.state == State.RETURNED and app.holder == tree.ent
    app = transition_perform(actor=tree.users["ent"], application=app, action="resubmit")
    assert app.state == State.UNDER_REVIEW and app.holder == tree.province
    assert Referral.objects.filter(application=app, decision="").get().authority == tree.province


def test_revoke_reopens_the_review_at_the_same_authority(tree, notice):
    app = recommend(submitted(tree, notice), tree.users["county"])
    app = transition_perform(actor=tree.users["county"], application=app, action="revoke", reason="复核材料")
    assert app.state == State.UNDER_REVIEW and app.holder == tree.county
    assert list(app.referrals.values_list("decision", flat=True)) == ["recommend", ""]


def test_list_is_only_for_the_round_s_top_authority_after_its_publicity(tree, notice):
    app = climb(submitted(tree, notice), tree, notice, to="ministry")
    app = recommend(app, tree.users["ministry"])
    assert [a["action"] for a in available_actions(tree.users["ministry"], app)] == ["revoke"]
    with pytest.raises(ValidationError) as refused:
        transition_perform(actor=tree.users["ministry"], application=app, action="list")
    assert "该申报尚未经本单位公示" in str(refused.value)
