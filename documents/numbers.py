"""发文字号 allocation: one sequence per authority and year, no gaps, a letter keeps its number for good."""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from organizations.models import Organization

from .models import DocumentNumber


def number_of(*, letter: str, owner) -> DocumentNumber | None:
    ct = ContentType.objects.get_for_model(owner)
    return DocumentNumber.objects.filter(letter=letter, owner_type=ct, owner_id=owner.pk).first()


def number_allocate(*, authority: Organization, letter: str, owner, prefix: str, user=None) -> DocumentNumber:
    """The owner's number, allocated on first call. The authority row is locked so two letters never share a number."""
    existing = number_of(letter=letter, owner=owner)
    if existing:
        return existing
    year = timezone.localdate().year
    with transaction.atomic():
        Organization.objects.select_for_update(of=("self",)).filter(pk=authority.pk).first()
        existing = number_of(letter=letter, owner=owner)
        if existing:
            return existing
        last = DocumentNumber.objects.filter(authority=authority, year=year).aggregate(m=Max("number"))["m"] or 0
        return DocumentNumber.objects.create(
            authority=authority,
            year=year,
            number=last + 1,
            prefix=prefix,
            letter=letter,
            owner_type=ContentType.objects.get_for_model(owner),
            owner_id=owner.pk,
            allocated_by=user if user is not None and user.is_authenticated else None,
        )
