"""Rule-set pages per notice: the current rule set as an editable table of every catalogue rule, presets, the
version history, and re-evaluating the notice's applications.

Thin: the table posts every rule's enabled / kind / parameters to eligibility.services.rule_set_save (a new version;
on a refusal the page comes back with each rule's Chinese errors and nothing is saved). Whoever can see the notice
(notices.selectors.notice_for) sees the rules; only eligibility.services.can_edit_rules may change them; a notice
the user cannot see is a 404.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from notices.models import Category, Notice
from notices.selectors import notice_for

from .catalogue import KINDS, RULES
from .models import RuleSet
from .presets import PRESETS
from .services import can_edit_rules, clean_entries, current_rule_sets, rule_set_apply_preset, rule_set_save
from .tasks import evaluate_notice_task

CATEGORY_LABELS = dict(Category.choices)
HISTORY_SIZE = 30
READ_ONLY = "只有发文机关或系统管理员可以配置资格审查规则。"


def _field(code: str, name: str) -> str:
    return f"{code}__{name}"


def _param_text(param, value) -> str:
    if param.type == "bool":
        return "是" if value else "否"
    if param.type == "choice":
        return dict(param.choices).get(value, str(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _same(param, a, b) -> bool:
    if param.type in ("int", "float"):
        try:
            return float(a) == float(b)
        except (TypeError, ValueError):
            return False
    return str(a) == str(b)


def _entries(rule_set: RuleSet) -> dict[str, dict]:
    return {e.rule: {"enabled": e.enabled, "kind": e.kind, "params": e.params} for e in rule_set.entries.all()}


def _submitted(post) -> dict[str, dict]:
    """Every catalogue rule's row as posted; an unchecked box is a disabled rule."""
    entries = {}
    for code, rule in RULES.items():
        params = {}
        for p in rule.params:
            if p.type == "bool":
                params[p.name] = _field(code, p.name) in post
            else:
                params[p.name] = post.get(_field(code, p.name), "").strip()
        entries[code] = {
            "enabled": _field(code, "enabled") in post,
            "kind": post.get(_field(code, "kind"), rule.kind),
            "params": params,
        }
    return entries


def _rows(entries: dict[str, dict], errors: dict[str, list[str]]) -> list[dict]:
    """The table: every catalogue rule in catalogue order, with the set's values (or the ones just posted)."""
    rows = []
    for code, rule in RULES.items():
        entry = entries.get(code) or {"enabled": False, "kind": rule.kind, "params": {}}
        values = {**rule.defaults(), **(entry.get("params") or {})}
        params = [
            {
                "param": p,
                "name": _field(code, p.name),
                "value": values.get(p.name),
                "text": _param_text(p, values.get(p.name)),
                "changed": not _same(p, values.get(p.name), p.default),
                "default_text": _param_text(p, p.default),
                "invalid": any(f"“{p.label}”" in e for e in errors.get(code, [])),
            }
            for p in rule.params
        ]
        rows.append(
            {
                "rule": rule,
                "code": code,
                "categories": "全部类别"
                if set(rule.categories) >= set(CATEGORY_LABELS)
                else "、".join(CATEGORY_LABELS.get(c, c) for c in rule.categories),
                "enabled": bool(entry.get("enabled")),
                "kind": entry.get("kind"),
                "kind_label": KINDS.get(entry.get("kind"), entry.get("kind")),
                "default_kind_label": KINDS[rule.kind],
                "params": params,
                "adjusted": not entry.get("enabled")
                or entry.get("kind") != rule.kind
                or any(p["changed"] for p in params),
                "errors": errors.get(code, []),
            }
        )
    return rows


def _changes(before: dict[str, dict] | None, after: dict[str, dict]) -> list[str]:
    """What a version changed from the one before it, in Chinese, one line per rule."""
    if before is None:
        return []
    lines = []
    for code, rule in RULES.items():
        old, new = before.get(code), after.get(code)
        if old is None or new is None or old == new:
            continue
        parts = []
        if old["enabled"] != new["enabled"]:
            parts.append("启用" if new["enabled"] else "停用")
        if old["kind"] != new["kind"]:
            parts.append(f"{KINDS.get(old['kind'], old['kind'])}→{KINDS.get(new['kind'], new['kind'])}")
        for p in rule.params:
            a, b = (old.get("params") or {}).get(p.name), (new.get("params") or {}).get(p.name)
            if a != b:
                parts.append(f"{p.label} {_param_text(p, a)}→{_param_text(p, b)}")
        if parts:
            lines.append(f"{rule.title}：{'，'.join(parts)}")
    return lines


