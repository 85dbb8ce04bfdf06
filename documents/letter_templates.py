"""Default wording of the letters and the placeholders an authority may use in its own templates."""

import re

from organizations.models import Organization

from .models import LetterTemplate

# placeholder → what it becomes (shown on the template page)
PLACEHOLDERS = {
    "年度": "通知年度，如 2024",
    "通知标题": "所依据通知的标题",
    "上级单位": "主送机关（上级主管部门）全称",
    "发文机关": "本单位全称",
    "推荐总数": "本批推荐的单位总数",
    "绿色工厂数": "推荐的绿色工厂数",
    "绿色工业园区数": "推荐的绿色工业园区数",
    "绿色供应链管理企业数": "推荐的绿色供应链管理企业数",
    "绿色设计产品数": "推荐的绿色设计产品数",
    "征求意见部门": "已征求意见的部门，如 市生态环境局、市应急管理局、市市场监督管理局",
    "申报单位数": "征求意见涉及的申报单位数",
    "反馈截止日期": "征求意见的反馈截止日期，如 2024年5月10日",
}
_FIELD = re.compile(r"\{([^{}]*)\}")

DEFAULTS = {
    LetterTemplate.Kind.RECOMMEND: {
        "title": "关于推荐{年度}年度绿色制造名单的报告",
        "body": (
            "根据{上级单位}《{通知标题}》要求，我单位组织开展了{年度}年度绿色制造名单推荐工作。"
            "经企业自愿申报、第三方机构评价或企业自评价，并充分征求{征求意见部门}意见，"
            "我单位对申报材料进行了审核，现推荐{推荐总数}家单位，其中绿色工厂{绿色工厂数}家、"
            "绿色工业园区{绿色工业园区数}家、绿色供应链管理企业{绿色供应链管理企业数}家。\n"
            "经审核，被推荐单位近三年未发生较大及以上安全、质量、环境污染等事故，未被列入失信被执行人名单，"
            "申报材料真实有效。\n"
            "特此报告。"
        ),
    },
    LetterTemplate.Kind.CONSULT: {
        "title": "关于征求{年度}年度绿色制造名单推荐单位意见的函",
        "body": (
            "根据{上级单位}《{通知标题}》要求，我单位正在开展{年度}年度绿色制造名单推荐工作。"
            "现将{申报单位数}家申报单位名单送你单位，请对其近三年是否发生安全、质量、环境污染等事故，"
            "是否存在违法违规行为提出意见，并于{反馈截止日期}前反馈我单位。\n"
            "特此函告。"
        ),
    },
}


def default_code_prefix(authority: Organization) -> str:
    return (authority.name[:2] if authority.name else "") + "工信函"


def template_for(authority: Organization, kind: str) -> LetterTemplate:
    """The authority's saved template, or an unsaved one holding the defaults."""
    saved = LetterTemplate.objects.filter(authority=authority, kind=kind).first()
    if saved:
        return saved
    mark = authority.name + ("文件" if kind == LetterTemplate.Kind.RECOMMEND else "")
    return LetterTemplate(
        authority=authority,
        kind=kind,
        mark=mark,
        code_prefix=default_code_prefix(authority),
        title=DEFAULTS[kind]["title"],
        body=DEFAULTS[kind]["body"],
        contact=authority.contact_name,
        phone=authority.contact_phone,
    )


def unknown_placeholders(text: str) -> list[str]:
    return sorted({m.group(1) for m in _FIELD.finditer(text) if m.group(1) not in PLACEHOLDERS})


def fill(text: str, values: dict[str, object]) -> str:
    """Replace {名称} placeholders; anything else in braces stays as typed."""
    return _FIELD.sub(lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), text)
