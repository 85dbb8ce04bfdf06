"""REST API of the 公示: public (no login) list and detail of published and finalized 公示, and objections.
ROUTES are registered on the /api/v1/ router by reviews.api_routes."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from activity.services import client_ip

from .models import Objection, Publicity, PublicityEntry
from .selectors import publicity as sel
from .services import publicity as svc

NOT_FOUND = "公示不存在或未发布。"
PUBLICITY_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="公示编号")


class PublicEntrySerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="application.applicant.name", help_text="单位名称")
    category = serializers.CharField(source="application.category", help_text="申报类别代码")
    category_display = serializers.CharField(source="application.get_category_display", help_text="申报类别")
    region = serializers.SerializerMethodField(help_text="所在地区（省、市、县）")
    outcome = serializers.CharField(
        read_only=True, help_text="最终决定：空为待定，listed 列入名单，not_listed 不予列入"
    )

    class Meta:
        model = PublicityEntry
        fields = ["id", "position", "name", "category", "category_display", "region", "outcome"]

    def get_region(self, entry) -> list[str]:
        return sel.region_names(entry.application.applicant)


class PublicPublicitySerializer(serializers.ModelSerializer):
    authority = serializers.CharField(source="authority.name", help_text="公示单位")
    state = serializers.CharField(read_only=True, help_text="published 公示中，finalized 已结束")
    state_display = serializers.CharField(source="get_state_display")
    entries = PublicEntrySerializer(many=True, read_only=True, help_text="公示名单，按序号")

    class Meta:
        model = Publicity
        fields = ["id", "title", "authority", "starts_on", "ends_on", "contact", "body", "state", "state_display"]
        fields += ["entries"]


class ObjectionInputSerializer(serializers.Serializer):
    entry = serializers.IntegerField(label="异议对象", help_text="公示名单条目编号（entries[].id）")
    name = serializers.CharField(label="异议人姓名", max_length=64)
    organization_name = serializers.CharField(label="所在单位", max_length=128, required=False, allow_blank=True)
    phone = serializers.CharField(label="联系电话", max_length=32, help_text="7至20位数字")
    email = serializers.CharField(label="电子邮箱", max_length=254, required=False, allow_blank=True)
    content = serializers.CharField(label="异议内容", max_length=5000)


class ObjectionReceiptSerializer(serializers.ModelSerializer):
    entry = serializers.IntegerField(source="entry_id")

    class Meta:
        model = Objection
        fields = ["id", "entry", "submitted_at", "status"]


@extend_schema_view(
    list=extend_schema(
        summary="公示（公开）",
        description="已发布和已结束的公示，无需登录。每项含公示期和名单（单位名称、类别、所在地区）；不含信用代码和审核意见。",
        auth=[],
    ),
    retrieve=extend_schema(
        summary="一项公示（公开）",
        description="无需登录；草稿和不存在的公示答复 404。",
        parameters=[PUBLICITY_ID],
        responses={200: PublicPublicitySerializer, 404: OpenApiResponse(description=NOT_FOUND)},
        auth=[],
    ),
)
class PublicityViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Public 公示 (reviews.selectors.publicity.publicities_public); objections go through
    reviews.services.publicity.objection_submit with its rate limit."""

    queryset = Publicity.objects.none()
    serializer_class = PublicPublicitySerializer
    permission_classes = [AllowAny]
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        return sel.with_public_entries(sel.publicities_public()).order_by("-starts_on", "-id")

    def get_object(self):
        try:
            return self.get_queryset().get(pk=self.kwargs["pk"])
        except (Publicity.DoesNotExist, ValueError):
            raise NotFound(NOT_FOUND) from None

    @extend_schema(
        summary="提出公示异议（公开）",
        description="公示期内任何人可对名单中的一项提出异议，无需登录；须填写姓名、联系电话（7至20位数字）和异议内容。"
        "同一地址每小时最多5件，超过答复 429。",
        parameters=[PUBLICITY_ID],
        request=ObjectionInputSerializer,
        responses={
            201: ObjectionReceiptSerializer,
            400: OpenApiResponse(description="字段错误或不在公示期内，中文说明"),
            404: OpenApiResponse(description=NOT_FOUND),
            429: OpenApiResponse(description="提交过于频繁"),
        },
        auth=[],
    )
    @action(detail=True, methods=["post"])
    def objections(self, request, pk=None):
        publicity = self.get_object()
        serializer = ObjectionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        entry_id = data.pop("entry")
        entry = next((e for e in publicity.entries.all() if e.pk == entry_id), None)
        if entry is None:
            raise ValidationError({"entry": ["请从本公示名单中选择异议对象。"]})
        try:
            objection = svc.objection_submit(publicity=publicity, entry=entry, ip=client_ip(request), **data)
        except svc.ObjectionRateLimited as exc:
            return Response({"detail": "".join(exc.messages)}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        except DjangoValidationError as exc:
            if hasattr(exc, "error_dict"):
                raise ValidationError(exc.message_dict) from exc
            raise ValidationError({"detail": "".join(exc.messages)}) from exc
        except Http404:
            raise NotFound(NOT_FOUND) from None
        return Response(ObjectionReceiptSerializer(objection).data, status=status.HTTP_201_CREATED)


ROUTES: list = [("publicity", PublicityViewSet, "api-publicity")]  # (prefix, viewset, basename)
