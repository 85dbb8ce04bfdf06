"""The eligibility engine through the database: facts gathered from applications, engagements and credit records,
rule sets per notice (presets, versions), evaluations re-used when nothing changed, a hard fail blocking submission,
and a fixed number of queries however many applications are evaluated."""

import itertools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applications import services as application_services
from applications.models import Application, Declaration, Engagement, State
from eligibility.catalogue import (
    FAIL,
    HARD,
    NEEDS_EVIDENCE,
    NOT_APPLICABLE,
    PASS,
    PRIORITY,
    RULES,
    run,
    years_before,
)
from eligibility.facts import gather
from eligibility.models import CreditRecord, Evaluation, RuleSet
from eligibility.presets import PRESETS
from eligibility.selectors import latest_evaluation
from eligibility.services import (
    blocking_problems,
    current_rule_sets,
    evaluate,
    evaluate_application,
    rule_set_apply_preset,
    rule_set_save,
)
from notices import services as notice_services
from organizations.models import AssessorFiling
from reviews.services import transition_perform
from tests.application_helpers import FACTORY_DATA, PARK_DATA, open_chain, ready_application
from tests.factories import authority, credit_code, enterprise, org
from tests.notice_helpers import published_notice

SHANGHAI = ZoneInfo("Asia/Shanghai")
_serial = itertools.count(1)


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")


@pytest.fixture
def notice(tree, root):
    """太原's forward of 山西's forward of the ministry's 2024 notice (list level national)."""
    return open_chain(tree, root)


def loaded(apps):
    ids = [a.pk for a in apps]
    qs = Application.objects.filter(pk__in=ids).select_related("applicant", "applicant__competent_authority", "notice")
    by_id = {a.pk: a for a in qs}
    return [by_id[pk] for pk in ids]


def new_applicant(tree, kind="enterprise"):
    return enterprise(f"测试申报单位{next(_serial)}有限公司", tree.county, kind=kind)


def new_assessor(name, rep="张三", filed_with=None, region="140100", filing_status="approved"):
    assessor = org(
        kind="assessor",
        name=name,
        region_id=region,
        credit_code=credit_code(region),
        legal_representative=rep,
    )
    if filed_with is not None:  # filed (备案) with an authority: a filing in the assessor registry (004 §四)
        AssessorFiling.objects.create(assessor=assessor, authority=filed_with, status=filing_status)
    return assessor


def draft(tree, notice, *, category="factory", applicant=None, data=None, mode="self", **fields):
    applicant = applicant or new_applicant(tree, "park" if category == "park" else "enterprise")
    return Application.objects.create(
        notice=notice,
        category=category,
        applicant=applicant,
        holder=applicant,
        evaluation_mode=mode,
        data=dict(data or (PARK_DATA if category == "park" else FACTORY_DATA)),
        **fields,
    )


def commissioned(tree, notice, assessor, *, status=Engagement.Status.ACCEPTED, lead="王五", **kwargs):
    app = draft(tree, notice, mode="third_party", **kwargs)
    Engagement.objects.create(application=app, assessor=assessor, status=status, lead_assessor=lead)
    return app


def credit(org_or_code, kind, occurred_on, **fields):
    code = org_or_code if isinstance(org_or_code, str) else org_or_code.credit_code
    fields.setdefault("source", "测试名单")
    return CreditRecord.objects.create(kind=kind, credit_code=code, occurred_on=occurred_on, **fields)


def finding(evaluation, code):
    return next(f for f in evaluation.findings if f["rule"] == code)


def another_round(actor, issuer, year, list_level="national"):
    due = timezone.now() + timedelta(days=30)
    return published_notice(actor, issuer, year=year, list_level=list_level, deadlines=[("authority", due)])


def cap(facts, **params):
    return run(RULES["ASSESSOR-CAP"], facts, params)


# ASSESSOR-CAP: counted through the database, in the order the assessor was commissioned.


