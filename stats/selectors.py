"""Statistics: counts of applications per notice family and level, each assessor's pass rate, trends over years.

Reads only. Every figure is aggregated in the database (values() / annotate() / aggregate()); the authority tree
is read once per request and walked in Python, so a table costs one query however many rows it has.

Who sees what: an authority its jurisdiction (the applicants attached to the authorities of its subtree), the
ministry and superusers everything, an assessor (API only) its own pass-rate row; everyone else gets a 404.
Counted are applications that were submitted at least once (submitted_at set): drafts stay with the applicant.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import ExtractYear
from django.http import Http404
from django.shortcuts import get_object_or_404

from applications.models import Application, Engagement, State
from listings.models import Listing
from listings.selectors import jurisdiction_q
from notices.models import Category, Notice
from notices.selectors import notice_family_ids, notices_visible_to
from organizations.models import Organization
from organizations.selectors import memberships_of
from reviews.models import Referral

LEVELS = ("county", "city", "province", "ministry")
LEVEL_LABELS = dict(Organization.Level.choices)
RECOMMEND = Referral.Decision.RECOMMEND

# The outcome of an application at one authority: the decision of its latest referral there ("" while that
# authority still holds it), or none when it never reached that authority.
OUTCOMES = {
    "recommend": "推荐",
    "return": "退回修改",
    "not_recommend": "不予推荐",
    "pending": "待审核",
    "withdrawn": "申报单位撤回",
    "return_lower": "退回下级主管部门",
    "not_reached": "尚未报送至本级",
}


# ------------------------------------------------------------------------------------------ the authority tree


@dataclass
class AuthorityTree:
    """Every authority with its parent, name, level and region name, read in one query."""

    info: dict[int, dict]
    children: dict[int | None, list[int]]

    def subtree(self, roots) -> set[int]:
        seen, stack = set(), list(roots)
        while stack:
            pk = stack.pop()
            if pk in seen or pk not in self.info:
                continue
            seen.add(pk)
            stack.extend(self.children.get(pk, ()))
        return seen

    def ancestors(self, pk) -> list[int]:
        """The authority and those it reports to, nearest first."""
        chain = []
        while pk is not None and pk in self.info and pk not in chain:
            chain.append(pk)
            pk = self.info[pk]["parent_id"]
        return chain

    def child_towards(self, top: int, pk: int | None) -> int | None:
        """The child of `top` on the way up from `pk`; `top` itself for pk == top; None when pk is not under top."""
        chain = self.ancestors(pk)
        if top not in chain:
            return None
        index = chain.index(top)
        return chain[index - 1] if index else top

    def top(self) -> int | None:
        """Where a superuser starts: the ministry (the first root of the tree)."""
        roots = self.children.get(None, [])
        ministries = [pk for pk in roots if self.info[pk]["level"] == Organization.Level.MINISTRY]
        return (ministries or roots or [None])[0]

    def name(self, pk) -> str:
        return self.info[pk]["name"]

    def level(self, pk) -> str:
        return self.info[pk]["level"]


def authority_tree() -> AuthorityTree:
    info, children = {}, {}
    rows = (
        Organization.objects.filter(kind=Organization.Kind.AUTHORITY)
        .order_by("region_id", "name", "id")
        .values("id", "parent_id", "name", "level", "region__name")
    )
    for row in rows:
        info[row["id"]] = {
            "parent_id": row["parent_id"],
            "name": row["name"],
            "level": row["level"],
            "region": row["region__name"],
        }
    for pk, row in info.items():
        parent = row["parent_id"] if row["parent_id"] in info else None
        children.setdefault(parent, []).append(pk)
    return AuthorityTree(info, children)


# ------------------------------------------------------------------------------------------------ the viewer


@dataclass
class Viewer:
    """Whose statistics these are. roots: the authorities whose subtrees it sees (None: everything, for the
    ministry and superusers); assessors: when set, only these assessors' pass-rate rows (an assessor's own)."""

    user: object
    tree: AuthorityTree
    roots: list[int] | None = None
    assessors: list[int] = field(default_factory=list)
    home: int | None = None  # the authority the pages start at

    @property
    def assessor_only(self) -> bool:
        return bool(self.assessors)

    def jurisdiction(self) -> set[int] | None:
        return None if self.roots is None else self.tree.subtree(self.roots)

    def may_see(self, authority_id: int) -> bool:
        if authority_id not in self.tree.info:
            return False
        return self.roots is None or authority_id in self.tree.subtree(self.roots)


def page_viewer(request) -> Viewer:
    """The pages are for authorities (the one the user acts for) and superusers; anyone else gets a 404."""
    user = request.user
    org = request.acting.organization
    acting_authority = org is not None and org.kind == Organization.Kind.AUTHORITY
    if not (user.is_superuser or acting_authority):
        raise Http404
    tree = authority_tree()
    if user.is_superuser or org.level == Organization.Level.MINISTRY:
        return Viewer(user, tree, None, home=org.pk if acting_authority else tree.top())
    return Viewer(user, tree, [org.pk], home=org.pk)


def api_viewer(user) -> Viewer:
    """The API answers for all the user's authorities at once; a user of an assessor (and of no authority) sees
    its own rows only; anyone else gets a 404."""
    if not user.is_authenticated or not user.is_active:
        raise Http404
    memberships = memberships_of(user)
    authorities = [m.organization for m in memberships if m.organization.kind == Organization.Kind.AUTHORITY]
    assessors = [m.organization_id for m in memberships if m.organization.kind == Organization.Kind.ASSESSOR]
    if not (user.is_superuser or authorities or assessors):
        raise Http404
    tree = authority_tree()
    if user.is_superuser or any(a.level == Organization.Level.MINISTRY for a in authorities):
        return Viewer(user, tree, None, home=tree.top())
    if authorities:
        return Viewer(user, tree, [a.pk for a in authorities], home=authorities[0].pk)
    return Viewer(user, tree, None, assessors=assessors)


# ----------------------------------------------------------------------------------------------- the filters


@dataclass
class Filters:
    notice: Notice | None = None
    family_ids: list[int] | None = None
    year: int | None = None
    level: int | None = None  # the authority whose outcomes are counted (and whose subtree is the scope)
    province: int | None = None

    def describe(self, tree: AuthorityTree) -> str:
        """The filters in one Chinese line, for the title row of an export."""
        parts = []
        if self.notice is not None:
            parts.append(f"通知：{self.notice.title}（{self.notice.year}年，含各级转发）")
        elif self.year:
            parts.append(f"年度：{self.year}年")
        else:
            parts.append("年度：全部")
        if self.level is not None:
            parts.append(f"统计层级：{tree.name(self.level)}")
        if self.province is not None:
            parts.append(f"省份：{tree.name(self.province)}")
        return "；".join(parts)


def notices_for_picker(user) -> list[Notice]:
    """One notice per forwarding family the user can see: the topmost of it the user sees."""
    # What the picker shows alone: the ministry sees every notice of every year, and each came with its body, its
    # issuer's region and the notice it forwards.
    visible = list(
        notices_visible_to(user)
        .exclude(status=Notice.Status.DRAFT)
        .select_related(None)
        .select_related("issuer")
        .only("id", "year", "title", "forwards_id", "issuer__name")
        .order_by("-year", "id")
    )
    ids = {n.pk for n in visible}
    return [n for n in visible if not n.forwards_id or n.forwards_id not in ids]


def notice_filter(user, pk: int) -> tuple[Notice, list[int]]:
    """A notice the user can see, with its whole family (the notices it forwards and those forwarding it)."""
    notice = get_object_or_404(notices_visible_to(user).exclude(status=Notice.Status.DRAFT), pk=pk)
    return notice, notice_family_ids(notice)


def province_choices(viewer: Viewer) -> list[int]:
    """The provinces worth offering as a filter: those in the viewer's jurisdiction."""
    jurisdiction = viewer.jurisdiction()
    return [
        pk
        for pk, row in viewer.tree.info.items()
        if row["level"] == Organization.Level.PROVINCE and (jurisdiction is None or pk in jurisdiction)
    ]


