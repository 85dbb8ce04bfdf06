from rest_framework import serializers, viewsets

from . import selectors
from .models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "title", "body", "url", "read_at", "created_at"]


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()  # for the schema only; get_queryset scopes to the caller

    def get_queryset(self):
        return selectors.notifications_for(self.request.user)
