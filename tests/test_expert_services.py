"""Expert review services: panels and scoring forms, conflicts of each kind, manual and automatic assignment,
decline with 回避, scoring."""

from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from activity.models import AuditEvent, Notification
from applications.models import Engagement
from applications.selectors import applications_visible_to
from organizations.models import ExpertAffiliation
from reviews.models import Assignment, ExpertConflict
from reviews.services import experts as services
from tests import test_expert_setup as setup
from tests.factories import credit_code, org
from tests.test_expert_setup import at_province, new_expert

chain, root = setup.chain, setup.root  # fixtures


def refused(fn, **kwargs) -> str:
    with pytest.raises(ValidationError) as exc:
        fn(**kwargs)
    return " ".join(exc.value.messages)


def test_panel_is_for_province_or_ministry_and_experts_of_its_own_pool(tree, chain, root):
    outsider = new_expert(tree.ministry, "部库专家", root)
    with pytest.raises(PermissionDenied):
        services.panel_save(
            actor=tree.users["city"], authority=tree.province, notice=chain.notice, category="factory", name="x"
        )
    message = refused(
        services.panel_save,
        actor=tree.users["city"],
        authority=tree.city,
        notice=chain.notice,
        category="park",
        name="市级评审组",
        experts=[outsider],
    )
    assert "专家评审由省级或部级主管部门组织。" in message
    assert "评审专家须从本单位专家库在库专家中选择。" in message
    message = refused(
        services.panel_save,
        actor=chain.province,
        authority=tree.province,
        notice=chain.notice.forwards,
        category="factory",
        name="重复",
    )
    assert "本单位已为该通知的此类别设置了评审组。" in message
    assert AuditEvent.objects.filter(verb="panel.save", organization=tree.province).count() == 1


def test_criteria_validation_and_lock_once_scored(tree, chain):
    panel = chain.panel
    message = refused(
        services.criteria_save,
        actor=chain.province,
        panel=panel,
        rows=[
            {"name": "甲", "weight": "0", "max_score": "10"},
            {"name": "", "weight": "1", "max_score": "0"},
            {"name": "丙", "weight": "abc", "max_score": "10"},
        ],
    )
    assert "第1项：权重须大于0" in message
    assert "第2项：请填写评分项名称。" in message and "第2项：满分须为1到1000的整数。" in message
    assert "第3项：权重须为数字。" in message
    assert "评分表至少需要一个评分项。" in refused(services.criteria_save, actor=chain.province, panel=panel, rows=[])
    assert [c.name for c in panel.criteria.all()] == ["基本要求", "绩效指标"]  # nothing changed on refusal

    (app,) = at_province(tree, chain.notice, 1)
    a = services.assignment_create(actor=chain.province, panel=panel, application=app, expert=chain.experts[0])
    criteria = list(panel.criteria.all())
    services.score_submit(actor=chain.experts[0].user, assignment=a, values={c.pk: 10 for c in criteria}, comment="好")
    assert "已有专家提交评分" in refused(
        services.criteria_save, actor=chain.province, panel=panel, rows=[{"name": "新", "weight": 1, "max_score": 5}]
    )


def test_conflicts_of_each_kind_are_refused_with_their_reason(tree, chain, root):
    (app,) = at_province(tree, chain.notice, 1)
    applicant = app.applicant
    assessor = org(
        kind="assessor",
        name="测试评价机构有限公司",
        region_id="140100",
        credit_code=credit_code("140100"),
        competent_authority=tree.province,
    )
    Engagement.objects.create(application=app, assessor=assessor, status=Engagement.Status.ACCEPTED)
    member_of_applicant = new_expert(tree.province, "申报单位成员", root)
    from organizations.services import membership_add

    membership_add(actor=None, user=member_of_applicant.user, organization=applicant, role="operator")
    member_of_assessor = new_expert(tree.province, "评价机构成员", root)
    membership_add(actor=None, user=member_of_assessor.user, organization=assessor, role="operator")
    by_org = new_expert(
        tree.province,
        "顾问",
        root,
        affiliations=[{"name": applicant.name, "organization": applicant, "relation": "consultant"}],
    )
    by_code = new_expert(
        tree.province,
        "持股",
        root,
        affiliations=[{"name": "评价机构", "credit_code": assessor.credit_code, "relation": "shareholder"}],
    )
    past = new_expert(
        tree.province,
        "曾任职",
        root,
        affiliations=[
            {
                "name": applicant.name,
                "organization": applicant,
                "relation": "former",
                "end_date": timezone.localdate() - timedelta(days=1),
            }
        ],
    )
    declared = new_expert(tree.province, "声明回避", root)
    ExpertConflict.objects.create(expert=declared, organization=applicant, reason="亲属在该企业任职")
    clean = new_expert(tree.province, "无关", root)
    panel = chain.panel
    panel.experts.add(member_of_applicant, member_of_assessor, by_org, by_code, past, declared, clean)

    expected = {
        member_of_applicant: f"专家是申报单位“{applicant.name}”的成员。",
        member_of_assessor: f"专家是评价机构“{assessor.name}”的成员。",
        by_org: f"专家与申报单位“{applicant.name}”存在关联（顾问/咨询）。",
        by_code: f"专家与评价机构“{assessor.name}”存在关联（持股）。",
        declared: f"专家已声明回避申报单位“{applicant.name}”：亲属在该企业任职",
    }
    for expert, reason in expected.items():
        assert services.conflicts(expert, app) == [reason]
        message = refused(services.assignment_create, actor=chain.province, panel=panel, application=app, expert=expert)
        assert message == f"{expert}须回避：{reason}"
    assert services.conflicts(past, app) == []  # the affiliation ended
    assert services.conflicts(clean, app) == []
    assert not Assignment.objects.exists()
    assert ExpertAffiliation.objects.filter(expert=past).exists()


