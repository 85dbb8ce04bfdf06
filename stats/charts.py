"""Charts drawn on the server as inline SVG: no script, no CDN (government intranets have no internet).

Labels are SVG <text> in the portal's CJK faces, so a screen reader, a search in the page and a printout all read
the Chinese; each chart carries a <title> and <desc> and sits next to the table that holds the same figures.
"""

from math import floor, log10

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#1f7a4d", "#8cc5a3", "#c59a2c", "#1c4d74", "#b3261e", "#6b4fa0")
FONT = "'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei','PingFang SC',sans-serif"
WIDTH = 760
LABEL_CHARS = 14  # longer labels are cut with … (the whole label stays in a tooltip)


def axis(value: float, *, top: float | None = None) -> tuple[float, float]:
    """The top of the axis and the step between its five or so ticks: whole 1, 2 or 5 times a power of ten (counts
    never get a tick at 2.5); a fixed top (100 for rates) is cut in quarters."""
    if top:
        return top, top / 4
    if value <= 0:
        return 1, 1
    raw = value / 4
    power = 10 ** floor(log10(raw)) if raw >= 1 else 1
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return step * -(-value // step), step


def _ticks(top: float, step: float) -> list[float]:
    count = round(top / step)
    return [step * i for i in range(count + 1)]


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    return str(int(value))


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _open(chart_id: str, title: str, height: int, desc: str, width: int = WIDTH) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" font-family="{FONT}" font-size="13">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>',
    ]


def _legend(series_names: list[str], y: int, x: int = 10) -> list[str]:
    parts = []
    for i, name in enumerate(series_names):
        color = PALETTE[i % len(PALETTE)]
        parts.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{color}"/>')
        parts.append(f'<text x="{x + 16}" y="{y}" fill="#1d2521">{escape(name)}</text>')
        x += 16 + 14 * len(name) + 24
    return parts


def bar_chart(
    chart_id: str,
    title: str,
    labels: list[str],
    series: list[tuple[str, list]],
    *,
    unit: str = "",
    top: float | None = None,
    width: int = WIDTH,
) -> SafeString:
    """Horizontal bars, one group per label and one bar per series; empty when there is nothing to draw."""
    if not labels or not series or not any(v for _, values in series for v in values if v):
        return mark_safe("")
    # the label column as wide as the longest (cut) label: 13 px a CJK character
    label_width = min(14 * max(len(_short(label)) for label in labels) + 16, 230)
    right, bar, gap = 56, 14, 12
    legend = len(series) > 1
    head = 30 if legend else 8
    group = bar * len(series) + gap
    height = head + group * len(labels) + 28
    top, step = axis(max((v or 0) for _, values in series for v in values), top=top)
    span = width - label_width - right
    desc = "；".join(
        f"{label}：" + "，".join(f"{name}{_fmt(values[i])}{unit}" for name, values in series)
        for i, label in enumerate(labels)
    )
    parts = _open(chart_id, title, height, desc, width)
    if legend:
        parts += _legend([name for name, _ in series], 18)
    for value in _ticks(top, step):
        x = label_width + span * value / top
        parts.append(f'<line x1="{x:.1f}" y1="{head}" x2="{x:.1f}" y2="{height - 24}" stroke="#d8e2dc"/>')
        parts.append(
            f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" fill="#5b6b63" font-size="12">'
            f"{_fmt(value)}{escape(unit)}</text>"
        )
    for i, label in enumerate(labels):
        y0 = head + i * group
        middle = y0 + bar * len(series) / 2 + 4
        parts.append(
            f'<text x="{label_width - 8}" y="{middle:.1f}" text-anchor="end" fill="#1d2521">'
            f"<title>{escape(label)}</title>{escape(_short(label))}</text>"
        )
        for j, (name, values) in enumerate(series):
            value = values[i] or 0
            length = span * min(value, top) / top
            y = y0 + j * bar
            color = PALETTE[j % len(PALETTE)]
            parts.append(
                f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar - 2}" fill="{color}">'
                f"<title>{escape(label)} · {escape(name)}：{_fmt(values[i])}{escape(unit)}</title></rect>"
            )
            parts.append(
                f'<text x="{label_width + length + 4:.1f}" y="{y + bar - 4}" fill="#1d2521" font-size="12">'
                f"{_fmt(values[i])}{escape(unit)}</text>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def line_chart(chart_id: str, title: str, xs: list[str], series: list[tuple[str, list]]) -> SafeString:
    """One line per series over the x labels (years); empty when there is nothing to draw."""
    if not xs or not series or not any(v for _, values in series for v in values if v):
        return mark_safe("")
    left, right, head, foot = 56, 24, 34, 34
    height = 300
    top, step = axis(max((v or 0) for _, values in series for v in values))
    plot_w, plot_h = WIDTH - left - right, height - head - foot

    def x_at(i: int) -> float:
        return left + (plot_w * (i + 0.5) / len(xs))

    def y_at(value) -> float:
        return head + plot_h * (1 - (value or 0) / top)

    desc = "；".join(
        f"{name}：" + "，".join(f"{x} {_fmt(values[i])}" for i, x in enumerate(xs)) for name, values in series
    )
    parts = _open(chart_id, title, height, desc)
    parts += _legend([name for name, _ in series], 18)
    for value in _ticks(top, step):
        y = y_at(value)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" stroke="#d8e2dc"/>')
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#5b6b63" font-size="12">{_fmt(value)}</text>'
        )
    for i, x in enumerate(xs):
        parts.append(
            f'<text x="{x_at(i):.1f}" y="{height - 12}" text-anchor="middle" fill="#1d2521">{escape(x)}</text>'
        )
    for j, (name, values) in enumerate(series):
        color = PALETTE[j % len(PALETTE)]
        points = " ".join(f"{x_at(i):.1f},{y_at(v):.1f}" for i, v in enumerate(values))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2.5"/>')
        for i, v in enumerate(values):
            parts.append(
                f'<circle cx="{x_at(i):.1f}" cy="{y_at(v):.1f}" r="4" fill="{color}">'
                f"<title>{escape(xs[i])} · {escape(name)}：{_fmt(v)}</title></circle>"
            )
            parts.append(
                f'<text x="{x_at(i):.1f}" y="{y_at(v) - 8:.1f}" text-anchor="middle" fill="{color}" '
                f'font-size="12">{_fmt(v)}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))
