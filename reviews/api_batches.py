"""REST API of recommendation batches (推荐批次); ROUTES are registered on the /api/v1/ router by reviews.api_routes.

Same selectors and services as the pages: an invisible batch is 404; a refusal is 400 with the Chinese problems;
someone else having changed the batch first (a stale `version`, or a state the action does not start from) is 409;
no right to act on a visible batch is 403.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
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
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from greenmfg.validators import MAX_OBJECT_ID
from notices.models import Notice
from notices.selectors import notices_visible_to
from organizations.models import Organization
from organizations.selectors import memberships_of

from .models import Batch
from .selectors.batches import batch_for, batches_visible_to, with_counts
from .services.batches import (
    DECIDING,
    BatchConflict,
    batch_create,
    batch_deadline,
    batch_findings,
    batch_items_set,
    batch_receive,
    batch_return,
    batch_scan_upload,
    batch_submit,
)

NOT_FOUND = "未找到该推荐批次，或您无权查看。"
BATCH_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="推荐批次编号")
ACTIONS = {"submit": "报送", "receive": "签收", "return": "退回"}


class BatchOrgSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class BatchItemSerializer(serializers.Serializer):
    rank = serializers.IntegerField(help_text="推荐顺序，从 1 起")
    application = serializers.IntegerField(source="application_id", help_text="申报编号")
    applicant = serializers.CharField(source="application.applicant.name", help_text="申报单位")
    category = serializers.CharField(source="application.category")
    state = serializers.CharField(source="application.state", help_text="申报当前状态")
    holder = serializers.CharField(source="application.holder.name", help_text="申报当前办理单位")


class BatchFindingSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=["error", "warning", "info"], help_text="error 须处理（不能报送）")
    code = serializers.CharField(help_text="QUOTA、ASSESSOR-CAP、STATE、ELIGIBILITY、SCAN、DEADLINE、DOCUMENTS……")
    message = serializers.CharField()
    application = serializers.IntegerField(source="application_id", allow_null=True)


class BatchDeadlineSerializer(serializers.Serializer):
    due_at = serializers.DateTimeField()
    extended = serializers.BooleanField()
    past = serializers.BooleanField()


class BatchScanInfoSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="原文件名")
    sha256 = serializers.CharField()
    uploaded_at = serializers.DateTimeField()


class BatchSerializer(serializers.ModelSerializer):
    authority = BatchOrgSerializer()
    recipient = BatchOrgSerializer()
    state = serializers.CharField(help_text="draft 草稿、submitted 已报送、received 已签收、returned 已退回")
    state_display = serializers.CharField(source="get_state_display")
    item_count = serializers.IntegerField(help_text="申报项数")

    class Meta:
        model = Batch
        fields = [
            "id",
            "title",
            "year",
            "number",
            "authority",
            "recipient",
            "notice",
            "state",
            "state_display",
            "version",
            "item_count",
            "created_at",
            "submitted_at",
            "received_at",
            "returned_at",
            "return_reason",
        ]


class BatchDetailSerializer(BatchSerializer):
    items = BatchItemSerializer(many=True)
    findings = BatchFindingSerializer(many=True)
    deadline = BatchDeadlineSerializer(allow_null=True, help_text="报送截止时间（北京时间），上级未设定为 null")
    scan = serializers.SerializerMethodField(help_text="盖章扫描件；未上传为 null")

    class Meta(BatchSerializer.Meta):
        fields = [*BatchSerializer.Meta.fields, "items", "findings", "deadline", "scan"]

    @extend_schema_field(BatchScanInfoSerializer(allow_null=True))
    def get_scan(self, batch) -> dict | None:
        if not batch.scan:
            return None
        return {"name": batch.scan_name, "sha256": batch.scan_sha256, "uploaded_at": batch.scan_uploaded_at}


class BatchCreateSerializer(serializers.Serializer):
    notice = serializers.PrimaryKeyRelatedField(
        queryset=Notice.objects.all(), label="通知", error_messages={"does_not_exist": "通知不存在或不可见。"}
    )
    applications = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_OBJECT_ID),
        label="申报（按推荐顺序）",
        allow_empty=False,
    )
    title = serializers.CharField(required=False, allow_blank=True, max_length=200, label="批次名称")
    authority = serializers.IntegerField(required=False, label="推荐单位", help_text="本人在多个主管部门任职时指定")

    def validate_notice(self, notice):
        if not notices_visible_to(self.context["request"].user).filter(pk=notice.pk).exists():
            raise ValidationError("通知不存在或不可见。")
        return notice


class BatchUpdateSerializer(serializers.Serializer):
    applications = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_OBJECT_ID),
        label="申报（按推荐顺序）",
        allow_empty=False,
    )
    version = serializers.IntegerField(required=False, min_value=1, label="期望版本")


class BatchScanSerializer(serializers.Serializer):
    file = serializers.FileField(label="盖章扫描件", help_text="PDF、JPG 或 PNG，按内容识别")


class BatchTransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=list(ACTIONS.items()), label="操作", error_messages={"invalid_choice": "未知操作：{input}。"}
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="", label="理由（退回时必填）")
    version = serializers.IntegerField(required=False, min_value=1, label="期望版本")


class BatchRefusalSerializer(serializers.Serializer):
    # Either a refusal (detail and problems) or the request's field errors keyed by field: neither key is required.
    detail = serializers.CharField(required=False)
    problems = serializers.ListField(child=serializers.CharField(), required=False)


class BatchConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    state = serializers.CharField()
    version = serializers.IntegerField()


ERRORS = {
    400: OpenApiResponse(
        BatchRefusalSerializer, description="不符合业务规则（problems 逐项列出），或字段错误（按字段名列出）"
    ),
    403: OpenApiResponse(description="能看到该批次，但无权办理"),
    404: OpenApiResponse(description="批次不存在或不可见"),
    409: OpenApiResponse(BatchConflictSerializer, description="批次已被他人处理（版本或状态已变）"),
}


def _refused(exc: DjangoValidationError, what: str):
    if hasattr(exc, "error_dict"):
        problems = [m for messages in exc.message_dict.values() for m in messages]
    else:
        problems = list(exc.messages)
    return ValidationError({"detail": f"未能{what}：" + "；".join(problems), "problems": problems})


@extend_schema_view(
    list=extend_schema(
        summary="可见的推荐批次",
        description="分页列表：本单位的批次（含草稿），以及下级报送给本单位的批次。",
        parameters=[
            OpenApiParameter("state", str, enum=Batch.State.values, description="状态"),
            OpenApiParameter("notice", int, description="通知编号"),
            OpenApiParameter("direction", str, enum=["own", "incoming"], description="own 本单位的、incoming 收到的"),
        ],
    ),
)
class BatchViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = Batch.objects.none()
    serializer_class = BatchSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        qs = batches_visible_to(self.request.user)
        params = self.request.query_params
        if params.get("state") in Batch.State.values:
            qs = qs.filter(state=params["state"])
        if params.get("notice", "").isdigit():
            qs = qs.filter(notice_id=int(params["notice"]))
        orgs = [m.organization_id for m in memberships_of(self.request.user)]
        if params.get("direction") == "own":
            qs = qs.filter(authority_id__in=orgs)
        elif params.get("direction") == "incoming":
            qs = qs.filter(recipient_id__in=orgs)
        return with_counts(qs).order_by("-created_at", "-id")

    def _visible(self, pk) -> Batch:
        try:
            return batch_for(self.request.user, pk)
        except Http404:
            raise NotFound(NOT_FOUND) from None

    def _detail(self, batch: Batch, code=status.HTTP_200_OK) -> Response:
        batch = self._visible(batch.pk)
        batch.item_count = len(batch.items.all())
        deadline = batch_deadline(batch)
        batch.findings = batch_findings(batch)
        batch.deadline = (
            {"due_at": deadline.due_at, "extended": bool(deadline.extension), "past": deadline.is_past()}
            if deadline
            else None
        )
        return Response(BatchDetailSerializer(batch).data, status=code)

    def _input(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _conflict(self, batch: Batch, exc) -> Response:
        current = Batch.objects.get(pk=batch.pk)
        return Response(
            {"detail": "".join(exc.messages), "state": current.state, "version": current.version},
            status=status.HTTP_409_CONFLICT,
        )

    def _authority(self, requested: int | None, application_ids) -> Organization:
        deciding = [
            m.organization
            for m in memberships_of(self.request.user)
            if m.role in DECIDING and m.organization.kind == Organization.Kind.AUTHORITY
        ]
        if requested is not None:
            match = [o for o in deciding if o.pk == requested]
        elif len(deciding) > 1:
            from applications.models import Application

            holders = set(Application.objects.filter(pk__in=application_ids).values_list("holder_id", flat=True))
            match = [o for o in deciding if o.pk in holders]
        else:
            match = deciding
        if len(match) != 1:
            raise ValidationError({"authority": ["请指定以哪个主管部门的名义报送（须为该单位的审批人或管理员）。"]})
        return match[0]

    @extend_schema(
        summary="新建推荐批次（草稿）",
        description="notice 为报送依据的通知；applications 为本单位已推荐的申报编号，按推荐顺序排列。"
        "批次序号按本单位本年度顺延；名称留空时自动生成。",
        request=BatchCreateSerializer,
        responses={201: BatchDetailSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    )
    def create(self, request, *args, **kwargs):
        data = self._input(BatchCreateSerializer)
        authority = self._authority(data.get("authority"), data["applications"])
        try:
            batch = batch_create(
                actor=request.user,
                authority=authority,
                notice=data["notice"],
                applications=data["applications"],
                title=data.get("title", ""),
                request=request,
            )
        except DjangoValidationError as exc:
            raise _refused(exc, "新建批次") from exc
        return self._detail(batch, status.HTTP_201_CREATED)

    @extend_schema(
        summary="一个推荐批次",
        description="含按推荐顺序排列的申报、全部检查结果（名额、评价机构上限、资格、扫描件、截止时间、文书）、"
        "状态、版本和报送截止时间。",
        parameters=[BATCH_ID],
        responses={200: BatchDetailSerializer, 404: ERRORS[404]},
    )
    def retrieve(self, request, pk=None):
        return self._detail(self._visible(pk))

    @extend_schema(
        summary="调整推荐顺序",
        description="仅草稿：applications 为调整后的全部申报（按推荐顺序），可同时加入或移出。",
        parameters=[BATCH_ID],
        request=BatchUpdateSerializer,
        responses={200: BatchDetailSerializer, **ERRORS},
    )
    def partial_update(self, request, pk=None):
        batch = self._visible(pk)
        data = self._input(BatchUpdateSerializer)
        try:
            batch = batch_items_set(
                actor=request.user,
                batch=batch,
                applications=data["applications"],
                expected_version=data.get("version"),
                request=request,
            )
        except BatchConflict as exc:
            return self._conflict(batch, exc)
        except DjangoValidationError as exc:
            raise _refused(exc, "调整批次") from exc
        return self._detail(batch)

    @extend_schema(
        summary="上传盖章扫描件",
        description="multipart：file 为推荐文和推荐汇总表签字盖章后的扫描件（PDF、JPG 或 PNG，按内容识别）；"
        "仅草稿。不符合的不保存任何内容。",
        parameters=[BATCH_ID],
        request={"multipart/form-data": BatchScanSerializer},
        responses={200: BatchDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def scan(self, request, pk=None):
        batch = self._visible(pk)
        data = self._input(BatchScanSerializer)
        try:
            batch = batch_scan_upload(actor=request.user, batch=batch, upload=data["file"], request=request)
        except BatchConflict as exc:
            return self._conflict(batch, exc)
        except DjangoValidationError as exc:
            raise _refused(exc, "上传扫描件") from exc
        return self._detail(batch)

    @extend_schema(
        summary="报送、签收或退回批次",
        description="action：submit 报送（推荐单位，截止时间前、无须处理的问题）、receive 签收（上级）、"
        "return 整批退回（上级，须填写 reason，且尚未对其中任何申报作出决定）。version 为看到的批次版本。",
        parameters=[BATCH_ID],
        request=BatchTransitionSerializer,
        responses={200: BatchDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def transitions(self, request, pk=None):
        batch = self._visible(pk)
        data = self._input(BatchTransitionSerializer)
        common = {"actor": request.user, "batch": batch, "expected_version": data.get("version"), "request": request}
        try:
            if data["action"] == "submit":
                batch = batch_submit(**common)
            elif data["action"] == "receive":
                batch = batch_receive(**common)
            else:
                batch = batch_return(reason=data["reason"], **common)
        except BatchConflict as exc:
            return self._conflict(batch, exc)
        except DjangoValidationError as exc:
            raise _refused(exc, ACTIONS[data["action"]]) from exc
        return self._detail(batch)


ROUTES = [("batches", BatchViewSet, "api-batch")]
