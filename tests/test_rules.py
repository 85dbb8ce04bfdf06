"""Each rule of the eligibility catalogue at its boundaries, on hand-built facts (no database).

The facts have the shape eligibility.facts.gather builds; every test checks the outcome and what the rule says
(message and evidence), since reviewers and applicants read those. Sources: ../shared/DOMAIN.md "Eligibility rules".
"""

from datetime import date, timedelta

import pytest

from applications.categories import PRODUCT_STANDARDS
from eligibility.catalogue import (
    ADVISORY,
    ALL,
    FAIL,
    HARD,
    KINDS,
    NEEDS_EVIDENCE,
    NEGATIVE,
    NOT_APPLICABLE,
    PASS,
    PRIORITY,
    RULES,
    run,
    years_after,
    years_before,
)
from tests.application_helpers import FACTORY_DATA, PARK_DATA

OWN = "91140105MA0000001Y"
MEMBER = "91140105MA0000002Y"
REF = "2024-06-30"
SOURCE = "信用中国"

ISSUE_CODES = {
    *NEGATIVE,
    "PARK-FUNCTION",
    "PARK-VALUE-ADDED",
    "PARK-BOUNDARY",
    "PARK-MANAGEMENT",
    "PARK-LEVEL",
    "FACTORY-STANDARD",
    "FACTORY-ENERGY-BENCHMARK",
    "SUPPLY-CHAIN-LEADER",
    "SUPPLY-CHAIN-LEGAL-PERSON",
    "SUPPLY-CHAIN-NATIONAL-FACTORY",
    "WATER-SAVING",
    "LIST-PREREQUISITE",
    "LIST-REPEAT",
    "QUOTA",
    "ASSESSOR-CAP",
    "ASSESSOR-BLACKLIST",
    "ASSESSOR-ANNUAL-REPORT",
    "ASSESSOR-FILED",
    "ASSESSOR-INDEPENDENCE",
    "PRODUCT-STANDARD",
}
ASSESSOR_CODES = [c for c in sorted(RULES) if c.startswith("ASSESSOR-")]
DEFAULT_DATA = {
    "factory": FACTORY_DATA,
    "park": PARK_DATA,
    "supply_chain": {"chain_leader": True, "independent_legal_person": True, "national_green_factory": True},
    "product": {"product_name": "家用电冰箱", "product_standard": PRODUCT_STANDARDS[3]},
}


def record(kind, occurred_on, *, code=OWN, rectified=False, category="", level="", source=SOURCE):
    occurred = occurred_on.isoformat() if isinstance(occurred_on, date) else occurred_on
    return {
        "kind": kind,
        "credit_code": code,
        "occurred_on": occurred,
        "ended_on": None,
        "rectified": rectified,
        "category": category,
        "level": level,
        "source": source,
    }


def assessor(**overrides):
    a = {
        "id": 99,
        "name": "晋源评价咨询有限公司",
        "credit_code": "91140100MA0000099Y",
        "legal_representative": "张三",
        "lead": "李四",
        "status": "accepted",
        "filed_with": "山西省工信厅",
        "filed_in_applicant_province": True,
        "records": [],
        "projects": {
            "legal_entity_batch": 1,
            "legal_entity_year": 1,
            "legal_representative_batch": 1,
            "legal_representative_year": 1,
        },
    }
    a.update(overrides)
    return a


def make_facts(
    category="factory",
    *,
    data=None,
    update=None,
    records=(),
    declarations=None,
    mode="self",
    with_assessor=None,
    reference=REF,
    year=2024,
    list_level="national",
    quota=None,
    self_evaluation=None,
):
    data = dict(DEFAULT_DATA[category] if data is None else data)
    data.update(update or {})
    return {
        "application": {"id": 1, "category": category, "evaluation_mode": mode, "state": "draft", "data": data},
        "applicant": {
            "id": 1,
            "kind": "park" if category == "park" else "enterprise",
            "name": "小店测试单位",
            "credit_code": OWN,
            "region": "140105",
        },
        "notice": {"id": 1, "year": year, "list_level": list_level},
        "reference_date": reference,
        "declarations": {code: False for code in NEGATIVE} if declarations is None else declarations,
        "records": list(records),
        "self_evaluation": self_evaluation or {"org_id": None, "person": ""},
        "assessor": with_assessor,
        "quota": quota,
    }


def third_party(category="factory", **kwargs):
    a = assessor(**kwargs.pop("assessor", {}))
    return make_facts(category, mode="third_party", with_assessor=a, **kwargs)


