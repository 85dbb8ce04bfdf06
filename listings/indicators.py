"""The 动态管理表 of each category: its key indicators (code, Chinese label, unit, kind, which direction is better)
and the block of changes since listing (name, address, business scope, a park's boundary).

One definition drives the fill-in form, the validation of drafts and submissions, the comparison with the previous
year (flags) and the exports. Sources: 002 §二 and its 附件6-9 (绿色工厂/绿色设计产品/绿色工业园区/绿色供应链管理企业动态管理表:
key indicators filed yearly and checked against the evaluation requirements), 003 §三 (tables by 4/15 each year).
# 002_3e46b5da0b2a2c6e.txt  # 003_32b3e8f77524ff49.txt
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from notices.models import Category

NUMBER = "number"  # a quantity ≥ 0
PERCENT = "percent"  # 0–100
INTEGER = "integer"  # a count ≥ 0
YES_NO = "yes_no"

LOWER = "lower"  # less is better (energy, water, emissions)
HIGHER = "higher"  # more is better (utilization, shares)
YES = "yes"  # 是 is better (standard met)
MAX_NUMBER = Decimal("1e12")


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str
    unit: str = ""
    kind: str = NUMBER
    better: str = ""  # LOWER / HIGHER / YES; "" = not compared
    group: str = ""
    required: bool = True
    help: str = ""

    @property
    def full_label(self) -> str:
        return f"{self.label}（{self.unit}）" if self.unit else self.label

    @property
    def better_label(self) -> str:
        return {LOWER: "越低越好", HIGHER: "越高越好", YES: "应为“是”"}.get(self.better, "不比较")


@dataclass(frozen=True)
class Change:
    code: str
    label: str
    categories: tuple[str, ...] = tuple(Category.values)


POLLUTANTS = "主要污染物排放量"

INDICATORS: dict[str, tuple[Indicator, ...]] = {
    Category.FACTORY: (
        Indicator("energy_per_unit", "单位产品综合能耗", "千克标准煤/单位产品", better=LOWER),
        Indicator("water_per_unit", "单位产品取水量", "立方米/单位产品", better=LOWER),
        Indicator("cod", "化学需氧量", "吨/年", better=LOWER, group=POLLUTANTS),
        Indicator("ammonia_nitrogen", "氨氮", "吨/年", better=LOWER, group=POLLUTANTS),
        Indicator("so2", "二氧化硫", "吨/年", better=LOWER, group=POLLUTANTS),
        Indicator("nox", "氮氧化物", "吨/年", better=LOWER, group=POLLUTANTS),
        Indicator("particulates", "颗粒物", "吨/年", better=LOWER, group=POLLUTANTS),
        Indicator("solid_waste_utilization", "工业固体废物综合利用率", "%", PERCENT, HIGHER),
        Indicator("renewable_share", "可再生能源使用比例", "%", PERCENT, HIGHER),
        Indicator("carbon_per_unit", "单位产品碳排放量", "千克二氧化碳当量/单位产品", better=LOWER),
    ),
    Category.PARK: (
        Indicator("energy_per_value_added", "单位工业增加值能耗", "吨标准煤/万元", better=LOWER),
        Indicator("water_per_value_added", "单位工业增加值水耗", "立方米/万元", better=LOWER),
        Indicator("solid_waste_utilization", "工业固体废物综合利用率", "%", PERCENT, HIGHER),
        Indicator("green_factory_count", "园区内绿色工厂数量", "家", INTEGER, HIGHER),
        Indicator("renewable_share", "可再生能源使用比例", "%", PERCENT, HIGHER),
    ),
    Category.SUPPLY_CHAIN: (
        Indicator("green_supplier_share", "绿色供应商比例", "%", PERCENT, HIGHER),
        Indicator(
            "recycling_rate",
            "产品回收率/废旧产品回收利用率",
            "%",
            PERCENT,
            HIGHER,
            help="按行业指标体系适用的口径填写",
        ),
        Indicator("energy_per_output_value", "单位产值能耗", "吨标准煤/万元", better=LOWER),
    ),
    Category.PRODUCT: (
        Indicator(
            "standard_met",
            "按评价标准的关键指标达标情况",
            kind=YES_NO,
            better=YES,
            help="对照该产品的绿色设计产品评价标准，关键指标是否全部达标",
        ),
        Indicator("annual_output", "年产量", "产品计量单位", help="按产品的计量单位（台、件、吨等）填写"),
    ),
}

CHANGES: tuple[Change, ...] = (
    Change("name", "名称"),
    Change("address", "地址"),
    Change("scope", "经营范围"),
    Change("boundary", "边界", (Category.PARK,)),
)


def indicators_for(category: str) -> tuple[Indicator, ...]:
    return INDICATORS.get(category, ())


def changes_for(category: str) -> tuple[Change, ...]:
    return tuple(c for c in CHANGES if category in c.categories)


# ------------------------------------------------------------------------------------------------------ validation


def _parse(indicator: Indicator, raw) -> tuple[object, str]:
    """(value, error): a JSON-friendly value (float, int, bool or None) or a Chinese error."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, ""
    if indicator.kind == YES_NO:
        if raw in (True, "true", "True", "1", 1, "yes", "是"):
            return True, ""
        if raw in (False, "false", "False", "0", 0, "no", "否"):
            return False, ""
        return None, "请选择“是”或“否”。"
    if isinstance(raw, bool):
        return None, "请填写数值。"
    try:
        number = Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation:
        return None, "请填写数值。"
    if not number.is_finite():
        return None, "请填写数值。"
    if number < 0:
        return None, "数值不能小于0。"
    if number > MAX_NUMBER:
        return None, "数值过大，请核对单位。"
    if indicator.kind == PERCENT and number > 100:
        return None, "百分比应在0到100之间。"
    if indicator.kind == INTEGER:
        if number != number.to_integral_value():
            return None, "请填写整数。"
        return int(number), ""
    return float(number), ""


