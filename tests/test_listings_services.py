from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from activity.models import AuditEvent
from listings.models import Listing
from listings.services import listing_remove, listing_rename
from tests.factories import member
from tests.listing_helpers import listing


def test_remove_by_the_deciding_authority_records_date_reason_and_authority(tree):
    entry = listing(tree.ent, tree.city)
    listing_remove(
        actor=tree.users["city"], listing=entry, authority=tree.city, removed_on=date(2024, 8, 1), reason="复核不通过"
    )
    entry.refresh_from_db()
    assert entry.status == Listing.Status.REMOVED
    assert entry.removed_on == date(2024, 8, 1)
    assert entry.removal_reason == "复核不通过"
    assert entry.removal_authority == tree.city
    event = AuditEvent.objects.get(verb="listing.remove")
    assert event.organization == tree.city and event.reason == "复核不通过"


def test_a_province_may_remove_a_city_list_entry_but_a_county_may_not(tree):
    entry = listing(tree.ent, tree.city)
    with pytest.raises(PermissionDenied):
        listing_remove(
            actor=tree.users["county"], listing=entry, authority=tree.county, removed_on=date(2024, 8, 1), reason="x"
        )
    listing_remove(
        actor=tree.users["province"], listing=entry, authority=tree.province, removed_on=date(2024, 8, 1), reason="x"
    )
    assert Listing.objects.get(pk=entry.pk).removal_authority == tree.province


def test_remove_refuses_an_operator_a_removed_entry_an_empty_reason_and_a_date_before_listing(tree):
    entry = listing(tree.ent, tree.city, year=2023)
    operator = member(tree.city, role="operator")
    with pytest.raises(PermissionDenied):
        listing_remove(actor=operator, listing=entry, authority=tree.city, removed_on=date(2024, 8, 1), reason="x")
    with pytest.raises(ValidationError, match="移出原因"):
        listing_remove(
            actor=tree.users["city"], listing=entry, authority=tree.city, removed_on=date(2024, 8, 1), reason=" "
        )
    with pytest.raises(ValidationError, match="不能早于列入日期"):
        listing_remove(
            actor=tree.users["city"], listing=entry, authority=tree.city, removed_on=date(2023, 1, 1), reason="x"
        )
    listing_remove(
        actor=tree.users["city"], listing=entry, authority=tree.city, removed_on=date(2024, 8, 1), reason="x"
    )
    with pytest.raises(ValidationError, match="已于2024-08-01移出"):
        listing_remove(
            actor=tree.users["city"], listing=entry, authority=tree.city, removed_on=date(2024, 9, 1), reason="y"
        )


def test_rename_keeps_the_history_and_shows_the_current_name(tree):
    entry = listing(tree.ent, tree.city)
    listing_rename(
        actor=tree.users["county"], listing=entry, new_name="小店新名称有限公司", changed_on=date(2024, 3, 1)
    )
    listing_rename(
        actor=tree.users["city"],
        listing=entry,
        new_name="小店再更名有限公司",
        changed_on=date(2024, 6, 1),
        reason="重组",
    )
    entry.refresh_from_db()
    assert entry.display_name == "小店再更名有限公司"
    assert entry.name == "小店测试企业有限公司"
    history = [(r.old_name, r.new_name, r.changed_on) for r in entry.renames.all()]
    assert history == [
        ("小店测试企业有限公司", "小店新名称有限公司", date(2024, 3, 1)),
        ("小店新名称有限公司", "小店再更名有限公司", date(2024, 6, 1)),
    ]
    events = AuditEvent.objects.filter(verb="listing.rename").order_by("id")
    assert [(e.before, e.after, e.organization) for e in events] == [
        ("小店测试企业有限公司", "小店新名称有限公司", tree.county),
        ("小店新名称有限公司", "小店再更名有限公司", tree.city),
    ]


def test_rename_refused_outside_the_jurisdiction_to_operators_and_applicants_and_for_bad_input(tree):
    entry = listing(tree.ent, tree.city)
    for user in (
        tree.users["other_city"],
        tree.users["other_county"],
        member(tree.city, role="operator"),
        tree.users["ent"],
    ):
        with pytest.raises(PermissionDenied):
            listing_rename(actor=user, listing=entry, new_name="新名称", changed_on=date(2024, 1, 1))
    with pytest.raises(ValidationError, match="相同"):
        listing_rename(
            actor=tree.users["city"], listing=entry, new_name=" 小店测试企业有限公司 ", changed_on=date(2024, 1, 1)
        )
    with pytest.raises(ValidationError, match="晚于今天"):
        listing_rename(actor=tree.users["city"], listing=entry, new_name="新名称", changed_on=date(2999, 1, 1))
    listing_rename(actor=tree.users["city"], listing=entry, new_name="新名称", changed_on=date(2024, 5, 1))
    with pytest.raises(ValidationError, match="上一次更名"):
        listing_rename(actor=tree.users["city"], listing=entry, new_name="更新名称", changed_on=date(2024, 4, 1))
