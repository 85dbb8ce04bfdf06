"""Rule sets (versioned, per notice) and evaluations (re-used when the facts and the rule set did not change)."""

import hashlib
import json
import math
from collections import defaultdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from activity.services import audit_record
from applications.models import Application
from greenmfg.request_memo import remember_when_committed
from greenmfg.shared_cache import kept_for_ids
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
                    if not math.isfinite(value):  # "nan" and "inf" parse, but are no threshold (nor valid JSON)
                        raise ValueError
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
    _lock_notice(notice.pk)
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
        with transaction.atomic():
            # A worker and a web process may both find none: the first creates it, the other reads it.
            _lock_notice(notice.pk)
            rs = RuleSet.objects.filter(notice=notice, is_current=True).first() or rule_set_save(
                actor=None, notice=notice, entries=_default_entries(notice), preset="default", note="目录默认"
            )
        found[notice.pk] = RuleSet.objects.prefetch_related("entries").get(pk=rs.pk)
    return found


def _lock_notice(notice_id: int) -> None:
    """Rule set versions of a notice are written one writer at a time (the notice row is the lock)."""
    list(Notice.objects.select_for_update().filter(pk=notice_id).values_list("pk", flat=True))


_HASH_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str)
_FACTS_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False)


def _hash(facts: dict, rule_set_id: int) -> str:
    payload = _HASH_ENCODER.encode([rule_set_id, facts])  # as json.dumps(…, sort_keys, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _encoded(facts: dict, rule_set_id: int) -> tuple[str, str | None]:
    """The facts hash and, when the facts are plain JSON, their text: encoded once for the hash and for storage.
    json.dumps([id, facts]) is "[id, " + json.dumps(facts) + "]", so the hash is the one _hash gives."""
    try:
        text = _FACTS_ENCODER.encode(facts)
    except TypeError:  # not plain JSON: hashed as before; storing it fails as it always did
        return _hash(facts, rule_set_id), None
    return hashlib.sha256(f"[{rule_set_id}, {text}]".encode()).hexdigest(), text


def _compiled(entries) -> list[tuple]:
    """(rule, kind, params) of each enabled entry whose rule the catalogue knows, in entry order.
    `entries` yields (rule code, enabled, kind, params)."""
    return [(RULES[code], kind, params) for code, enabled, kind, params in entries if enabled and code in RULES]


def _findings(facts: dict, compiled: list[tuple]) -> list[dict]:
    results = []
    append = results.append
    for rule, kind, params in compiled:
        outcome = run(rule, facts, params)
        append(
            {
                "rule": rule.code,
                "title": rule.title,
                "kind": kind,
                "outcome": outcome.outcome,
                "message": outcome.message,
                "evidence": outcome.evidence,
                "source": rule.source,
            }
        )
    return results


def findings_for(facts: dict, rule_set: RuleSet) -> list[dict]:
    return _findings(facts, _compiled((e.rule, e.enabled, e.kind, e.params) for e in rule_set.entries.all()))


def _compiled_rule_sets(notice_ids) -> dict[int, tuple[RuleSet, list[tuple]]]:
    """Each notice's current rule set with its compiled entries (kept between requests: greenmfg.shared_cache)."""
    ids = sorted(set(notice_ids))
    rows = kept_for_ids("rule_sets", ids, lambda: _rule_set_rows(ids))
    return {notice_id: (rs, _compiled(entries)) for notice_id, (rs, entries) in rows.items()}


def _rule_set_rows(notice_ids) -> dict[int, tuple[RuleSet, list[tuple]]]:
    """Each notice's current rule set with its entries as (rule, enabled, kind, params) (2 queries; entries read as
    values, not models)."""
    found = {rs.notice_id: rs for rs in RuleSet.objects.filter(notice_id__in=notice_ids, is_current=True)}
    missing = set(notice_ids) - set(found)
    if missing:  # the first evaluation under a notice makes its catalogue default
        found.update(current_rule_sets(missing))
    # Parameters come as text and are decoded once per distinct text: most rule sets share most parameters.
    rows: dict[int, list] = defaultdict(list)
    decoded: dict[str, object] = {}
    for rule_set_id, code, enabled, kind, text in (
        RuleSetEntry.objects.filter(rule_set_id__in=[rs.pk for rs in found.values()])
        .order_by("rule_set_id", "id")
        .values_list("rule_set_id", "rule", "enabled", "kind", Cast("params", TextField()))
    ):
        if text not in decoded:
            decoded[text] = _json_value(text)
        rows[rule_set_id].append((code, enabled, kind, decoded[text]))
    return {notice_id: (rs, rows[rs.pk]) for notice_id, rs in found.items()}