def test_assessor_cap_per_legal_entity_the_15th_passes_the_16th_fails(tree, notice):
    assessor = new_assessor("晋源评价咨询有限公司")
    apps = [commissioned(tree, notice, assessor) for _ in range(16)]
    facts = gather(loaded(apps))
    assert [facts[a.pk]["assessor"]["projects"]["legal_entity_batch"] for a in apps] == list(range(1, 17))

    fifteenth, sixteenth = cap(facts[apps[14].pk]), cap(facts[apps[15].pk])
    assert fifteenth.outcome == PASS
    assert fifteenth.message == "本申报是“晋源评价咨询有限公司”本批次承担的第15个评价项目，未超过上限15个。"
    assert sixteenth.outcome == FAIL
    assert sixteenth.message == "本申报是“晋源评价咨询有限公司”本批次承担的第16个评价项目，超过上限15个。"
    assert sixteenth.evidence == {
        "assessor": "晋源评价咨询有限公司",
        "legal_representative": "张三",
        "count": 16,
        "cap": 15,
        "basis": "legal_entity",
        "period": "batch",
    }
    # The sixteenth does not push the first fifteen over the cap.
    assert {cap(facts[a.pk]).outcome for a in apps[:15]} == {PASS}

    # A cancelled engagement and a withdrawn application no longer count; a pending engagement does.
    Engagement.objects.filter(application=apps[0]).update(status=Engagement.Status.CANCELLED)
    Application.objects.filter(pk=apps[1].pk).update(state=State.WITHDRAWN)
    Engagement.objects.filter(application=apps[2]).update(status=Engagement.Status.PENDING)
    facts = gather(loaded(apps[2:]))
    assert facts[apps[15].pk]["assessor"]["projects"]["legal_entity_batch"] == 14
    assert cap(facts[apps[15].pk]).outcome == PASS


def test_assessor_cap_per_legal_representative_counts_assessors_sharing_one(tree, notice):
    first = new_assessor("晋源评价咨询有限公司", rep="张三")
    sister = new_assessor("晋阳低碳技术服务有限公司", rep="张三")
    unrelated = new_assessor("汾河检测评价有限公司", rep="李四")
    apps = [commissioned(tree, notice, first) for _ in range(15)]
    sisters = commissioned(tree, notice, sister)
    other = commissioned(tree, notice, unrelated)
    facts = gather(loaded([*apps, sisters, other]))

    assert facts[sisters.pk]["assessor"]["projects"] == {
        "legal_entity_batch": 1,
        "legal_entity_year": 1,
        "legal_representative_batch": 16,
        "legal_representative_year": 16,
    }
    assert cap(facts[sisters.pk]).outcome == PASS  # per legal entity: its first project
    by_rep = cap(facts[sisters.pk], basis="legal_representative")
    assert by_rep.outcome == FAIL
    assert by_rep.message == "本申报是法定代表人“张三”名下评价机构本批次承担的第16个评价项目，超过上限15个。"
    assert by_rep.evidence["legal_representative"] == "张三" and by_rep.evidence["count"] == 16
    fifteenth = cap(facts[apps[14].pk], basis="legal_representative")
    assert fifteenth.outcome == PASS and "第15个评价项目，未超过上限15个" in fifteenth.message
    assert facts[other.pk]["assessor"]["projects"]["legal_representative_batch"] == 1
    assert cap(facts[other.pk], basis="legal_representative").outcome == PASS

    # The same through a rule set counting per legal representative: the engine stores the finding and blocks.
    current_rule_sets([notice.pk])
    rule_set_save(actor=None, notice=notice, entries={"ASSESSOR-CAP": {"params": {"basis": "legal_representative"}}})
    evaluations = evaluate(loaded([apps[14], sisters]))
    result = finding(evaluations[sisters.pk], "ASSESSOR-CAP")
    assert (result["kind"], result["outcome"]) == (HARD, FAIL) and "法定代表人“张三”" in result["message"]
    assert evaluations[sisters.pk].blocked and not evaluations[apps[14].pk].blocked
    assert evaluations[sisters.pk].rule_set.version == 2


def test_assessor_cap_per_batch_and_per_year(tree, notice, root):
    # Another round in the same year (山西's own provincial round), and the next year's national round.
    provincial = another_round(root, tree.province, 2024, list_level="province")
    next_year = another_round(root, tree.ministry, 2025)
    assessor = new_assessor("晋源评价咨询有限公司")
    apps = [commissioned(tree, notice, assessor) for _ in range(15)]
    other_round = commissioned(tree, provincial, assessor)
    later = commissioned(tree, next_year, assessor)
    facts = gather(loaded([*apps, other_round, later]))

    assert facts[other_round.pk]["assessor"]["projects"]["legal_entity_batch"] == 1
    assert facts[other_round.pk]["assessor"]["projects"]["legal_entity_year"] == 16
    assert cap(facts[other_round.pk]).outcome == PASS
    per_year = cap(facts[other_round.pk], period="year")
    assert per_year.outcome == FAIL
    assert per_year.message == "本申报是“晋源评价咨询有限公司”本年度承担的第16个评价项目，超过上限15个。"
    assert cap(facts[apps[14].pk], period="year").outcome == PASS
    assert facts[later.pk]["assessor"]["projects"]["legal_entity_year"] == 1
    assert cap(facts[later.pk], period="year").outcome == PASS


