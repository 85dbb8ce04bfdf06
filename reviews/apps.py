from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "审核推荐"

    def ready(self):
        from eligibility.facts import register

        from .facts import consultation_objections

        register(consultation_objections)
