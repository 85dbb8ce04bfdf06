"""Hypothesis over random facts: every rule of the catalogue answers (never raises) whatever the data, declarations,
records, dates and assessor; a hard fail always blocks, and a rule switched to priority never blocks."""

from datetime import date, timedelta
from types import SimpleNamespace
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from applications.models import NegativeItem
from eligibility import services
from eligibility.catalogue import FAIL, HARD, KINDS, OUTCOMES, PRIORITY, RULES, Outcome, run
from eligibility.models import CreditRecord
from tests.application_helpers import open_chain, ready_application

CATEGORIES = ("factory", "park", "supply_chain", "product")
CODES = sorted(RULES)
OWN, MEMBER, ASSESSOR = "91140105MA0000011Y", "91140105MA0000022Y", "91140105MA0000033Y"

# Text as a JSON column can store it anywhere (no NUL: PostgreSQL refuses it).
TEXT = st.characters(codec="utf-8", exclude_characters="\x00")


def txt(min_size=0, max_size=8):
    return st.text(TEXT, min_size=min_size, max_size=max_size)


def scalars(nan: bool):
    """Odd values as JSON can hold them: what a form would never store, and what it would."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=nan, allow_infinity=nan),
        txt(max_size=12),
        st.sampled_from(
            ["", "benchmark", "advanced", "other", "provincial", "national", "city", "province", "50", "50.1"]
        ),
    )


def odd(nan: bool):
    return st.recursive(
        scalars(nan),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(txt(max_size=5), inner, max_size=3),
        max_leaves=6,
    )


DATA_KEYS = [
    "evaluation_standard",
    "key_energy_industry",
    "energy_efficiency_level",
    "key_water_user",
    "water_saving_enterprise",
    "water_saving_park",
    "main_function",
    "legal_boundary",
    "unified_management",
    "value_added_share",
    "park_level",
    "chain_leader",
    "independent_legal_person",
    "national_green_factory",
    "product_standard",
    "member_credit_codes",
    "self_score",
]
days = st.dates(min_value=date(1990, 1, 1), max_value=date(2035, 12, 31))
record_kinds = st.sampled_from([*CreditRecord.Kind.values, "unknown", ""])
records = st.fixed_dictionaries(
    {
        "kind": record_kinds,
        "credit_code": st.sampled_from([OWN, MEMBER, ASSESSOR, ""]),
        "occurred_on": days.map(date.isoformat),
        "ended_on": st.none() | days.map(date.isoformat),
        "rectified": st.booleans(),
        "category": st.sampled_from([*CATEGORIES, "", "2023", "2024"]),
        "level": st.sampled_from(["", "city", "province", "national", "county"]),
        "source": txt(),
    }
)
declarations = st.dictionaries(st.sampled_from(NegativeItem.values), st.booleans(), max_size=len(NegativeItem.values))
counts = st.none() | st.integers(min_value=0, max_value=40)
assessors = st.none() | st.fixed_dictionaries(
    {
        "id": st.integers(min_value=1, max_value=5),
        "name": txt(min_size=1),
        "credit_code": st.just(ASSESSOR),
        "legal_representative": txt(max_size=4),
        "lead": txt(max_size=4),
        "status": st.sampled_from(["pending", "accepted"]),
        "filed_with": st.none() | txt(),
        "filed_in_applicant_province": st.booleans(),
        "records": st.lists(records, max_size=4),
        "projects": st.fixed_dictionaries(
            {},
            optional={
                "legal_entity_batch": counts,
                "legal_entity_year": counts,
                "legal_representative_batch": counts,
                "legal_representative_year": counts,
            },
        ),
    }
)
quotas = st.none() | st.fixed_dictionaries(
    {
        "authority": txt(min_size=1),
        "limit": st.none() | st.integers(min_value=0, max_value=10),
        "used": st.integers(min_value=0, max_value=20),
    }
)


@st.composite
def facts(draw, nan=True):
    """The shape eligibility.facts.gather builds, with anything inside it: random data per category (keys missing,
    odd values), declarations, records with random dates and kinds, an assessor or none."""
    data = st.dictionaries(st.sampled_from(DATA_KEYS) | txt(max_size=6), odd(nan), max_size=len(DATA_KEYS))
    return {
        "application": {
            "id": draw(st.integers(min_value=1, max_value=10**6)),
            "category": draw(st.sampled_from(CATEGORIES)),
            "evaluation_mode": draw(st.sampled_from(["self", "third_party"])),
            "state": draw(st.sampled_from(["draft", "under_review", "returned"])),
            "data": draw(st.none() | data),
        },
        "applicant": {
            "id": 1,
            "kind": draw(st.sampled_from(["enterprise", "park"])),
            "name": "申报单位",
            "credit_code": OWN,
            "region": "140105",
        },
        "notice": {
            "id": 1,
            "year": draw(st.integers(min_value=2000, max_value=2035)),
            "list_level": draw(st.sampled_from(["national", "province", "city"])),
        },
        "reference_date": draw(days).isoformat(),
        "declarations": draw(declarations),
        "records": draw(st.lists(records, max_size=6)),
        "self_evaluation": {
            "org_id": draw(st.none() | st.integers(min_value=1, max_value=5)),
            "person": draw(txt(max_size=4)),
        },
        "assessor": draw(assessors),
        "quota": draw(quotas),
    }


def raw_param(p):
    """What an admin might type for a parameter: valid values and rubbish alike."""
    if p.type == "choice":
        return st.sampled_from([c for c, _ in p.choices]) | txt(max_size=5)
    if p.type == "bool":
        return st.booleans() | txt(max_size=3)
    if p.type == "int":
        return (
            st.integers(min_value=-5, max_value=10**5)
            | st.integers(min_value=0, max_value=50).map(str)
            | txt(max_size=4)
        )
    return st.floats(allow_nan=True, allow_infinity=True) | txt(max_size=5)


@st.composite
def rule_entries(draw):
    """A whole rule set as an admin could save it: every rule on or off, any kind, parameters that pass
    eligibility.services.clean_entries (a rejected parameter falls back to the default)."""
    entries = {}
    for code in CODES:
        rule = RULES[code]
        entry = {
            "enabled": draw(st.booleans()),
            "kind": draw(st.sampled_from(list(KINDS))),
            "params": {p.name: draw(raw_param(p)) for p in rule.params},
        }
        try:
            entry = services.clean_entries({code: entry})[code]
        except ValidationError:
            entry = services.clean_entries({code: {**entry, "params": {}}})[code]
        entries[code] = entry
    return entries


def fake_rule_set(entries: dict) -> SimpleNamespace:
    rows = [SimpleNamespace(rule=code, **entry) for code, entry in sorted(entries.items())]
    return SimpleNamespace(entries=SimpleNamespace(all=lambda: rows))


@settings(max_examples=300, deadline=None)
@given(facts=facts(), entries=rule_entries())
def test_no_rule_ever_raises(facts, entries):
    for code in CODES:
        outcome = run(RULES[code], facts, entries[code]["params"])
        assert isinstance(outcome, Outcome)
        assert outcome.outcome in OUTCOMES and isinstance(outcome.message, str) and outcome.message
        assert isinstance(outcome.evidence, dict)


@settings(max_examples=150, deadline=None)
@given(facts=facts(), entries=rule_entries())
def test_every_enabled_rule_answers_and_only_hard_fails_block(facts, entries):
    findings = services.findings_for(facts, fake_rule_set(entries))
    assert [f["rule"] for f in findings] == [c for c in CODES if entries[c]["enabled"]]
    for f in findings:
        assert f["kind"] == entries[f["rule"]]["kind"] and f["outcome"] in OUTCOMES
    problems = services.blocking_problems(SimpleNamespace(findings=findings))
    hard_fails = [f for f in findings if f["kind"] == HARD and f["outcome"] == FAIL]
    assert len(problems) == len(hard_fails)
    for f in findings:
        mentioned = any(f"资格审查未通过：{f['title']}——{f['message']}" in p for p in problems)
        assert mentioned == (f["kind"] == HARD and f["outcome"] == FAIL)


# Through the engine's own evaluate(), on a real application whose facts are replaced by random ones.


@pytest.fixture
def application(tree, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    notice = open_chain(tree, root)
    services.current_rule_sets([notice.pk])
    app = ready_application(tree.users["ent"], tree.ent, notice)
    return SimpleNamespace(app=app, notice=notice, root=root)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(facts=facts(nan=False), entries=rule_entries(), switched=st.sets(st.sampled_from(CODES), max_size=len(CODES)))
def test_a_hard_fail_always_blocks_and_a_rule_switched_to_priority_never_does(application, facts, entries, switched):
    facts = {**facts, "application": {**facts["application"], "id": application.app.pk}}
    app, notice = application.app, application.notice

    def evaluate_with(rule_entries):
        services.rule_set_save(actor=application.root, notice=notice, entries=rule_entries)
        with mock.patch.object(services, "gather", lambda apps: {a.pk: facts for a in apps}):
            return services.evaluate([app], force=True)[app.pk]

    evaluation = evaluate_with(entries)
    hard_fails = {f["rule"] for f in evaluation.findings if f["kind"] == HARD and f["outcome"] == FAIL}
    assert evaluation.blocked == bool(hard_fails)
    assert evaluation.rule_set.version >= 2 and evaluation.facts == facts

    # The same facts with some rules switched to priority: those never block, the others still do.
    demoted = {code: {**e, "kind": PRIORITY} if code in switched else e for code, e in entries.items()}
    again = evaluate_with(demoted)
    assert not any(f["kind"] == HARD for f in again.findings if f["rule"] in switched)
    assert again.blocked == bool(hard_fails - switched)
    if switched >= set(CODES):
        assert again.blocked is False


def test_an_all_priority_rule_set_never_blocks_even_on_a_declared_violation(application):
    app, notice = application.app, application.notice
    entries = {code: {"enabled": True, "kind": PRIORITY, "params": {}} for code in CODES}
    services.rule_set_save(actor=application.root, notice=notice, entries=entries)
    facts = services.gather([app])[app.pk]
    facts["declarations"]["NEG-TAX"] = True
    findings = services.findings_for(facts, services.current_rule_sets([notice.pk])[notice.pk])
    tax = next(f for f in findings if f["rule"] == "NEG-TAX")
    assert tax["outcome"] == FAIL and tax["kind"] == PRIORITY
    assert services.blocking_problems(SimpleNamespace(findings=findings)) == []


def test_dates_near_the_window_edges_do_not_crash():
    # 29 February reference dates and windows that leave the calendar still answer.
    base = {
        "application": {"id": 1, "category": "factory", "evaluation_mode": "third_party", "state": "draft", "data": {}},
        "applicant": {"id": 1, "kind": "enterprise", "name": "x", "credit_code": OWN, "region": "140105"},
        "notice": {"id": 1, "year": 2024, "list_level": "national"},
        "declarations": {},
        "records": [],
        "self_evaluation": {"org_id": None, "person": ""},
        "assessor": {"id": 1, "name": "机构", "records": [{"kind": "assessor_blacklist", "occurred_on": "2020-02-29"}]},
        "quota": None,
    }
    for ref in (date(2024, 2, 29), date(1, 1, 1) + timedelta(days=400), date(9999, 12, 31)):
        for code in CODES:
            for years in (0, 3, 10**4):
                params = {"window_years": years, "years": years}
                outcome = run(RULES[code], {**base, "reference_date": ref.isoformat()}, params)
                assert outcome.outcome in OUTCOMES