def _json_value(text):
    """What JSONField.from_db_value gives for the column's text."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def evaluate(applications, *, force: bool = False) -> dict[int, Evaluation]:
    """Evaluate applications in chunks; an unchanged application keeps its latest evaluation."""
    apps = list(applications)
    out: dict[int, Evaluation] = {}
    for start in range(0, len(apps), CHUNK):
        out.update(_evaluate_chunk(apps[start : start + CHUNK], force=force))
    return out


def _evaluate_chunk(apps: list[Application], *, force: bool) -> dict[int, Evaluation]:
    facts = gather(apps)
    rule_sets = _compiled_rule_sets({a.notice_id for a in apps})
    latest: dict[int, Evaluation] = {}
    if not force:
        # Only each application's latest evaluation, and without its stored facts: a re-used one is given the
        # facts just gathered, which are the same (same hash).
        newest = Evaluation.objects.filter(application_id=OuterRef("application_id")).order_by("-created_at", "-id")
        for ev in Evaluation.objects.filter(
            application_id__in=[a.pk for a in apps], pk=Subquery(newest.values("pk")[:1])
        ).defer("facts"):
            latest[ev.application_id] = ev
    result, new = {}, []
    for a in apps:
        rule_set, compiled = rule_sets[a.notice_id]
        digest, text = _encoded(facts[a.pk], rule_set.pk)
        previous = latest.get(a.pk)
        if previous is not None and previous.facts_hash == digest and previous.rule_set_id == rule_set.pk:
            previous.facts, previous.rule_set = facts[a.pk], rule_set
            result[a.pk] = previous
            continue
        findings = _findings(facts[a.pk], compiled)
        blocked = any(f["kind"] == HARD and f["outcome"] == FAIL for f in findings)
        ev = Evaluation(
            application_id=a.pk,
            rule_set=rule_set,
            facts=facts[a.pk],
            facts_hash=digest,
            blocked=blocked,
            findings=findings,
        )
        ev._facts_json = text
        new.append(ev)
        result[a.pk] = ev
    _insert(new)
    for pk, ev in result.items():  # the page shows what its guard just evaluated
        remember_when_committed(("latest_evaluation", pk), ev)
    return result


_INSERTED = ("application_id", "rule_set_id", "facts", "facts_hash", "blocked", "findings", "created_at")


def _insert(new: list[Evaluation]) -> None:
    """The rows bulk_create would write, in a number of queries that does not grow with the chunk.

    Django 5.2's bulk_create caps a SQLite statement at 999 parameters (4 INSERTs for 500 evaluations, 1 for 100),
    and on PostgreSQL sends them through UNNEST arrays, which psycopg quotes character by character in Python
    (about 2 s for 500 evaluations). Here: SQLite, one executemany and the last rowid; PostgreSQL, one multi-row
    INSERT … RETURNING id. The facts go in as the text already made for the hash (same JSON value)."""
    if not new:
        return
    fields = [f for f in Evaluation._meta.concrete_fields if not f.primary_key]
    if connection.vendor not in ("sqlite", "postgresql") or tuple(f.attname for f in fields) != _INSERTED:
        Evaluation.objects.bulk_create(new, batch_size=CHUNK)
        return
    now = timezone.now()
    created_at = connection.ops.adapt_datetimefield_value(now)
    # jsonb keeps values, not text: compact UTF-8 is a third smaller to send and parse; SQLite gets what Django writes.
    if connection.vendor == "sqlite":
        findings_json = json.dumps
    else:
        findings_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    rows = []
    for ev in new:
        ev.created_at = now  # what auto_now_add gives
        facts = getattr(ev, "_facts_json", None) or json.dumps(ev.facts)
        rows.append(
            (
                ev.application_id,
                ev.rule_set_id,
                facts,
                ev.facts_hash,
                ev.blocked,
                findings_json(ev.findings),
                created_at,
            )
        )
    qn = connection.ops.quote_name
    insert = f"INSERT INTO {qn(Evaluation._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) VALUES "
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.executemany(insert + "(%s, %s, %s, %s, %s, %s, %s)", rows)
            cursor.execute("SELECT last_insert_rowid()")
            last = cursor.fetchone()[0]
            # AUTOINCREMENT keys and one writer inside the transaction: the rows took the ids up to the last one.
            ids = range(last - len(new) + 1, last + 1)
        else:
            values = ", ".join(["(%s, %s, %s::jsonb, %s, %s, %s::jsonb, %s)"] * len(rows))
            cursor.execute(f"{insert}{values} RETURNING {qn('id')}", [v for row in rows for v in row])
            ids = [row[0] for row in cursor.fetchall()]  # in the order of the VALUES, as bulk_create relies on
    for pk, ev in zip(ids, new, strict=True):
        ev.pk = pk
        ev._state.adding, ev._state.db = False, connection.alias


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
    # The facts read the applicant's competent_authority_id, never the authority row: no join for it; nor the
    # notice's body, which would otherwise come along with every row.
    qs = (
        Application.objects.filter(notice_id=notice_id)
        .select_related("applicant", "notice")
        .defer("notice__body")
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
