"""Reads about notices: who may see which, and which deadline binds whom."""

from collections import namedtuple
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from greenmfg.request_memo import memoized
from greenmfg.shared_cache import kept_in_request
from organizations.models import ExpertProfile, Membership, Organization
from organizations.selectors import (
    anchor_authority_id,
    authority_ancestor_ids,
    authority_parents,
    authority_subtree_ids,
    memberships_of,
)

from .models import Deadline, Extension, Notice

ISSUING_ROLES = (Membership.Role.ADMIN, Membership.Role.APPROVER)


def issuing_authorities(user) -> QuerySet[Organization]:
    """Authorities in whose name the user may issue, edit and publish notices."""
    qs = Organization.objects.filter(kind=Organization.Kind.AUTHORITY).select_related("region", "parent")
    if user.is_superuser:
        return qs
    return qs.filter(
        pk__in=[
            m.organization_id
            for m in memberships_of(user)
            if m.role in ISSUING_ROLES and m.organization.kind == Organization.Kind.AUTHORITY
        ]
    )


def can_issue(user, authority: Organization) -> bool:
    if user.is_superuser:
        return True
    return any(m.organization_id == authority.pk and m.role in ISSUING_ROLES for m in memberships_of(user))


def notices_visible_to(user) -> QuerySet[Notice]:
    """A published notice applies within its issuer's jurisdiction: those under the issuer see it.

    Authorities also see what their subordinates published; an issuer's members see its drafts.
    """
    base = Notice.objects.select_related("issuer", "issuer__region", "forwards", "forwards__issuer")
    if not user.is_authenticated:
        return base.none()
    if user.is_superuser:
        return base
    memberships = memberships_of(user)
    orgs = [m.organization for m in memberships]
    issued = ~Q(status=Notice.Status.DRAFT)
    if any(o.kind == Organization.Kind.AUTHORITY and o.level == Organization.Level.MINISTRY for o in orgs):
        # The whole country is the ministry's jurisdiction; a draft still stays with its issuer.
        return base.filter(issued | Q(issuer_id__in=[o.pk for o in orgs if o.kind == Organization.Kind.AUTHORITY]))
    condition = Q(pk__in=[])
    chain: set[int] = set()
    for org in orgs:
        chain.update(authority_ancestor_ids(anchor_authority_id(org)))
    pool_id = ExpertProfile.objects.filter(user=user, is_active=True).values_list("pool_id", flat=True).first()
    if pool_id:
        chain.update(authority_ancestor_ids(pool_id))
    if chain:
        condition |= issued & Q(issuer_id__in=chain)
    own_authorities = [o.pk for o in orgs if o.kind == Organization.Kind.AUTHORITY]
    if own_authorities:
        condition |= issued & Q(issuer_id__in=authority_subtree_ids(own_authorities))
        condition |= Q(issuer_id__in=own_authorities)
    return base.filter(condition)


def notice_for(user, pk) -> Notice:
    return get_object_or_404(notices_visible_to(user), pk=pk)


def notice_detail(user, pk) -> Notice:
    return get_object_or_404(
        notices_visible_to(user).prefetch_related(
            "categories__materials",
            Prefetch("categories__quotas", queryset=_quota_qs()),
            Prefetch(
                "deadlines",
                queryset=Deadline.objects.select_related("authority").prefetch_related(
                    Prefetch("extensions", queryset=Extension.objects.select_related("organization", "granted_by"))
                ),
            ),
            "attachments",
        ),
        pk=pk,
    )


def _quota_qs():
    from .models import Quota

    return Quota.objects.select_related("authority")


def _families(notices: dict[int, Notice]) -> dict[int, int]:
    """Notice id → the id of the root of its forwarding chain."""

    def root(n):
        seen = set()
        while n.forwards_id and n.forwards_id in notices and n.pk not in seen:
            seen.add(n.pk)
            n = notices[n.forwards_id]
        return n.pk

    return {pk: root(n) for pk, n in notices.items()}


