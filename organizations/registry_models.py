"""The third-party assessor registry: filings (备案) with a province, their proofs, yearly work reports against a
call's deadline, and the blacklist.

Sources: 002_3e46b5da0b2a2c6e.txt §三 (basic conditions; blacklist for three years), 001_df05fc8070bc22d3.txt §二（四）
and §三 (blacklist; 评价机构年度工作情况), 003_32b3e8f77524ff49.txt §（二） ("十个严禁"; report by 4/30; a missed
report bars this year), 004_30892f5977438438.txt §四 (备案 with the province before national work).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

# 002 §三（三）: 能源、环境、生态、低碳、生命周期评价等相关专业.
SENIOR_FIELDS = (
    ("energy", "能源"),
    ("environment", "环境"),
    ("ecology", "生态"),
    ("low_carbon", "低碳"),
    ("lca", "生命周期评价"),
)
MIN_MID_LEVEL_STAFF = 10  # 002 §三（三）: 中级职称以上专职人员不少于10人
MIN_SENIOR_IN_FIELDS = 5  # 002 §三（三）: 其中……相关专业高级职称人员不少于5人
EXPERIENCE_YEARS = 5  # 002 §三（五）: 近五年主导或参与绿色制造相关评审、论证、评价……

# 003 §（二）2: the "十个严禁".
TEN_PROHIBITIONS = (
    ("no_visit", "严禁不登门服务搞评价"),
    ("cursory", "严禁走马观花搞评价"),
    ("fraud", "严禁弄虚作假搞评价"),
    ("copying", "严禁相互抄袭搞评价"),
    ("unrealistic", "严禁不切实际搞评价"),
    ("borrowed_credentials", "严禁借用资质搞评价"),
    ("subcontracting", "严禁相互转包搞评价"),
    ("incapable", "严禁能力不足搞评价"),
    ("favours", "严禁托请找人搞评价"),
    ("promises", "严禁胡乱承诺搞评价"),
)


class AssessorFiling(models.Model):
    """An assessor's filing (备案) with a province authority, with the basic conditions of 002 §三 as declared."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "待审核"
        APPROVED = "approved", "已备案"
        REJECTED = "rejected", "未通过"
        REVOKED = "revoked", "已撤销"

    class EntityType(models.TextChoices):
        ENTERPRISE = "enterprise", "企业"
        INSTITUTION = "institution", "事业单位"
        ASSOCIATION = "association", "行业协会"
        OTHER = "other", "其他"

    OPEN = (Status.SUBMITTED, Status.APPROVED)

    assessor = models.ForeignKey(
        "organizations.Organization",
        verbose_name="评价机构",
        on_delete=models.PROTECT,
        related_name="filings",
        limit_choices_to={"kind": "assessor"},
    )
    authority = models.ForeignKey(
        "organizations.Organization",
        verbose_name="备案主管部门（省级）",
        on_delete=models.PROTECT,
        related_name="assessor_filings",
        limit_choices_to={"kind": "authority", "level": "province"},
    )
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.SUBMITTED, db_index=True)
    # 002 §三（一）
    registered_in_prc = models.BooleanField("在中华人民共和国境内注册并具有独立法人资格", default=False)
    entity_type = models.CharField("单位性质", max_length=16, choices=EntityType.choices, default=EntityType.ENTERPRISE)
    registration_authority = models.CharField("登记机关", max_length=128, blank=True)
    # 002 §三（二）
    office_address = models.CharField("固定办公场所地址", max_length=255, blank=True)
    has_financial_system = models.BooleanField("具有健全的财务管理制度", default=False)
    # 002 §三（三）
    staff_full_time = models.PositiveIntegerField("专职人员总数", default=0)
    staff_mid_level = models.PositiveIntegerField("从事绿色评价的中级职称以上专职人员", default=0)
    staff_senior = models.PositiveIntegerField("其中高级职称人员", default=0)
    senior_fields = models.JSONField("高级职称人员的专业领域（人数）", default=dict, blank=True)
    # 002 §三（五）: [{"year": 2023, "client": "…", "work": "…"}]
    experience = models.JSONField("近五年相关工作经历", default=list, blank=True)
    contact_name = models.CharField("联系人", max_length=64, blank=True)
    contact_phone = models.CharField("联系电话", max_length=32, blank=True)
    contact_email = models.EmailField("电子邮箱", blank=True)
    previous = models.ForeignKey(
        "self",
        verbose_name="此前的备案",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="修改后重新备案时，被驳回或撤销的上一次备案",
    )
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField("提交时间", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)
    decision_reason = models.TextField("审核意见", blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    revoke_reason = models.TextField("撤销理由", blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = verbose_name_plural = "评价机构备案"
        constraints = [
            models.UniqueConstraint(
                fields=["assessor", "authority"],
                condition=Q(status__in=["submitted", "approved"]),
                name="assessor_filing_one_open",
            ),
        ]
        indexes = [models.Index(fields=["authority", "status"])]

    def __str__(self):
        return f"{self.assessor} 向{self.authority}备案（{self.get_status_display()}）"

    @property
    def senior_in_fields(self) -> int:
        fields = self.senior_fields or {}
        return sum(int(fields.get(code) or 0) for code, _ in SENIOR_FIELDS)

    @property
    def fields_display(self) -> str:
        labels = dict(SENIOR_FIELDS)
        fields = self.senior_fields or {}
        shown = [f"{labels[code]}{int(fields[code])}人" for code, _ in SENIOR_FIELDS if int(fields.get(code) or 0)]
        return "、".join(shown) or "—"


class AssessorFilingProof(models.Model):
    """A proof of the basic conditions (004 §四: 准备有关证明材料报送省工信厅进行备案), checked by content."""

    class Kind(models.TextChoices):
        LEGAL_PERSON = "legal_person", "法人资格证明（营业执照或登记证书）"
        OFFICE = "office", "固定办公场所证明"
        FINANCE = "finance", "财务管理制度"
        STAFF = "staff", "专职人员职称证书及社保证明"
        EXPERIENCE = "experience", "近五年相关工作证明"
        OTHER = "other", "其他"

    filing = models.ForeignKey(AssessorFiling, on_delete=models.CASCADE, related_name="proofs")
    kind = models.CharField("材料类别", max_length=16, choices=Kind.choices, default=Kind.OTHER)
    title = models.CharField("说明", max_length=128, blank=True)
    file = models.FileField(upload_to="assessors/filings/%Y/%m/", max_length=200)
    original_name = models.CharField("原文件名", max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["filing_id", "id"]
        verbose_name = verbose_name_plural = "备案证明材料"

    def __str__(self):
        return f"{self.get_kind_display()}：{self.original_name}"


class AnnualReportCall(models.Model):
    """A province's call for the assessors' yearly work report (评价机构年度工作情况), with its deadline
    (001 §三: by 8/15; 003 §（二）1: by 4/30)."""

    authority = models.ForeignKey(
        "organizations.Organization",
        verbose_name="主管部门（省级）",
        on_delete=models.PROTECT,
        related_name="annual_report_calls",
        limit_choices_to={"kind": "authority", "level": "province"},
    )
    year = models.PositiveSmallIntegerField("报告年度")
    due_at = models.DateTimeField("填报截止时间")
    note = models.TextField("说明", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "-id"]
        verbose_name = verbose_name_plural = "年度工作情况填报通知"
        constraints = [models.UniqueConstraint(fields=["authority", "year"], name="annual_report_call_once")]

    def __str__(self):
        return f"{self.authority} {self.year}年度评价机构工作情况"


class AssessorAnnualReport(models.Model):
    """One assessor's yearly work report against one call."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "已填报"
        ACCEPTED = "accepted", "已审阅"
        RETURNED = "returned", "退回修改"

    assessor = models.ForeignKey(
        "organizations.Organization",
        verbose_name="评价机构",
        on_delete=models.PROTECT,
        related_name="annual_reports",
        limit_choices_to={"kind": "assessor"},
    )
    call = models.ForeignKey(AnnualReportCall, on_delete=models.PROTECT, related_name="reports")
    projects_evaluated = models.PositiveIntegerField("本年度开展评价项目数", default=0)
    passed_city = models.PositiveIntegerField("其中列入市级名单", null=True, blank=True)
    passed_province = models.PositiveIntegerField("其中列入省级名单", null=True, blank=True)
    passed_national = models.PositiveIntegerField("其中列入国家级名单", null=True, blank=True)
    summary = models.TextField("工作情况总结")
    # {code: True} for each of TEN_PROHIBITIONS the assessor confirms it did not do.
    self_check = models.JSONField("“十个严禁”自查", default=dict, blank=True)
    self_check_note = models.TextField("自查说明", blank=True)
    file = models.FileField(upload_to="assessors/reports/%Y/%m/", max_length=200)
    original_name = models.CharField("原文件名", max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField("填报时间")
    late = models.BooleanField("逾期填报", default=False)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.SUBMITTED, db_index=True)
    review_opinion = models.TextField("审阅意见", blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField("审阅时间", null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = verbose_name_plural = "评价机构年度工作情况"
        constraints = [models.UniqueConstraint(fields=["assessor", "call"], name="annual_report_once_per_call")]

    def __str__(self):
        return f"{self.assessor} {self.call.year}年度工作情况"

    @property
    def self_check_failed(self) -> list[str]:
        """The prohibitions the assessor did not confirm."""
        checked = self.self_check or {}
        return [label for code, label in TEN_PROHIBITIONS if not checked.get(code)]


class AssessorBlacklist(models.Model):
    """A blacklisting for fraud (弄虚作假): reports not accepted for three years by default (001, 002, 003, 004)."""

    assessor = models.ForeignKey(
        "organizations.Organization",
        verbose_name="评价机构",
        on_delete=models.PROTECT,
        related_name="blacklistings",
        limit_choices_to={"kind": "assessor"},
    )
    authority = models.ForeignKey(
        "organizations.Organization",
        verbose_name="作出决定的主管部门",
        on_delete=models.PROTECT,
        related_name="assessor_blacklistings",
        limit_choices_to={"kind": "authority"},
    )
    starts_on = models.DateField("列入日期")
    ends_on = models.DateField("期满日期", help_text="当日起不再列入；默认为列入日期起三年")
    reason = models.TextField("列入理由")
    notice_ref = models.CharField("通报/公告文号", max_length=128)
    lifted_on = models.DateField("提前移出日期", null=True, blank=True)
    lift_reason = models.TextField("移出理由", blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = verbose_name_plural = "评价机构黑名单"
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gt=models.F("starts_on")), name="blacklist_ends_after_start"),
        ]

    def __str__(self):
        return f"{self.assessor} 黑名单 {self.starts_on}—{self.effective_end}"

    @property
    def effective_end(self):
        """The first day it no longer applies: the lifting day when lifted earlier, else the end date."""
        return min(self.lifted_on, self.ends_on) if self.lifted_on else self.ends_on

    def is_active(self, on) -> bool:
        return self.starts_on <= on < self.effective_end
