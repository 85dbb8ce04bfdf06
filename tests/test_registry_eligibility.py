"""The registry feeds the assessor rules: ASSESSOR-FILED from an approved filing with the applicant's province,
ASSESSOR-ANNUAL-REPORT from last year's report, ASSESSOR-BLACKLIST from blacklist entries (active until their end
date, lifting ends them), and the assessor's cap use counted as ASSESSOR-CAP counts (16 projects: 16/15)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from eligibility.assessor_registry import assessor_cap_use
from eligibility.catalogue import FAIL, PASS, RULES, run
from eligibility.facts import gather
from eligibility.models import Evaluation
from eligibility.services import blocking_problems, evaluate_application, rule_set_save
from organizations import services_registry as services
from organizations.models import AssessorBlacklist
from tests.application_helpers import open_chain
from tests.factories import authority, enterprise, member
from tests.notice_helpers import published_notice
from tests.registry_helpers import (
    approved,
    commissioned,
    file_with,
    loaded,
    new_assessor,
    open_call,
    report,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")


@pytest.fixture
def notice(tree, root):
    """太原's forward of the province's forward of the ministry's 2024 notice (list level national)."""
    return open_chain(tree, root)


def finding(evaluation, code):
    return next(f for f in evaluation.findings if f["rule"] == code)


def outcome(app, code, **params):
    return run(RULES[code], gather(loaded([app]))[app.pk], params)


def on(day: date) -> datetime:
    """Submitted at noon of the day, Asia/Shanghai: the rules' reference date is that day."""
    return datetime(day.year, day.month, day.day, 12, tzinfo=SHANGHAI)


# ASSESSOR-FILED (004 §四): hard where the notice's rule set says so.


def test_an_approved_filing_passes_assessor_filed_where_it_is_hard_and_anything_else_fails(tree, notice):
    rule_set_save(actor=None, notice=notice, entries={"ASSESSOR-FILED": {"kind": "hard"}}, note="004：须在本省备案")
    assessor, user = new_assessor("晋源评价咨询有限公司")
    app = commissioned(notice, tree.ent, assessor)

    unfiled = evaluate_application(app)
    result = finding(unfiled, "ASSESSOR-FILED")
    assert (result["kind"], result["outcome"]) == ("hard", FAIL)
    assert result["message"] == "“晋源评价咨询有限公司”未在申报单位所在省备案。"
    assert unfiled.blocked and any("评价机构已在本省备案" in p for p in blocking_problems(unfiled))

    filing = file_with(user, assessor, tree.province)
    assert finding(evaluate_application(app), "ASSESSOR-FILED")["outcome"] == FAIL  # waiting is not filed

    services.filing_decide(actor=tree.users["province"], filing=filing, approve=True)
    filed = evaluate_application(app)
    result = finding(filed, "ASSESSOR-FILED")
    assert (result["outcome"], result["message"]) == (PASS, "“晋源评价咨询有限公司”已在山西省工信厅（测试）备案。")
    assert not any("评价机构已在本省备案" in p for p in blocking_problems(filed))

    services.filing_revoke(actor=tree.users["province"], filing=filing, reason="不再满足人员条件")
    revoked = evaluate_application(app)
    assert finding(revoked, "ASSESSOR-FILED")["outcome"] == FAIL and revoked.pk != filed.pk


def test_a_rejected_filing_or_one_with_another_province_fails(tree, notice):
    jilin = authority("吉林省工信厅（测试）", "220000", "province", tree.ministry)
    rejected_assessor, user = new_assessor()
    filing = file_with(user, rejected_assessor, tree.province)
    services.filing_decide(actor=tree.users["province"], filing=filing, approve=False, reason="材料不全")
    elsewhere, other_user = new_assessor("吉林绿评有限公司", region="220102")
    approved(other_user, elsewhere, jilin, member(jilin))
    rejected_app = commissioned(notice, tree.ent, rejected_assessor)
    elsewhere_app = commissioned(notice, tree.other_ent, elsewhere)
    assert outcome(rejected_app, "ASSESSOR-FILED").evidence["filed_with"] is None
    result = outcome(elsewhere_app, "ASSESSOR-FILED")
    assert (result.outcome, result.evidence["filed_with"]) == (FAIL, "吉林省工信厅（测试）")


