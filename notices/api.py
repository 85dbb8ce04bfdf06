"""REST API for notices: the same visibility selector and the same services as the pages.

Reads: the list (paginated, filterable by year and status, a fixed number of queries whatever the page size)
and one notice with `deadlines_for_me`, the deadline that binds the caller's organization (resolved through
the forwarding chain, extensions included). Writes, for issuing authorities: create, edit a draft, publish,
forward the parent's notice, set a deadline. A notice the caller cannot see is 404 for every method.
"""

import re
from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch
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
from rest_framework.response import Response

from organizations.models import Organization
from organizations.selectors import memberships_of

from . import selectors, services
from .models import Category, Deadline, Notice, NoticeCategory, RequiredMaterial

DATE_AND_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")

# Service field names that differ from the API's.
FIELD_ALIASES = {"category": "categories", NON_FIELD_ERRORS: "detail"}


@contextmanager
def service_errors():
    """A service's ValidationError becomes a 400: field errors by field, anything else as {"detail": "..."}.

    PermissionDenied passes through to DRF, which answers 403 with the service's Chinese message.
    """
    try:
        yield
    except DjangoValidationError as exc:
        if hasattr(exc, "error_dict"):
            errors = {}
            for field, messages in exc.message_dict.items():
                key = FIELD_ALIASES.get(field, field)
                errors.setdefault(key, []).extend(messages)
            if "detail" in errors:
                errors["detail"] = "".join(errors["detail"])
            raise ValidationError(errors) from exc
        raise ValidationError({"detail": "".join(exc.messages)}) from exc


# Reading


class RequiredMaterialSerializer(serializers.ModelSerializer):
    accepted_types = serializers.ListField(child=serializers.CharField(), source="types", read_only=True)

    class Meta:
        model = RequiredMaterial
        fields = ["id", "name", "description", "required", "accepted_types", "max_size_mb", "position"]


class CategoryOptionsSerializer(serializers.ModelSerializer):
    cap_basis_display = serializers.CharField(source="get_cap_basis_display", read_only=True)
    cap_period_display = serializers.CharField(source="get_cap_period_display", read_only=True)

    class Meta:
        model = NoticeCategory
        fields = [
            "self_evaluation_allowed",
            "third_party_allowed",
            "assessor_cap",
            "cap_basis",
            "cap_basis_display",
            "cap_period",
            "cap_period_display",
        ]


class NoticeCategorySerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="category", read_only=True)
    label = serializers.CharField(source="get_category_display", read_only=True)
    options = CategoryOptionsSerializer(source="*", read_only=True)
    materials = RequiredMaterialSerializer(many=True, read_only=True)

    class Meta:
        model = NoticeCategory
        fields = ["id", "code", "label", "options", "materials"]


