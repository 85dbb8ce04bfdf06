from django.apps import AppConfig


class ListingsConfig(AppConfig):
    name = "listings"
    verbose_name = "名单管理"

    def ready(self):
        from eligibility.facts import register

        from .facts import listing_records

        register(listing_records)
        from . import reminders  # noqa: F401  (registers the 动态管理表 deadline reminders with notices.reminders)
