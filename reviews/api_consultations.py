"""REST API of department consultations (征求意见); ROUTES are registered on the /api/v1/ router by
reviews.api_routes. Thin over reviews.selectors.consultations and reviews.services.consultations: an invisible
consultation is 404, a service refusal a 400 in Chinese, no right to act on a visible one a 403."""

from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from applications.models import NegativeItem
from applications.selectors import applications_visible_to
from greenmfg.validators import MAX_OBJECT_ID
from organizations.models import Organization
from organizations.selectors import acting_org_ids

from .models import Consultation, ConsultationReply
from .selectors import consultations as sel
from .services.consultations import consultation_send, reply_submit, reply_waive

NOT_FOUND = "未找到该征求意见，或您无权查看。"
CONSULTATION_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="征求意见编号")
ERRORS = {
    400: OpenApiResponse(description='数据有误或不符合业务规则：字段错误，或 {"detail": "原因"}'),
    403: OpenApiResponse(description="能看到该征求意见，但无权办理此事项"),
    404: OpenApiResponse(description="征求意见不存在或不可见"),
}
FIELD_ALIASES = {"due_on": "due"}


@contextmanager
def service_errors():
    try:
        yield
    except DjangoValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise ValidationError({"detail": "".join(exc.messages)}) from exc
        errors: dict = {}
        for field, messages in exc.message_dict.items():
            if field == NON_FIELD_ERRORS:
                errors["detail"] = "".join(messages)
            else:
                errors.setdefault(FIELD_ALIASES.get(field, field), []).extend(messages)
        raise ValidationError(errors) from exc
    except Exception as exc:
        from django.core.exceptions import PermissionDenied as DjangoPermissionDenied

        if isinstance(exc, DjangoPermissionDenied):
            raise PermissionDenied(str(exc) or "您无权办理此事项。") from exc
        raise


class OrgRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class DepartmentRefSerializer(OrgRefSerializer):
    domain = serializers.ChoiceField(choices=Organization.Domain.choices, help_text="职能领域")


class ApplicationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    applicant = serializers.CharField(source="applicant.name", help_text="申报单位")
    credit_code = serializers.CharField(source="applicant.credit_code")
    category = serializers.CharField()


class ReplySerializer(serializers.ModelSerializer):
    application = ApplicationRefSerializer()
    department = DepartmentRefSerializer()
    opinion_display = serializers.CharField(source="get_opinion_display")
    proof_url = serializers.SerializerMethodField(help_text="证明材料下载地址；无则为 null")
    late = serializers.SerializerMethodField(help_text="是否在反馈截止日期之后反馈")
    negative_item = serializers.CharField(help_text="异议涉及的负面清单事项代码，如 NEG-ENVIRONMENT；无异议为空")

    class Meta:
        model = ConsultationReply
        fields = [
            "id",
            "application",
            "department",
            "opinion",
            "opinion_display",
            "reason",
            "negative_item",
            "proof_name",
            "proof_sha256",
            "proof_url",
            "replied_at",
            "late",
            "waived_reason",
            "waived_at",
        ]

    def get_proof_url(self, reply) -> str | None:
        if not reply.proof:
            return None
        return reverse("consultation-proof", args=[reply.consultation_id, reply.pk])

    def get_late(self, reply) -> bool:
        return bool(reply.replied_at) and timezone.localdate(reply.replied_at) > reply.consultation.due_on


class ConsultationSerializer(serializers.ModelSerializer):
    authority = OrgRefSerializer()
    applications = serializers.IntegerField(source="n_applications", help_text="申报数")
    departments = serializers.IntegerField(source="n_departments", help_text="部门数")
    replies = serializers.IntegerField(source="n_replies", help_text="应反馈的意见数（申报×部门）")
    answered = serializers.IntegerField(source="n_answered", help_text="已反馈数")
    objections = serializers.IntegerField(source="n_objections", help_text="有异议数")
    pending = serializers.IntegerField(source="n_open", help_text="尚未反馈且未记录逾期原因的数")
    overdue = serializers.SerializerMethodField(help_text="已过反馈截止日期且仍有未反馈")

    class Meta:
        model = Consultation
        fields = [
            "id",
            "authority",
            "notice",
            "due_on",
            "message",
            "created_at",
            "applications",
            "departments",
            "replies",
            "answered",
            "objections",
            "pending",
            "overdue",
        ]

    def get_overdue(self, c) -> bool:
        return bool(c.n_open) and c.due_on < timezone.localdate()


