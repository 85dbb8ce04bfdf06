from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = "文书"

    def ready(self):
        from . import fonts

        # before any renderer imports WeasyPrint (pango reads FONTCONFIG_FILE once, at load)
        fonts.configure()
