"""Data of a 公示名单: the public list of a 公示 with its period, contact and the objection instructions.

What the public sees and nothing more, as on the public 公示 page (reviews/views_publicity.py): names, categories,
regions and the assessor, never credit codes, opinions or objections. The wording follows the ministry's 公示 quoted
in 002_3e46b5da0b2a2c6e.txt ("经省级工业和信息化主管部门推荐及专家评审，现将…予以公示。公示时间：…至…").
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Prefetch

from applications.models import Engagement
from documents.builders.bundles import assessor_of, region_name
from notices.models import Category

NAME_HEADERS = {
    Category.FACTORY: "工厂名称",
    Category.PARK: "园区名称",
    Category.SUPPLY_CHAIN: "企业名称",
    Category.PRODUCT: "企业名称",
}
NUMERALS = "一二三四五六七八九十"


@dataclass
class PublicityRow:
    position: int  # 序号: the entry's position, as on the public page and in its objection form
    name: str
    category: str  # 绿色工厂
    region: str  # 山西省太原市 (province and city; 北京市朝阳区 for a municipality)
    assessor: str  # 第三方评价机构名称, or 自评价


@dataclass
class PublicitySection:
    heading: str  # 一、绿色工厂（2家）
    category: str
    name_header: str
    rows: list[PublicityRow] = field(default_factory=list)


@dataclass
class PublicityList:
    title: str
    authority: str
    paragraphs: list[str]  # the 公示说明, one item per paragraph
    starts_on: date
    ends_on: date
    contact: str
    objection: str  # how to object, with the period and the authority
    signed_on: date  # the date under the authority's name: the first day of the 公示
    count: int
    sections: list[PublicitySection] = field(default_factory=list)


def _date(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def _default_intro(publicity, count: int) -> str:
    return (
        f"根据《{publicity.notice.title}》有关要求，经推荐、审核和专家评审，"
        f"现将拟列入{publicity.notice.year}年度绿色制造名单的{count}家单位予以公示。"
    )


def publicity_list(publicity, scope) -> PublicityList:
    from reviews.models import Publicity, PublicityEntry

    publicity = Publicity.objects.select_related("authority", "notice").get(pk=publicity.pk)
    entries = list(
        PublicityEntry.objects.filter(publicity=publicity)
        .select_related("application__applicant__region__parent__parent")
        .prefetch_related(
            Prefetch(
                "application__engagements",
                queryset=Engagement.objects.select_related("assessor").order_by("-requested_at", "-id"),
            )
        )
        .order_by("position", "id")
    )
    by_category: dict[str, list[PublicityRow]] = {}
    for entry in entries:
        application = entry.application
        by_category.setdefault(application.category, []).append(
            PublicityRow(
                position=entry.position,
                name=application.applicant.name,
                category=application.get_category_display(),
                region=region_name(application.applicant.region, depth=2),
                assessor=assessor_of(application, application.engagements.all()) or "—",
            )
        )
    sections = []
    for code, label in Category.choices:  # the notices' order: factories, parks, supply chains, products
        rows = by_category.get(code)
        if rows:
            numeral = NUMERALS[len(sections)] if len(sections) < len(NUMERALS) else str(len(sections) + 1)
            sections.append(
                PublicitySection(
                    heading=f"{numeral}、{label}（{len(rows)}家）",
                    category=label,
                    name_header=NAME_HEADERS[code],
                    rows=rows,
                )
            )
    body = (publicity.body or "").replace("\r\n", "\n")
    paragraphs = [p.strip() for p in body.split("\n") if p.strip()] or [_default_intro(publicity, len(entries))]
    authority = publicity.authority.name
    objection = (
        f"公示时间：{_date(publicity.starts_on)}至{_date(publicity.ends_on)}。"
        f"公示期间，如对公示名单有异议，请以书面形式向{authority}反映，并提供必要的证明材料。"
        "反映情况应实事求是，以单位名义反映的须加盖单位公章，以个人名义反映的须署真实姓名并提供联系方式。"
    )
    return PublicityList(
        title=publicity.title,
        authority=authority,
        paragraphs=paragraphs,
        starts_on=publicity.starts_on,
        ends_on=publicity.ends_on,
        contact=publicity.contact,
        objection=objection,
        signed_on=publicity.starts_on,
        count=len(entries),
        sections=sections,
    )
