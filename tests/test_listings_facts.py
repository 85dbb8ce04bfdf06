"""The lists as facts of the rule engine: a removal fails NEG-REMOVED, an entry in effect satisfies the prerequisite
rule and blocks a repeat, records are not counted twice, a fixed number of queries per gather."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applications.models import Application
from eligibility.catalogue import FAIL, HARD, PASS
from eligibility.facts import gather
from eligibility.models import CreditRecord
from eligibility.services import blocking_problems, evaluate_application, rule_set_apply_preset
from listings.services import listing_remove
from reviews.services import transition_perform
from tests.application_helpers import PARK_DATA, open_chain, ready_application
from tests.factories import enterprise, member
from tests.listing_helpers import listing


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")


@pytest.fixture
def notice(tree, root):
    """太原's forward of the 2024 national round."""
    return open_chain(tree, root)


def finding(evaluation, code):
    return next(f for f in evaluation.findings if f["rule"] == code)


def removed_recently(tree, entry_of=None):
    entry = listing(entry_of or tree.ent, tree.city, level="city", year=2022)
    removed_on = timezone.localdate() - timedelta(days=30)
    listing_remove(
        actor=tree.users["city"], listing=entry, authority=tree.city, removed_on=removed_on, reason="复核不通过"
    )
    return removed_on


def test_a_removed_units_new_application_fails_neg_removed_and_cannot_be_submitted(tree, notice):
    application = ready_application(tree.users["ent"], tree.ent, notice)
    assert finding(evaluate_application(application), "NEG-REMOVED")["outcome"] == PASS

    removed_on = removed_recently(tree)
    evaluation = evaluate_application(application)
    result = finding(evaluation, "NEG-REMOVED")
    assert (result["outcome"], result["kind"]) == (FAIL, HARD)
    assert result["message"] == (
        f"申报单位近3年有“被动态调整出绿色制造名单”记录（{removed_on.isoformat()}，"
        f"太原市工信局（测试）决定移出2022年市级绿色工厂名单），不得申报。"
    )
    assert evaluation.blocked
    assert any("被动态调整出绿色制造名单" in p for p in blocking_problems(evaluation))
    with pytest.raises(ValidationError, match="被动态调整出绿色制造名单"):
        transition_perform(actor=tree.users["ent"], application=application, action="submit")
    assert Application.objects.get(pk=application.pk).state == "draft"


def test_a_removal_older_than_the_window_no_longer_counts(tree, notice):
    entry = listing(tree.ent, tree.city, level="city", year=2019)
    listing_remove(
        actor=tree.users["city"], listing=entry, authority=tree.city, removed_on=date(2020, 6, 30), reason="x"
    )
    application = ready_application(tree.users["ent"], tree.ent, notice)
    assert finding(evaluate_application(application), "NEG-REMOVED")["outcome"] == PASS


def test_an_entry_in_effect_satisfies_the_prerequisite_and_a_removed_one_does_not(tree, notice, root):
    rule_set_apply_preset(actor=root, notice=notice, preset="jilin-2024")  # 004: must be a provincial green unit
    application = ready_application(tree.users["ent"], tree.ent, notice)
    other = listing(tree.ent, tree.province, level="province", category="supply_chain", year=2021)
    prerequisite = finding(evaluate_application(application), "LIST-PREREQUISITE")
    assert (prerequisite["outcome"], prerequisite["kind"]) == (FAIL, HARD)  # provincial, but another category
    entry = listing(tree.ent, tree.province, level="province", category="factory", year=2022)
    prerequisite = finding(evaluate_application(application), "LIST-PREREQUISITE")
    assert prerequisite["outcome"] == PASS
    assert prerequisite["message"] == "已列入省级绿色制造名单（2022-12-31）。"
    listing_remove(
        actor=tree.users["province"],
        listing=entry,
        authority=tree.province,
        removed_on=timezone.localdate(),
        reason="复核不通过",
    )
    evaluation = evaluate_application(application)
    assert finding(evaluation, "LIST-PREREQUISITE")["outcome"] == FAIL
    assert finding(evaluation, "NEG-REMOVED")["outcome"] == FAIL
    assert other.status == "active"