def test_assessor_cap_is_gathered_in_one_pass_for_every_application_of_a_chunk(tree, notice):
    assessor = new_assessor("晋源评价咨询有限公司")
    apps = [commissioned(tree, notice, assessor) for _ in range(16)]
    # Gathering the sixteenth alone gives the same place as gathering all of them.
    alone = gather(loaded([apps[15]]))
    assert alone[apps[15].pk]["assessor"]["projects"]["legal_entity_batch"] == 16


# The other assessor rules, wired to the database.


def test_assessor_filed_with_the_applicants_province(tree, notice):
    jilin = authority("吉林省工信厅（测试）", "220000", "province", tree.ministry)
    at_home = commissioned(tree, notice, new_assessor("省内备案机构", filed_with=tree.province))
    elsewhere = commissioned(tree, notice, new_assessor("外省备案机构", filed_with=jilin, region="220100"))
    at_city = commissioned(tree, notice, new_assessor("市级备案机构", filed_with=tree.city))
    unfiled = commissioned(tree, notice, new_assessor("未备案机构"))
    # Only an approved filing counts: one waiting for the province, or rejected, does not; nor does the
    # organization's competent authority (the registry replaced it as the sign of filing).
    pending = commissioned(
        tree, notice, new_assessor("待审核机构", filed_with=tree.province, filing_status="submitted")
    )
    rejected = commissioned(
        tree, notice, new_assessor("未通过机构", filed_with=tree.province, filing_status="rejected")
    )
    attached = new_assessor("挂靠机构")
    attached.competent_authority = tree.province
    attached.save()
    attached = commissioned(tree, notice, attached)
    facts = gather(loaded([at_home, elsewhere, at_city, unfiled, pending, rejected, attached]))

    def filed(app):
        return run(RULES["ASSESSOR-FILED"], facts[app.pk], {})

    assert facts[at_home.pk]["assessor"]["filed_in_applicant_province"] is True
    assert (filed(at_home).outcome, filed(at_home).message) == (PASS, "“省内备案机构”已在山西省工信厅（测试）备案。")
    for app, where in (
        (elsewhere, "吉林省工信厅（测试）"),
        (at_city, None),
        (unfiled, None),
        (pending, None),
        (rejected, None),
        (attached, None),
    ):
        result = filed(app)
        assert result.outcome == FAIL and result.message.endswith("未在申报单位所在省备案。")
        assert result.evidence["filed_with"] == where


def test_assessor_independence_blacklist_and_annual_report_from_the_database(tree, notice):
    assessor = new_assessor("晋源评价咨询有限公司", filed_with=tree.province)
    wrote_it = commissioned(tree, notice, assessor, self_evaluation_org=assessor)
    same_person = commissioned(tree, notice, assessor, lead="赵六", self_evaluation_person="赵六")
    clean = commissioned(tree, notice, assessor, self_evaluation_person="钱七")
    facts = gather(loaded([wrote_it, same_person, clean]))

    def outcome(app, code):
        return run(RULES[code], facts[app.pk], {})

    assert outcome(wrote_it, "ASSESSOR-INDEPENDENCE").outcome == FAIL
    assert "参与编制了自评价报告" in outcome(wrote_it, "ASSESSOR-INDEPENDENCE").message
    assert outcome(same_person, "ASSESSOR-INDEPENDENCE").message == "项目负责人“赵六”参与编制了自评价报告。"
    assert outcome(clean, "ASSESSOR-INDEPENDENCE").outcome == PASS
    # Nothing on file: not blacklisted, but no work report for 2023 (the notice is 2024's).
    assert outcome(clean, "ASSESSOR-BLACKLIST").outcome == PASS
    assert outcome(clean, "ASSESSOR-ANNUAL-REPORT").message == (
        "“晋源评价咨询有限公司”未填报2023年度工作情况，本年度不得参与评价。"
    )

    today = timezone.localdate()
    listed = today - timedelta(days=400)
    credit(assessor, "assessor_blacklist", listed, source="工信部通报")
    credit(assessor, "assessor_annual_report", date(2023, 8, 1), source="管理平台")
    facts = gather(loaded([clean]))
    assert {r["kind"] for r in facts[clean.pk]["assessor"]["records"]} == {
        "assessor_blacklist",
        "assessor_annual_report",
    }
    blacklist = outcome(clean, "ASSESSOR-BLACKLIST")
    assert blacklist.outcome == FAIL
    assert blacklist.message == f"“晋源评价咨询有限公司”于{listed.isoformat()}列入黑名单，3年内不接受其评价报告。"
    assert outcome(clean, "ASSESSOR-ANNUAL-REPORT").outcome == PASS


