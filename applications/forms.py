"""Forms for the applicant's pages: they parse and check input; the services decide and write.

The category fields come from applications.categories.FORMS, the one definition the API and the completeness
check use too, so the web form cannot drift from them.
"""

import copy

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q

from notices.models import Category
from organizations.models import Organization

from .categories import FORMS, INDUSTRY_CODE
from .models import Application, NegativeItem, State

# What a browser's file picker offers for each accepted type (greenmfg.uploads judges the content anyway).
EXTENSIONS = {"pdf": ".pdf", "docx": ".docx", "xlsx": ".xlsx", "jpg": ".jpg,.jpeg", "png": ".png"}
ABSENT = [("False", "无"), ("True", "有")]


def accept_attr(types) -> str:
    return ",".join(EXTENSIONS[t] for t in types if t in EXTENSIONS)


def apply_service_errors(form, exc: ValidationError, aliases: dict[str, str] | None = None) -> None:
    """Put a service's Chinese messages on the form: on the field they name when the form has it."""
    aliases = aliases or {}
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            name = aliases.get(field, field)
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class ApplicationFilterForm(forms.Form):
    q = forms.CharField(label="申报单位或信用代码", required=False, max_length=64)
    state = forms.ChoiceField(label="状态", required=False, choices=[("", "全部状态"), *State.choices])
    category = forms.ChoiceField(label="申报类别", required=False, choices=[("", "全部类别"), *Category.choices])
    year = forms.TypedChoiceField(label="通知年度", required=False, coerce=int, empty_value=None)

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
            qs = qs.filter(Q(applicant__name__icontains=q) | Q(applicant__credit_code__iexact=q.upper()))
        if cd.get("state"):
            qs = qs.filter(state=cd["state"])
        if cd.get("category"):
            qs = qs.filter(category=cd["category"])
        if cd.get("year"):
            qs = qs.filter(notice__year=cd["year"])
        return qs


def mode_field(modes) -> forms.ChoiceField:
    labels = dict(Application.EvaluationMode.choices)
    return forms.ChoiceField(
        label="评价方式",
        choices=[(m, labels[m]) for m in modes],
        widget=forms.RadioSelect,
        error_messages={
            "required": "请选择评价方式（自评价或第三方评价）。",
            "invalid_choice": "本通知该类别不接受所选评价方式。",
        },
    )


