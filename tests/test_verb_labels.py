import re
from pathlib import Path

from activity.models import VERB_LABELS

ROOT = Path(__file__).resolve().parents[1]


def test_every_audited_verb_has_a_chinese_label():
    verbs = set()
    for path in [*ROOT.glob("*/services*.py"), *ROOT.glob("*/services*/*.py")]:
        verbs.update(re.findall(r'verb="([a-z_]+\.[a-z_]+)"', path.read_text(encoding="utf-8")))
    from reviews.workflow import TRANSITIONS

    verbs.update(f"application.{t.action}" for t in TRANSITIONS)
    assert verbs, "no audited verbs found"
    assert sorted(verbs - set(VERB_LABELS)) == []
