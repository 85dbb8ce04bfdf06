"""Reads about the green manufacturing lists."""

from django.db.models import QuerySet

from .models import Listing


def listings_public() -> QuerySet[Listing]:
    """The lists in effect, as anyone may read them (removed units are not shown)."""
    return Listing.objects.filter(status=Listing.Status.ACTIVE).select_related(
        "organization__region", "authority", "notice"
    )
