"""Who sees which organization: the selector, the pages and the API agree; not visible means 404."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from organizations.models import Organization
from organizations.selectors import organizations_visible_to
from organizations.services import organization_create, organization_update, organization_validate
from tests.factories import authority, credit_code

ALL = {
    "ministry",
    "province",
    "city",
    "county",
    "other_city",
    "other_county",
    "ent",
    "other_ent",
    "eco",
    "other_eco",
}
EXPECTED = {
    "ent": {"ent"},
    "other_ent": {"other_ent"},
    "eco": {"eco"},
    "other_eco": {"other_eco"},
    "county": {"county", "ent", "eco"},
    "other_county": {"other_county", "other_ent", "other_eco"},
    "city": {"city", "county", "ent", "eco"},
    "other_city": {"other_city", "other_county", "other_ent", "other_eco"},
    "province": ALL - {"ministry"},
    "ministry": ALL,
}


def visible_names(tree, user) -> set[str]:
    by_pk = {getattr(tree, key).pk: key for key in ALL}
    return {by_pk[pk] for pk in organizations_visible_to(user).values_list("pk", flat=True)}


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", "root@example.test", "x-unused-password")


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_organizations_visible_to_each_role(tree, who):
    assert visible_names(tree, tree.users[who]) == EXPECTED[who]


def test_superuser_sees_everything(tree, superuser):
    assert visible_names(tree, superuser) == ALL
    assert organizations_visible_to(superuser).count() == Organization.objects.count()


def test_user_without_membership_sees_nothing(tree, django_user_model):
    loner = django_user_model.objects.create_user("loner", password="x-unused-password")
    assert list(organizations_visible_to(loner)) == []


def test_inactive_user_sees_nothing(tree):
    user = tree.users["ministry"]
    user.is_active = False
    user.save()
    assert list(organizations_visible_to(user)) == []


@pytest.mark.parametrize(
    "who, other",
    [("ent", "other_ent"), ("ent", "county"), ("county", "other_ent"), ("city", "other_county"), ("eco", "ent")],
)
def test_other_organization_is_404_in_page_and_api(client, tree, who, other):
    client.force_login(tree.users[who])
    target = getattr(tree, other)

    page = client.get(f"/organizations/{target.pk}/")
    assert page.status_code == 404
    assert "页面不存在" in page.content.decode()
    assert target.name not in page.content.decode()

    api = client.get(f"/api/v1/organizations/{target.pk}/")
    assert api.status_code == 404
    assert "name" not in api.json()

    edit = client.get(f"/organizations/{target.pk}/edit/")
    assert edit.status_code == 404


def test_own_organization_detail_in_page_and_api(client, tree):
    client.force_login(tree.users["county"])
    page = client.get(f"/organizations/{tree.ent.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert tree.ent.name in text
    assert tree.ent.credit_code in text

    api = client.get(f"/api/v1/organizations/{tree.ent.pk}/").json()
    assert api["name"] == tree.ent.name
    assert api["credit_code"] == tree.ent.credit_code
    assert api["competent_authority"] == tree.county.pk


def test_list_page_and_api_list_show_only_visible(client, tree):
    client.force_login(tree.users["city"])
    page = client.get("/organizations/").content.decode()
    for key in EXPECTED["city"]:
        org = getattr(tree, key)
        assert org.name in page
        assert f'href="/organizations/{org.pk}/"' in page
    for key in ALL - EXPECTED["city"]:
        org = getattr(tree, key)
        assert f'href="/organizations/{org.pk}/"' not in page
        if key != "province":  # the city's own parent is named in its row
            assert org.name not in page

    data = client.get("/api/v1/organizations/").json()
    assert data["count"] == len(EXPECTED["city"])
    assert {row["name"] for row in data["results"]} == {getattr(tree, k).name for k in EXPECTED["city"]}


def test_list_filters_do_not_widen_visibility(client, tree):
    client.force_login(tree.users["county"])
    data = client.get("/api/v1/organizations/", {"q": "平城"}).json()
    assert data["count"] == 0
    page = client.get("/organizations/", {"q": "平城"}).content.decode()
    assert tree.other_ent.name not in page
    assert "没有符合条件的组织机构" in page


def test_enterprise_list_is_itself_only(client, tree):
    client.force_login(tree.users["ent"])
    data = client.get("/api/v1/organizations/").json()
    assert [row["name"] for row in data["results"]] == [tree.ent.name]


@pytest.mark.parametrize("path", ["/no-such-page/", "/organizations/999999/", "/api/v1/organizations/999999/"])
def test_unknown_url_is_404(client, tree, path):
    client.force_login(tree.users["ministry"])
    response = client.get(path)
    assert response.status_code == 404


def test_unknown_url_is_404_for_anonymous(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


# Tree rules in services.organization_validate / organization_update.


def test_county_under_ministry_is_refused(tree):
    org = Organization(kind="authority", name="某县工信局", region_id="140121", level="county", parent=tree.ministry)
    with pytest.raises(ValidationError) as excinfo:
        organization_validate(org)
    message = excinfo.value.message_dict["parent"][0]
    assert message == f"县级主管部门的上级应为市级、省级主管部门，“{tree.ministry.name}”是部级。"


def test_county_under_ministry_is_refused_by_create_and_nothing_is_stored(tree, superuser):
    before = Organization.objects.count()
    with pytest.raises(ValidationError):
        organization_create(
            actor=superuser,
            kind="authority",
            name="某县工信局",
            region_id="140121",
            level="county",
            parent=tree.ministry,
        )
    assert Organization.objects.count() == before


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"level": ""}, "主管部门必须选择层级"),
        ({"level": "ministry", "parent": "province"}, "部级主管部门没有上级主管部门。"),
        ({"level": "city", "parent": None}, "请选择上级主管部门。"),
        ({"level": "city", "parent": "ent"}, "上级必须是工业和信息化主管部门。"),
    ],
)
def test_authority_tree_rules(tree, fields, message):
    parent = fields.get("parent")
    org = Organization(
        kind="authority",
        name="规则测试局",
        region_id="140100",
        level=fields["level"],
        parent=getattr(tree, parent) if parent else None,
    )
    with pytest.raises(ValidationError) as excinfo:
        organization_validate(org)
    assert any(message in m for msgs in excinfo.value.message_dict.values() for m in msgs)


def test_enterprise_needs_competent_authority_and_credit_code(db):
    org = Organization(kind="enterprise", name="无主企业", region_id="140105")
    with pytest.raises(ValidationError) as excinfo:
        organization_validate(org)
    errors = excinfo.value.message_dict
    assert errors["credit_code"] == ["企业、园区管理机构和评价机构必须填写统一社会信用代码。"]
    assert errors["competent_authority"] == ["请选择属地（对口）工业和信息化主管部门。"]


def test_update_refuses_a_cycle(tree, superuser):
    # The province may not be moved under its own city, even when the levels would allow it.
    with pytest.raises(ValidationError) as excinfo:
        organization_update(actor=superuser, organization=tree.province, level="county", parent=tree.city)
    assert excinfo.value.message_dict["parent"] == ["上级主管部门不能是本部门的下级。"]
    tree.province.refresh_from_db()
    assert tree.province.level == "province"
    assert tree.province.parent == tree.ministry


def test_update_refuses_itself_as_parent(tree, superuser):
    with pytest.raises(ValidationError) as excinfo:
        organization_update(actor=superuser, organization=tree.city, parent=tree.city)
    assert excinfo.value.message_dict["parent"] == ["上级主管部门不能是本部门的下级。"]
    tree.city.refresh_from_db()
    assert tree.city.parent == tree.province


def test_update_may_move_a_county_to_the_other_city(tree, superuser):
    moved = organization_update(actor=superuser, organization=tree.county, parent=tree.other_city)
    assert moved.parent == tree.other_city
    assert tree.ent.pk in organizations_visible_to(tree.users["other_city"]).values_list("pk", flat=True)
    assert tree.ent.pk not in organizations_visible_to(tree.users["city"]).values_list("pk", flat=True)


def test_duplicate_credit_code_is_refused(tree, superuser):
    before = Organization.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        organization_create(
            actor=superuser,
            kind="enterprise",
            name="冒用代码有限公司",
            region_id="140105",
            credit_code=tree.ent.credit_code.lower(),
            competent_authority=tree.county,
        )
    assert excinfo.value.message_dict["credit_code"] == [
        f"统一社会信用代码{tree.ent.credit_code}已被“{tree.ent.name}”使用。"
    ]
    assert Organization.objects.count() == before


def test_duplicate_credit_code_is_refused_on_update(tree, superuser):
    with pytest.raises(ValidationError) as excinfo:
        organization_update(actor=superuser, organization=tree.other_ent, credit_code=tree.ent.credit_code)
    assert "已被" in excinfo.value.message_dict["credit_code"][0]
    tree.other_ent.refresh_from_db()
    assert tree.other_ent.credit_code != tree.ent.credit_code


def test_county_admin_may_not_create_under_other_county(tree):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        organization_create(
            actor=tree.users["county"],
            kind="enterprise",
            name="越权企业",
            region_id="140213",
            credit_code=credit_code("140213"),
            competent_authority=tree.other_county,
        )
    assert not Organization.objects.filter(name="越权企业").exists()


def test_county_admin_creates_under_own_county(tree):
    org = organization_create(
        actor=tree.users["county"],
        kind="enterprise",
        name="新增小店企业",
        region_id="140105",
        credit_code=credit_code("140105"),
        competent_authority=tree.county,
    )
    assert org.pk in organizations_visible_to(tree.users["county"]).values_list("pk", flat=True)
    assert org.pk in organizations_visible_to(tree.users["province"]).values_list("pk", flat=True)
    assert org.pk not in organizations_visible_to(tree.users["other_city"]).values_list("pk", flat=True)


def test_authority_factory_builds_expected_levels(db):
    ministry = authority("部（测试）", "110000", "ministry")
    assert ministry.parent is None and ministry.level == "ministry"
