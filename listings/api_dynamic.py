"""REST API of the 动态管理表 (/api/v1/dynamic-reports/), registered through listings.api_routes. Thin over
listings.selectors_dynamic and listings.services_dynamic: an invisible report is 404, a service refusal a 400 in
Chinese, no right to act on a visible report a 403."""

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from greenmfg.errors import api_service_errors
from notices.models import Category

from . import selectors_dynamic as sel
from .indicators import CHANGES, INDICATORS
from .models import DynamicReport, DynamicRound, Listing
from .selectors import listings_visible_to
from .services_dynamic import (
    dynamic_report_accept,
    dynamic_report_return,
    dynamic_report_save,
    dynamic_report_start,
    dynamic_report_submit,
)

NOT_FOUND = "未找到该动态管理表，或您无权查看。"
REPORT_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="动态管理表编号")
ERRORS = {
    400: OpenApiResponse(description='数据有误或不符合业务规则：字段错误，或 {"detail": "原因"}（如已过填报截止时间）'),
    403: OpenApiResponse(description="能看到该动态管理表，但无权办理此事项"),
    404: OpenApiResponse(description="动态管理表不存在或不可见"),
}


def _codes() -> str:
    parts = []
    for category, items in INDICATORS.items():
        parts.append(f"{Category(category).label}：" + "、".join(f"{i.code}（{i.full_label}）" for i in items))
    return "；".join(parts)


INDICATORS_HELP = "关键指标 {代码: 数值}，数值不小于0，百分比0–100，是/否填 true/false。各类别指标：" + _codes()
CHANGES_HELP = (
    '变更情况 {代码: {"changed": false} 或 {"changed": true, "value": "变更后内容", "date": "2025-03-01"}}；代码：'
    + "、".join(f"{c.code}（{c.label}{'，仅园区' if len(c.categories) == 1 else ''}）" for c in CHANGES)
)


class RoundRefSerializer(serializers.ModelSerializer):
    authority = serializers.CharField(source="authority.name", help_text="组织单位")
    effective_due_at = serializers.DateTimeField(help_text="截止时间（含延期）")

    class Meta:
        model = DynamicRound
        fields = ["id", "title", "year", "authority", "due_at", "extended_until", "effective_due_at"]


class ListingRefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", help_text="现名称")
    organization = serializers.IntegerField(source="organization_id")
    category = serializers.CharField(help_text="类别：" + "、".join(f"{v} {label}" for v, label in Category.choices))
    level = serializers.CharField(
        help_text="名单层级：" + "、".join(f"{v} {label}" for v, label in Listing.Level.choices)
    )
    status = serializers.CharField(help_text="名单状态：active 有效、removed 已移出")

    class Meta:
        model = Listing
        fields = ["id", "organization", "name", "credit_code", "category", "level", "year", "status"]


class FlagSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField(allow_blank=True)
    better = serializers.CharField(help_text="lower 越低越好 / higher 越高越好 / yes 应为是")
    previous = serializers.JSONField(help_text="上一年度的值")
    current = serializers.JSONField(help_text="本年度的值")
    change_pct = serializers.FloatField(allow_null=True, help_text="变化百分比（上一年度为0或是/否指标为 null）")
    previous_year = serializers.IntegerField(allow_null=True)


class ReportSerializer(serializers.ModelSerializer):
    round = RoundRefSerializer()
    listing = ListingRefSerializer()
    status = serializers.CharField(
        help_text="状态：" + "、".join(f"{v} {label}" for v, label in DynamicReport.Status.choices)
    )
    status_display = serializers.CharField(source="get_status_display")
    flagged = serializers.SerializerMethodField(help_text="较上年变差的指标数")

    class Meta:
        model = DynamicReport
        fields = ["id", "round", "listing", "status", "status_display", "submitted_at", "late", "flagged", "updated_at"]

    def get_flagged(self, report) -> int:
        return len(report.flags or [])


class ReviewSerializer(serializers.Serializer):
    reviewed_at = serializers.DateTimeField(allow_null=True)
    reviewed_by = serializers.CharField(allow_null=True)
    opinion = serializers.CharField(allow_blank=True)


class ReportDetailSerializer(ReportSerializer):
    indicators = serializers.JSONField(help_text=INDICATORS_HELP)
    changes = serializers.JSONField(help_text=CHANGES_HELP)
    flags = FlagSerializer(many=True, help_text="较上一年度变差的指标（提交时计算）")
    review = serializers.SerializerMethodField()

    class Meta(ReportSerializer.Meta):
        fields = [*ReportSerializer.Meta.fields, "indicators", "changes", "note", "flags", "review"]

    @extend_schema_field(ReviewSerializer)
    def get_review(self, report) -> dict:
        by = report.reviewed_by
        return {
            "reviewed_at": report.reviewed_at,
            "reviewed_by": (by.get_full_name() or by.get_username()) if by else None,
            "opinion": report.review_opinion,
        }


