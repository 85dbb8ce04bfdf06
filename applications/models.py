from django.conf import settings
from django.db import models
from django.db.models import Q
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from notices.models import Category


class State(models.TextChoices):
    """Application states: stable ASCII codes (the workflow table in reviews/workflow.py moves between them)."""

    DRAFT = "draft", "草稿"
    UNDER_REVIEW = "under_review", "审核中"
    RETURNED = "returned", "退回修改"
    WITHDRAWN = "withdrawn", "已撤回"
    NOT_RECOMMENDED = "not_recommended", "不予推荐"
    RECOMMENDED = "recommended", "已推荐"
    LISTED = "listed", "已入选名单"
    NOT_LISTED = "not_listed", "未入选"


EDITABLE_STATES = (State.DRAFT, State.RETURNED)


class Application(models.Model):
    class EvaluationMode(models.TextChoices):
        SELF = "self", "自评价"
        THIRD_PARTY = "third_party", "第三方评价"

    notice = models.ForeignKey(
        "notices.Notice", verbose_name="申报依据的通知", on_delete=models.PROTECT, related_name="applications"
    )
    category = models.CharField("申报类别", max_length=16, choices=Category.choices)
    applicant = models.ForeignKey(
        "organizations.Organization", verbose_name="申报单位", on_delete=models.PROTECT, related_name="applications"
    )
    evaluation_mode = models.CharField(
        "评价方式", max_length=16, choices=EvaluationMode.choices, default=EvaluationMode.SELF
    )
    data = models.JSONField("申报信息", default=dict, blank=True)
    self_evaluation_org = models.ForeignKey(
        "organizations.Organization",
        verbose_name="自评价报告编制单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="委托咨询机构编制自评价报告的，填写该机构",
    )
    self_evaluation_person = models.CharField("自评价报告编制人", max_length=64, blank=True)
    state = models.CharField("状态", max_length=24, choices=State.choices, default=State.DRAFT, db_index=True)
    holder = models.ForeignKey(
        "organizations.Organization",
        verbose_name="当前办理单位",
        on_delete=models.PROTECT,
        related_name="held_applications",
    )
    version = models.PositiveIntegerField("版本", default=1, help_text="每次状态变化加一，用于并发控制")
    commitment_signer = models.CharField("承诺人", max_length=64, blank=True)
    commitment_signed_at = models.DateTimeField("承诺时间", null=True, blank=True)
    commitment_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField("最近提交时间", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = verbose_name_plural = "申报"
        constraints = [
            models.UniqueConstraint(fields=["notice", "category", "applicant"], name="application_once_per_notice"),
        ]
        indexes = [models.Index(fields=["holder", "state"]), models.Index(fields=["applicant", "state"])]

    def __str__(self):
        return f"{self.applicant}（{self.get_category_display()}）"

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES


class ApplicationUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Application, on_delete=models.CASCADE)


class ApplicationGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Application, on_delete=models.CASCADE)


class NegativeItem(models.TextChoices):
    """The negative list (近三年), DOMAIN.md; codes match the eligibility rules. 004_30892f5977438438.txt §一."""

    OPERATION = "NEG-OPERATION", "未正常经营生产（工商注销、连续停产12个月以上、列入经营异常名单且未移出等）"
    SAFETY = "NEG-SAFETY", "发生安全事故（含网络安全、数据安全）"
    QUALITY = "NEG-QUALITY", "发生质量事故"
    ENVIRONMENT = "NEG-ENVIRONMENT", "发生环境污染事故"
    TAX = "NEG-TAX", "偷漏税等违法违规行为（以“信用中国”和“国家企业信用信息公示系统”为准）"
    REMOVED = "NEG-REMOVED", "被动态调整出绿色制造名单"
    INSPECTION = "NEG-INSPECTION", "在国务院及有关部门相关督查工作中被发现存在严重问题"
    RECTIFICATION = "NEG-RECTIFICATION", "被列入工业节能监察整改名单且未按要求完成整改"
    DISHONEST = "NEG-DISHONEST", "被列为失信被执行人"


class Declaration(models.Model):
    """The applicant's answer to one negative-list item for the last three years: a fact for eligibility."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="declarations")
    item = models.CharField("负面清单事项", max_length=32, choices=NegativeItem.choices)
    occurred = models.BooleanField("近三年是否存在该情形")
    note = models.TextField("说明", blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    answered_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["application_id", "id"]
        verbose_name = verbose_name_plural = "负面清单声明"
        constraints = [models.UniqueConstraint(fields=["application", "item"], name="declaration_once")]

    def __str__(self):
        return f"{self.get_item_display()}：{'有' if self.occurred else '无'}"


class Engagement(models.Model):
    """The applicant commissions a third-party assessor; only the assessor uploads the report and score."""

    class Status(models.TextChoices):
        PENDING = "pending", "待接受"
        ACCEPTED = "accepted", "已接受"
        DECLINED = "declined", "已拒绝"
        CANCELLED = "cancelled", "已撤销"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="engagements")
    assessor = models.ForeignKey(
        "organizations.Organization",
        verbose_name="第三方评价机构",
        on_delete=models.PROTECT,
        related_name="engagements",
    )
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField("拒绝理由", blank=True)
    lead_assessor = models.CharField("项目负责人", max_length=64, blank=True)
    score = models.DecimalField("第三方评价得分", max_digits=5, decimal_places=1, null=True, blank=True)
    report_submitted_at = models.DateTimeField("报告提交时间", null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = verbose_name_plural = "第三方评价委托"
        constraints = [
            models.UniqueConstraint(
                fields=["application"], condition=Q(status__in=["pending", "accepted"]), name="engagement_one_active"
            ),
        ]

    def __str__(self):
        return f"{self.assessor} ← {self.application}"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.ACCEPTED)


THIRD_PARTY_REPORT = "third_party_report"


class MaterialFile(models.Model):
    """One uploaded version of one material. A re-upload adds a version; old ones stay."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="files")
    material = models.ForeignKey(
        "notices.RequiredMaterial",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="材料要求",
    )
    kind = models.CharField("材料", max_length=32, help_text="材料要求的编号，或 third_party_report")
    version = models.PositiveIntegerField("版本")
    file = models.FileField(upload_to="applications/%Y/%m/", max_length=200)
    original_name = models.CharField("原文件名", max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    is_current = models.BooleanField(default=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_by_org = models.ForeignKey(
        "organizations.Organization", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["application_id", "kind", "-version"]
        verbose_name = verbose_name_plural = "申报材料文件"
        constraints = [
            models.UniqueConstraint(fields=["application", "kind", "version"], name="material_version_unique"),
            models.UniqueConstraint(
                fields=["application", "kind"], condition=Q(is_current=True), name="material_one_current"
            ),
        ]

    def __str__(self):
        return f"{self.original_name}（第{self.version}版）"
