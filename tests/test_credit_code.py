"""统一社会信用代码 (GB 32100-2015): property tests of the validator, and the form path that uses it."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from organizations.credit_code import (
    ALPHABET,
    FORBIDDEN,
    check_character,
    check_credit_code,
    make_credit_code,
    validate_credit_code,
)
from organizations.models import Organization
from tests.factories import authority

DIGITS = "0123456789"
FORMATS_EXAMPLES = ["914403001922038216", "91110000600037341L", "91350100M000100Y43"]


@st.composite
def bodies(draw) -> str:
    """17 characters: positions 1–2 and 9–17 from the alphabet, positions 3–8 digits (the region code)."""
    head = draw(st.text(alphabet=ALPHABET, min_size=2, max_size=2))
    region = draw(st.text(alphabet=DIGITS, min_size=6, max_size=6))
    serial = draw(st.text(alphabet=ALPHABET, min_size=9, max_size=9))
    return head + region + serial


def allowed_at(pos: int) -> str:
    return DIGITS if 3 <= pos <= 8 else ALPHABET


@given(body=bodies())
@settings(max_examples=200)
def test_made_codes_pass_without_error_or_warning(body):
    code = make_credit_code(body)
    result = check_credit_code(code)
    assert len(code) == 18
    assert result.ok
    assert result.errors == []
    assert result.warning == ""
    assert result.value == code
    validate_credit_code(code)  # no exception


@given(body=bodies(), data=st.data())
@settings(max_examples=200)
def test_any_single_substitution_is_a_check_warning_not_an_error(body, data):
    code = make_credit_code(body)
    pos = data.draw(st.integers(min_value=1, max_value=18), label="position")
    choices = allowed_at(pos).replace(code[pos - 1], "")
    new = data.draw(st.sampled_from(choices), label="new character")
    changed = code[: pos - 1] + new + code[pos:]

    result = check_credit_code(changed)

    assert result.ok, result.errors
    assert result.errors == []
    assert "第18位" in result.warning
    expected = check_character(changed[:17])
    assert expected != changed[17]
    assert f"应为“{expected}”" in result.warning
    assert f"实际为“{changed[17]}”" in result.warning
    validate_credit_code(changed)  # a warning never blocks saving


@given(
    body=bodies(),
    data=st.data(),
    bad=st.sampled_from(list(FORBIDDEN) + ["!", "-", "#", "中", "*", "?"]),
)
@settings(max_examples=200)
def test_forbidden_character_is_an_error_naming_its_position(body, data, bad):
    code = make_credit_code(body)
    pos = data.draw(st.integers(min_value=1, max_value=18), label="position")
    broken = code[: pos - 1] + bad + code[pos:]

    result = check_credit_code(broken)

    assert not result.ok
    assert result.warning == ""
    assert len(result.errors) == 1
    assert f"第{pos}位" in result.errors[0]
    assert f"“{bad}”" in result.errors[0]
    with pytest.raises(ValidationError) as excinfo:
        validate_credit_code(broken)
    assert f"第{pos}位" in excinfo.value.messages[0]


@given(body=bodies(), pos=st.integers(min_value=1, max_value=18), bad=st.sampled_from("iozsv"))
@settings(max_examples=50)
def test_lowercase_forbidden_letter_is_still_forbidden(body, pos, bad):
    code = make_credit_code(body)
    result = check_credit_code(code[: pos - 1] + bad + code[pos:])
    assert result.errors == [f"第{pos}位字符“{bad.upper()}”不合法：字母{bad.upper()}不用于信用代码。"]


@given(body=bodies(), pos=st.integers(min_value=3, max_value=8), letter=st.sampled_from(ALPHABET[10:]))
@settings(max_examples=50)
def test_letter_in_region_positions_is_an_error(body, pos, letter):
    code = make_credit_code(body)
    result = check_credit_code(code[: pos - 1] + letter + code[pos:])
    assert not result.ok
    assert any(f"第{pos}位应为数字" in e for e in result.errors)


@given(value=st.text(alphabet=ALPHABET, min_size=1, max_size=40).filter(lambda s: len(s) != 18))
@settings(max_examples=100)
def test_wrong_length_is_the_chinese_length_error(value):
    result = check_credit_code(value)
    assert result.errors == [f"统一社会信用代码应为18位，当前为{len(value)}位。"]
    assert result.warning == ""


def test_empty_code_asks_for_one():
    assert check_credit_code("  ").errors == ["请填写统一社会信用代码。"]


@pytest.mark.parametrize("code", FORMATS_EXAMPLES)
def test_formats_examples_are_valid(code):
    result = check_credit_code(code)
    assert result.ok and result.warning == ""
    assert make_credit_code(code[:17]) == code


@given(body=bodies())
@settings(max_examples=100)
def test_lowercase_and_spaces_are_normalized(body):
    code = make_credit_code(body)
    messy = " " + code[:6].lower() + " " + code[6:].lower() + "\t"
    result = check_credit_code(messy)
    assert result.value == code
    assert result.ok and result.warning == ""


def test_model_validator_rejects_a_malformed_code_on_full_clean(db):
    org = Organization(kind="enterprise", name="某企业", credit_code="91140105MA0000000I", region_id="140105")
    with pytest.raises(ValidationError) as excinfo:
        org.full_clean()
    assert any("第18位" in m for m in excinfo.value.message_dict["credit_code"])


# The form path: 新增组织机构 as a superuser.


@pytest.fixture
def admin_client(client, db):
    admin = get_user_model().objects.create_superuser("root", "root@example.test", "x-unused-password")
    client.force_login(admin)
    return client


@pytest.fixture
def county(db):
    ministry = authority("工信部（测试）", "110000", "ministry")
    province = authority("山西省工信厅（测试）", "140000", "province", ministry)
    city = authority("太原市工信局（测试）", "140100", "city", province)
    return authority("小店区工信局（测试）", "140105", "county", city)


def enterprise_post(county, credit_code):
    return {
        "kind": "enterprise",
        "name": "山西表单测试有限公司",
        "credit_code": credit_code,
        "region": "140105",
        "competent_authority": str(county.pk),
        "legal_representative": "张三",
    }


def test_form_shows_positional_error_and_stores_nothing(admin_client, county):
    good = make_credit_code("91140105MA0000001")
    bad = good[:9] + "O" + good[10:]
    before = Organization.objects.count()

    response = admin_client.post(reverse("organization-create"), enterprise_post(county, bad))

    assert response.status_code == 200
    page = response.content.decode()
    assert "第10位字符“O”不合法" in page
    assert "字母O不用于信用代码" in page
    assert Organization.objects.count() == before
    assert not Organization.objects.filter(name="山西表单测试有限公司").exists()


def test_form_shows_length_error(admin_client, county):
    response = admin_client.post(reverse("organization-create"), enterprise_post(county, "91140105MA00"))
    assert "统一社会信用代码应为18位，当前为12位。" in response.content.decode()
    assert not Organization.objects.filter(name="山西表单测试有限公司").exists()


def test_form_saves_a_wrong_check_character_with_a_warning(admin_client, county):
    good = make_credit_code("91140105MA0000002")
    wrong = good[:17] + ("1" if good[17] != "1" else "2")

    response = admin_client.post(reverse("organization-create"), enterprise_post(county, wrong.lower()), follow=True)

    saved = Organization.objects.get(name="山西表单测试有限公司")
    assert saved.credit_code == wrong
    assert saved.competent_authority == county
    assert response.redirect_chain[-1][0] == reverse("organization-detail", args=[saved.pk])
    page = response.content.decode()
    assert f"第18位校验码应为“{good[17]}”，实际为“{wrong[17]}”" in page
    assert "已保存“山西表单测试有限公司”" in page
