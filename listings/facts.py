"""The lists' fact source for the eligibility engine: every entry of an applicant (and of a park's member enterprises)
is a record like an imported credit record. An entry in effect is a "green_list" record (listed_on, category,
level): the prerequisite rule (LIST-PREREQUISITE, 001 §一, 004 §一, 003) and the no-repeat rule (LIST-REPEAT) read
it. A removed entry is a "green_list_removed" record dated its removal: NEG-REMOVED fails within the window
(000/001/004 §一: 近三年被动态调整出绿色制造名单). Registered in listings.apps.ListingsConfig.ready()."""

from django.db.models import Q

from .models import Listing

LEVEL_LABELS = dict(Listing.Level.choices)
CATEGORY_LABELS = dict(Listing._meta.get_field("category").choices)
KEY = ("kind", "credit_code", "occurred_on", "category", "level")


def _member_codes(application) -> list[str]:
    if application.category != "park":
        return []
    text = (application.data or {}).get("member_credit_codes") or ""
    return [c.strip().upper() for c in text.splitlines() if c.strip()] if isinstance(text, str) else []


def _record(row: dict) -> dict:
    what = f"{row['year']}年{LEVEL_LABELS[row['level']]}{CATEGORY_LABELS.get(row['category'], row['category'])}名单"
    code = row["organization__credit_code"] or row["credit_code"]
    if row["status"] == Listing.Status.REMOVED:
        by = row["removal_authority__name"] or row["authority__name"]
        return {
            "kind": "green_list_removed",
            "credit_code": code,
            "occurred_on": row["removed_on"].isoformat(),
            "ended_on": None,
            "rectified": False,
            "category": row["category"],
            "level": row["level"],
            "source": f"{by}决定移出{what}",
        }
    return {
        "kind": "green_list",
        "credit_code": code,
        "occurred_on": row["listed_on"].isoformat(),
        "ended_on": None,
        "rectified": False,
        "category": row["category"],
        "level": row["level"],
        "source": f"{row['authority__name']}{what}",
    }


def listing_records(applications, facts: dict[int, dict]) -> None:
    """Append each applicant's entries (and a park's members') to facts[app_id]["records"] (one query).

    An application's own entry (made by listing it) is left out: it is the result of this application, not a fact
    about the unit before it applied. A record identical in kind, code, date, category and level to one already
    gathered (the same list imported as credit records) is not added twice."""
    apps = [a for a in applications if a.pk in facts]
    if not apps:
        return
    members = {a.pk: _member_codes(a) for a in apps}
    org_ids = {a.applicant_id for a in apps}
    codes = {c for cs in members.values() for c in cs}
    condition = Q(organization_id__in=org_ids)
    if codes:
        condition |= Q(organization__credit_code__in=codes)
    rows = (
        Listing.objects.filter(condition)
        .order_by("listed_on", "id")
        .values(
            "id",
            "application_id",
            "organization_id",
            "organization__credit_code",
            "credit_code",
            "category",
            "level",
            "year",
            "status",
            "listed_on",
            "removed_on",
            "authority__name",
            "removal_authority__name",
        )
    )
    by_org: dict[int, list[dict]] = {}
    by_code: dict[str, list[dict]] = {}
    for row in rows:
        by_org.setdefault(row["organization_id"], []).append(row)
        if row["organization__credit_code"]:
            by_code.setdefault(row["organization__credit_code"], []).append(row)
    for a in apps:
        wanted = list(by_org.get(a.applicant_id, []))
        seen_ids = {row["id"] for row in wanted}
        for code in members[a.pk]:
            wanted.extend(row for row in by_code.get(code, []) if row["id"] not in seen_ids)
        if not wanted:
            continue
        records = facts[a.pk].setdefault("records", [])
        present = {tuple(r.get(k) for k in KEY) for r in records}
        for row in wanted:
            if row["application_id"] == a.pk:
                continue
            if row["status"] == Listing.Status.REMOVED and row["removed_on"] is None:
                continue
            record = _record(row)
            key = tuple(record[k] for k in KEY)
            if key in present:
                continue
            present.add(key)
            records.append(record)
