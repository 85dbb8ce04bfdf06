"""Data of the letters: the 推荐文 (审核意见文件, 文件格式) an authority sends up with a batch, and the 征求意见函
(信函格式) it sends to the departments. Read by renderers/letter_pdf.py and renderers/letter_docx.py.

The wording comes from the authority's LetterTemplate with its {占位符} filled here; the 发文字号 was allocated by
the framework before building (documents.services.document_request). Reads only; Django is imported inside the
builders so the dataclasses load anywhere (renderers, benchmarks).
"""

from dataclasses import dataclass, field
from datetime import date

FILE, LETTER = "file", "letter"  # GB/T 9704 文件格式 / 信函格式
DEFAULT_DEPARTMENTS = "生态环境、应急管理、市场监管等部门"  # 000_0e19f411d564c71d.txt, 003_32b3e8f77524ff49.txt


@dataclass
class TableSection:
    caption: str  # 绿色工厂推荐名单 ("" for a table of one section)
    headers: list[str]
    rows: list[list[str]]


@dataclass
class Attachment:
    name: str  # in the 附件说明: 推荐汇总表
    title: str  # centred on the 附件 page: 市级工业和信息化主管部门推荐汇总表
    widths_mm: list[float]  # column widths, adding up to the 156 mm 版心 at most
    sections: list[TableSection]
    footer: list[str] = field(default_factory=list)  # lines under the table, right side: 推荐单位：…, date


@dataclass
class LetterData:
    format: str  # FILE (推荐文) or LETTER (征求意见函)
    mark: str  # 发文机关标志
    number_text: str  # 发文字号, 并工信函〔2024〕12号
    signer: str  # 签发人 (上行文 only), "" when not shown
    title: str
    addressees: list[str]  # 主送机关
    paragraphs: list[str]  # placeholders filled
    attachments: list[Attachment]
    signature: str  # 署名
    signed_on: date  # 成文日期
    note: str  # 附注: （联系人：X，联系电话：Y）, "" when none
    cc: list[str]  # 抄送
    printer: str  # 印发机关
    printed_on: date


# ------------------------------------------------------------------------------------------------- shared


def _number(letter: str, owner):
    from documents.numbers import number_of

    number = number_of(letter=letter, owner=owner)
    if number is None:
        raise ValueError("尚未编发文字号")
    return number


def _signed_on(number) -> date:
    """The date the 发文字号 was given: a stable 成文日期 (a letter re-rendered tomorrow keeps its date)."""
    from django.utils import timezone

    return timezone.localdate(number.allocated_at)


def notice_cited(notice, superior) -> object:
    """The notice the letter answers: the one `superior` issued in the forwarding chain (the city's batch cites
    the province's notice), else the chain's root (the notice everything forwards up to)."""
    seen, current = set(), notice
    while current is not None and current.pk not in seen:
        if superior is not None and current.issuer_id == superior.pk:
            return current
        seen.add(current.pk)
        if current.forwards_id is None:
            return current
        current = current.forwards
    return notice


def _list(text: str) -> list[str]:
    """抄送 typed as 甲、乙，丙 → [甲, 乙, 丙]."""
    import re

    return [_clean(p) for p in re.split(r"[、，,；;\n]+", text or "") if _clean(p)]


def _letter(template, *, fmt, number, values, addressees, attachments, signer) -> LetterData:
    from documents.letter_templates import fill
    from documents.renderers.letter_layout import contact_note

    authority = template.authority
    signed_on = _signed_on(number)
    paragraphs = [_clean(p) for p in fill(template.body, values).splitlines() if _clean(p)]
    return LetterData(
        format=fmt,
        mark=_clean(template.mark),
        number_text=number.text,
        signer=_clean(signer),
        title=_clean(fill(template.title, values)),
        addressees=addressees,
        paragraphs=paragraphs,
        attachments=attachments,
        signature=_clean(template.signature or authority.name),
        signed_on=signed_on,
        note=contact_note(_clean(template.contact), _clean(template.phone)),
        cc=_list(template.cc),
        printer=_clean(template.printer or f"{authority.name}办公室"),
        printed_on=signed_on,
    )


def _clean(text: str) -> str:
    """One line of typed text: control characters (which a .docx cannot hold) and edge spaces dropped."""
    return "".join(c for c in str(text or "") if c >= " " and c != "\x7f").strip()


def departments_ordered(departments) -> list:
    """生态环境, 应急管理, 市场监管 first (the domain order of the consultation pages), then by name."""
    return sorted(departments, key=lambda d: (d.domain != "ecology", d.domain != "emergency", d.name, d.pk))


