"""Who may see which 公示 and objection; the rows public pages and the API show."""

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from organizations.selectors import acting_org_ids

from ..models import Objection, Publicity, PublicityEntry

PUBLIC_STATES = (Publicity.State.PUBLISHED, Publicity.State.FINALIZED)
ENTRY_RELATED = (
    "application__applicant__region__parent__parent",
    "application__notice",
)


def _base() -> QuerySet[Publicity]:
    return Publicity.objects.select_related("authority", "notice")


def publicities_public() -> QuerySet[Publicity]:
    """Published and finalized 公示: what anyone, logged in or not, may read."""
    return _base().filter(state__in=PUBLIC_STATES)


def publicities_visible_to(user) -> QuerySet[Publicity]:
    """The authority's members see its own 公示, drafts included; everyone else the public ones."""
    if user.is_authenticated and user.is_active and user.is_superuser:
        return _base()
    if not user.is_authenticated or not user.is_active:
        return publicities_public()
    return _base().filter(Q(state__in=PUBLIC_STATES) | Q(authority_id__in=acting_org_ids(user)))


def publicities_managed_by(user) -> QuerySet[Publicity]:
    """The 公示 the user works on (its organizations' own; superusers all), for the authority pages."""
    visible = publicities_visible_to(user)
    if user.is_superuser:
        return visible
    return visible.filter(authority_id__in=acting_org_ids(user))


def publicity_for(user, pk) -> Publicity:
    return get_object_or_404(publicities_visible_to(user), pk=pk)


def publicity_managed(user, pk) -> Publicity:
    return get_object_or_404(publicities_managed_by(user), pk=pk)


def with_counts(qs: QuerySet[Publicity]) -> QuerySet[Publicity]:
    return qs.annotate(
        entry_count=Count("entries", distinct=True),
        open_objections=Count("objections", filter=Q(objections__status=Objection.Status.OPEN), distinct=True),
    )


def public_entries() -> QuerySet[PublicityEntry]:
    return PublicityEntry.objects.select_related(*ENTRY_RELATED).order_by("position", "id")


def with_public_entries(qs: QuerySet[Publicity]) -> QuerySet[Publicity]:
    return qs.prefetch_related(Prefetch("entries", queryset=public_entries()))


def objections_visible_to(user) -> QuerySet[Objection]:
    """Objections carry the objector's contact details: only the publishing authority's members see them."""
    base = Objection.objects.select_related("entry__application__applicant", "publicity", "handled_by")
    if not user.is_authenticated or not user.is_active:
        return base.none()
    if user.is_superuser:
        return base
    return base.filter(publicity__authority_id__in=acting_org_ids(user))


def region_names(organization) -> list[str]:
    """Province, city, county names of the unit's region (from the select_related chain, no queries)."""
    names, region = [], organization.region
    for _ in range(3):
        if region is None:
            break
        names.append(region.name)
        region = region.parent if region.parent_id else None
    return list(reversed(names))
