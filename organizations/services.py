"""Every write to organizations, memberships and experts: validated, permission-checked, audited."""

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from guardian.shortcuts import assign_perm

from activity.services import audit_record

from .credit_code import check_credit_code
from .models import ExpertAffiliation, ExpertProfile, Membership, Organization
from .selectors import LEVEL_RANK, can_manage_organization

ORG_FIELDS = (
    "kind",
    "name",
    "credit_code",
    "region",
    "region_id",
    "level",
    "parent",
    "domain",
    "competent_authority",
    "legal_representative",
    "address",
    "contact_name",
    "contact_phone",
    "is_active",
)
PARENT_LEVELS = {"county": ("city", "province"), "city": ("province",), "province": ("ministry",), "ministry": ()}
NEEDS_CREDIT_CODE = {Organization.Kind.ENTERPRISE, Organization.Kind.PARK, Organization.Kind.ASSESSOR}
NEEDS_AUTHORITY = {Organization.Kind.ENTERPRISE, Organization.Kind.PARK, Organization.Kind.DEPARTMENT}


def organization_validate(org: Organization) -> str:
    """Check the organization's fields and its place in the tree. Returns a warning (may be empty)."""
    errors: dict[str, list[str]] = {}
    warning = ""
    org.credit_code = "".join((org.credit_code or "").split()).upper()
    if org.credit_code:
        check = check_credit_code(org.credit_code)
        if check.errors:
            errors["credit_code"] = check.errors
        warning = check.warning
    elif org.kind in NEEDS_CREDIT_CODE:
        errors["credit_code"] = ["企业、园区管理机构和评价机构必须填写统一社会信用代码。"]
    if org.credit_code and "credit_code" not in errors:
        clash = Organization.objects.filter(credit_code=org.credit_code).exclude(pk=org.pk).first()
        if clash:
            errors["credit_code"] = [f"统一社会信用代码{org.credit_code}已被“{clash.name}”使用。"]

    if org.kind == Organization.Kind.AUTHORITY:
        org.domain = ""
        org.competent_authority = None
        if not org.level:
            errors["level"] = ["主管部门必须选择层级（县级、市级、省级或部级）。"]
        elif org.level == Organization.Level.MINISTRY:
            if org.parent_id:
                errors["parent"] = ["部级主管部门没有上级主管部门。"]
        elif org.parent is None:
            errors["parent"] = ["请选择上级主管部门。"]
        elif org.parent.kind != Organization.Kind.AUTHORITY:
            errors["parent"] = ["上级必须是工业和信息化主管部门。"]
        elif org.parent.level not in PARENT_LEVELS[org.level]:
            allowed = "、".join(Organization.Level(lv).label for lv in PARENT_LEVELS[org.level])
            errors["parent"] = [
                f"{org.get_level_display()}主管部门的上级应为{allowed}主管部门，"
                f"“{org.parent.name}”是{org.parent.get_level_display()}。"
            ]
        elif org.pk and org.parent_id == org.pk:
            errors["parent"] = ["不能以自身为上级。"]
    else:
        org.parent = None
        if org.kind in NEEDS_AUTHORITY and org.competent_authority is None:
            errors["competent_authority"] = ["请选择属地（对口）工业和信息化主管部门。"]
        if org.competent_authority is not None and org.competent_authority.kind != Organization.Kind.AUTHORITY:
            errors["competent_authority"] = ["属地（对口）部门必须是工业和信息化主管部门。"]
        if org.kind == Organization.Kind.DEPARTMENT:
            if not org.domain:
                errors["domain"] = ["协同部门必须选择职能领域（生态环境、应急管理或市场监管）。"]
            if org.competent_authority is not None:
                org.level = org.competent_authority.level
        else:
            org.domain = ""
            org.level = ""
    if errors:
        raise ValidationError(errors)
    return warning


def _ensure_group(org: Organization) -> None:
    if org.group_id is None:
        org.group = Group.objects.create(name=f"org-{org.pk}")
        org.save(update_fields=["group"])
    assign_perm("organizations.view_organization", org.group, org)


