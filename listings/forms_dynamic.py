"""Forms of the dynamic management pages: they parse input; the services check it and decide. The report form is
built from listings.indicators, the one definition of each category's table."""

from django import forms
from django.utils import timezone

from notices.forms import DATE_INPUT, TIME_INPUT, MomentFormMixin, apply_service_errors
from notices.models import Category

from .indicators import INTEGER, PERCENT, YES_NO, changes_for, indicators_for
from .models import Listing, Recheck
from .selectors_dynamic import STATUS_FILTERS

__all__ = ["apply_service_errors"]


class RoundForm(MomentFormMixin, forms.Form):
    year = forms.IntegerField(
        label="数据年度",
        min_value=2016,
        help_text="表中指标所属年度；如2026年4月填报的是2025年数据，填2025",
        error_messages={"required": "请填写数据年度。", "invalid": "请填写年份，如2025。"},
    )
    title = forms.CharField(label="名称", max_length=200, required=False, help_text="留空则按年度和本单位名称生成")
    due_date = forms.DateField(label="填报截止日期", widget=DATE_INPUT, error_messages={"required": "请填写截止日期。"})
    due_time = forms.TimeField(label="截止时刻", required=False, widget=TIME_INPUT, help_text="留空即当天 23:59:59")
    note = forms.CharField(
        label="填报要求", required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 4, "cols": 70})
    )

    ALIASES = {"due_at": "due_date"}


class ExtendForm(MomentFormMixin, forms.Form):
    until_date = forms.DateField(label="延期至（日期）", widget=DATE_INPUT, error_messages={"required": "请填写日期。"})
    until_time = forms.TimeField(
        label="延期至（时刻）", required=False, widget=TIME_INPUT, help_text="留空即当天 23:59:59"
    )
    reason = forms.CharField(label="延期理由", widget=forms.Textarea(attrs={"rows": 2, "cols": 60}))

    ALIASES = {"until": "until_date"}


class RoundFilterForm(forms.Form):
    q = forms.CharField(label="单位名称或统一社会信用代码", required=False, max_length=100)
    status = forms.ChoiceField(label="填报状态", required=False, choices=STATUS_FILTERS)
    category = forms.ChoiceField(label="类别", required=False, choices=[("", "全部"), *Category.choices])
    level = forms.ChoiceField(label="名单层级", required=False, choices=[("", "全部"), *Listing.Level.choices])
    city = forms.ChoiceField(label="所在城市", required=False, choices=[("", "全部")])
    flagged = forms.BooleanField(label="只看指标变差的", required=False)

    def __init__(self, *args, cities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["city"].choices = [("", "全部"), *[(c.code, c.name) for c in cities]]
        if len(cities) < 2:
            del self.fields["city"]


CHANGE_CHOICES = [("unchanged", "未变更"), ("changed", "有变更")]


class ReportForm(forms.Form):
    """The 动态管理表 of one entry: a field per indicator of its category, the changes block, a note. Every field is
    optional here; the services say what a submission lacks."""

    note = forms.CharField(
        label="其他说明", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3, "cols": 70})
    )

    def __init__(self, *args, category: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.category = category
        self.indicator_defs = indicators_for(category)
        self.change_defs = changes_for(category)
        fields = {}
        for ind in self.indicator_defs:
            if ind.kind == YES_NO:
                fields[ind.code] = forms.ChoiceField(
                    label=ind.full_label,
                    required=False,
                    choices=[("true", "是"), ("false", "否")],
                    widget=forms.RadioSelect,
                    help_text=ind.help,
                )
                continue
            attrs = {"min": "0", "step": "1" if ind.kind == INTEGER else "any", "inputmode": "decimal"}
            if ind.kind == PERCENT:
                attrs["max"] = "100"
            fields[ind.code] = forms.CharField(
                label=ind.full_label,
                required=False,
                max_length=32,
                widget=forms.NumberInput(attrs=attrs),
                help_text=ind.help,
            )
        for change in self.change_defs:
            fields[f"chg_{change.code}"] = forms.ChoiceField(
                label=change.label, required=False, choices=CHANGE_CHOICES, widget=forms.RadioSelect
            )
            wide = change.code in ("scope", "boundary", "address")
            fields[f"chg_{change.code}_value"] = forms.CharField(
                label=f"变更后的{change.label}",
                required=False,
                max_length=500,
                widget=forms.Textarea(attrs={"rows": 2, "cols": 60}) if wide else forms.TextInput(attrs={"size": 40}),
            )
            fields[f"chg_{change.code}_date"] = forms.DateField(
                label="变更日期",
                required=False,
                widget=DATE_INPUT,
                error_messages={"invalid": "请按 2025-03-01 的格式填写日期。"},
            )
        note = self.fields.pop("note")
        self.fields.update(fields)
        self.fields["note"] = note

    @classmethod
    def initial_from(cls, report) -> dict:
        initial = {"note": report.note}
        for code, value in (report.indicators or {}).items():
            if value is True:
                initial[code] = "true"
            elif value is False:
                initial[code] = "false"
            elif value is not None:
                initial[code] = f"{value:g}" if isinstance(value, float) else str(value)
        for code, item in (report.changes or {}).items():
            initial[f"chg_{code}"] = "changed" if item.get("changed") else "unchanged"
            initial[f"chg_{code}_value"] = item.get("value", "")
            initial[f"chg_{code}_date"] = item.get("date", "")
        return initial

    def indicators(self) -> dict:
        return {ind.code: self.cleaned_data.get(ind.code) or None for ind in self.indicator_defs}

    def changes(self) -> dict:
        out = {}
        for change in self.change_defs:
            answer = self.cleaned_data.get(f"chg_{change.code}")
            if not answer:
                continue
            when = self.cleaned_data.get(f"chg_{change.code}_date")
            out[change.code] = {
                "changed": answer == "changed",
                "value": self.cleaned_data.get(f"chg_{change.code}_value") or "",
                "date": when.isoformat() if when else "",
            }
        return out

    def indicator_rows(self):
        """(definition, bound field) pairs, grouped for the template: (group, [(definition, field)])."""
        groups: list[tuple[str, list]] = []
        for ind in self.indicator_defs:
            if not groups or groups[-1][0] != ind.group or not ind.group:
                groups.append((ind.group, []))
            groups[-1][1].append((ind, self[ind.code]))
        return groups

    def change_rows(self):
        return [
            (c, self[f"chg_{c.code}"], self[f"chg_{c.code}_value"], self[f"chg_{c.code}_date"])
            for c in self.change_defs
        ]

    def apply(self, exc) -> None:
        aliases = {f"changes.{c.code}": f"chg_{c.code}" for c in self.change_defs}
        apply_service_errors(self, exc, aliases)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label="审核结论",
        choices=[("accept", "审核通过"), ("return", "退回修改")],
        widget=forms.RadioSelect,
        error_messages={"required": "请选择审核通过或退回修改。"},
    )
    opinion = forms.CharField(
        label="审核意见",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
        help_text="退回的必须填写，说明需要修改的内容",
    )


