from django.contrib.auth import get_user_model
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import api_view
from rest_framework.response import Response

from . import selectors
from .forms import OrganizationFilterForm
from .models import Membership, Organization


class OrganizationSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    region = serializers.CharField(source="region_id", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)

    class Meta:
        model = Organization
        fields = [
            "id",
            "kind",
            "kind_display",
            "name",
            "credit_code",
            "region",
            "region_name",
            "level",
            "level_display",
            "parent",
            "domain",
            "competent_authority",
            "is_active",
        ]


class OrganizationViewSet(viewsets.ReadOnlyModelViewSet):
    """Organizations the caller may see: itself for an applicant, its jurisdiction for an authority."""

    serializer_class = OrganizationSerializer

    def get_queryset(self):
        form = OrganizationFilterForm(self.request.query_params)
        return form.filter(selectors.organizations_visible_to(self.request.user)).order_by("kind", "name", "id")


class MembershipSerializer(serializers.ModelSerializer):
    organization = OrganizationSerializer(read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "role", "role_display", "organization"]


class MeSerializer(serializers.ModelSerializer):
    memberships = serializers.SerializerMethodField()
    roles = serializers.SerializerMethodField()
    is_expert = serializers.SerializerMethodField()

    class Meta:
        model = get_user_model()
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_superuser",
            "is_expert",
            "memberships",
            "roles",
        ]

    def get_memberships(self, user) -> list[dict]:
        return MembershipSerializer(selectors.memberships_of(user), many=True).data

    def get_roles(self, user) -> list[dict]:
        return [{"key": r.key, "dashboard": r.dashboard, "label": r.label} for r in selectors.roles_of(user)]

    def get_is_expert(self, user) -> bool:
        return any(r.dashboard == "expert" for r in selectors.roles_of(user))


@extend_schema(responses=MeSerializer)
@api_view(["GET"])
def me(request):
    return Response(MeSerializer(request.user).data)


class TokenView(ObtainAuthToken):
    """DRF's token view, with what it really answers in the schema: no login needed, 400 on wrong credentials."""

    @extend_schema(
        summary="换取令牌",
        description="以用户名、口令换取 API 令牌，之后在请求头 Authorization: Token <令牌> 中携带。",
        auth=[],
        responses={
            200: inline_serializer("TokenIssued", {"token": serializers.CharField(help_text="API 令牌")}),
            400: OpenApiResponse(description="用户名或口令错误，或未填写（按字段名列出）"),
        },
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
