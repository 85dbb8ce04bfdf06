"""Reads about the green manufacturing lists: who sees which entry, filters, the history of one entry."""

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from organizations.models import Membership, Organization, Region
from organizations.selectors import authority_subtree_ids, memberships_of

from .models import Listing, ListingImport, ListingRename

RELATED = ("organization__region__parent__parent", "authority", "removal_authority", "notice", "import_batch")
PUBLIC_RELATED = ("organization__region__parent__parent", "authority", "notice")


def listings_public() -> QuerySet[Listing]:
    """The lists in effect, as anyone may read them (removed units are not shown)."""
    return Listing.objects.filter(status=Listing.Status.ACTIVE).select_related(*PUBLIC_RELATED)


def jurisdiction_q(authorities) -> Q:
    """The entries under the given authorities: units attached to their subtrees (the competent authority chain the
    review chain follows), entries decided in their subtrees, and units with no competent authority yet (created by
    an import) whose region lies in theirs."""
    authorities = list(authorities)
    subtree = authority_subtree_ids(a.pk for a in authorities)
    condition = Q(organization__competent_authority_id__in=subtree) | Q(authority_id__in=subtree)
    prefixes = {a.region.prefix for a in authorities if a.level != Organization.Level.MINISTRY}
    for prefix in sorted(prefixes):
        condition |= Q(organization__competent_authority__isnull=True, organization__region__code__startswith=prefix)
    return condition


def listings_visible_to(user) -> QuerySet[Listing]:
    """The one visibility rule for list entries, used by pages, exports and the API.

    The ministry and superusers see all; an authority its jurisdiction (see jurisdiction_q); an enterprise or park
    its own entries; assessors, departments and anyone else nothing."""
    base = Listing.objects.select_related(*RELATED)
    if not user.is_authenticated or not user.is_active:
        return base.none()
    if user.is_superuser:
        return base
    memberships = memberships_of(user)
    authorities = [m.organization for m in memberships if m.organization.kind == Organization.Kind.AUTHORITY]
    if any(a.level == Organization.Level.MINISTRY for a in authorities):
        return base
    condition = Q(pk__in=[])
    own_units = [m.organization_id for m in memberships if m.organization.is_applicant]
    if own_units:
        condition |= Q(organization_id__in=own_units)
    if authorities:
        condition |= jurisdiction_q(authorities)
    return base.filter(condition)


def listing_for(user, pk) -> Listing:
    """One visible entry or Http404, with its renames."""
    qs = listings_visible_to(user).prefetch_related(
        Prefetch("renames", queryset=ListingRename.objects.select_related("recorded_by", "report"))
    )
    return get_object_or_404(qs, pk=pk)


def listing_in_jurisdiction(listing: Listing, authority: Organization) -> bool:
    if authority.level == Organization.Level.MINISTRY:
        return True
    return Listing.objects.filter(jurisdiction_q([authority]), pk=listing.pk).exists()


def deciding_authorities(user) -> list[Organization]:
    """The authorities the user acts for as approver or admin (those may rename entries and import lists)."""
    return [
        m.organization
        for m in memberships_of(user)
        if m.organization.kind == Organization.Kind.AUTHORITY
        and m.role in (Membership.Role.APPROVER, Membership.Role.ADMIN)
    ]


# Filters shared by the public page, the authority pages, the export and the API.

FILTER_KEYS = ("level", "category", "year", "province", "city", "status", "q", "source")


def listings_filter(qs: QuerySet[Listing], params) -> QuerySet[Listing]:
    """Apply the list filters from a mapping of strings (GET parameters); unknown or bad values are ignored."""
    level = (params.get("level") or "").strip()
    if level in Listing.Level.values:
        qs = qs.filter(level=level)
    category = (params.get("category") or "").strip()
    if category in dict(Listing._meta.get_field("category").choices):
        qs = qs.filter(category=category)
    year = (params.get("year") or "").strip()
    if year.isdigit():
        qs = qs.filter(year=int(year))
    status = (params.get("status") or "").strip()
    if status in Listing.Status.values:
        qs = qs.filter(status=status)
    source = (params.get("source") or "").strip()
    if source in Listing.Source.values:
        qs = qs.filter(source=source)
    # Region: a city code narrows more than its province; either is a GB/T 2260 prefix of the unit's region.
    for key, length in (("city", 4), ("province", 2)):
        code = (params.get(key) or "").strip()
        if code.isdigit() and len(code) == 6:
            qs = qs.filter(organization__region__code__startswith=code[:length])
            break
    q = (params.get("q") or "").strip()
    if q:
        qs = qs.filter(
            Q(name__icontains=q)
            | Q(current_name__icontains=q)
            | Q(credit_code__iexact=q.upper())
            | Q(organization__name__icontains=q)
        )
    return qs


def list_years(qs: QuerySet[Listing]) -> list[int]:
    return sorted(set(qs.order_by().values_list("year", flat=True).distinct()), reverse=True)


def provinces_of(qs: QuerySet[Listing]) -> list[Region]:
    """The provinces the entries lie in, for the filter (two queries, whatever the number of entries)."""
    prefixes = {code[:2] for code in qs.order_by().values_list("organization__region_id", flat=True).distinct()}
    return list(Region.objects.filter(level=Region.Level.PROVINCE, code__in=[f"{p}0000" for p in prefixes]))


def cities_of(qs: QuerySet[Listing], province_code: str) -> list[Region]:
    if not (province_code.isdigit() and len(province_code) == 6):
        return []
    codes = (
        qs.filter(organization__region__code__startswith=province_code[:2])
        .order_by()
        .values_list("organization__region_id", flat=True)
        .distinct()
    )
    prefixes = {code[:4] for code in codes}
    return list(Region.objects.filter(level=Region.Level.CITY, code__in=[f"{p}00" for p in prefixes]))


def imports_visible_to(user) -> QuerySet[ListingImport]:
    """Import batches: the importing authority's (and, for a higher authority, its subtree's); the ministry all."""
    base = ListingImport.objects.select_related("authority", "imported_by")
    if not user.is_authenticated or not user.is_active:
        return base.none()
    if user.is_superuser:
        return base
    authorities = [m.organization for m in memberships_of(user) if m.organization.kind == Organization.Kind.AUTHORITY]
    if any(a.level == Organization.Level.MINISTRY for a in authorities):
        return base
    if not authorities:
        return base.none()
    return base.filter(authority_id__in=authority_subtree_ids(a.pk for a in authorities))


def import_for(user, pk) -> ListingImport:
    return get_object_or_404(imports_visible_to(user), pk=pk)


def region_names(listing: Listing) -> list[str]:
    """Province, city, county names of the unit's region (from the select_related chain, no queries)."""
    names, region = [], listing.organization.region
    for _ in range(3):
        if region is None:
            break
        names.append(region.name)
        region = region.parent if region.parent_id else None
    return list(reversed(names))


def category_counts(qs: QuerySet[Listing]) -> list[tuple[str, int]]:
    """(category label, count) of the filtered entries, in the categories' order (one query)."""
    from django.db.models import Count

    counts = dict(qs.order_by().values_list("category").annotate(n=Count("id")))
    return [(label, counts[code]) for code, label in Listing._meta.get_field("category").choices if counts.get(code)]