def clean_indicators(category: str, data: dict | None, *, complete: bool) -> dict:
    """Validated indicator values of a category ({code: value}); unknown keys are dropped. `complete` (on
    submission) also requires every required indicator. Raises ValidationError keyed by indicator code."""
    data = data or {}
    cleaned, errors = {}, {}
    for indicator in indicators_for(category):
        value, error = _parse(indicator, data.get(indicator.code))
        if not error and value is None and complete and indicator.required:
            error = "请填写此项。"
        if error:
            errors[indicator.code] = [f"{indicator.label}：{error}"]
        cleaned[indicator.code] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


def _parse_date(raw) -> date | None:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw or "").strip())
    except ValueError:
        return None


def clean_changes(category: str, data: dict | None, *, complete: bool, today: date | None = None) -> dict:
    """Validated changes ({code: {"changed": bool, "value": str, "date": "YYYY-MM-DD"}}): each item is unchanged or
    a new value with the date of the change (not in the future). `complete` requires an answer for every item.
    Raises ValidationError keyed by "changes.<code>"."""
    data = data or {}
    cleaned, errors = {}, {}
    for change in changes_for(category):
        item = data.get(change.code)
        key = f"changes.{change.code}"
        if not isinstance(item, dict) or item.get("changed") in (None, ""):
            if complete:
                errors[key] = [f"{change.label}：请选择“未变更”或填写变更情况。"]
            continue
        changed = item.get("changed") in (True, "true", "True", "1", 1, "changed")
        if not changed:
            cleaned[change.code] = {"changed": False}
            continue
        value = " ".join(str(item.get("value") or "").split())
        when = _parse_date(item.get("date"))
        problems = []
        if not value:
            problems.append(f"{change.label}：请填写变更后的{change.label}。")
        elif len(value) > 500:
            problems.append(f"{change.label}：不超过500个字。")
        if item.get("date") in (None, "") and complete:
            problems.append(f"{change.label}：请填写变更日期。")
        elif item.get("date") not in (None, "") and when is None:
            problems.append(f"{change.label}：变更日期应为 2025-03-01 的格式。")
        elif when is not None and today is not None and when > today:
            problems.append(f"{change.label}：变更日期不能晚于今天。")
        if problems:
            errors[key] = problems
            continue
        cleaned[change.code] = {"changed": True, "value": value, "date": when.isoformat() if when else ""}
    if errors:
        raise ValidationError(errors)
    return cleaned


def clean_report(category: str, indicators, changes, *, complete: bool, today: date | None = None):
    """Both blocks at once, so every error is reported together."""
    errors: dict = {}
    cleaned_indicators = cleaned_changes = {}
    try:
        cleaned_indicators = clean_indicators(category, indicators, complete=complete)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        cleaned_changes = clean_changes(category, changes, complete=complete, today=today)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return cleaned_indicators, cleaned_changes


# ------------------------------------------------------------------------------------------------------ comparison


def is_worse(indicator: Indicator, previous, current) -> bool:
    if previous is None or current is None:
        return False
    if indicator.better == YES:
        return previous is True and current is False
    if indicator.kind == YES_NO or isinstance(previous, bool) or isinstance(current, bool):
        return False
    if indicator.better == LOWER:
        return current > previous
    if indicator.better == HIGHER:
        return current < previous
    return False


def change_percent(previous, current) -> float | None:
    """The change against the previous value in %, one decimal; None where there is no base (0 or yes/no)."""
    if isinstance(previous, bool) or isinstance(current, bool) or not previous:
        return None
    return round((current - previous) / previous * 100, 1)


def compare(category: str, previous: dict, current: dict, *, previous_year: int | None = None) -> list[dict]:
    """The indicators that got worse than the previous report's: code, label, unit, previous, current, change_pct."""
    flags = []
    for indicator in indicators_for(category):
        before, now = (previous or {}).get(indicator.code), (current or {}).get(indicator.code)
        if is_worse(indicator, before, now):
            flags.append(
                {
                    "code": indicator.code,
                    "label": indicator.label,
                    "unit": indicator.unit,
                    "better": indicator.better,
                    "previous": before,
                    "current": now,
                    "change_pct": change_percent(before, now),
                    "previous_year": previous_year,
                }
            )
    return flags


# -------------------------------------------------------------------------------------------------------- display


def display_value(indicator: Indicator | None, value) -> str:
    if value is None or value == "":
        return ""
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, float):
        text = f"{value:.6f}".rstrip("0").rstrip(".")
        return text or "0"
    return str(value)


def change_text(item: dict | None) -> str:
    if not item:
        return ""
    if not item.get("changed"):
        return "未变更"
    when = _parse_date(item.get("date"))
    return f"变更为：{item.get('value', '')}" + (f"（{when.year}年{when.month}月{when.day}日）" if when else "")


def flag_text(flag: dict) -> str:
    """One flag as a line: 单位产品综合能耗 10 → 12（+20.0%）."""
    indicator = next(
        (i for items in INDICATORS.values() for i in items if i.code == flag.get("code")),
        None,
    )
    before, now = display_value(indicator, flag.get("previous")), display_value(indicator, flag.get("current"))
    pct = flag.get("change_pct")
    tail = f"（{'+' if pct > 0 else ''}{pct}%）" if pct is not None else ""
    return f"{flag.get('label', '')} {before} → {now}{tail}"
