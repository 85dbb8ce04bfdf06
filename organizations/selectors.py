"""Reads about organizations, above all who may see which organization."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from guardian.shortcuts import get_objects_for_user

from greenmfg.shared_cache import kept, kept_in_request

from .models import ExpertProfile, Membership, Organization

LEVEL_RANK = {"county": 1, "city": 2, "province": 3, "ministry": 4}


def memberships_of(user) -> list[Membership]:
    """Active memberships, cached on the user object for the request."""
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_greenmfg_memberships", None)
    if cached is None:
        cached, user._greenmfg_expert = _roles_rows(user)
        user._greenmfg_memberships = cached
    return cached


def _roles_rows(user) -> tuple[list[Membership], ExpertProfile | None]:
    """Every page asks who the user is a member of (two queries): kept between requests (greenmfg.shared_cache)."""
    return kept(
        f"roles:{user.pk}",
        lambda: (
            list(
                Membership.objects.filter(user=user, is_active=True, organization__is_active=True)
                .select_related("organization", "organization__region", "organization__parent")
                .order_by("id")
            ),
            ExpertProfile.objects.filter(user=user, is_active=True).select_related("pool").first(),
        ),
    )


def acting_org_ids(user) -> list[int]:
    return [m.organization_id for m in memberships_of(user)]


def authority_parents() -> dict[int, int | None]:
    """Every authority's id → the id of the authority it reports to (one query, kept for the request)."""
    return kept_in_request(
        ("authority_parents",),
        lambda: dict(Organization.objects.filter(kind=Organization.Kind.AUTHORITY).values_list("id", "parent_id")),
    )


def authority_subtree_ids(root_ids, depth: int | None = None) -> set[int]:
    """The given authorities and every authority reporting to them, at any depth or down to `depth` levels
    below them (one query)."""
    roots = set(root_ids)
    if not roots:
        return set()
    children: dict[int, list[int]] = {}
    for pk, parent_id in authority_parents().items():
        children.setdefault(parent_id, []).append(pk)
    seen, stack = set(), [(pk, 0) for pk in roots]
    while stack:
        pk, level = stack.pop()
        if pk in seen:
            continue
        seen.add(pk)
        if depth is None or level < depth:
            stack.extend((child, level + 1) for child in children.get(pk, ()))
    return seen


def authority_ancestor_ids(authority_id: int | None) -> list[int]:
    """The authority and those it reports to, nearest first (one query)."""
    if authority_id is None:
        return []
    parents = authority_parents()
    chain, current = [], authority_id
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


def anchor_authority_id(org: Organization) -> int | None:
    """The authority an organization works under: itself for an authority, else its competent authority."""
    return org.pk if org.kind == Organization.Kind.AUTHORITY else org.competent_authority_id


def organizations_visible_to(user) -> QuerySet[Organization]:
    """The one visibility rule for organizations, used by pages, API, exports and tasks.

    An applicant, assessor or department sees itself (and what guardian grants it later);
    an authority sees its jurisdiction: the authorities under it and the organizations attached to them;
    the ministry and superusers see everything.
    """
    base = Organization.objects.select_related("region", "parent", "competent_authority")
    if not user.is_authenticated or not user.is_active:
        return base.none()
    if user.is_superuser:
        return base
    memberships = memberships_of(user)
    authorities = [m.organization for m in memberships if m.organization.kind == Organization.Kind.AUTHORITY]
    if any(a.level == Organization.Level.MINISTRY for a in authorities):
        return base
    granted = get_objects_for_user(
        user, "organizations.view_organization", klass=Organization, accept_global_perms=False
    ).values("pk")
    condition = Q(pk__in=granted) | Q(pk__in=[m.organization_id for m in memberships])
    if authorities:
        subtree = authority_subtree_ids(a.pk for a in authorities)
        condition |= Q(pk__in=subtree) | Q(competent_authority_id__in=subtree)
    return base.filter(condition)


