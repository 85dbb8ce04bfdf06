"""The application page's decisions and trail: level by level, with what each reader may see."""

import re
from datetime import date

import pytest
from django.core.files.base import ContentFile

from organizations.models import ExpertProfile
from reviews.models import Assignment, Consultation, ConsultationReply, Panel
from reviews.services import transition_perform
from tests.application_helpers import PDF_BYTES, open_chain
from tests.chain_helpers import lift, recommend, submitted
from tests.factories import UserFactory


@pytest.fixture
def notice(tree, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    return open_chain(tree, root)


def detail(client, user, app) -> str:
    client.force_login(user)
    response = client.get(f"/applications/{app.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def section(html: str, referral) -> str:
    match = re.search(rf'<section class="trail-level[^"]*" id="level-{referral.pk}".*?</section>', html, re.S)
    assert match, f"no section for {referral}"
    return match.group(0)


def test_the_first_level_asks_for_the_initial_opinion_and_the_city_for_its_review_opinion(client, tree, notice):
    app = submitted(tree, notice)
    html = detail(client, tree.users["county"], app)
    assert '<label for="reason-recommend">初审意见 *</label>' in html
    assert '<label for="reason-return">退回修改理由 *</label>' in html
    app = recommend(app, tree.users["county"], "材料齐全，初审同意推荐。")
    _, (app,) = lift([app], authority=tree.county, user=tree.users["county"], notice=notice)
    html = detail(client, tree.users["city"], app)
    assert '<label for="reason-recommend">审核意见 *</label>' in html


def test_trail_after_county_to_city(client, tree, notice):
    app = submitted(tree, notice)
    app = recommend(app, tree.users["county"], "材料齐全，初审同意推荐。")
    batch, (app,) = lift([app], authority=tree.county, user=tree.users["county"], notice=notice)
    county_ref, city_ref = app.referrals.order_by("id")

    html = detail(client, tree.users["city"], app)
    county = section(html, county_ref)
    assert tree.county.name in county and "推荐" in county
    assert "初审意见：</span>材料齐全，初审同意推荐。" in county
    assert tree.users["county"].get_full_name() in county
    assert "提交申报" in county and "随批次报送上级" in county  # the events at that level
    city = section(html, city_ref)
    assert tree.city.name in city and f"随《{batch.title}》报送" in city and "审核中" in city
    assert html.index(county) < html.index(city)

    # The city decides; its opinion is the 审核意见 of the second level.
    app = transition_perform(
        actor=tree.users["city"], application=app, action="not_recommend", reason="能耗指标未达行业先进水平。"
    )
    html = detail(client, tree.users["ent"], app)
    city = section(html, city_ref)
    assert "不予推荐" in city and "能耗指标未达行业先进水平。" in city
    assert "材料齐全，初审同意推荐。" in section(html, county_ref)


def test_opinions_between_authorities_stay_among_them(client, tree, notice):
    app = recommend(submitted(tree, notice), tree.users["county"])
    _, (app,) = lift([app], authority=tree.county, user=tree.users["county"], notice=notice)
    app = transition_perform(
        actor=tree.users["city"], application=app, action="return_lower", reason="请补充部门意见后重新报送"
    )
    assert "请补充部门意见后重新报送" in detail(client, tree.users["county"], app)
    applicant_page = detail(client, tree.users["ent"], app)
    assert "请补充部门意见后重新报送" not in applicant_page
    assert "不向申报单位公开" in applicant_page
    app = transition_perform(actor=tree.users["county"], application=app, action="return", reason="补充排污许可证")
    applicant_page = detail(client, tree.users["ent"], app)
    assert "补充排污许可证" in applicant_page  # addressed to the applicant


def reply(consultation, app, department, opinion, reason="", proof=False):
    r = ConsultationReply(
        consultation=consultation, application=app, department=department, opinion=opinion, reason=reason
    )
    if proof:
        r.proof.save("处罚决定书.pdf", ContentFile(PDF_BYTES), save=False)
        r.proof_name = "处罚决定书.pdf"
    r.save()
    return r


def test_department_replies_for_the_reviewers_only(client, tree, notice):
    app = recommend(submitted(tree, notice), tree.users["county"])
    # (an objection counts in eligibility: recorded after the county's decision to keep the test about the page)
    county_c = Consultation.objects.create(authority=tree.county, notice=notice, due_on=date(2099, 1, 1))
    county_r = reply(county_c, app, tree.eco, "objection", "2023年超标排放被处罚", proof=True)
    _, (app,) = lift([app], authority=tree.county, user=tree.users["county"], notice=notice)
    city_c = Consultation.objects.create(authority=tree.city, notice=notice, due_on=date(2099, 1, 1))
    reply(city_c, app, tree.eco, "no_objection", "市级复核无异议")

    city = detail(client, tree.users["city"], app)
    assert "部门反馈意见" in city and "2023年超标排放被处罚" in city and "市级复核无异议" in city
    assert f'href="/reviews/consultations/{county_c.pk}/proof/{county_r.pk}/"' in city
    # The county sees its own consultation, not the city's above it.
    county = detail(client, tree.users["county"], app)
    assert "2023年超标排放被处罚" in county and "市级复核无异议" not in county
    # The applicant sees none of it.
    applicant = detail(client, tree.users["ent"], app)
    assert 'id="consultation-replies"' not in applicant and "/proof/" not in applicant
    # Outside the eligibility findings (which cite the record an objection becomes: reviews/facts.py), nothing.
    outside = re.sub(r'<section class="card eligibility.*?</section>', "", applicant, flags=re.S)
    assert "超标排放" not in outside and "市级复核无异议" not in applicant


def test_expert_summary_names_only_for_the_panel_authority(client, tree, notice):
    from tests.chain_helpers import climb

    app = climb(submitted(tree, notice), tree, notice, to="province")
    panel = Panel.objects.create(authority=tree.province, notice=notice, category="factory", name="绿色工厂评审组")
    expert_user = UserFactory(username="expert-wang", first_name="王专家")
    expert = ExpertProfile.objects.create(user=expert_user, pool=tree.province)
    Assignment.objects.create(panel=panel, application=app, expert=expert, status="submitted", total="88.50")

    province = detail(client, tree.users["province"], app)
    assert "专家评审" in province and "王专家" in province and "88.50" in province and "已评分" in province
    applicant = detail(client, tree.users["ent"], app)
    assert "王专家" not in applicant and "专家评审" not in applicant
    # The county below does not see the province's expert review.
    assert "王专家" not in detail(client, tree.users["county"], app)


def test_other_county_gets_404_on_the_page(client, tree, notice):
    app = submitted(tree, notice)
    client.force_login(tree.users["other_county"])
    assert client.get(f"/applications/{app.pk}/").status_code == 404
    client.force_login(tree.users["city"])  # not reached yet
    assert client.get(f"/applications/{app.pk}/").status_code == 404