def _same_year_roots(notices) -> tuple[dict[int, Notice], dict[int, int]]:
    """Every notice of the given notices' years, and each one's family root (one query)."""
    same_year = {n.pk: n for n in Notice.objects.filter(year__in={n.year for n in notices}).select_related("issuer")}
    for n in notices:
        same_year.setdefault(n.pk, n)
    return same_year, _families(same_year)


def notice_family(notice: Notice) -> list[Notice]:
    """The notice, the one it forwards and so on up, and every notice forwarding any of them (one query)."""
    same_year, roots = _same_year_roots([notice])
    return [n for pk, n in same_year.items() if roots[pk] == roots[notice.pk]]


def family_roots(years) -> dict[int, int]:
    """Notice id → its family root, for every notice of these years (a list or a subquery of years), read from two
    columns: plain tuples, not a model instance per notice (a year of a national campaign has hundreds)."""
    links = {
        pk: _Link(pk, forwards_id)
        for pk, forwards_id in Notice.objects.filter(year__in=years).values_list("id", "forwards_id")
    }
    return _families(links)


def notice_family_ids(notice: Notice) -> list[int]:
    """notice_family's ids alone (one query over two columns)."""
    roots = family_roots([notice.year])
    root = roots.get(notice.pk, notice.pk)
    return [pk for pk, r in roots.items() if r == root] or [notice.pk]


_Link = namedtuple("_Link", "pk forwards_id")


@dataclass
class EffectiveDeadline:
    deadline: Deadline
    notice: Notice
    organization: Organization
    due_at: datetime
    extension: Extension | None = None

    @property
    def stage(self) -> str:
        return self.deadline.stage

    def is_past(self, at: datetime | None = None) -> bool:
        return to_second(at or timezone.now()) > self.due_at

    def remaining(self, at: datetime | None = None):
        return self.due_at - to_second(at or timezone.now())


def to_second(moment: datetime) -> datetime:
    """Deadlines are honoured to the second: 23:59:59.9 still counts as 23:59:59."""
    return moment.replace(microsecond=0)


def deadline_for(*, notice: Notice, organization: Organization, stage: str) -> EffectiveDeadline | None:
    """The deadline that binds `organization` at `stage` in this notice's family, with its extension.

    Walk up from the authority the organization submits to; the nearest issuer that set a deadline for this
    stage wins (a city's earlier date beats the province's), and a deadline naming this very authority
    beats a general one.
    """
    # Kept for the request (the page shows the deadline its guards enforce) and between requests.
    return kept_in_request(
        ("deadline", notice.pk, organization.pk, stage),
        lambda: deadlines_for_notices([notice], organization=organization, stage=stage)[notice.pk],
    )


def deadlines_for_notices(notices, *, organization: Organization, stage: str) -> dict[int, EffectiveDeadline | None]:
    """deadline_for for many notices at once, in a fixed number of queries (for lists)."""
    notices = list(notices)
    resolved = deadlines_for_pairs([(n, organization) for n in notices], stage=stage)
    return {n.pk: resolved[(n.pk, organization.pk)] for n in notices}