def test_a_decision_evaluates_the_assessors_open_applications_again(tree, notice, django_capture_on_commit_callbacks):
    assessor, user = new_assessor()
    app = commissioned(notice, tree.ent, assessor)
    first = evaluate_application(app)
    assert finding(first, "ASSESSOR-FILED")["outcome"] == FAIL
    filing = file_with(user, assessor, tree.province)
    with django_capture_on_commit_callbacks(execute=True):
        services.filing_decide(actor=tree.users["province"], filing=filing, approve=True)
    latest = Evaluation.objects.filter(application=app).latest("id")
    assert latest.pk != first.pk and finding(latest, "ASSESSOR-FILED")["outcome"] == PASS


# ASSESSOR-ANNUAL-REPORT (003): last year's report; a missing one fails this year.


@pytest.fixture
def this_year(tree, root):
    """A round of the current year: last year's report is filed this year."""
    due = timezone.now() + timedelta(days=30)
    return published_notice(root, tree.ministry, year=timezone.localdate().year, deadlines=[("authority", due)])


def test_a_missing_report_fails_next_year_and_a_filed_one_passes(tree, this_year):
    last_year = timezone.localdate().year - 1
    rule_set_save(actor=None, notice=this_year, entries={"ASSESSOR-ANNUAL-REPORT": {"kind": "hard"}})
    assessor, user = new_assessor("晋源评价咨询有限公司")
    approved(user, assessor, tree.province, tree.users["province"])
    call = open_call(tree.users["province"], tree.province, year=last_year)
    app = commissioned(this_year, tree.ent, assessor)

    missing = evaluate_application(app)
    result = finding(missing, "ASSESSOR-ANNUAL-REPORT")
    assert (result["kind"], result["outcome"]) == ("hard", FAIL)
    assert result["message"] == f"“晋源评价咨询有限公司”未填报{last_year}年度工作情况，本年度不得参与评价。"
    assert missing.blocked

    filed = report(user, assessor, call)
    result = finding(evaluate_application(app), "ASSESSOR-ANNUAL-REPORT")
    assert (result["outcome"], result["message"]) == (PASS, f"“晋源评价咨询有限公司”已填报{last_year}年度工作情况。")
    records = gather(loaded([app]))[app.pk]["assessor"]["records"]
    assert [(r["kind"], r["category"], r["source"]) for r in records] == [
        ("assessor_annual_report", str(last_year), "山西省工信厅（测试）（本系统填报）")
    ]

    # Returned for correction: it no longer counts until filed again.
    services.annual_report_review(actor=tree.users["province"], report=filed, accept=False, opinion="缺少项目清单")
    assert finding(evaluate_application(app), "ASSESSOR-ANNUAL-REPORT")["outcome"] == FAIL
    report(user, assessor, call)
    assert finding(evaluate_application(app), "ASSESSOR-ANNUAL-REPORT")["outcome"] == PASS


def test_a_report_on_an_older_year_does_not_count(tree, this_year):
    assessor, user = new_assessor()
    approved(user, assessor, tree.province, tree.users["province"])
    two_years_ago = open_call(tree.users["province"], tree.province, year=timezone.localdate().year - 2)
    report(user, assessor, two_years_ago)
    app = commissioned(this_year, tree.ent, assessor)
    assert outcome(app, "ASSESSOR-ANNUAL-REPORT").outcome == FAIL


# ASSESSOR-BLACKLIST: active until its end date (exclusive), then expired; lifting ends it early.


def blacklist(tree, assessor, starts_on, ends_on=None, by=None):
    by = by or tree.province
    decider = tree.users["province"] if by == tree.province else tree.users["ministry"]
    return services.blacklist_add(
        actor=decider,
        authority=by,
        assessor=assessor,
        starts_on=starts_on,
        ends_on=ends_on,
        reason="评价报告数据弄虚作假",
        notice_ref="晋工信节能函〔2023〕12号",
    )


def test_the_blacklist_holds_three_years_by_default_and_until_its_end_date(tree, notice):
    assessor, _ = new_assessor("晋源评价咨询有限公司")
    entry = blacklist(tree, assessor, date(2023, 3, 1))
    assert entry.ends_on == date(2026, 3, 1)
    before_end = commissioned(notice, tree.ent, assessor, submitted_at=on(date(2026, 2, 28)))
    at_end = commissioned(notice, tree.other_ent, assessor, submitted_at=on(date(2026, 3, 1)))
    before_start = commissioned(
        notice, enterprise("尚未列入时申报企业", tree.county), assessor, submitted_at=on(date(2023, 2, 28))
    )
    result = outcome(before_end, "ASSESSOR-BLACKLIST")
    assert result.outcome == FAIL
    assert result.message == (
        "“晋源评价咨询有限公司”于2023-03-01列入黑名单（山西省工信厅（测试）晋工信节能函〔2023〕12号），"
        "2026-03-01前不接受其评价报告。"
    )
    assert result.evidence == {"assessor": "晋源评价咨询有限公司", "listings": ["2023-03-01"], "until": "2026-03-01"}
    assert outcome(at_end, "ASSESSOR-BLACKLIST").outcome == PASS
    assert outcome(at_end, "ASSESSOR-BLACKLIST").message == "“晋源评价咨询有限公司”不在黑名单期内。"
    # The rule's `years` does not stretch an entry with its own end date.
    assert outcome(at_end, "ASSESSOR-BLACKLIST", years=5).outcome == PASS
    # Listed after an application was submitted: its report is no longer accepted either.
    assert outcome(before_start, "ASSESSOR-BLACKLIST").outcome == FAIL


