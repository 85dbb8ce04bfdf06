import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "greenmfg.settings")

app = Celery("greenmfg")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