def deadlines_for_pairs(pairs, *, stage: str) -> dict[tuple[int, int], EffectiveDeadline | None]:
    """deadline_for for many (notice, organization) pairs at once, in a fixed number of queries.

    For lists that mix organizations: an assessor's engagements, each with its applicant's deadline.
    Keys are (notice id, organization id).
    """
    pairs = list(pairs)
    result: dict[tuple[int, int], EffectiveDeadline | None] = {(n.pk, o.pk): None for n, o in pairs}

    def start(org: Organization) -> tuple[int | None, int | None]:
        if stage == Deadline.Stage.APPLICANT:
            return org.competent_authority_id, org.competent_authority_id
        return org.parent_id, org.pk

    if not pairs or all(start(o)[0] is None for _, o in pairs):
        return result
    parents = authority_parents()

    def ancestors(authority_id: int | None) -> list[int]:
        chain, current = [], authority_id
        while current is not None and current not in chain:
            chain.append(current)
            current = parents.get(current)
        return chain

    chains: dict[int, tuple[list[int], int | None]] = {}
    for _, org in pairs:
        if org.pk not in chains:
            first, scope_key = start(org)
            chains[org.pk] = (ancestors(first), scope_key)
    issuers = {pk for chain, _ in chains.values() for pk in chain}
    if not issuers:
        return result
    notices = {n.pk: n for n, _ in pairs}
    pool = {
        n.pk: n for n in Notice.objects.filter(year__in={n.year for n in notices.values()}).select_related("issuer")
    }
    for pk, n in notices.items():
        pool.setdefault(pk, n)
    roots = _families(pool)
    deadlines = list(Deadline.objects.filter(notice_id__in=pool, stage=stage, notice__issuer_id__in=issuers))
    extensions: dict[tuple[int, int], Extension] = {}
    for ext in Extension.objects.filter(deadline__in=deadlines, organization_id__in=chains).order_by("new_due_at"):
        extensions[(ext.deadline_id, ext.organization_id)] = ext  # the latest wins
    families: dict[int, set[int]] = {}
    for n, org in pairs:
        chain, scope_key = chains[org.pk]
        if not chain:
            continue
        if n.pk not in families:
            # Drafts of other issuers do not bind anyone; the notice itself counts even as a draft.
            families[n.pk] = {
                pk
                for pk, m in pool.items()
                if roots[pk] == roots[n.pk] and (m.status != Notice.Status.DRAFT or pk == n.pk)
            }
        rank = {issuer_id: i for i, issuer_id in enumerate(chain)}
        candidates = [
            d
            for d in deadlines
            if d.notice_id in families[n.pk]
            and pool[d.notice_id].issuer_id in rank
            and d.authority_id in (scope_key, None)
        ]
        if not candidates:
            continue
        # Nearest issuer first; within one issuer, the deadline naming this authority first.
        chosen = min(candidates, key=lambda d: (rank[pool[d.notice_id].issuer_id], d.authority_id is None))
        extension = extensions.get((chosen.pk, org.pk))
        result[(n.pk, org.pk)] = EffectiveDeadline(
            deadline=chosen,
            notice=pool[chosen.notice_id],
            organization=org,
            due_at=max(chosen.due_at, extension.new_due_at) if extension else chosen.due_at,
            extension=extension,
        )
    return result


def open_notices_for(org: Organization) -> list[Notice]:
    """Published notices that apply to an organization, nearest issuer first within each family (kept for the
    request: a dashboard asks several times)."""
    chain = authority_ancestor_ids(anchor_authority_id(org))
    return list(
        memoized(
            ("open_notices", tuple(chain)),
            lambda: list(
                Notice.objects.filter(status=Notice.Status.PUBLISHED, issuer_id__in=chain)
                .select_related("issuer")
                .order_by("-year", "id")
            ),
        )
    )


def deadline_label(d: Deadline) -> str:
    """“下级主管部门报送截止” / “小店区工信局辖区申报单位提交截止”."""
    if d.stage == Deadline.Stage.AUTHORITY:
        return f"{d.authority.name if d.authority else '下级主管部门'}报送截止"
    return f"{d.authority.name + '辖区' if d.authority else ''}申报单位提交截止"


