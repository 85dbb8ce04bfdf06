"""Rounds and reports of the 动态管理表 through the services: opening a round, filling, the deadline and its
extension, flags against the previous year, return and resubmission, acceptance with a change of name."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from activity.models import AuditEvent, Notification
from listings.models import DynamicReport, Listing
from listings.selectors_dynamic import round_scope, unit_rounds
from listings.services_dynamic import (
    dynamic_report_accept,
    dynamic_report_return,
    dynamic_report_save,
    dynamic_report_start,
    dynamic_report_submit,
    dynamic_round_extend,
    dynamic_round_open,
)
from notices.services import format_moment
from tests.dynamic_helpers import FACTORY, SUPPLY_CHAIN, filed, open_round, past_due, unchanged
from tests.factories import enterprise, member
from tests.listing_helpers import listing


@pytest.fixture
def entries(tree):
    """小店's enterprise on the city's factory list and the province's supply-chain list; 平城's on the city list of
    大同; a removed entry and one listed after the data year."""
    return {
        "factory": listing(tree.ent, tree.city, category="factory", level="city", year=2022),
        "chain": listing(tree.ent, tree.province, category="supply_chain", level="province", year=2023),
        "other": listing(tree.other_ent, tree.other_city, category="factory", level="city", year=2022),
        "removed": listing(tree.ent, tree.city, category="product", level="city", year=2021, status="removed"),
        "later": listing(tree.ent, tree.city, category="product", level="city", year=2025),
    }


def test_a_city_opens_a_round_for_the_entries_of_its_jurisdiction_and_the_units_are_told(tree, entries):
    round_ = open_round(tree, year=2024, note="请附能源审计报告")
    assert round_.title == "2024年度绿色制造名单动态管理表填报（太原市工信局（测试））"
    assert set(round_scope(round_)) == {entries["factory"], entries["chain"]}  # any level, in effect, listed by 2024
    note = Notification.objects.get(recipient=tree.users["ent"])
    assert note.title == "请填报2024年度绿色制造名单动态管理表"
    assert format_moment(round_.due_at) in note.body and "请附能源审计报告" in note.body
    assert note.url == "/dynamic/"
    assert not Notification.objects.filter(recipient=tree.users["other_ent"]).exists()
    event = AuditEvent.objects.get(verb="dynamic.round_open")
    assert event.organization == tree.city and event.after.startswith("2024:")


def test_who_may_open_a_round_and_when(tree, entries):
    with pytest.raises(ValidationError, match="只有市级、省级"):
        open_round(tree, authority=tree.county)
    operator = member(tree.city, role="operator")
    with pytest.raises(PermissionDenied, match="审核人或管理员"):
        open_round(tree, user=operator)
    with pytest.raises(ValidationError) as caught:
        dynamic_round_open(
            actor=tree.users["city"], authority=tree.city, year=2024, due_at=timezone.now() - timedelta(minutes=1)
        )
    assert caught.value.message_dict == {"due_at": ["填报截止时间应晚于现在。"]}
    open_round(tree, year=2024)
    with pytest.raises(ValidationError, match="本单位已组织2024年度动态管理表填报"):
        open_round(tree, year=2024)
    with pytest.raises(ValidationError, match="太原市工信局（测试）已组织2024年度动态管理表填报，范围与本单位辖区重叠"):
        open_round(tree, authority=tree.province, year=2024)
    open_round(tree, authority=tree.other_city, year=2024)  # another city: no overlap
    open_round(tree, authority=tree.province, year=2023)


def test_a_unit_fills_saves_a_draft_and_submits_one_report_per_entry(tree, entries):
    round_ = open_round(tree)
    user = tree.users["ent"]
    rows = unit_rounds(tree.ent)
    assert [(r.round, r.listing, r.report) for r in rows] == [
        (round_, entries["factory"], None),
        (round_, entries["chain"], None),
    ]
    report = dynamic_report_start(actor=user, round=round_, listing=entries["factory"])
    assert dynamic_report_start(actor=user, round=round_, listing=entries["factory"]) == report  # the same one
    report = dynamic_report_save(actor=user, report=report, indicators={"energy_per_unit": "98.5"}, note="草稿")
    assert report.status == DynamicReport.Status.DRAFT and report.indicators["energy_per_unit"] == 98.5
    with pytest.raises(ValidationError) as caught:
        dynamic_report_submit(actor=user, report=report)
    assert "water_per_unit" in caught.value.message_dict and "changes.name" in caught.value.message_dict
    report = dynamic_report_save(actor=user, report=report, indicators=FACTORY, changes=unchanged())
    report = dynamic_report_submit(actor=user, report=report)
    assert (report.status, report.late, report.flags, report.submitted_by) == ("submitted", False, [], user)
    with pytest.raises(ValidationError, match="已提交"):
        dynamic_report_save(actor=user, report=report, indicators=FACTORY)
    chain = filed(round_, entries["chain"], user, values=SUPPLY_CHAIN)
    assert chain.status == "submitted" and chain.pk != report.pk
    events = AuditEvent.objects.filter(target_id=str(report.pk), verb__startswith="dynamic.report").order_by("id")
    assert [e.verb for e in events] == [
        "dynamic.report_start",
        "dynamic.report_save",
        "dynamic.report_save",
        "dynamic.report_submit",
    ]


def test_only_the_units_own_people_fill_and_only_entries_of_the_round(tree, entries):
    round_ = open_round(tree)
    with pytest.raises(PermissionDenied, match="名单单位本单位"):
        dynamic_report_start(actor=tree.users["other_ent"], round=round_, listing=entries["factory"])
    with pytest.raises(PermissionDenied):
        dynamic_report_start(actor=tree.users["city"], round=round_, listing=entries["factory"])
    with pytest.raises(ValidationError, match="不在《.*》的填报范围内"):
        dynamic_report_start(actor=tree.users["ent"], round=round_, listing=entries["later"])
    report = dynamic_report_start(actor=tree.users["ent"], round=round_, listing=entries["factory"])
    with pytest.raises(PermissionDenied):
        dynamic_report_save(actor=tree.users["other_ent"], report=report, indicators=FACTORY)


def test_submission_after_the_deadline_is_refused_with_the_deadline_named(tree, entries):
    round_ = open_round(tree)
    report = filed(round_, entries["factory"], tree.users["ent"], submit=False)
    round_ = past_due(round_)
    with pytest.raises(ValidationError) as caught:
        dynamic_report_submit(actor=tree.users["ent"], report=report)
    assert caught.value.messages == [
        f"已超过填报截止时间{format_moment(round_.due_at)}（太原市工信局（测试）《{round_.title}》），不能提交。"
        "确有困难的，请联系太原市工信局（测试）办理延期。"
    ]
    report.refresh_from_db()
    assert report.status == "draft" and report.submitted_at is None


def test_an_extension_lets_units_submit_late_and_marks_them_late(tree, entries):
    round_ = open_round(tree)
    on_time = filed(round_, entries["chain"], tree.users["ent"])
    round_ = past_due(round_)
    operator = member(tree.city, role="operator")
    with pytest.raises(PermissionDenied):
        dynamic_round_extend(actor=operator, round=round_, until=timezone.now() + timedelta(days=3), reason="x")
    with pytest.raises(ValidationError) as caught:
        dynamic_round_extend(actor=tree.users["city"], round=round_, until=round_.due_at, reason="")
    assert set(caught.value.message_dict) == {"reason", "until"}
    until = timezone.now() + timedelta(days=3)
    Notification.objects.all().delete()
    round_ = dynamic_round_extend(actor=tree.users["city"], round=round_, until=until, reason="系统故障")
    assert round_.extended_until == until.replace(microsecond=0) and round_.effective_due_at > round_.due_at
    event = AuditEvent.objects.get(verb="dynamic.round_extend")
    assert event.reason == "系统故障" and event.before and event.after
    note = Notification.objects.get(recipient=tree.users["ent"])  # the factory entry is still to file
    assert "已延期" in note.title and format_moment(round_.extended_until) in note.body
    late = filed(round_, entries["factory"], tree.users["ent"])
    assert late.status == "submitted" and late.late is True
    assert DynamicReport.objects.get(pk=on_time.pk).late is False
    past = timezone.now() + timedelta(days=4)
    later = filed(round_, listing(tree.ent, tree.city, category="product", year=2020), tree.users["ent"], submit=False)
    with pytest.raises(ValidationError, match="（含延期）"):
        dynamic_report_submit(actor=tree.users["ent"], report=later, at=past)


def test_flags_compare_with_the_previous_years_report_of_the_same_entry(tree, entries):
    user = tree.users["ent"]
    earlier = open_round(tree, year=2023)
    filed(earlier, entries["factory"], user)
    current = open_round(tree, authority=tree.province, year=2024)
    report = filed(
        current,
        entries["factory"],
        tree.users["ent"],
        energy_per_unit=110.0,  # worse: lower is better
        water_per_unit=2.0,  # better
        renewable_share=15.0,  # worse: a percentage where higher is better
        solid_waste_utilization=95.0,  # better
    )
    assert [(f["code"], f["previous"], f["current"], f["change_pct"]) for f in report.flags] == [
        ("energy_per_unit", 100.0, 110.0, 10.0),
        ("renewable_share", 20.0, 15.0, -25.0),
    ]
    assert all(f["previous_year"] == 2023 for f in report.flags)
    event = AuditEvent.objects.get(verb="dynamic.report_submit", target_id=str(report.pk))
    assert "单位产品综合能耗 100 → 110（+10.0%）" in event.reason
    other = filed(current, entries["chain"], user, values=SUPPLY_CHAIN)
    assert other.flags == []  # no earlier report of that entry


def test_the_accepted_report_of_the_latest_earlier_year_is_the_base(tree, entries):
    user = tree.users["ent"]
    r2022 = open_round(tree, year=2022)
    filed(r2022, entries["factory"], user, energy_per_unit=50.0)
    r2023 = open_round(tree, authority=tree.province, year=2023)
    base = filed(r2023, entries["factory"], user, energy_per_unit=100.0)
    dynamic_report_accept(actor=tree.users["province"], report=base)
    r2024 = open_round(tree, authority=tree.ministry, year=2024)
    report = filed(r2024, entries["factory"], user, energy_per_unit=90.0)
    assert report.flags == []  # better than 2023's 100, though worse than 2022's 50


def test_return_and_resubmission_even_after_the_deadline(tree, entries):
    round_ = open_round(tree)
    report = filed(round_, entries["factory"], tree.users["ent"])
    with pytest.raises(PermissionDenied, match="审核人或管理员"):
        dynamic_report_return(actor=tree.users["province"], report=report, opinion="x")  # not the round's authority
    with pytest.raises(ValidationError) as caught:
        dynamic_report_return(actor=tree.users["city"], report=report, opinion=" ")
    assert caught.value.message_dict == {"opinion": ["退回的，请填写审核意见，说明需要修改的内容。"]}
    report = dynamic_report_return(actor=tree.users["city"], report=report, opinion="单位产品取水量请核实")
    assert report.status == "returned" and report.review_opinion == "单位产品取水量请核实"
    note = Notification.objects.filter(recipient=tree.users["ent"]).order_by("-id").first()
    assert note.title == "2024年度动态管理表被退回修改" and "单位产品取水量请核实" in note.body
    with pytest.raises(ValidationError, match="不能审核"):
        dynamic_report_accept(actor=tree.users["city"], report=report)
    past_due(round_)
    report = dynamic_report_save(actor=tree.users["ent"], report=report, indicators={"water_per_unit": 2.4})
    report = dynamic_report_submit(actor=tree.users["ent"], report=report)
    assert (report.status, report.late, report.indicators["water_per_unit"]) == ("submitted", False, 2.4)
    assert AuditEvent.objects.filter(verb="dynamic.report_resubmit", target_id=str(report.pk)).count() == 1
    report = dynamic_report_accept(actor=tree.users["city"], report=report, opinion="")
    assert report.status == "accepted" and report.review_opinion == "审核通过。"
    assert report.reviewed_by == tree.users["city"]


def test_accepting_a_declared_change_of_name_renames_the_entry(tree, entries):
    round_ = open_round(tree)
    changes = {**unchanged(), "name": {"changed": True, "value": "小店绿色科技有限公司", "date": "2024-03-01"}}
    report = filed(round_, entries["factory"], tree.users["ent"], changes=changes)
    assert Listing.objects.get(pk=entries["factory"].pk).current_name == ""  # not before acceptance
    dynamic_report_accept(actor=tree.users["city"], report=report, opinion="同意")
    entry = Listing.objects.get(pk=entries["factory"].pk)
    assert entry.display_name == "小店绿色科技有限公司"
    rename = entry.renames.get()
    assert (rename.old_name, rename.new_name, rename.changed_on, rename.report) == (
        "小店测试企业有限公司",
        "小店绿色科技有限公司",
        date(2024, 3, 1),
        report,
    )
    assert "2024年度动态管理表" in rename.reason
    assert AuditEvent.objects.filter(verb="listing.rename", organization=tree.city).count() == 1


def test_a_unit_without_a_competent_authority_is_asked_by_the_rounds_of_its_region(tree):
    imported = enterprise("导入企业有限公司", tree.county)
    imported.competent_authority = None
    imported.save()
    entry = listing(imported, tree.city, category="factory", year=2022)
    round_ = open_round(tree, authority=tree.province)
    user = member(imported)
    assert [(r.round, r.listing) for r in unit_rounds(imported)] == [(round_, entry)]
    assert filed(round_, entry, user).status == "submitted"


def test_every_verb_of_dynamic_management_has_a_chinese_label():
    import re
    from pathlib import Path

    from activity.models import VERB_LABELS

    root = Path(__file__).resolve().parents[1]
    verbs = set()
    for path in root.glob("listings/services_dynamic*.py"):
        verbs.update(re.findall(r'"((?:dynamic|recheck|removal)\.[a-z_]+)"', path.read_text(encoding="utf-8")))
    assert len(verbs) >= 13
    assert sorted(verbs - set(VERB_LABELS)) == []