def _history(notice: Notice) -> tuple[list[dict], int]:
    """The latest versions with who, when, on what basis and what changed (2 queries whatever the length)."""
    versions = list(
        RuleSet.objects.filter(notice=notice)
        .select_related("created_by")
        .prefetch_related("entries")
        .order_by("-version")[: HISTORY_SIZE + 1]
    )
    total = len(versions) if len(versions) <= HISTORY_SIZE else RuleSet.objects.filter(notice=notice).count()
    entries = [_entries(rs) for rs in versions]
    rows = []
    for i, rs in enumerate(versions[:HISTORY_SIZE]):
        rows.append(
            {
                "rule_set": rs,
                "preset_title": PRESETS.get(rs.preset, {}).get("title", ""),
                "changes": _changes(entries[i + 1] if i + 1 < len(versions) else None, entries[i]),
            }
        )
    return rows, total


def _page(request, notice: Notice, *, posted: dict | None = None, errors=None, note: str = "", status: int = 200):
    current = current_rule_sets([notice.pk])[notice.pk]
    shown = current
    version = request.GET.get("version", "")
    if posted is None and version.isdigit() and int(version) != current.version:
        shown = RuleSet.objects.filter(notice=notice, version=int(version)).prefetch_related("entries").first()
        if shown is None:
            messages.warning(request, f"没有第{version}版规则集，显示当前版本。")
            shown = current
    editable = can_edit_rules(request.user, notice) and shown.pk == current.pk
    history, total = _history(notice)
    return render(
        request,
        "eligibility/rules.html",
        {
            "notice": notice,
            "rule_set": shown,
            "current": current,
            "is_current": shown.pk == current.pk,
            "preset_title": PRESETS.get(shown.preset, {}).get("title", ""),
            "rows": _rows(posted if posted is not None else _entries(shown), errors or {}),
            "errors": errors or {},
            "error_count": sum(len(v) for v in (errors or {}).values()),
            "kinds": list(KINDS.items()),
            "presets": [{"key": key, "title": p["title"], "count": len(p["rules"])} for key, p in PRESETS.items()],
            "can_edit": editable,
            "may_edit": can_edit_rules(request.user, notice),
            "history": history,
            "history_total": total,
            "note": note,
        },
        status=status,
    )


def _editable_notice(request, notice_id: int) -> Notice:
    notice = notice_for(request.user, notice_id)
    if not can_edit_rules(request.user, notice):
        raise PermissionDenied(READ_ONLY)
    return notice


@require_http_methods(["GET", "POST"])
def rules_page(request, notice_id: int):
    if request.method == "GET":
        return _page(request, notice_for(request.user, notice_id))
    return _save(request, _editable_notice(request, notice_id))


def _save(request, notice: Notice):
    posted = _submitted(request.POST)
    note = request.POST.get("note", "").strip()
    try:
        cleaned = clean_entries(posted)
    except ValidationError as exc:
        return _page(request, notice, posted=posted, errors=exc.message_dict, note=note)
    current = current_rule_sets([notice.pk])[notice.pk]
    if cleaned == _entries(current):
        messages.info(request, f"规则未改变，仍为第{current.version}版。")
        return redirect("eligibility-rules", notice_id=notice.pk)
    try:
        rule_set = rule_set_save(actor=request.user, notice=notice, entries=cleaned, note=note, request=request)
    except ValidationError as exc:
        return _page(request, notice, posted=posted, errors=exc.message_dict, note=note)
    messages.success(
        request,
        f"已保存为第{rule_set.version}版规则集。已提交的申报需重新审查才按新规则显示结果（见页面下方“按当前规则集重新审查”）。",
    )
    return redirect("eligibility-rules", notice_id=notice.pk)


@require_POST
def rules_preset(request, notice_id: int):
    notice = _editable_notice(request, notice_id)
    key = request.POST.get("preset", "")
    try:
        rule_set = rule_set_apply_preset(actor=request.user, notice=notice, preset=key, request=request)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已采用预设“{PRESETS[key]['title']}”，生成第{rule_set.version}版规则集。")
    return redirect("eligibility-rules", notice_id=notice.pk)


@require_POST
def rules_evaluate(request, notice_id: int):
    notice = _editable_notice(request, notice_id)
    current = current_rule_sets([notice.pk])[notice.pk]
    count = notice.applications.count()
    evaluate_notice_task.delay(notice.pk)
    messages.success(
        request,
        f"已将本通知的{count}份申报排队按当前规则集（第{current.version}版）重新审查；"
        f"审查完成后，各申报页面显示新的结果。",
    )
    return redirect(reverse("eligibility-rules", kwargs={"notice_id": notice.pk}) + "#evaluate")