def check(code, facts, **params):
    return run(RULES[code], facts, params)


# The catalogue itself.


def test_the_catalogue_has_every_rule_of_the_issue_with_title_kind_source_and_typed_defaults():
    assert set(RULES) == ISSUE_CODES
    for code, rule in RULES.items():
        assert rule.code == code
        assert rule.kind in KINDS and rule.source and rule.categories
        assert any("\u4e00" <= ch <= "\u9fff" for ch in rule.title), code
        for p in rule.params:
            assert p.type in ("int", "float", "bool", "choice") and p.label
            if p.type == "choice":
                assert p.default in {c for c, _ in p.choices}
    assert RULES["FACTORY-ENERGY-BENCHMARK"].kind == PRIORITY  # hard only where a notice says so (2022)
    assert RULES["PARK-VALUE-ADDED"].defaults() == {"min_share": 50.0}
    assert RULES["NEG-SAFETY"].defaults() == {"window_years": 3}
    assert RULES["ASSESSOR-CAP"].defaults() == {"cap": 15, "basis": "legal_entity", "period": "batch"}
    assert RULES["ASSESSOR-BLACKLIST"].defaults() == {"years": 3}
    assert {RULES[c].kind for c in NEGATIVE} == {HARD}
    assert RULES["QUOTA"].kind == ADVISORY


@pytest.mark.parametrize(
    "code, categories",
    [
        ("PARK-FUNCTION", ("park",)),
        ("PARK-VALUE-ADDED", ("park",)),
        ("PARK-BOUNDARY", ("park",)),
        ("PARK-MANAGEMENT", ("park",)),
        ("PARK-LEVEL", ("park",)),
        ("FACTORY-STANDARD", ("factory",)),
        ("FACTORY-ENERGY-BENCHMARK", ("factory",)),
        ("SUPPLY-CHAIN-LEADER", ("supply_chain",)),
        ("SUPPLY-CHAIN-LEGAL-PERSON", ("supply_chain",)),
        ("SUPPLY-CHAIN-NATIONAL-FACTORY", ("supply_chain",)),
        ("WATER-SAVING", ("factory", "park")),
        ("PRODUCT-STANDARD", ("product",)),
        *[(code, ALL) for code in sorted(NEGATIVE)],
        *[(code, ALL) for code in ("LIST-PREREQUISITE", "LIST-REPEAT", "QUOTA", *ASSESSOR_CODES)],
    ],
)
def test_each_rule_covers_its_categories_and_is_not_applicable_to_the_others(code, categories):
    assert RULES[code].categories == categories
    for category in ALL:
        outcome = check(code, third_party(category, quota={"authority": "太原市工信局", "limit": 3, "used": 1}))
        if category in categories:
            assert outcome.message != "不适用于该申报类别。", (code, category, outcome)
        else:
            assert (outcome.outcome, outcome.message, outcome.evidence) == (NOT_APPLICABLE, "不适用于该申报类别。", {})


@pytest.mark.parametrize("code", ASSESSOR_CODES)
def test_self_evaluation_makes_every_assessor_rule_not_applicable(code):
    # Even with an assessor in the facts (e.g. a stale one), a self-evaluated application has none to check.
    facts = make_facts(mode="self", with_assessor=assessor(projects={"legal_entity_batch": 99}))
    outcome = check(code, facts)
    assert (outcome.outcome, outcome.message) == (NOT_APPLICABLE, "自评价，不涉及第三方机构。")


@pytest.mark.parametrize("code", ASSESSOR_CODES)
def test_third_party_without_an_engaged_assessor_needs_evidence(code):
    outcome = check(code, make_facts(mode="third_party", with_assessor=None))
    assert (outcome.outcome, outcome.message) == (NEEDS_EVIDENCE, "第三方评价，尚未委托评价机构。")


def test_odd_facts_do_not_crash_a_rule_they_ask_for_evidence():
    outcome = check("PARK-VALUE-ADDED", make_facts("park", update={"value_added_share": "六成"}))
    assert outcome.outcome == NEEDS_EVIDENCE and "事实不完整" in outcome.message and "error" in outcome.evidence


# Dates: years before / after, with 29 February.


def test_year_arithmetic_maps_29_february_to_28_february():
    assert years_before(date(2024, 6, 30), 3) == date(2021, 6, 30)
    assert years_before(date(2024, 2, 29), 3) == date(2021, 2, 28)
    assert years_after(date(2024, 2, 29), 3) == date(2027, 2, 28)
    assert years_after(date(2024, 2, 29), 4) == date(2028, 2, 29)


