"""Serializers of the applications API: what an application, its materials and engagements look like, and what
the writes accept. Category data is validated by applications.categories (through the services); unknown keys are
refused here, since the category form would drop them silently."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from notices.models import Category, Notice
from notices.selectors import notices_visible_to
from organizations.models import Organization
from organizations.selectors import memberships_of

from .. import selectors, services
from ..categories import FORMS
from ..models import (
    EDITABLE_STATES,
    THIRD_PARTY_REPORT,
    Application,
    Declaration,
    Engagement,
    MaterialFile,
    NegativeItem,
    State,
)

DATA_FIELDS = {name for form in FORMS.values() for name in form.base_fields}


def category_fields_help() -> str:
    lines = []
    for code, label in Category.choices:
        form = FORMS.get(code)
        if form is None:
            continue
        fields = "；".join(f"{name}（{field.label}）" for name, field in form.base_fields.items())
        lines.append(f"{code}（{label}）：{fields}")
    return "申报信息，按申报类别：\n\n" + "\n\n".join(lines)


DATA_HELP = category_fields_help()


def check_data_keys(category: str, data: dict) -> None:
    """Unknown keys would be dropped silently by the category form: refuse them instead."""
    known = FORMS[category].base_fields
    errors = {}
    for key in data:
        if key == "third_party_score":
            errors[key] = ["第三方评价得分由受委托的评价机构上传评价报告时填写。"]
        elif key not in known:
            errors[key] = [f"{Category(category).label}的申报信息没有此项。"]
    if errors:
        raise ValidationError({"data": errors})


# Reading


class MaterialFileSerializer(serializers.ModelSerializer):
    """One stored version of one material."""

    uploaded_by_org_name = serializers.CharField(
        source="uploaded_by_org.name", read_only=True, allow_null=True, default=None
    )
    url = serializers.SerializerMethodField(help_text="下载地址（与申报同样的可见范围）")

    class Meta:
        model = MaterialFile
        fields = [
            "id",
            "kind",
            "version",
            "is_current",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_at",
            "uploaded_by_org",
            "uploaded_by_org_name",
            "url",
        ]
        read_only_fields = fields

    def get_url(self, record) -> str:
        return reverse("api-application-file", kwargs={"pk": record.application_id, "file_id": record.pk})


class MaterialSlotSerializer(serializers.Serializer):
    """A material the notice asks for in this category, with every version uploaded for it."""

    kind = serializers.CharField(help_text="上传时填写的 kind：材料要求的编号，或 third_party_report")
    name = serializers.CharField()
    description = serializers.CharField()
    required = serializers.BooleanField()
    accepted_types = serializers.ListField(child=serializers.CharField())
    max_size_mb = serializers.IntegerField()
    uploaded_by = serializers.ChoiceField(
        choices=[("applicant", "申报单位"), ("assessor", "受委托的第三方评价机构")], help_text="由谁上传"
    )
    current = MaterialFileSerializer(allow_null=True, help_text="当前版本；未上传为 null")
    versions = MaterialFileSerializer(many=True, help_text="全部版本，新版在前；重新上传不删除旧版本")


class DeclarationSerializer(serializers.ModelSerializer):
    item_display = serializers.CharField(source="get_item_display", read_only=True)

    class Meta:
        model = Declaration
        fields = ["item", "item_display", "occurred", "note", "answered_at"]
        read_only_fields = fields


class EngagementSummarySerializer(serializers.ModelSerializer):
    """The application's third-party assessor: the active engagement, else the latest one."""

    assessor_name = serializers.CharField(source="assessor.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    score = serializers.DecimalField(max_digits=5, decimal_places=1, coerce_to_string=False, read_only=True)

    class Meta:
        model = Engagement
        fields = [
            "id",
            "assessor",
            "assessor_name",
            "status",
            "status_display",
            "lead_assessor",
            "decline_reason",
            "score",
            "requested_at",
            "responded_at",
            "report_submitted_at",
        ]
        read_only_fields = fields


class EngagementSerializer(EngagementSummarySerializer):
    """An engagement as the assessor's and the applicant's lists show it."""

    applicant = serializers.IntegerField(source="application.applicant_id", read_only=True)
    applicant_name = serializers.CharField(source="application.applicant.name", read_only=True)
    category = serializers.CharField(source="application.category", read_only=True)
    category_display = serializers.CharField(source="application.get_category_display", read_only=True)
    notice = serializers.IntegerField(source="application.notice_id", read_only=True)
    notice_title = serializers.CharField(source="application.notice.title", read_only=True)

    class Meta(EngagementSummarySerializer.Meta):
        fields = [
            "id",
            "application",
            "applicant",
            "applicant_name",
            "category",
            "category_display",
            "notice",
            "notice_title",
            *EngagementSummarySerializer.Meta.fields[1:],
        ]
        read_only_fields = fields


def shown_engagement(application: Application) -> Engagement | None:
    """From the prefetched engagements (newest first): the active one, else the latest."""
    engagements = list(application.engagements.all())
    return next((e for e in engagements if e.is_active), engagements[0] if engagements else None)


class ApplicationSerializer(serializers.ModelSerializer):
    """An application in the list: no per-row queries (engagements are prefetched)."""

    notice_title = serializers.CharField(source="notice.title", read_only=True)
    category_display = serializers.CharField(source="get_category_display", read_only=True)
    applicant_name = serializers.CharField(source="applicant.name", read_only=True)
    evaluation_mode_display = serializers.CharField(source="get_evaluation_mode_display", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    holder_name = serializers.CharField(source="holder.name", read_only=True)
    version = serializers.IntegerField(read_only=True, help_text="每次状态变化加一；办理时可作为期望版本提交")
    data = serializers.DictField(read_only=True, help_text=DATA_HELP)
    engagement = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "id",
            "notice",
            "notice_title",
            "category",
            "category_display",
            "applicant",
            "applicant_name",
            "evaluation_mode",
            "evaluation_mode_display",
            "state",
            "state_display",
            "holder",
            "holder_name",
            "version",
            "data",
            "submitted_at",
            "created_at",
            "updated_at",
            "engagement",
        ]
        read_only_fields = fields

    @extend_schema_field(EngagementSummarySerializer(allow_null=True))
    def get_engagement(self, application) -> dict | None:
        engagement = shown_engagement(application)
        return EngagementSummarySerializer(engagement).data if engagement else None


class ApplicationDetailSerializer(ApplicationSerializer):
    """One application: its data, declarations, commitment, materials with versions, what is still missing."""

    self_evaluation_org_name = serializers.CharField(
        source="self_evaluation_org.name", read_only=True, allow_null=True, default=None
    )
    declarations = DeclarationSerializer(many=True, read_only=True)
    missing = serializers.SerializerMethodField(
        help_text="提交前还缺什么（applications.selectors.completeness）；不可编辑的状态下为 null"
    )
    materials = serializers.SerializerMethodField()

    class Meta(ApplicationSerializer.Meta):
        fields = [
            *ApplicationSerializer.Meta.fields,
            "self_evaluation_org",
            "self_evaluation_org_name",
            "self_evaluation_person",
            "declarations",
            "commitment_signer",
            "commitment_signed_at",
            "missing",
            "materials",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField(), allow_null=True))
    def get_missing(self, application) -> list[str] | None:
        if application.state not in EDITABLE_STATES:
            return None
        return selectors.completeness(application)

    @extend_schema_field(MaterialSlotSerializer(many=True))
    def get_materials(self, application) -> list[dict]:
        return MaterialSlotSerializer(material_slots(application), many=True).data


