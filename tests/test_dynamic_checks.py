"""On-site re-checks and removals through the services; a decided removal is the fact behind NEG-REMOVED."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from activity.models import AuditEvent, Notification
from eligibility.catalogue import FAIL, PASS
from eligibility.services import evaluate_application
from listings.models import Listing, Recheck, Removal
from listings.services_dynamic_checks import recheck_decide, recheck_record, removal_decide, removal_propose
from tests.application_helpers import open_chain, ready_application
from tests.dynamic_helpers import filed, open_round
from tests.factories import member
from tests.listing_helpers import listing


def finding(evaluation, code):
    return next(f for f in evaluation.findings if f["rule"] == code)


def test_a_recheck_is_decided_from_a_report_and_its_result_recorded(tree):
    entry = listing(tree.ent, tree.city, year=2022)
    report = filed(open_round(tree), entry, tree.users["ent"], energy_per_unit=500.0)
    today = timezone.localdate()
    recheck = recheck_decide(
        actor=tree.users["city"],
        authority=tree.city,
        listing=entry,
        reason="单位产品综合能耗明显上升",
        planned_on=today + timedelta(days=10),
        report=report,
    )
    assert (recheck.conclusion, recheck.report, recheck.decided_by) == ("pending", report, tree.users["city"])
    note = Notification.objects.filter(recipient=tree.users["ent"]).order_by("-id").first()
    assert note.title == "绿色制造名单现场复核通知" and "单位产品综合能耗明显上升" in note.body
    with pytest.raises(ValidationError, match="尚未记录结果"):
        recheck_decide(actor=tree.users["province"], authority=tree.province, listing=entry, reason="再查")
    with pytest.raises(ValidationError) as caught:
        recheck_record(
            actor=tree.users["city"], recheck=recheck, done_on=None, inspectors="", findings="", conclusion=""
        )
    assert set(caught.value.message_dict) == {"done_on", "inspectors", "findings", "conclusion"}
    with pytest.raises(ValidationError, match="不能晚于今天"):
        recheck_record(
            actor=tree.users["city"],
            recheck=recheck,
            done_on=today + timedelta(days=1),
            inspectors="张三",
            findings="x",
            conclusion="passed",
        )
    with pytest.raises(PermissionDenied, match="太原市工信局（测试）的人员"):
        recheck_record(
            actor=tree.users["province"],
            recheck=recheck,
            done_on=today,
            inspectors="张三",
            findings="x",
            conclusion="failed",
        )
    operator = member(tree.city, role="operator")  # the inspectors record what they found
    recheck = recheck_record(
        actor=operator,
        recheck=recheck,
        done_on=today,
        inspectors="张三（市工信局）、李四（专家）",
        findings="现场核实能耗数据，较上年上升400%，不符合绿色工厂评价要求。",
        conclusion="failed",
    )
    recheck.refresh_from_db()
    assert (recheck.done_on, recheck.conclusion, recheck.recorded_by) == (today, "failed", operator)
    event = AuditEvent.objects.get(verb="recheck.record")
    assert (event.before, event.after) == ("pending", "failed")
    assert Notification.objects.filter(recipient=tree.users["ent"], title="现场复核结论：复核不通过").exists()


def test_a_recheck_is_decided_by_an_approver_of_an_authority_with_jurisdiction(tree):
    entry = listing(tree.ent, tree.city, year=2022)
    with pytest.raises(PermissionDenied, match="不在大同市工信局（测试）的管辖范围内"):
        recheck_decide(actor=tree.users["other_city"], authority=tree.other_city, listing=entry, reason="x")
    with pytest.raises(PermissionDenied, match="审核人或管理员"):
        recheck_decide(actor=member(tree.city, role="operator"), authority=tree.city, listing=entry, reason="x")
    with pytest.raises(ValidationError, match="不能早于今天"):
        recheck_decide(
            actor=tree.users["county"],
            authority=tree.county,
            listing=entry,
            reason="x",
            planned_on=timezone.localdate() - timedelta(days=1),
        )
    assert recheck_decide(actor=tree.users["county"], authority=tree.county, listing=entry, reason="举报").pk


def test_a_city_proposes_removing_a_province_list_unit_the_province_decides_and_neg_removed_fails(
    tree, django_user_model
):
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    notice = open_chain(tree, root)
    entry = listing(tree.ent, tree.province, level="province", year=2022)
    recheck = recheck_decide(actor=tree.users["city"], authority=tree.city, listing=entry, reason="能耗上升")
    recheck = recheck_record(
        actor=tree.users["city"],
        recheck=recheck,
        done_on=timezone.localdate(),
        inspectors="张三",
        findings="不符合",
        conclusion="failed",
    )
    application = ready_application(tree.users["ent"], tree.ent, notice)
    assert finding(evaluate_application(application), "NEG-REMOVED")["outcome"] == PASS

    with pytest.raises(ValidationError, match="须由山西省工信厅（测试）决定"):
        removal_propose(
            actor=tree.users["city"], authority=tree.city, listing=entry, reason="复核不通过", decide_now=True
        )
    removal = removal_propose(
        actor=tree.users["city"], authority=tree.city, listing=entry, reason="现场复核不通过", recheck=recheck
    )
    assert (removal.status, removal.deciding_authority, removal.proposed_by_authority) == (
        "proposed",
        tree.province,
        tree.city,
    )
    assert Notification.objects.filter(recipient=tree.users["province"], title__startswith="移出名单提议").exists()
    with pytest.raises(ValidationError, match="已有待决定的移出提议"):
        removal_propose(actor=tree.users["county"], authority=tree.county, listing=entry, reason="再提")
    with pytest.raises(PermissionDenied, match="只有山西省工信厅（测试）"):
        removal_decide(actor=tree.users["city"], removal=removal, decision="decide")
    assert Listing.objects.get(pk=entry.pk).status == "active"

    effective = timezone.localdate() - timedelta(days=1)
    removal = removal_decide(
        actor=tree.users["province"], removal=removal, decision="decide", note="同意移出", effective_on=effective
    )
    assert (removal.status, removal.effective_on, removal.decided_by) == ("decided", effective, tree.users["province"])
    entry.refresh_from_db()
    assert (entry.status, entry.removed_on, entry.removal_authority) == ("removed", effective, tree.province)
    assert entry.removal_reason == "现场复核不通过（同意移出）"
    assert Notification.objects.filter(recipient=tree.users["ent"], title__endswith="已被移出绿色制造名单").exists()
    assert Notification.objects.filter(recipient=tree.users["city"], title__startswith="移出提议已决定移出").exists()
    assert [
        e.verb
        for e in AuditEvent.objects.filter(verb__in=["removal.propose", "removal.decide", "listing.remove"]).order_by(
            "id"
        )
    ] == [
        "removal.propose",
        "listing.remove",
        "removal.decide",
    ]
    result = finding(evaluate_application(application), "NEG-REMOVED")
    assert result["outcome"] == FAIL and "山西省工信厅（测试）决定移出2022年省级绿色工厂名单" in result["message"]
    with pytest.raises(ValidationError, match="已办结"):
        removal_decide(actor=tree.users["province"], removal=removal, decision="reject", note="x")


def test_the_listing_authority_may_remove_at_once(tree):
    entry = listing(tree.ent, tree.city, level="city", year=2022)
    removal = removal_propose(
        actor=tree.users["city"], authority=tree.city, listing=entry, reason="发生环境污染事故", decide_now=True
    )
    assert removal.status == "decided" and removal.effective_on == timezone.localdate()
    assert Listing.objects.get(pk=entry.pk).status == "removed"
    assert not Notification.objects.filter(recipient=tree.users["city"], title__startswith="移出提议").exists()
    with pytest.raises(ValidationError, match="已于"):
        removal_propose(actor=tree.users["city"], authority=tree.city, listing=entry, reason="x")


def test_a_rejected_proposal_needs_a_note_and_leaves_the_entry_listed(tree):
    entry = listing(tree.ent, tree.city, level="city", year=2022)
    removal = removal_propose(actor=tree.users["county"], authority=tree.county, listing=entry, reason="举报")
    with pytest.raises(ValidationError) as caught:
        removal_decide(actor=tree.users["city"], removal=removal, decision="reject", note="")
    assert caught.value.message_dict == {"note": ["不予移出的，请说明理由。"]}
    with pytest.raises(ValidationError, match="不能晚于今天"):
        removal_decide(
            actor=tree.users["city"],
            removal=removal,
            decision="decide",
            effective_on=timezone.localdate() + timedelta(days=1),
        )
    removal = removal_decide(actor=tree.users["city"], removal=removal, decision="reject", note="经核实举报不实")
    assert removal.status == Removal.Status.REJECTED and Listing.objects.get(pk=entry.pk).status == "active"
    assert AuditEvent.objects.get(verb="removal.reject").reason == "经核实举报不实"
    # another proposal may now be made: only one open proposal at a time
    again = removal_propose(actor=tree.users["county"], authority=tree.county, listing=entry, reason="新情况")
    assert again.status == "proposed"


def test_another_city_may_not_propose_and_sources_must_be_of_the_entry(tree):
    entry = listing(tree.ent, tree.city, year=2022)
    other = listing(tree.other_ent, tree.other_city, year=2022)
    with pytest.raises(PermissionDenied, match="管辖范围"):
        removal_propose(actor=tree.users["other_city"], authority=tree.other_city, listing=entry, reason="x")
    recheck = recheck_decide(actor=tree.users["other_city"], authority=tree.other_city, listing=other, reason="x")
    with pytest.raises(ValidationError, match="不属于该名单单位"):
        removal_propose(actor=tree.users["city"], authority=tree.city, listing=entry, reason="x", recheck=recheck)
    assert Recheck.objects.count() == 1 and Removal.objects.count() == 0
