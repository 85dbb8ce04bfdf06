"""Dynamic management in tests: rounds opened, tables filled and submitted through the services."""

from datetime import timedelta

from django.utils import timezone

from listings.models import DynamicReport, DynamicRound
from listings.services_dynamic import (
    dynamic_report_save,
    dynamic_report_start,
    dynamic_report_submit,
    dynamic_round_open,
)

FACTORY = {
    "energy_per_unit": 100.0,
    "water_per_unit": 2.5,
    "cod": 1.2,
    "ammonia_nitrogen": 0.1,
    "so2": 0.5,
    "nox": 0.8,
    "particulates": 0.3,
    "solid_waste_utilization": 90.0,
    "renewable_share": 20.0,
    "carbon_per_unit": 250.0,
}
PARK = {
    "energy_per_value_added": 0.5,
    "water_per_value_added": 8.0,
    "solid_waste_utilization": 85.0,
    "green_factory_count": 6,
    "renewable_share": 15.0,
}
SUPPLY_CHAIN = {"green_supplier_share": 40.0, "recycling_rate": 60.0, "energy_per_output_value": 0.3}
PRODUCT = {"standard_met": True, "annual_output": 12000}
VALUES = {"factory": FACTORY, "park": PARK, "supply_chain": SUPPLY_CHAIN, "product": PRODUCT}
UNCHANGED = {"name": {"changed": False}, "address": {"changed": False}, "scope": {"changed": False}}


def unchanged(category="factory") -> dict:
    changes = dict(UNCHANGED)
    if category == "park":
        changes["boundary"] = {"changed": False}
    return changes


def open_round(tree, *, authority=None, user=None, year=2024, due_in=timedelta(days=30), **fields) -> DynamicRound:
    authority = authority or tree.city
    user = user or tree.users[next(k for k, v in vars(tree).items() if v == authority)]
    return dynamic_round_open(actor=user, authority=authority, year=year, due_at=timezone.now() + due_in, **fields)


def past_due(round_: DynamicRound, *, ago=timedelta(hours=1)) -> DynamicRound:
    """Move a round's due date into the past (the service refuses to open one there)."""
    DynamicRound.objects.filter(pk=round_.pk).update(due_at=timezone.now() - ago)
    round_.refresh_from_db()
    return round_


def filed(round_, listing, user, *, values=None, changes=None, submit=True, **overrides) -> DynamicReport:
    """A unit's complete table for `listing` in `round_`, saved and (by default) submitted."""
    report = dynamic_report_start(actor=user, round=round_, listing=listing)
    indicators = {**VALUES[listing.category], **(values or {}), **overrides}
    report = dynamic_report_save(
        actor=user, report=report, indicators=indicators, changes=changes or unchanged(listing.category)
    )
    return dynamic_report_submit(actor=user, report=report) if submit else report