def test_manual_assignment_grants_view_and_notifies_the_expert(tree, chain):
    (app,) = at_province(tree, chain.notice, 1)
    expert = chain.experts[0]
    assert not applications_visible_to(expert.user).filter(pk=app.pk).exists()
    a = services.assignment_create(actor=chain.province, panel=chain.panel, application=app, expert=expert)
    assert applications_visible_to(expert.user).filter(pk=app.pk).exists()
    assert Notification.objects.filter(recipient=expert.user, title__contains="绿色工厂评审组").exists()
    assert AuditEvent.objects.filter(verb="expert.assign", target_id=str(a.pk)).exists()
    assert "已分配评审该申报" in refused(
        services.assignment_create, actor=chain.province, panel=chain.panel, application=app, expert=expert
    )
    with pytest.raises(PermissionDenied):
        services.assignment_create(actor=tree.users["city"], panel=chain.panel, application=app, expert=expert)
    services.assignment_remove(actor=chain.province, assignment=a)
    assert not applications_visible_to(expert.user).filter(pk=app.pk).exists()


def test_an_application_not_held_under_review_cannot_be_assigned(tree, chain):
    (app,) = at_province(tree, chain.notice, 1)
    park_panel = services.panel_save(
        actor=chain.province,
        authority=tree.province,
        notice=chain.notice.forwards,
        category="park",
        name="园区评审组",
        experts=chain.experts,
    )
    services.criteria_save(actor=chain.province, panel=park_panel, rows=[{"name": "a", "weight": 1, "max_score": 9}])
    assert "与评审组类别不符" in refused(
        services.assignment_create, actor=chain.province, panel=park_panel, application=app, expert=chain.experts[0]
    )
    from tests.chain_helpers import recommend

    recommend(app, chain.province)
    app.refresh_from_db()
    assert "不在本单位审核中" in refused(
        services.assignment_create, actor=chain.province, panel=chain.panel, application=app, expert=chain.experts[0]
    )


def test_auto_assign_is_balanced_and_never_picks_a_conflicted_expert(tree, chain, root):
    apps = at_province(tree, chain.notice, 5)
    conflicted = chain.experts[3]
    ExpertConflict.objects.create(expert=conflicted, organization=apps[0].applicant, reason="曾为其提供咨询")
    ExpertConflict.objects.create(expert=conflicted, organization=apps[1].applicant, reason="曾为其提供咨询")
    unfilled = services.assignments_auto(actor=chain.province, panel=chain.panel)
    assert unfilled == []
    rows = list(Assignment.objects.filter(panel=chain.panel).values_list("application_id", "expert_id"))
    per_app = Counter(app_id for app_id, _ in rows)
    assert set(per_app.values()) == {2} and len(per_app) == 5
    loads = Counter(expert_id for _, expert_id in rows)
    assert max(loads.values()) - min(loads.values()) <= 1 and sum(loads.values()) == 10
    assert (apps[0].pk, conflicted.pk) not in rows and (apps[1].pk, conflicted.pk) not in rows
    # Running again changes nothing; deterministic.
    assert services.assignments_auto(actor=chain.province, panel=chain.panel) == []
    assert Assignment.objects.filter(panel=chain.panel).count() == 10


def test_auto_assign_reports_what_it_could_not_fill(tree, chain):
    (app,) = at_province(tree, chain.notice, 1)
    for expert in chain.experts[1:]:
        ExpertConflict.objects.create(expert=expert, organization=app.applicant, reason="回避")
    unfilled = services.assignments_auto(actor=chain.province, panel=chain.panel)
    assert len(unfilled) == 1 and unfilled[0]["application"] == app and unfilled[0]["missing"] == 1
    assert any("已声明回避" in r for r in unfilled[0]["reasons"])
    assert list(Assignment.objects.values_list("expert_id", flat=True)) == [chain.experts[0].pk]


