from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = "申报"

    def ready(self):
        from notices.reminders import register

        from .reminders import applicants_with_drafts, assessors_with_reports_due

        register(applicants_with_drafts)
        register(assessors_with_reports_due)
