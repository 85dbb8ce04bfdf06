"""Facts for the rules, gathered for many applications at once in a fixed number of queries.

Facts come from the application and its applicant, the declarations, imported credit records (including the
green lists and assessor records), the assessor's project counts, quotas, and whatever higher apps register
(departments' objections, the portal's own lists) through `register`.
"""

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable

from django.db.models import Count, Q
from django.utils import timezone

from applications.models import Application, Declaration, Engagement, State
from greenmfg.shared_cache import kept_for_ids
from notices.models import Quota
from organizations.models import AssessorAnnualReport, AssessorBlacklist, AssessorFiling, Organization
from organizations.selectors import authority_parents

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
        ).select_related("assessor")
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

    # The assessor registry: approved filings, work reports and blacklist entries (3 queries).
    registry = _registry(engagements)

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
            province = applicant.region_id[:2]
            filings = registry["filings"].get(e.assessor_id, [])
            home = next((name for name, prefix in filings if prefix == province), None)
            item["assessor"] = {
                "id": e.assessor_id,
                "name": e.assessor.name,
                "credit_code": e.assessor.credit_code,
                "legal_representative": e.assessor.legal_representative,
                "lead": e.lead_assessor,
                "status": e.status,
                # 004 §四: filed (备案) with the applicant's province, an approved filing in the registry.
                "filed_with": home or (filings[0][0] if filings else None),
                "filed_in_applicant_province": home is not None,
                "records": [
                    *records.get(e.assessor.credit_code, []),
                    *registry["reports"].get(e.assessor_id, []),
                    # A province's blacklist holds in its province (003, 004 §四), the ministry's everywhere.
                    *(r for prefix, r in registry["blacklist"].get(e.assessor_id, []) if prefix in (None, province)),
                ],
                "projects": projects.get(a.pk, {}),
            }
        facts[a.pk] = item
    for source in SOURCES:
        source(apps, facts)
    return facts


def _list_level(notice_level: str) -> str:
    return {"national": "national", "province": "province", "city": "city"}.get(notice_level, notice_level)


def live_project_rows(assessor_ids, reps) -> list[tuple]:
    """The live projects (engagements pending or accepted, application not withdrawn) of these assessors and of every
    assessor with one of these legal representatives, in the order they were commissioned (1 query):
    (engagement id, assessor id, legal representative, notice year, notice id)."""
    live = Engagement.objects.filter(status__in=[Engagement.Status.PENDING, Engagement.Status.ACCEPTED]).exclude(
        application__state=State.WITHDRAWN
    )
    return list(
        live.filter(Q(assessor_id__in=set(assessor_ids)) | Q(assessor__legal_representative__in=set(reps)))
        .order_by("id")
        .values_list(
            "id", "assessor_id", "assessor__legal_representative", "application__notice__year", "application__notice_id"
        )
    )


def project_ids(rows, family: dict[int, int]) -> dict[str, list[int]]:
    """Ascending engagement ids per counting key: entity:<assessor id> or rep:<legal representative>, then
    batch:<notice family root> or year:<year>. The ASSESSOR-CAP keys, shared with the assessor's cap use page."""
    ids: dict[str, list[int]] = defaultdict(list)
    for pk, assessor_id, rep, year, notice_id in rows:
        fam = family[notice_id]
        ids[f"entity:{assessor_id}:batch:{fam}"].append(pk)
        ids[f"entity:{assessor_id}:year:{year}"].append(pk)
        if rep:
            ids[f"rep:{rep}:batch:{fam}"].append(pk)
            ids[f"rep:{rep}:year:{year}"].append(pk)
    return ids


def _assessor_projects(apps, engagements) -> dict[int, dict]:
    """Where each application's engagement stands among its assessor's live projects (2 queries).

    Projects are counted in the order they were commissioned, per legal entity and per legal representative, per
    notice family (batch) and per year: the 15th project is within a cap of 15 and the 16th is not, and a 16th
    engagement does not push the first 15 over the cap.
    """
    if not engagements:
        return {}
    reps = {e.assessor.legal_representative for e in engagements.values() if e.assessor.legal_representative}
    rows = live_project_rows({e.assessor_id for e in engagements.values()}, reps)
    family = _families({r[4] for r in rows} | {a.notice_id for a in apps})
    ids = project_ids(rows, family)

    def position(key: str, engagement_id: int) -> int:
        return bisect_left(ids.get(key, []), engagement_id) + 1

    result = {}
    for a in apps:
        e = engagements.get(a.pk)
        if e is None:
            continue
        fam, year, rep = family[a.notice_id], a.notice.year, e.assessor.legal_representative
        result[a.pk] = {
            "legal_entity_batch": position(f"entity:{e.assessor_id}:batch:{fam}", e.pk),
            "legal_entity_year": position(f"entity:{e.assessor_id}:year:{year}", e.pk),
            "legal_representative_batch": position(f"rep:{rep}:batch:{fam}", e.pk) if rep else None,
            "legal_representative_year": position(f"rep:{rep}:year:{year}", e.pk) if rep else None,
        }
    return result