# The negative list through the database: the window from the submission date, and a park's enterprises.


def test_the_window_runs_from_the_submission_date(tree, notice):
    app = draft(tree, notice, submitted_at=datetime(2024, 6, 30, 23, 30, tzinfo=SHANGHAI))
    assert gather(loaded([app]))[app.pk]["reference_date"] == "2024-06-30"
    credit(app.applicant, "safety_accident", "2021-06-29", source="应急管理局")
    result = run(RULES["NEG-SAFETY"], gather(loaded([app]))[app.pk], {})
    assert result.outcome == NEEDS_EVIDENCE  # no declarations yet, and the record is outside the window
    credit(app.applicant, "safety_accident", "2021-06-30", source="应急管理局")
    result = run(RULES["NEG-SAFETY"], gather(loaded([app]))[app.pk], {})
    assert result.outcome == FAIL
    assert (
        result.message
        == "申报单位近3年有“发生安全事故（含网络安全、数据安全）”记录（2021-06-30，应急管理局），不得申报。"
    )
    assert [r["occurred_on"] for r in result.evidence["records"]] == ["2021-06-30"]


def test_a_draft_is_judged_as_of_today(tree, notice):
    app = draft(tree, notice)
    today = timezone.localdate()
    facts = gather(loaded([app]))
    assert facts[app.pk]["reference_date"] == today.isoformat()
    credit(app.applicant, "quality_accident", years_before(today, 3) - timedelta(days=1))
    assert run(RULES["NEG-QUALITY"], gather(loaded([app]))[app.pk], {}).evidence["records"] == []
    credit(app.applicant, "quality_accident", years_before(today, 3))
    assert run(RULES["NEG-QUALITY"], gather(loaded([app]))[app.pk], {}).outcome == FAIL


def test_a_park_fails_when_a_member_enterprise_has_a_record(tree, notice):
    member, clean_member = credit_code("140105"), credit_code("140105")
    park = draft(tree, notice, category="park", data={**PARK_DATA, "member_credit_codes": f"{member}\n{clean_member}"})
    Declaration.objects.bulk_create(
        [Declaration(application=park, item=code, occurred=False) for code in RULES if code.startswith("NEG-")]
    )
    credit(member, "dishonest", "2024-01-15", source="最高人民法院失信被执行人名单")
    credit(credit_code("140105"), "dishonest", "2024-01-15", source="无关企业")  # not a member
    evaluation = evaluate_application(park)
    result = finding(evaluation, "NEG-DISHONEST")
    assert (result["kind"], result["outcome"]) == (HARD, FAIL)
    assert result["message"] == (
        "园区内企业近3年有“被列为失信被执行人”记录（2024-01-15，最高人民法院失信被执行人名单），不得申报。"
    )
    assert [r["credit_code"] for r in result["evidence"]["records"]] == [member]
    assert evaluation.blocked
    assert any("被列为失信被执行人" in p and "园区内企业" in p for p in blocking_problems(evaluation))
    # Rectified (removed from the list): no longer a finding.
    CreditRecord.objects.filter(credit_code=member).update(rectified=True)
    assert finding(evaluate_application(park), "NEG-DISHONEST")["outcome"] == PASS


# LIST-* and QUOTA wired to the database.


