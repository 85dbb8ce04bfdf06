"""Who sees which generated document: exactly who sees its owner object, narrowed for some kinds.

Pages, the API and downloads all go through documents_visible_to; an invisible document is a 404.
"""

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from applications.selectors import seen_key
from greenmfg.request_memo import known
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


NARROWED = {"notices.Notice", "reviews.Panel"}  # owners whose documents are further narrowed by scope


def _owner_condition(user, label: str, codes: list[str], owner_id=None) -> Q:
    """Documents of one owner model the user may see (of one owner object, when given)."""
    ct = ContentType.objects.get_for_model(apps.get_model(label))
    owners = owners_visible_to(user, label)
    if owner_id is not None:
        owners = owners.filter(pk=owner_id)
    part = Q(owner_type=ct, kind__in=codes, owner_id__in=owners.values("pk"))
    if label == "notices.Notice":
        part &= Q(scope_id__in=_scope_ids(user))
    elif label == "reviews.Panel":
        part &= Q(scope_id__in=acting_org_ids(user) if user.is_authenticated else [])
    return part


def _codes_by_owner() -> dict[str, list[str]]:
    by_owner: dict[str, list[str]] = {}
    for kind in KINDS.values():
        by_owner.setdefault(kind.owner, []).append(kind.code)
    return by_owner


def documents_visible_to(user) -> QuerySet[GeneratedDocument]:
    base = GeneratedDocument.objects.select_related("scope", "created_by", "owner_type")
    if user.is_superuser and user.is_active:
        return base
    condition = Q(pk__in=[])
    for label, codes in _codes_by_owner().items():
        condition |= _owner_condition(user, label, codes)
    return base.filter(condition)


def documents_of(user, owner) -> QuerySet[GeneratedDocument]:
    """documents_visible_to(user) narrowed to one owner object, built from that owner model's rule alone (the
    application page asks for its panel on every view; the six-model condition cost more than the page's reads)."""
    label = owner._meta.label
    ct = ContentType.objects.get_for_model(owner)
    base = GeneratedDocument.objects.select_related("scope", "created_by", "owner_type").filter(
        owner_type=ct, owner_id=owner.pk
    )
    if user.is_superuser and user.is_active:
        return base
    codes = _codes_by_owner().get(label)
    if not codes:
        return base.none()
    if known(seen_key(user, owner)) and label not in NARROWED:
        return base.filter(kind__in=codes)  # this request found the owner through the same rule
    return base.filter(_owner_condition(user, label, codes, owner_id=owner.pk))


def document_for(user, pk) -> GeneratedDocument:
    return get_object_or_404(documents_visible_to(user), pk=pk)


def latest_documents(user, *, owner, scope_id: int | None = None) -> dict[str, GeneratedDocument]:
    """The newest visible document of each kind for one owner (and scope), for the documents panel."""
    qs = documents_of(user, owner)
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