# PARK-VALUE-ADDED: industrial value added > 50 % (a parameter).


@pytest.mark.parametrize(
    "share, params, outcome",
    [
        (50, {}, FAIL),
        (50.0, {}, FAIL),
        (50.01, {}, PASS),
        (50.1, {}, PASS),
        (49.9, {}, FAIL),
        (50.1, {"min_share": 60}, FAIL),
        (60, {"min_share": 60}, FAIL),
        (60.1, {"min_share": 60}, PASS),
    ],
)
def test_park_value_added_must_exceed_the_share(share, params, outcome):
    result = check("PARK-VALUE-ADDED", make_facts("park", update={"value_added_share": share}), **params)
    minimum = params.get("min_share", 50.0)
    assert result.outcome == outcome
    assert result.evidence == {"value_added_share": share, "min_share": minimum}
    if outcome == PASS:
        assert result.message == f"工业增加值占比{share}%，超过{minimum}%。"
    else:
        assert result.message == f"工业增加值占比{share}%，未超过{minimum}%。"


def test_park_value_added_not_filled_in_needs_evidence():
    result = check("PARK-VALUE-ADDED", make_facts("park", update={"value_added_share": None}))
    assert (result.outcome, result.message) == (NEEDS_EVIDENCE, "未填写工业增加值占比。")


# The negative list: 近三年 (a parameter), the applicant's declarations, records over a park's enterprises too.

EVENT_KINDS = {
    "NEG-OPERATION": "deregistered",
    "NEG-SAFETY": "safety_accident",
    "NEG-QUALITY": "quality_accident",
    "NEG-ENVIRONMENT": "environment_accident",
    "NEG-TAX": "tax_violation",
    "NEG-REMOVED": "green_list_removed",
    "NEG-INSPECTION": "inspection",
}
STANDING_KINDS = {
    "NEG-OPERATION": "abnormal_operation",
    "NEG-RECTIFICATION": "rectification",
    "NEG-DISHONEST": "dishonest",
}


@pytest.mark.parametrize("code, kind", sorted(EVENT_KINDS.items()))
def test_negative_window_exactly_three_years_ago_fails_three_years_and_a_day_passes(code, kind):
    title = NEGATIVE[code][0]
    at_edge = check(code, make_facts(records=[record(kind, "2021-06-30")]))
    assert at_edge.outcome == FAIL
    assert at_edge.message == f"申报单位近3年有“{title}”记录（2021-06-30，{SOURCE}），不得申报。"
    assert at_edge.evidence == {
        "window_since": "2021-06-30",
        "declared": False,
        "records": [{"kind": kind, "credit_code": OWN, "occurred_on": "2021-06-30", "source": SOURCE}],
    }
    before = check(code, make_facts(records=[record(kind, "2021-06-29")]))
    assert before.outcome == PASS
    assert before.message == f"自2021-06-30以来无“{title}”记录，且申报单位声明无此情形。"
    assert before.evidence["records"] == []


@pytest.mark.parametrize("code, kind", sorted(EVENT_KINDS.items()))
def test_negative_window_of_two_years_moves_the_boundary(code, kind):
    title = NEGATIVE[code][0]
    edge = check(code, make_facts(records=[record(kind, "2022-06-30")]), window_years=2)
    assert edge.outcome == FAIL and edge.message.startswith(f"申报单位近2年有“{title}”记录（2022-06-30")
    assert edge.evidence["window_since"] == "2022-06-30"
    assert check(code, make_facts(records=[record(kind, "2022-06-29")]), window_years=2).outcome == PASS
    # Within the default three years, outside two.
    assert check(code, make_facts(records=[record(kind, "2021-06-30")]), window_years=2).outcome == PASS


def test_negative_window_from_29_february():
    facts = make_facts(reference="2024-02-29", records=[record("safety_accident", "2021-02-28")])
    result = check("NEG-SAFETY", facts)
    assert result.outcome == FAIL and result.evidence["window_since"] == "2021-02-28"
    facts = make_facts(reference="2024-02-29", records=[record("safety_accident", "2021-02-27")])
    assert check("NEG-SAFETY", facts).outcome == PASS