def province_or_404(viewer: Viewer, pk: int) -> int:
    """A province-level authority; the scope becomes the viewer's jurisdiction within it (never wider)."""
    if viewer.tree.info.get(pk, {}).get("level") != Organization.Level.PROVINCE:
        raise Http404
    return pk


# ------------------------------------------------------------------------------------------- the application set


def _narrow(allowed: set[int] | None, subtree: set[int]) -> set[int]:
    return subtree if allowed is None else allowed & subtree


def applications_in_scope(viewer: Viewer, filters: Filters) -> QuerySet[Application]:
    """The submitted applications the viewer may count, narrowed by level, province, notice family or year."""
    tree = viewer.tree
    qs = Application.objects.filter(submitted_at__isnull=False)
    allowed = viewer.jurisdiction()
    for narrow_to in (filters.level, filters.province):
        if narrow_to is not None and not (allowed is None and tree.level(narrow_to) == Organization.Level.MINISTRY):
            allowed = _narrow(allowed, tree.subtree([narrow_to]))
    if allowed is not None:
        qs = qs.filter(applicant__competent_authority_id__in=sorted(allowed))
    if filters.family_ids is not None:
        qs = qs.filter(notice_id__in=filters.family_ids)
    elif filters.year:
        qs = qs.filter(notice__year=filters.year)
    return qs.order_by()


