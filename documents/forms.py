from django import forms

from .letter_templates import PLACEHOLDERS, unknown_placeholders
from .models import LetterTemplate


class LetterTemplateForm(forms.ModelForm):
    class Meta:
        model = LetterTemplate
        fields = ["mark", "code_prefix", "signer", "title", "body", "signature", "contact", "phone", "cc", "printer"]
        widgets = {"body": forms.Textarea(attrs={"rows": 10}), "cc": forms.TextInput()}

    def clean_code_prefix(self):
        value = self.cleaned_data["code_prefix"].strip()
        if any(c in value for c in "〔〕[]()（）0123456789"):
            raise forms.ValidationError("发文机关代字只填文字部分，如“并工信函”，年份和序号由系统编排。")
        return value

    def _placeholders(self, name):
        value = self.cleaned_data[name]
        unknown = unknown_placeholders(value)
        if unknown:
            known = "、".join("{" + p + "}" for p in PLACEHOLDERS)
            raise forms.ValidationError(
                f"不认识的占位符：{'、'.join('{' + u + '}' for u in unknown)}。可用的有：{known}"
            )
        return value

    def clean_title(self):
        return self._placeholders("title")

    def clean_body(self):
        return self._placeholders("body")
