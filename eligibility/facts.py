"""Facts for the rules, gathered for many applications at once in a fixed number of queries.

Facts come from the application and its applicant, the declarations, imported credit records (including the
green lists and assessor records), the assessor's project counts, quotas, and whatever higher apps register
(departments' objections, the portal's own lists) through `register`.
"""

from collections import defaultdict
from collections.abc import Callable

from django.db.models import Count, Q
from django.utils import timezone

from applications.models import Application, Declaration, Engagement, State
from notices.models import Quota
from organizations.models import Organization

from .models import CreditRecord

IN_FLOW = (State.UNDER_REVIEW, State.RECOMMENDED, State.LISTED)
FactSource = Callable[[list[Application], dict[int, dict]], None]
SOURCES: list[FactSource] = []


def register(source: FactSource) -> FactSource:
    """A higher app adds facts: source(applications, facts_by_id) mutates facts in place."""
    if source not in SOURCES:
        SOURCES.append(source)
    return source


def _record(r: CreditRecord) -> dict:
    return {
        "kind": r.kind,
        "credit_code": r.credit_code,
        "occurred_on": r.occurred_on.isoformat(),
        "ended_on": r.ended_on.isoformat() if r.ended_on else None,
        "rectified": r.rectified,
        "category": r.category,
        "level": r.level,
        "source": r.source,
    }


def gather(applications: list[Application]) -> dict[int, dict]:
    apps = list(applications)
    if not apps:
        return {}
    ids = [a.pk for a in apps]
    today = timezone.localdate()

    # Declarations (1 query).
    declarations: dict[int, dict] = defaultdict(dict)
    for app_id, item, occurred in Declaration.objects.filter(application_id__in=ids).values_list(
        "application_id", "item", "occurred"
    ):
        declarations[app_id][item] = occurred

    # Active engagements with their assessors (1 query).
    engagements = {
        e.application_id: e
        for e in Engagement.objects.filter(
            application_id__in=ids, status__in=[Engagement.Status.PENDING, Engagement.Status.ACCEPTED]
        ).select_related("assessor", "assessor__competent_authority")
    }

    # Credit records for applicants, park members and assessors (1 query).
    member_codes = {
        a.pk: [c for c in ((a.data or {}).get("member_credit_codes") or "").splitlines() if c]
        for a in apps
        if a.category == "park"
    }
    codes = {a.applicant.credit_code for a in apps} | {c for cs in member_codes.values() for c in cs}
    codes |= {e.assessor.credit_code for e in engagements.values()}
    records: dict[str, list[dict]] = defaultdict(list)
    for r in CreditRecord.objects.filter(credit_code__in=codes - {""}):
        records[r.credit_code].append(_record(r))

    # Assessor project counts, per legal entity and per legal representative, per notice family and per year.
    projects = _assessor_projects(apps, engagements)

    # Quotas for the receiving authority of each applicant's city (2 queries).
    quotas = _quotas(apps)

    facts = {}
    for a in apps:
        applicant = a.applicant
        ref = timezone.localtime(a.submitted_at).date() if a.submitted_at else today
        own = list(records.get(applicant.credit_code, []))
        for code in member_codes.get(a.pk, []):
            own.extend(records.get(code, []))
        item = {
            "application": {
                "id": a.pk,
                "category": a.category,
                "evaluation_mode": a.evaluation_mode,
                "state": a.state,
                "data": a.data or {},
            },
            "applicant": {
                "id": applicant.pk,
                "kind": applicant.kind,
                "name": applicant.name,
                "credit_code": applicant.credit_code,
                "region": applicant.region_id,
            },
            "notice": {"id": a.notice_id, "year": a.notice.year, "list_level": _list_level(a.notice.list_level)},
            "reference_date": ref.isoformat(),
            "declarations": dict(declarations.get(a.pk, {})),
            "records": own,
            "self_evaluation": {"org_id": a.self_evaluation_org_id, "person": a.self_evaluation_person},
            "assessor": None,
            "quota": quotas.get(a.pk),
        }
        e = engagements.get(a.pk)
        if e is not None:
            filed_with = e.assessor.competent_authority
            item["assessor"] = {
                "id": e.assessor_id,
                "name": e.assessor.name,
                "credit_code": e.assessor.credit_code,
                "legal_representative": e.assessor.legal_representative,
                "lead": e.lead_assessor,
                "status": e.status,
                "filed_with": filed_with.name if filed_with else None,
                "filed_in_applicant_province": bool(
                    filed_with
                    and filed_with.level == "province"
                    and filed_with.region_id[:2] == applicant.region_id[:2]
                ),
                "records": records.get(e.assessor.credit_code, []),
                "projects": projects.get(a.pk, {}),
            }
        facts[a.pk] = item
    for source in SOURCES:
        source(apps, facts)
    return facts


