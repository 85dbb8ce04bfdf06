"""The authority's inbox (待办): what it holds, what it recommended, what it decided; bulk decisions.

Thin: the rows come from reviews.selectors.inbox; each bulk decision goes through reviews.services.transition_perform
with the version the page was rendered at, one application at a time, so one refusal never undoes another row and
no row is ever half done.
"""

from django import forms
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from applications.models import State
from greenmfg.validators import MAX_OBJECT_ID
from greenmfg.widgets import PlainSelect
from notices.models import Category

from .selectors import inbox as inbox_selectors
from .services.bulk import bulk_perform
from .workflow import BY_ACTION

PAGE_SIZE = 25
BULK_ACTIONS = ("recommend", "return", "not_recommend")
NAVIGATE = {
    "consult": "/reviews/consultations/new/",
    "batch": "/reviews/batches/new/",
}


class InboxFilterForm(forms.Form):
    q = forms.CharField(label="申报单位或信用代码", required=False, max_length=64)
    # PlainSelect: the ministry's region list has hundreds of options (greenmfg/widgets.py)
    notice = forms.ModelChoiceField(
        label="通知", required=False, queryset=None, empty_label="全部通知", widget=PlainSelect
    )
    category = forms.ChoiceField(
        label="申报类别", required=False, choices=[("", "全部类别"), *Category.choices], widget=PlainSelect
    )
    county = forms.ModelChoiceField(
        label="所属地区", required=False, queryset=None, empty_label="全部地区", widget=PlainSelect
    )
    state = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部状态"), *State.choices], widget=PlainSelect
    )
    eligibility = forms.ChoiceField(
        label="资格审查",
        required=False,
        choices=[("", "全部"), *inbox_selectors.ELIGIBILITY_CHOICES.items()],
        widget=PlainSelect,
    )
    assessor = forms.ModelChoiceField(
        label="第三方评价机构", required=False, queryset=None, empty_label="全部", widget=PlainSelect
    )
    sort = forms.ChoiceField(
        label="排序", required=False, choices=list(inbox_selectors.SORT_LABELS.items()), widget=PlainSelect
    )

    def __init__(self, *args, user, authority, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["notice"].queryset = inbox_selectors.inbox_notices(user, authority)
        self.fields["notice"].label_from_instance = lambda n: (
            f"{n.year}年 · {n.issuer.name} · {n.title[:24]}{'…' if len(n.title) > 24 else ''}"
        )
        # ids and names only: the ministry's list holds every province and city
        self.counties = list(inbox_selectors.inbox_counties(authority).values_list("pk", "name"))
        self.fields["county"].queryset = inbox_selectors.inbox_counties(authority)
        self.fields["county"].choices = [("", "全部地区"), *self.counties]
        self.fields["assessor"].queryset = inbox_selectors.inbox_assessors(user, authority)

    def params(self) -> dict:
        return self.cleaned_data if self.is_valid() else {}


def _authority_or_404(request):
    authority = inbox_selectors.inbox_authority(request)
    if authority is None:
        raise Http404
    return authority


@require_GET
def inbox(request):
    authority = _authority_or_404(request)
    tab = request.GET.get("tab") or inbox_selectors.TAB_PENDING
    if tab not in inbox_selectors.TABS:
        tab = inbox_selectors.TAB_PENDING
    form = InboxFilterForm(request.GET, user=request.user, authority=authority)
    qs = inbox_selectors.inbox_filter(inbox_selectors.inbox_applications(request.user, authority, tab), form.params())
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    filters = query.copy()
    filters.pop("tab", None)
    filters.pop("sort", None)
    return render(
        request,
        "reviews/inbox.html",
        {
            "authority": authority,
            "form": form,
            "tab": tab,
            "tabs": [
                {"key": key, "label": label, "count": count}
                for (key, label), count in zip(
                    inbox_selectors.TABS.items(),
                    inbox_selectors.inbox_counts(request.user, authority).values(),
                    strict=True,
                )
            ],
            "page": page,
            "query": query.urlencode(),
            "filtered": any(v for k, v in filters.items() if k != "page"),
            "show_county": len(form.counties) >= 2,
            "bulk_actions": [(a, BY_ACTION[a].label) for a in BULK_ACTIONS],
            "bulk_enabled": tab == inbox_selectors.TAB_PENDING,
            "navigate_enabled": tab in (inbox_selectors.TAB_PENDING, inbox_selectors.TAB_RECOMMENDED),
        },
    )


def _selection(request) -> list[int]:
    ids = []
    for raw in request.POST.getlist("applications"):
        try:
            pk = int(raw)
        except ValueError:
            continue
        if pk not in ids and 0 < pk <= MAX_OBJECT_ID:  # a larger number overflows SQLite in pk__in
            ids.append(pk)
    return ids


@require_POST
def inbox_bulk(request):
    authority = _authority_or_404(request)
    ids = _selection(request)
    go = request.POST.get("go", "")
    if go in NAVIGATE:
        if not ids:
            return render(request, "reviews/inbox_bulk.html", {"error": "请先勾选申报。", "results": []}, status=400)
        return redirect(f"{NAVIGATE[go]}?applications={','.join(str(pk) for pk in ids)}")
    action = request.POST.get("action", "")
    reason = request.POST.get("reason", "").strip()
    error = ""
    if action not in BULK_ACTIONS:
        error = "请选择要执行的操作（推荐、退回修改或不予推荐）。"
    elif not ids:
        error = "请先勾选申报。"
    elif not reason:
        error = f"{BY_ACTION[action].label}须填写意见，意见将记入每一项申报。"
    if error:
        return render(request, "reviews/inbox_bulk.html", {"error": error, "results": []}, status=400)
    versions = {}
    for pk in ids:
        try:
            versions[pk] = int(request.POST.get(f"version-{pk}", ""))
        except ValueError:
            versions[pk] = None
    results = bulk_perform(
        actor=request.user,
        authority=authority,
        ids=ids,
        versions=versions,
        action=action,
        reason=reason,
        request=request,
    )
    return render(
        request,
        "reviews/inbox_bulk.html",
        {
            "action_label": BY_ACTION[action].label,
            "reason": reason,
            "results": results,
            "done": sum(1 for r in results if r["ok"]),
            "refused": sum(1 for r in results if not r["ok"]),
        },
    )
