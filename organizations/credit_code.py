"""统一社会信用代码 (GB 32100-2015) checks, written here because letters are legal in positions 1–2."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {ch: i for i, ch in enumerate(ALPHABET)}
WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1, 3, 9, 27, 19, 26, ...
FORBIDDEN = "IOZSV"


@dataclass
class CreditCodeCheck:
    value: str
    errors: list[str] = field(default_factory=list)
    warning: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors


def check_character(first17: str) -> str:
    total = sum(VALUES[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalize(value: str) -> str:
    return "".join(str(value or "").split()).upper()


def check_credit_code(value: str) -> CreditCodeCheck:
    code = normalize(value)
    result = CreditCodeCheck(value=code)
    if not code:
        result.errors.append("请填写统一社会信用代码。")
        return result
    if len(code) != 18:
        result.errors.append(f"统一社会信用代码应为18位，当前为{len(code)}位。")
        return result
    for pos, ch in enumerate(code, start=1):
        if ch not in VALUES:
            why = f"字母{ch}不用于信用代码" if ch in FORBIDDEN else "只能使用数字和除I、O、Z、S、V以外的大写字母"
            result.errors.append(f"第{pos}位字符“{ch}”不合法：{why}。")
    if result.errors:
        return result
    for pos in range(3, 9):
        if not code[pos - 1].isdigit():
            result.errors.append(f"第{pos}位应为数字：第3至8位是登记管理机关的行政区划代码。")
    if result.errors:
        return result
    expected = check_character(code[:17])
    if code[17] != expected:
        result.warning = (
            f"第18位校验码应为“{expected}”，实际为“{code[17]}”。请核对；部分早期试点代码确实如此，核实无误可继续保存。"
        )
    return result


def validate_credit_code(value: str) -> None:
    """Django validator: raises for a malformed code; a wrong check character is only a warning."""
    result = check_credit_code(value)
    if result.errors:
        raise ValidationError(result.errors, code="invalid_credit_code")


def make_credit_code(first17: str) -> str:
    """Append the check character (used by demo data and tests)."""
    return first17 + check_character(first17)