@transaction.atomic
def organization_create(*, actor, request=None, check_permission: bool = True, **fields) -> Organization:
    org = Organization(**{k: v for k, v in fields.items() if k in ORG_FIELDS})
    if check_permission and not can_manage_organization(
        actor, competent_authority=org.competent_authority, parent=org.parent
    ):
        raise PermissionDenied("您无权在该主管部门下创建组织机构。")
    warning = organization_validate(org)
    org.save()
    _ensure_group(org)
    audit_record(
        actor=actor,
        verb="organization.create",
        target=org,
        organization=org,
        after=org.kind,
        reason=warning,
        request=request,
    )
    org.validation_warning = warning
    return org


@transaction.atomic
def organization_update(
    *, actor, organization: Organization, request=None, check_permission: bool = True, **fields
) -> Organization:
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    for key, value in fields.items():
        if key in ORG_FIELDS:
            setattr(org, key, value)
    if check_permission and not can_manage_organization(
        actor, competent_authority=org.competent_authority, parent=org.parent
    ):
        raise PermissionDenied("您无权修改该组织机构。")
    if org.kind == Organization.Kind.AUTHORITY and org.parent_id:
        # No cycles: the new parent may not sit under this authority.
        from .selectors import authority_subtree_ids

        if org.parent_id in authority_subtree_ids([org.pk]):
            raise ValidationError({"parent": ["上级主管部门不能是本部门的下级。"]})
    warning = organization_validate(org)
    org.save()
    _ensure_group(org)
    audit_record(actor=actor, verb="organization.update", target=org, organization=org, reason=warning, request=request)
    org.validation_warning = warning
    return org


@transaction.atomic
def membership_add(
    *, actor, user, organization: Organization, role: str = Membership.Role.OPERATOR, request=None
) -> Membership:
    if role not in Membership.Role.values:
        raise ValidationError({"role": [f"未知角色：{role}"]})
    membership, created = Membership.objects.get_or_create(
        user=user, organization=organization, defaults={"role": role}
    )
    before = "" if created else membership.role
    if not created and (membership.role != role or not membership.is_active):
        membership.role, membership.is_active = role, True
        membership.save(update_fields=["role", "is_active"])
    if organization.group_id is None:
        _ensure_group(organization)
    user.groups.add(organization.group)
    if created or before != role:
        audit_record(
            actor=actor,
            verb="membership.add",
            target=membership,
            organization=organization,
            before=before,
            after=role,
            request=request,
        )
    return membership


@transaction.atomic
def membership_remove(*, actor, membership: Membership, request=None) -> Membership:
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    if membership.organization.group_id:
        membership.user.groups.remove(membership.organization.group)
    audit_record(
        actor=actor,
        verb="membership.remove",
        target=membership,
        organization=membership.organization,
        before=membership.role,
        request=request,
    )
    return membership


@transaction.atomic
def expert_profile_save(*, actor, user, pool: Organization, affiliations=(), request=None, **fields) -> ExpertProfile:
    if pool.kind != Organization.Kind.AUTHORITY or LEVEL_RANK.get(pool.level, 0) < LEVEL_RANK["province"]:
        raise ValidationError({"pool": ["专家库由省级或部级主管部门管理。"]})
    profile, created = ExpertProfile.objects.update_or_create(user=user, defaults={"pool": pool, **fields})
    for aff in affiliations:
        ExpertAffiliation.objects.update_or_create(
            expert=profile,
            name=aff["name"],
            relation=aff["relation"],
            defaults={k: v for k, v in aff.items() if k not in ("name", "relation")},
        )
    audit_record(
        actor=actor,
        verb="expert.create" if created else "expert.update",
        target=profile,
        organization=pool,
        request=request,
    )
    return profile


@transaction.atomic
def member_invite(
    *,
    actor,
    organization: Organization,
    username: str,
    role: str,
    full_name: str = "",
    email: str = "",
    password: str = "",
    request=None,
) -> Membership:
    """Add a user to an organization, creating the account when the username is new."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password

    User = get_user_model()
    username = (username or "").strip()
    if not username:
        raise ValidationError({"username": ["请填写用户名。"]})
    user = User.objects.filter(username=username).first()
    if user is None:
        if not password:
            raise ValidationError({"password": ["新账号需要设置初始密码。"]})
        candidate = User(username=username, first_name=full_name, email=email)
        try:
            validate_password(password, candidate)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
        candidate.set_password(password)
        candidate.save()
        audit_record(actor=actor, verb="user.create", target=candidate, organization=organization, request=request)
        user = candidate
    return membership_add(actor=actor, user=user, organization=organization, role=role, request=request)