def material_slots(application: Application) -> list[dict]:
    """The notice's required materials for the category (and the third-party report), each with its versions."""
    by_kind: dict[str, list[MaterialFile]] = {}
    for record in application.files.all():  # prefetched, newest version first within a kind
        by_kind.setdefault(record.kind, []).append(record)

    def slot(kind, name, description, required, types, max_mb, uploaded_by):
        versions = by_kind.pop(kind, [])
        return {
            "kind": kind,
            "name": name,
            "description": description,
            "required": required,
            "accepted_types": types,
            "max_size_mb": max_mb,
            "uploaded_by": uploaded_by,
            "current": next((v for v in versions if v.is_current), None),
            "versions": versions,
        }

    slots = []
    notice_category = selectors.notice_category_of(application)
    for material in notice_category.materials.all() if notice_category else ():
        slots.append(
            slot(
                str(material.pk),
                material.name,
                material.description,
                material.required,
                material.types,
                material.max_size_mb,
                "applicant",
            )
        )
    if application.evaluation_mode == Application.EvaluationMode.THIRD_PARTY or THIRD_PARTY_REPORT in by_kind:
        slots.append(
            slot(
                THIRD_PARTY_REPORT,
                "第三方评价报告",
                "由受委托的第三方评价机构上传，同时填写评价得分",
                application.evaluation_mode == Application.EvaluationMode.THIRD_PARTY,
                services.REPORT_TYPES,
                services.REPORT_MAX_BYTES // (1024 * 1024),
                "assessor",
            )
        )
    for kind, versions in list(by_kind.items()):  # a material the notice no longer asks for: its files stay
        first = versions[0]
        slots.append(
            slot(
                kind,
                first.material.name if first.material else first.original_name,
                "",
                False,
                first.material.types if first.material else [],
                first.material.max_size_mb if first.material else 0,
                "applicant",
            )
        )
    return slots


class ApplicationFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=State.choices, required=False)
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    notice = serializers.IntegerField(required=False, min_value=1)


# Writing


@extend_schema_field(OpenApiTypes.INT)
class ApplicantField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        request = self.context.get("request")
        applicants = Organization.objects.filter(kind__in=[Organization.Kind.ENTERPRISE, Organization.Kind.PARK])
        if request is None:
            return applicants.none()
        if request.user.is_superuser:
            return applicants
        return applicants.filter(pk__in=[m.organization_id for m in memberships_of(request.user)])


