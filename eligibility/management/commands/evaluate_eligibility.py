import time

from django.core.management.base import BaseCommand, CommandError

from eligibility.services import evaluate_notice
from notices.models import Notice


class Command(BaseCommand):
    help = "按通知批量进行资格审查（事实和规则集未变的申报沿用上次结果）"

    def add_arguments(self, parser):
        parser.add_argument("--notice", type=int, action="append", help="通知编号，可重复；不填则全部已发布通知")
        parser.add_argument("--force", action="store_true", help="不沿用旧结果，全部重新计算")

    def handle(self, *args, **options):
        ids = options["notice"] or list(Notice.objects.exclude(status=Notice.Status.DRAFT).values_list("pk", flat=True))
        missing = set(ids) - set(Notice.objects.filter(pk__in=ids).values_list("pk", flat=True))
        if missing:
            raise CommandError(f"通知不存在：{sorted(missing)}")
        started, total = time.perf_counter(), 0
        for notice_id in ids:
            n = evaluate_notice(notice_id, force=options["force"])
            total += n
            self.stdout.write(f"  通知 {notice_id}：{n} 件")
        seconds = time.perf_counter() - started
        rate = total / seconds if seconds else 0
        self.stdout.write(self.style.SUCCESS(f"共审查 {total} 件，用时 {seconds:.1f} 秒（{rate:.0f} 件/秒）。"))