def _registry(engagements) -> dict[str, dict]:
    """What the assessor registry says of the engaged assessors (3 queries, none without engagements):
    `filings`: assessor id → [(authority name, province code prefix)] of its approved filings;
    `reports`: assessor id → work reports (submitted or accepted) as assessor_annual_report records;
    `blacklist`: assessor id → [(province prefix, or None for the ministry), assessor_blacklist record]."""
    out = {"filings": defaultdict(list), "reports": defaultdict(list), "blacklist": defaultdict(list)}
    ids = {e.assessor_id for e in engagements.values()}
    if not ids:
        return out
    for assessor_id, name, region in (
        AssessorFiling.objects.filter(
            assessor_id__in=ids, status=AssessorFiling.Status.APPROVED, authority__level=Organization.Level.PROVINCE
        )
        .order_by("id")
        .values_list("assessor_id", "authority__name", "authority__region_id")
    ):
        out["filings"][assessor_id].append((name, region[:2]))
    reports = (
        AssessorAnnualReport.objects.filter(
            assessor_id__in=ids,
            status__in=[AssessorAnnualReport.Status.SUBMITTED, AssessorAnnualReport.Status.ACCEPTED],
        )
        .order_by("id")
        .values_list("assessor_id", "assessor__credit_code", "submitted_at", "call__year", "call__authority__name")
    )
    for assessor_id, code, submitted_at, year, authority in reports:
        out["reports"][assessor_id].append(
            {
                "kind": "assessor_annual_report",
                "credit_code": code,
                "occurred_on": timezone.localtime(submitted_at).date().isoformat(),
                "ended_on": None,
                "rectified": False,
                "category": str(year),  # the year reported on, as the rule reads it
                "level": "",
                "source": f"{authority}（本系统填报）",
            }
        )
    entries = (
        AssessorBlacklist.objects.filter(assessor_id__in=ids)
        .order_by("starts_on", "id")
        .values_list(
            "assessor_id",
            "assessor__credit_code",
            "starts_on",
            "ends_on",
            "lifted_on",
            "notice_ref",
            "authority__name",
            "authority__level",
            "authority__region_id",
        )
    )
    for assessor_id, code, starts, ends, lifted, ref, authority, level, region in entries:
        end = min(lifted, ends) if lifted else ends
        record = {
            "kind": "assessor_blacklist",
            "credit_code": code,
            "occurred_on": starts.isoformat(),
            "ended_on": end.isoformat(),  # the first day it no longer applies
            "rectified": lifted is not None,
            "category": "",
            "level": level,
            "source": f"{authority}{ref}",
        }
        out["blacklist"][assessor_id].append((None if level == "ministry" else region[:2], record))
    return out


def _families(notice_ids) -> dict[int, int]:
    """Notice id → root of its forwarding chain (1 query over the years involved)."""
    from notices.models import Notice
    from notices.selectors import family_roots

    ids = sorted(set(notice_ids))
    return kept_for_ids("family_roots_of", ids, lambda: family_roots(Notice.objects.filter(pk__in=ids).values("year")))


def _quotas(apps) -> dict[int, dict]:
    """The quota of the applicant's receiving authority for the category, and how many are in the flow.

    Both are taken within the notice's family (this year's round, 001 §三): applications of other rounds, such as
    units listed in earlier years, do not use up this round's quota (3 queries).
    """
    authority_ids = {a.applicant.competent_authority_id for a in apps if a.applicant.competent_authority_id}
    if not authority_ids:
        return {}
    family = _families({a.notice_id for a in apps})
    roots = {family[a.notice_id] for a in apps}
    round_notices = [pk for pk, root in family.items() if root in roots]
    # (notice, category, authority, authority name, limit) as values: no model instances per chunk.
    quota_rows = kept_for_ids(
        "quota_rows",
        round_notices,
        lambda: list(
            Quota.objects.filter(notice_category__notice_id__in=round_notices).values_list(
                "notice_category__notice_id", "notice_category__category", "authority_id", "authority__name", "limit"
            )
        ),
    )
    if not quota_rows:
        return {}
    by_key = {(family[q[0]], q[1], q[2]): q for q in quota_rows}
    parents = authority_parents()

    def chain(authority_id):
        out = []
        while authority_id is not None and authority_id not in out:
            out.append(authority_id)
            authority_id = parents.get(authority_id)
        return out

    # The quota each application falls under; only those quotas' categories and subtrees need counting.
    matched = {}
    for a in apps:
        root = family[a.notice_id]
        for anc in chain(a.applicant.competent_authority_id):
            q = by_key.get((root, a.category, anc))
            if q is not None:
                matched[a.pk] = (root, anc, q)
                break
    if not matched:
        return {}
    children = defaultdict(list)
    for child, parent in parents.items():
        children[parent].append(child)
    under, todo = set(), [anc for _, anc, _ in matched.values()]
    while todo:
        node = todo.pop()
        if node not in under:
            under.add(node)
            todo.extend(children.get(node, ()))
    in_flow = Application.objects.filter(
        state__in=IN_FLOW,
        notice_id__in=round_notices,
        category__in={a.category for a in apps if a.pk in matched},
    )
    if len(under) * 2 < len(parents):  # a few subtrees: count only there (a whole country: no filter needed)
        in_flow = in_flow.filter(applicant__competent_authority_id__in=under)
    used_rows = in_flow.values("notice_id", "category", "applicant__competent_authority_id").annotate(n=Count("id"))
    used_by_authority = defaultdict(int)
    for r in used_rows:
        for anc in chain(r["applicant__competent_authority_id"]):
            used_by_authority[(family[r["notice_id"]], r["category"], anc)] += r["n"]
    result = {}
    for a in apps:
        if a.pk in matched:
            root, anc, q = matched[a.pk]
            result[a.pk] = {
                "authority": q[3],
                "limit": q[4],
                # Counting this application too when it is not yet in the flow: it would take a place.
                "used": used_by_authority[(root, a.category, anc)] + (0 if a.state in IN_FLOW else 1),
            }
    return result
