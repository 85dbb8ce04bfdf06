"""REST API of expert review under /api/v1/expert-reviews/; ROUTES are registered on the /api/v1/ router by
reviews.api_routes. Thin over reviews.selectors.experts and reviews.services.experts: an invisible panel or
assignment is 404, a service refusal a 400 in Chinese, no right to act on a visible one a 403."""

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

from applications.selectors import applications_visible_to
from greenmfg.errors import api_service_errors
from greenmfg.validators import MAX_OBJECT_ID
from notices.models import Category, Notice
from organizations.models import ExpertProfile, Organization

from .models import Assignment, Panel
from .selectors import experts as sel
from .services import experts as services

PANEL_NOT_FOUND = "未找到该评审组，或您无权查看。"
ASSIGNMENT_NOT_FOUND = "未找到该评审任务，或您无权查看。"
PANEL_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="评审组编号")
ASSIGNMENT_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="评审任务编号")
ERRORS = {
    400: OpenApiResponse(description='数据有误或不符合业务规则：字段错误，或 {"detail": "原因"}'),
    403: OpenApiResponse(description="能看到该对象，但无权办理此事项"),
    404: OpenApiResponse(description="对象不存在或不可见"),
}


# ------------------------------------------------------------------------------------------------ serializers


class ExpertRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__")
    title = serializers.CharField(help_text="职称")
    employer = serializers.CharField(help_text="工作单位")


class ExpertCriterionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(label="评分项", max_length=128)
    description = serializers.CharField(label="评分要点", max_length=255, required=False, allow_blank=True)
    weight = serializers.DecimalField(label="权重", max_digits=5, decimal_places=2)
    max_score = serializers.IntegerField(label="满分")


class PanelSerializer(serializers.ModelSerializer):
    authority = serializers.CharField(source="authority.name", read_only=True, help_text="组织评审单位")
    notice_title = serializers.CharField(source="notice.title", read_only=True)
    category = serializers.ChoiceField(choices=Category.choices)
    experts = ExpertRefSerializer(many=True, read_only=True)
    criteria = ExpertCriterionSerializer(many=True, read_only=True)

    class Meta:
        model = Panel
        fields = [
            "id",
            "authority",
            "notice",
            "notice_title",
            "category",
            "name",
            "aggregate",
            "experts_per_application",
            "experts",
            "criteria",
            "created_at",
        ]


class PanelCreateSerializer(serializers.Serializer):
    authority = serializers.PrimaryKeyRelatedField(
        label="组织评审单位", queryset=Organization.objects.filter(kind=Organization.Kind.AUTHORITY)
    )
    notice = serializers.PrimaryKeyRelatedField(label="依据的通知", queryset=Notice.objects.all())
    category = serializers.ChoiceField(label="申报类别", choices=Category.choices)
    name = serializers.CharField(label="评审组名称", max_length=128)
    aggregate = serializers.ChoiceField(label="汇总方式", choices=Panel.Aggregate.choices, default="mean")
    experts_per_application = serializers.IntegerField(label="每项申报评审专家数", default=3)
    experts = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_OBJECT_ID),
        label="专家编号",
        required=False,
        default=list,
    )
    criteria = ExpertCriterionSerializer(many=True, required=False, help_text="评分表；可省略，稍后在页面设置")


class AssignRequestSerializer(serializers.Serializer):
    application = serializers.IntegerField(label="申报编号")
    expert = serializers.IntegerField(label="专家编号")


class AssignmentScoreSerializer(serializers.Serializer):
    criterion = serializers.IntegerField(help_text="评分项编号")
    value = serializers.CharField(help_text="得分，两位小数")


class AssignmentSerializer(serializers.ModelSerializer):
    panel = serializers.IntegerField(source="panel_id")
    panel_name = serializers.CharField(source="panel.name")
    application = serializers.IntegerField(source="application_id")
    applicant = serializers.CharField(source="application.applicant.name", help_text="申报单位")
    expert = ExpertRefSerializer()
    status = serializers.CharField(help_text="assigned 待评审 / declined 已拒绝 / submitted 已评分")
    status_display = serializers.CharField(source="get_status_display")
    scores = serializers.SerializerMethodField(help_text="各评分项得分")

    class Meta:
        model = Assignment
        fields = [
            "id",
            "panel",
            "panel_name",
            "application",
            "applicant",
            "expert",
            "status",
            "status_display",
            "decline_reason",
            "total",
            "comment",
            "scores",
            "assigned_at",
            "responded_at",
        ]

    @extend_schema_field(AssignmentScoreSerializer(many=True))
    def get_scores(self, assignment) -> list[dict]:
        return [{"criterion": s.criterion_id, "value": str(s.value)} for s in assignment.scores.all()]


class AutoAssignResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="新分配的评审任务数")
    unfilled = serializers.ListField(child=serializers.DictField(), help_text="专家不足的申报及原因")


class DeclineRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(label="拒绝理由", allow_blank=True)
    conflict = serializers.BooleanField(label="回避（记录利益冲突）", default=False)


class ScoreItemSerializer(serializers.Serializer):
    criterion = serializers.IntegerField(label="评分项编号")
    value = serializers.CharField(label="得分", help_text="0 至满分，最多两位小数")


class ScoreRequestSerializer(serializers.Serializer):
    scores = ScoreItemSerializer(many=True, label="各项得分")
    comment = serializers.CharField(label="评审意见", required=False, allow_blank=True, default="")


class RankingRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField(allow_null=True, help_text="名次；未评分为 null")
    application = serializers.IntegerField(source="application.pk")
    applicant = serializers.CharField(source="applicant.name")
    region = serializers.CharField(source="region.name")
    scored = serializers.IntegerField(help_text="已提交评分的专家数")
    expected = serializers.IntegerField(help_text="应评专家数")
    totals = serializers.ListField(child=serializers.DecimalField(max_digits=7, decimal_places=2))
    score = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True, help_text="汇总得分")
    badges = serializers.ListField(child=serializers.CharField(), source="badge_labels", help_text="优先条件")
    within_quota = serializers.BooleanField(help_text="是否在推荐名额内")
    state = serializers.CharField(source="application.state")


class RankingSerializer(serializers.Serializer):
    quota = serializers.IntegerField(allow_null=True, help_text="本单位该类别推荐名额；未设为 null")
    aggregate = serializers.CharField(source="panel.aggregate")
    rows = RankingRowSerializer(many=True)


_DECIMAL = RankingRowSerializer().fields["score"]


def ranking_payload(data: sel.Ranking) -> dict:
    """RankingSerializer(data).data, built directly: the serializer's field machinery took ~40 µs a row, and a
    province's panel has hundreds (tests/test_expert_api.py holds the two equal)."""

    def decimal(value):
        return None if value is None else _DECIMAL.to_representation(value)

    return {
        "quota": data.quota,
        "aggregate": data.panel.aggregate,
        "rows": [
            {
                "rank": row.rank,
                "application": row.application.pk,
                "applicant": row.applicant.name,
                "region": row.region.name,
                "scored": row.scored,
                "expected": row.expected,
                "totals": [decimal(t) for t in row.totals],
                "score": decimal(row.score),
                "badges": row.badge_labels,
                "within_quota": row.within_quota,
                "state": row.application.state,
            }
            for row in data.rows
        ],
    }


# ------------------------------------------------------------------------------------------------- viewsets


