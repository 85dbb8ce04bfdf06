"""/api/v1/assessors/: the third-party assessor registry as the caller may see it (selectors_registry), read-only.

Each assessor comes with its filings (status and province), blacklist state and annual reports, each as visible to
the caller: a province sees the filings and reports made with it, the ministry all, an assessor its own.
"assessors/pass-rates/" is the statistics app's route, registered first; ids here are digits only.
"""

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from . import selectors_registry as sel
from .models import AssessorAnnualReport, AssessorBlacklist, AssessorFiling, Organization

NOT_FOUND = "不存在或无权查看（其他省份、其他评价机构）。"
STATUS_CHOICES = [*AssessorFiling.Status.values, "none"]


class FilingSummarySerializer(serializers.ModelSerializer):
    province = serializers.IntegerField(source="authority_id", read_only=True)
    province_name = serializers.CharField(source="authority.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    reason = serializers.SerializerMethodField()

    class Meta:
        model = AssessorFiling
        fields = ["id", "province", "province_name", "status", "status_display", "submitted_at", "decided_at", "reason"]

    def get_reason(self, filing) -> str:
        return filing.revoke_reason or filing.decision_reason


class BlacklistSerializer(serializers.ModelSerializer):
    authority_name = serializers.CharField(source="authority.name", read_only=True)
    active = serializers.SerializerMethodField()

    class Meta:
        model = AssessorBlacklist
        fields = ["id", "authority", "authority_name", "starts_on", "ends_on", "lifted_on", "notice_ref", "active"]

    def get_active(self, entry) -> bool:
        return entry.is_active(timezone.localdate())


class ReportSummarySerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(source="call.year", read_only=True)
    province = serializers.IntegerField(source="call.authority_id", read_only=True)
    province_name = serializers.CharField(source="call.authority.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = AssessorAnnualReport
        fields = ["id", "year", "province", "province_name", "status", "status_display", "late", "submitted_at"]


class AssessorRegistrySerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region_id", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    filings = FilingSummarySerializer(source="visible_filings", many=True, read_only=True)
    blacklisted = serializers.BooleanField(read_only=True, help_text="今天是否在黑名单期内")
    blacklist = BlacklistSerializer(source="visible_blacklist", many=True, read_only=True)
    annual_reports = ReportSummarySerializer(source="visible_reports", many=True, read_only=True)
    reported_last_year = serializers.BooleanField(read_only=True, help_text="上年度工作情况已填报（已填报或已审阅）")

    class Meta:
        model = Organization
        fields = [
            "id",
            "name",
            "credit_code",
            "legal_representative",
            "region",
            "region_name",
            "filings",
            "blacklisted",
            "blacklist",
            "annual_reports",
            "reported_last_year",
        ]


FILTERS = [
    OpenApiParameter("province", int, description="省级主管部门编号：只列在该省有备案的机构"),
    OpenApiParameter(
        "status",
        str,
        enum=STATUS_CHOICES,
        description="备案状态（submitted 待审核、approved 已备案、rejected 未通过、revoked 已撤销；none 未备案）",
    ),
    OpenApiParameter("search", str, description="机构名称或统一社会信用代码"),
]


@extend_schema_view(
    list=extend_schema(
        summary="第三方评价机构名录",
        description="调用者可见的评价机构：省级主管部门看到向其备案、在其辖区承担评价或由其列入黑名单的机构，"
        "部级看到全部，评价机构看到本机构。每项含备案状态及省份、黑名单状态、年度工作情况填报情况。",
        parameters=FILTERS,
    ),
    retrieve=extend_schema(
        summary="一家第三方评价机构",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="评价机构（组织机构）编号")],
        responses={200: AssessorRegistrySerializer, 404: OpenApiResponse(description=NOT_FOUND)},
    ),
)
class AssessorRegistryViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AssessorRegistrySerializer
    queryset = Organization.objects.none()
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        user = self.request.user
        today = timezone.localdate()
        filings = sel.filings_visible_to(user)
        reports = sel.reports_visible_to(user)
        blacklist = sel.blacklist_visible_to(user)
        qs = sel.registry_assessors_visible_to(user).annotate(
            blacklisted=Exists(sel.active_blacklist(today).filter(assessor_id=OuterRef("pk"))),
            reported_last_year=Exists(
                reports.filter(
                    assessor_id=OuterRef("pk"),
                    call__year=today.year - 1,
                    status__in=[AssessorAnnualReport.Status.SUBMITTED, AssessorAnnualReport.Status.ACCEPTED],
                )
            ),
        )
        if self.action == "list":
            qs = self._filtered(qs, filings)
        return qs.prefetch_related(
            Prefetch("filings", queryset=filings.order_by("authority__region_id", "-id"), to_attr="visible_filings"),
            Prefetch("blacklistings", queryset=blacklist.order_by("-starts_on", "-id"), to_attr="visible_blacklist"),
            Prefetch("annual_reports", queryset=reports.order_by("-call__year", "-id"), to_attr="visible_reports"),
        ).order_by("name", "id")

    def _filtered(self, qs, filings):
        params = self.request.query_params
        province = params.get("province", "")
        status = params.get("status", "")
        search = params.get("search", "").strip()
        if province.isdigit():
            filings = filings.filter(authority_id=int(province))
            qs = qs.filter(pk__in=filings.values("assessor_id"))
        if status == "none":
            qs = qs.exclude(pk__in=filings.values("assessor_id"))
        elif status in AssessorFiling.Status.values:  # the latest filing with a province has this status
            qs = qs.filter(pk__in=sel.latest_filings(filings).filter(status=status).values("assessor_id"))
        if search:
            qs = qs.filter(Q(name__icontains=search) | Q(credit_code__icontains=search))
        return qs
