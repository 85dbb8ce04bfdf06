from django.conf import settings
from django.db import models
from django.db.models import Q


class Category(models.TextChoices):
    FACTORY = "factory", "绿色工厂"
    PARK = "park", "绿色工业园区"
    SUPPLY_CHAIN = "supply_chain", "绿色供应链管理企业"
    PRODUCT = "product", "绿色设计产品"


class Notice(models.Model):
    """A yearly notice (年度通知), possibly forwarding its parent authority's notice."""

    class ListLevel(models.TextChoices):
        CITY = "city", "市级"
        PROVINCE = "province", "省级"
        NATIONAL = "national", "国家级"

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        PUBLISHED = "published", "已发布"
        CLOSED = "closed", "已结束"

    year = models.PositiveSmallIntegerField("年度")
    title = models.CharField("标题", max_length=200)
    doc_number = models.CharField("文号", max_length=64, blank=True)
    issuer = models.ForeignKey(
        "organizations.Organization",
        verbose_name="发文机关",
        on_delete=models.PROTECT,
        related_name="notices",
        limit_choices_to={"kind": "authority"},
    )
    list_level = models.CharField("名单层级", max_length=16, choices=ListLevel.choices)
    body = models.TextField("正文", blank=True)
    forwards = models.ForeignKey(
        "self", verbose_name="转发的通知", null=True, blank=True, on_delete=models.PROTECT, related_name="forwarded_by"
    )
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    issued_on = models.DateField("成文日期", null=True, blank=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-year", "-published_at", "-id"]
        verbose_name = verbose_name_plural = "年度通知"
        constraints = [
            # An authority forwards a given notice once.
            models.UniqueConstraint(
                fields=["issuer", "forwards"], condition=Q(forwards__isnull=False), name="notice_forward_once"
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.PUBLISHED


class NoticeCategory(models.Model):
    """A category the notice opens, with its evaluation options and the third-party cap."""

    class CapBasis(models.TextChoices):
        LEGAL_ENTITY = "legal_entity", "按法人（含关联单位）"
        LEGAL_REPRESENTATIVE = "legal_representative", "按法定代表人"

    class CapPeriod(models.TextChoices):
        BATCH = "batch", "每批次"
        YEAR = "year", "每年度"

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="categories")
    category = models.CharField("类别", max_length=16, choices=Category.choices)
    self_evaluation_allowed = models.BooleanField("允许自评价", default=True)
    third_party_allowed = models.BooleanField("允许第三方评价", default=True)
    assessor_cap = models.PositiveSmallIntegerField("第三方机构评价项目上限", default=15)
    cap_basis = models.CharField("上限计算口径", max_length=24, choices=CapBasis.choices, default=CapBasis.LEGAL_ENTITY)
    cap_period = models.CharField("上限计算周期", max_length=8, choices=CapPeriod.choices, default=CapPeriod.BATCH)

    class Meta:
        ordering = ["notice_id", "id"]
        verbose_name = verbose_name_plural = "通知申报类别"
        constraints = [
            models.UniqueConstraint(fields=["notice", "category"], name="notice_category_unique"),
            models.CheckConstraint(
                condition=Q(self_evaluation_allowed=True) | Q(third_party_allowed=True),
                name="notice_category_some_evaluation",
            ),
        ]

    def __str__(self):
        return self.get_category_display()


class RequiredMaterial(models.Model):
    class FileType(models.TextChoices):
        PDF = "pdf", "PDF"
        DOCX = "docx", "Word（docx）"
        XLSX = "xlsx", "Excel（xlsx）"
        JPG = "jpg", "JPG 图片"
        PNG = "png", "PNG 图片"

    notice_category = models.ForeignKey(NoticeCategory, on_delete=models.CASCADE, related_name="materials")
    name = models.CharField("材料名称", max_length=128)
    description = models.CharField("说明", max_length=255, blank=True)
    required = models.BooleanField("必须提交", default=True)
    accepted_types = models.CharField(
        "接受的文件类型", max_length=64, default="pdf", help_text="逗号分隔：pdf, docx, xlsx, jpg, png"
    )
    max_size_mb = models.PositiveIntegerField("大小上限（MB）", default=20)
    position = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        ordering = ["notice_category_id", "position", "id"]
        verbose_name = verbose_name_plural = "申报材料要求"

    def __str__(self):
        return self.name

    @property
    def types(self) -> list[str]:
        return [t.strip() for t in self.accepted_types.split(",") if t.strip()]


class Quota(models.Model):
    """How many units of a category a receiving authority may recommend (e.g. green factories per city)."""

    notice_category = models.ForeignKey(NoticeCategory, on_delete=models.CASCADE, related_name="quotas")
    authority = models.ForeignKey(
        "organizations.Organization",
        verbose_name="推荐单位",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "authority"},
    )
    limit = models.PositiveIntegerField("推荐名额")

    class Meta:
        verbose_name = verbose_name_plural = "推荐名额"
        constraints = [models.UniqueConstraint(fields=["notice_category", "authority"], name="quota_unique")]

    def __str__(self):
        return f"{self.authority}：{self.limit}"


class Deadline(models.Model):
    """A deadline set by the notice's issuer for those who submit to it.

    stage=applicant: applicants submit to their first authority (within the issuer's jurisdiction);
    stage=authority: authorities reporting to the issuer submit their batch to it.
    `authority` narrows the deadline to one submitting authority (or one first authority, for applicants).
    """

    class Stage(models.TextChoices):
        APPLICANT = "applicant", "申报单位提交"
        AUTHORITY = "authority", "主管部门报送"

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="deadlines")
    stage = models.CharField("环节", max_length=16, choices=Stage.choices)
    authority = models.ForeignKey(
        "organizations.Organization",
        verbose_name="适用主管部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="留空则适用于全部",
    )
    due_at = models.DateTimeField("截止时间")
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = verbose_name_plural = "截止时间"
        constraints = [
            models.UniqueConstraint(fields=["notice", "stage", "authority"], name="deadline_unique_scoped"),
            models.UniqueConstraint(
                fields=["notice", "stage"], condition=Q(authority__isnull=True), name="deadline_unique_general"
            ),
        ]

    def __str__(self):
        return f"{self.notice}：{self.get_stage_display()} {self.due_at:%Y-%m-%d %H:%M}"


