from datetime import datetime

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def countdown(due_at: datetime) -> str:
    """剩余 3天4小时 / 已逾期 2天 — the text a countdown starts from (static/js/countdown.js keeps it ticking)."""
    if not due_at:
        return ""
    delta = due_at - timezone.now().replace(microsecond=0)
    seconds = int(delta.total_seconds())
    past = seconds < 0
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        text = f"{days}天{hours}小时"
    elif hours:
        text = f"{hours}小时{minutes}分"
    else:
        text = f"{minutes}分"
    return f"已逾期 {text}" if past else f"剩余 {text}"


@register.filter
def is_past(due_at: datetime) -> bool:
    return bool(due_at) and due_at < timezone.now().replace(microsecond=0)


@register.filter
def cn_datetime(moment: datetime) -> str:
    """2024年5月17日 23:59:59 in Asia/Shanghai."""
    if not moment:
        return ""
    local = timezone.localtime(moment)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M:%S}"
