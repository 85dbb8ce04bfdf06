from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from activity import views as activity_views
from activity.api import NotificationViewSet
from applications.api import EngagementViewSet
from documents.api import DocumentViewSet
from listings.api_routes import register as register_listing_routes
from notices.api import NoticeViewSet
from organizations.api import OrganizationViewSet, TokenView, me
from organizations.api_routes import register as register_registry_routes
from reviews.api import ApplicationFlowViewSet
from reviews.api_routes import register as register_review_routes
from stats.api_routes import register as register_stats_routes

from . import views

router = DefaultRouter()
# No "/transitions.json" URLs: the actions take no format argument (such a URL was a 500); ?format= still works.
router.include_format_suffixes = False
router.register("organizations", OrganizationViewSet, basename="api-organization")
router.register("notifications", NotificationViewSet, basename="api-notification")
router.register("notices", NoticeViewSet, basename="api-notice")
router.register("applications", ApplicationFlowViewSet, basename="api-application")
router.register("engagements", EngagementViewSet, basename="api-engagement")
router.register("documents", DocumentViewSet, basename="api-document")
register_review_routes(router)
register_stats_routes(router)  # before the registry: assessors/pass-rates/ must not be read as an assessor's id
register_registry_routes(router)
register_listing_routes(router)

api_v1 = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("me/", me, name="api-me"),
    path("", include(router.urls)),
]

urlpatterns = [
    path("", views.landing, name="landing"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path(
        "accounts/login/",
        login_not_required(auth_views.LoginView.as_view(redirect_authenticated_user=True)),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("role/", views.switch_role, name="switch-role"),
    path("organizations/", include("organizations.urls")),
    path("notices/", include("notices.urls")),
    path("applications/", include("applications.urls")),
    path("applications/", include("reviews.urls")),
    path("engagements/", include("applications.urls_assessor")),
    path("reviews/", include("reviews.urls_review")),
    path("publicity/", include("reviews.urls_public")),
    path("eligibility/", include("eligibility.urls")),
    path("documents/", include("documents.urls")),
    path("lists/", include("listings.urls_public")),
    path("listings/", include("listings.urls")),
    path("dynamic/", include("listings.urls_dynamic")),
    path("assessors/", include("organizations.urls_registry")),
    path("stats/", include("stats.urls")),
    path("notifications/", activity_views.notification_list, name="notification-list"),
    path("notifications/read/", activity_views.notification_read, name="notification-read"),
    path("activity/", activity_views.audit_list, name="audit-list"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

handler404 = "greenmfg.errors.page_not_found"
