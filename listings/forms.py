"""Forms of the list pages: a manual rename of an entry, the upload of a historical list."""

from django import forms
from django.utils import timezone

from organizations.models import Organization

from .imports import IMPORT_LEVELS, MAX_BYTES

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RenameForm(forms.Form):
    new_name = forms.CharField(label="新名称", max_length=128)
    changed_on = forms.DateField(label="变更日期", widget=DATE_INPUT, help_text="营业执照等登记变更的日期")
    reason = forms.CharField(
        label="说明", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), help_text="如变更依据"
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("changed_on", timezone.localdate())
        super().__init__(*args, **kwargs)


class ImportForm(forms.Form):
    file = forms.FileField(
        label="名单文件（xlsx）",
        help_text="按导入模板填写，第一行为表头；最大 20 MB。",
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )
    authority = forms.ModelChoiceField(
        label="导入单位", queryset=Organization.objects.none(), required=False, empty_label="请选择"
    )

    def __init__(self, *args, choose_authority: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if choose_authority:  # superusers acting for no authority pick one
            self.fields["authority"].required = True
            self.fields["authority"].queryset = Organization.objects.filter(
                kind=Organization.Kind.AUTHORITY, level__in=IMPORT_LEVELS, is_active=True
            ).order_by("region_id", "name")
        else:
            del self.fields["authority"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(f"文件大小为{upload.size / 1048576:.1f} MB，超过上限20 MB。")
        return upload
