import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "greenmfg.settings")
application = get_wsgi_application()

from greenmfg.process import settle  # noqa: E402 -- only once Django is set up

settle()