def test_list_rules_read_the_green_list_records(tree, notice):
    app = draft(tree, notice)
    credit(app.applicant, "green_list", "2022-12-20", level="province", category="supply_chain")
    evaluation = evaluate_application(app)
    assert finding(evaluation, "LIST-PREREQUISITE")["outcome"] == FAIL  # provincial, but another category
    assert finding(evaluation, "LIST-REPEAT")["outcome"] == PASS
    credit(app.applicant, "green_list", "2023-01-05", level="province", category="factory")
    evaluation = evaluate_application(app)
    assert finding(evaluation, "LIST-PREREQUISITE")["message"] == "已列入省级绿色制造名单（2023-01-05）。"
    credit(app.applicant, "green_list", "2023-12-30", level="national", category="factory")
    evaluation = evaluate_application(app)
    repeat = finding(evaluation, "LIST-REPEAT")
    assert (repeat["outcome"], repeat["kind"]) == (FAIL, HARD)
    assert repeat["message"] == "已于2023-12-30列入国家级同类别名单，不得重复申报。"


def test_quota_fails_when_more_are_in_the_flow_than_allotted_this_round(tree, notice, root):
    notice_services.quota_set(
        actor=root, notice_category=notice.categories.get(category="factory"), authority=tree.county, limit=1
    )
    apps = [draft(tree, notice) for _ in range(2)]
    evaluation = evaluate_application(apps[0])
    quota = finding(evaluation, "QUOTA")
    # A draft counts itself: it would take the one place.
    assert (quota["outcome"], quota["message"]) == (PASS, "小店区工信局（测试）该类别名额1个，含本申报共1家。")
    Application.objects.filter(pk__in=[a.pk for a in apps]).update(state=State.UNDER_REVIEW)
    quota = finding(evaluate_application(apps[0]), "QUOTA")
    assert quota["outcome"] == FAIL
    assert quota["message"] == "小店区工信局（测试）该类别名额1个，含本申报已有2家在推荐流程中，超出名额。"
    assert quota["evidence"] == {"authority": "小店区工信局（测试）", "limit": 1, "used": 2}

    # Units listed in another round (last year) do not use up this round's quota.
    last_year = another_round(root, tree.ministry, 2023)
    draft(tree, last_year, state=State.LISTED)
    draft(tree, last_year, state=State.LISTED)
    assert finding(evaluate_application(apps[0]), "QUOTA")["evidence"]["used"] == 2


# Evaluations: re-used when nothing changed, new when a declaration, a record or the rule set changes.


def test_results_are_reused_when_nothing_changed_and_renewed_when_facts_or_rules_change(tree, notice, root):
    user = tree.users["ent"]
    app = ready_application(user, tree.ent, notice)
    first = evaluate_application(app)
    assert first.rule_set.version == 1 and first.rule_set.preset == "default"
    assert not first.blocked and blocking_problems(first) == []
    # Self-evaluated: every assessor rule is not applicable.
    for code in ("ASSESSOR-CAP", "ASSESSOR-BLACKLIST", "ASSESSOR-ANNUAL-REPORT", "ASSESSOR-FILED"):
        assert (finding(first, code)["outcome"], finding(first, code)["message"]) == (
            NOT_APPLICABLE,
            "自评价，不涉及第三方机构。",
        )
    assert finding(first, "ASSESSOR-INDEPENDENCE")["outcome"] == NOT_APPLICABLE

    again = evaluate_application(app)
    assert again.pk == first.pk and Evaluation.objects.filter(application=app).count() == 1
    assert evaluate([*loaded([app])])[app.pk].pk == first.pk

    # A declaration changes: a new evaluation with the new facts.
    application_services.declarations_save(
        actor=user, application=app, answers={"NEG-TAX": {"occurred": True, "note": "2023年补缴税款及滞纳金"}}
    )
    declared = evaluate_application(app)
    assert declared.pk != first.pk and Evaluation.objects.filter(application=app).count() == 2
    assert declared.facts["declarations"]["NEG-TAX"] is True and first.facts["declarations"]["NEG-TAX"] is False
    tax = finding(declared, "NEG-TAX")
    assert (tax["outcome"], tax["message"]) == (FAIL, "申报单位声明近3年存在“偷漏税等违法违规行为”情形，不得申报。")
    assert declared.blocked and evaluate_application(app).pk == declared.pk

    # A credit record arrives: a new evaluation that saw it.
    credit(tree.ent, "environment_accident", timezone.localdate() - timedelta(days=30), source="生态环境局通报")
    recorded = evaluate_application(app)
    assert recorded.pk != declared.pk and Evaluation.objects.filter(application=app).count() == 3
    assert [r["kind"] for r in recorded.facts["records"]] == ["environment_accident"]
    assert finding(recorded, "NEG-ENVIRONMENT")["outcome"] == FAIL
    assert "生态环境局通报" in finding(recorded, "NEG-ENVIRONMENT")["message"]

    # The rule set changes: a new evaluation naming the new version, over the same facts.
    rule_set_save(actor=root, notice=notice, entries={"NEG-TAX": {"kind": PRIORITY}}, note="测试：偷漏税改为优先")
    renewed = evaluate_application(app)
    assert renewed.pk != recorded.pk and Evaluation.objects.filter(application=app).count() == 4
    assert renewed.rule_set.version == 2 and renewed.rule_set.is_current
    assert renewed.facts == recorded.facts and renewed.facts_hash != recorded.facts_hash
    assert finding(renewed, "NEG-TAX")["kind"] == PRIORITY
    assert [p for p in blocking_problems(renewed) if "偷漏税" in p] == []
    assert evaluate_application(app).pk == renewed.pk
    assert latest_evaluation(app).pk == renewed.pk

    # force=True evaluates again even when nothing changed.
    forced = evaluate(loaded([app]), force=True)[app.pk]
    assert forced.pk != renewed.pk and forced.findings == renewed.findings


