from django.db.models import Q, QuerySet

from organizations.selectors import acting_org_ids

from .models import AuditEvent, Notification


def audit_events_visible_to(user) -> QuerySet[AuditEvent]:
    """Superusers see every event; others see their organizations' events and their own."""
    qs = AuditEvent.objects.select_related("actor", "organization", "target_type")
    if not user.is_authenticated:
        return qs.none()
    if user.is_superuser:
        return qs
    return qs.filter(Q(organization_id__in=acting_org_ids(user)) | Q(actor=user))


def notifications_for(user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
