"""The 动态管理表 definition: validation of values and changes, the comparison with the previous year."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from listings.indicators import (
    HIGHER,
    INDICATORS,
    LOWER,
    PERCENT,
    clean_changes,
    clean_indicators,
    compare,
    flag_text,
    indicators_for,
)
from tests.dynamic_helpers import FACTORY, VALUES


def test_every_category_has_its_key_indicators_with_labels_units_and_directions():
    labels = {c: [i.label for i in items] for c, items in INDICATORS.items()}
    assert labels["factory"][:2] == ["单位产品综合能耗", "单位产品取水量"]
    assert {
        "化学需氧量",
        "氨氮",
        "二氧化硫",
        "氮氧化物",
        "颗粒物",
        "工业固体废物综合利用率",
        "可再生能源使用比例",
    } <= set(labels["factory"])
    assert "单位产品碳排放量" in labels["factory"]
    assert labels["park"] == [
        "单位工业增加值能耗",
        "单位工业增加值水耗",
        "工业固体废物综合利用率",
        "园区内绿色工厂数量",
        "可再生能源使用比例",
    ]
    assert labels["supply_chain"] == ["绿色供应商比例", "产品回收率/废旧产品回收利用率", "单位产值能耗"]
    assert labels["product"] == ["按评价标准的关键指标达标情况", "年产量"]
    energy = indicators_for("factory")[0]
    assert (energy.better, energy.unit) == (LOWER, "千克标准煤/单位产品")
    share = next(i for i in indicators_for("park") if i.code == "renewable_share")
    assert (share.kind, share.better) == (PERCENT, HIGHER)
    for category, values in VALUES.items():  # the test values cover every indicator
        assert set(values) == {i.code for i in indicators_for(category)}


def test_values_are_checked_numbers_not_negative_percentages_at_most_100_counts_whole():
    with pytest.raises(ValidationError) as caught:
        clean_indicators(
            "park",
            {
                "energy_per_value_added": "-1",
                "water_per_value_added": "abc",
                "solid_waste_utilization": "100.5",
                "green_factory_count": "2.5",
                "renewable_share": "",
            },
            complete=False,
        )
    errors = caught.value.message_dict
    assert errors == {
        "energy_per_value_added": ["单位工业增加值能耗：数值不能小于0。"],
        "water_per_value_added": ["单位工业增加值水耗：请填写数值。"],
        "solid_waste_utilization": ["工业固体废物综合利用率：百分比应在0到100之间。"],
        "green_factory_count": ["园区内绿色工厂数量：请填写整数。"],
    }  # an empty value is fine in a draft


def test_submission_requires_every_indicator_and_answers_to_the_changes():
    partial = dict(FACTORY)
    del partial["nox"]
    with pytest.raises(ValidationError) as caught:
        clean_indicators("factory", partial, complete=True)
    assert caught.value.message_dict == {"nox": ["氮氧化物：请填写此项。"]}
    with pytest.raises(ValidationError) as caught:
        clean_changes("factory", {"name": {"changed": False}}, complete=True)
    assert set(caught.value.message_dict) == {"changes.address", "changes.scope"}
    assert "changes.boundary" not in caught.value.message_dict  # a park's boundary only


def test_values_are_normalised_zero_is_a_value_and_yes_no_is_boolean():
    cleaned = clean_indicators("factory", {**FACTORY, "cod": "0", "so2": "1,200.5"}, complete=True)
    assert cleaned["cod"] == 0.0 and cleaned["so2"] == 1200.5
    assert clean_indicators("park", {"green_factory_count": "7"}, complete=False)["green_factory_count"] == 7
    assert clean_indicators("product", {"standard_met": "false"}, complete=False)["standard_met"] is False
    with pytest.raises(ValidationError, match="请选择“是”或“否”"):
        clean_indicators("product", {"standard_met": "maybe"}, complete=False)
    assert clean_indicators("factory", {"unknown": 5}, complete=False).get("unknown") is None


def test_a_change_needs_the_new_value_and_a_date_not_in_the_future():
    from datetime import date

    today = date(2025, 3, 10)
    with pytest.raises(ValidationError) as caught:
        clean_changes(
            "park",
            {
                "name": {"changed": True, "value": "", "date": "2025-01-01"},
                "address": {"changed": True, "value": "新地址", "date": "2025-04-01"},
                "scope": {"changed": True, "value": "新范围", "date": "2025/01/01"},
                "boundary": {"changed": True, "value": "东至某路", "date": ""},
            },
            complete=True,
            today=today,
        )
    assert caught.value.message_dict == {
        "changes.name": ["名称：请填写变更后的名称。"],
        "changes.address": ["地址：变更日期不能晚于今天。"],
        "changes.scope": ["经营范围：变更日期应为 2025-03-01 的格式。"],
        "changes.boundary": ["边界：请填写变更日期。"],
    }
    cleaned = clean_changes(
        "factory",
        {"name": {"changed": True, "value": " 新 名称 ", "date": "2025-01-02"}, "address": {"changed": "false"}},
        complete=False,
        today=today,
    )
    assert cleaned == {
        "name": {"changed": True, "value": "新 名称", "date": "2025-01-02"},
        "address": {"changed": False},
    }


def test_worse_energy_is_flagged_better_is_not_and_a_falling_percentage_is_flagged():
    previous = dict(FACTORY)
    current = {**FACTORY, "energy_per_unit": 120.0, "water_per_unit": 2.0, "solid_waste_utilization": 80.0}
    flags = compare("factory", previous, current, previous_year=2023)
    assert [f["code"] for f in flags] == ["energy_per_unit", "solid_waste_utilization"]
    energy, waste = flags
    assert (energy["previous"], energy["current"], energy["change_pct"]) == (100.0, 120.0, 20.0)
    assert (waste["previous"], waste["current"], waste["change_pct"]) == (90.0, 80.0, -11.1)
    assert energy["previous_year"] == 2023 and energy["unit"] == "千克标准煤/单位产品"
    assert flag_text(energy) == "单位产品综合能耗 100 → 120（+20.0%）"
    assert compare("factory", previous, {**FACTORY, "renewable_share": 25.0}) == []  # a higher share is better


def test_a_standard_no_longer_met_is_flagged_and_output_is_not_compared():
    flags = compare(
        "product", {"standard_met": True, "annual_output": 100}, {"standard_met": False, "annual_output": 5}
    )
    assert [(f["code"], f["change_pct"]) for f in flags] == [("standard_met", None)]
    assert compare("product", {"standard_met": False}, {"standard_met": True}) == []


def test_from_zero_the_change_has_no_percentage():
    flags = compare("factory", {**FACTORY, "cod": 0.0}, {**FACTORY, "cod": 0.5})
    assert [(f["code"], f["change_pct"]) for f in flags] == [("cod", None)]


@given(
    previous=st.floats(min_value=0, max_value=1e6, allow_nan=False),
    current=st.floats(min_value=0, max_value=1e6, allow_nan=False),
)
def test_exactly_one_direction_is_worse_unless_equal(previous, current):
    lower = compare("supply_chain", {"energy_per_output_value": previous}, {"energy_per_output_value": current})
    higher = compare(
        "supply_chain", {"green_supplier_share": min(previous, 100)}, {"green_supplier_share": min(current, 100)}
    )
    assert bool(lower) == (current > previous)
    assert bool(higher) == (min(current, 100) < min(previous, 100))


@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(), st.text(max_size=8)))
def test_a_percentage_is_accepted_only_between_0_and_100(value):
    try:
        cleaned = clean_indicators("supply_chain", {"green_supplier_share": value}, complete=False)
    except ValidationError:
        return
    result = cleaned["green_supplier_share"]
    assert result is None or 0 <= result <= 100
