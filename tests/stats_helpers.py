"""A known small data set for the statistics tests, built through the real services.

2024 (notices: ministry → province → 太原 and 大同), under 小店 (太原):
  A1–A4 factories evaluated by assessor X:
    A1 recommended by county, city, province and ministry, listed after the 公示;
    A2 recommended by county and city, not recommended by the province;
    A3 recommended by county, not recommended by the city;
    A4 not recommended by the county.
  A5 a park, self-evaluated, returned by the county; A6 a supply-chain enterprise, self-evaluated, pending at county.
under 平城 (大同):
  B1 a factory evaluated by assessor Y, recommended by the county, pending at 大同;
  B2 a factory, self-evaluated, pending at 平城.
2023: tree.ent's factory reaches the ministry, is listed and later removed; tree.other_ent's waits at 平城.

So X: evaluated 4, recommended by the county 3 (75 %), the city 2 (50 %), the province 1 (25 %), the ministry 1
(25 %), listed 1 (25 %); Y: evaluated 1, county 1 (100 %), nothing above.
"""

import io
from datetime import timedelta
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from django.utils import timezone

from applications import services as app_services
from listings.models import Listing
from listings.services import listing_remove
from reviews.services import publicity as publicity_services
from reviews.services import transition_perform
from tests.application_helpers import PARK_DATA, add_required_material, pdf, ready_application
from tests.chain_helpers import lift, recommend
from tests.factories import enterprise, member
from tests.notice_helpers import published_notice

SUPPLY_DATA = {
    "industry_code": "C3670",
    "industry_name": "汽车零部件及配件制造",
    "chain_leader": True,
    "independent_legal_person": True,
    "green_supplier_count": 12,
    "self_score": 88,
}
TODAY = timezone.localdate()


def notices_for_year(tree, actor, year):
    """The ministry's notice of the year forwarded by the province and by both cities (applicants apply to their
    city's); returns (ministry, province, 太原, 大同) notices."""
    now = timezone.now().replace(microsecond=0)

    def materials(notice):
        add_required_material(actor, notice, category="factory", name="自评价报告")

    top = published_notice(
        actor, tree.ministry, year=year, deadlines=[("authority", now + timedelta(days=60))], before_publish=materials
    )
    prov = published_notice(actor, tree.province, forwards=top, deadlines=[("authority", now + timedelta(days=30))])
    cities = [
        published_notice(
            actor,
            city,
            forwards=prov,
            deadlines=[("authority", now + timedelta(days=20)), ("applicant", now + timedelta(days=5))],
        )
        for city in (tree.city, tree.other_city)
    ]
    return top, prov, *cities


def applicant(name, county, kind="enterprise"):
    org = enterprise(name, county, kind=kind)
    return org, member(org, username=f"u-stats-{org.pk}")


def assessor(tree, name):
    org = enterprise(name, tree.province, kind="assessor")
    return org, member(org, username=f"u-assessor-{org.pk}")


def submitted(user, org, notice, *, category="factory", data=None, by=None):
    """A complete application submitted to its county; `by` = (assessor, its user) evaluates it as a third party."""
    application = ready_application(user, org, notice, category=category, data=data)
    if by is not None:
        evaluator, evaluator_user = by
        app_services.application_update(actor=user, application=application, evaluation_mode="third_party")
        engagement = app_services.engagement_request(actor=user, application=application, assessor=evaluator)
        app_services.engagement_respond(actor=evaluator_user, engagement=engagement, accept=True, lead_assessor="张工")
        app_services.engagement_report(actor=evaluator_user, engagement=engagement, score="88.0", upload=pdf())
        application.refresh_from_db()
    return transition_perform(actor=user, application=application, action="submit")


def decide(application, user, action, reason="经审核，作出决定。"):
    return transition_perform(actor=user, application=application, action=action, reason=reason)


def up(tree, applications, level, notice):
    """Recommend at `level` (county / city / province) and forward in a batch to the parent."""
    authority, user = getattr(tree, level), tree.users[level]
    recommended = [recommend(a, user) for a in applications]
    return lift(recommended, authority=authority, user=user, notice=notice)[1]


def listed(tree, applications, top_notice):
    """The ministry recommends, publishes a 公示 and, after its period, lists the applications."""
    ministry_user = tree.users["ministry"]
    applications = [recommend(a, ministry_user, "部级审核通过。") for a in applications]
    publicity = publicity_services.publicity_create(
        actor=ministry_user,
        authority=tree.ministry,
        notice=top_notice,
        title=f"{top_notice.year}年度绿色制造名单公示",
        starts_on=TODAY,
        ends_on=TODAY + timedelta(days=9),
        applications=applications,
        contact="010-68205360",
    )
    publicity = publicity_services.publicity_publish(actor=ministry_user, publicity=publicity)
    publicity_services.publicity_finalize(actor=ministry_user, publicity=publicity, today=TODAY + timedelta(days=10))


