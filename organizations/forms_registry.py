"""Forms of the assessor registry pages. Thin: they parse; organizations.services_registry checks and says what is
missing in Chinese (so most fields are optional here and the service's message lands on the field)."""

from django import forms
from django.core.exceptions import ValidationError

from .models import AssessorAnnualReport, AssessorFiling, AssessorFilingProof, Organization
from .registry_models import SENIOR_FIELDS, TEN_PROHIBITIONS
from .services_registry import PROOF_MAX_BYTES, REPORT_MAX_BYTES

DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
DATE_ERRORS = {"invalid": "请按 2025-04-30 的格式填写日期。"}
PROOF_ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


def apply_service_errors(form, exc: ValidationError, aliases: dict[str, str] | None = None) -> None:
    """Put a service's Chinese messages on the form: on the field they name when the form has it."""
    aliases = aliases or {}
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            target = aliases.get(name, name)
            form.add_error(target if target in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _count(label, help_text=""):
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
        error_messages={"invalid": f"{label}应为整数。", "min_value": f"{label}不能为负数。"},
    )


class FilingForm(forms.Form):
    authority = forms.ModelChoiceField(
        label="备案的省级主管部门",
        queryset=Organization.objects.none(),
        error_messages={"required": "请选择备案的省级主管部门。", "invalid_choice": "请选择备案的省级主管部门。"},
    )
    registered_in_prc = forms.BooleanField(label="本机构在中华人民共和国境内注册并具有独立法人资格", required=False)
    entity_type = forms.ChoiceField(label="单位性质", choices=AssessorFiling.EntityType.choices)
    registration_authority = forms.CharField(label="登记机关", required=False, max_length=128)
    office_address = forms.CharField(label="固定办公场所地址", required=False, max_length=255)
    has_financial_system = forms.BooleanField(label="具有开展评价工作的办公条件和健全的财务管理制度", required=False)
    staff_full_time = _count("专职人员总数")
    staff_mid_level = _count("从事绿色评价的中级职称以上专职人员", "不少于10人（工信厅节函〔2022〕235号）。")
    staff_senior = _count("其中高级职称人员")
    contact_name = forms.CharField(label="联系人", required=False, max_length=64)
    contact_phone = forms.CharField(label="联系电话", required=False, max_length=32)
    contact_email = forms.EmailField(
        label="电子邮箱", required=False, error_messages={"invalid": "请填写有效的电子邮箱。"}
    )

    def __init__(self, *args, provinces=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["authority"].queryset = provinces if provinces is not None else Organization.objects.none()
        for code, label in SENIOR_FIELDS:
            self.fields[f"senior_{code}"] = _count(f"{label}专业")

    @property
    def field_rows(self):
        return [self[f"senior_{code}"] for code, _ in SENIOR_FIELDS]

    def data_for_service(self) -> dict:
        d = dict(self.cleaned_data)
        d["senior_fields"] = {code: d.pop(f"senior_{code}", None) for code, _ in SENIOR_FIELDS}
        d.pop("authority", None)
        return d

    @staticmethod
    def initial_from(filing: AssessorFiling) -> dict:
        initial = {
            name: getattr(filing, name)
            for name in (
                "registered_in_prc",
                "entity_type",
                "registration_authority",
                "office_address",
                "has_financial_system",
                "staff_full_time",
                "staff_mid_level",
                "staff_senior",
                "contact_name",
                "contact_phone",
                "contact_email",
            )
        }
        initial["authority"] = filing.authority_id
        for code, _ in SENIOR_FIELDS:
            initial[f"senior_{code}"] = (filing.senior_fields or {}).get(code)
        return initial


class ExperienceForm(forms.Form):
    year = forms.IntegerField(
        label="年份",
        required=False,
        widget=forms.NumberInput(attrs={"min": 1990, "max": 2100, "inputmode": "numeric", "size": 6}),
        error_messages={"invalid": "年份应为整数。"},
    )
    client = forms.CharField(label="委托方/项目来源", required=False, max_length=128)
    work = forms.CharField(label="工作内容", required=False, max_length=500)


ExperienceFormSet = forms.formset_factory(ExperienceForm, extra=0, max_num=30, absolute_max=30)


class ProofForm(forms.Form):
    kind = forms.ChoiceField(label="材料类别", choices=AssessorFilingProof.Kind.choices, required=False)
    file = forms.FileField(
        label="文件",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": PROOF_ACCEPT}),
        help_text=f"PDF、JPG 或 PNG，不超过 {PROOF_MAX_BYTES // 1048576} MB。",
    )


ProofFormSet = forms.formset_factory(ProofForm, extra=0, max_num=20, absolute_max=20)
PROOF_DEFAULT_KINDS = [
    AssessorFilingProof.Kind.LEGAL_PERSON,
    AssessorFilingProof.Kind.OFFICE,
    AssessorFilingProof.Kind.STAFF,
    AssessorFilingProof.Kind.EXPERIENCE,
]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="审核结论",
        choices=[("approve", "予以备案"), ("reject", "不予备案")],
        widget=forms.RadioSelect,
        error_messages={"required": "请选择审核结论。"},
    )
    reason = forms.CharField(
        label="审核意见（不予备案须填写理由）",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label="理由", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class CallForm(forms.Form):
    authority = forms.ModelChoiceField(
        label="发布单位", queryset=Organization.objects.none(), error_messages={"required": "请选择发布单位。"}
    )
    year = forms.IntegerField(
        label="报告年度", error_messages={"required": "请填写报告年度。", "invalid": "报告年度应为整数。"}
    )
    due_on = forms.DateField(
        label="填报截止日期（当日24时前，北京时间）",
        widget=DATE,
        error_messages={"required": "请填写填报截止日期。", **DATE_ERRORS},
    )
    note = forms.CharField(label="说明", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, authorities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["authority"].queryset = Organization.objects.filter(pk__in=[a.pk for a in authorities])
        if len(authorities) == 1:
            self.fields["authority"].initial = authorities[0].pk
            self.fields["authority"].empty_label = None


class ReportForm(forms.Form):
    projects_evaluated = _count("本年度开展评价项目数")
    passed_city = _count("其中列入市级名单", "不掌握的可不填。")
    passed_province = _count("其中列入省级名单", "不掌握的可不填。")
    passed_national = _count("其中列入国家级名单", "不掌握的可不填。")
    summary = forms.CharField(
        label="工作情况总结", required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 5})
    )
    self_check = forms.MultipleChoiceField(
        label="“十个严禁”自查：经自查，本机构不存在以下情形",
        choices=TEN_PROHIBITIONS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    self_check_note = forms.CharField(
        label="自查说明（有未勾选事项的须说明）",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    file = forms.FileField(
        label="年度工作情况报告（PDF，盖章扫描件）",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
        help_text=f"仅接受 PDF，最大 {REPORT_MAX_BYTES // 1048576} MB。",
    )

    def data_for_service(self) -> dict:
        d = dict(self.cleaned_data)
        d.pop("file", None)
        d["self_check"] = {code: True for code in d.get("self_check") or []}
        return d

    @staticmethod
    def initial_from(report: AssessorAnnualReport) -> dict:
        return {
            "projects_evaluated": report.projects_evaluated,
            "passed_city": report.passed_city,
            "passed_province": report.passed_province,
            "passed_national": report.passed_national,
            "summary": report.summary,
            "self_check": [code for code, ok in (report.self_check or {}).items() if ok],
            "self_check_note": report.self_check_note,
        }


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label="审阅结论",
        choices=[("accept", "已审阅"), ("return", "退回修改")],
        widget=forms.RadioSelect,
        error_messages={"required": "请选择审阅结论。"},
    )
    opinion = forms.CharField(
        label="审阅意见（退回修改须填写）", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class BlacklistForm(forms.Form):
    authority = forms.ModelChoiceField(
        label="作出决定的主管部门",
        queryset=Organization.objects.none(),
        error_messages={"required": "请选择作出决定的主管部门。"},
    )
    starts_on = forms.DateField(
        label="列入日期", widget=DATE, error_messages={"required": "请填写列入日期。", **DATE_ERRORS}
    )
    ends_on = forms.DateField(
        label="期满日期（不填则为列入日期起三年）", required=False, widget=DATE, error_messages=DATE_ERRORS
    )
    notice_ref = forms.CharField(label="通报/公告文号", required=False, max_length=128)
    reason = forms.CharField(
        label="列入理由（查实的弄虚作假或故意隐瞒问题）",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, authorities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["authority"].queryset = Organization.objects.filter(pk__in=[a.pk for a in authorities])
        if len(authorities) == 1:
            self.fields["authority"].initial = authorities[0].pk
            self.fields["authority"].empty_label = None


class LiftForm(forms.Form):
    lifted_on = forms.DateField(label="移出日期（不填为今天）", required=False, widget=DATE, error_messages=DATE_ERRORS)
    reason = forms.CharField(
        label="移出理由", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class RegistryFilterForm(forms.Form):
    q = forms.CharField(label="机构名称或统一社会信用代码", required=False, max_length=100)
    status = forms.ChoiceField(
        label="备案状态", required=False, choices=[("", "全部状态"), *AssessorFiling.Status.choices]
    )
    province = forms.ModelChoiceField(
        label="备案省份", required=False, queryset=Organization.objects.none(), empty_label="全部省份"
    )

    def __init__(self, *args, provinces=None, **kwargs):
        super().__init__(*args, **kwargs)
        if provinces is None:
            del self.fields["province"]
        else:
            self.fields["province"].queryset = provinces

    def values(self) -> dict:
        """The valid filters (invalid ones are ignored and shown as errors)."""
        if not self.is_valid():
            return {}
        return {
            "q": (self.cleaned_data.get("q") or "").strip(),
            "status": self.cleaned_data.get("status") or "",
            "province": self.cleaned_data["province"].pk if self.cleaned_data.get("province") else None,
        }


class BlacklistFilterForm(forms.Form):
    q = forms.CharField(label="机构名称或统一社会信用代码", required=False, max_length=100)
    state = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[("", "全部"), ("active", "在黑名单期内"), ("ended", "已期满或已移出")],
    )
