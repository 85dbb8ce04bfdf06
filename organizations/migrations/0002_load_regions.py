"""Load the GB/T 2260 divisions from fixtures/regions.json (made by build_regions_fixture)."""

import json
from pathlib import Path

from django.db import migrations

FIXTURE = Path(__file__).resolve().parent.parent.parent / "fixtures" / "regions.json"


def load(apps, schema_editor):
    Region = apps.get_model("organizations", "Region")
    rows = json.loads(FIXTURE.read_text(encoding="utf-8"))
    existing = set(Region.objects.values_list("code", flat=True))
    # Parents come before children in the file, and each level is inserted before the next.
    for level in ("province", "city", "county"):
        Region.objects.bulk_create(
            [Region(code=r["pk"], name=r["fields"]["name"], kind=r["fields"]["kind"], level=level,
                    parent_id=r["fields"]["parent"])
             for r in rows if r["fields"]["level"] == level and r["pk"] not in existing],
            batch_size=1000,
        )


class Migration(migrations.Migration):
    dependencies = [("organizations", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
