from rest_framework import serializers, viewsets

from . import selectors
from .models import Notice


class NoticeSerializer(serializers.ModelSerializer):
    issuer_name = serializers.CharField(source="issuer.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Notice
        fields = ["id", "year", "title", "doc_number", "issuer", "issuer_name", "list_level", "status",
                  "status_display", "forwards", "issued_on", "published_at"]


class NoticeViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = NoticeSerializer

    def get_queryset(self):
        return selectors.notices_visible_to(self.request.user)