class DeadlineSerializer(serializers.ModelSerializer):
    """A deadline as its notice sets it (before any extension)."""

    stage_display = serializers.CharField(source="get_stage_display", read_only=True)
    authority_name = serializers.CharField(source="authority.name", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Deadline
        fields = ["id", "notice", "stage", "stage_display", "authority", "authority_name", "due_at", "note"]


class DeadlineForMeSerializer(serializers.Serializer):
    """The deadline that binds the caller's organization, from the nearest issuer in the chain that set one."""

    stage = serializers.CharField()
    stage_display = serializers.CharField()
    organization = serializers.IntegerField(help_text="本单位（调用者的第一个单位）")
    organization_name = serializers.CharField()
    due_at = serializers.DateTimeField(help_text="生效的截止时间（北京时间，含延期）")
    original_due_at = serializers.DateTimeField(help_text="通知规定的截止时间")
    extended = serializers.BooleanField()
    overdue = serializers.BooleanField()
    notice = serializers.IntegerField(help_text="规定该截止时间的通知")
    notice_title = serializers.CharField()
    issuer_name = serializers.CharField()


class NoticeSerializer(serializers.ModelSerializer):
    """A notice in the list: its categories with materials and its own deadlines, no per-row queries."""

    issuer_name = serializers.CharField(source="issuer.name", read_only=True)
    list_level_display = serializers.CharField(source="get_list_level_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    forwards_title = serializers.CharField(source="forwards.title", read_only=True, allow_null=True, default=None)
    categories = NoticeCategorySerializer(many=True, read_only=True)
    deadlines = DeadlineSerializer(many=True, read_only=True)
    deadlines_for_me = serializers.SerializerMethodField()

    class Meta:
        model = Notice
        fields = [
            "id",
            "year",
            "title",
            "doc_number",
            "issuer",
            "issuer_name",
            "list_level",
            "list_level_display",
            "status",
            "status_display",
            "forwards",
            "forwards_title",
            "issued_on",
            "published_at",
            "categories",
            "deadlines",
            "deadlines_for_me",
        ]
        read_only_fields = fields

    @extend_schema_field(DeadlineForMeSerializer(many=True))
    def get_deadlines_for_me(self, notice) -> list[dict]:
        resolved = self.context.get("deadlines_for_me")
        if resolved is None:
            resolved = deadlines_for_me(self.context["request"].user, [notice])
        return DeadlineForMeSerializer(resolved.get(notice.pk, []), many=True).data


def deadlines_for_me(user, notices) -> dict[int, list[dict]]:
    """For each notice, the deadline binding the caller's acting organization (its first membership).

    Applicants (enterprises, parks) are bound by the applicant stage, authorities by the stage at which they
    report to their parent; other organizations have no deadline of their own in a notice. Resolved for all
    notices at once, so a list costs the same number of queries at any length.
    """
    notices = list(notices)
    empty: dict[int, list[dict]] = {n.pk: [] for n in notices}
    memberships = memberships_of(user)
    if not memberships:
        return empty
    organization = memberships[0].organization
    if organization.is_applicant:
        stage = Deadline.Stage.APPLICANT
    elif organization.kind == Organization.Kind.AUTHORITY:
        stage = Deadline.Stage.AUTHORITY
    else:
        return empty
    resolved = selectors.deadlines_for_notices(notices, organization=organization, stage=stage)
    for pk, effective in resolved.items():
        if effective is None:
            continue
        empty[pk] = [
            {
                "stage": stage,
                "stage_display": Deadline.Stage(stage).label,
                "organization": organization.pk,
                "organization_name": organization.name,
                "due_at": effective.due_at,
                "original_due_at": effective.deadline.due_at,
                "extended": effective.extension is not None and effective.due_at > effective.deadline.due_at,
                "overdue": effective.is_past(),
                "notice": effective.notice.pk,
                "notice_title": effective.notice.title,
                "issuer_name": effective.notice.issuer.name,
            }
        ]
    return empty


class NoticeDetailSerializer(NoticeSerializer):
    """One notice, with its body and the deadline that binds the caller."""

    class Meta(NoticeSerializer.Meta):
        fields = [*NoticeSerializer.Meta.fields, "body"]
        read_only_fields = fields


class NoticeFilterSerializer(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)
    status = serializers.ChoiceField(choices=Notice.Status.choices, required=False)


# Writing


class CategoryCodesField(serializers.ListField):
    child = serializers.ChoiceField(
        choices=Category.choices, error_messages={"invalid_choice": "未知的申报类别：{input}。"}
    )

    def to_internal_value(self, data):
        codes = super().to_internal_value(data)
        return list(dict.fromkeys(codes))


class NoticeWriteSerializer(serializers.Serializer):
    year = serializers.IntegerField(label="年度")
    title = serializers.CharField(label="标题", max_length=200)
    doc_number = serializers.CharField(label="文号", max_length=64, required=False, allow_blank=True)
    list_level = serializers.ChoiceField(label="名单层级", choices=Notice.ListLevel.choices)
    body = serializers.CharField(label="正文", required=False, allow_blank=True, trim_whitespace=False)
    issued_on = serializers.DateField(label="成文日期", required=False, allow_null=True)
    categories = CategoryCodesField(label="申报类别", required=False, help_text="类别代码：factory, park, ...")


class NoticeCreateSerializer(NoticeWriteSerializer):
    issuer = serializers.PrimaryKeyRelatedField(
        label="发文机关",
        queryset=Organization.objects.none(),
        error_messages={
            "does_not_exist": "您不能以编号为 {pk_value} 的单位名义发文：只能选择本人担任管理员或审核人的主管部门。",
            "incorrect_type": "发文机关应填写单位编号。",
        },
    )

    field_order = ["issuer"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            fields["issuer"].queryset = selectors.issuing_authorities(request.user)
        return fields


class ForwardSerializer(serializers.Serializer):
    authority = serializers.PrimaryKeyRelatedField(
        label="转发单位",
        queryset=Organization.objects.none(),
        required=False,
        help_text="以哪个主管部门的名义转发；本人只在一个下级主管部门任职时可省略",
        error_messages={
            "does_not_exist": "您不能以编号为 {pk_value} 的单位名义转发：只能选择本人担任管理员或审核人的主管部门。",
            "incorrect_type": "转发单位应填写单位编号。",
        },
    )

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            fields["authority"].queryset = selectors.issuing_authorities(request.user)
        return fields


class MomentField(serializers.DateTimeField):
    """A date and a time: a bare date would silently mean 00:00, a whole day before what the issuer had in mind."""

    default_error_messages = {"no_time": "请填写截止日期和时间（北京时间），如 2024-05-17T23:59:59+08:00。"}

    def to_internal_value(self, value):
        if isinstance(value, str) and not DATE_AND_TIME.match(value.strip()):
            self.fail("no_time")
        return super().to_internal_value(value)


class DeadlineSetSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(label="环节", choices=Deadline.Stage.choices)
    due_at = MomentField(
        label="截止时间", help_text="ISO 8601，须含时刻；不带时区的按北京时间理解，如 2024-05-17T23:59:59+08:00"
    )
    authority = serializers.PrimaryKeyRelatedField(
        label="适用主管部门",
        queryset=Organization.objects.filter(kind=Organization.Kind.AUTHORITY),
        required=False,
        allow_null=True,
        error_messages={"does_not_exist": "编号为 {pk_value} 的主管部门不存在。"},
    )
    note = serializers.CharField(label="说明", max_length=200, required=False, allow_blank=True)


NOTICE_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="通知编号")
ERRORS = {
    400: OpenApiResponse(description='数据有误或不符合业务规则：字段错误，或 {"detail": "原因"}'),
    403: OpenApiResponse(description="能看到该通知，但无权以发文机关名义办理"),
    404: OpenApiResponse(description="通知不存在或不可见"),
}


@extend_schema_view(
    list=extend_schema(
        summary="可见的年度通知",
        description="分页列表；每条含申报类别（选项、申报材料要求）、通知自身设定的截止时间，"
        "以及 deadlines_for_me：按转发链就近确定、含延期的本单位截止时间。",
        parameters=[
            OpenApiParameter("year", int, description="年度"),
            OpenApiParameter("status", str, enum=Notice.Status.values, description="状态"),
        ],
    ),
    retrieve=extend_schema(
        summary="一份年度通知",
        description="含正文和 deadlines_for_me：按转发链就近确定、含延期的本单位截止时间。",
        parameters=[NOTICE_ID],
        responses={200: NoticeDetailSerializer, 404: ERRORS[404]},
    ),
)
class NoticeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Notices visible to the caller (notices.selectors.notices_visible_to); writes go through notices.services."""

    queryset = Notice.objects.none()  # the model, for the schema; rows come from the selector
    serializer_class = NoticeSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        qs = selectors.notices_visible_to(self.request.user).prefetch_related(
            "categories__materials", Prefetch("deadlines", queryset=Deadline.objects.select_related("authority"))
        )
        if self.action == "list":
            filters = NoticeFilterSerializer(data=self.request.query_params)
            filters.is_valid(raise_exception=True)
            if "year" in filters.validated_data:
                qs = qs.filter(year=filters.validated_data["year"])
            if "status" in filters.validated_data:
                qs = qs.filter(status=filters.validated_data["status"])
        return qs

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = {**self.get_serializer_context(), "deadlines_for_me": deadlines_for_me(request.user, page)}
        return self.get_paginated_response(NoticeSerializer(page, many=True, context=context).data)

    def get_object(self):
        notice = self._visible(selectors.notice_detail, self.kwargs["pk"])
        self.check_object_permissions(self.request, notice)
        return notice

    def _visible(self, selector, pk) -> Notice:
        """The selector's 404 names the model in English; callers get the same Chinese answer for absent and hidden."""
        try:
            return selector(self.request.user, pk)
        except Http404:
            raise NotFound("未找到该通知，或您无权查看。") from None

    def get_serializer_class(self):
        return NoticeDetailSerializer if self.action != "list" else NoticeSerializer

    def _detail(self, notice: Notice, code=status.HTTP_200_OK) -> Response:
        fresh = self._visible(selectors.notice_detail, notice.pk)
        return Response(NoticeDetailSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def _input(self, serializer_class, **kwargs):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context(), **kwargs)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    @extend_schema(
        summary="起草年度通知",
        description="以本人担任管理员或审核人的主管部门（issuer）名义起草通知，生成草稿。",
        request=NoticeCreateSerializer,
        responses={201: NoticeDetailSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    )
    def create(self, request, *args, **kwargs):
        data = self._input(NoticeCreateSerializer)
        issuer = data.pop("issuer")
        categories = data.pop("categories", [])
        with service_errors():
            notice = services.notice_create(
                actor=request.user, issuer=issuer, categories=categories, request=request, **data
            )
        return self._detail(notice, status.HTTP_201_CREATED)

    @extend_schema(
        summary="修改草稿",
        parameters=[NOTICE_ID],
        description="只有草稿可以修改；categories 给出时，按其增删申报类别（转发通知不能增加上级未开放的类别）。",
        request=NoticeWriteSerializer,
        responses={200: NoticeDetailSerializer, **ERRORS},
    )
    def partial_update(self, request, *args, **kwargs):
        notice = self._visible(selectors.notice_for, kwargs["pk"])
        data = self._input(NoticeWriteSerializer, partial=True)
        categories = data.pop("categories", None)
        existing = {c.category: c for c in notice.categories.all()}
        added = [code for code in categories or () if code not in existing]
        removed = [item for code, item in existing.items() if categories is not None and code not in categories]
        with service_errors(), transaction.atomic():
            if data or not (added or removed):
                # Also for an empty or no-op PATCH, so that it answers as the issuer's permission and the state allow.
                notice = services.notice_update(actor=request.user, notice=notice, request=request, **data)
            for code in added:
                services.notice_category_set(actor=request.user, notice=notice, category=code, request=request)
            for item in removed:
                services.notice_category_remove(actor=request.user, notice_category=item, request=request)
        return self._detail(notice)

    @extend_schema(
        summary="发布通知",
        description="须至少开放一个申报类别、设置一个截止时间；转发的上级通知须已发布；截止时间不得晚于上级规定。"
        "发布后通知辖区内各单位。",
        parameters=[NOTICE_ID],
        request=None,
        responses={200: NoticeDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        notice = self._visible(selectors.notice_for, pk)
        with service_errors():
            notice = services.notice_publish(actor=request.user, notice=notice, request=request)
        return self._detail(notice)

    @extend_schema(
        summary="转发上级通知",
        parameters=[NOTICE_ID],
        description="以下级主管部门名义转发：生成本单位的通知草稿，复制申报类别和材料要求。",
        request=ForwardSerializer,
        responses={201: NoticeDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def forward(self, request, pk=None):
        notice = self._visible(selectors.notice_for, pk)
        data = self._input(ForwardSerializer)
        authority = data.get("authority")
        if authority is None:
            candidates = [a for a in selectors.issuing_authorities(request.user) if a.parent_id == notice.issuer_id]
            if len(candidates) != 1:
                raise ValidationError({"authority": [f"请指定以哪个单位的名义转发“{notice.title}”。"]})
            authority = candidates[0]
        with service_errors():
            copy = services.notice_forward(actor=request.user, notice=notice, authority=authority, request=request)
        return self._detail(copy, status.HTTP_201_CREATED)

    @extend_schema(
        summary="设置截止时间",
        parameters=[NOTICE_ID],
        description="草稿通知的截止时间（同一环节、同一适用单位再次设置即为修改）；不得晚于上级通知规定的本单位报送截止时间。",
        request=DeadlineSetSerializer,
        responses={201: DeadlineSerializer, 200: DeadlineSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def deadlines(self, request, pk=None):
        notice = self._visible(selectors.notice_for, pk)
        data = self._input(DeadlineSetSerializer)
        existed = Deadline.objects.filter(notice=notice, stage=data["stage"], authority=data.get("authority")).exists()
        with service_errors():
            deadline = services.deadline_set(actor=request.user, notice=notice, request=request, **data)
        deadline = Deadline.objects.select_related("authority").get(pk=deadline.pk)
        return Response(
            DeadlineSerializer(deadline).data, status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        )
