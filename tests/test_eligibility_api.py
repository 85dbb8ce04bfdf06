"""GET /api/v1/applications/{id}/eligibility/: the latest results with the rule-set version, each rule's kind,
outcome, message and evidence; new facts and a new rule set show up; 404 for whoever cannot see the application."""

import pytest
from rest_framework.test import APIClient

from applications import services as app_services
from applications.models import NegativeItem
from eligibility.catalogue import KINDS, OUTCOMES, RULES
from eligibility.services import evaluate_notice, rule_set_apply_preset
from reviews.services import transition_perform
from tests.application_helpers import open_chain, ready_application
from tests.factories import PASSWORD

NOT_FOUND = {"detail": "未找到该申报，或您无权查看。"}


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")


@pytest.fixture
def notice(tree, root):
    return open_chain(tree, root)


def token_client(user) -> APIClient:
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def url(application) -> str:
    return f"/api/v1/applications/{application.pk}/eligibility/"


def by_rule(body) -> dict:
    return {r["rule"]: r for r in body["results"]}


def test_the_applicant_gets_every_rules_result_with_the_rule_set_version(tree, notice):
    application = ready_application(tree.users["ent"], tree.ent, notice)
    response = token_client(tree.users["ent"]).get(url(application))
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"rule_set_version", "evaluated_at", "blocked", "results"}
    assert body["rule_set_version"] == 1 and body["blocked"] is False
    assert body["evaluated_at"].startswith(str(application.created_at.year))
    assert [r["rule"] for r in body["results"]] == sorted(RULES)  # every enabled rule, by code
    for result in body["results"]:
        assert set(result) == {"rule", "title", "kind", "outcome", "message", "evidence"}
        assert result["kind"] in KINDS and result["outcome"] in OUTCOMES and result["message"]
        assert result["title"] == RULES[result["rule"]].title and isinstance(result["evidence"], dict)
    results = by_rule(body)
    assert results["NEG-TAX"]["kind"] == "hard" and results["NEG-TAX"]["outcome"] == "pass"
    assert results["NEG-TAX"]["evidence"]["declared"] is False and results["NEG-TAX"]["evidence"]["records"] == []
    assert results["FACTORY-STANDARD"] == {
        "rule": "FACTORY-STANDARD",
        "title": "按行业标准或 GB/T 36132-2018 评价",
        "kind": "hard",
        "outcome": "pass",
        "message": "按“GB/T 36132-2018 绿色工厂评价通则”评价。",
        "evidence": {"evaluation_standard": "GB/T 36132-2018 绿色工厂评价通则"},
    }
    assert results["FACTORY-ENERGY-BENCHMARK"]["kind"] == "priority"
    assert results["PARK-VALUE-ADDED"]["outcome"] == "not_applicable"
    assert results["ASSESSOR-CAP"]["message"] == "自评价，不涉及第三方机构。"


def test_new_facts_and_a_new_rule_set_show_up(tree, notice, root, django_capture_on_commit_callbacks):
    user = tree.users["ent"]
    application = ready_application(user, tree.ent, notice)
    client = token_client(user)
    assert client.get(url(application)).json()["blocked"] is False

    answers = {code: {"occurred": False, "note": ""} for code in NegativeItem.values}
    answers["NEG-TAX"] = {"occurred": True, "note": "2023年因漏缴印花税被处罚"}
    with django_capture_on_commit_callbacks(execute=True):  # the change of facts re-evaluates after commit
        app_services.declarations_save(actor=user, application=application, answers=answers)
    body = client.get(url(application)).json()
    assert body["blocked"] is True
    tax = by_rule(body)["NEG-TAX"]
    assert tax["kind"] == "hard" and tax["outcome"] == "fail"
    assert tax["message"] == "申报单位声明近3年存在“偷漏税等违法违规行为”情形，不得申报。"
    assert tax["evidence"]["declared"] is True

    rule_set_apply_preset(actor=root, notice=notice, preset="2022")
    evaluate_notice(notice.pk)
    body = client.get(url(application)).json()
    assert body["rule_set_version"] == 2
    assert by_rule(body)["FACTORY-ENERGY-BENCHMARK"]["kind"] == "hard"
    assert "LIST-PREREQUISITE" not in by_rule(body)  # 2022 did not ask for it


def test_reviewers_see_it_and_others_get_404(tree, notice):
    application = ready_application(tree.users["ent"], tree.ent, notice)
    transition_perform(actor=tree.users["ent"], application=application, action="submit")
    county = token_client(tree.users["county"]).get(url(application))
    assert county.status_code == 200 and county.json()["blocked"] is False

    for name in ("other_ent", "other_county", "eco"):
        response = token_client(tree.users[name]).get(url(application))
        assert response.status_code == 404 and response.json() == NOT_FOUND, name
    missing = token_client(tree.users["ent"]).get("/api/v1/applications/999999/eligibility/")
    assert missing.status_code == 404 and missing.json() == NOT_FOUND
    assert APIClient().get(url(application)).status_code in (401, 403)