def test_decline_with_conflict_records_it_and_removes_the_view(tree, chain):
    (app,) = at_province(tree, chain.notice, 1)
    expert = chain.experts[0]
    a = services.assignment_create(actor=chain.province, panel=chain.panel, application=app, expert=expert)
    with pytest.raises(PermissionDenied):
        services.assignment_decline(actor=chain.experts[1].user, assignment=a, reason="x")
    assert "请填写拒绝评审的理由。" in refused(services.assignment_decline, actor=expert.user, assignment=a, reason=" ")
    a = services.assignment_decline(actor=expert.user, assignment=a, reason="本人曾在该企业任职", conflict=True)
    assert (a.status, a.decline_reason) == (Assignment.Status.DECLINED, "本人曾在该企业任职")
    conflict = ExpertConflict.objects.get(expert=expert)
    assert (conflict.organization, conflict.reason) == (app.applicant, "本人曾在该企业任职")
    assert not applications_visible_to(expert.user).filter(pk=app.pk).exists()
    assert Notification.objects.filter(recipient=chain.province, title__contains="专家拒绝评审").exists()
    assert services.conflicts(expert, app) == [f"专家已声明回避申报单位“{app.applicant.name}”：本人曾在该企业任职"]
    assert "不能拒绝" in refused(services.assignment_decline, actor=expert.user, assignment=a, reason="再次")
    # Auto-assign fills the gap with someone else, never the expert who declined.
    services.assignments_auto(actor=chain.province, panel=chain.panel)
    assert Assignment.objects.filter(application=app, status="assigned").count() == 2
    assert not Assignment.objects.filter(application=app, expert=expert, status="assigned").exists()


def test_scoring_validation_and_total(tree, chain):
    (app,) = at_province(tree, chain.notice, 1)
    expert = chain.experts[0]
    a = services.assignment_create(actor=chain.province, panel=chain.panel, application=app, expert=expert)
    basic, perf = chain.panel.criteria.all()
    with pytest.raises(PermissionDenied):
        services.score_submit(actor=chain.experts[1].user, assignment=a, values={basic.pk: 1, perf.pk: 1})
    with pytest.raises(ValidationError) as exc:
        services.score_submit(actor=expert.user, assignment=a, values={basic.pk: "101", 999: 3})
    errors = exc.value.message_dict
    assert errors[str(basic.pk)] == ["“基本要求”的得分应在0到100之间。"]
    assert errors[str(perf.pk)] == ["请为“绩效指标”打分。"]
    assert errors["scores"] == ["评分项不属于本评审组：999"]
    with pytest.raises(ValidationError) as exc:
        services.score_submit(actor=expert.user, assignment=a, values={basic.pk: "nan", perf.pk: "1.234"})
    assert exc.value.message_dict == {
        str(basic.pk): ["“基本要求”的得分须为数字。"],
        str(perf.pk): ["“绩效指标”的得分最多保留两位小数。"],
    }
    a.refresh_from_db()
    assert a.status == Assignment.Status.ASSIGNED and a.total is None and not a.scores.exists()
    a = services.score_submit(actor=expert.user, assignment=a, values={basic.pk: "80", perf.pk: "40"}, comment="良")
    assert (a.status, a.total, a.comment) == (Assignment.Status.SUBMITTED, Decimal("80.00"), "良")
    a = services.score_submit(actor=expert.user, assignment=a, values={basic.pk: 100, perf.pk: 25})
    assert a.total == Decimal("62.50") and a.scores.count() == 2
    assert AuditEvent.objects.filter(verb="expert.score", target_id=str(a.pk)).count() == 2


def test_the_ministry_runs_its_own_panel_on_applications_that_reached_it(tree, chain, root):
    from tests.chain_helpers import climb, submitted

    app = climb(submitted(tree, chain.notice), tree, chain.notice, to="ministry")
    assert app.holder == tree.ministry
    ministry_expert = new_expert(tree.ministry, "部库专家", root)
    top = chain.notice.forwards.forwards
    assert "评审专家须从本单位专家库在库专家中选择。" in refused(
        services.panel_save,
        actor=tree.users["ministry"],
        authority=tree.ministry,
        notice=top,
        category="factory",
        name="部级评审组",
        experts=[chain.experts[0]],  # the province's pool
    )
    panel = services.panel_save(
        actor=tree.users["ministry"],
        authority=tree.ministry,
        notice=top,
        category="factory",
        name="部级评审组",
        experts=[ministry_expert],
        experts_per_application=1,
    )
    services.criteria_save(
        actor=tree.users["ministry"], panel=panel, rows=[{"name": "综合", "weight": 1, "max_score": 10}]
    )
    assert services.candidate_applications(panel).get() == app
    assert services.candidate_applications(chain.panel).count() == 0  # no longer under review at the province
    assert services.assignments_auto(actor=tree.users["ministry"], panel=panel) == []
    assert Assignment.objects.get().expert == ministry_expert
