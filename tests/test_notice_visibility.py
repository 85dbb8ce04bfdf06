"""Who sees which notice: notices.selectors.notices_visible_to for every role, the one rule the pages and API share.

A published notice applies within its issuer's jurisdiction; an authority also sees what its subordinates published;
a draft is seen only by its issuer's members (and superusers).
"""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser

from notices import services
from notices.selectors import notices_visible_to
from organizations.services import expert_profile_save, membership_remove
from tests.factories import UserFactory, authority, member
from tests.notice_helpers import published_notice, sh


@pytest.fixture
def notices(tree, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    tree.root = root
    jilin = authority("吉林省工信厅（测试）", "220000", "province", tree.ministry)
    tree.jilin = jilin
    ministry = published_notice(root, tree.ministry, deadlines=[("authority", sh(2024, 9, 5, 23, 59, 59))])
    province = published_notice(
        root, tree.province, forwards=ministry, deadlines=[("authority", sh(2024, 5, 31, 23, 59, 59))]
    )
    city = published_notice(root, tree.city, forwards=province, deadlines=[("authority", sh(2024, 5, 17, 23, 59, 59))])
    other_city = published_notice(
        root, tree.other_city, forwards=province, deadlines=[("authority", sh(2024, 5, 20, 23, 59, 59))]
    )
    jilin_notice = published_notice(
        root, jilin, forwards=ministry, deadlines=[("authority", sh(2024, 7, 20, 17, 0, 0))]
    )
    county_draft = services.notice_forward(actor=root, notice=city, authority=tree.county)
    city_draft = services.notice_create(
        actor=root, issuer=tree.city, year=2024, title="太原市级绿色工厂评价通知（草稿）", list_level="city"
    )
    province_draft = services.notice_create(
        actor=root, issuer=tree.province, year=2025, title="山西省2025年通知（草稿）", list_level="province"
    )
    ministry_draft = services.notice_create(
        actor=root, issuer=tree.ministry, year=2025, title="工信部2025年通知（草稿）", list_level="national"
    )
    closed = published_notice(
        root,
        tree.province,
        year=2023,
        list_level="province",
        deadlines=[("authority", sh(2023, 6, 30, 17, 0, 0))],
    )
    services.notice_close(actor=root, notice=closed)
    return SimpleNamespace(
        ministry=ministry,
        province=province,
        city=city,
        other_city=other_city,
        jilin=jilin_notice,
        county_draft=county_draft,
        city_draft=city_draft,
        province_draft=province_draft,
        ministry_draft=ministry_draft,
        closed=closed,
    )


def visible(user, notices) -> set[str]:
    names = {n.pk: name for name, n in vars(notices).items()}
    return {names[pk] for pk in notices_visible_to(user).values_list("pk", flat=True)}


TAIYUAN_CHAIN = {"ministry", "province", "city", "closed"}

EXPECTED = {
    # Applicants and departments see the published notices of their authority and those above it.
    "ent": TAIYUAN_CHAIN,
    "eco": TAIYUAN_CHAIN,
    # The county also sees its own draft forwarding.
    "county": TAIYUAN_CHAIN | {"county_draft"},
    # The city sees its own draft, not its county's draft, nor what the other city forwarded.
    "city": TAIYUAN_CHAIN | {"city_draft"},
    "other_ent": {"ministry", "province", "other_city", "closed"},
    "other_city": {"ministry", "province", "other_city", "closed"},
    # The province sees what both its cities published, and its own draft; not 吉林's, not the ministry's draft.
    "province": TAIYUAN_CHAIN | {"other_city", "province_draft"},
    # The ministry: every published notice in the country, and its own drafts only.
    "ministry": TAIYUAN_CHAIN | {"other_city", "jilin", "ministry_draft"},
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_each_member_sees_its_jurisdiction(tree, notices, role):
    assert visible(tree.users[role], notices) == EXPECTED[role]


def test_superuser_sees_everything_drafts_included(tree, notices):
    assert visible(tree.root, notices) == set(vars(notices))


def test_expert_sees_the_notices_of_the_pool_and_above(tree, notices):
    expert = UserFactory(username="expert-sx")
    expert_profile_save(actor=tree.root, user=expert, pool=tree.province, title="高级工程师")
    assert visible(expert, notices) == {"ministry", "province", "closed"}
    # Leaving the pool takes the notices away.
    expert.expert_profile.is_active = False
    expert.expert_profile.save()
    expert = type(expert).objects.get(pk=expert.pk)
    assert visible(expert, notices) == set()


def test_expert_who_is_also_a_member_sees_both(tree, notices):
    user = member(tree.other_county, username="expert-and-member")
    expert_profile_save(actor=tree.root, user=user, pool=tree.jilin)
    assert visible(user, notices) == {"ministry", "province", "other_city", "closed", "jilin"}


def test_no_membership_anonymous_and_removed_members_see_nothing(tree, notices):
    assert visible(UserFactory(username="nobody"), notices) == set()
    assert notices_visible_to(AnonymousUser()).count() == 0
    user = tree.users["ent"]
    membership_remove(actor=tree.root, membership=user.memberships.get())
    user = type(user).objects.get(pk=user.pk)  # memberships are cached per user object (per request)
    assert visible(user, notices) == set()


def test_a_draft_becomes_visible_down_the_chain_when_published(tree, notices):
    draft = notices.county_draft
    assert draft.pk not in set(notices_visible_to(tree.users["ent"]).values_list("pk", flat=True))
    services.deadline_set(actor=tree.root, notice=draft, stage="applicant", due_at=sh(2024, 5, 10, 17, 0, 0))
    services.notice_publish(actor=tree.root, notice=draft)
    for role in ("ent", "eco", "county", "city", "province", "ministry"):
        assert notices_visible_to(tree.users[role]).filter(pk=draft.pk).exists(), role
    for role in ("other_ent", "other_city"):
        assert not notices_visible_to(tree.users[role]).filter(pk=draft.pk).exists(), role
