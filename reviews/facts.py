"""The review chain's fact source for the eligibility engine: a department's objection (有异议) in a consultation
is a record like an imported credit record, of the first kind of the negative-list item it names, so the matching
NEG- rule fails naming the department (its reason is for reviewers only: applicants see rule messages). Registered in reviews.apps.ReviewsConfig.ready()."""

from django.utils import timezone

from eligibility.catalogue import NEGATIVE

from .models import ConsultationReply

DOMAIN_ITEMS = {"ecology": "NEG-ENVIRONMENT", "emergency": "NEG-SAFETY", "market": "NEG-QUALITY"}


def consultation_objections(applications, facts: dict[int, dict]) -> None:
    """Every objection reply on these applications becomes a record in facts[app_id]["records"] (one query)."""
    by_id = {a.pk: a for a in applications}
    if not by_id:
        return
    rows = (
        ConsultationReply.objects.filter(application_id__in=list(by_id), opinion=ConsultationReply.Opinion.OBJECTION)
        .order_by("application_id", "replied_at", "id")
        .values_list("application_id", "negative_item", "replied_at", "department__name", "department__domain")
    )
    for app_id, item, replied_at, department, domain in rows:
        item = item or DOMAIN_ITEMS.get(domain, "")
        if item not in NEGATIVE or app_id not in facts:
            continue
        occurred = timezone.localdate(replied_at) if replied_at else timezone.localdate()
        facts[app_id].setdefault("records", []).append(
            {
                "kind": NEGATIVE[item][1][0],
                "credit_code": by_id[app_id].applicant.credit_code,
                "occurred_on": occurred.isoformat(),
                "ended_on": None,
                "rectified": False,
                "category": "",
                "level": "",
                "source": f"{department}反馈有异议",  # the reason stays with reviewers: applicants read this
            }
        )
