from django.conf import settings
from django.db import models
from django.db.models import Q


class Referral(models.Model):
    """The application reached an authority: one row per authority, with that authority's decision."""

    class Decision(models.TextChoices):
        RECOMMEND = "recommend", "推荐"
        RETURN = "return", "退回修改"
        NOT_RECOMMEND = "not_recommend", "不予推荐"
        WITHDRAWN = "withdrawn", "申报单位撤回"

    application = models.ForeignKey("applications.Application", on_delete=models.CASCADE, related_name="referrals")
    authority = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="referrals")
    received_at = models.DateTimeField("收到时间", auto_now_add=True)
    decision = models.CharField("决定", max_length=16, choices=Decision.choices, blank=True)
    opinion = models.TextField("意见", blank=True)
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["received_at", "id"]
        verbose_name = verbose_name_plural = "逐级报送记录"
        constraints = [
            models.UniqueConstraint(fields=["application"], condition=Q(decision=""), name="referral_one_open"),
        ]

    def __str__(self):
        return f"{self.application} → {self.authority}"

    @property
    def is_open(self) -> bool:
        return not self.decision