class ConsultationDetailSerializer(ConsultationSerializer):
    replies_list = serializers.SerializerMethodField(
        help_text="可见的反馈意见：主管部门看到全部，协同部门只看到本部门的"
    )

    class Meta(ConsultationSerializer.Meta):
        fields = [*ConsultationSerializer.Meta.fields, "replies_list"]

    @extend_schema_field(ReplySerializer(many=True))
    def get_replies_list(self, c) -> list[dict]:
        rows = (
            sel.replies_visible_to(self.context["request"].user)
            .filter(consultation=c)
            .order_by("application_id", "department_id")
        )
        return ReplySerializer(rows, many=True).data


class SendSerializer(serializers.Serializer):
    applications = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_OBJECT_ID),
        allow_empty=False,
        help_text="申报编号（本单位审核中的）",
    )
    departments = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_OBJECT_ID),
        allow_empty=False,
        help_text="本单位对口协同部门的编号",
    )
    due = serializers.DateField(label="反馈截止日期", help_text="如 2025-05-20，不早于今天（北京时间）")
    message = serializers.CharField(label="函告内容", required=False, allow_blank=True, default="", max_length=2000)


class ReplyRequestSerializer(serializers.Serializer):
    application = serializers.IntegerField(min_value=1, max_value=MAX_OBJECT_ID, help_text="申报编号")
    opinion = serializers.ChoiceField(
        choices=[("no_objection", "无异议"), ("objection", "有异议")],
        error_messages={"invalid_choice": "请选择“无异议”（no_objection）或“有异议”（objection）。"},
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="", help_text="有异议的必须填写")
    negative_item = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="异议涉及的负面清单事项代码（" + "、".join(NegativeItem.values) + "）；"
        "不填按部门职能（生态环境→NEG-ENVIRONMENT，应急管理→NEG-SAFETY，市场监管→NEG-QUALITY）",
    )
    proof = serializers.FileField(required=False, help_text="证明材料（PDF/JPG/PNG，按内容识别，不超过 20 MB）")


class WaiveRequestSerializer(serializers.Serializer):
    application = serializers.IntegerField(min_value=1, max_value=MAX_OBJECT_ID, help_text="申报编号")
    department = serializers.IntegerField(min_value=1, max_value=MAX_OBJECT_ID, help_text="协同部门编号")
    reason = serializers.CharField(allow_blank=True, help_text="逾期未反馈的说明（如催办记录）")


