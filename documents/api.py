"""REST API of generated documents: list what the user may see, request a rendering (202 while it renders), read
its state, download the file. Same selectors and services as the pages: an invisible document or owner is 404."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from greenmfg.errors import refusal
from organizations.models import Organization

from . import selectors
from .kinds import KINDS
from .models import GeneratedDocument
from .services import document_request

NOT_FOUND = "未找到该文书，或您无权查看。"


class DocumentSerializer(serializers.ModelSerializer):
    kind_label = serializers.SerializerMethodField()
    owner_type = serializers.SerializerMethodField()
    scope = serializers.CharField(source="scope.name", help_text="文书以其名义生成的单位")
    status_label = serializers.CharField(source="get_status_display")
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = GeneratedDocument
        fields = [
            "id",
            "kind",
            "kind_label",
            "owner_type",
            "owner_id",
            "scope_id",
            "scope",
            "status",
            "status_label",
            "progress",
            "error",
            "filename",
            "content_type",
            "size",
            "sha256",
            "input_hash",
            "created_at",
            "started_at",
            "finished_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_kind_label(self, doc) -> str:
        kind = KINDS.get(doc.kind)
        return kind.label if kind else doc.kind

    def get_owner_type(self, doc) -> str:
        return f"{doc.owner_type.app_label}.{doc.owner_type.model}"

    def get_download_url(self, doc) -> str | None:
        if doc.status != GeneratedDocument.Status.DONE:
            return None
        return reverse("api-document-download", args=[doc.pk])


class DocumentRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[(k.code, k.label) for k in KINDS.values()], help_text="文书类型")
    owner_id = serializers.IntegerField(
        min_value=1, help_text="所属对象编号（批次、征求意见、评审组、公示、申报或通知）"
    )
    scope_id = serializers.IntegerField(
        min_value=1, required=False, help_text="通知级文书（推荐汇总表（全部批次）、初审意见表、入选名单）的单位编号"
    )


DOCUMENT_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="文书编号")


@extend_schema_view(
    list=extend_schema(
        summary="可见的文书",
        parameters=[
            OpenApiParameter("kind", str, enum=list(KINDS), description="文书类型"),
            OpenApiParameter("status", str, enum=GeneratedDocument.Status.values, description="状态"),
        ],
    ),
    retrieve=extend_schema(summary="文书状态", parameters=[DOCUMENT_ID]),
)
class DocumentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = DocumentSerializer

    def get_queryset(self):
        qs = selectors.documents_visible_to(self.request.user).select_related("owner_type")
        if self.action == "list":
            kind, state = self.request.query_params.get("kind"), self.request.query_params.get("status")
            if kind:
                qs = qs.filter(kind=kind)
            if state:
                qs = qs.filter(status=state)
        return qs.order_by("-created_at", "-id")

    def get_object(self):
        try:
            pk = int(self.kwargs["pk"])
        except (TypeError, ValueError):
            raise NotFound(NOT_FOUND) from None
        obj = self.get_queryset().filter(pk=pk).first()
        if obj is None:
            raise NotFound(NOT_FOUND)
        return obj

    @extend_schema(
        summary="申请生成文书",
        description="内容未变化时返回已生成的文书（200）；否则排队生成（202），轮询文书状态直至 done 或 failed。",
        request=DocumentRequestSerializer,
        responses={
            200: DocumentSerializer,
            202: DocumentSerializer,
            400: OpenApiResponse(description='{"detail": "原因"}'),
            403: OpenApiResponse(description="能看到所属对象，但无权以该单位名义生成"),
            404: OpenApiResponse(description="所属对象不存在或不可见"),
        },
    )
    def create(self, request):
        form = DocumentRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        kind = KINDS[form.validated_data["kind"]]
        owner = selectors.owners_visible_to(request.user, kind.owner).filter(pk=form.validated_data["owner_id"]).first()
        if owner is None:
            raise NotFound("未找到该文书所属的对象，或您无权查看。")
        scope = None
        if not kind.scope:
            scope_id = form.validated_data.get("scope_id")
            if scope_id is None:
                raise ValidationError({"scope_id": ["该文书须指明单位编号。"]})
            if not selectors.scope_visible(request.user, kind, scope_id):
                raise NotFound("未找到该单位，或您无权查看其文书。")
            scope = get_object_or_404(Organization, pk=scope_id, kind=Organization.Kind.AUTHORITY)
        try:
            doc = document_request(actor=request.user, kind=kind.code, owner=owner, scope=scope, request=request)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(refusal(exc)) from exc
        except DjangoValidationError as exc:
            raise ValidationError({"detail": refusal(exc)}) from exc
        doc.refresh_from_db()
        code = status.HTTP_200_OK if doc.status == GeneratedDocument.Status.DONE else status.HTTP_202_ACCEPTED
        return Response(DocumentSerializer(doc, context={"request": request}).data, status=code)

    @extend_schema(
        summary="下载文书",
        parameters=[DOCUMENT_ID],
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="不可见或未生成"),
        },
    )
    @action(detail=True, methods=["get"], url_path="download", url_name="download")
    def download(self, request, pk=None):
        doc = self.get_object()
        if doc.status != GeneratedDocument.Status.DONE or not doc.file:
            raise NotFound("文书尚未生成。")
        return FileResponse(
            doc.file.open("rb"), as_attachment=True, filename=doc.filename, content_type=doc.content_type
        )