@pytest.mark.parametrize("code, kind", sorted(STANDING_KINDS.items()))
def test_a_rectified_or_removed_listing_does_not_fail(code, kind):
    title = NEGATIVE[code][0]
    result = check(code, make_facts(records=[record(kind, "2024-01-10", rectified=True)]))
    assert result.outcome == PASS
    assert result.message == f"自2021-06-30以来无“{title}”记录，且申报单位声明无此情形。"
    assert result.evidence["records"] == []
    unrectified = check(code, make_facts(records=[record(kind, "2024-01-10")]))
    assert unrectified.outcome == FAIL and "（2024-01-10，信用中国）" in unrectified.message


@pytest.mark.parametrize("code, kind", sorted(STANDING_KINDS.items()))
def test_a_listing_still_in_effect_fails_however_long_ago_it_began(code, kind):
    # 004 §一: 列入经营异常名单且未被移出 / 未按要求完成整改 / 被列为失信被执行人 — still listed today is within the window.
    result = check(code, make_facts(records=[record(kind, "2018-03-01")]))
    assert result.outcome == FAIL
    assert result.message == f"申报单位近3年有“{NEGATIVE[code][0]}”记录（2018-03-01，{SOURCE}），不得申报。"
    assert result.evidence["records"][0]["occurred_on"] == "2018-03-01"
    assert check(code, make_facts(records=[record(kind, "2018-03-01", rectified=True)])).outcome == PASS


def test_rectification_does_not_lift_an_accident():
    result = check("NEG-SAFETY", make_facts(records=[record("safety_accident", "2023-05-01", rectified=True)]))
    assert result.outcome == FAIL


def test_records_of_other_kinds_do_not_count():
    facts = make_facts(records=[record("quality_accident", "2024-01-01"), record("green_list", "2023-12-01")])
    assert check("NEG-SAFETY", facts).outcome == PASS
    assert check("NEG-QUALITY", facts).outcome == FAIL
    assert check("NEG-REMOVED", facts).outcome == PASS  # being listed is not being removed


@pytest.mark.parametrize("code", sorted(NEGATIVE))
def test_a_declared_situation_fails_even_with_no_records(code):
    declarations = {c: False for c in NEGATIVE} | {code: True}
    result = check(code, make_facts(declarations=declarations))
    assert result.outcome == FAIL
    assert result.message == f"申报单位声明近3年存在“{NEGATIVE[code][0]}”情形，不得申报。"
    assert result.evidence == {"window_since": "2021-06-30", "declared": True, "records": []}


@pytest.mark.parametrize("code", sorted(NEGATIVE))
def test_an_unanswered_declaration_needs_evidence(code):
    result = check(code, make_facts(declarations={}))
    assert (result.outcome, result.message) == (NEEDS_EVIDENCE, f"尚未就“{NEGATIVE[code][0]}”作出声明。")


def test_a_record_fails_even_when_the_applicant_declared_none():
    result = check(
        "NEG-TAX", make_facts(records=[record("tax_violation", "2023-03-03", source="国家企业信用信息公示系统")])
    )
    assert result.outcome == FAIL and result.evidence["declared"] is False
    assert "（2023-03-03，国家企业信用信息公示系统）" in result.message


@pytest.mark.parametrize("code", sorted(NEGATIVE))
def test_a_park_fails_when_one_of_its_enterprises_has_a_record(code):
    kind = EVENT_KINDS.get(code) or STANDING_KINDS[code]
    facts = make_facts("park", records=[record(kind, "2023-09-09", code=MEMBER)])
    result = check(code, facts)
    assert result.outcome == FAIL
    assert result.message.startswith(f"园区内企业近3年有“{NEGATIVE[code][0]}”记录（2023-09-09")
    assert result.evidence["records"][0]["credit_code"] == MEMBER


def test_a_park_with_its_own_record_is_named_as_the_applicant():
    records = [record("dishonest", "2023-09-09", code=MEMBER), record("dishonest", "2023-01-01")]
    result = check("NEG-DISHONEST", make_facts("park", records=records))
    assert result.outcome == FAIL and result.message.startswith("申报单位近3年")
    assert [r["credit_code"] for r in result.evidence["records"]] == [MEMBER, OWN]


# Park conditions.


@pytest.mark.parametrize(
    "code, field, title",
    [
        ("PARK-FUNCTION", "main_function", "以产品制造和能源供给为主要功能"),
        ("PARK-BOUNDARY", "legal_boundary", "具有法定边界和范围"),
        ("PARK-MANAGEMENT", "unified_management", "具备统一管理机构"),
    ],
)
def test_park_yes_no_conditions(code, field, title):
    yes = check(code, make_facts("park", update={field: True}))
    assert (yes.outcome, yes.message, yes.evidence) == (PASS, f"{title}：符合。", {field: True})
    no = check(code, make_facts("park", update={field: False}))
    assert (no.outcome, no.message, no.evidence) == (FAIL, f"{title}：不符合。", {field: False})
    blank = check(code, make_facts("park", update={field: None}))
    assert (blank.outcome, blank.message) == (NEEDS_EVIDENCE, f"未填写“{title}”。")


