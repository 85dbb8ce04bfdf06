from django.contrib.auth import get_user_model

from activity.models import AuditEvent
from organizations.models import Membership


def test_authority_admin_creates_an_account_for_an_enterprise_in_its_jurisdiction(tree, client):
    client.force_login(tree.users["county"])
    response = client.post(
        f"/organizations/{tree.ent.pk}/members/add/",
        {
            "username": "new-operator",
            "role": "operator",
            "full_name": "新经办人",
            "email": "op@example.test",
            "password": "a-long-password-2024",
        },
        follow=True,
    )
    assert "已将 new-operator 加入小店测试企业有限公司（经办人）" in response.content.decode()
    user = get_user_model().objects.get(username="new-operator")
    assert user.check_password("a-long-password-2024")
    membership = Membership.objects.get(user=user)
    assert membership.organization == tree.ent and membership.role == "operator"
    assert user.groups.filter(pk=tree.ent.group_id).exists()
    assert AuditEvent.objects.filter(verb="user.create", target_id=str(user.pk)).exists()
    assert AuditEvent.objects.filter(verb="membership.add", target_id=str(membership.pk), after="operator").exists()


def test_weak_initial_password_is_refused_in_chinese_and_nothing_is_stored(tree, client):
    client.force_login(tree.users["ent"])
    response = client.post(
        f"/organizations/{tree.ent.pk}/members/add/", {"username": "weak", "role": "operator", "password": "12345"}
    )
    page = response.content.decode()
    assert "密码太短，至少需要10个字符" in page and "密码只包含数字" in page
    assert not get_user_model().objects.filter(username="weak").exists()


def test_new_account_without_password_is_refused(tree, client):
    client.force_login(tree.users["ent"])
    response = client.post(f"/organizations/{tree.ent.pk}/members/add/", {"username": "nopw", "role": "operator"})
    assert "新账号需要设置初始密码" in response.content.decode()
    assert not get_user_model().objects.filter(username="nopw").exists()


def test_members_of_another_organization_cannot_be_managed(tree, client):
    client.force_login(tree.users["other_ent"])
    assert client.get(f"/organizations/{tree.ent.pk}/members/add/").status_code == 404
    membership = Membership.objects.get(user=tree.users["ent"])
    response = client.post(f"/organizations/{tree.ent.pk}/members/{membership.pk}/remove/")
    assert response.status_code == 404
    membership.refresh_from_db()
    assert membership.is_active


def test_a_county_cannot_manage_members_of_its_city(tree, client):
    client.force_login(tree.users["county"])
    assert client.get(f"/organizations/{tree.city.pk}/members/add/").status_code == 404


def test_removing_a_member_deactivates_and_revokes_group(tree, client):
    colleague = get_user_model().objects.create_user("colleague", password="x-long-password-1")
    from organizations.services import membership_add

    membership = membership_add(actor=None, user=colleague, organization=tree.ent, role="operator")
    client.force_login(tree.users["ent"])
    response = client.post(f"/organizations/{tree.ent.pk}/members/{membership.pk}/remove/", follow=True)
    assert "已停用 colleague" in response.content.decode()
    membership.refresh_from_db()
    assert not membership.is_active
    assert not colleague.groups.filter(pk=tree.ent.group_id).exists()
    client.force_login(colleague)
    assert client.get(f"/organizations/{tree.ent.pk}/").status_code == 404


def test_an_admin_cannot_remove_themselves(tree, client):
    me = tree.users["ent"]
    membership = Membership.objects.get(user=me)
    client.force_login(me)
    response = client.post(f"/organizations/{tree.ent.pk}/members/{membership.pk}/remove/", follow=True)
    assert "不能移除自己的成员资格" in response.content.decode()
    membership.refresh_from_db()
    assert membership.is_active