def test_an_engagement_is_a_change_of_facts(tree, notice):
    app = draft(tree, notice, mode="third_party")
    first = evaluate_application(app)
    assert finding(first, "ASSESSOR-CAP")["outcome"] == NEEDS_EVIDENCE
    Engagement.objects.create(application=app, assessor=new_assessor("晋源评价咨询有限公司"), lead_assessor="王五")
    second = evaluate_application(app)
    assert second.pk != first.pk and second.facts["assessor"]["name"] == "晋源评价咨询有限公司"
    assert finding(second, "ASSESSOR-CAP")["message"].startswith("本申报是“晋源评价咨询有限公司”本批次承担的第1个")


# Submission: a hard fail blocks with every failing rule listed; the same failure as priority does not.


def test_a_hard_fail_blocks_submission_listing_every_failing_rule(tree, notice, root):
    user = tree.users["ent"]
    app = ready_application(user, tree.ent, notice)
    current_rule_sets([notice.pk])  # the catalogue default, which the admin then edits
    credit(tree.ent, "safety_accident", timezone.localdate() - timedelta(days=100), source="应急管理局")
    credit(tree.ent, "dishonest", "2019-05-05", source="失信被执行人名单")  # long ago, never removed
    credit(tree.ent, "green_list", "2022-12-20", level="national", category="factory", source="工信部公告")
    failing = ("NEG-SAFETY", "NEG-DISHONEST", "LIST-REPEAT")

    with pytest.raises(ValidationError) as exc:
        transition_perform(actor=user, application=app, action="submit")
    messages = exc.value.messages
    assert len(messages) == len(failing)
    for code in failing:
        assert sum(f"资格审查未通过：{RULES[code].title}——" in m for m in messages) == 1, code
    assert all("请核实" in m for m in messages)
    assert any("失信被执行人名单" in m and "2019-05-05" in m for m in messages)
    assert not any(RULES["LIST-PREREQUISITE"].title in m for m in messages)  # failing, but advisory
    app.refresh_from_db()
    assert app.state == State.DRAFT and app.submitted_at is None

    # The same failures configured as priority rank, they do not block.
    rule_set_save(actor=root, notice=notice, entries={code: {"kind": PRIORITY} for code in failing})
    app = transition_perform(actor=user, application=app, action="submit")
    assert app.state == State.UNDER_REVIEW
    evaluation = latest_evaluation(app)
    assert not evaluation.blocked and evaluation.rule_set.version == 2
    assert {code: (finding(evaluation, code)["kind"], finding(evaluation, code)["outcome"]) for code in failing} == {
        code: (PRIORITY, FAIL) for code in failing
    }