@pytest.mark.parametrize(
    "level, params, outcome",
    [
        ("national", {}, PASS),
        ("provincial", {}, PASS),
        ("other", {}, FAIL),
        ("provincial", {"min_level": "national"}, FAIL),
        ("national", {"min_level": "national"}, PASS),
    ],
)
def test_park_level(level, params, outcome):
    result = check("PARK-LEVEL", make_facts("park", update={"park_level": level}), **params)
    assert result.outcome == outcome
    assert result.evidence == {"park_level": level, "min_level": params.get("min_level", "provincial")}
    assert result.message == ("园区级别符合要求。" if outcome == PASS else "园区级别低于省级，不符合推荐条件。")


# Factory conditions.


def test_factory_standard():
    result = check("FACTORY-STANDARD", make_facts())
    assert result.outcome == PASS and result.message == "按“GB/T 36132-2018 绿色工厂评价通则”评价。"
    blank = check("FACTORY-STANDARD", make_facts(update={"evaluation_standard": "  "}))
    assert (blank.outcome, blank.message) == (NEEDS_EVIDENCE, "未填写评价依据的标准。")


@pytest.mark.parametrize(
    "key, level, outcome, message",
    [
        (True, "benchmark", PASS, "重点用能行业，能效达到标杆水平。"),
        (True, "advanced", FAIL, "能效未达到标杆水平。"),
        (True, "above_baseline", FAIL, "能效未达到标杆水平。"),
        (False, "advanced", PASS, "能效达到能耗限额先进值或1级。"),
        (False, "benchmark", PASS, "能效达到能耗限额先进值或1级。"),
        (False, "above_baseline", FAIL, "能效未达到能耗限额先进值或1级。"),
        (False, "none", FAIL, "能效未达到能耗限额先进值或1级。"),
        (None, "advanced", NEEDS_EVIDENCE, "未填写是否重点用能行业或能效水平。"),
        (True, None, NEEDS_EVIDENCE, "未填写是否重点用能行业或能效水平。"),
    ],
)
def test_factory_energy_benchmark(key, level, outcome, message):
    facts = make_facts(update={"key_energy_industry": key, "energy_efficiency_level": level})
    result = check("FACTORY-ENERGY-BENCHMARK", facts)
    assert (result.outcome, result.message) == (outcome, message)
    assert result.evidence == {"key_energy_industry": key, "energy_efficiency_level": level}


# Supply chain conditions.


@pytest.mark.parametrize(
    "code, field, title",
    [
        ("SUPPLY-CHAIN-LEADER", "chain_leader", "产业链链主（龙头）企业"),
        ("SUPPLY-CHAIN-LEGAL-PERSON", "independent_legal_person", "独立法人或视同法人单位"),
        ("SUPPLY-CHAIN-NATIONAL-FACTORY", "national_green_factory", "已是国家级绿色工厂"),
    ],
)
def test_supply_chain_conditions(code, field, title):
    assert check(code, make_facts("supply_chain", update={field: True})).outcome == PASS
    no = check(code, make_facts("supply_chain", update={field: False}))
    assert (no.outcome, no.message, no.evidence) == (FAIL, f"{title}：不符合。", {field: False})
    assert check(code, make_facts("supply_chain", update={field: None})).outcome == NEEDS_EVIDENCE


# WATER-SAVING (003).


@pytest.mark.parametrize(
    "key, saving, outcome, message",
    [
        (False, False, NOT_APPLICABLE, "不是重点用水企业。"),
        (False, None, NOT_APPLICABLE, "不是重点用水企业。"),
        (True, True, PASS, "重点用水企业，已是节水型企业。"),
        (True, False, FAIL, "重点用水企业尚未成为节水型企业。"),
        (True, None, NEEDS_EVIDENCE, "重点用水企业，未填写是否节水型企业。"),
        (None, True, NEEDS_EVIDENCE, "未填写是否重点用水企业。"),
    ],
)
def test_water_saving_for_a_factory(key, saving, outcome, message):
    result = check("WATER-SAVING", make_facts(update={"key_water_user": key, "water_saving_enterprise": saving}))
    assert (result.outcome, result.message) == (outcome, message)
    assert result.evidence == {"key_water_user": key, "water_saving_enterprise": saving}