@extend_schema_view(
    list=extend_schema(summary="可见的专家评审组", description="组织评审的主管部门人员看到本单位的评审组。"),
    retrieve=extend_schema(
        summary="一个评审组", parameters=[PANEL_ID], responses={200: PanelSerializer, 404: ERRORS[404]}
    ),
)
class PanelViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = PanelSerializer

    def get_queryset(self):
        qs = sel.panels_visible_to(self.request.user).order_by("-notice__year", "category", "id")
        # The ranking reads neither; a large panel's experts were a fifth of its time.
        return qs if self.action == "ranking" else qs.prefetch_related("criteria", "experts__user")

    def get_object(self):
        try:
            return self.get_queryset().get(pk=self.kwargs["pk"])
        except (Panel.DoesNotExist, ValueError):
            raise NotFound(PANEL_NOT_FOUND) from None

    def _member_panel(self) -> Panel:
        panel = self.get_object()
        if not services.is_panel_member(self.request.user, panel):
            raise NotFound(PANEL_NOT_FOUND)
        return panel

    @extend_schema(
        summary="新建评审组",
        description="省级或部级主管部门为一个通知的一个申报类别设置评审组，专家取自本单位专家库；可同时提交评分表。",
        request=PanelCreateSerializer,
        responses={201: PanelSerializer, **ERRORS},
    )
    def create(self, request):
        data = PanelCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        with api_service_errors():
            panel = services.panel_save(
                actor=request.user,
                authority=d["authority"],
                notice=d["notice"],
                category=d["category"],
                name=d["name"],
                aggregate=d["aggregate"],
                experts_per_application=d["experts_per_application"],
                experts=d["experts"],
                request=request,
            )
            if d.get("criteria"):
                services.criteria_save(actor=request.user, panel=panel, rows=d["criteria"], request=request)
        return Response(PanelSerializer(self.get_queryset().get(pk=panel.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="分配一位专家评审一项申报",
        description="存在回避情形（申报单位或其评价机构的成员、现任关联、已声明回避）时答复 400 并说明原因。",
        parameters=[PANEL_ID],
        request=AssignRequestSerializer,
        responses={201: AssignmentSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        panel = self._member_panel()
        data = AssignRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = applications_visible_to(request.user).filter(pk=data.validated_data["application"]).first()
        expert = ExpertProfile.objects.filter(pk=data.validated_data["expert"]).select_related("user").first()
        if application is None:
            raise ValidationError({"application": ["未找到该申报。"]})
        if expert is None:
            raise ValidationError({"expert": ["未找到该专家。"]})
        with api_service_errors():
            assignment = services.assignment_create(
                actor=request.user, panel=panel, application=application, expert=expert, request=request
            )
        assignment = sel.assignments_visible_to(request.user).prefetch_related("scores").get(pk=assignment.pk)
        return Response(AssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="自动分配（均衡负载）",
        description="为本单位审核中的本类别申报补足专家，任务少的专家优先，从不分配存在回避情形的专家。",
        parameters=[PANEL_ID],
        request=None,
        responses={200: AutoAssignResultSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="auto-assign")
    def auto_assign(self, request, pk=None):
        panel = self._member_panel()
        before = panel.assignments.count()
        with api_service_errors():
            unfilled = services.assignments_auto(actor=request.user, panel=panel, request=request)
        return Response(
            {
                "created": panel.assignments.count() - before,
                "unfilled": [
                    {"application": u["application"].pk, "missing": u["missing"], "reasons": u["reasons"]}
                    for u in unfilled
                ],
            }
        )

    @extend_schema(
        summary="排名表",
        description="按汇总得分排序，含各专家得分、优先条件和推荐名额线。",
        parameters=[PANEL_ID],
        responses={200: RankingSerializer, 404: ERRORS[404]},
    )
    @action(detail=True, methods=["get"])
    def ranking(self, request, pk=None):
        return Response(ranking_payload(sel.ranking(self._member_panel())))


@extend_schema_view(
    list=extend_schema(
        summary="可见的评审任务",
        description="专家看到分配给本人的任务；组织评审的主管部门人员看到本单位评审组的任务。",
        parameters=[
            OpenApiParameter("status", str, enum=Assignment.Status.values, description="状态"),
            OpenApiParameter("panel", int, description="评审组编号"),
        ],
    ),
    retrieve=extend_schema(
        summary="一项评审任务", parameters=[ASSIGNMENT_ID], responses={200: AssignmentSerializer, 404: ERRORS[404]}
    ),
)
class AssignmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AssignmentSerializer

    def get_queryset(self):
        qs = sel.assignments_visible_to(self.request.user).prefetch_related("scores").order_by("-assigned_at", "-id")
        if self.action == "list":
            if self.request.query_params.get("status") in Assignment.Status.values:
                qs = qs.filter(status=self.request.query_params["status"])
            panel = self.request.query_params.get("panel") or ""
            if panel.isdigit():
                qs = qs.filter(panel_id=int(panel))
        return qs

    def get_object(self):
        try:
            return self.get_queryset().get(pk=self.kwargs["pk"])
        except (Assignment.DoesNotExist, ValueError):
            raise NotFound(ASSIGNMENT_NOT_FOUND) from None

    @extend_schema(
        summary="拒绝评审",
        description="专家本人；须填写理由。conflict 为 true 时同时记录对申报单位的回避声明。",
        parameters=[ASSIGNMENT_ID],
        request=DeclineRequestSerializer,
        responses={200: AssignmentSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        assignment = self.get_object()
        data = DeclineRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with api_service_errors():
            services.assignment_decline(
                actor=request.user,
                assignment=assignment,
                reason=data.validated_data["reason"],
                conflict=data.validated_data["conflict"],
                request=request,
            )
        return Response(AssignmentSerializer(self.get_object()).data)

    @extend_schema(
        summary="提交评分",
        description="专家本人；每个评分项都须打分（0 至满分）。加权总分 = Σ（得分÷满分×权重）÷Σ权重×100。",
        parameters=[ASSIGNMENT_ID],
        request=ScoreRequestSerializer,
        responses={200: AssignmentSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def score(self, request, pk=None):
        assignment = self.get_object()
        data = ScoreRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = {item["criterion"]: item["value"] for item in data.validated_data["scores"]}
        with api_service_errors():
            services.score_submit(
                actor=request.user,
                assignment=assignment,
                values=values,
                comment=data.validated_data["comment"],
                request=request,
            )
        return Response(AssignmentSerializer(self.get_object()).data)


ROUTES: list = [
    ("expert-reviews/panels", PanelViewSet, "api-expert-panel"),
    ("expert-reviews/assignments", AssignmentViewSet, "api-expert-assignment"),
]
