"""Document pages: request a rendering, poll its progress (htmx), download it, edit the letter templates."""

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from greenmfg.errors import refusal
from organizations.models import Organization
from organizations.selectors import acting_org_ids

from . import selectors
from .forms import LetterTemplateForm
from .kinds import KINDS
from .letter_templates import PLACEHOLDERS, template_for
from .models import GeneratedDocument, LetterTemplate
from .services import document_request, may_request, template_update

PAGE_SIZE = 25


def row_context(user, *, kind, owner_id: int, scope_id: int, doc: GeneratedDocument | None, error: str = "", next=""):
    scope = doc.scope if doc is not None else Organization(pk=scope_id)
    return {
        "next": next,
        "kind": kind,
        "doc": doc,
        "owner_id": owner_id,
        "scope_id": scope_id,
        "can_request": user.is_authenticated and may_request(user, kind, scope),
        "error": error,
    }


@require_POST
def document_new(request):
    """Queue (or find) a document; htmx gets the refreshed row, a plain form goes back where it came from."""
    kind = selectors.kind_or_404(request.POST.get("kind", ""))
    owner = selectors.owner_for(request.user, kind, _int(request.POST.get("owner")))
    scope = None
    if not kind.scope:
        scope = get_object_or_404(Organization, pk=_int(request.POST.get("scope")))
        if not selectors.scope_visible(request.user, kind, scope.pk):
            raise Http404
    doc, error = None, ""
    try:
        doc = document_request(actor=request.user, kind=kind.code, owner=owner, scope=scope, request=request)
    except (PermissionDenied, ValidationError) as exc:
        error = refusal(exc)
    if request.htmx:
        scope_id = doc.scope_id if doc else (scope.pk if scope else getattr(owner, kind.scope).pk)
        return render(
            request,
            "documents/_row.html",
            row_context(
                request.user, kind=kind, owner_id=owner.pk, scope_id=scope_id, doc=doc, error=error, next=_page(request)
            ),
        )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = None
    if error:
        return render(request, "documents/refused.html", {"error": error, "back": target}, status=400)
    return redirect(target or "document-detail", **({} if target else {"pk": doc.pk}))


@require_GET
@login_not_required
def document_row(request, pk: int):
    """The row of one document, polled by htmx while it renders."""
    doc = selectors.document_for(request.user, pk)
    kind = KINDS[doc.kind]
    return render(
        request,
        "documents/_row.html",
        row_context(
            request.user, kind=kind, owner_id=doc.owner_id, scope_id=doc.scope_id, doc=doc, next=_page(request)
        ),
    )


def _page(request) -> str:
    """The page an htmx row lives on, for the plain-form fallback's way back."""
    return (request.htmx.current_url_abs_path or "") if request.htmx else request.get_full_path()


@require_GET
def document_detail(request, pk: int):
    doc = selectors.document_for(request.user, pk)
    kind = KINDS[doc.kind]
    return render(
        request,
        "documents/detail.html",
        {
            "doc": doc,
            "kind": kind,
            **row_context(request.user, kind=kind, owner_id=doc.owner_id, scope_id=doc.scope_id, doc=doc),
        },
    )


@require_GET
@login_not_required
def document_download(request, pk: int):
    doc = selectors.document_for(request.user, pk)
    if doc.status != GeneratedDocument.Status.DONE or not doc.file:
        raise Http404("文书尚未生成")
    return FileResponse(doc.file.open("rb"), as_attachment=True, filename=doc.filename, content_type=doc.content_type)


@require_GET
def document_list(request):
    qs = selectors.documents_visible_to(request.user).select_related("owner_type")
    kind, status = request.GET.get("kind", ""), request.GET.get("status", "")
    if kind in KINDS:
        qs = qs.filter(kind=kind)
    if status in GeneratedDocument.Status.values:
        qs = qs.filter(status=status)
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(filename__icontains=q)
    page = Paginator(qs.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    for doc in page:
        doc.kind_label = KINDS[doc.kind].label if doc.kind in KINDS else doc.kind
    return render(
        request,
        "documents/list.html",
        {
            "page": page,
            "kinds": list(KINDS.values()),
            "statuses": GeneratedDocument.Status.choices,
            "kind": kind,
            "status": status,
            "q": q,
        },
    )


@require_GET
def notice_documents(request, notice_pk: int):
    """Notice-wide documents of one authority: its summary over all batches, its review opinions, its final list."""
    kind = KINDS["notice_summary"]
    notice = selectors.owner_for(request.user, kind, notice_pk)
    own = [o for o in _authorities(request.user)]
    scope_id = _int(request.GET.get("scope")) or (own[0].pk if own else None)
    if scope_id is None or not selectors.scope_visible(request.user, kind, scope_id):
        raise Http404
    scope = get_object_or_404(Organization, pk=scope_id, kind=Organization.Kind.AUTHORITY)
    return render(request, "documents/notice.html", {"notice": notice, "scope": scope, "authorities": own})


def _authorities(user):
    return Organization.objects.filter(pk__in=acting_org_ids(user), kind=Organization.Kind.AUTHORITY).order_by("pk")


@require_GET
def template_list(request):
    authorities = list(_authorities(request.user))
    if not authorities:
        raise Http404
    rows = [(a, [(k, template_for(a, k)) for k in LetterTemplate.Kind.values]) for a in authorities]
    return render(request, "documents/templates.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
def template_edit(request, authority_pk: int, kind: str):
    if kind not in LetterTemplate.Kind.values:
        raise Http404
    authority = get_object_or_404(_authorities(request.user), pk=authority_pk)
    template = template_for(authority, kind)
    form = LetterTemplateForm(request.POST or None, instance=template)
    saved = False
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.fields}
        template_update(actor=request.user, authority=authority, kind=kind, fields=fields, request=request)
        saved = True
    return render(
        request,
        "documents/template_form.html",
        {
            "form": form,
            "authority": authority,
            "kind_label": LetterTemplate.Kind(kind).label,
            "placeholders": PLACEHOLDERS,
            "saved": saved,
        },
    )


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
