from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from .credit_code import validate_credit_code


class Region(models.Model):
    """GB/T 2260 administrative division; the 6-digit code is the key."""

    class Level(models.TextChoices):
        PROVINCE = "province", "省级"
        CITY = "city", "地级"
        COUNTY = "county", "县级"

    code = models.CharField("行政区划代码", max_length=6, primary_key=True)
    name = models.CharField("名称", max_length=64)
    kind = models.CharField("类型", max_length=16, blank=True)
    level = models.CharField("层级", max_length=16, choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = "行政区划"

    def __str__(self):
        return self.name

    @property
    def prefix(self) -> str:
        """Code prefix shared by the region and everything under it."""
        return {"province": self.code[:2], "city": self.code[:4]}.get(self.level, self.code)


class Organization(models.Model):
    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", "企业"
        PARK = "park", "园区管理机构"
        ASSESSOR = "assessor", "第三方评价机构"
        AUTHORITY = "authority", "工业和信息化主管部门"
        DEPARTMENT = "department", "协同部门"

    class Level(models.TextChoices):
        COUNTY = "county", "县级"
        CITY = "city", "市级"
        PROVINCE = "province", "省级"
        MINISTRY = "ministry", "部级"

    class Domain(models.TextChoices):
        ECOLOGY = "ecology", "生态环境"
        EMERGENCY = "emergency", "应急管理"
        MARKET = "market", "市场监管"

    kind = models.CharField("类型", max_length=16, choices=Kind.choices, db_index=True)
    name = models.CharField("名称", max_length=128)
    credit_code = models.CharField(
        "统一社会信用代码",
        max_length=18,
        blank=True,
        validators=[validate_credit_code],
        help_text="18位，GB 32100-2015",
    )
    region = models.ForeignKey(Region, verbose_name="所在行政区划", on_delete=models.PROTECT, related_name="+")
    level = models.CharField(
        "层级", max_length=16, choices=Level.choices, blank=True, help_text="主管部门和协同部门的层级"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name="上级主管部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="主管部门向其报送的上级主管部门",
    )
    domain = models.CharField("职能领域", max_length=16, choices=Domain.choices, blank=True)
    competent_authority = models.ForeignKey(
        "self",
        verbose_name="属地/对口主管部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attached",
        help_text="企业、园区向其申报；协同部门为其出具意见；评价机构在其备案",
    )
    legal_representative = models.CharField("法定代表人", max_length=64, blank=True)
    address = models.CharField("地址", max_length=255, blank=True)
    contact_name = models.CharField("联系人", max_length=64, blank=True)
    contact_phone = models.CharField("联系电话", max_length=32, blank=True)
    is_active = models.BooleanField("有效", default=True)
    group = models.OneToOneField(Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="organization")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        ordering = ["kind", "name", "id"]
        verbose_name = verbose_name_plural = "组织机构"
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"], condition=~Q(credit_code=""), name="org_credit_code_unique"
            ),
            models.CheckConstraint(condition=~Q(kind="authority") | ~Q(level=""), name="org_authority_has_level"),
            models.CheckConstraint(condition=~Q(kind="department") | ~Q(domain=""), name="org_department_has_domain"),
        ]
        indexes = [models.Index(fields=["kind", "name"])]

    def __str__(self):
        return self.name

    @property
    def is_authority(self) -> bool:
        return self.kind == self.Kind.AUTHORITY

    @property
    def is_applicant(self) -> bool:
        return self.kind in (self.Kind.ENTERPRISE, self.Kind.PARK)


class OrganizationUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Organization, on_delete=models.CASCADE)


class OrganizationGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Organization, on_delete=models.CASCADE)


class Membership(models.Model):
    class Role(models.TextChoices):
        OPERATOR = "operator", "经办人"
        APPROVER = "approver", "审核人"
        ADMIN = "admin", "管理员"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField("角色", max_length=16, choices=Role.choices, default=Role.OPERATOR)
    is_active = models.BooleanField("有效", default=True)
    created_at = models.DateTimeField("加入时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "成员"
        ordering = ["organization_id", "user_id"]
        constraints = [models.UniqueConstraint(fields=["user", "organization"], name="membership_unique")]

    def __str__(self):
        return f"{self.user} @ {self.organization}（{self.get_role_display()}）"


class ExpertProfile(models.Model):
    """A user in a province's expert pool (专家库)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expert_profile")
    pool = models.ForeignKey(
        Organization,
        verbose_name="所属专家库（主管部门）",
        on_delete=models.PROTECT,
        related_name="experts",
        limit_choices_to={"kind": "authority"},
    )
    title = models.CharField("职称", max_length=64, blank=True)
    specialties = models.CharField("专业领域", max_length=255, blank=True)
    employer = models.CharField("工作单位", max_length=128, blank=True)
    phone = models.CharField("联系电话", max_length=32, blank=True)
    is_active = models.BooleanField("在库", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "专家"

    def __str__(self):
        return self.user.get_full_name() or self.user.get_username()


class ExpertAffiliation(models.Model):
    """Kept for conflict-of-interest checks when experts are assigned."""

    class Relation(models.TextChoices):
        EMPLOYED = "employed", "现任职"
        FORMER = "former", "曾任职（近三年）"
        CONSULTANT = "consultant", "顾问/咨询"
        SHAREHOLDER = "shareholder", "持股"
        RELATIVE = "relative", "近亲属任职"

    expert = models.ForeignKey(ExpertProfile, on_delete=models.CASCADE, related_name="affiliations")
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField("单位名称", max_length=128)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    relation = models.CharField("关系", max_length=16, choices=Relation.choices)
    start_date = models.DateField("起", null=True, blank=True)
    end_date = models.DateField("止", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "专家关联单位"

    def __str__(self):
        return f"{self.expert} – {self.name}（{self.get_relation_display()}）"


# The third-party assessor registry (备案, annual work reports, blacklist) lives in its own module.
from .registry_models import (  # noqa: E402
    AnnualReportCall,
    AssessorAnnualReport,
    AssessorBlacklist,
    AssessorFiling,
    AssessorFilingProof,
)

__all__ = [
    "Region",
    "Organization",
    "OrganizationUserObjectPermission",
    "OrganizationGroupObjectPermission",
    "Membership",
    "ExpertProfile",
    "ExpertAffiliation",
    "AnnualReportCall",
    "AssessorAnnualReport",
    "AssessorBlacklist",
    "AssessorFiling",
    "AssessorFilingProof",
]
