"""Eligibility in the web pages: a notice's rule set (edit → new version, Chinese errors with nothing saved, presets,
history, re-evaluation; read-only for others who see the notice, 404 for those who do not) and the results on an
application's page (each rule's message and evidence, a hard fail that blocks submission, priority badges for
the reviewing authority) with a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from applications import services as app_services
from applications.models import NegativeItem, State
from eligibility.catalogue import RULES
from eligibility.models import Evaluation, RuleSet
from eligibility.selectors import current_rule_set, latest_evaluation
from eligibility.services import current_rule_sets
from reviews.services import transition_perform
from tests.application_helpers import FACTORY_DATA, open_chain, ready_application


@pytest.fixture
def notice(tree, django_user_model):
    """太原's forwarded notice: issued by the city, seen by the county and the enterprise below it."""
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    return open_chain(tree, root)


def as_user(client, user):
    client.logout()
    client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode()


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def rules_url(notice, tail="") -> str:
    return f"/eligibility/notices/{notice.pk}/rules/{tail}"


def form_of(rule_set, **changes) -> dict:
    """The rules table as the browser posts it for `rule_set`; changes: {"CODE__param": "value", ...}."""
    data = {"note": ""}
    for entry in rule_set.entries.all():
        if entry.enabled:
            data[f"{entry.rule}__enabled"] = "on"
        data[f"{entry.rule}__kind"] = entry.kind
        for name, value in entry.params.items():
            data[f"{entry.rule}__{name}"] = str(value)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def entry(notice, code):
    return current_rule_set(notice).entries.get(rule=code)


# The rule-set page


def test_the_issuer_sees_every_rule_and_edits_a_parameter_into_a_new_version(client, tree, notice):
    page = as_user(client, tree.users["city"]).get(rules_url(notice))
    assert page.status_code == 200
    body = text(page)
    for code, rule in RULES.items():
        assert f"<code>{code}</code>" in body and escape(rule.title) in body and escape(rule.source) in body
    assert len(RULES) == 29 and body.count('class="tag adjusted"') == 0
    assert "第1版" in body and "系统（按目录默认生成）" in body and "保存为新版本" in body
    assert 'name="ASSESSOR-CAP__cap"' in body and 'name="PARK-LEVEL__min_level"' in body
    assert body.count('name="preset"') == 5 and "按当前规则集重新审查" in body
    assert "硬性条件" in body and "优先条件" in body and "提示" in body

    v1 = current_rule_set(notice)
    response = client.post(
        rules_url(notice),
        form_of(
            v1,
            **{"ASSESSOR-CAP__cap": "10", "PARK-VALUE-ADDED__min_share": "55.5", "WATER-SAVING__enabled": None},
            note="按省厅补充通知调整",
        ),
        follow=True,
    )
    assert "已保存为第2版规则集" in messages_of(response)
    v2 = current_rule_set(notice)
    assert v2.version == 2 and v2.note == "按省厅补充通知调整" and v2.created_by == tree.users["city"]
    assert RuleSet.objects.filter(notice=notice).count() == 2 and not RuleSet.objects.get(pk=v1.pk).is_current
    assert entry(notice, "ASSESSOR-CAP").params == {"cap": 10, "basis": "legal_entity", "period": "batch"}
    assert entry(notice, "PARK-VALUE-ADDED").params == {"min_share": 55.5}
    assert entry(notice, "WATER-SAVING").enabled is False
    assert entry(notice, "NEG-TAX").enabled is True and entry(notice, "NEG-TAX").kind == "hard"
    body = text(response)
    assert "第2版" in body and "按省厅补充通知调整" in body and body.count('class="tag adjusted"') == 3
    # The history says what changed.
    assert "第三方机构评价项目数上限：上限（个） 15→10" in body
    assert "以产品制造和能源供给为主要功能" in body and "重点用水企业为节水型企业、园区为节水型园区：停用" in body
    assert 'href="?version=1"' in body

    # The old version stays readable, read-only.
    old = client.get(rules_url(notice), {"version": 1})
    assert "正在查看历史版本：第1版（只读）" in text(old) and "保存为新版本" not in text(old)

    # Saving the same table again makes no version.
    same = client.post(rules_url(notice), form_of(v2), follow=True)
    assert "规则未改变，仍为第2版" in messages_of(same) and RuleSet.objects.filter(notice=notice).count() == 2


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("ASSESSOR-CAP__cap", "十五", "第三方机构评价项目数上限：参数“上限（个）”的值“十五”无效。"),
        ("ASSESSOR-CAP__cap", "-1", "第三方机构评价项目数上限：参数“上限（个）”的值“-1”无效。"),
        ("NEG-TAX__window_years", "", "偷漏税等违法违规行为：参数“回溯年数”的值“”无效。"),
        (
            "PARK-VALUE-ADDED__min_share",
            "五成",
            "工业增加值占比超过规定比例：参数“工业增加值占比下限（%，须超过）”的值“五成”无效。",
        ),
        ("PARK-LEVEL__min_level", "county", "省级及以上工业园区：参数“最低园区级别”的值“county”无效。"),
        ("QUOTA__kind", "blocking", "性质只能是：硬性条件、优先条件、提示"),
    ],
)
def test_a_bad_parameter_is_refused_in_chinese_and_nothing_is_saved(client, tree, notice, field, value, error):
    as_user(client, tree.users["city"]).get(rules_url(notice))
    v1 = current_rule_set(notice)
    # A good change beside the bad one is not saved either.
    response = client.post(rules_url(notice), form_of(v1, **{field: value, "ASSESSOR-BLACKLIST__years": "5"}))
    assert response.status_code == 200
    body = text(response)
    assert "未保存：" in body and escape(error) in body
    code = field.split("__")[0]
    assert f'<tr id="rule-{code}" class="has-error' in body
    # What was posted is shown again to correct.
    assert 'name="ASSESSOR-BLACKLIST__years" value="5"' in body
    assert RuleSet.objects.filter(notice=notice).count() == 1 and current_rule_set(notice).pk == v1.pk
    assert entry(notice, "ASSESSOR-BLACKLIST").params == {"years": 3}


