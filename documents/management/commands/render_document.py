"""Render one document to a file, in this process: for operators checking a layout or a font, and for benchmarks.

    python manage.py render_document batch_summary 12 --out 推荐汇总表.xlsx
    python manage.py render_document notice_summary 3 --scope 7
Nothing is stored and no number is allocated: a letter needs its 发文字号 from a request in the portal first.
"""

import time
from pathlib import Path

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from documents.kinds import KINDS
from organizations.models import Organization


class Command(BaseCommand):
    help = "在本进程中生成一份文书并写入文件（不入库）。"

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(KINDS))
        parser.add_argument("owner_id", type=int)
        parser.add_argument("--scope", type=int, help="通知级文书的单位编号")
        parser.add_argument("--out", help="输出文件，默认为当前目录下的 <类型>-<编号>.<扩展名>")

    def handle(self, *args, kind, owner_id, scope=None, out=None, **options):
        spec = KINDS[kind]
        owner = apps.get_model(spec.owner).objects.filter(pk=owner_id).first()
        if owner is None:
            raise CommandError(f"{spec.owner} #{owner_id} 不存在。")
        if spec.scope:
            org = getattr(owner, spec.scope)
        elif scope is None:
            raise CommandError("该文书须用 --scope 指明单位编号。")
        else:
            org = Organization.objects.filter(pk=scope).first()
            if org is None:
                raise CommandError(f"单位 #{scope} 不存在。")
        started = time.perf_counter()
        try:
            data = spec.builder()(owner, org)
            built = time.perf_counter()
            content = spec.renderer()(data)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        done = time.perf_counter()
        path = Path(out or f"{kind}-{owner_id}.{spec.ext}")
        path.write_bytes(content)
        self.stdout.write(f"{path}  {len(content)} 字节  读取数据 {built - started:.3f} 秒，生成 {done - built:.3f} 秒")
