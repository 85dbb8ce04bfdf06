"""Rule sets as the seed notices set them. Each maps a rule code to overrides: enabled, kind, params.

Anything not named keeps the catalogue's default (enabled, its default kind and parameters).
"""

PRESETS: dict[str, dict] = {
    "default": {"title": "通用（按 DOMAIN 目录默认）", "rules": {}},
    "2022": {
        # 002: benchmark "in principle" hard; parks capped at 3 per region; green design products open.
        "title": "工信部2022年度（工信厅节函〔2022〕235号）",
        "rules": {
            "FACTORY-ENERGY-BENCHMARK": {"kind": "hard"},
            "QUOTA": {"kind": "hard"},
            "LIST-PREREQUISITE": {"enabled": False},
            "ASSESSOR-FILED": {"enabled": False},
        },
    },
    "2023": {
        # 001: in principle on the provincial list; quotas for factories only; cap 15 per batch.
        "title": "工信部2023年度（工信厅节函〔2023〕202号）",
        "rules": {
            "LIST-PREREQUISITE": {"kind": "advisory", "params": {"required_level": "province"}},
            "ASSESSOR-FILED": {"enabled": False},
            "PRODUCT-STANDARD": {"enabled": False},
        },
    },
    "neimenggu-2025": {
        # 003: region-level applicants should be on the city list; water saving; supply chains should already be
        # national green factories; an assessor without last year's work report may not take part.
        "title": "内蒙古自治区2025年度（003）",
        "rules": {
            "LIST-PREREQUISITE": {"kind": "hard", "params": {"required_level": "city"}},
            "WATER-SAVING": {"kind": "hard"},
            "SUPPLY-CHAIN-NATIONAL-FACTORY": {"kind": "hard"},
            "ASSESSOR-ANNUAL-REPORT": {"kind": "hard"},
            "ASSESSOR-FILED": {"enabled": False},
        },
    },
    "jilin-2024": {
        # 004: must be a provincial green unit; assessors filed with the province; negative list over park members.
        "title": "吉林省2024年度（吉工信资源〔2024〕196号）",
        "rules": {
            "LIST-PREREQUISITE": {"kind": "hard", "params": {"required_level": "province"}},
            "ASSESSOR-FILED": {"kind": "hard"},
            "PRODUCT-STANDARD": {"enabled": False},
        },
    },
}
