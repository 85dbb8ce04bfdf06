"""REST API of the lists: /api/v1/listings/ (read-only), the entries the user may see (listings_visible_to), with
the page's filters; an entry's detail carries its renames. ROUTES are registered by listings.api_routes."""

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.exceptions import NotFound

from . import selectors as sel
from .models import Listing, ListingRename

NOT_FOUND = "名单条目不存在或无权查看。"
LISTING_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="名单条目编号")
FILTERS = [
    OpenApiParameter(
        "level", str, enum=Listing.Level.values, description="名单层级：city 市级，province 省级，national 国家级"
    ),
    OpenApiParameter(
        "category",
        str,
        enum=[c for c, _ in Listing._meta.get_field("category").choices],
        description="类别：factory 绿色工厂，park 绿色工业园区，supply_chain 绿色供应链管理企业，product 绿色设计产品",
    ),
    OpenApiParameter("year", int, description="名单年度，如 2023"),
    OpenApiParameter("province", str, description="省级行政区划代码（6位，如 140000），按单位所在地筛选"),
    OpenApiParameter("city", str, description="地级行政区划代码（6位，如 140100），按单位所在地筛选；优先于 province"),
    OpenApiParameter("status", str, enum=Listing.Status.values, description="状态：active 有效，removed 已移出"),
    OpenApiParameter(
        "source", str, enum=Listing.Source.values, description="来源：review 本系统评审，import 历史名单导入"
    ),
    OpenApiParameter("q", str, description="单位名称（入选时或现名称）包含的文字，或完整的统一社会信用代码"),
]


class RenameSerializer(serializers.ModelSerializer):
    class Meta:
        model = ListingRename
        fields = ["old_name", "new_name", "changed_on", "reason", "report", "recorded_at"]


class ListingSerializer(serializers.ModelSerializer):
    # Codes as plain strings (their meanings in the help texts): the same choice sets serve notices and other apps.
    category = serializers.CharField(read_only=True, help_text="类别代码：factory、park、supply_chain、product")
    level = serializers.CharField(read_only=True, help_text="名单层级代码：city、province、national")
    status = serializers.CharField(read_only=True, help_text="状态代码：active 有效，removed 已移出")
    source = serializers.CharField(read_only=True, help_text="来源代码：review 本系统评审，import 历史名单导入")
    display_name = serializers.CharField(read_only=True, help_text="现名称（未更名为入选时名称）")
    name = serializers.CharField(read_only=True, help_text="入选时名称")
    category_display = serializers.CharField(source="get_category_display", read_only=True)
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    source_display = serializers.CharField(source="get_source_display", read_only=True)
    region = serializers.SerializerMethodField(help_text="所在地区（省、市、县）")
    authority_name = serializers.CharField(source="authority.name", read_only=True, help_text="决定单位")
    removal_authority_name = serializers.SerializerMethodField(help_text="移出决定单位")

    class Meta:
        model = Listing
        fields = [
            "id",
            "display_name",
            "name",
            "credit_code",
            "organization",
            "region",
            "category",
            "category_display",
            "level",
            "level_display",
            "year",
            "listed_on",
            "reference",
            "notice",
            "application",
            "authority",
            "authority_name",
            "status",
            "status_display",
            "removed_on",
            "removal_reason",
            "removal_authority",
            "removal_authority_name",
            "source",
            "source_display",
            "import_batch",
        ]
        read_only_fields = fields

    def get_region(self, listing) -> list[str]:
        return sel.region_names(listing)

    def get_removal_authority_name(self, listing) -> str | None:
        return listing.removal_authority.name if listing.removal_authority else None


class ListingDetailSerializer(ListingSerializer):
    renames = RenameSerializer(many=True, read_only=True, help_text="更名记录，按变更日期")

    class Meta(ListingSerializer.Meta):
        fields = [*ListingSerializer.Meta.fields, "renames"]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        summary="绿色制造名单",
        description="当前用户可见的名单条目：主管部门为本辖区单位（含已移出），部级为全部，申报单位为本单位。按年度、层级、类别排序，分页。",
        parameters=FILTERS,
    ),
    retrieve=extend_schema(
        summary="一个名单条目",
        description="含更名记录；不可见的条目答复 404。",
        parameters=[LISTING_ID],
        responses={200: ListingDetailSerializer, 404: OpenApiResponse(description=NOT_FOUND)},
    ),
)
class ListingViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Listing.objects.none()
    serializer_class = ListingSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        qs = sel.listings_visible_to(self.request.user)
        if self.action == "list":
            return sel.listings_filter(qs, self.request.query_params).order_by(
                "-year", "level", "category", "name", "id"
            )
        return qs.prefetch_related(Prefetch("renames", queryset=ListingRename.objects.order_by("changed_on", "id")))

    def get_serializer_class(self):
        return ListingDetailSerializer if self.action == "retrieve" else ListingSerializer

    def get_object(self):
        try:
            return self.get_queryset().get(pk=self.kwargs["pk"])
        except (Listing.DoesNotExist, ValueError):
            raise NotFound(NOT_FOUND) from None