def test_presets_give_the_seed_notices_kinds_and_parameters(client, tree, notice):
    as_user(client, tree.users["city"])
    response = client.post(rules_url(notice, "preset/"), {"preset": "2022"}, follow=True)
    assert "已采用预设“工信部2022年度（工信厅节函〔2022〕235号）”，生成第1版规则集" in messages_of(response)
    rs = current_rule_set(notice)
    assert rs.preset == "2022" and rs.version == 1
    assert entry(notice, "FACTORY-ENERGY-BENCHMARK").kind == "hard"
    assert entry(notice, "QUOTA").kind == "hard"
    assert entry(notice, "LIST-PREREQUISITE").enabled is False
    body = text(response)
    assert "工信部2022年度" in body and "目录默认：优先条件" in body

    client.post(rules_url(notice, "preset/"), {"preset": "jilin-2024"})
    assert current_rule_set(notice).preset == "jilin-2024"
    prerequisite = entry(notice, "LIST-PREREQUISITE")
    assert (
        prerequisite.enabled and prerequisite.kind == "hard" and prerequisite.params == {"required_level": "province"}
    )
    assert entry(notice, "ASSESSOR-FILED").kind == "hard"
    assert entry(notice, "PRODUCT-STANDARD").enabled is False
    assert entry(notice, "FACTORY-ENERGY-BENCHMARK").kind == "priority"  # back to the catalogue's default

    client.post(rules_url(notice, "preset/"), {"preset": "neimenggu-2025"})
    assert entry(notice, "LIST-PREREQUISITE").params == {"required_level": "city"}
    assert entry(notice, "WATER-SAVING").kind == "hard"
    client.post(rules_url(notice, "preset/"), {"preset": "2023"})
    assert entry(notice, "LIST-PREREQUISITE").kind == "advisory"

    unknown = client.post(rules_url(notice, "preset/"), {"preset": "2099"}, follow=True)
    assert "未知的预设：2099" in messages_of(unknown)
    history = text(client.get(rules_url(notice)))
    assert list(RuleSet.objects.filter(notice=notice).values_list("version", flat=True)) == [4, 3, 2, 1]
    for title in ("吉林省2024年度", "内蒙古自治区2025年度", "工信部2023年度"):
        assert title in history
    assert "已列入下一级绿色制造名单：须已列入的名单层级 省级→市级" in history
    assert "已列入下一级绿色制造名单：硬性条件→提示，须已列入的名单层级 市级→省级" in history
    assert "已列入下一级绿色制造名单：启用，提示→硬性条件" in history