class ContentSerializer(serializers.Serializer):
    indicators = serializers.JSONField(required=False, help_text=INDICATORS_HELP + "；未给出的指标保留已保存的值")
    changes = serializers.JSONField(required=False, help_text=CHANGES_HELP)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, help_text="其他说明")

    def validate_indicators(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("应为对象：{指标代码: 数值}。")
        return value

    def validate_changes(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("应为对象：{变更项代码: {...}}。")
        return value


class StartSerializer(ContentSerializer):
    round = serializers.IntegerField(min_value=1, help_text="动态管理填报（轮次）编号")
    listing = serializers.IntegerField(min_value=1, help_text="本单位的名单编号")


class OpinionSerializer(serializers.Serializer):
    opinion = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000, help_text="审核意见")


FILTERS = [
    OpenApiParameter("round", int, description="动态管理填报编号"),
    OpenApiParameter("status", str, enum=DynamicReport.Status.values, description="填报中/已提交/退回修改/审核通过"),
    OpenApiParameter("year", int, description="数据年度"),
    OpenApiParameter("flagged", bool, description="true：只看有指标较上年变差的；false：只看没有的"),
    OpenApiParameter("category", str, enum=Category.values, description="名单类别"),
]


@extend_schema_view(
    list=extend_schema(
        summary="动态管理表",
        description="分页列表：名单单位看到本单位的，主管部门看到辖区内名单单位的，工业和信息化部看到全部。",
        parameters=FILTERS,
    ),
    retrieve=extend_schema(
        summary="一份动态管理表",
        description="含关键指标、变更情况、较上年变差的指标（flags）和审核意见。",
        parameters=[REPORT_ID],
        responses={200: ReportDetailSerializer, 404: ERRORS[404]},
    ),
)
class DynamicReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = DynamicReport.objects.none()  # the model, for the schema; rows come from the selector
    serializer_class = ReportSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        qs = sel.dynamic_reports_visible_to(self.request.user)
        if self.action == "list":
            qs = sel.filter_reports(qs, self.request.query_params)
        return qs.order_by("-round__year", "round_id", "listing__name", "id")

    def get_serializer_class(self):
        return ReportSerializer if self.action == "list" else ReportDetailSerializer

    def get_object(self):
        try:
            return self.get_queryset().get(pk=self.kwargs["pk"])
        except DynamicReport.DoesNotExist:
            raise NotFound(NOT_FOUND) from None

    def _input(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _detail(self, pk, code=status.HTTP_200_OK) -> Response:
        report = sel.dynamic_reports_visible_to(self.request.user).get(pk=pk)
        return Response(ReportDetailSerializer(report, context={"request": self.request}).data, status=code)

    def _save(self, report, data) -> DynamicReport:
        if not any(k in data for k in ("indicators", "changes", "note")):
            return report
        with api_service_errors():
            return dynamic_report_save(
                actor=self.request.user,
                report=report,
                indicators=data.get("indicators"),
                changes=data.get("changes"),
                note=data.get("note"),
                request=self.request,
            )

    @extend_schema(
        summary="开始填报",
        description="名单单位就本单位的一项名单开始填报某次动态管理表（已开始的返回同一份），可同时保存内容（草稿）。",
        request=StartSerializer,
        responses={201: ReportDetailSerializer, **ERRORS},
    )
    def create(self, request, *args, **kwargs):
        data = self._input(StartSerializer)
        round_ = sel.dynamic_rounds_visible_to(request.user).filter(pk=data["round"]).first()
        if round_ is None:
            raise ValidationError({"round": ["动态管理填报不存在或不可见。"]})
        listing = listings_visible_to(request.user).filter(pk=data["listing"]).first()
        if listing is None:
            raise ValidationError({"listing": ["名单不存在或不可见。"]})
        with api_service_errors():
            report = dynamic_report_start(actor=request.user, round=round_, listing=listing, request=request)
        report = self._save(report, data)
        return self._detail(report.pk, status.HTTP_201_CREATED)

    @extend_schema(
        summary="保存草稿",
        description="名单单位保存本单位的动态管理表（填报中或退回修改时）；只检查数值范围和格式，提交时才要求填全。",
        parameters=[REPORT_ID],
        request=ContentSerializer,
        responses={200: ReportDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def save(self, request, pk=None):
        report = self.get_object()
        data = self._input(ContentSerializer)
        if not any(k in data for k in ("indicators", "changes", "note")):
            raise ValidationError({"detail": "请提供 indicators、changes 或 note。"})
        report = self._save(report, data)
        return self._detail(report.pk)

    @extend_schema(
        summary="提交",
        description="名单单位提交本单位的动态管理表（可同时给出最后修改的内容）。填报截止时间（北京时间，含延期）之后首次提交"
        "被拒绝；延期内提交的标记为逾期提交（late）；退回修改的可随时重新提交。提交时计算较上一年度变差的指标（flags）。",
        parameters=[REPORT_ID],
        request=ContentSerializer,
        responses={200: ReportDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        report = self.get_object()
        data = self._input(ContentSerializer)
        report = self._save(report, data)
        with api_service_errors():
            report = dynamic_report_submit(actor=request.user, report=report, request=request)
        return self._detail(report.pk)

    @extend_schema(
        summary="审核通过",
        description="组织填报的主管部门（审核人或管理员）审核通过已提交的动态管理表；申报了名称变更的，名单名称随之更新。",
        parameters=[REPORT_ID],
        request=OpinionSerializer,
        responses={200: ReportDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        report = self.get_object()
        data = self._input(OpinionSerializer)
        with api_service_errors():
            report = dynamic_report_accept(actor=request.user, report=report, opinion=data["opinion"], request=request)
        return self._detail(report.pk)

    @extend_schema(
        summary="退回修改",
        description="组织填报的主管部门（审核人或管理员）退回已提交的动态管理表，须填写审核意见。",
        parameters=[REPORT_ID],
        request=OpinionSerializer,
        responses={200: ReportDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, pk=None):
        report = self.get_object()
        data = self._input(OpinionSerializer)
        with api_service_errors():
            report = dynamic_report_return(actor=request.user, report=report, opinion=data["opinion"], request=request)
        return self._detail(report.pk)