def test_water_saving_for_a_park():
    yes = check("WATER-SAVING", make_facts("park", update={"water_saving_park": True}))
    assert (yes.outcome, yes.message, yes.evidence) == (PASS, "节水型园区。", {"water_saving_park": True})
    no = check("WATER-SAVING", make_facts("park", update={"water_saving_park": False}))
    assert (no.outcome, no.message) == (FAIL, "园区不是节水型园区。")
    assert check("WATER-SAVING", make_facts("park", update={"water_saving_park": None})).outcome == NEEDS_EVIDENCE


# List membership: LIST-PREREQUISITE and LIST-REPEAT.


def green(level, category="factory", on="2022-12-20", code=OWN):
    return record("green_list", on, code=code, level=level, category=category, source="绿色制造名单")


@pytest.mark.parametrize(
    "records, params, outcome",
    [
        ([green("province")], {}, PASS),
        ([green("city")], {}, FAIL),
        ([green("province", "supply_chain")], {}, FAIL),
        ([green("province", code=MEMBER)], {}, FAIL),
        ([], {}, FAIL),
        ([green("city")], {"required_level": "city"}, PASS),
        ([green("province")], {"required_level": "city"}, FAIL),
    ],
)
def test_list_prerequisite_needs_the_right_level_and_category(records, params, outcome):
    level = params.get("required_level", "province")
    label = {"city": "市级", "province": "省级"}[level]
    result = check("LIST-PREREQUISITE", make_facts(records=records), **params)
    assert result.outcome == outcome
    if outcome == PASS:
        assert result.message == f"已列入{label}绿色制造名单（2022-12-20）。"
        assert result.evidence == {"required_level": level, "entries": ["2022-12-20"]}
    else:
        assert result.message == f"未列入{label}同类别绿色制造名单。"
        assert result.evidence == {"required_level": level, "entries": []}


@pytest.mark.parametrize(
    "records, list_level, outcome",
    [
        ([green("national")], "national", FAIL),
        ([green("province")], "national", PASS),
        ([green("national", "supply_chain")], "national", PASS),
        ([green("province")], "province", FAIL),
        ([green("national", code=MEMBER)], "national", PASS),
        ([], "national", PASS),
    ],
)
def test_list_repeat_at_the_notice_level_in_the_same_category(records, list_level, outcome):
    result = check("LIST-REPEAT", make_facts(records=records, list_level=list_level))
    assert result.outcome == outcome
    if outcome == FAIL:
        label = {"national": "国家级", "province": "省级"}[list_level]
        assert result.message == f"已于2022-12-20列入{label}同类别名单，不得重复申报。"
        assert result.evidence == {"level": list_level, "entries": ["2022-12-20"]}
    else:
        assert result.message == "未列入本级同类别名单。"


# QUOTA.


def test_quota_fails_only_when_over():
    assert check("QUOTA", make_facts()).outcome == NOT_APPLICABLE
    assert check("QUOTA", make_facts(quota={"authority": "太原市工信局", "limit": None, "used": 9})).outcome == (
        NOT_APPLICABLE
    )
    full = check("QUOTA", make_facts(quota={"authority": "太原市工信局", "limit": 3, "used": 3}))
    assert (full.outcome, full.message) == (PASS, "太原市工信局该类别名额3个，含本申报共3家。")
    over = check("QUOTA", make_facts(quota={"authority": "太原市工信局", "limit": 3, "used": 4}))
    assert over.outcome == FAIL
    assert over.message == "太原市工信局该类别名额3个，含本申报已有4家在推荐流程中，超出名额。"
    assert over.evidence == {"authority": "太原市工信局", "limit": 3, "used": 4}


# PRODUCT-STANDARD (002).


def test_product_standard_must_be_on_the_published_list():
    ok = check("PRODUCT-STANDARD", make_facts("product"))
    assert ok.outcome == PASS and ok.message == f"按“{PRODUCT_STANDARDS[3]}”评价。"
    bad = check("PRODUCT-STANDARD", make_facts("product", update={"product_standard": "Q/XX 001-2020 企业标准"}))
    assert (bad.outcome, bad.message) == (FAIL, "所选标准不在已发布的绿色设计产品评价标准清单内。")
    assert bad.evidence == {"product_standard": "Q/XX 001-2020 企业标准"}
    assert check("PRODUCT-STANDARD", make_facts("product", update={"product_standard": ""})).outcome == NEEDS_EVIDENCE


