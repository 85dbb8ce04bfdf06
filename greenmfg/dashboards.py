"""What each role's dashboard shows. Reads only; counts come from the visibility selectors."""

from django.contrib.auth import get_user_model
from django.db.models import Count

from activity.models import AuditEvent
from notices.models import Deadline, Notice
from notices.selectors import deadline_label, deadlines_concerning
from organizations.models import Organization
from organizations.selectors import ActingRole, authority_subtree_ids, organizations_visible_to


def _authority(user, org: Organization) -> dict:
    subtree = authority_subtree_ids([org.pk])
    attached = (
        Organization.objects.filter(competent_authority_id__in=subtree)
        .values("kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {row["kind"]: row["n"] for row in attached}
    departments = list(Organization.objects.filter(competent_authority=org, kind="department").order_by("domain"))
    return {
        "org": org,
        "subordinates": Organization.objects.filter(parent=org).select_related("region").order_by("level", "name"),
        "subtree_count": len(subtree) - 1,
        "enterprise_count": counts.get("enterprise", 0),
        "park_count": counts.get("park", 0),
        "department_count": len(departments),
        "assessor_count": counts.get("assessor", 0),
        "departments": departments,
    }


def _open_deadlines(issuer_ids=None) -> list[dict]:
    qs = Deadline.objects.filter(notice__status=Notice.Status.PUBLISHED).select_related(
        "notice", "notice__issuer", "authority"
    )
    if issuer_ids is not None:
        qs = qs.filter(notice__issuer_id__in=issuer_ids)
    rows = []
    for d in qs.order_by("due_at")[:30]:
        rows.append(
            {
                "label": f"{d.notice.issuer.name}：{deadline_label(d)}",
                "notice": d.notice,
                "due_at": d.due_at,
                "extension": None,
            }
        )
    return rows


def dashboard_context(user, role: ActingRole) -> dict:
    org = role.organization
    if role.dashboard == "authority":
        return {**_authority(user, org), "deadlines": deadlines_concerning(org)}
    if role.dashboard in ("applicant", "assessor", "department"):
        return {"org": org, "deadlines": deadlines_concerning(org)}
    if role.dashboard == "expert":
        return {
            "expert": role.expert,
            "affiliations": role.expert.affiliations.all(),
            "deadlines": _open_deadlines([role.expert.pool_id]),
        }
    if role.dashboard == "admin":
        by_kind = dict(Organization.objects.values_list("kind").annotate(n=Count("id")).order_by())
        return {
            "org_counts": [(label, by_kind.get(kind, 0)) for kind, label in Organization.Kind.choices],
            "user_count": get_user_model().objects.count(),
            "audit_count": AuditEvent.objects.count(),
            "visible_count": organizations_visible_to(user).count(),
            "deadlines": _open_deadlines(),
            "notice_counts": dict(Notice.objects.values_list("status").annotate(n=Count("id")).order_by()),
        }
    return {}
