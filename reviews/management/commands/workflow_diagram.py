from django.core.management.base import BaseCommand

from reviews.workflow import mermaid


class Command(BaseCommand):
    help = "以 Mermaid 状态图输出申报流转表（reviews/workflow.py）"

    def handle(self, *args, **options):
        self.stdout.write("```mermaid\n" + mermaid() + "\n```")
