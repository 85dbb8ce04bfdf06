"""What the eligibility engine gives the assessor registry (organizations), which may not import it:

- `assessor_cap_use`: an assessor's live projects per notice round (batch) and per year against the ASSESSOR-CAP rule
  in force, counted exactly as the rule's facts count them (facts.live_project_rows / facts.project_ids);
- `reevaluate_assessors`: after a filing, report or blacklist change, the open applications commissioning the
  assessor are evaluated again (their facts changed).

Both are registered in eligibility/apps.py. Sources: 002_3e46b5da0b2a2c6e.txt §三 (15 per batch per legal entity),
001_df05fc8070bc22d3.txt §二（四）.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from applications.models import Engagement

from .catalogue import RULES
from .facts import _families, live_project_rows, project_ids

CODE = "ASSESSOR-CAP"
BASIS = dict(RULES[CODE].params[1].choices)
PERIOD = dict(RULES[CODE].params[2].choices)
REEVALUATE_CHUNK = 500


@dataclass
class CapRule:
    cap: int
    basis: str
    period: str
    kind: str
    enabled: bool
    notice: str  # the notice whose rule set it is

    @property
    def label(self) -> str:
        return f"上限{self.cap}个，{BASIS.get(self.basis, self.basis)}，{PERIOD.get(self.period, self.period)}"


@dataclass
class BatchUse:
    """One notice round: the assessor's live projects and the cap of the rule set in force."""

    root_id: int
    title: str
    year: int
    entity: int  # this legal entity's projects in the round
    representative: int | None  # projects of every assessor with its legal representative in the round
    entity_year: int
    representative_year: int | None
    rule: CapRule | None = None
    used: int | None = None  # the count the rule compares with its cap

    @property
    def over(self) -> bool:
        return self.rule is not None and self.rule.enabled and self.used is not None and self.used > self.rule.cap

    @property
    def left(self) -> int | None:
        if self.rule is None or not self.rule.enabled or self.used is None:
            return None
        return max(self.rule.cap - self.used, 0)


@dataclass
class YearUse:
    year: int
    entity: int
    representative: int | None


@dataclass
class CapUse:
    assessor_id: int
    legal_representative: str
    batches: list[BatchUse] = field(default_factory=list)
    years: list[YearUse] = field(default_factory=list)

    @property
    def over(self) -> list[BatchUse]:
        return [b for b in self.batches if b.over]


def _rules_in_force(notice_ids) -> dict[int, CapRule]:
    """Each notice's ASSESSOR-CAP entry of its current rule set; a notice without one yet gets what its first
    evaluation would create (the catalogue default with the notice's first category's cap, as
    eligibility.services._default_entries) (3 queries)."""
    from notices.models import Notice, NoticeCategory

    from .models import RuleSetEntry

    titles = dict(Notice.objects.filter(pk__in=notice_ids).values_list("id", "title"))
    found = {}
    for notice_id, enabled, kind, params in RuleSetEntry.objects.filter(
        rule=CODE, rule_set__is_current=True, rule_set__notice_id__in=notice_ids
    ).values_list("rule_set__notice_id", "enabled", "kind", "params"):
        merged = {**RULES[CODE].defaults(), **(params or {})}
        found[notice_id] = CapRule(
            int(merged["cap"]), merged["basis"], merged["period"], kind, enabled, titles.get(notice_id, "")
        )
    missing = set(notice_ids) - set(found)
    if missing:
        defaults = RULES[CODE].defaults()
        first = {}
        for notice_id, cap, basis, period in (
            NoticeCategory.objects.filter(notice_id__in=missing)
            .order_by("notice_id", "id")
            .values_list("notice_id", "assessor_cap", "cap_basis", "cap_period")
        ):
            first.setdefault(notice_id, (cap, basis, period))
        for notice_id in missing:
            cap, basis, period = first.get(notice_id, (defaults["cap"], defaults["basis"], defaults["period"]))
            found[notice_id] = CapRule(cap, basis, period, RULES[CODE].kind, True, titles.get(notice_id, ""))
    return found


def assessor_cap_use(assessor) -> CapUse:
    """The assessor's live projects per notice round and per year, with the cap in force for each round.

    A round's projects may sit in notices with different rule sets (the ministry's, a province's forward, a city's):
    the round shows the rule that binds most (the largest use over its cap). Counting is the rule's own: live
    engagements, per legal entity or per legal representative, per round or per year (about 8 queries).
    """
    rep = assessor.legal_representative or ""
    rows = live_project_rows([assessor.pk], [rep] if rep else [])
    result = CapUse(assessor_id=assessor.pk, legal_representative=rep)
    mine = [r for r in rows if r[1] == assessor.pk]
    if not mine:
        return result
    family = _families({r[4] for r in rows})
    ids = project_ids(rows, family)

    def count(kind, key, period, value):
        return len(ids.get(f"{kind}:{key}:{period}:{value}", [])) if key else None

    notices_by_root, year_of_root = defaultdict(set), {}
    for _, _, _, year, notice_id in mine:
        notices_by_root[family[notice_id]].add(notice_id)
        year_of_root.setdefault(family[notice_id], year)
    rules = _rules_in_force({n for ns in notices_by_root.values() for n in ns} | set(notices_by_root))
    for root, notice_ids in notices_by_root.items():
        year = year_of_root[root]
        batch = BatchUse(
            root_id=root,
            title=rules[root].notice if root in rules else "",
            year=year,
            entity=count("entity", assessor.pk, "batch", root),
            representative=count("rep", rep, "batch", root),
            entity_year=count("entity", assessor.pk, "year", year),
            representative_year=count("rep", rep, "year", year),
        )
        candidates = []
        for notice_id in sorted(notice_ids):
            rule = rules[notice_id]
            used = {
                ("legal_entity", "batch"): batch.entity,
                ("legal_entity", "year"): batch.entity_year,
                ("legal_representative", "batch"): batch.representative,
                ("legal_representative", "year"): batch.representative_year,
            }.get((rule.basis, rule.period))
            binding = (used - rule.cap) if (rule.enabled and used is not None) else None
            candidates.append((binding is not None, binding if binding is not None else 0, rule, used))
        _, _, batch.rule, batch.used = max(candidates, key=lambda c: (c[0], c[1]))
        result.batches.append(batch)
    result.batches.sort(key=lambda b: (-b.year, b.root_id))
    for year in sorted({r[3] for r in mine}, reverse=True):
        result.years.append(YearUse(year, count("entity", assessor.pk, "year", year), count("rep", rep, "year", year)))
    return result


def reevaluate_assessors(assessor_ids) -> None:
    """Evaluate again the applications with a live engagement of these assessors (their registry facts changed)."""
    from .tasks import evaluate_applications

    ids = sorted(
        set(
            Engagement.objects.filter(
                assessor_id__in=list(assessor_ids),
                status__in=[Engagement.Status.PENDING, Engagement.Status.ACCEPTED],
            ).values_list("application_id", flat=True)
        )
    )
    for start in range(0, len(ids), REEVALUATE_CHUNK):
        evaluate_applications.delay(ids[start : start + REEVALUATE_CHUNK])
