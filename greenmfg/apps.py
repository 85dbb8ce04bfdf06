from django.apps import AppConfig


class GreenmfgConfig(AppConfig):
    name = "greenmfg"
    verbose_name = "绿色制造门户"