def test_others_who_see_the_notice_read_it_and_cannot_change_it(client, tree, notice):
    for name in ("county", "ent"):
        page = as_user(client, tree.users[name]).get(rules_url(notice))
        assert page.status_code == 200
        body = text(page)
        assert "只读：只有发文机关（太原市工信局（测试））或系统管理员可以修改资格审查规则。" in body
        assert "<code>NEG-DISHONEST</code>" in body and "回溯年数：<strong>3</strong>" in body
        assert "保存为新版本" not in body and 'name="preset"' not in body and "按当前规则集重新审查" not in body
        assert "<input" not in body.split('id="rules"')[1].split("</section>")[0]
        v1 = current_rule_set(notice)
        assert client.post(rules_url(notice), form_of(v1, **{"ASSESSOR-CAP__cap": "3"})).status_code == 403
        assert client.post(rules_url(notice, "preset/"), {"preset": "2022"}).status_code == 403
        assert client.post(rules_url(notice, "evaluate/")).status_code == 403
    assert RuleSet.objects.filter(notice=notice).count() == 1


def test_a_notice_the_user_cannot_see_is_a_404(client, tree, notice):
    as_user(client, tree.users["other_ent"])
    assert client.get(rules_url(notice)).status_code == 404
    assert client.post(rules_url(notice), {"note": ""}).status_code == 404
    assert client.post(rules_url(notice, "preset/"), {"preset": "2022"}).status_code == 404
    assert client.post(rules_url(notice, "evaluate/")).status_code == 404
    assert client.get("/eligibility/notices/999999/rules/").status_code == 404
    assert not RuleSet.objects.filter(notice=notice).exists()


def test_the_notice_page_links_to_its_rules(client, tree, notice):
    body = text(as_user(client, tree.users["ent"]).get(f"/notices/{notice.pk}/"))
    assert f'<a href="/eligibility/notices/{notice.pk}/rules/">资格审查规则</a>' in body


def test_re_evaluating_the_notice_applies_the_current_rule_set(client, tree, notice):
    application = ready_application(tree.users["ent"], tree.ent, notice)
    first = latest_evaluation(application) or _evaluate(application)
    assert first.rule_set.version == 1
    as_user(client, tree.users["city"])
    client.post(rules_url(notice, "preset/"), {"preset": "2022"})
    response = client.post(rules_url(notice, "evaluate/"), follow=True)
    assert "已将本通知的1份申报排队按当前规则集（第2版）重新审查" in messages_of(response)
    latest = latest_evaluation(application)
    assert latest.rule_set.version == 2
    assert next(f for f in latest.findings if f["rule"] == "FACTORY-ENERGY-BENCHMARK")["kind"] == "hard"


def _evaluate(application):
    from eligibility.services import evaluate_application

    return evaluate_application(application)


# Results on the application page


def test_the_applicant_sees_every_rules_message_and_evidence(client, tree, notice):
    application = ready_application(tree.users["ent"], tree.ent, notice)
    page = as_user(client, tree.users["ent"]).get(f"/applications/{application.pk}/")
    assert page.status_code == 200
    body = text(page)
    evaluation = latest_evaluation(application)
    assert evaluation is not None and len(evaluation.findings) == 29
    assert '<h2 id="eligibility-h">资格审查</h2>' in body
    for finding in evaluation.findings:
        assert escape(finding["message"]) in body, finding["rule"]
        assert f'data-rule="{finding["rule"]}"' in body
    assert "资格审查通过：硬性条件均符合。" in body
    assert "依据第1版规则集" in body
    # Outcomes and kinds in Chinese, evidence as a compact list.
    assert '<span class="tag outcome-pass">符合</span>' in body
    assert '<span class="tag outcome-not_applicable">不适用</span>' in body
    assert (
        '<span class="tag kind-hard">硬性条件</span>' in body
        and '<span class="tag kind-priority">优先条件</span>' in body
    )
    assert (
        "<dt>申报单位声明</dt><dd>无该情形</dd>" in body
        and "<dt>评价标准</dt><dd>GB/T 36132-2018 绿色工厂评价通则</dd>" in body
    )
    assert "<dt>能效水平</dt>" in body
    # The applicant does not get the reviewers' priority badges.
    assert "优先：" not in body


