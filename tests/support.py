"""Helpers shared by transactional (integration, browser) tests."""

import importlib

from django.apps import apps


def ensure_regions() -> None:
    """Transactional tests flush the database, regions included: put them back the way the migration does."""
    Region = apps.get_model("organizations", "Region")
    if Region.objects.filter(code="140105").exists():
        return
    migration = importlib.import_module("organizations.migrations.0002_load_regions")
    migration.load(apps, None)
