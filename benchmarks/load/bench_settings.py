"""Settings of the load benchmark's web and worker processes: the product settings, production-like.

Everything comes from the environment run.py sets (DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY, MEDIA_ROOT,
STATIC_ROOT, CACHE_URL); this module only pins what must hold whatever the caller's environment says.
"""

from greenmfg.settings import *  # noqa: F403

DEBUG = False
# Plain HTTP on 127.0.0.1: a Secure cookie would never come back from the load client.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# Mail goes nowhere; the outbox rows are still written by the services.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
