"""The load_demo command: guarded, idempotent, and a believable Shanxi scene."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from activity.models import AuditEvent
from organizations.credit_code import check_credit_code
from organizations.models import ExpertAffiliation, ExpertProfile, Membership, Organization


def counts() -> dict[str, int]:
    return {
        "organizations": Organization.objects.count(),
        "users": get_user_model().objects.count(),
        "memberships": Membership.objects.count(),
        "audit events": AuditEvent.objects.count(),
        "groups": Group.objects.count(),
        "experts": ExpertProfile.objects.count(),
        "affiliations": ExpertAffiliation.objects.count(),
    }


def test_refuses_without_debug_and_without_force(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError) as excinfo:
        call_command("load_demo", stdout=io.StringIO())
    message = str(excinfo.value)
    assert "DEBUG 未开启" in message
    assert "--force" in message
    assert Organization.objects.count() == 0
    assert get_user_model().objects.count() == 0


def test_runs_with_debug_and_reports_passwords(db, settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    text = out.getvalue()
    assert "演示数据就绪" in text
    assert "greenmfg-demo" in text
    assert "山西省工业和信息化厅" in text
    assert Organization.objects.filter(kind="authority").exists()


def test_second_run_changes_no_counts(demo):
    first = counts()
    out = io.StringIO()
    call_command("load_demo", force=True, stdout=out)
    assert counts() == first
    assert "本次新建 0 条" in out.getvalue()


def test_enterprises_over_several_counties(demo):
    enterprises = Organization.objects.filter(kind="enterprise").select_related("competent_authority")
    assert enterprises.count() >= 12
    counties = {e.competent_authority_id for e in enterprises if e.competent_authority.level == "county"}
    assert len(counties) >= 4
    assert len({e.region_id for e in enterprises}) >= 4
    cities = {e.region_id[:4] for e in enterprises}
    assert {"1401", "1402"} <= cities  # 太原 and 大同


def test_devzone_is_county_level_under_taiyuan(demo):
    devzone = demo.users["devzone"].memberships.get().organization
    assert devzone.name == "太原经济技术开发区经济发展局"
    assert devzone.kind == "authority"
    assert devzone.level == "county"
    assert devzone.parent.name == "太原市工业和信息化局"
    assert devzone.parent == demo.users["city"].memberships.get().organization


def test_zone_reports_straight_to_the_province(demo):
    zone = demo.users["zone"].memberships.get().organization
    province = demo.users["province"].memberships.get().organization
    assert zone.name == "山西转型综合改革示范区管理委员会"
    assert zone.level == "city"
    assert zone.parent == province
    assert province.parent.level == "ministry"


def test_every_credit_code_passes_without_warning(demo):
    coded = Organization.objects.exclude(credit_code="")
    assert coded.filter(kind="enterprise").count() >= 12
    for org in coded:
        result = check_credit_code(org.credit_code)
        assert result.ok, (org.name, result.errors)
        assert result.warning == "", (org.name, result.warning)
        assert org.credit_code[2:8] == org.region_id, org.name


def test_every_applicant_and_department_has_a_competent_authority(demo):
    for org in Organization.objects.filter(kind__in=["enterprise", "park", "department", "assessor"]):
        assert org.competent_authority is not None, org.name
        assert org.competent_authority.kind == "authority", org.name
    for org in Organization.objects.filter(kind="authority").exclude(level="ministry"):
        assert org.parent is not None, org.name


def test_every_demo_user_has_a_role_and_a_group(demo):
    for username, user in demo.users.items():
        if username == "admin":
            assert user.is_superuser and user.is_staff
            continue
        assert user.memberships.exists() or ExpertProfile.objects.filter(user=user).exists(), username
        for m in user.memberships.all():
            assert user.groups.filter(pk=m.organization.group_id).exists(), username
    expert = ExpertProfile.objects.get(user=demo.users["expert2"])
    assert expert.pool.name == "山西省工业和信息化厅"
    assert expert.affiliations.count() == 2
