"""Published green manufacturing lists: one entry per listed unit and category (the listings issue extends this)."""

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

    organization = models.ForeignKey(
        "organizations.Organization", verbose_name="入选单位", on_delete=models.PROTECT, related_name="listings"
    )
    name = models.CharField("入选时名称", max_length=128)
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
        return f"{self.year}年{self.get_level_display()}{self.get_category_display()}：{self.name}"