# ASSESSOR-CAP: `projects` is this application's place in the assessor's projects (tests/test_eligibility_engine.py
# builds it from the database).


@pytest.mark.parametrize("basis", ["legal_entity", "legal_representative"])
@pytest.mark.parametrize("period", ["batch", "year"])
def test_assessor_cap_the_15th_passes_and_the_16th_fails(basis, period):
    key = f"{basis}_{period}"
    who = "法定代表人“张三”名下评价机构" if basis == "legal_representative" else "“晋源评价咨询有限公司”"
    when = "本批次" if period == "batch" else "本年度"
    params = {"basis": basis, "period": period}
    fifteenth = check("ASSESSOR-CAP", third_party(assessor={"projects": {key: 15}}), **params)
    assert fifteenth.outcome == PASS
    assert fifteenth.message == f"本申报是{who}{when}承担的第15个评价项目，未超过上限15个。"
    sixteenth = check("ASSESSOR-CAP", third_party(assessor={"projects": {key: 16}}), **params)
    assert sixteenth.outcome == FAIL
    assert sixteenth.message == f"本申报是{who}{when}承担的第16个评价项目，超过上限15个。"
    assert sixteenth.evidence == {
        "assessor": "晋源评价咨询有限公司",
        "legal_representative": "张三",
        "count": 16,
        "cap": 15,
        "basis": basis,
        "period": period,
    }


def test_assessor_cap_reads_the_counting_basis_it_is_given_and_its_cap():
    facts = third_party(assessor={"projects": {"legal_entity_batch": 3, "legal_entity_year": 20}})
    assert check("ASSESSOR-CAP", facts).outcome == PASS
    assert check("ASSESSOR-CAP", facts, period="year").outcome == FAIL
    assert check("ASSESSOR-CAP", facts, cap=2).outcome == FAIL
    no_rep = third_party(assessor={"legal_representative": "", "projects": {"legal_representative_batch": None}})
    result = check("ASSESSOR-CAP", no_rep, basis="legal_representative")
    assert result.outcome == NEEDS_EVIDENCE and result.message.startswith("无法统计该机构的评价项目数")


# ASSESSOR-BLACKLIST: not accepted for 3 years from the listing; on the expiry day it is accepted again.


@pytest.mark.parametrize(
    "listed, reference, outcome",
    [
        ("2021-06-30", "2021-06-30", FAIL),
        ("2021-06-30", "2024-06-29", FAIL),
        ("2021-06-30", "2024-06-30", PASS),
        ("2021-06-30", "2025-01-01", PASS),
        # Listed on 29 February: three years on there is no 29 February, the period ends with 28 February.
        ("2024-02-29", "2027-02-27", FAIL),
        ("2024-02-29", "2027-02-28", PASS),
        # Listed on 28 February 2021: the expiry day is 28 February 2024, before the leap day.
        ("2021-02-28", "2024-02-27", FAIL),
        ("2021-02-28", "2024-02-28", PASS),
    ],
)
def test_assessor_blacklist_expiry_day(listed, reference, outcome):
    listing = record("assessor_blacklist", listed, code="91140100MA0000099Y", source="工信部通报")
    result = check("ASSESSOR-BLACKLIST", third_party(reference=reference, assessor={"records": [listing]}))
    assert result.outcome == outcome
    if outcome == FAIL:
        assert result.message == f"“晋源评价咨询有限公司”于{listed}列入黑名单，3年内不接受其评价报告。"
        assert result.evidence == {"assessor": "晋源评价咨询有限公司", "listings": [listed]}
    else:
        assert result.message == "“晋源评价咨询有限公司”不在黑名单期内。"
        assert result.evidence["listings"] == []


def test_assessor_blacklist_years_parameter_and_d_plus_years_minus_a_day():
    listed = date(2022, 3, 15)
    expiry = years_after(listed, 2)
    listing = record("assessor_blacklist", listed)
    for reference, outcome in ((expiry - timedelta(days=1), FAIL), (expiry, PASS)):
        facts = third_party(reference=reference.isoformat(), assessor={"records": [listing]})
        result = check("ASSESSOR-BLACKLIST", facts, years=2)
        assert result.outcome == outcome
    facts = third_party(reference="2024-01-01", assessor={"records": [listing]})
    assert check("ASSESSOR-BLACKLIST", facts, years=2).message == (
        "“晋源评价咨询有限公司”于2022-03-15列入黑名单，2年内不接受其评价报告。"
    )
    facts = third_party(reference="2024-06-30", assessor={"records": [listing]})
    assert check("ASSESSOR-BLACKLIST", facts, years=2).outcome == PASS
    assert check("ASSESSOR-BLACKLIST", facts).outcome == FAIL  # default 3 years


