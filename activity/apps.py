from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "activity"
    verbose_name = "审计与通知"

    def ready(self):
        from . import receivers  # noqa: F401