def organization_for(user, pk) -> Organization:
    """One visible organization or Http404."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(organizations_visible_to(user), pk=pk)


def can_manage_organization(user, *, competent_authority: Organization | None, parent: Organization | None) -> bool:
    """Superusers manage all; an authority's admins manage what hangs under their jurisdiction."""
    if user.is_superuser:
        return True
    own = [
        m.organization_id
        for m in memberships_of(user)
        if m.role == Membership.Role.ADMIN and m.organization.kind == Organization.Kind.AUTHORITY
    ]
    if not own:
        return False
    subtree = authority_subtree_ids(own)
    anchor = competent_authority or parent
    return anchor is not None and anchor.pk in subtree


def managing_authorities(user) -> QuerySet[Organization]:
    """Authorities under which the user may create organizations."""
    qs = Organization.objects.filter(kind=Organization.Kind.AUTHORITY).select_related("region")
    if user.is_superuser:
        return qs
    own = [
        m.organization_id
        for m in memberships_of(user)
        if m.role == Membership.Role.ADMIN and m.organization.kind == Organization.Kind.AUTHORITY
    ]
    return qs.filter(pk__in=authority_subtree_ids(own))


def members_of(organization) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organization=organization).select_related("user").order_by("role", "user__username")
    )


# Roles a user can act in, each with its own dashboard.

DASHBOARD_BY_KIND = {
    Organization.Kind.ENTERPRISE: "applicant",
    Organization.Kind.PARK: "applicant",
    Organization.Kind.ASSESSOR: "assessor",
    Organization.Kind.AUTHORITY: "authority",
    Organization.Kind.DEPARTMENT: "department",
}


@dataclass(frozen=True)
class ActingRole:
    key: str
    dashboard: str  # applicant / assessor / authority / department / expert / admin / none
    label: str
    membership: Membership | None = None
    expert: ExpertProfile | None = None

    @property
    def organization(self) -> Organization | None:
        return self.membership.organization if self.membership else None


def roles_of(user) -> list[ActingRole]:
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_greenmfg_roles", None)
    if cached is not None:
        return cached
    roles = [
        ActingRole(
            key=f"m{m.pk}",
            dashboard=DASHBOARD_BY_KIND[m.organization.kind],
            label=f"{m.organization.name}（{m.get_role_display()}）",
            membership=m,
        )
        for m in memberships_of(user)
    ]
    expert = getattr(user, "_greenmfg_expert", None)
    if expert is not None:
        roles.append(
            ActingRole(key="expert", dashboard="expert", label=f"评审专家（{expert.pool.name}专家库）", expert=expert)
        )
    if user.is_superuser or user.is_staff:
        roles.append(ActingRole(key="admin", dashboard="admin", label="系统管理员"))
    user._greenmfg_roles = roles
    return roles


def acting_role(user, preferred_key: str | None) -> ActingRole:
    roles = roles_of(user)
    for role in roles:
        if role.key == preferred_key:
            return role
    if roles:
        return roles[0]
    return ActingRole(key="none", dashboard="none", label="未加入任何单位")


def can_manage_members(user, organization: Organization) -> bool:
    """The organization's own admins, and the admins of an authority whose jurisdiction holds it."""
    if user.is_superuser:
        return True
    if any(m.organization_id == organization.pk and m.role == Membership.Role.ADMIN for m in memberships_of(user)):
        return True
    return can_manage_organization(
        user,
        competent_authority=organization.competent_authority,
        parent=organization.parent if organization.is_authority else None,
    )


def managed_region_prefixes(user) -> list[str]:
    """Region code prefixes a user may place organizations in; empty means anywhere (superuser)."""
    if user.is_superuser:
        return []
    return sorted(
        {
            m.organization.region.prefix
            for m in memberships_of(user)
            if m.role == Membership.Role.ADMIN
            and m.organization.kind == Organization.Kind.AUTHORITY
            and m.organization.level != Organization.Level.MINISTRY
        }
    )
