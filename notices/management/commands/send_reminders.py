from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from notices.reminders import reminders_send


def parse_now(value: str) -> datetime:
    """Beijing time by default; an explicit offset (+08:00, Z) is honoured."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(
            f"--now 的时间“{value}”无法识别，格式应为 YYYY-MM-DD HH:MM:SS（北京时间），如 2024-05-10 09:00:00。"
        ) from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class Command(BaseCommand):
    help = "发送截止提醒（截止前7、3、1天；重复运行不会重复发送）"

    def add_arguments(self, parser):
        parser.add_argument("--now", help="以该时刻（北京时间，YYYY-MM-DD HH:MM:SS）计算，用于核对")

    def handle(self, *args, **options):
        now = parse_now(options["now"]) if options["now"] else None
        sent = reminders_send(now)
        for r in sent:
            self.stdout.write(f"  {r.organization}：距截止不足{r.days_before}天（{r.kind}）")
        self.stdout.write(self.style.SUCCESS(f"已发送 {len(sent)} 条提醒。"))
