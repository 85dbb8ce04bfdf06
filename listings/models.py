"""Published green manufacturing lists (city, province, national) and their dynamic management: yearly tables,
re-checks (复核) and removals (移出). Sources: 002 §四 (dynamic management), 003 (tables by 4/15, re-checks)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from notices.models import Category


class Listing(models.Model):
    class Level(models.TextChoices):
        CITY = "city", "市级"
        PROVINCE = "province", "省级"
        NATIONAL = "national", "国家级"

    class Status(models.TextChoices):
        ACTIVE = "active", "有效"
        REMOVED = "removed", "已移出"

    class Source(models.TextChoices):
        REVIEW = "review", "本系统评审"
        IMPORT = "import", "历史名单导入"

    organization = models.ForeignKey(
        "organizations.Organization", verbose_name="入选单位", on_delete=models.PROTECT, related_name="listings"
    )
    name = models.CharField("入选时名称", max_length=128)
    current_name = models.CharField("现名称", max_length=128, blank=True, help_text="更名后的名称；未更名为空")
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True, db_index=True)
    category = models.CharField("类别", max_length=16, choices=Category.choices)
    level = models.CharField("名单层级", max_length=16, choices=Level.choices)
    year = models.PositiveSmallIntegerField("年度")
    notice = models.ForeignKey(
        "notices.Notice", verbose_name="通知", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    application = models.OneToOneField(
        "applications.Application", null=True, blank=True, on_delete=models.PROTECT, related_name="listing"
    )
    authority = models.ForeignKey(
        "organizations.Organization", verbose_name="决定单位", on_delete=models.PROTECT, related_name="+"
    )
    listed_on = models.DateField("列入日期")
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    removed_on = models.DateField("移出日期", null=True, blank=True)
    removal_reason = models.TextField("移出原因", blank=True)
    removal_authority = models.ForeignKey(
        "organizations.Organization",
        verbose_name="移出决定单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source = models.CharField("来源", max_length=16, choices=Source.choices, default=Source.REVIEW)
    reference = models.CharField("批次/文号", max_length=128, blank=True, help_text="公布名单的批次或文件文号")
    import_batch = models.ForeignKey(
        "ListingImport", null=True, blank=True, on_delete=models.SET_NULL, related_name="listings"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "category", "name", "id"]
        verbose_name = verbose_name_plural = "绿色制造名单"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "category", "level", "year"],
                condition=Q(status="active"),
                name="listing_active_once",
            ),
        ]

    def __str__(self):
        return f"{self.year}年{self.get_level_display()}{self.get_category_display()}：{self.display_name}"

    @property
    def display_name(self) -> str:
        return self.current_name or self.name


class ListingRename(models.Model):
    """A listed unit's change of name, kept as history (from a dynamic report or entered by the authority)."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="renames")
    old_name = models.CharField("原名称", max_length=128)
    new_name = models.CharField("新名称", max_length=128)
    changed_on = models.DateField("变更日期")
    reason = models.TextField("说明", blank=True)
    report = models.ForeignKey(
        "DynamicReport", null=True, blank=True, on_delete=models.SET_NULL, related_name="renames"
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["listing", "changed_on", "id"]
        verbose_name = verbose_name_plural = "名单单位更名记录"

    def __str__(self):
        return f"{self.old_name} → {self.new_name}（{self.changed_on}）"


class ListingImport(models.Model):
    """One upload of a historical list (xlsx keyed by 统一社会信用代码); importing the same rows again adds nothing."""

    authority = models.ForeignKey(
        "organizations.Organization", verbose_name="导入单位", on_delete=models.PROTECT, related_name="+"
    )
    file_name = models.CharField("文件名", max_length=255)
    sha256 = models.CharField(max_length=64)
    rows_total = models.PositiveIntegerField(default=0)
    rows_loaded = models.PositiveIntegerField(default=0)
    rows_skipped = models.PositiveIntegerField("重复（已存在）", default=0)
    errors = models.JSONField("行错误", default=list, blank=True)
    created_organizations = models.ManyToManyField(
        "organizations.Organization", verbose_name="导入时新建的单位", blank=True, related_name="+"
    )
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-imported_at", "-id"]
        verbose_name = verbose_name_plural = "历史名单导入"

    def __str__(self):
        return f"{self.file_name}（{self.rows_loaded}/{self.rows_total}）"


class DynamicRound(models.Model):
    """An authority's yearly call for 动态管理表 from the listed units of its jurisdiction (003: by 4/15)."""

    authority = models.ForeignKey(
        "organizations.Organization", verbose_name="组织单位", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("数据年度", help_text="表中指标所属年度，如2025年数据于2026年填报")
    title = models.CharField("名称", max_length=200)
    due_at = models.DateTimeField("填报截止时间")
    extended_until = models.DateTimeField(
        "延期至", null=True, blank=True, help_text="延期后仍可提交，但在原截止时间之后提交的标记为逾期提交"
    )
    extension_reason = models.TextField("延期理由", blank=True)
    note = models.TextField("填报要求", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "authority", "id"]
        verbose_name = verbose_name_plural = "动态管理填报"
        constraints = [models.UniqueConstraint(fields=["authority", "year"], name="dynamic_round_once")]

    def __str__(self):
        return self.title

    @property
    def effective_due_at(self):
        """The moment after which nothing may be submitted: the extension if one was granted, else the due date."""
        return self.extended_until or self.due_at


class DynamicReminder(models.Model):
    """One deadline reminder sent to a listed unit for a round; the unique constraint keeps a second run from
    sending it again (a round is not a notice deadline, so notices.Reminder cannot hold it)."""

    round = models.ForeignKey(DynamicRound, on_delete=models.CASCADE, related_name="reminders")
    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE, related_name="+")
    days_before = models.PositiveSmallIntegerField("提前天数")
    due_at = models.DateTimeField("提醒时的截止时间")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = verbose_name_plural = "动态管理填报提醒"
        constraints = [
            models.UniqueConstraint(
                fields=["round", "organization", "days_before", "due_at"], name="dynamic_reminder_once"
            ),
        ]

    def __str__(self):
        return f"{self.organization} {self.days_before}天提醒"


class DynamicReport(models.Model):
    """One listed unit's 动态管理表 for one round: key indicators of its category and changes since listing."""

    class Status(models.TextChoices):
        DRAFT = "draft", "填报中"
        SUBMITTED = "submitted", "已提交"
        RETURNED = "returned", "退回修改"
        ACCEPTED = "accepted", "审核通过"

    round = models.ForeignKey(DynamicRound, on_delete=models.PROTECT, related_name="reports")
    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="dynamic_reports")
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    indicators = models.JSONField("关键指标", default=dict, blank=True)
    changes = models.JSONField("名称、地址、范围或边界变更", default=dict, blank=True)
    note = models.TextField("其他说明", blank=True)
    flags = models.JSONField("较上年变差的指标", default=list, blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    late = models.BooleanField("逾期提交", default=False)
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    review_opinion = models.TextField("审核意见", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["round", "listing", "id"]
        verbose_name = verbose_name_plural = "动态管理表"
        constraints = [models.UniqueConstraint(fields=["round", "listing"], name="dynamic_report_once")]

    def __str__(self):
        return f"{self.round.year}年度动态管理表：{self.listing.display_name}"


class Recheck(models.Model):
    """An on-site re-check (现场复核) the authority decided for a listed unit."""

    class Conclusion(models.TextChoices):
        PENDING = "pending", "待复核"
        PASSED = "passed", "复核通过"
        RECTIFY = "rectify", "限期整改"
        FAILED = "failed", "复核不通过"

    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="rechecks")
    report = models.ForeignKey(DynamicReport, null=True, blank=True, on_delete=models.SET_NULL, related_name="rechecks")
    authority = models.ForeignKey(
        "organizations.Organization", verbose_name="复核单位", on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField("复核原因")
    planned_on = models.DateField("计划复核日期", null=True, blank=True)
    done_on = models.DateField("复核日期", null=True, blank=True)
    inspectors = models.CharField("复核人员", max_length=200, blank=True)
    findings = models.TextField("复核情况", blank=True)
    conclusion = models.CharField(
        "结论", max_length=16, choices=Conclusion.choices, default=Conclusion.PENDING, db_index=True
    )
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "现场复核"

    def __str__(self):
        return f"复核：{self.listing.display_name}（{self.get_conclusion_display()}）"


class Removal(models.Model):
    """A proposal to remove (移出) a listed unit and its decision. A decided removal sets the listing removed, which
    is the fact behind NEG-REMOVED."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "已提议"
        DECIDED = "decided", "已决定移出"
        REJECTED = "rejected", "不予移出"

    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="removals")
    report = models.ForeignKey(DynamicReport, null=True, blank=True, on_delete=models.SET_NULL, related_name="removals")
    recheck = models.ForeignKey(Recheck, null=True, blank=True, on_delete=models.SET_NULL, related_name="removals")
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.PROPOSED, db_index=True)
    reason = models.TextField("移出理由")
    proposed_by_authority = models.ForeignKey(
        "organizations.Organization", verbose_name="提议单位", on_delete=models.PROTECT, related_name="+"
    )
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    deciding_authority = models.ForeignKey(
        "organizations.Organization", verbose_name="决定单位", on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField("决定意见", blank=True)
    effective_on = models.DateField("移出日期", null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = verbose_name_plural = "移出名单"
        constraints = [
            models.UniqueConstraint(
                fields=["listing"], condition=Q(status="proposed"), name="removal_one_open_per_listing"
            ),
        ]

    def __str__(self):
        return f"移出：{self.listing.display_name}（{self.get_status_display()}）"
