"""The review chain: referrals level by level, department consultations, recommendation batches, expert review
and 公示. Workflow rules live in reviews/workflow.py and reviews/services/; these are the records they keep."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from applications.models import NegativeItem
from notices.models import Category

USER = settings.AUTH_USER_MODEL


class Referral(models.Model):
    """The application reached an authority: one row per arrival, with that authority's decision."""

    class Decision(models.TextChoices):
        RECOMMEND = "recommend", "推荐"
        RETURN = "return", "退回修改"
        NOT_RECOMMEND = "not_recommend", "不予推荐"
        WITHDRAWN = "withdrawn", "申报单位撤回"
        RETURN_LOWER = "return_lower", "退回下级主管部门"

    application = models.ForeignKey("applications.Application", on_delete=models.CASCADE, related_name="referrals")
    authority = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="referrals")
    batch = models.ForeignKey(
        "reviews.Batch", verbose_name="报送批次", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField("收到时间", auto_now_add=True)
    decision = models.CharField("决定", max_length=16, choices=Decision.choices, blank=True)
    opinion = models.TextField("意见", blank=True)
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["received_at", "id"]
        verbose_name = verbose_name_plural = "逐级报送记录"
        constraints = [
            models.UniqueConstraint(fields=["application"], condition=Q(decision=""), name="referral_one_open"),
        ]
        indexes = [models.Index(fields=["authority", "decision"])]

    def __str__(self):
        return f"{self.application} → {self.authority}"

    @property
    def is_open(self) -> bool:
        return not self.decision


# --------------------------------------------------------------------------------------- consultations (征求意见)


class Consultation(models.Model):
    """An authority asks its region's 生态环境/应急管理/市场监管 departments for opinions on some applications."""

    authority = models.ForeignKey(
        "organizations.Organization", verbose_name="征求意见单位", on_delete=models.PROTECT, related_name="+"
    )
    notice = models.ForeignKey("notices.Notice", verbose_name="通知", on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField("反馈截止日期")
    message = models.TextField("函告内容", blank=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("发出时间", auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "征求意见"

    def __str__(self):
        return f"{self.authority}征求意见（{self.created_at:%Y-%m-%d}）"


class ConsultationReply(models.Model):
    """One department's opinion on one application of a consultation; created pending when the request is sent."""

    class Opinion(models.TextChoices):
        PENDING = "pending", "待反馈"
        NO_OBJECTION = "no_objection", "无异议"
        OBJECTION = "objection", "有异议"

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="replies")
    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="consultation_replies"
    )
    department = models.ForeignKey(
        "organizations.Organization", verbose_name="协同部门", on_delete=models.PROTECT, related_name="+"
    )
    opinion = models.CharField("意见", max_length=16, choices=Opinion.choices, default=Opinion.PENDING)
    reason = models.TextField("理由", blank=True)
    negative_item = models.CharField("涉及的负面清单事项", max_length=32, choices=NegativeItem.choices, blank=True)
    proof = models.FileField("证明材料", upload_to="consultations/%Y/%m/", blank=True)
    proof_name = models.CharField("证明材料文件名", max_length=255, blank=True)
    proof_sha256 = models.CharField(max_length=64, blank=True)
    replied_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    replied_at = models.DateTimeField("反馈时间", null=True, blank=True)
    waived_reason = models.TextField("逾期未反馈的说明", blank=True)
    waived_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    waived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["consultation_id", "application_id", "department_id"]
        verbose_name = verbose_name_plural = "部门反馈意见"
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "application", "department"], name="consultation_reply_once"
            ),
        ]
        indexes = [models.Index(fields=["department", "opinion"]), models.Index(fields=["application", "opinion"])]

    def __str__(self):
        return f"{self.department}：{self.application}（{self.get_opinion_display()}）"


# ------------------------------------------------------------------------------------ recommendation batches