def test_the_2022_energy_benchmark_blocks_and_as_priority_does_not(tree, notice, root):
    user = tree.users["ent"]
    app = ready_application(
        user,
        tree.ent,
        notice,
        data={**FACTORY_DATA, "key_energy_industry": True, "energy_efficiency_level": "advanced"},
    )
    # The default: priority, not blocking.
    assert finding(evaluate_application(app), "FACTORY-ENERGY-BENCHMARK") | {"evidence": None} == {
        "rule": "FACTORY-ENERGY-BENCHMARK",
        "title": RULES["FACTORY-ENERGY-BENCHMARK"].title,
        "kind": PRIORITY,
        "outcome": FAIL,
        "message": "能效未达到标杆水平。",
        "evidence": None,
        "source": RULES["FACTORY-ENERGY-BENCHMARK"].source,
    }
    rule_set_apply_preset(actor=root, notice=notice, preset="2022")
    with pytest.raises(ValidationError) as exc:
        transition_perform(actor=user, application=app, action="submit")
    assert exc.value.messages == [
        f"资格审查未通过：{RULES['FACTORY-ENERGY-BENCHMARK'].title}——能效未达到标杆水平。"
        "请核实：信息有误的请修改申报信息或补充证明材料，确不符合的不得申报。"
    ]
    rule_set_save(actor=root, notice=notice, entries={"FACTORY-ENERGY-BENCHMARK": {"kind": PRIORITY}})
    app = transition_perform(actor=user, application=app, action="submit")
    assert app.state == State.UNDER_REVIEW


# Presets: each gives the kinds and parameters its notice sets, as a new version.


def test_each_preset_gives_its_documented_kinds_and_params_as_a_new_version(tree, notice, root):
    nc = notice.categories.order_by("id").first()
    nc.assessor_cap, nc.cap_basis, nc.cap_period = 10, "legal_representative", "year"
    nc.save()
    for version, (name, preset) in enumerate(PRESETS.items(), start=1):
        rule_set = rule_set_apply_preset(actor=root, notice=notice, preset=name)
        assert (rule_set.version, rule_set.preset, rule_set.is_current) == (version, name, True)
        assert rule_set.note == f"采用预设：{preset['title']}"
        assert RuleSet.objects.get(notice=notice, is_current=True).pk == rule_set.pk
        entries = {e.rule: e for e in rule_set.entries.all()}
        assert set(entries) == set(RULES)
        for code, rule in RULES.items():
            override = preset["rules"].get(code, {})
            defaults = rule.defaults()
            if code == "ASSESSOR-CAP":
                defaults = {"cap": 10, "basis": "legal_representative", "period": "year"}
            entry = entries[code]
            assert entry.kind == override.get("kind", rule.kind), (name, code)
            assert entry.enabled == override.get("enabled", True), (name, code)
            assert entry.params == {**defaults, **override.get("params", {})}, (name, code)
    assert RuleSet.objects.filter(notice=notice).count() == len(PRESETS)

    def entry(preset, code):
        rs = RuleSet.objects.get(notice=notice, preset=preset)
        return rs.entries.get(rule=code)

    assert entry("default", "FACTORY-ENERGY-BENCHMARK").kind == PRIORITY
    assert entry("2022", "FACTORY-ENERGY-BENCHMARK").kind == HARD
    assert not entry("2022", "LIST-PREREQUISITE").enabled
    assert entry("2023", "LIST-PREREQUISITE").params == {"required_level": "province"}
    assert entry("2023", "LIST-PREREQUISITE").kind == "advisory"
    assert entry("neimenggu-2025", "WATER-SAVING").kind == HARD
    prerequisite = entry("neimenggu-2025", "LIST-PREREQUISITE")
    assert (prerequisite.kind, prerequisite.params) == (HARD, {"required_level": "city"})
    assert entry("neimenggu-2025", "ASSESSOR-ANNUAL-REPORT").kind == HARD
    assert entry("neimenggu-2025", "SUPPLY-CHAIN-NATIONAL-FACTORY").kind == HARD
    assert entry("jilin-2024", "ASSESSOR-FILED").kind == HARD
    assert (entry("jilin-2024", "LIST-PREREQUISITE").kind, entry("jilin-2024", "LIST-PREREQUISITE").params) == (
        HARD,
        {"required_level": "province"},
    )
    assert not entry("jilin-2024", "PRODUCT-STANDARD").enabled
    assert entry("jilin-2024", "ASSESSOR-CAP").params == {"cap": 10, "basis": "legal_representative", "period": "year"}

    with pytest.raises(ValidationError):
        rule_set_apply_preset(actor=root, notice=notice, preset="2099")