class RecheckForm(forms.Form):
    reason = forms.CharField(
        label="复核原因",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
        max_length=4000,
        error_messages={"required": "请填写复核原因。"},
    )
    planned_on = forms.DateField(
        label="计划复核日期",
        required=False,
        widget=DATE_INPUT,
        error_messages={"invalid": "请按 2025-05-20 的格式填写日期。"},
    )


class RecheckRecordForm(forms.Form):
    done_on = forms.DateField(
        label="复核日期",
        widget=DATE_INPUT,
        error_messages={"required": "请填写复核日期。", "invalid": "请按 2025-05-20 的格式填写日期。"},
    )
    inspectors = forms.CharField(label="复核人员", max_length=200, help_text="姓名和单位，多人以顿号分隔")
    findings = forms.CharField(label="复核情况", widget=forms.Textarea(attrs={"rows": 5, "cols": 70}))
    conclusion = forms.ChoiceField(
        label="复核结论",
        choices=[c for c in Recheck.Conclusion.choices if c[0] != Recheck.Conclusion.PENDING],
        widget=forms.RadioSelect,
    )

    @classmethod
    def initial_from(cls, recheck: Recheck) -> dict:
        if recheck.conclusion == Recheck.Conclusion.PENDING:
            return {"done_on": timezone.localdate()}
        return {
            "done_on": recheck.done_on,
            "inspectors": recheck.inspectors,
            "findings": recheck.findings,
            "conclusion": recheck.conclusion,
        }


class RemovalForm(forms.Form):
    reason = forms.CharField(
        label="移出理由",
        widget=forms.Textarea(attrs={"rows": 4, "cols": 70}),
        max_length=4000,
        error_messages={"required": "请填写移出理由。"},
    )
    decide_now = forms.BooleanField(label="本单位即作出移出决定", required=False)
    effective_on = forms.DateField(
        label="移出日期", required=False, widget=DATE_INPUT, help_text="直接决定移出时填写；留空为今天"
    )
    decision_note = forms.CharField(
        label="决定意见", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2, "cols": 70})
    )

    def __init__(self, *args, may_decide_now: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_decide_now:
            for name in ("decide_now", "effective_on", "decision_note"):
                del self.fields[name]


class RemovalDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="决定",
        choices=[("decide", "决定移出"), ("reject", "不予移出")],
        widget=forms.RadioSelect,
        error_messages={"required": "请选择决定移出或不予移出。"},
    )
    effective_on = forms.DateField(
        label="移出日期", required=False, widget=DATE_INPUT, help_text="决定移出时填写；留空为今天"
    )
    note = forms.CharField(
        label="决定意见",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
        help_text="不予移出的必须说明理由",
    )