def build_stats_round(tree, root):
    x = assessor(tree, "中环绿色评价中心有限公司")
    y = assessor(tree, "晋北节能评估有限公司")
    top, _, taiyuan, datong = notices_for_year(tree, root, 2024)
    a = {}
    for i in range(1, 5):
        org, user = applicant(f"小店第{i}测试工厂有限公司", tree.county)
        a[i] = submitted(user, org, taiyuan, by=x)
    park, park_user = applicant("小店经济技术开发区管理委员会（测试）", tree.county, kind="park")
    a[5] = decide(submitted(park_user, park, taiyuan, category="park", data=PARK_DATA), tree.users["county"], "return")
    chain, chain_user = applicant("小店供应链测试有限公司", tree.county)
    a[6] = submitted(chain_user, chain, taiyuan, category="supply_chain", data=SUPPLY_DATA)
    a[4] = decide(a[4], tree.users["county"], "not_recommend")
    a[1], a[2], a[3] = up(tree, [a[1], a[2], a[3]], "county", taiyuan)
    a[3] = decide(a[3], tree.users["city"], "not_recommend")
    a[1], a[2] = up(tree, [a[1], a[2]], "city", taiyuan)
    a[2] = decide(a[2], tree.users["province"], "not_recommend")
    (a[1],) = up(tree, [a[1]], "province", taiyuan)
    listed(tree, [a[1]], top)

    b1_org, b1_user = applicant("平城第一测试工厂有限公司", tree.other_county)
    (b1,) = up(tree, [submitted(b1_user, b1_org, datong, by=y)], "other_county", datong)
    b2_org, b2_user = applicant("平城第二测试工厂有限公司", tree.other_county)
    b2 = submitted(b2_user, b2_org, datong)

    # 2023: one unit listed and removed since, one still waiting at its county.
    top_2023, _, taiyuan_2023, datong_2023 = notices_for_year(tree, root, 2023)
    old = submitted(tree.users["ent"], tree.ent, taiyuan_2023)
    for level in ("county", "city", "province"):
        (old,) = up(tree, [old], level, taiyuan_2023)
    listed(tree, [old], top_2023)
    listing_remove(
        actor=tree.users["ministry"],
        listing=Listing.objects.get(application=old),
        authority=tree.ministry,
        removed_on=TODAY + timedelta(days=10),
        reason="动态管理复核不合格",
    )
    waiting = submitted(tree.users["other_ent"], tree.other_ent, datong_2023)
    for app in [*a.values(), b1, b2, old, waiting]:
        app.refresh_from_db()
    return SimpleNamespace(
        x=x[0],
        x_user=x[1],
        y=y[0],
        y_user=y[1],
        notices=SimpleNamespace(top=top, taiyuan=taiyuan, datong=datong, top_2023=top_2023),
        a=a,
        b1=b1,
        b2=b2,
        old=old,
        waiting=waiting,
    )


@pytest.fixture
def stats_round(tree, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    return build_stats_round(tree, root)


class _TableParser(HTMLParser):
    def __init__(self, table_id):
        super().__init__()
        self.table_id, self.depth, self.rows, self.cell = table_id, 0, [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and dict(attrs).get("id") == self.table_id:
            self.depth = 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if self.depth and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(self.cell.strip())
            self.cell = None
        elif self.depth and tag == "table":
            self.depth = 0

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def page_table(html: str, key: str) -> list[list[str]]:
    """The cells of the page's table `table-<key>` as text: header row, body rows, total row (the caption left out)."""
    parser = _TableParser(f"table-{key}")
    parser.feed(html)
    return [row for row in parser.rows if row]


def xlsx_rows(content: bytes) -> tuple[list, list[list[str]]]:
    """The export's title rows and, from the header row on, its cells as text (a whole number stored for a rate
    of 75.0 reads back as 75: compare with same_cells)."""
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    return rows[:2], [["" if v is None else str(v) for v in row] for row in rows[2:]]


def same_cells(rows: list[list[str]]) -> list[list]:
    """Cells compared by value: figures as numbers ("75.0" and "75" alike), text as text."""

    def value(cell):
        try:
            return float(cell)
        except ValueError:
            return cell

    return [[value(c) for c in row] for row in rows]
