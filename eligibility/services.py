"""Rule sets (versioned, per notice) and evaluations (re-used when the facts and the rule set did not change)."""

import hashlib
import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from activity.services import audit_record
from applications.models import Application
from notices.models import Notice

from .catalogue import FAIL, HARD, KINDS, RULES, run
from .facts import gather
from .models import Evaluation, RuleSet, RuleSetEntry
from .presets import PRESETS

CHUNK = 500


def _default_entries(notice: Notice, preset: str = "default") -> dict[str, dict]:
    overrides = PRESETS[preset]["rules"]
    entries = {}
    category = notice.categories.order_by("id").first()
    for code, rule in RULES.items():
        params = rule.defaults()
        if code == "ASSESSOR-CAP" and category is not None:
            params.update(cap=category.assessor_cap, basis=category.cap_basis, period=category.cap_period)
        o = overrides.get(code, {})
        entries[code] = {
            "enabled": o.get("enabled", True),
            "kind": o.get("kind", rule.kind),
            "params": {**params, **o.get("params", {})},
        }
    return entries


def clean_entries(entries: dict[str, dict]) -> dict[str, dict]:
    """Validate kinds and typed parameters; raises ValidationError naming the rule and parameter in Chinese."""
    errors, cleaned = {}, {}
    for code, entry in entries.items():
        rule = RULES.get(code)
        if rule is None:
            errors[code] = [f"未知规则：{code}"]
            continue
        kind = entry.get("kind", rule.kind)
        if kind not in KINDS:
            errors[code] = [f"性质只能是：{'、'.join(KINDS.values())}"]
            continue
        params = {}
        for p in rule.params:
            raw = (entry.get("params") or {}).get(p.name, p.default)
            try:
                if p.type == "int":
                    value = int(raw)
                    if value < 0:
                        raise ValueError
                elif p.type == "float":
                    value = float(raw)
                elif p.type == "bool":
                    value = raw in (True, "true", "True", "1", 1, "on")
                else:
                    value = str(raw)
                    if value not in {c for c, _ in p.choices}:
                        raise ValueError
            except (TypeError, ValueError):
                errors.setdefault(code, []).append(f"{rule.title}：参数“{p.label}”的值“{raw}”无效。")
                continue
            params[p.name] = value
        cleaned[code] = {"enabled": bool(entry.get("enabled", True)), "kind": kind, "params": params}
    if errors:
        raise ValidationError(errors)
    return cleaned


def can_edit_rules(user, notice: Notice) -> bool:
    from notices.selectors import can_issue

    return bool(user.is_superuser) or can_issue(user, notice.issuer)