class Extension(models.Model):
    """延期: one organization may act later than the deadline, to the second of new_due_at."""

    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="extensions")
    organization = models.ForeignKey(
        "organizations.Organization", verbose_name="延期单位", on_delete=models.PROTECT, related_name="+"
    )
    new_due_at = models.DateTimeField("延期至")
    reason = models.TextField("延期理由")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name="批准人"
    )
    granted_at = models.DateTimeField("批准时间", auto_now_add=True)

    class Meta:
        ordering = ["-granted_at", "-id"]
        verbose_name = verbose_name_plural = "延期"

    def __str__(self):
        return f"{self.organization} 延期至 {self.new_due_at:%Y-%m-%d %H:%M:%S}"


class NoticeAttachment(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField("附件名称", max_length=200)
    file = models.FileField(upload_to="notices/%Y/")
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = verbose_name_plural = "通知附件"

    def __str__(self):
        return self.name


class Reminder(models.Model):
    """One reminder sent; the unique constraint is what keeps a second run from sending it again."""

    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="reminders")
    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField("待办类型", max_length=32)
    days_before = models.PositiveSmallIntegerField("提前天数")
    due_at = models.DateTimeField("提醒时的截止时间")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = verbose_name_plural = "截止提醒"
        constraints = [
            models.UniqueConstraint(
                fields=["deadline", "organization", "kind", "days_before", "due_at"], name="reminder_once"
            ),
        ]

    def __str__(self):
        return f"{self.organization} {self.days_before}天提醒"