class Batch(models.Model):
    """推荐批次: an authority's ordered recommendation list, submitted with its stamped letter to its parent."""

    class State(models.TextChoices):
        DRAFT = "draft", "草稿"
        SUBMITTED = "submitted", "已报送"
        RECEIVED = "received", "已签收"
        RETURNED = "returned", "已退回"

    authority = models.ForeignKey(
        "organizations.Organization", verbose_name="推荐单位", on_delete=models.PROTECT, related_name="batches"
    )
    recipient = models.ForeignKey(
        "organizations.Organization", verbose_name="报送至", on_delete=models.PROTECT, related_name="incoming_batches"
    )
    notice = models.ForeignKey("notices.Notice", verbose_name="通知", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    number = models.PositiveIntegerField("批次序号", help_text="同一单位同一年度内连续编号")
    title = models.CharField("批次名称", max_length=200)
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.DRAFT, db_index=True)
    version = models.PositiveIntegerField("版本", default=1)
    scan = models.FileField("盖章扫描件", upload_to="batches/%Y/%m/", blank=True)
    scan_name = models.CharField("扫描件文件名", max_length=255, blank=True)
    scan_sha256 = models.CharField(max_length=64, blank=True)
    scan_uploaded_at = models.DateTimeField(null=True, blank=True)
    scan_uploaded_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    submitted_at = models.DateTimeField("报送时间", null=True, blank=True)
    submitted_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    received_at = models.DateTimeField("签收时间", null=True, blank=True)
    received_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    returned_at = models.DateTimeField("退回时间", null=True, blank=True)
    returned_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    return_reason = models.TextField("退回理由", blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "推荐批次"
        constraints = [
            models.UniqueConstraint(fields=["authority", "year", "number"], name="batch_number_unique"),
        ]
        indexes = [models.Index(fields=["recipient", "state"])]

    def __str__(self):
        return self.title


class BatchItem(models.Model):
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="items")
    application = models.ForeignKey("applications.Application", on_delete=models.PROTECT, related_name="batch_items")
    rank = models.PositiveIntegerField("推荐顺序")

    class Meta:
        ordering = ["batch_id", "rank", "id"]
        verbose_name = verbose_name_plural = "批次申报"
        constraints = [models.UniqueConstraint(fields=["batch", "application"], name="batch_item_once")]

    def __str__(self):
        return f"{self.batch} #{self.rank} {self.application}"


# ------------------------------------------------------------------------------------------- expert review


class Panel(models.Model):
    """An expert panel of an authority for one notice and category, with its scoring form and aggregation."""

    class Aggregate(models.TextChoices):
        MEAN = "mean", "算术平均"
        MEDIAN = "median", "中位数"
        TRIMMED = "trimmed", "去掉最高最低分后平均"

    authority = models.ForeignKey(
        "organizations.Organization", verbose_name="组织评审单位", on_delete=models.PROTECT, related_name="+"
    )
    notice = models.ForeignKey("notices.Notice", verbose_name="通知", on_delete=models.PROTECT, related_name="+")
    category = models.CharField("类别", max_length=16, choices=Category.choices)
    name = models.CharField("评审组名称", max_length=128)
    aggregate = models.CharField("汇总方式", max_length=16, choices=Aggregate.choices, default=Aggregate.MEAN)
    experts_per_application = models.PositiveSmallIntegerField("每项申报评审专家数", default=3)
    experts = models.ManyToManyField(
        "organizations.ExpertProfile", verbose_name="评审专家", blank=True, related_name="panels"
    )
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["notice_id", "category", "id"]
        verbose_name = verbose_name_plural = "专家评审组"
        constraints = [
            models.UniqueConstraint(fields=["authority", "notice", "category"], name="panel_once_per_category"),
        ]

    def __str__(self):
        return self.name


class Criterion(models.Model):
    """A weighted criterion of the panel's scoring form: an expert scores 0..max_score; weight multiplies."""

    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField("评分项", max_length=128)
    description = models.CharField("评分要点", max_length=255, blank=True)
    weight = models.DecimalField("权重", max_digits=5, decimal_places=2, default=1)
    max_score = models.PositiveSmallIntegerField("满分", default=100)
    position = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        ordering = ["panel_id", "position", "id"]
        verbose_name = verbose_name_plural = "评分项"

    def __str__(self):
        return self.name


