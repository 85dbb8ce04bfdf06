from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models


class AppendOnlyError(Exception):
    """Raised when code tries to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("审计记录只能追加，不能修改。")

    def delete(self):
        raise AppendOnlyError("审计记录只能追加，不能删除。")


VERB_LABELS = {
    "document.request": "申请生成文书",
    "document.fail": "文书生成失败",
    "letter_template.update": "修改公文模板",
    "organization.create": "创建组织机构",
    "organization.update": "修改组织机构",
    "membership.add": "添加成员",
    "membership.remove": "移除成员",
    "expert.create": "入库专家",
    "expert.update": "修改专家信息",
    "auth.login": "登录",
    "auth.login_failed": "登录失败",
    "auth.logout": "退出登录",
    "auth.password_change": "修改密码",
    "user.create": "创建账号",
    "notice.create": "新建通知",
    "notice.update": "修改通知",
    "notice.category_set": "设置申报类别",
    "notice.category_remove": "取消申报类别",
    "notice.material_save": "设置材料要求",
    "notice.material_remove": "删除材料要求",
    "notice.quota_set": "分配推荐名额",
    "notice.deadline_set": "设置截止时间",
    "notice.deadline_remove": "删除截止时间",
    "notice.extension_grant": "批准延期",
    "notice.publish": "发布通知",
    "notice.forward": "转发通知",
    "notice.close": "结束通知",
    "notice.attachment_add": "上传通知附件",
    "application.create": "创建申报",
    "application.update": "修改申报信息",
    "application.declare": "填写负面清单声明",
    "application.commit": "签署承诺书",
    "application.upload": "上传申报材料",
    "application.submit": "提交申报",
    "application.resubmit": "重新提交申报",
    "application.withdraw": "撤回申报",
    "application.reopen": "重新编辑申报",
    "application.return": "退回修改",
    "application.not_recommend": "不予推荐",
    "application.recommend": "推荐",
    "application.return_lower": "退回下级主管部门",
    "application.revoke": "撤销推荐",
    "application.forward": "随批次报送上级",
    "application.list": "列入名单",
    "application.not_list": "不予列入名单",
    "consultation.send": "发出征求意见",
    "consultation.reply": "部门反馈意见",
    "consultation.waive": "记录部门逾期未反馈原因",
    "batch.create": "新建推荐批次",
    "batch.update": "调整推荐批次",
    "batch.delete": "删除推荐批次",
    "batch.scan_upload": "上传盖章扫描件",
    "batch.submit": "报送推荐批次",
    "batch.receive": "签收推荐批次",
    "batch.return": "退回推荐批次",
    "panel.save": "设置专家评审组",
    "panel.criteria_save": "设置评分表",
    "expert.assign": "分配评审专家",
    "expert.unassign": "撤销专家分配",
    "expert.decline": "专家拒绝评审",
    "expert.score": "专家提交评分",
    "expert.conflict_declare": "专家声明回避",
    "publicity.create": "新建公示",
    "publicity.update": "修改公示",
    "publicity.publish": "发布公示",
    "publicity.finalize": "公示期满定稿",
    "objection.submit": "提交公示异议",
    "objection.handle": "处理公示异议",
    "listing.create": "列入绿色制造名单",
    "listing.remove": "移出绿色制造名单",
    "listing.rename": "名单单位更名",
    "listing.import": "导入历史名单",
    "dynamic.round_open": "组织动态管理表填报",
    "dynamic.round_extend": "动态管理表填报延期",
    "dynamic.report_start": "开始填报动态管理表",
    "dynamic.report_save": "保存动态管理表",
    "dynamic.report_submit": "提交动态管理表",
    "dynamic.report_resubmit": "重新提交动态管理表",
    "dynamic.report_accept": "动态管理表审核通过",
    "dynamic.report_return": "退回动态管理表",
    "recheck.decide": "决定现场复核",
    "recheck.record": "记录复核结果",
    "removal.propose": "提议移出名单",
    "removal.decide": "决定移出名单",
    "removal.reject": "不予移出名单",
    "engagement.request": "委托第三方评价",
    "engagement.accept": "接受评价委托",
    "engagement.decline": "拒绝评价委托",
    "engagement.cancel": "撤销评价委托",
    "engagement.report": "上传第三方评价报告",
    "eligibility.rules_save": "修改资格审查规则集",
    "eligibility.import": "导入信用记录",
    "assessor_filing.submit": "评价机构提交备案",
    "assessor_filing.proof_add": "补充备案证明材料",
    "assessor_filing.approve": "予以备案",
    "assessor_filing.reject": "不予备案",
    "assessor_filing.revoke": "撤销备案",
    "annual_report_call.open": "发布年度工作情况填报通知",
    "annual_report.submit": "填报年度工作情况",
    "annual_report.resubmit": "重新填报年度工作情况",
    "annual_report.accept": "审阅年度工作情况",
    "annual_report.return": "退回年度工作情况",
    "assessor_blacklist.add": "列入评价机构黑名单",
    "assessor_blacklist.lift": "移出评价机构黑名单",
}


class AuditEvent(models.Model):
    """Who did what to which object, from which state to which, and why. Append-only."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="操作人",
    )
    organization = models.ForeignKey(
        "organizations.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="所属单位",
    )
    verb = models.CharField("动作", max_length=64, db_index=True)
    target_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField("对象", max_length=255, blank=True)
    before = models.CharField("变更前", max_length=64, blank=True)
    after = models.CharField("变更后", max_length=64, blank=True)
    reason = models.TextField("理由", blank=True)
    ip = models.GenericIPAddressField("IP", null=True, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "审计记录"
        indexes = [
            models.Index(fields=["target_type", "target_id"]),
            models.Index(fields=["organization", "-created_at"]),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.verb} {self.target_repr}"

    def save(self, *args, **kwargs):
        # Integrity, not business logic: an audit row is written once.
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("审计记录只能追加，不能修改。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("审计记录只能追加，不能删除。")

    @property
    def verb_label(self) -> str:
        return VERB_LABELS.get(self.verb, self.verb)


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    organization = models.ForeignKey(
        "organizations.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    url = models.CharField("链接", max_length=300, blank=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "站内通知"
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self):
        return self.title


class OutboundEmail(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "待发送"
        SENT = "sent", "已发送"
        FAILED = "failed", "发送失败"

    to = models.EmailField("收件人")
    subject = models.CharField("主题", max_length=200)
    body = models.TextField("正文")
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveIntegerField("尝试次数", default=0)
    error = models.TextField("错误", blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "邮件发件箱"

    def __str__(self):
        return f"{self.to}: {self.subject}"