def deadlines_concerning(org: Organization) -> list[dict]:
    """What a dashboard shows: the deadlines binding this organization, and those it set for others."""
    rows = []
    notices = open_notices_for(org)
    stage = None
    if org.kind in (Organization.Kind.ENTERPRISE, Organization.Kind.PARK):
        stage = Deadline.Stage.APPLICANT
    elif org.kind == Organization.Kind.AUTHORITY and org.parent_id:
        stage = Deadline.Stage.AUTHORITY
    bound = org
    if stage is None and org.kind == Organization.Kind.DEPARTMENT and org.competent_authority_id:
        bound, stage = org.competent_authority, Deadline.Stage.AUTHORITY
    if stage and notices:
        # The first notice of each forwarding family speaks for it; all families' deadlines in one pass.
        _, roots = _same_year_roots(notices)
        firsts: dict[int, Notice] = {}
        for notice in notices:
            firsts.setdefault(roots[notice.pk], notice)
        effective = deadlines_for_notices(firsts.values(), organization=bound, stage=stage)
        for notice in firsts.values():
            eff = effective[notice.pk]
            if not eff:
                continue
            if bound is org:
                label = "本单位申报截止" if stage == Deadline.Stage.APPLICANT else "本单位向上级报送截止"
                rows.append(
                    {
                        "label": label,
                        "notice": eff.notice,
                        "due_at": eff.due_at,
                        "extension": eff.extension,
                        "own": True,
                    }
                )
            else:
                rows.append(
                    {
                        "label": f"{bound.name}报送截止（意见须在此前反馈）",
                        "notice": eff.notice,
                        "due_at": eff.due_at,
                        "extension": None,
                        "own": False,
                    }
                )
    if org.kind == Organization.Kind.AUTHORITY or org.kind == Organization.Kind.ASSESSOR:
        issuers = (
            [org.pk]
            if org.kind == Organization.Kind.AUTHORITY
            else authority_ancestor_ids(org.competent_authority_id)[:1]
        )
        for d in Deadline.objects.filter(
            notice__issuer_id__in=issuers, notice__status=Notice.Status.PUBLISHED
        ).select_related("notice", "authority"):
            rows.append(
                {
                    "label": deadline_label(d),
                    "notice": d.notice,
                    "due_at": d.due_at,
                    "extension": None,
                    "own": False,
                }
            )
    rows.sort(key=lambda r: r["due_at"])
    return rows


def forwarding_authorities(user, notice: Notice) -> QuerySet[Organization]:
    """Authorities in whose name the user may forward this notice: reporting to its issuer, not yet forwarded."""
    if notice.status != Notice.Status.PUBLISHED:
        return Organization.objects.none()
    return (
        issuing_authorities(user)
        .filter(parent_id=notice.issuer_id, is_active=True)
        .exclude(pk__in=Notice.objects.filter(forwards=notice).values("issuer_id"))
        .order_by("name")
    )


def receiving_authorities(notice: Notice) -> QuerySet[Organization]:
    """The authorities that report to the notice's issuer: they get quotas and submit to it."""
    return Organization.objects.filter(
        kind=Organization.Kind.AUTHORITY, parent_id=notice.issuer_id, is_active=True
    ).order_by("name", "id")


def deadline_authorities(notice: Notice) -> list[Organization]:
    """Authorities a deadline of this notice may be narrowed to: the issuer's jurisdiction, nearest level first."""
    from organizations.selectors import LEVEL_RANK

    subtree = authority_subtree_ids([notice.issuer_id])
    return sorted(
        Organization.objects.filter(pk__in=subtree, is_active=True),
        key=lambda o: (-LEVEL_RANK.get(o.level, 0), o.name, o.pk),
    )


def extension_candidates(notice: Notice) -> dict[str, list[Organization]]:
    """Who may be granted an extension on this notice's deadlines: the authorities reporting to the issuer
    (authority stage) and the applicants within its jurisdiction (applicant stage)."""
    subtree = authority_subtree_ids([notice.issuer_id])
    applicants = Organization.objects.filter(
        kind__in=[Organization.Kind.ENTERPRISE, Organization.Kind.PARK],
        competent_authority_id__in=subtree,
        is_active=True,
    ).order_by("name", "id")
    return {
        Deadline.Stage.AUTHORITY: list(receiving_authorities(notice)),
        Deadline.Stage.APPLICANT: list(applicants),
    }