def test_an_explicit_end_date(tree, notice):
    assessor, _ = new_assessor()
    blacklist(tree, assessor, date(2023, 7, 1), ends_on=date(2024, 6, 30))
    last_day = commissioned(notice, tree.ent, assessor, submitted_at=on(date(2024, 6, 29)))
    expired = commissioned(notice, tree.other_ent, assessor, submitted_at=on(date(2024, 6, 30)))
    assert outcome(last_day, "ASSESSOR-BLACKLIST").outcome == FAIL
    assert outcome(expired, "ASSESSOR-BLACKLIST").outcome == PASS


def test_lifting_ends_the_entry_from_its_day(tree, notice):
    assessor, user = new_assessor()
    today = timezone.localdate()
    entry = blacklist(tree, assessor, today - timedelta(days=100))
    draft = commissioned(notice, tree.ent, assessor)  # judged as of today
    yesterday = commissioned(notice, tree.other_ent, assessor, submitted_at=on(today - timedelta(days=1)))
    assert outcome(draft, "ASSESSOR-BLACKLIST").outcome == FAIL
    lifted = services.blacklist_lift(actor=tree.users["province"], entry=entry, reason="复查后撤销通报")
    assert (lifted.lifted_on, lifted.effective_end) == (today, today)
    assert outcome(draft, "ASSESSOR-BLACKLIST").outcome == PASS
    assert outcome(yesterday, "ASSESSOR-BLACKLIST").outcome == FAIL  # it was in force then
    record = gather(loaded([draft]))[draft.pk]["assessor"]["records"][0]
    assert (record["ended_on"], record["rectified"]) == (today.isoformat(), True)


def test_lifting_is_refused_without_a_reason_twice_or_by_another_authority(tree):
    assessor, _ = new_assessor()
    today = timezone.localdate()
    entry = blacklist(tree, assessor, today - timedelta(days=10))
    with pytest.raises(ValidationError) as excinfo:
        services.blacklist_lift(actor=tree.users["province"], entry=entry, reason="")
    assert excinfo.value.message_dict == {"reason": ["请填写移出黑名单的理由。"]}
    with pytest.raises(PermissionDenied):
        services.blacklist_lift(actor=tree.users["ministry"], entry=entry, reason="部里认为不妥")
    services.blacklist_lift(actor=tree.users["province"], entry=entry, reason="复查后撤销")
    with pytest.raises(ValidationError) as excinfo:
        services.blacklist_lift(actor=tree.users["province"], entry=entry, reason="再次")
    assert excinfo.value.messages == [f"该记录已于{today:%Y年%m月%d日}移出黑名单。"]


def test_blacklisting_needs_a_reason_and_notice_and_defaults_to_three_years(tree):
    assessor, _ = new_assessor()
    with pytest.raises(ValidationError) as excinfo:
        services.blacklist_add(
            actor=tree.users["province"],
            authority=tree.province,
            assessor=assessor,
            starts_on=date(2024, 2, 29),
            ends_on=date(2024, 2, 1),
            reason="",
            notice_ref="",
        )
    assert excinfo.value.message_dict == {
        "ends_on": ["期满日期应晚于列入日期。"],
        "reason": ["请填写列入黑名单的理由（查实的弄虚作假或故意隐瞒问题）。"],
        "notice_ref": ["请填写通报或公告的文号。"],
    }
    entry = blacklist(tree, assessor, date(2024, 2, 29))
    assert entry.ends_on == date(2027, 2, 28)
    with pytest.raises(ValidationError) as excinfo:
        services.blacklist_add(
            actor=tree.users["city"],
            authority=tree.city,
            assessor=assessor,
            starts_on=date(2024, 1, 1),
            reason="x",
            notice_ref="y",
        )
    assert excinfo.value.messages == ["只有省级或部级工业和信息化主管部门可以将评价机构列入黑名单。"]
    with pytest.raises(PermissionDenied):
        services.blacklist_add(
            actor=tree.users["ent"],
            authority=tree.province,
            assessor=assessor,
            starts_on=date(2024, 1, 1),
            reason="x",
            notice_ref="y",
        )


