"""Who sees which recommendation batch: the sending authority all of its batches, the recipient the ones sent to it.

Pages, the API and the scan download all go through batches_visible_to; an invisible batch is a 404.
"""

from django.db.models import Count, Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from organizations.models import Organization
from organizations.selectors import acting_org_ids

from ..models import Batch, BatchItem


def _base() -> QuerySet[Batch]:
    return Batch.objects.select_related("authority", "recipient", "notice", "notice__issuer")


def batches_visible_to(user) -> QuerySet[Batch]:
    base = _base()
    if not user.is_authenticated or not user.is_active:
        return base.none()
    if user.is_superuser:
        return base
    org_ids = acting_org_ids(user)
    if not org_ids:
        return base.none()
    return base.filter(authority_id__in=org_ids) | base.filter(recipient_id__in=org_ids).exclude(
        state=Batch.State.DRAFT
    )


def incoming_batches(org: Organization) -> QuerySet[Batch]:
    return _base().filter(recipient=org).exclude(state=Batch.State.DRAFT)


def with_counts(qs: QuerySet[Batch]) -> QuerySet[Batch]:
    """For lists: the number of items in the list's own query."""
    return qs.annotate(item_count=Count("items", distinct=True))


def with_items(qs: QuerySet[Batch]) -> QuerySet[Batch]:
    return qs.select_related(
        "created_by", "submitted_by", "received_by", "returned_by", "scan_uploaded_by"
    ).prefetch_related(
        Prefetch(
            "items",
            queryset=BatchItem.objects.select_related(
                "application", "application__applicant", "application__holder"
            ).order_by("rank", "id"),
        )
    )


def batch_for(user, pk) -> Batch:
    return get_object_or_404(with_items(batches_visible_to(user)), pk=pk)