class StartForm(forms.Form):
    """Start an application for one notice and category: only the evaluation mode is asked here."""

    def __init__(self, *args, modes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evaluation_mode"] = mode_field(modes)
        if len(modes) == 1:
            self.fields["evaluation_mode"].initial = modes[0]


class ApplicationForm(forms.Form):
    """The category's fields (all optional for a draft), the evaluation mode and who wrote the self-evaluation.

    With `for_check` the fields submission needs carry the HTML `required` attribute, so the browser checks
    them on “保存并检查”; “保存草稿” bypasses that with formnovalidate and the server accepts gaps.
    """

    def __init__(self, *args, application: Application, modes=(), **kwargs):
        category_form = FORMS[application.category]
        initial = {
            **{k: v for k, v in (application.data or {}).items() if k in category_form.base_fields},
            "evaluation_mode": application.evaluation_mode,
            "self_evaluation_org": application.self_evaluation_org_id,
            "self_evaluation_person": application.self_evaluation_person,
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.category_fields = list(category_form.base_fields)
        self.required_fields = tuple(category_form.REQUIRED)
        for name, field in category_form.base_fields.items():
            field = self.fields[name] = copy.deepcopy(field)
            if name in self.required_fields:
                field.widget.attrs["required"] = True
                field.widget.attrs["aria-required"] = "true"
            if name == "industry_code":
                field.widget.attrs["pattern"] = INDUSTRY_CODE.regex.pattern.strip("^$")
                field.widget.attrs["title"] = str(INDUSTRY_CODE.message)
        modes = list(modes) or [application.evaluation_mode]
        if application.evaluation_mode not in modes:
            modes.append(application.evaluation_mode)
        self.fields["evaluation_mode"] = mode_field(modes)
        self.fields["self_evaluation_org"] = forms.ModelChoiceField(
            label="自评价报告编制单位",
            required=False,
            queryset=Organization.objects.filter(kind=Organization.Kind.ASSESSOR, is_active=True).order_by("name"),
            empty_label="本单位自行编制",
            help_text="委托咨询机构编制自评价报告的，选择该机构；该机构不能再担任本申报的第三方评价机构。",
        )
        self.fields["self_evaluation_org"].label_from_instance = lambda o: f"{o.name}（{o.credit_code}）"
        self.fields["self_evaluation_person"] = forms.CharField(label="自评价报告编制人", required=False, max_length=64)

    def category_data(self) -> dict:
        """The raw values of the category fields, as the service cleans them itself."""
        return {name: self.data.get(name, "") for name in self.category_fields}

    def missing_required(self) -> list[str]:
        return [name for name in self.required_fields if self.cleaned_data.get(name) in (None, "")]

    def category_boundfields(self):
        return [self[name] for name in self.category_fields]


class DeclarationsForm(forms.Form):
    """The nine negative-list items (近三年), each 有/无 with an explanation required when 有."""

    def __init__(self, *args, declarations=(), **kwargs):
        super().__init__(*args, **kwargs)
        answered = {d.item: d for d in declarations}
        for code, label in NegativeItem.choices:
            existing = answered.get(code)
            self.fields[f"occurred_{code}"] = forms.ChoiceField(
                label=label,
                choices=ABSENT,
                widget=forms.RadioSelect,
                initial=str(existing.occurred) if existing else None,
                error_messages={"required": "请选择“有”或“无”。"},
            )
            self.fields[f"note_{code}"] = forms.CharField(
                label="说明",
                required=False,
                max_length=1000,
                initial=existing.note if existing else "",
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def rows(self):
        return [
            {"code": code, "label": label, "occurred": self[f"occurred_{code}"], "note": self[f"note_{code}"]}
            for code, label in NegativeItem.choices
        ]

    def answers(self) -> dict:
        return {
            code: {
                "occurred": self.cleaned_data[f"occurred_{code}"] == "True",
                "note": self.cleaned_data[f"note_{code}"],
            }
            for code in NegativeItem.values
        }

    def apply_service_errors(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for code, errors in exc.message_dict.items():
            target = f"note_{code}"  # the only per-item refusal a valid form can meet: 有 without 说明
            self.add_error(target if target in self.fields else None, errors)


class CommitmentForm(forms.Form):
    signer = forms.CharField(
        label="承诺人（法定代表人或授权代表）",
        max_length=64,
        error_messages={"required": "请填写承诺人（法定代表人或授权代表）姓名。"},
    )
    agree = forms.BooleanField(
        label="本单位承诺以上声明真实",
        error_messages={"required": "请勾选“本单位承诺以上声明真实”。"},
    )


class UploadForm(forms.Form):
    file = forms.FileField(
        label="选择文件",
        error_messages={"required": "请选择要上传的文件。", "empty": "请选择要上传的文件（文件不能为空）。"},
    )

    def __init__(self, *args, types=(), **kwargs):
        super().__init__(*args, **kwargs)
        if types:
            self.fields["file"].widget.attrs["accept"] = accept_attr(types)


class EngagementForm(forms.Form):
    assessor = forms.ModelChoiceField(
        label="第三方评价机构",
        queryset=Organization.objects.none(),
        empty_label="请选择评价机构",
        error_messages={"required": "请选择第三方评价机构。", "invalid_choice": "请选择登记在册的第三方评价机构。"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["assessor"]
        field.queryset = Organization.objects.filter(kind=Organization.Kind.ASSESSOR, is_active=True).order_by("name")
        field.label_from_instance = lambda o: f"{o.name}（统一社会信用代码 {o.credit_code}）"
