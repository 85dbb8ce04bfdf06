"""Shared setup of the expert review tests (applications at the province, a pool of experts, a panel), and the
aggregate and weighted-total arithmetic on known numbers."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from organizations.services import expert_profile_save
from reviews.models import Panel
from reviews.services import experts as services
from reviews.services.experts import aggregate
from tests.application_helpers import open_chain
from tests.chain_helpers import lift, recommend, submitted
from tests.factories import UserFactory, enterprise, member


def at_province(tree, notice, count, *, start=0, category="factory"):
    """`count` applications of new enterprises under the county, recommended up to the province (one batch a
    level)."""
    apps = []
    for i in range(start, start + count):
        ent = enterprise(f"专家评审测试企业{i:02d}有限公司", tree.county)
        apps.append(submitted(tree, notice, applicant=ent, user=member(ent), category=category))
    for level in ("county", "city"):
        apps = [recommend(a, tree.users[level]) for a in apps]
        _, apps = lift(apps, authority=getattr(tree, level), user=tree.users[level], notice=notice)
    return apps


def new_expert(pool, name, actor, affiliations=()):
    user = UserFactory(username=f"expert-{name}", first_name=name)
    return expert_profile_save(actor=actor, user=user, pool=pool, title="高级工程师", affiliations=affiliations)


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")


@pytest.fixture
def chain(tree, root):
    notice = open_chain(tree, root)
    province_notice = notice.forwards
    experts = [new_expert(tree.province, n, root) for n in ("甲", "乙", "丙", "丁")]
    panel = services.panel_save(
        actor=tree.users["province"],
        authority=tree.province,
        notice=province_notice,
        category="factory",
        name="绿色工厂评审组",
        aggregate=Panel.Aggregate.MEAN,
        experts_per_application=2,
        experts=experts,
    )
    services.criteria_save(
        actor=tree.users["province"],
        panel=panel,
        rows=[
            {"name": "基本要求", "weight": "1", "max_score": "100"},
            {"name": "绩效指标", "weight": "3", "max_score": "50"},
        ],
    )
    return SimpleNamespace(notice=notice, panel=panel, experts=experts, province=tree.users["province"])


def test_aggregates_on_known_numbers():
    totals = [Decimal("90"), Decimal("70"), Decimal("80"), Decimal("62.5")]
    assert aggregate(totals, "mean") == Decimal("75.63")  # 302.5 / 4 = 75.625, half up
    assert aggregate(totals, "median") == Decimal("75.00")
    assert aggregate(totals, "trimmed") == Decimal("75.00")  # (70 + 80) / 2
    assert aggregate([Decimal("90"), Decimal("10"), Decimal("50")], "trimmed") == Decimal("50.00")
    assert aggregate([Decimal("90"), Decimal("60")], "trimmed") == Decimal("75.00")  # fewer than 3: the mean
    assert aggregate([Decimal("90"), Decimal("60"), Decimal("61")], "median") == Decimal("61.00")
    assert aggregate([], "mean") is None


def test_weighted_total_on_known_numbers():
    criteria = [
        SimpleNamespace(pk=1, weight=Decimal("1"), max_score=100),
        SimpleNamespace(pk=2, weight=Decimal("3"), max_score=50),
    ]
    # (80/100×1 + 40/50×3) / 4 × 100 = (0.8 + 2.4) / 4 × 100 = 80
    assert services.weighted_total(criteria, {1: Decimal("80"), 2: Decimal("40")}) == Decimal("80.00")
    # (100/100×1 + 25/50×3) / 4 × 100 = 62.5
    assert services.weighted_total(criteria, {1: Decimal("100"), 2: Decimal("25")}) == Decimal("62.50")
    # (1/3 × 1 + 0) / 4 × 100 = 8.333… → 8.33
    thirds = [SimpleNamespace(pk=1, weight=Decimal("1"), max_score=3), criteria[1]]
    assert services.weighted_total(thirds, {1: Decimal("1"), 2: Decimal("0")}) == Decimal("8.33")
