from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from eligibility.imports import credit_records_import, kind_from_text, kinds_help, row_errors, row_notes


class Command(BaseCommand):
    help = "从 xlsx 或 CSV 文件导入信用记录（失信被执行人、经营异常名录、整改名单、事故记录、名单等）；重复导入不会改变数据"

    def add_arguments(self, parser):
        parser.add_argument("file", help="xlsx 或 CSV 文件（按内容识别，与扩展名无关）")
        parser.add_argument("--kind", required=True, help=f"记录类型，代码或中文名称：{kinds_help()}")
        parser.add_argument("--source", default="", help="默认来源（文件中“来源”列为空时使用）")

    def handle(self, *args, **options):
        kind = kind_from_text(options["kind"])
        if kind is None:
            raise CommandError(f"未知的记录类型“{options['kind']}”。可选：{kinds_help()}")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件“{path}”不存在或不是文件。")
        try:
            batch = credit_records_import(actor=None, kind=kind, upload_or_path=path, source_default=options["source"])
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        errors, notes = row_errors(batch), row_notes(batch)
        self.stdout.write(
            f"{batch.get_kind_display()}：共{batch.rows_total}行，导入{batch.rows_loaded}条，"
            f"重复跳过{batch.rows_skipped}条，错误{len(errors)}行。"
        )
        for e in errors:
            self.stdout.write(f"  第{e['row']}行：{e['reason']}")
        for e in notes:
            self.stdout.write(f"  第{e['row']}行（提示）：{e['reason']}")
        style = self.style.WARNING if errors else self.style.SUCCESS
        self.stdout.write(style(f"导入批次 #{batch.pk} 已记录。"))
