"""A national-scale data set for benchmarks and scale tests (greenmfg.scale), built fast with bulk_create.

    python manage.py seed_scale --applications 20000 [--seed 1] [--notice-year 2030] [--force]

Organizations carry MARK in their address and are built once per database; a later --notice-year reuses them
(adding applicants when it needs more). A second run for the same year is refused; with --force that year's seeded
notices, applications (with declarations, engagements, referrals, evaluations, panels and grants) and credit records
are deleted first and built again. With DEBUG off the command refuses a database whose name does not look like a
test or benchmark database (test, bench, scale, seed, tmp, an in-memory or /tmp SQLite file) unless --force.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from greenmfg.scale import MARK, Builder, database_problem
from notices.models import Notice

__all__ = ["MARK", "Command"]


class Command(BaseCommand):
    help = "生成全国规模的基准测试数据（bulk_create，不写审计和通知；同一年度重复运行须加 --force）"

    def add_arguments(self, parser):
        parser.add_argument("--applications", type=int, default=20000, help="申报数量（默认 20000）")
        parser.add_argument("--seed", type=int, default=1, help="随机种子（默认 1）")
        parser.add_argument("--notice-year", type=int, default=2030, help="通知年度（默认 2030）")
        parser.add_argument(
            "--force", action="store_true", help="该年度已生成过时先删除再重建；并允许写入不像测试库的数据库"
        )

    def handle(self, *args, **options):
        n, year, force = options["applications"], options["notice_year"], options["force"]
        if n < 1:
            raise CommandError("--applications 至少为 1。")
        if not 2000 <= year <= 2100:
            raise CommandError("--notice-year 应在 2000 至 2100 之间。")
        problem = database_problem()
        if problem and not force:
            raise CommandError(f"{problem}：为免误写生产库，拒绝生成。确需生成请加 --force。")
        existing = Notice.objects.filter(year=year, issuer__address=MARK).exists()
        if existing and not force:
            raise CommandError(f"本数据库已生成过{year}年度的规模测试数据；如需删除后重建，请加 --force。")
        started = time.perf_counter()
        builder = Builder(seed=options["seed"], year=year)
        counts = builder.run(n, rebuild=existing)
        total = time.perf_counter() - started
        self.stdout.write("  ".join(f"{k} {v}" for k, v in counts.items()))
        for label, seconds in builder.timings:
            self.stdout.write(f"  {label:<12} {seconds:6.2f} 秒")
        self.stdout.write(
            self.style.SUCCESS(f"{year}年度规模测试数据就绪：{counts['申报']} 件申报，用时 {total:.1f} 秒。")
        )