def test_a_provinces_blacklist_holds_in_its_province_and_the_ministrys_everywhere(tree, notice):
    jilin = authority("吉林省工信厅（测试）", "220000", "province", tree.ministry)
    jilin_decider = member(jilin)
    assessor, user = new_assessor()
    approved(user, assessor, jilin, jilin_decider)  # visible to 吉林 through its filing
    today = timezone.localdate()
    services.blacklist_add(
        actor=jilin_decider,
        authority=jilin,
        assessor=assessor,
        starts_on=today - timedelta(days=30),
        reason="弄虚作假",
        notice_ref="吉工信资源〔2025〕1号",
    )
    app = commissioned(notice, tree.ent, assessor)  # a 山西 applicant
    assert outcome(app, "ASSESSOR-BLACKLIST").outcome == PASS
    blacklist(tree, assessor, today - timedelta(days=10), by=tree.ministry)
    assert outcome(app, "ASSESSOR-BLACKLIST").outcome == FAIL
    assert AssessorBlacklist.objects.count() == 2


# Cap use: counted as ASSESSOR-CAP counts.


def test_cap_use_sixteen_projects_against_a_cap_of_fifteen(tree, notice, client):
    assessor, user = new_assessor("晋源评价咨询有限公司", rep="张三")
    apps = [commissioned(notice, enterprise(f"委托企业{i:02d}有限公司", tree.county), assessor) for i in range(16)]
    use = assessor_cap_use(assessor)
    [batch] = use.batches
    assert (batch.entity, batch.representative, batch.entity_year, batch.year) == (16, 16, 16, 2024)
    assert (batch.rule.cap, batch.rule.basis, batch.rule.period, batch.used) == (15, "legal_entity", "batch", 16)
    assert batch.over and use.over == [batch] and batch.left == 0
    assert batch.title == "工信部节能司（测试）2024年度通知"  # the round is named by its root notice
    assert [(y.year, y.entity, y.representative) for y in use.years] == [(2024, 16, 16)]
    # The same count as the rule's: the 16th project is over, the 15th is not.
    facts = gather(loaded(apps))
    assert run(RULES["ASSESSOR-CAP"], facts[apps[14].pk], {}).outcome == PASS
    assert run(RULES["ASSESSOR-CAP"], facts[apps[15].pk], {}).outcome == FAIL

    client.force_login(user)
    page = client.get("/assessors/").content.decode()
    assert '<strong class="cap-figure">16/15</strong> <span class="overdue">超过上限</span>' in page
    assert "上限15个，按法人（含关联单位），每批次" in page


def test_cap_use_follows_the_rule_set_in_force_and_the_legal_representative(tree, notice, root):
    rule_set_save(
        actor=None, notice=notice, entries={"ASSESSOR-CAP": {"params": {"cap": 3, "basis": "legal_representative"}}}
    )
    first, _ = new_assessor("甲评价有限公司", rep="张三")
    sister, _ = new_assessor("乙评价有限公司", rep="张三")
    for i in range(2):
        commissioned(notice, enterprise(f"甲委托{i}有限公司", tree.county), first)
    for i in range(2):
        commissioned(notice, enterprise(f"乙委托{i}有限公司", tree.county), sister)
    # Another round of the same year: not this round's projects, but this year's.
    other_round = published_notice(
        root,
        tree.ministry,
        year=2024,
        list_level="province",
        deadlines=[("authority", timezone.now() + timedelta(days=9))],
    )
    commissioned(other_round, enterprise("另一批次委托有限公司", tree.county), first)
    use = assessor_cap_use(first)
    by_root = {b.root_id: b for b in use.batches}
    batch = next(b for b in use.batches if b.title == "工信部节能司（测试）2024年度通知")
    assert (batch.entity, batch.representative, batch.entity_year, batch.representative_year) == (2, 4, 3, 5)
    assert (batch.rule.cap, batch.rule.basis, batch.used, batch.over) == (3, "legal_representative", 4, True)
    assert len(by_root) == 2
    assert [(y.year, y.entity, y.representative) for y in use.years] == [(2024, 3, 5)]
    # A withdrawn or declined engagement is not a live project.
    sister_use = assessor_cap_use(sister)
    assert [b.entity for b in sister_use.batches] == [2]


def test_no_projects_no_rows(tree):
    assessor, _ = new_assessor()
    use = assessor_cap_use(assessor)
    assert use.batches == [] and use.years == [] and use.over == []