def test_a_preset_replaces_earlier_edits(tree, notice, root):
    current_rule_sets([notice.pk])
    edited = rule_set_save(actor=root, notice=notice, entries={"PARK-VALUE-ADDED": {"params": {"min_share": 60}}})
    assert edited.entries.get(rule="PARK-VALUE-ADDED").params == {"min_share": 60.0}
    reset = rule_set_apply_preset(actor=root, notice=notice, preset="default")
    assert reset.version == 3 and reset.entries.get(rule="PARK-VALUE-ADDED").params == {"min_share": 50.0}


def test_neimenggu_and_jilin_presets_through_evaluation(tree, notice, root):
    thirsty = {**FACTORY_DATA, "key_water_user": True, "water_saving_enterprise": False}
    app = draft(tree, notice, data=thirsty)
    rule_set_apply_preset(actor=root, notice=notice, preset="neimenggu-2025")
    evaluation = evaluate_application(app)
    assert (finding(evaluation, "WATER-SAVING")["kind"], finding(evaluation, "WATER-SAVING")["outcome"]) == (HARD, FAIL)
    assert finding(evaluation, "LIST-PREREQUISITE")["message"] == "未列入市级同类别绿色制造名单。"
    blocking = blocking_problems(evaluation)
    assert any(RULES["WATER-SAVING"].title in p for p in blocking)
    assert any(RULES["LIST-PREREQUISITE"].title in p for p in blocking)
    credit(app.applicant, "green_list", "2024-01-10", level="city", category="factory", source="太原市公告")
    evaluation = evaluate_application(app)
    assert finding(evaluation, "LIST-PREREQUISITE")["outcome"] == PASS
    assert [p for p in blocking_problems(evaluation) if RULES["LIST-PREREQUISITE"].title in p] == []

    rule_set_apply_preset(actor=root, notice=notice, preset="jilin-2024")
    evaluation = evaluate_application(app)
    assert evaluation.rule_set.preset == "jilin-2024"
    assert finding(evaluation, "LIST-PREREQUISITE")["message"] == "未列入省级同类别绿色制造名单。"  # city is not enough
    assert finding(evaluation, "WATER-SAVING")["kind"] == "advisory"
    assert evaluation.blocked == bool(blocking_problems(evaluation))


# Queries: a fixed number for a chunk, however many applications it holds.


def _population(tree, notice, n):
    sister_a = new_assessor("晋源评价咨询有限公司", rep="张三", filed_with=tree.province)
    sister_b = new_assessor("晋阳低碳技术服务有限公司", rep="张三")
    apps = []
    for i in range(n):
        if i % 2:
            app = draft(tree, notice)
        else:
            app = commissioned(tree, notice, sister_a if i % 4 == 0 else sister_b)
        if i % 3 == 0:
            Declaration.objects.create(application=app, item="NEG-SAFETY", occurred=i % 6 == 0, note="说明")
        if i % 5 == 0:
            credit(app.applicant, "tax_violation", "2023-03-01")
        apps.append(app)
    park = draft(tree, notice, category="park", data={**PARK_DATA, "member_credit_codes": credit_code("140105")})
    apps[1] = park
    return loaded(apps)


def test_evaluate_uses_the_same_number_of_queries_for_5_and_25_applications(tree, notice, root):
    notice_services.quota_set(
        actor=root, notice_category=notice.categories.get(category="factory"), authority=tree.county, limit=3
    )
    apps = _population(tree, notice, 25)
    current_rule_sets([notice.pk])  # the default rule set exists before counting

    with CaptureQueriesContext(connection) as fresh_5:
        evaluate(apps[:5], force=True)
    with CaptureQueriesContext(connection) as fresh_25:
        result = evaluate(apps, force=True)
    assert len(result) == 25 and Evaluation.objects.count() == 30
    assert len(fresh_5) == len(fresh_25), [q["sql"] for q in fresh_25]

    with CaptureQueriesContext(connection) as reused_5:
        first = evaluate(apps[:5])
    with CaptureQueriesContext(connection) as reused_25:
        again = evaluate(apps)
    assert Evaluation.objects.count() == 30  # nothing changed: nothing new
    assert {a.pk: e.pk for a, e in zip(apps, (again[a.pk] for a in apps), strict=True)} == {
        a.pk: result[a.pk].pk for a in apps
    }
    assert all(first[a.pk].pk == result[a.pk].pk for a in apps[:5])
    assert len(reused_5) == len(reused_25), [q["sql"] for q in reused_25]
    assert not any(q["sql"].lstrip().upper().startswith("INSERT") for q in reused_25.captured_queries)