# ------------------------------------------------------------------------------------------------ 推荐文

SUMMARY_WIDTHS = [12, 56, 40, 28, 20]  # 序号 | 名称 | 第三方机构名称 | 行业/类型 | 备注 = 156 mm


def summary_attachment(summary) -> Attachment:
    """The 推荐汇总表 as 附件 pages: the official sheet's sections (not the details sheet) and its footer."""
    from documents.renderers.letter_layout import date_cn

    sections = [
        TableSection(
            caption=s.title,
            headers=["序号", s.name_header, "第三方机构名称", s.trait_header, "备注"],
            rows=[[str(i), r.name, r.assessor, r.trait, r.remark] for i, r in enumerate(s.rows, start=1)],
        )
        for s in summary.sections
    ]
    footer = [f"推荐单位：{summary.authority}", "（单位公章）", date_cn(summary.signed_on)]
    return Attachment("推荐汇总表", summary.title, SUMMARY_WIDTHS, sections, footer)


def batch_letter(batch, scope) -> LetterData:
    """推荐文 of a batch, from `scope` (the batch's authority) to the recipient, with the 推荐汇总表 as 附件."""
    from collections import Counter

    from documents.builders.summary import batch_summary
    from documents.letter_templates import template_for
    from notices.models import Category
    from reviews.models import ConsultationReply

    authority = scope
    template = template_for(authority, "recommend")
    number = _number("recommend", batch)
    items = list(batch.items.select_related("application").order_by("rank", "id"))
    counts = Counter(item.application.category for item in items)
    app_ids = [item.application_id for item in items]
    departments = departments_ordered(
        {
            r.department.pk: r.department
            for r in ConsultationReply.objects.filter(
                consultation__authority=authority, application_id__in=app_ids
            ).select_related("department")
        }.values()
    )
    recipient = batch.recipient
    values = {
        "年度": batch.notice.year,
        "通知标题": notice_cited(batch.notice, recipient).title,
        "上级单位": recipient.name if recipient else "",
        "发文机关": authority.name,
        "推荐总数": len(items),
        "征求意见部门": "、".join(d.name for d in departments) or DEFAULT_DEPARTMENTS,
    }
    labels = dict(Category.choices)
    for code, label in labels.items():
        values[f"{label}数"] = counts.get(code, 0)
    return _letter(
        template,
        fmt=FILE,
        number=number,
        values=values,
        addressees=[recipient.name] if recipient else [],
        attachments=[summary_attachment(batch_summary(batch, scope))],
        signer=template.signer.strip(),  # a 推荐文 goes up to the parent: a 上行文 names its 签发人
    )


# -------------------------------------------------------------------------------------------- 征求意见函

APPLICANT_WIDTHS = [14, 64, 50, 28]  # 序号 | 申报单位 | 统一社会信用代码 | 申报类别 = 156 mm


def consultation_letter(consultation, scope) -> LetterData:
    """征求意见函 (信函格式) of a consultation to its departments, with the 申报单位名单 as 附件."""
    from documents.letter_templates import template_for
    from documents.renderers.letter_layout import date_cn
    from notices.models import Category
    from reviews.models import ConsultationReply

    authority = scope
    template = template_for(authority, "consult")
    number = _number("consult", consultation)
    replies = list(
        ConsultationReply.objects.filter(consultation=consultation)
        .select_related("department", "application__applicant")
        .order_by("application_id", "department_id")
    )
    departments = departments_ordered({r.department.pk: r.department for r in replies}.values())
    applications = list({r.application_id: r.application for r in replies}.values())
    superior = authority.parent
    labels = dict(Category.choices)
    values = {
        "年度": consultation.notice.year,
        "通知标题": notice_cited(consultation.notice, superior).title,
        "上级单位": superior.name if superior else "",
        "发文机关": authority.name,
        "申报单位数": len({a.applicant_id for a in applications}),
        "反馈截止日期": date_cn(consultation.due_on),
    }
    rows = [
        [str(i), a.applicant.name, a.applicant.credit_code, labels.get(a.category, a.category)]
        for i, a in enumerate(applications, start=1)
    ]
    names = TableSection("", ["序号", "申报单位", "统一社会信用代码", "申报类别"], rows)
    return _letter(
        template,
        fmt=LETTER,
        number=number,
        values=values,
        addressees=[d.name for d in departments],
        attachments=[Attachment("申报单位名单", "申报单位名单", APPLICANT_WIDTHS, [names])],
        signer="",  # a 函 to departments is no 上行文
    )
