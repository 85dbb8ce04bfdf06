"""Viewsets of the applications API: thin over applications.selectors and applications.services.

An application the caller cannot see is 404 for every method, its files included; one it can see but may not act
on is 403 with the service's Chinese reason.
"""

from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from notices.models import Category

from .. import selectors, services
from ..models import Application, Declaration, Engagement, MaterialFile, NegativeItem, State
from .serializers import (
    DATA_FIELDS,
    ApplicationCreateSerializer,
    ApplicationDetailSerializer,
    ApplicationFilterSerializer,
    ApplicationSerializer,
    ApplicationUpdateSerializer,
    EngagementFilterSerializer,
    EngagementReportResultSerializer,
    EngagementReportSerializer,
    EngagementRequestSerializer,
    EngagementRespondSerializer,
    EngagementSerializer,
    MaterialFileSerializer,
    MaterialUploadSerializer,
    check_data_keys,
)

NOT_FOUND = "未找到该申报，或您无权查看。"
FILE_NOT_FOUND = "未找到该文件，或您无权查看。"
ENGAGEMENT_NOT_FOUND = "未找到该评价委托，或您无权查看。"
# Service field names that differ from the API's.
FIELD_ALIASES = {"signer": "commitment_signer"}


@contextmanager
def service_errors():
    """A service's ValidationError becomes a 400 shaped like the request: category data errors under "data",
    negative-list answers under "declarations", other fields by name, anything else as {"detail": "..."}.

    PermissionDenied passes through to DRF, which answers 403 with the service's Chinese message.
    """
    try:
        yield
    except DjangoValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise ValidationError({"detail": "".join(exc.messages)}) from exc
        errors: dict = {}
        for field, messages in exc.message_dict.items():
            if field in DATA_FIELDS:
                errors.setdefault("data", {})[field] = messages
            elif field in NegativeItem.values:
                errors.setdefault("declarations", {})[field] = messages
            elif field == NON_FIELD_ERRORS:
                errors["detail"] = "".join(messages)
            else:
                errors.setdefault(FIELD_ALIASES.get(field, field), []).extend(messages)
        raise ValidationError(errors) from exc


APPLICATION_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="申报编号")
ENGAGEMENT_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="评价委托编号")
FILE_ID = OpenApiParameter("file_id", int, OpenApiParameter.PATH, description="文件（某一版本）编号")
ERRORS = {
    400: OpenApiResponse(
        description='数据有误或不符合业务规则：字段错误（申报信息在 "data" 下、负面清单声明在 "declarations" 下），'
        '或 {"detail": "原因"}'
    ),
    403: OpenApiResponse(description="能看到该申报，但无权办理此事项"),
    404: OpenApiResponse(description="申报不存在或不可见"),
}
ENGAGEMENT_ERRORS = {
    **ERRORS,
    403: OpenApiResponse(description="能看到该委托，但无权办理此事项"),
    404: OpenApiResponse(description="委托不存在或不可见"),
}


def application_queryset(user):
    return selectors.applications_visible_to(user).prefetch_related(
        Prefetch("engagements", queryset=Engagement.objects.select_related("assessor").order_by("-requested_at", "-id"))
    )


def application_detail(user, pk) -> Application:
    """One visible application with what the detail shows; 404 in Chinese for absent and hidden alike."""
    qs = (
        application_queryset(user)
        .select_related("self_evaluation_org")
        .prefetch_related(
            Prefetch("declarations", queryset=Declaration.objects.order_by("id")),
            Prefetch(
                "files",
                queryset=MaterialFile.objects.select_related("uploaded_by_org", "material").order_by(
                    "kind", "-version"
                ),
            ),
        )
    )
    try:
        return qs.get(pk=pk)
    except Application.DoesNotExist:
        raise NotFound(NOT_FOUND) from None