@extend_schema_view(
    list=extend_schema(
        summary="征求意见",
        description="分页列表：主管部门看到本单位发出的，协同部门看到发给本部门的；每条含反馈进度、异议数和是否逾期。",
    ),
    retrieve=extend_schema(
        summary="一次征求意见",
        description="含可见的反馈意见（replies_list）：主管部门看到所有部门的，协同部门只看到本部门的。",
        parameters=[CONSULTATION_ID],
        responses={200: ConsultationDetailSerializer, 404: ERRORS[404]},
    ),
)
class ConsultationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Consultation.objects.none()  # the model, for the schema; rows come from the selector
    serializer_class = ConsultationSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        qs = sel.consultations_visible_to(self.request.user)
        return sel.with_progress(qs, self.request.user).order_by("-created_at", "-id")

    def get_serializer_class(self):
        return ConsultationSerializer if self.action == "list" else ConsultationDetailSerializer

    def get_object(self):
        try:
            return self.get_queryset().get(pk=self.kwargs["pk"])
        except Consultation.DoesNotExist:
            raise NotFound(NOT_FOUND) from None

    def _input(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _detail(self, pk, code=status.HTTP_200_OK) -> Response:
        consultation = self.get_queryset().get(pk=pk)
        return Response(ConsultationDetailSerializer(consultation, context={"request": self.request}).data, status=code)

    @extend_schema(
        summary="发起征求意见",
        description="以所选申报的当前审核单位（须为本人所在主管部门）名义，向其对口的协同部门征求意见。"
        "每个申报、每个部门各有一条待反馈意见；部门反馈或逾期记录原因前，该申报不能推荐。",
        request=SendSerializer,
        responses={201: ConsultationDetailSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    )
    def create(self, request, *args, **kwargs):
        data = self._input(SendSerializer)
        visible = {a.pk: a for a in applications_visible_to(request.user).filter(pk__in=data["applications"])}
        missing = [pk for pk in data["applications"] if pk not in visible]
        if missing:
            raise ValidationError({"applications": [f"申报不存在或不可见：{'、'.join(map(str, missing))}。"]})
        mine = set(acting_org_ids(request.user))
        holders = {a.holder for a in visible.values()}
        authority = next((h for h in holders if h.pk in mine), None)
        if authority is None and request.user.is_superuser and len(holders) == 1:
            authority = next(iter(holders))
        if authority is None or authority.kind != Organization.Kind.AUTHORITY:
            raise PermissionDenied("只能就本单位审核中的申报征求意见。")
        with service_errors():
            consultation = consultation_send(
                actor=request.user,
                authority=authority,
                applications=data["applications"],
                departments=data["departments"],
                due_on=data["due"],
                message=data["message"],
                request=request,
            )
        return self._detail(consultation.pk, status.HTTP_201_CREATED)

    def _reply(self, consultation, **filters) -> ConsultationReply:
        reply = sel.replies_visible_to(self.request.user).filter(consultation=consultation, **filters).first()
        if reply is None:
            raise ValidationError({"application": ["该申报不在本次征求意见中，或不是向本部门征求的。"]})
        return reply

    @extend_schema(
        summary="反馈意见",
        description="协同部门（本人所在部门）对本次征求意见中的一项申报反馈 no_objection 无异议或 objection 有异议；"
        "有异议须说明理由，可附证明材料（multipart 的 proof）。主管部门作出决定前可修改；逾期反馈照收并标明。",
        parameters=[CONSULTATION_ID],
        request={"multipart/form-data": ReplyRequestSerializer, "application/json": ReplyRequestSerializer},
        responses={200: ReplySerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser, JSONParser])
    def replies(self, request, pk=None):
        consultation = self.get_object()
        data = self._input(ReplyRequestSerializer)
        mine = acting_org_ids(request.user)
        if not ConsultationReply.objects.filter(consultation=consultation, department_id__in=mine).exists():
            raise PermissionDenied("只有被征求意见的协同部门可以反馈意见。")
        reply = self._reply(consultation, application_id=data["application"], department_id__in=mine)
        with service_errors():
            reply = reply_submit(
                actor=request.user,
                reply=reply,
                opinion=data["opinion"],
                reason=data["reason"],
                negative_item=data["negative_item"],
                proof=data.get("proof"),
                request=request,
            )
        reply = sel.replies_visible_to(request.user).get(pk=reply.pk)
        return Response(ReplySerializer(reply).data)

    @extend_schema(
        summary="记录逾期未反馈原因",
        description="反馈截止日期（北京时间）之后，征求意见的主管部门记录某部门对某申报逾期未反馈的原因；"
        "记录后该申报可以推荐。",
        parameters=[CONSULTATION_ID],
        request=WaiveRequestSerializer,
        responses={200: ReplySerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def waive(self, request, pk=None):
        consultation = self.get_object()
        data = self._input(WaiveRequestSerializer)
        reply = self._reply(consultation, application_id=data["application"], department_id=data["department"])
        with service_errors():
            reply = reply_waive(actor=request.user, reply=reply, reason=data["reason"], request=request)
        reply = sel.replies_visible_to(request.user).get(pk=reply.pk)
        return Response(ReplySerializer(reply).data)


ROUTES = [("consultations", ConsultationViewSet, "api-consultation")]  # (prefix, viewset, basename)
