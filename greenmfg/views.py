from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from activity.selectors import audit_events_visible_to
from activity.services import audit_record
from organizations.middleware import SESSION_KEY
from organizations.selectors import roles_of

from .dashboards import dashboard_context


@login_not_required
def landing(request):
    return render(request, "landing.html")


@login_not_required
def favicon(request):
    """Pages not drawn by base.html (the admin) make the browser ask for /favicon.ico; answer with the portal's."""
    return redirect(static("favicon.svg"), permanent=True)


@login_not_required
def healthz(request):
    return JsonResponse({"status": "ok"})


def dashboard(request):
    role = request.acting
    context = {"role": role, "roles": roles_of(request.user)}
    context.update(dashboard_context(request.user, role))
    context["recent_events"] = audit_events_visible_to(request.user)[:8]
    return render(request, f"dashboards/{role.dashboard}.html", context)


@require_POST
def switch_role(request):
    key = request.POST.get("role", "")
    if key in {r.key for r in roles_of(request.user)}:
        request.session[SESSION_KEY] = key
    target = request.POST.get("next") or "dashboard"
    if target != "dashboard" and not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "dashboard"
    return redirect(target)


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form):
        response = super().form_valid(form)
        audit_record(
            actor=self.request.user, verb="auth.password_change", target=self.request.user, request=self.request
        )
        return response
