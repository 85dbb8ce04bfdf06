from django.conf import settings
from django.db import models
from django.db.models import Q


class CreditRecord(models.Model):
    """A record from an outside list, keyed by 统一社会信用代码: the facts the negative list checks."""

    class Kind(models.TextChoices):
        DISHONEST = "dishonest", "失信被执行人"
        ABNORMAL = "abnormal_operation", "经营异常名录"
        RECTIFICATION = "rectification", "工业节能监察整改名单"
        INSPECTION = "inspection", "督查发现严重问题"
        TAX = "tax_violation", "偷漏税等违法违规"
        SAFETY = "safety_accident", "安全事故（含网络安全、数据安全）"
        QUALITY = "quality_accident", "质量事故"
        ENVIRONMENT = "environment_accident", "环境污染事故"
        DEREGISTERED = "deregistered", "工商注销或连续停产12个月以上"
        GREEN_LIST = "green_list", "已列入绿色制造名单"
        REMOVED = "green_list_removed", "被动态调整出绿色制造名单"
        ASSESSOR_BLACKLIST = "assessor_blacklist", "第三方评价机构黑名单"
        ASSESSOR_REPORT = "assessor_annual_report", "评价机构年度工作情况已填报"

    kind = models.CharField("类型", max_length=32, choices=Kind.choices, db_index=True)
    credit_code = models.CharField("统一社会信用代码", max_length=18, db_index=True)
    name = models.CharField("单位名称", max_length=128, blank=True)
    occurred_on = models.DateField("发生/列入日期")
    ended_on = models.DateField("移出/整改完成日期", null=True, blank=True)
    rectified = models.BooleanField("已整改/已移出", default=False)
    category = models.CharField("类别（名单）", max_length=16, blank=True)
    level = models.CharField("层级（名单）", max_length=16, blank=True)
    source = models.CharField("来源", max_length=200)
    detail = models.TextField("说明", blank=True)
    batch = models.ForeignKey("ImportBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="records")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_on", "id"]
        verbose_name = verbose_name_plural = "信用记录"
        constraints = [
            # Importing the same file twice changes nothing.
            models.UniqueConstraint(
                fields=["kind", "credit_code", "occurred_on", "source", "category", "level"], name="credit_record_once"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.credit_code} {self.occurred_on}"


class ImportBatch(models.Model):
    kind = models.CharField("类型", max_length=32, choices=CreditRecord.Kind.choices)
    file_name = models.CharField("文件名", max_length=255)
    sha256 = models.CharField(max_length=64)
    rows_total = models.PositiveIntegerField(default=0)
    rows_loaded = models.PositiveIntegerField(default=0)
    rows_skipped = models.PositiveIntegerField("重复（已存在）", default=0)
    errors = models.JSONField("行错误", default=list, blank=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-imported_at", "-id"]
        verbose_name = verbose_name_plural = "信用记录导入"

    def __str__(self):
        return f"{self.file_name}（{self.rows_loaded}/{self.rows_total}）"


class RuleSet(models.Model):
    """Which rules a notice applies, with their kind and parameters. Edits make a new version."""

    notice = models.ForeignKey("notices.Notice", on_delete=models.CASCADE, related_name="rule_sets")
    version = models.PositiveIntegerField("版本")
    preset = models.CharField("依据", max_length=64, blank=True)
    is_current = models.BooleanField(default=True)
    note = models.CharField("修改说明", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["notice_id", "-version"]
        verbose_name = verbose_name_plural = "资格审查规则集"
        constraints = [
            models.UniqueConstraint(fields=["notice", "version"], name="ruleset_version_unique"),
            models.UniqueConstraint(fields=["notice"], condition=Q(is_current=True), name="ruleset_one_current"),
        ]

    def __str__(self):
        return f"{self.notice} 规则集 v{self.version}"


class RuleSetEntry(models.Model):
    rule_set = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="entries")
    rule = models.CharField("规则", max_length=40)
    enabled = models.BooleanField("启用", default=True)
    kind = models.CharField("性质", max_length=16)
    params = models.JSONField("参数", default=dict, blank=True)

    class Meta:
        ordering = ["rule_set_id", "id"]
        constraints = [models.UniqueConstraint(fields=["rule_set", "rule"], name="ruleset_entry_unique")]

    def __str__(self):
        return self.rule


class Evaluation(models.Model):
    """One run of a rule set on one application: the facts it saw and every rule's finding."""

    application = models.ForeignKey("applications.Application", on_delete=models.CASCADE, related_name="evaluations")
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="evaluations")
    facts = models.JSONField("事实")
    facts_hash = models.CharField(max_length=64)
    blocked = models.BooleanField("有硬性条件未满足", default=False)
    findings = models.JSONField("结果", default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "资格审查结果"
        indexes = [models.Index(fields=["application", "-created_at"])]

    def __str__(self):
        return f"{self.application} @ v{self.rule_set.version}"