def test_an_entry_at_the_notices_level_blocks_a_repeat_but_not_the_listed_application_itself(tree, notice):
    application = ready_application(tree.users["ent"], tree.ent, notice)
    listing(tree.ent, tree.ministry, level="national", category="factory", year=2021)
    repeat = finding(evaluate_application(application), "LIST-REPEAT")
    assert (repeat["outcome"], repeat["message"]) == (FAIL, "已于2021-12-31列入国家级同类别名单，不得重复申报。")

    other = enterprise("另一测试企业有限公司", tree.county)
    own_application = ready_application(member(other), other, notice)
    listing(other, tree.ministry, level="national", year=2024, application=own_application)
    assert finding(evaluate_application(own_application), "LIST-REPEAT")["outcome"] == PASS


def test_the_same_entry_imported_as_a_credit_record_is_not_counted_twice(tree, notice):
    application = ready_application(tree.users["ent"], tree.ent, notice)
    listing(tree.ent, tree.province, level="province", year=2022)
    CreditRecord.objects.create(
        kind="green_list",
        credit_code=tree.ent.credit_code,
        occurred_on=date(2022, 12, 31),
        category="factory",
        level="province",
        source="山西省2022年绿色制造名单",
    )
    records = gather([application])[application.pk]["records"]
    green = [r for r in records if r["kind"] == "green_list"]
    assert [(r["occurred_on"], r["level"], r["source"]) for r in green] == [
        ("2022-12-31", "province", "山西省2022年绿色制造名单")
    ]


def test_a_park_fails_neg_removed_for_a_removed_member_enterprise(tree, notice):
    park = enterprise("小店测试园区管委会", tree.county, kind="park")
    removed_recently(tree)  # tree.ent, a member of the park
    data = {**PARK_DATA, "member_credit_codes": f"{tree.ent.credit_code}\n{tree.other_ent.credit_code}"}
    application = ready_application(member(park), park, notice, category="park", data=data)
    result = finding(evaluate_application(application), "NEG-REMOVED")
    assert result["outcome"] == FAIL
    assert result["message"].startswith("园区内企业近3年有“被动态调整出绿色制造名单”记录")
    assert [r["credit_code"] for r in result["evidence"]["records"]] == [tree.ent.credit_code]


def test_gathering_the_lists_takes_one_query_however_many_applications(tree, notice):
    from listings.facts import listing_records

    apps = []
    for n in range(5):
        unit = enterprise(f"批量测试企业{n}有限公司", tree.county)
        apps.append(ready_application(member(unit), unit, notice))
        listing(unit, tree.city, level="city", year=2022)
        listing(unit, tree.province, level="province", year=2023)
    apps = list(Application.objects.filter(pk__in=[a.pk for a in apps]).select_related("applicant", "notice"))
    facts = {a.pk: {"records": []} for a in apps}
    with CaptureQueriesContext(connection) as one:
        listing_records(apps[:1], {apps[0].pk: {"records": []}})
    with CaptureQueriesContext(connection) as five:
        listing_records(apps, facts)
    assert len(one) == len(five) == 1
    assert all(len(facts[a.pk]["records"]) == 2 for a in apps)


def test_a_removal_has_the_units_open_applications_judged_again(tree, notice, django_capture_on_commit_callbacks):
    from eligibility.selectors import latest_evaluation

    application = ready_application(tree.users["ent"], tree.ent, notice)
    evaluate_application(application)
    entry = listing(tree.ent, tree.city, level="city", year=2022)
    with django_capture_on_commit_callbacks(execute=True):
        listing_remove(
            actor=tree.users["city"], listing=entry, authority=tree.city, removed_on=timezone.localdate(), reason="x"
        )
    assert finding(latest_evaluation(application), "NEG-REMOVED")["outcome"] == FAIL