def _latest_decision(application_ref, **where) -> Subquery:
    """The decision of the application's latest referral matching `where` ("" while open, NULL if none)."""
    return Subquery(
        Referral.objects.filter(application=application_ref, **where).order_by("-id").values("decision")[:1]
    )


def _latest_referral_ids(authority_id: int, apps: QuerySet[Application] | None = None) -> QuerySet:
    """The id of each application's latest referral at the authority (grouped once, MAX(id)): joined set-wise
    instead of a correlated subquery per application."""
    referrals = Referral.objects.filter(authority_id=authority_id)
    if apps is not None:
        referrals = referrals.filter(application__in=apps)
    return referrals.values("application_id").annotate(last=Max("id")).values("last")


def _recommended_at(apps: QuerySet[Application], authority_id: int) -> QuerySet[Application]:
    """The applications whose latest referral at the authority recommended them (at most one row each)."""
    return apps.filter(referrals__id__in=_latest_referral_ids(authority_id), referrals__decision=RECOMMEND)


def _grouped_counts(apps: QuerySet[Application], authority_id: int, fields: dict) -> list[dict]:
    """n, recommended (at the authority) and listed per group, in two set-wise queries; `fields` names each group
    column after the expression it reads."""
    rows = list(
        apps.values(**fields).annotate(n=Count("id"), listed=Count("id", filter=Q(state=State.LISTED))).order_by()
    )
    names = list(fields)
    recommended = {
        tuple(r[name] for name in names): r["recommended"]
        for r in _recommended_at(apps, authority_id).values(**fields).annotate(recommended=Count("id")).order_by()
    }
    for row in rows:
        row["recommended"] = recommended.get(tuple(row[name] for name in names), 0)
    return rows


# ---------------------------------------------------------------------------------------------- by one thing


