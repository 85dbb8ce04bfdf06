"""Rendered documents, their numbers (发文字号) and the letter templates authorities edit.

What a document kind is (owner, builder, renderer) lives in documents/kinds.py; the writes in documents/services.py.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models

USER = settings.AUTH_USER_MODEL


class GeneratedDocument(models.Model):
    """One rendering of one kind of document for one owner object, as seen by one organization (scope)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "生成中"
        DONE = "done", "已生成"
        FAILED = "failed", "生成失败"

    kind = models.CharField("文书类型", max_length=48, db_index=True)
    owner_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    owner_id = models.PositiveBigIntegerField()
    owner = GenericForeignKey("owner_type", "owner_id")
    scope = models.ForeignKey(
        "organizations.Organization",
        verbose_name="所属单位",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="文书以其名义生成的单位：推荐单位、征求意见单位、申报单位等",
    )
    input_hash = models.CharField("输入摘要", max_length=64)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    error = models.TextField("失败原因", blank=True)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    progress = models.PositiveSmallIntegerField("进度（%）", default=0)
    file = models.FileField(upload_to="documents/%Y/%m/", max_length=200, blank=True)
    filename = models.CharField("文件名", max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "生成的文书"
        constraints = [
            # the same inputs are rendered once: a second request finds this row
            models.UniqueConstraint(
                fields=["kind", "owner_type", "owner_id", "scope", "input_hash"], name="document_once_per_input"
            ),
        ]
        indexes = [models.Index(fields=["owner_type", "owner_id", "kind", "scope"])]

    def __str__(self):
        return f"{self.filename or self.kind}（{self.get_status_display()}）"

    @property
    def is_pending(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class LetterTemplate(models.Model):
    """An authority's letterhead and wording for one kind of letter; placeholders like {年度} are filled per letter."""

    class Kind(models.TextChoices):
        RECOMMEND = "recommend", "推荐文（审核意见文件）"
        CONSULT = "consult", "征求意见函"

    authority = models.ForeignKey(
        "organizations.Organization", verbose_name="发文机关", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField("文种", max_length=16, choices=Kind.choices)
    mark = models.CharField(
        "发文机关标志", max_length=64, help_text="如“太原市工业和信息化局文件”或“太原市工业和信息化局”"
    )
    code_prefix = models.CharField(
        "发文机关代字", max_length=16, help_text="如“并工信函”，发文字号为 并工信函〔2024〕12号"
    )
    signer = models.CharField("签发人", max_length=32, blank=True, help_text="上行文填写，推荐文报上级机关时显示")
    title = models.CharField("标题", max_length=200)
    body = models.TextField("正文", help_text="可用占位符见页面说明，如 {年度}、{推荐总数}、{征求意见部门}")
    signature = models.CharField("署名", max_length=64, blank=True, help_text="留空则用发文机关全称")
    contact = models.CharField("联系人", max_length=32, blank=True)
    phone = models.CharField("联系电话", max_length=32, blank=True)
    cc = models.CharField("抄送", max_length=200, blank=True)
    printer = models.CharField("印发机关", max_length=64, blank=True, help_text="留空则用“发文机关全称+办公室”")
    updated_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "公文模板"
        constraints = [models.UniqueConstraint(fields=["authority", "kind"], name="letter_template_once")]

    def __str__(self):
        return f"{self.authority}·{self.get_kind_display()}"


class DocumentNumber(models.Model):
    """发文字号: numbers run without gaps per authority and year; a letter keeps its number when re-rendered."""

    authority = models.ForeignKey(
        "organizations.Organization", verbose_name="发文机关", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    number = models.PositiveIntegerField("顺序号")
    prefix = models.CharField("发文机关代字", max_length=16)
    letter = models.CharField("文种", max_length=16, choices=LetterTemplate.Kind.choices)
    owner_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    owner_id = models.PositiveBigIntegerField()
    owner = GenericForeignKey("owner_type", "owner_id")
    allocated_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    allocated_at = models.DateTimeField("编号时间", auto_now_add=True)

    class Meta:
        ordering = ["authority_id", "year", "number"]
        verbose_name = verbose_name_plural = "发文字号"
        constraints = [
            models.UniqueConstraint(fields=["authority", "year", "number"], name="document_number_gapless"),
            models.UniqueConstraint(fields=["letter", "owner_type", "owner_id"], name="document_number_per_letter"),
        ]

    def __str__(self):
        return self.text

    @property
    def text(self) -> str:
        # GB/T 9704: full year in 六角括号, no 第, no leading zeros
        return f"{self.prefix}〔{self.year}〕{self.number}号"
