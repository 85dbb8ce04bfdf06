"""The ranking table's rows, rendered in Python: a province's panel can hold hundreds of applications, and the
template engine spent ~0.2 ms a row on its two dozen lookups (benchmarks/README.md, scale)."""

from django import template
from django.urls import reverse
from django.utils.html import conditional_escape as esc
from django.utils.safestring import mark_safe

from applications.models import State

register = template.Library()

MUTED_DASH = '<span class="muted">—</span>'
_PK = 987654321  # stands for the application's id in one reversed URL


@register.simple_tag
def ranking_rows(ranking, panel) -> str:
    """One <tr> per row: a checkbox where the panel's authority may decide now, the rank and the quota marks, the
    applicant, the experts' totals, the aggregate score, the priority badges and the state (with the holder when
    the application has moved on)."""
    detail = reverse("application-detail", args=[_PK]).split(str(_PK))
    out = []
    for row in ranking.rows:
        app, applicant = row.application, row.application.applicant
        pk, name = app.pk, esc(applicant.name)
        last = ranking.quota is not None and row.rank == ranking.quota  # the quota line runs under this row
        classes = " ".join(c for c, on in (("within", row.within_quota), ("quota-line", last)) if on)
        pick = ""
        if app.state == State.UNDER_REVIEW and app.holder_id == panel.authority_id:
            pick = f'<input type="checkbox" name="applications" value="{pk}" id="pick-{pk}" aria-label="选择{name}">'
        rank = str(row.rank) if row.rank else MUTED_DASH
        if row.within_quota:
            rank += ' <span class="tag">名额内</span>'
        totals = f'<div class="help">{"、".join(str(t) for t in row.totals)}</div>' if row.totals else ""
        score = f"<strong>{row.score}</strong>" if row.score is not None else '<span class="muted">未评分</span>'
        badges = (
            "".join(
                f'<span class="tag prio" title="{esc(b.get("title") or "")}">{esc(b["label"])}</span> '
                for b in row.badges
            )
            or MUTED_DASH
        )
        holder = f'<div class="help">{esc(app.holder.name)}</div>' if app.holder_id != panel.authority_id else ""
        out.append(
            f'<tr class="{classes}">\n'
            f"  <td>{pick}</td>\n"
            f'  <td class="nowrap">{rank}</td>\n'
            f'  <td><a href="{detail[0]}{pk}{detail[1]}">{name}</a><div class="help">{esc(applicant.credit_code)}</div></td>\n'
            f"  <td>{esc(applicant.region.name)}</td>\n"
            f'  <td class="nowrap">{row.scored} / {row.expected}{totals}</td>\n'
            f'  <td class="nowrap">{score}</td>\n'
            f"  <td>{badges}</td>\n"
            f'  <td><span class="tag state state-{app.state}">{esc(app.get_state_display())}</span>{holder}</td>\n'
            "</tr>"
        )
    return mark_safe("".join(out))