def counts_by_outcome(apps: QuerySet[Application], authority_id: int, total: int | None = None) -> list[dict]:
    """Two set-wise queries, not a correlated subquery per application: the latest referral of each application at
    the authority (grouped, MAX(id)) counted by decision, and the applications in scope (the rest: not reached;
    `total`, when the caller has counted them already)."""
    latest = _latest_referral_ids(authority_id, apps)
    decided = dict(Referral.objects.filter(pk__in=latest).values_list("decision").annotate(n=Count("id")).order_by())
    counts = {code: decided.get(code, 0) for code in OUTCOMES}
    counts["pending"] = decided.get("", 0)
    counts["not_reached"] = (apps.count() if total is None else total) - sum(decided.values())
    return [{"code": code, "label": label, "n": counts[code]} for code, label in OUTCOMES.items()]


def counts_by_state(apps: QuerySet[Application]) -> list[dict]:
    counts = dict(apps.values_list("state").annotate(n=Count("id")).order_by())
    return [{"code": code, "label": label, "n": counts.get(code, 0)} for code, label in State.choices]


def counts_by_category(apps: QuerySet[Application], authority_id: int) -> list[dict]:
    found = {row["group"]: row for row in _grouped_counts(apps, authority_id, {"group": F("category")})}
    return [{"code": code, "label": label, **found[code]} for code, label in Category.choices if code in found]


def counts_by_region(apps: QuerySet[Application], tree: AuthorityTree, authority_id: int) -> list[dict]:
    """Per authority directly under the level (its cities, or its counties), each with its whole subtree; the
    applicants attached to the level itself in a row of their own."""
    qs = _grouped_counts(apps, authority_id, {"authority_id": F("applicant__competent_authority_id")})
    rows = {
        pk: {"authority_id": pk, "region": tree.info[pk]["region"], "authority": tree.name(pk)}
        for pk in tree.children.get(authority_id, [])
    }
    own = {"authority_id": None, "region": "本级直属", "authority": tree.name(authority_id)}
    other = {"authority_id": None, "region": "其他", "authority": "不在本级辖区的主管部门"}
    for row in [*rows.values(), own, other]:
        row.update(n=0, recommended=0, listed=0)
    for found in qs:
        child = tree.child_towards(authority_id, found["authority_id"])
        target = own if child == authority_id else rows.get(child, other)
        for key in ("n", "recommended", "listed"):
            target[key] += found[key]
    return [*rows.values(), *(row for row in (own, other) if row["n"])]


def counts_by_assessor(apps: QuerySet[Application], authority_id: int) -> QuerySet:
    """Per third-party assessor (the application's accepted engagement): n and listed, ordered, ready to paginate;
    recommended_by_assessor() adds the recommended count for the rows of a page."""
    return (
        Engagement.objects.filter(status=Engagement.Status.ACCEPTED, application__in=apps)
        .values("assessor_id", "assessor__name")
        .annotate(n=Count("id"), listed=Count("id", filter=Q(application__state=State.LISTED)))
        .order_by("-n", "assessor__name", "assessor_id")
    )