def test_a_declared_tax_violation_blocks_submission_and_the_page_lists_it(client, tree, notice):
    user = tree.users["ent"]
    application = ready_application(user, tree.ent, notice)
    answers = {code: {"occurred": False, "note": ""} for code in NegativeItem.values}
    answers["NEG-TAX"] = {"occurred": True, "note": "2023年因漏缴印花税被处罚"}
    app_services.declarations_save(actor=user, application=application, answers=answers)

    page = as_user(client, user).get(f"/applications/{application.pk}/")
    body = text(page)
    message = "申报单位声明近3年存在“偷漏税等违法违规行为”情形，不得申报。"
    # The submit action is blocked with the failing rule and what to do.
    assert "暂不能提交：" in body
    assert escape(f"资格审查未通过：偷漏税等违法违规行为——{message}请核实：") in body
    # The eligibility section lists it first, in red.
    assert "资格审查未通过：1项硬性条件不符合，不能提交。" in body
    section = body.split('id="eligibility"')[1]
    first_row = section.split('<tr class="finding')[1]
    assert first_row.startswith(' hard-fail" data-rule="NEG-TAX"') and escape(message) in first_row
    assert '<span class="tag outcome-fail hard-fail">不符合</span>' in first_row
    assert "<dt>申报单位声明</dt><dd>存在该情形</dd>" in first_row
    evaluation = latest_evaluation(application)
    assert evaluation.blocked is True

    refused = client.post(
        f"/applications/{application.pk}/transition/",
        {"action": "submit", "expected_version": application.version},
        follow=True,
    )
    assert "未能提交：" in messages_of(refused) and "偷漏税等违法违规行为" in messages_of(refused)
    application.refresh_from_db()
    assert application.state == State.DRAFT


def test_the_county_sees_the_priority_badge_of_an_energy_benchmark_factory(client, tree, notice):
    user = tree.users["ent"]
    data = {**FACTORY_DATA, "key_energy_industry": True, "energy_efficiency_level": "benchmark"}
    application = ready_application(user, tree.ent, notice, data=data)
    application = transition_perform(actor=user, application=application, action="submit")
    assert application.holder == tree.county

    as_user(client, tree.users["county"])
    client.get(f"/applications/{application.pk}/")  # the first view may evaluate; later ones only read
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(f"/applications/{application.pk}/")
    body = text(page)
    assert (
        '<span class="tag priority" title="能效达到标杆水平（重点用能行业）或先进值/1级">优先：能效标杆</span>' in body
    )
    assert "重点用能行业，能效达到标杆水平。" in body
    # The recommend action's guard re-checks the facts, but unchanged facts re-use the stored evaluation.
    writes = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("INSERT") and "eligibility_" in q["sql"]]
    assert writes == []

    # Neither the applicant nor another authority's reviewer gets badges; the applicant still sees its results.
    own = text(as_user(client, user).get(f"/applications/{application.pk}/"))
    assert "优先：能效标杆" not in own and "重点用能行业，能效达到标杆水平。" in own


def test_an_application_without_an_evaluation_is_evaluated_when_shown(client, tree, notice):
    application = ready_application(tree.users["ent"], tree.ent, notice)
    application = transition_perform(actor=tree.users["ent"], application=application, action="submit")
    Evaluation.objects.filter(application=application).delete()
    current_rule_sets([notice.pk])
    body = text(as_user(client, tree.users["county"]).get(f"/applications/{application.pk}/"))
    assert "资格审查通过：硬性条件均符合。" in body and Evaluation.objects.filter(application=application).count() == 1


def test_the_authoritys_list_shows_each_applications_eligibility_in_the_lists_own_query(client, tree, notice):
    from tests.factories import enterprise, member

    def submitted(name, data):
        org = enterprise(name, tree.county)
        user = member(org)
        application = ready_application(user, org, notice, data=data)
        users[name] = user
        return transition_perform(actor=user, application=application, action="submit")

    users = {}

    fine = submitted("能效先进企业有限公司", FACTORY_DATA)
    short = submitted("重点用能未达标杆企业有限公司", {**FACTORY_DATA, "key_energy_industry": True})
    # 2022 made the energy benchmark hard: re-evaluated under it, the second no longer passes.
    as_user(client, tree.users["city"]).post(rules_url(notice, "preset/"), {"preset": "2022"})
    client.post(rules_url(notice, "evaluate/"))
    assert latest_evaluation(short).blocked and not latest_evaluation(fine).blocked

    as_user(client, tree.users["county"])
    with CaptureQueriesContext(connection) as two:
        body = text(client.get("/applications/"))
    rows = {row.split("</a>")[0].rsplit(">", 1)[1]: row for row in body.split("<tr>")[2:]}
    assert "资格：通过" in rows["能效先进企业有限公司"] and "资格：不通过" in rows["重点用能未达标杆企业有限公司"]

    third = submitted("尚未审查企业有限公司", FACTORY_DATA)
    Evaluation.objects.filter(application=third).delete()
    with CaptureQueriesContext(connection) as three:
        body = text(client.get("/applications/"))
    assert "未审查" in body.split("尚未审查企业有限公司")[1].split("</tr>")[0]
    assert len(three.captured_queries) == len(two.captured_queries)
    # The applicant's own list has no such column.
    own = text(as_user(client, users["能效先进企业有限公司"]).get("/applications/"))
    assert "能效先进企业有限公司" in own and "资格：" not in own