@transaction.atomic
def rule_set_save(
    *, actor, notice: Notice, entries: dict[str, dict], preset: str = "", note: str = "", request=None
) -> RuleSet:
    if actor is not None and not can_edit_rules(actor, notice):
        raise PermissionDenied("只有发文机关或系统管理员可以配置资格审查规则。")
    cleaned = clean_entries(entries)
    current = RuleSet.objects.select_for_update().filter(notice=notice, is_current=True).first()
    if current is not None:
        base = {e.rule: {"enabled": e.enabled, "kind": e.kind, "params": e.params} for e in current.entries.all()}
    else:
        base = _default_entries(notice)  # a first edit changes some rules; the others keep their defaults
    cleaned = {**base, **cleaned}
    version = (
        RuleSet.objects.filter(notice=notice).order_by("-version").values_list("version", flat=True).first() or 0
    ) + 1
    RuleSet.objects.filter(notice=notice, is_current=True).update(is_current=False)
    rule_set = RuleSet.objects.create(
        notice=notice,
        version=version,
        preset=preset,
        note=note[:200],
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    RuleSetEntry.objects.bulk_create(
        [RuleSetEntry(rule_set=rule_set, rule=code, **entry) for code, entry in sorted(cleaned.items())]
    )
    audit_record(
        actor=actor,
        verb="eligibility.rules_save",
        target=notice,
        organization=notice.issuer,
        after=f"v{version}",
        reason=note or preset,
        request=request,
    )
    return rule_set


def rule_set_apply_preset(*, actor, notice: Notice, preset: str, request=None) -> RuleSet:
    if preset not in PRESETS:
        raise ValidationError({"preset": [f"未知的预设：{preset}"]})
    return rule_set_save(
        actor=actor,
        notice=notice,
        entries=_default_entries(notice, preset),
        preset=preset,
        note=f"采用预设：{PRESETS[preset]['title']}",
        request=request,
    )


def current_rule_sets(notice_ids) -> dict[int, RuleSet]:
    """The current rule set of each notice, creating the catalogue default where a notice has none."""
    found = {
        rs.notice_id: rs
        for rs in RuleSet.objects.filter(notice_id__in=notice_ids, is_current=True).prefetch_related("entries")
    }
    for notice in Notice.objects.filter(pk__in=set(notice_ids) - set(found)):
        rs = rule_set_save(
            actor=None, notice=notice, entries=_default_entries(notice), preset="default", note="目录默认"
        )
        found[notice.pk] = RuleSet.objects.prefetch_related("entries").get(pk=rs.pk)
    return found


def _hash(facts: dict, rule_set_id: int) -> str:
    payload = json.dumps([rule_set_id, facts], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def findings_for(facts: dict, rule_set: RuleSet) -> list[dict]:
    results = []
    for entry in rule_set.entries.all():
        if not entry.enabled:
            continue
        rule = RULES.get(entry.rule)
        if rule is None:
            continue
        outcome = run(rule, facts, entry.params)
        results.append(
            {
                "rule": rule.code,
                "title": rule.title,
                "kind": entry.kind,
                "outcome": outcome.outcome,
                "message": outcome.message,
                "evidence": outcome.evidence,
                "source": rule.source,
            }
        )
    return results


def evaluate(applications, *, force: bool = False) -> dict[int, Evaluation]:
    """Evaluate applications in chunks; an unchanged application keeps its latest evaluation."""
    apps = list(applications)
    out: dict[int, Evaluation] = {}
    for start in range(0, len(apps), CHUNK):
        out.update(_evaluate_chunk(apps[start : start + CHUNK], force=force))
    return out


def _evaluate_chunk(apps: list[Application], *, force: bool) -> dict[int, Evaluation]:
    facts = gather(apps)
    rule_sets = current_rule_sets({a.notice_id for a in apps})
    latest: dict[int, Evaluation] = {}
    if not force:
        for ev in Evaluation.objects.filter(application_id__in=[a.pk for a in apps]).order_by(
            "application_id", "-created_at", "-id"
        ):
            latest.setdefault(ev.application_id, ev)
    result, new = {}, []
    for a in apps:
        rule_set = rule_sets[a.notice_id]
        digest = _hash(facts[a.pk], rule_set.pk)
        previous = latest.get(a.pk)
        if previous is not None and previous.facts_hash == digest and previous.rule_set_id == rule_set.pk:
            result[a.pk] = previous
            continue
        findings = findings_for(facts[a.pk], rule_set)
        blocked = any(f["kind"] == HARD and f["outcome"] == FAIL for f in findings)
        ev = Evaluation(
            application_id=a.pk,
            rule_set=rule_set,
            facts=facts[a.pk],
            facts_hash=digest,
            blocked=blocked,
            findings=findings,
        )
        new.append(ev)
        result[a.pk] = ev
    Evaluation.objects.bulk_create(new, batch_size=500)
    return result


def evaluate_application(application: Application) -> Evaluation:
    app = Application.objects.select_related("applicant", "applicant__competent_authority", "notice").get(
        pk=application.pk
    )
    return evaluate([app])[app.pk]


def blocking_problems(evaluation: Evaluation) -> list[str]:
    return [
        f"资格审查未通过：{f['title']}——{f['message']}请核实：信息有误的请修改申报信息或补充证明材料，"
        f"确不符合的不得申报。"
        for f in evaluation.findings
        if f["kind"] == HARD and f["outcome"] == FAIL
    ]


def evaluate_notice(notice_id: int, *, force: bool = False) -> int:
    qs = (
        Application.objects.filter(notice_id=notice_id)
        .select_related("applicant", "applicant__competent_authority", "notice")
        .order_by("id")
    )
    count = 0
    batch = []
    for app in qs.iterator(chunk_size=CHUNK):
        batch.append(app)
        if len(batch) == CHUNK:
            count += len(evaluate(batch, force=force))
            batch = []
    if batch:
        count += len(evaluate(batch, force=force))
    return count