def recommended_by_assessor(apps: QuerySet[Application], authority_id: int, rows: list[dict]) -> list[dict]:
    """The rows of counts_by_assessor with `recommended` added (one query for the page)."""
    ids = [r["assessor_id"] for r in rows]
    found = dict(
        _recommended_at(apps, authority_id)
        .filter(engagements__status=Engagement.Status.ACCEPTED, engagements__assessor_id__in=ids)
        .values_list("engagements__assessor_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [{**r, "recommended": found.get(r["assessor_id"], 0)} for r in rows]


def counts_without_assessor(apps: QuerySet[Application], authority_id: int) -> dict:
    """The applications with no accepted third-party engagement (self-evaluated, or the assessor withdrew)."""
    accepted = Engagement.objects.filter(application=OuterRef("pk"), status=Engagement.Status.ACCEPTED)
    unassessed = apps.filter(~Exists(accepted))
    counts = unassessed.aggregate(n=Count("id"), listed=Count("id", filter=Q(state=State.LISTED)))
    return {**counts, "recommended": _recommended_at(unassessed, authority_id).count()}


# ------------------------------------------------------------------------------------------------ pass rates


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def pass_rates(viewer: Viewer, filters: Filters) -> QuerySet:
    """Each assessor's pass rate, as the ministry publishes it (002 §三: 我部将公开第三方评价机构开展评价工作的
    通过率 — # 002_3e46b5da0b2a2c6e.txt).

    evaluated: submitted applications of the round whose accepted engagement is the assessor's; recommended at a
    level: those whose latest referral at an authority of that level was decided "recommend"; listed: those listed.
    Rows are dicts, ordered by evaluated (most first); with_rates() adds the rates.
    """
    qs = Engagement.objects.filter(
        status=Engagement.Status.ACCEPTED, application__in=applications_in_scope(viewer, filters)
    )
    if viewer.assessor_only:
        qs = qs.filter(assessor_id__in=viewer.assessors)
    decisions = {
        f"at_{level}": _latest_decision(OuterRef("application_id"), authority__level=level) for level in LEVELS
    }
    recommended = {f"recommended_{level}": Count("id", filter=Q(**{f"at_{level}": RECOMMEND})) for level in LEVELS}
    return (
        qs.alias(**decisions)
        .values("assessor_id", "assessor__name", "assessor__credit_code")
        .annotate(evaluated=Count("id"), **recommended, listed=Count("id", filter=Q(application__state=State.LISTED)))
        .order_by("-evaluated", "assessor__name", "assessor_id")
    )


def with_rates(row: dict) -> dict:
    rates = {f"rate_{level}": percent(row[f"recommended_{level}"], row["evaluated"]) for level in LEVELS}
    return {**row, **rates, "rate_listed": percent(row["listed"], row["evaluated"])}


# ---------------------------------------------------------------------------------------------------- trends


def application_trends(viewer: Viewer, level: int | None) -> list[dict]:
    """Per year (of the notice) and category: applications, those that reached the ministry, those listed."""
    apps = applications_in_scope(viewer, Filters(level=level))
    at_ministry = Referral.objects.filter(application=OuterRef("pk"), authority__level=Organization.Level.MINISTRY)
    return list(
        apps.alias(to_ministry=Exists(at_ministry))
        .values("notice__year", "category")
        .annotate(
            n=Count("id"),
            to_ministry=Count("id", filter=Q(to_ministry=True)),
            listed=Count("id", filter=Q(state=State.LISTED)),
        )
        .order_by("notice__year", "category")
    )


def listing_trends(viewer: Viewer, level: int | None) -> list[dict]:
    """Per year of the list: entries still active and removed, and how many were removed in that year."""
    qs = Listing.objects.all()
    if level is not None and not (viewer.roots is None and viewer.tree.level(level) == Organization.Level.MINISTRY):
        authority = Organization.objects.select_related("region").get(pk=level)
        qs = qs.filter(jurisdiction_q([authority]))
    elif level is None and viewer.roots is not None:
        return []
    years: dict[int, dict] = {}
    for row in (
        qs.values("year")
        .order_by()
        .annotate(
            active=Count("id", filter=Q(status=Listing.Status.ACTIVE)),
            removed=Count("id", filter=Q(status=Listing.Status.REMOVED)),
        )
    ):
        years[row["year"]] = {"year": row["year"], "active": row["active"], "removed": row["removed"], "removed_in": 0}
    removed_in = (
        qs.filter(status=Listing.Status.REMOVED, removed_on__isnull=False)
        .annotate(removed_year=ExtractYear("removed_on"))
        .values("removed_year")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in removed_in:
        year = years.setdefault(
            row["removed_year"], {"year": row["removed_year"], "active": 0, "removed": 0, "removed_in": 0}
        )
        year["removed_in"] = row["n"]
    if not years:
        return []
    # Every year between the first and the last, so the line's spacing is true to time.
    return [
        years.get(y, {"year": y, "active": 0, "removed": 0, "removed_in": 0}) for y in range(min(years), max(years) + 1)
    ]
