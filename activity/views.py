from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from . import selectors, services
from .models import VERB_LABELS


def notification_list(request):
    page = Paginator(selectors.notifications_for(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "activity/notifications.html", {"page": page})


@require_POST
def notification_read(request):
    ids = request.POST.getlist("id") or None
    services.notification_mark_read(user=request.user, ids=[int(i) for i in ids if i.isdigit()] if ids else None)
    return redirect("notification-list")


def audit_list(request):
    qs = selectors.audit_events_visible_to(request.user)
    verb = request.GET.get("verb", "").strip()
    if verb:
        qs = qs.filter(verb__startswith=verb)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "activity/audit.html", {"page": page, "verb": verb, "verbs": sorted(VERB_LABELS.items())})