class ExpertConflict(models.Model):
    """A conflict of interest an expert declared with an organization (回避)."""

    expert = models.ForeignKey("organizations.ExpertProfile", on_delete=models.CASCADE, related_name="conflicts")
    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField("原因", max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "专家回避声明"
        constraints = [models.UniqueConstraint(fields=["expert", "organization"], name="expert_conflict_once")]

    def __str__(self):
        return f"{self.expert} 回避 {self.organization}"


class Assignment(models.Model):
    class Status(models.TextChoices):
        ASSIGNED = "assigned", "待评审"
        DECLINED = "declined", "已拒绝"
        SUBMITTED = "submitted", "已评分"

    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="assignments")
    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="expert_assignments"
    )
    expert = models.ForeignKey("organizations.ExpertProfile", on_delete=models.PROTECT, related_name="assignments")
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.ASSIGNED)
    decline_reason = models.CharField("拒绝理由", max_length=255, blank=True)
    total = models.DecimalField("加权总分", max_digits=7, decimal_places=2, null=True, blank=True)
    comment = models.TextField("评审意见", blank=True)
    assigned_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    assigned_at = models.DateTimeField(auto_now_add=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["panel_id", "application_id", "id"]
        verbose_name = verbose_name_plural = "专家评审任务"
        constraints = [
            models.UniqueConstraint(fields=["panel", "application", "expert"], name="assignment_once"),
        ]
        indexes = [models.Index(fields=["expert", "status"])]

    def __str__(self):
        return f"{self.expert} → {self.application}"


class Score(models.Model):
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="+")
    value = models.DecimalField("得分", max_digits=6, decimal_places=2)

    class Meta:
        verbose_name = verbose_name_plural = "评分"
        constraints = [models.UniqueConstraint(fields=["assignment", "criterion"], name="score_once")]

    def __str__(self):
        return f"{self.criterion}：{self.value}"


# ----------------------------------------------------------------------------------------------- 公示


class Publicity(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "草稿"
        PUBLISHED = "published", "公示中"
        FINALIZED = "finalized", "已定稿"

    authority = models.ForeignKey(
        "organizations.Organization", verbose_name="公示单位", on_delete=models.PROTECT, related_name="+"
    )
    notice = models.ForeignKey("notices.Notice", verbose_name="通知", on_delete=models.PROTECT, related_name="+")
    title = models.CharField("公示标题", max_length=200)
    body = models.TextField("公示说明", blank=True)
    starts_on = models.DateField("公示开始日期")
    ends_on = models.DateField("公示结束日期")
    contact = models.CharField("联系方式", max_length=200, blank=True)
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.DRAFT, db_index=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    finalized_at = models.DateTimeField(null=True, blank=True)
    finalized_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = verbose_name_plural = "公示"
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="publicity_period")]

    def __str__(self):
        return self.title


class PublicityEntry(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "", "待定"
        LISTED = "listed", "列入名单"
        NOT_LISTED = "not_listed", "不予列入"

    publicity = models.ForeignKey(Publicity, on_delete=models.CASCADE, related_name="entries")
    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="publicity_entries"
    )
    position = models.PositiveIntegerField("序号")
    outcome = models.CharField("结果", max_length=16, choices=Outcome.choices, blank=True)
    note = models.CharField("说明", max_length=255, blank=True)

    class Meta:
        ordering = ["publicity_id", "position", "id"]
        verbose_name = verbose_name_plural = "公示名单条目"
        constraints = [models.UniqueConstraint(fields=["publicity", "application"], name="publicity_entry_once")]

    def __str__(self):
        return f"{self.publicity} #{self.position}"


class Objection(models.Model):
    """异议 sent by anyone through the public 公示 page."""

    class Status(models.TextChoices):
        OPEN = "open", "待处理"
        UPHELD = "upheld", "异议成立"
        DISMISSED = "dismissed", "异议不成立"

    publicity = models.ForeignKey(Publicity, on_delete=models.CASCADE, related_name="objections")
    entry = models.ForeignKey(
        PublicityEntry, verbose_name="异议对象", on_delete=models.CASCADE, related_name="objections"
    )
    name = models.CharField("异议人姓名", max_length=64)
    organization_name = models.CharField("异议人单位", max_length=128, blank=True)
    phone = models.CharField("联系电话", max_length=32)
    email = models.EmailField("电子邮箱", blank=True)
    content = models.TextField("异议内容")
    ip = models.GenericIPAddressField(null=True, blank=True)
    submitted_at = models.DateTimeField("提交时间", auto_now_add=True)
    status = models.CharField("处理状态", max_length=16, choices=Status.choices, default=Status.OPEN)
    response = models.TextField("处理意见", blank=True)
    handled_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = verbose_name_plural = "公示异议"

    def __str__(self):
        return f"{self.name}对{self.entry}的异议"