# ASSESSOR-ANNUAL-REPORT (003: last year's work report, 001: filed in the year).


@pytest.mark.parametrize(
    "filed, outcome",
    [
        ([], FAIL),
        ([("2024-04-20", "")], PASS),  # filed during 2024
        ([("2025-04-20", "")], PASS),  # the 2024 report filed early in 2025
        ([("2025-04-20", "2024")], PASS),
        ([("2023-04-20", "")], FAIL),  # two years ago
        ([("2024-04-20", "2023")], FAIL),  # filed in 2024 but for 2023
        ([("2023-04-20", ""), ("2024-03-01", "2024")], PASS),
    ],
)
def test_assessor_annual_report_for_last_year(filed, outcome):
    records = [record("assessor_annual_report", on, category=category) for on, category in filed]
    result = check("ASSESSOR-ANNUAL-REPORT", third_party(year=2025, assessor={"records": records}))
    assert result.outcome == outcome
    assert result.evidence["year"] == 2024
    if outcome == PASS:
        assert result.message == "“晋源评价咨询有限公司”已填报2024年度工作情况。"
    else:
        assert result.message == "“晋源评价咨询有限公司”未填报2024年度工作情况，本年度不得参与评价。"
        assert result.evidence["filed"] == []


def test_other_assessor_records_are_not_a_work_report():
    records = [record("assessor_blacklist", "2024-04-20")]
    assert check("ASSESSOR-ANNUAL-REPORT", third_party(year=2025, assessor={"records": records})).outcome == FAIL


# ASSESSOR-FILED (004).


def test_assessor_filed_with_the_applicants_province():
    ok = check("ASSESSOR-FILED", third_party())
    assert (ok.outcome, ok.message) == (PASS, "“晋源评价咨询有限公司”已在山西省工信厅备案。")
    assert ok.evidence == {"assessor": "晋源评价咨询有限公司", "filed_with": "山西省工信厅"}
    elsewhere = third_party(assessor={"filed_with": "吉林省工信厅", "filed_in_applicant_province": False})
    no = check("ASSESSOR-FILED", elsewhere)
    assert (no.outcome, no.message) == (FAIL, "“晋源评价咨询有限公司”未在申报单位所在省备案。")
    assert no.evidence["filed_with"] == "吉林省工信厅"
    unfiled = check("ASSESSOR-FILED", third_party(assessor={"filed_with": None, "filed_in_applicant_province": False}))
    assert unfiled.outcome == FAIL


# ASSESSOR-INDEPENDENCE (002): not involved in writing the self-evaluation, as an organization or a person.


def test_assessor_independence_organization():
    facts = third_party(self_evaluation={"org_id": 99, "person": ""})
    result = check("ASSESSOR-INDEPENDENCE", facts)
    assert result.outcome == FAIL
    assert result.message == "“晋源评价咨询有限公司”参与编制了自评价报告，不能再作为第三方评价机构。"
    assert result.evidence == {
        "assessor": "晋源评价咨询有限公司",
        "self_evaluation_org": 99,
        "self_evaluation_person": "",
        "lead_assessor": "李四",
    }


def test_assessor_independence_person():
    facts = third_party(self_evaluation={"org_id": 7, "person": " 李四 "})
    result = check("ASSESSOR-INDEPENDENCE", facts)
    assert (result.outcome, result.message) == (FAIL, "项目负责人“李四”参与编制了自评价报告。")
    other = check("ASSESSOR-INDEPENDENCE", third_party(self_evaluation={"org_id": 7, "person": "王五"}))
    assert (other.outcome, other.message) == (PASS, "评价机构与自评价报告编制者无重合。")
    no_lead = third_party(self_evaluation={"org_id": None, "person": "李四"}, assessor={"lead": ""})
    assert check("ASSESSOR-INDEPENDENCE", no_lead).outcome == PASS


def test_a_non_finite_threshold_is_refused_in_chinese():
    import pytest
    from django.core.exceptions import ValidationError

    from eligibility.services import clean_entries

    for raw in ("nan", "inf", "-inf"):
        with pytest.raises(ValidationError, match="工业增加值占比下限"):
            clean_entries({"PARK-VALUE-ADDED": {"enabled": True, "kind": "hard", "params": {"min_share": raw}}})
