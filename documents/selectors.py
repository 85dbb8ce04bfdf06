"""Who sees which generated document: exactly who sees its owner object, narrowed for some kinds.

Pages, the API and downloads all go through documents_visible_to; an invisible document is a 404.
"""

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from organizations.selectors import acting_org_ids, authority_subtree_ids

from .kinds import KINDS, Kind
from .models import GeneratedDocument


def owners_visible_to(user, owner_label: str) -> QuerySet:
    """The owner objects of one model the user may see, through that model's own visibility rule."""
    from applications.selectors import applications_visible_to
    from notices.selectors import notices_visible_to
    from reviews.selectors.batches import batches_visible_to
    from reviews.selectors.consultations import consultations_visible_to
    from reviews.selectors.experts import panels_visible_to
    from reviews.selectors.publicity import publicities_visible_to

    return {
        "reviews.Batch": batches_visible_to,
        "reviews.Consultation": consultations_visible_to,
        "reviews.Panel": panels_visible_to,
        "reviews.Publicity": publicities_visible_to,
        "applications.Application": applications_visible_to,
        "notices.Notice": notices_visible_to,
    }[owner_label](user)


def owner_for(user, kind: Kind, pk) -> object:
    return get_object_or_404(owners_visible_to(user, kind.owner), pk=pk)


def _scope_ids(user) -> set[int]:
    """Organizations whose notice-wide documents the user may read: its own and every authority below them."""
    own = acting_org_ids(user) if user.is_authenticated and user.is_active else []
    return set(own) | authority_subtree_ids(own)


def scope_visible(user, kind: Kind, scope_id: int) -> bool:
    if user.is_superuser:
        return True
    if kind.owner == "notices.Notice":
        return scope_id in _scope_ids(user)
    if kind.owner == "reviews.Panel":
        return scope_id in acting_org_ids(user)
    return True


def documents_visible_to(user) -> QuerySet[GeneratedDocument]:
    base = GeneratedDocument.objects.select_related("scope", "created_by", "owner_type")
    if user.is_superuser and user.is_active:
        return base
    condition = Q(pk__in=[])
    scopes = None
    by_owner: dict[str, list[str]] = {}
    for kind in KINDS.values():
        by_owner.setdefault(kind.owner, []).append(kind.code)
    for label, codes in by_owner.items():
        ct = ContentType.objects.get_for_model(apps.get_model(label))
        part = Q(owner_type=ct, kind__in=codes, owner_id__in=owners_visible_to(user, label).values("pk"))
        if label == "notices.Notice":
            scopes = _scope_ids(user) if scopes is None else scopes
            part &= Q(scope_id__in=scopes)
        elif label == "reviews.Panel":
            part &= Q(scope_id__in=acting_org_ids(user) if user.is_authenticated else [])
        condition |= part
    return base.filter(condition)


def document_for(user, pk) -> GeneratedDocument:
    return get_object_or_404(documents_visible_to(user), pk=pk)


def latest_documents(user, *, owner, scope_id: int | None = None) -> dict[str, GeneratedDocument]:
    """The newest visible document of each kind for one owner (and scope), for the documents panel."""
    ct = ContentType.objects.get_for_model(owner)
    qs = documents_visible_to(user).filter(owner_type=ct, owner_id=owner.pk)
    if scope_id is not None:
        qs = qs.filter(scope_id=scope_id)
    latest: dict[str, GeneratedDocument] = {}
    for doc in qs.order_by("-created_at", "-id")[:200]:
        latest.setdefault(doc.kind, doc)
    return latest


def latest_done(*, owner, kinds: list[str]) -> dict[str, GeneratedDocument]:
    """For reads inside the chain (batch findings, the batch zip): the newest finished document per kind."""
    ct = ContentType.objects.get_for_model(owner)
    done: dict[str, GeneratedDocument] = {}
    qs = GeneratedDocument.objects.filter(
        owner_type=ct, owner_id=owner.pk, kind__in=kinds, status=GeneratedDocument.Status.DONE
    ).order_by("-finished_at", "-id")
    for doc in qs[:50]:
        done.setdefault(doc.kind, doc)
    return done


def kind_or_404(code: str) -> Kind:
    try:
        return KINDS[code]
    except KeyError:
        raise Http404("未知的文书类型") from None