def _list_level(notice_level: str) -> str:
    return {"national": "national", "province": "province", "city": "city"}.get(notice_level, notice_level)


def _assessor_projects(apps, engagements) -> dict[int, dict]:
    """How many live projects each application's assessor carries (2 queries)."""
    if not engagements:
        return {}
    live = Engagement.objects.filter(status__in=[Engagement.Status.PENDING, Engagement.Status.ACCEPTED]).exclude(
        application__state=State.WITHDRAWN
    )
    reps = {e.assessor.legal_representative for e in engagements.values() if e.assessor.legal_representative}
    assessor_ids = {e.assessor_id for e in engagements.values()}
    rows = (
        live.filter(Q(assessor_id__in=assessor_ids) | Q(assessor__legal_representative__in=reps))
        .values("assessor_id", "assessor__legal_representative", "application__notice__year", "application__notice_id")
        .annotate(n=Count("id"))
    )
    rows = list(rows)
    family = _families({r["application__notice_id"] for r in rows} | {a.notice_id for a in apps})
    counts: dict[str, int] = defaultdict(int)
    for r in rows:
        fam = family[r["application__notice_id"]]
        year = r["application__notice__year"]
        counts[f"entity:{r['assessor_id']}:batch:{fam}"] += r["n"]
        counts[f"entity:{r['assessor_id']}:year:{year}"] += r["n"]
        if r["assessor__legal_representative"]:
            rep = r["assessor__legal_representative"]
            counts[f"rep:{rep}:batch:{fam}"] += r["n"]
            counts[f"rep:{rep}:year:{year}"] += r["n"]
    result = {}
    for a in apps:
        e = engagements.get(a.pk)
        if e is None:
            continue
        fam, year, rep = family[a.notice_id], a.notice.year, e.assessor.legal_representative
        result[a.pk] = {
            "legal_entity_batch": counts[f"entity:{e.assessor_id}:batch:{fam}"],
            "legal_entity_year": counts[f"entity:{e.assessor_id}:year:{year}"],
            "legal_representative_batch": counts[f"rep:{rep}:batch:{fam}"] if rep else None,
            "legal_representative_year": counts[f"rep:{rep}:year:{year}"] if rep else None,
        }
    return result


def _families(notice_ids) -> dict[int, int]:
    """Notice id → root of its forwarding chain (1 query over the years involved)."""
    from notices.models import Notice
    from notices.selectors import _families as roots

    pool = {n.pk: n for n in Notice.objects.filter(year__in=Notice.objects.filter(pk__in=notice_ids).values("year"))}
    return roots(pool)


def _quotas(apps) -> dict[int, dict]:
    """The quota of the applicant's receiving authority for the category, and how many are in the flow."""
    authority_ids = {a.applicant.competent_authority_id for a in apps if a.applicant.competent_authority_id}
    if not authority_ids:
        return {}
    quota_rows = list(
        Quota.objects.filter(
            notice_category__notice_id__in={a.notice_id for a in apps} | _ancestors(apps)
        ).select_related("authority", "notice_category")
    )
    if not quota_rows:
        return {}
    by_key = {(q.notice_category.category, q.authority_id): q for q in quota_rows}
    parents = dict(Organization.objects.filter(kind=Organization.Kind.AUTHORITY).values_list("id", "parent_id"))

    def chain(authority_id):
        out = []
        while authority_id is not None and authority_id not in out:
            out.append(authority_id)
            authority_id = parents.get(authority_id)
        return out

    used_rows = (
        Application.objects.filter(state__in=IN_FLOW, category__in={q.notice_category.category for q in quota_rows})
        .values("category", "applicant__competent_authority_id")
        .annotate(n=Count("id"))
    )
    used_by_authority = defaultdict(int)
    for r in used_rows:
        for anc in chain(r["applicant__competent_authority_id"]):
            used_by_authority[(r["category"], anc)] += r["n"]
    result = {}
    for a in apps:
        for anc in chain(a.applicant.competent_authority_id):
            q = by_key.get((a.category, anc))
            if q is not None:
                result[a.pk] = {
                    "authority": q.authority.name,
                    "limit": q.limit,
                    "used": used_by_authority[(a.category, anc)],
                }
                break
    return result


def _ancestors(apps) -> set[int]:
    from notices.models import Notice

    ids = {a.notice.forwards_id for a in apps if a.notice.forwards_id}
    seen = set(ids)
    while ids:
        ids = set(Notice.objects.filter(pk__in=ids, forwards__isnull=False).values_list("forwards_id", flat=True))
        ids -= seen
        seen |= ids
    return seen