@extend_schema_field(OpenApiTypes.INT)
class VisibleNoticeField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        request = self.context.get("request")
        return notices_visible_to(request.user) if request is not None else Notice.objects.none()


class ApplicationCreateSerializer(serializers.Serializer):
    notice = VisibleNoticeField(
        label="通知",
        help_text="申报依据的年度通知（通常为本地工信部门转发的通知）",
        error_messages={
            "does_not_exist": "编号为 {pk_value} 的通知不存在或不可见。",
            "incorrect_type": "通知应填写通知编号。",
        },
    )
    category = serializers.ChoiceField(
        label="申报类别", choices=Category.choices, error_messages={"invalid_choice": "未知的申报类别：{input}。"}
    )
    evaluation_mode = serializers.ChoiceField(
        label="评价方式", choices=Application.EvaluationMode.choices, default=Application.EvaluationMode.SELF
    )
    applicant = ApplicantField(
        label="申报单位",
        required=False,
        help_text="以哪个单位的名义申报；本人只在一个企业或园区任职时可省略",
        error_messages={
            "does_not_exist": "您不能以编号为 {pk_value} 的单位名义申报：只能选择本人所在的企业或园区。",
            "incorrect_type": "申报单位应填写单位编号。",
        },
    )
    data = serializers.DictField(label="申报信息", required=False, default=dict, help_text=DATA_HELP)

    def validate(self, attrs):
        check_data_keys(attrs["category"], attrs.get("data") or {})
        if attrs.get("applicant") is None:
            request = self.context["request"]
            own = [m.organization for m in memberships_of(request.user) if m.organization.is_applicant]
            if len(own) != 1:
                raise ValidationError({"applicant": ["请指定以哪个单位的名义申报。"]})
            attrs["applicant"] = own[0]
        return attrs


class DeclarationAnswerSerializer(serializers.Serializer):
    occurred = serializers.BooleanField(label="近三年是否存在该情形")
    note = serializers.CharField(label="说明", required=False, allow_blank=True, default="", help_text="存在的须说明")


@extend_schema_field(OpenApiTypes.INT)
class SelfEvaluationOrgField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return Organization.objects.filter(kind=Organization.Kind.ASSESSOR, is_active=True)


class ApplicationUpdateSerializer(serializers.Serializer):
    data = serializers.DictField(
        label="申报信息", required=False, help_text="与已保存的申报信息合并；某项填 null 即清空。\n\n" + DATA_HELP
    )
    evaluation_mode = serializers.ChoiceField(
        label="评价方式", choices=Application.EvaluationMode.choices, required=False
    )
    self_evaluation_org = SelfEvaluationOrgField(
        label="自评价报告编制单位",
        required=False,
        allow_null=True,
        help_text="委托登记在册的评价（咨询）机构编制自评价报告的，填写该机构编号；该机构不能再担任第三方评价机构",
        error_messages={"does_not_exist": "编号为 {pk_value} 的机构不是登记在册的评价机构。"},
    )
    self_evaluation_person = serializers.CharField(
        label="自评价报告编制人", required=False, allow_blank=True, max_length=64
    )
    declarations = serializers.DictField(
        label="负面清单声明",
        child=DeclarationAnswerSerializer(),
        required=False,
        help_text="键为负面清单事项代码：" + "、".join(NegativeItem.values),
    )
    commitment_signer = serializers.CharField(
        label="承诺人", required=False, max_length=64, help_text="签署承诺书（须已逐项回答负面清单声明）"
    )


class MaterialUploadSerializer(serializers.Serializer):
    kind = serializers.CharField(label="材料", help_text="材料要求的编号（通知该类别的 materials[].id）")
    file = serializers.FileField(label="文件", help_text="按内容识别类型（PDF、DOCX、XLSX、JPG、PNG），不看扩展名")


class EngagementRequestSerializer(serializers.Serializer):
    assessor = serializers.PrimaryKeyRelatedField(
        label="第三方评价机构",
        queryset=Organization.objects.filter(kind=Organization.Kind.ASSESSOR, is_active=True),
        error_messages={
            "does_not_exist": "编号为 {pk_value} 的单位不是登记在册的第三方评价机构。",
            "incorrect_type": "第三方评价机构应填写单位编号。",
        },
    )


class EngagementRespondSerializer(serializers.Serializer):
    accept = serializers.BooleanField(label="是否接受")
    reason = serializers.CharField(label="拒绝理由", required=False, allow_blank=True, default="")
    lead_assessor = serializers.CharField(
        label="项目负责人", required=False, allow_blank=True, default="", max_length=64
    )


class EngagementReportSerializer(serializers.Serializer):
    file = serializers.FileField(label="第三方评价报告", help_text="PDF")
    score = serializers.DecimalField(label="第三方评价得分", max_digits=4, decimal_places=1, min_value=0, max_value=100)


class EngagementReportResultSerializer(serializers.Serializer):
    engagement = EngagementSerializer()
    file = MaterialFileSerializer()


class EngagementFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Engagement.Status.choices, required=False)
