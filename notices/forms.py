"""Forms for the notice pages: they parse and check input; the services decide and write."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from .models import Category, Deadline, Notice, NoticeCategory, RequiredMaterial

SHANGHAI = ZoneInfo("Asia/Shanghai")
END_OF_DAY = time(23, 59, 59)
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_INPUT = forms.TimeInput(attrs={"type": "time", "step": "1"}, format="%H:%M:%S")


def shanghai_moment(day, at: time | None) -> datetime:
    """A date and an optional time read in Asia/Shanghai; a date alone means 23:59:59 that day."""
    return datetime.combine(day, (at or END_OF_DAY).replace(microsecond=0), tzinfo=SHANGHAI)


def apply_service_errors(form, exc: ValidationError, aliases: dict[str, str] | None = None) -> None:
    """Put a service's Chinese messages on the form: on the field they name when the form has it."""
    aliases = aliases or {}
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            name = aliases.get(field, field)
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class NoticeFilterForm(forms.Form):
    q = forms.CharField(label="标题或文号", required=False, max_length=100)
    year = forms.TypedChoiceField(label="年度", required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部状态"), *Notice.Status.choices])
    list_level = forms.ChoiceField(
        label="名单层级", required=False, choices=[("", "全部层级"), *Notice.ListLevel.choices]
    )
    issuer = forms.CharField(label="发文机关", required=False, max_length=100)

    def __init__(self, *args, years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", "全部年度"), *[(y, f"{y}年") for y in years]]

    def filter(self, qs):
        """Narrow an already visible queryset; filters never widen what the caller may see."""
        if not self.is_valid():
            return qs
        cd = self.cleaned_data
        if cd.get("q"):
            q = cd["q"].strip()
            qs = qs.filter(Q(title__icontains=q) | Q(doc_number__icontains=q))
        if cd.get("year"):
            qs = qs.filter(year=cd["year"])
        if cd.get("status"):
            qs = qs.filter(status=cd["status"])
        if cd.get("list_level"):
            qs = qs.filter(list_level=cd["list_level"])
        if cd.get("issuer"):
            qs = qs.filter(issuer__name__icontains=cd["issuer"].strip())
        return qs


class NoticeForm(forms.Form):
    """Create (with issuer and categories) or edit (without) a notice."""

    issuer = forms.ModelChoiceField(label="发文机关", queryset=None, empty_label="请选择发文机关")
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    title = forms.CharField(
        label="标题",
        max_length=200,
        widget=forms.TextInput(attrs={"size": 60}),
        error_messages={"required": "请填写通知标题。"},
    )
    doc_number = forms.CharField(
        label="文号", max_length=64, required=False, help_text="如 工信厅节函〔2023〕202号；预通知可不填"
    )
    list_level = forms.ChoiceField(label="名单层级", choices=[("", "请选择"), *Notice.ListLevel.choices])
    issued_on = forms.DateField(label="成文日期", required=False, widget=DATE_INPUT)
    body = forms.CharField(label="正文", required=False, widget=forms.Textarea(attrs={"rows": 14, "cols": 80}))
    categories = forms.MultipleChoiceField(
        label="开放的申报类别",
        required=False,
        choices=Category.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="可在“配置类别/材料/名额”中继续调整",
    )

    FIELDS = ("year", "title", "doc_number", "list_level", "issued_on", "body")

    def __init__(self, *args, issuers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if issuers is None:  # editing: issuer and categories are not changed here
            del self.fields["issuer"]
            del self.fields["categories"]
        else:
            self.fields["issuer"].queryset = issuers
            self.fields["issuer"].label_from_instance = lambda o: f"{o.name}（{o.get_level_display()}）"
            if len(issuers) == 1:
                self.fields["issuer"].initial = issuers[0].pk

    @classmethod
    def initial_from(cls, notice: Notice) -> dict:
        return {name: getattr(notice, name) for name in cls.FIELDS}

    def notice_fields(self) -> dict:
        cd = self.cleaned_data
        fields = {name: cd.get(name) for name in self.FIELDS}
        fields["title"] = (fields["title"] or "").strip()
        fields["doc_number"] = (fields["doc_number"] or "").strip()
        return fields


class CategoryOptionsForm(forms.Form):
    self_evaluation_allowed = forms.BooleanField(label="允许自评价", required=False)
    third_party_allowed = forms.BooleanField(label="允许第三方评价", required=False)
    assessor_cap = forms.IntegerField(label="第三方机构评价项目上限", min_value=1, max_value=999)
    cap_basis = forms.ChoiceField(label="上限计算口径", choices=NoticeCategory.CapBasis.choices)
    cap_period = forms.ChoiceField(label="上限计算周期", choices=NoticeCategory.CapPeriod.choices)

    DEFAULTS = {
        "self_evaluation_allowed": True,
        "third_party_allowed": True,
        "assessor_cap": 15,
        "cap_basis": NoticeCategory.CapBasis.LEGAL_ENTITY,
        "cap_period": NoticeCategory.CapPeriod.BATCH,
    }

    @classmethod
    def initial_from(cls, item: NoticeCategory | None) -> dict:
        if item is None:
            return dict(cls.DEFAULTS)
        return {name: getattr(item, name) for name in cls.DEFAULTS}


class MaterialForm(forms.Form):
    name = forms.CharField(label="材料名称", max_length=128)
    description = forms.CharField(label="说明", max_length=255, required=False)
    required = forms.BooleanField(label="必须提交", required=False, initial=True)
    accepted_types = forms.MultipleChoiceField(
        label="接受的文件类型",
        choices=RequiredMaterial.FileType.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=["pdf"],
        error_messages={"required": "请至少选择一种文件类型。"},
    )
    max_size_mb = forms.IntegerField(label="大小上限（MB）", min_value=1, max_value=500, initial=20)
    position = forms.IntegerField(label="顺序", min_value=0, max_value=999, required=False)

    @classmethod
    def initial_from(cls, material: RequiredMaterial) -> dict:
        return {
            "name": material.name,
            "description": material.description,
            "required": material.required,
            "accepted_types": material.types,
            "max_size_mb": material.max_size_mb,
            "position": material.position,
        }

    def material_fields(self) -> dict:
        cd = self.cleaned_data
        fields = {
            "name": cd["name"].strip(),
            "description": cd.get("description", "").strip(),
            "required": cd.get("required", False),
            "accepted_types": ",".join(cd["accepted_types"]),
            "max_size_mb": cd["max_size_mb"],
        }
        if cd.get("position") is not None:
            fields["position"] = cd["position"]
        return fields


class QuotaForm(forms.Form):
    """One number per (open category, receiving authority); empty means no quota."""

    def __init__(self, *args, categories=(), authorities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = list(categories)
        self.authorities = list(authorities)
        for cat in self.categories:
            for authority in self.authorities:
                self.fields[self.key(cat, authority)] = forms.IntegerField(
                    label=f"{authority.name} {cat.get_category_display()}名额",
                    required=False,
                    min_value=0,
                    max_value=100000,
                    widget=forms.NumberInput(attrs={"min": 0, "class": "num"}),
                )

    @staticmethod
    def key(cat, authority) -> str:
        return f"q_{cat.category}_{authority.pk}"

    def rows(self):
        """For the template: one row per authority, one bound field per category."""
        return [(a, [self[self.key(c, a)] for c in self.categories]) for a in self.authorities]

    def changes(self, current: dict[tuple[int, int], int]):
        """(notice_category, authority, limit-or-None) for every value that differs from what is stored."""
        for cat in self.categories:
            for authority in self.authorities:
                value = self.cleaned_data.get(self.key(cat, authority))
                if current.get((cat.pk, authority.pk)) != value:
                    yield cat, authority, value


class MomentFormMixin:
    """A date input and an optional time input, read in Asia/Shanghai (a date alone means 23:59:59)."""

    def moment(self, date_field: str, time_field: str):
        day = self.cleaned_data.get(date_field)
        if day is None:
            return None
        return shanghai_moment(day, self.cleaned_data.get(time_field))


class DeadlineForm(MomentFormMixin, forms.Form):
    stage = forms.ChoiceField(label="环节", choices=[("", "请选择"), *Deadline.Stage.choices])
    authority = forms.ModelChoiceField(
        label="适用主管部门",
        queryset=None,
        required=False,
        empty_label="全部（不限定）",
        help_text="“主管部门报送”可限定某个下级主管部门；“申报单位提交”可限定向某个主管部门申报的单位。",
    )
    due_date = forms.DateField(label="截止日期", widget=DATE_INPUT)
    due_time = forms.TimeField(label="截止时刻", required=False, widget=TIME_INPUT, help_text="留空即当天 23:59:59")
    note = forms.CharField(label="说明", max_length=200, required=False)

    ALIASES = {"due_at": "due_date"}

    def __init__(self, *args, authorities=(), **kwargs):
        super().__init__(*args, **kwargs)
        from organizations.models import Organization

        self.fields["authority"].queryset = Organization.objects.filter(pk__in=[a.pk for a in authorities])
        self.fields["authority"].choices = [("", "全部（不限定）")] + [
            (a.pk, f"{a.name}（{a.get_level_display()}）") for a in authorities
        ]

    @classmethod
    def initial_from(cls, deadline: Deadline) -> dict:
        local = timezone.localtime(deadline.due_at)
        return {
            "stage": deadline.stage,
            "authority": deadline.authority_id,
            "due_date": local.date(),
            "due_time": local.time().replace(microsecond=0),
            "note": deadline.note,
        }


class ExtensionForm(MomentFormMixin, forms.Form):
    deadline = forms.ModelChoiceField(label="截止时间", queryset=None, empty_label="请选择要延期的截止时间")
    organization = forms.TypedChoiceField(label="延期单位", coerce=int, empty_value=None)
    new_date = forms.DateField(label="延期至（日期）", widget=DATE_INPUT)
    new_time = forms.TimeField(
        label="延期至（时刻）", required=False, widget=TIME_INPUT, help_text="留空即当天 23:59:59"
    )
    reason = forms.CharField(label="延期理由", widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))

    ALIASES = {"new_due_at": "new_date"}
    GROUPS = {
        Deadline.Stage.AUTHORITY: "下级主管部门（主管部门报送环节）",
        Deadline.Stage.APPLICANT: "申报单位（申报单位提交环节）",
    }

    def __init__(self, *args, deadlines=None, candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        candidates = candidates or {}
        self.fields["deadline"].queryset = deadlines
        self.fields["deadline"].label_from_instance = lambda d: (
            f"{d.get_stage_display()}｜{d.authority.name if d.authority else '全部'}｜"
            f"{timezone.localtime(d.due_at):%Y-%m-%d %H:%M:%S}"
        )
        self.organizations = {o.pk: o for group in candidates.values() for o in group}
        self.fields["organization"].choices = [("", "请选择单位")] + [
            (self.GROUPS.get(stage, stage), [(o.pk, o.name) for o in group])
            for stage, group in candidates.items()
            if group
        ]

    def clean_organization(self):
        pk = self.cleaned_data.get("organization")
        if pk not in self.organizations:
            raise ValidationError("请选择延期单位。")
        return self.organizations[pk]


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label="文件",
        help_text="接受 PDF、Word（docx）、Excel（xlsx）、JPG、PNG，最大 50 MB；按文件内容识别格式",
        error_messages={"required": "请选择要上传的文件。", "empty": "上传的文件是空的。"},
    )
    name = forms.CharField(label="附件名称", max_length=200, required=False, help_text="留空则使用原文件名")