@extend_schema_view(
    list=extend_schema(
        summary="可见的申报",
        description="分页列表：申报单位看到本单位的申报，评价机构看到委托给它的申报，主管部门看到已报送到本单位的申报。"
        "每条含状态、当前办理单位、版本、申报信息和第三方评价委托；缺项和材料见详情。",
        parameters=[
            OpenApiParameter("state", str, enum=State.values, description="状态"),
            OpenApiParameter("category", str, enum=Category.values, description="申报类别"),
            OpenApiParameter("notice", int, description="通知编号"),
        ],
    ),
    retrieve=extend_schema(
        summary="一份申报",
        description="含申报信息、负面清单声明、承诺书、各项材料（含全部版本）、第三方评价委托；"
        "可编辑的状态下 missing 列出提交前还缺的内容。",
        parameters=[APPLICATION_ID],
        responses={200: ApplicationDetailSerializer, 404: ERRORS[404]},
    ),
)
class ApplicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Applications visible to the caller (applications.selectors.applications_visible_to);
    writes go through applications.services."""

    queryset = Application.objects.none()  # the model, for the schema; rows come from the selector
    serializer_class = ApplicationSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        qs = application_queryset(self.request.user)
        if self.action == "list":
            filters = ApplicationFilterSerializer(data=self.request.query_params)
            filters.is_valid(raise_exception=True)
            for name in ("state", "category"):
                if name in filters.validated_data:
                    qs = qs.filter(**{name: filters.validated_data[name]})
            if "notice" in filters.validated_data:
                qs = qs.filter(notice_id=filters.validated_data["notice"])
        return qs

    def get_serializer_class(self):
        return ApplicationSerializer if self.action == "list" else ApplicationDetailSerializer

    def get_object(self):
        return application_detail(self.request.user, self.kwargs["pk"])

    def _visible(self, pk) -> Application:
        try:
            return selectors.application_for(self.request.user, pk)
        except Http404:
            raise NotFound(NOT_FOUND) from None

    def _detail(self, application: Application, code=status.HTTP_200_OK) -> Response:
        fresh = application_detail(self.request.user, application.pk)
        return Response(ApplicationDetailSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def _input(self, serializer_class, **kwargs) -> dict:
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context(), **kwargs)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def perform_content_negotiation(self, request, force=False):
        # A download answers with the file's own type whatever the client says it accepts.
        return super().perform_content_negotiation(request, force=force or self.action == "file_download")

    @extend_schema(
        summary="新建申报（草稿）",
        description="以本单位名义、按一份已发布并适用于本单位的通知和其开放的类别申报；申报信息按类别校验，可先只填一部分。",
        request=ApplicationCreateSerializer,
        responses={201: ApplicationDetailSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    )
    def create(self, request, *args, **kwargs):
        data = self._input(ApplicationCreateSerializer)
        with service_errors():
            application = services.application_create(actor=request.user, request=request, **data)
        return self._detail(application, status.HTTP_201_CREATED)

    @extend_schema(
        summary="填写或修改申报",
        description="只在草稿和退回修改状态下、由申报单位办理。data 与已保存的内容合并；"
        "declarations 逐项回答负面清单（存在的须说明）；commitment_signer 签署承诺书。"
        "同一请求中任何一项不通过，则都不保存。",
        parameters=[APPLICATION_ID],
        request=ApplicationUpdateSerializer,
        responses={200: ApplicationDetailSerializer, **ERRORS},
    )
    def partial_update(self, request, *args, **kwargs):
        application = self._visible(kwargs["pk"])
        data = self._input(ApplicationUpdateSerializer, partial=True)
        if "data" in data:
            check_data_keys(application.category, data["data"])
        update = {key: data[key] for key in ("data", "evaluation_mode") if key in data}
        if "self_evaluation_org" in data or "self_evaluation_person" in data:
            # The service sets both together: keep whichever the request leaves out.
            update["self_evaluation_org"] = data.get("self_evaluation_org", application.self_evaluation_org)
            update["self_evaluation_person"] = data.get("self_evaluation_person", application.self_evaluation_person)
        with service_errors(), transaction.atomic():
            if update or not ("declarations" in data or "commitment_signer" in data):
                # An empty PATCH too, so that it answers as the applicant's permission and the state allow.
                services.application_update(actor=request.user, application=application, request=request, **update)
            if "declarations" in data:
                services.declarations_save(
                    actor=request.user,
                    application=application,
                    answers={code: dict(answer) for code, answer in data["declarations"].items()},
                    request=request,
                )
            if "commitment_signer" in data:
                services.commitment_sign(
                    actor=request.user, application=application, signer=data["commitment_signer"], request=request
                )
        return self._detail(application)

    @extend_schema(
        summary="上传申报材料",
        description="multipart：kind 为通知该类别的材料要求编号，file 为文件。按文件内容识别类型并检查大小；"
        "不符合的给出原因，且不保存任何内容。再次上传同一项材料生成新版本，旧版本保留。",
        parameters=[APPLICATION_ID],
        request={"multipart/form-data": MaterialUploadSerializer},
        responses={201: MaterialFileSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def materials(self, request, pk=None):
        application = self._visible(pk)
        data = self._input(MaterialUploadSerializer)
        with service_errors():
            record = services.material_upload(
                actor=request.user, application=application, kind=data["kind"], upload=data["file"], request=request
            )
        record = MaterialFile.objects.select_related("uploaded_by_org").get(pk=record.pk)
        return Response(MaterialFileSerializer(record).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="下载材料文件",
        description="任一版本；能看到申报的人才能下载，否则 404。",
        parameters=[APPLICATION_ID, FILE_ID],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="文件内容，Content-Type 为文件的实际类型"
            ),
            404: OpenApiResponse(description="申报或文件不存在或不可见"),
        },
    )
    @action(detail=True, methods=["get"], url_path=r"files/(?P<file_id>[0-9]+)", url_name="file")
    def file_download(self, request, pk=None, file_id=None):
        try:
            record = selectors.file_for(request.user, pk, file_id)
        except Http404:
            raise NotFound(FILE_NOT_FOUND) from None
        return FileResponse(
            record.file.open("rb"), as_attachment=True, filename=record.original_name, content_type=record.content_type
        )

    @extend_schema(
        summary="委托第三方评价机构",
        description="评价方式为第三方评价的申报，由申报单位委托一家登记在册的评价机构；"
        "编制了自评价报告的单位或人员不能担任。机构接受后才能上传评价报告。",
        parameters=[APPLICATION_ID],
        request=EngagementRequestSerializer,
        responses={201: EngagementSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def engagement(self, request, pk=None):
        application = self._visible(pk)
        data = self._input(EngagementRequestSerializer)
        with service_errors():
            engagement = services.engagement_request(
                actor=request.user, application=application, assessor=data["assessor"], request=request
            )
        engagement = selectors.engagements_visible_to(request.user).get(pk=engagement.pk)
        return Response(EngagementSerializer(engagement).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="评价委托",
        description="分页列表：评价机构看到委托给本机构的，申报单位看到本单位发出的（含已拒绝、已撤销的）。",
        parameters=[OpenApiParameter("status", str, enum=Engagement.Status.values, description="状态")],
    ),
    retrieve=extend_schema(
        summary="一项评价委托",
        parameters=[ENGAGEMENT_ID],
        responses={200: EngagementSerializer, 404: ENGAGEMENT_ERRORS[404]},
    ),
)
class EngagementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Third-party engagements (applications.selectors.engagements_visible_to): the assessor answers and reports."""

    queryset = Engagement.objects.none()  # the model, for the schema; rows come from the selector
    serializer_class = EngagementSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        qs = selectors.engagements_visible_to(self.request.user)
        if self.action == "list":
            filters = EngagementFilterSerializer(data=self.request.query_params)
            filters.is_valid(raise_exception=True)
            if "status" in filters.validated_data:
                qs = qs.filter(status=filters.validated_data["status"])
        return qs

    def get_object(self):
        try:
            return selectors.engagements_visible_to(self.request.user).get(pk=self.kwargs["pk"])
        except Engagement.DoesNotExist:
            raise NotFound(ENGAGEMENT_NOT_FOUND) from None

    def _input(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _fresh(self, engagement: Engagement) -> dict:
        return EngagementSerializer(self.get_queryset().get(pk=engagement.pk)).data

    @extend_schema(
        summary="接受或拒绝委托",
        description="受委托的评价机构办理：接受时可填写项目负责人（不能是自评价报告编制人），拒绝须填写理由。",
        parameters=[ENGAGEMENT_ID],
        request=EngagementRespondSerializer,
        responses={200: EngagementSerializer, **ENGAGEMENT_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def respond(self, request, pk=None):
        engagement = self.get_object()
        data = self._input(EngagementRespondSerializer)
        with service_errors():
            engagement = services.engagement_respond(actor=request.user, engagement=engagement, request=request, **data)
        return Response(self._fresh(engagement))

    @extend_schema(
        summary="上传第三方评价报告和得分",
        description="只有已接受委托的评价机构可以上传（PDF，按内容识别）；再次上传生成新版本。",
        parameters=[ENGAGEMENT_ID],
        request={"multipart/form-data": EngagementReportSerializer},
        responses={201: EngagementReportResultSerializer, **ENGAGEMENT_ERRORS},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def report(self, request, pk=None):
        engagement = self.get_object()
        data = self._input(EngagementReportSerializer)
        with service_errors():
            record = services.engagement_report(
                actor=request.user, engagement=engagement, score=data["score"], upload=data["file"], request=request
            )
        record = MaterialFile.objects.select_related("uploaded_by_org").get(pk=record.pk)
        return Response(
            {"engagement": self._fresh(engagement), "file": MaterialFileSerializer(record).data},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="撤销委托",
        description="申报单位在草稿或退回修改状态下撤销待接受或已接受的委托，之后可另行委托。",
        parameters=[ENGAGEMENT_ID],
        request=None,
        responses={200: EngagementSerializer, **ENGAGEMENT_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        engagement = self.get_object()
        with service_errors():
            engagement = services.engagement_cancel(actor=request.user, engagement=engagement, request=request)
        return Response(self._fresh(engagement))
