import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "greenmfg.settings")

app = Celery("greenmfg")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _settle(**_kwargs):
    """A worker process renders documents all its life: load the renderers' modules, then keep the collector off
    everything loaded so far (the merged PDF's own gc.collect walked it all, ~40 ms of a ~220 ms document)."""
    import weasyprint  # noqa: F401 -- loaded now, so it is frozen with the rest

    import documents.renderers.merged_pdf  # noqa: F401
    from greenmfg.process import settle

    settle()
