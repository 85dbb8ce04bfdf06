from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render

from . import selectors, services
from .forms import OrganizationFilterForm, OrganizationForm
from .models import Organization


def organization_list(request):
    form = OrganizationFilterForm(request.GET)
    qs = form.filter(selectors.organizations_visible_to(request.user))
    page = Paginator(qs.order_by("kind", "name", "id"), 20).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "organizations/list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_create": selectors.managing_authorities(request.user).exists(),
        },
    )


def organization_detail(request, pk: int):
    org = selectors.organization_for(request.user, pk)
    visible = selectors.organizations_visible_to(request.user)
    can_manage_members = selectors.can_manage_members(request.user, org)
    is_member = org.pk in selectors.acting_org_ids(request.user) or can_manage_members
    return render(
        request,
        "organizations/detail.html",
        {
            "org": org,
            "children": visible.filter(parent=org).order_by("level", "name") if org.is_authority else [],
            "attached": visible.filter(competent_authority=org).order_by("kind", "name")[:50]
            if org.is_authority
            else [],
            "members": selectors.members_of(org) if is_member else None,
            "can_manage_members": can_manage_members,
            "can_edit": selectors.can_manage_organization(
                request.user, competent_authority=org.competent_authority, parent=org.parent
            ),
        },
    )


def _form_page(request, form, org=None):
    return render(request, "organizations/form.html", {"form": form, "org": org})


def _save(request, form, org=None):
    data = {k: form.cleaned_data.get(k) for k in form.Meta.fields}
    data = {k: ("" if v is None and k in ("credit_code", "level", "domain") else v) for k, v in data.items()}
    try:
        if org is None:
            saved = services.organization_create(actor=request.user, request=request, **data)
        else:
            saved = services.organization_update(actor=request.user, organization=org, request=request, **data)
    except ValidationError as exc:
        for field, errs in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errs)
        return None
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
        return None
    if saved.validation_warning:
        messages.warning(request, saved.validation_warning)
    messages.success(request, f"已保存“{saved.name}”。")
    return saved


def organization_create(request):
    authorities = selectors.managing_authorities(request.user)
    if not authorities.exists():
        raise Http404
    form = OrganizationForm(
        request.POST or None, authorities=authorities, region_prefixes=selectors.managed_region_prefixes(request.user)
    )
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form)
        if saved:
            return redirect("organization-detail", pk=saved.pk)
    return _form_page(request, form)


def organization_edit(request, pk: int):
    org = selectors.organization_for(request.user, pk)
    if not selectors.can_manage_organization(
        request.user, competent_authority=org.competent_authority, parent=org.parent
    ):
        raise Http404
    form = OrganizationForm(
        request.POST or None,
        instance=Organization.objects.get(pk=org.pk),
        authorities=selectors.managing_authorities(request.user),
        region_prefixes=selectors.managed_region_prefixes(request.user),
    )
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, org)
        if saved:
            return redirect("organization-detail", pk=saved.pk)
    return _form_page(request, form, org)
