"""REST API of the statistics: /api/v1/assessors/pass-rates/, each third-party assessor's pass rate as the ministry
publishes it (002 §三), through the same selector as the page. ROUTES are registered on the /api/v1/ router by
stats.api_routes, before the assessor registry's `assessors` viewset."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets

from applications.models import Engagement

from . import selectors as sel


class PassRateQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(
        required=False, min_value=2000, max_value=2100, error_messages={"invalid": "年度应为四位数字。"}
    )
    notice = serializers.IntegerField(required=False, error_messages={"invalid": "通知编号应为数字。"})
    province = serializers.IntegerField(required=False, error_messages={"invalid": "省级主管部门编号应为数字。"})


class PassRateSerializer(serializers.Serializer):
    assessor = serializers.IntegerField(source="assessor_id", help_text="第三方评价机构编号")
    name = serializers.CharField(source="assessor__name", help_text="第三方评价机构名称")
    credit_code = serializers.CharField(source="assessor__credit_code", help_text="统一社会信用代码")
    evaluated = serializers.IntegerField(help_text="评价数：该机构已接受委托、且申报单位已提交的申报")
    recommended_county = serializers.IntegerField(help_text="县级主管部门最近一次决定为推荐的申报数")
    recommended_city = serializers.IntegerField(help_text="市级主管部门最近一次决定为推荐的申报数")
    recommended_province = serializers.IntegerField(help_text="省级主管部门最近一次决定为推荐的申报数")
    recommended_ministry = serializers.IntegerField(help_text="工信部最近一次决定为推荐的申报数")
    listed = serializers.IntegerField(help_text="入选名单的申报数")
    rate_county = serializers.FloatField(allow_null=True, help_text="县级通过率，百分数，保留一位小数")
    rate_city = serializers.FloatField(allow_null=True, help_text="市级通过率，百分数")
    rate_province = serializers.FloatField(allow_null=True, help_text="省级通过率，百分数")
    rate_ministry = serializers.FloatField(allow_null=True, help_text="部级通过率，百分数")
    rate_listed = serializers.FloatField(allow_null=True, help_text="入选率，百分数")


@extend_schema(
    summary="第三方评价机构通过率",
    description=(
        "按工信部公开第三方评价机构通过率的口径（工信厅节函〔2022〕235号）：评价数为该机构已接受委托、且已提交的申报；"
        "某级通过率 = 该级主管部门最近一次决定为推荐的申报数 ÷ 评价数。按评价数从多到少排列。"
        "主管部门看到本辖区申报的统计（工信部看到全部），第三方评价机构只看到本机构一行；其他用户答复 404。"
        "不带筛选条件时统计全部年度。"
    ),
    parameters=[
        OpenApiParameter("year", int, description="通知年度"),
        OpenApiParameter("notice", int, description="通知编号：统计该通知及其各级转发（看不到的通知答复 404）"),
        OpenApiParameter("province", int, description="省级主管部门编号：只统计该省辖区（不是省级主管部门答复 404）"),
    ],
    responses={200: PassRateSerializer(many=True), 404: OpenApiResponse(description="无权查看统计，或通知不存在")},
)
class PassRateViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = PassRateSerializer
    queryset = Engagement.objects.none()

    def list(self, request, *args, **kwargs):
        viewer = sel.api_viewer(request.user)
        params = PassRateQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        filters = sel.Filters(year=params.validated_data.get("year"))
        if "notice" in params.validated_data:
            filters.notice, filters.family_ids = sel.notice_filter(request.user, params.validated_data["notice"])
        if "province" in params.validated_data:
            filters.province = sel.province_or_404(viewer, params.validated_data["province"])
        page = self.paginate_queryset(sel.pass_rates(viewer, filters))
        return self.get_paginated_response(self.get_serializer([sel.with_rates(r) for r in page], many=True).data)
