# Production image: gunicorn web, Celery worker and beat all run from it (see docker-compose.yml).
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/opt/venv
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends fonts-noto-cjk fonts-arphic-ukai poppler-utils \
      libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 libreoffice-writer-nogui libreoffice-calc-nogui \
 && rm -rf /var/lib/apt/lists/* \
 && pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev
COPY . .
ENV PATH=/opt/venv/bin:$PATH DJANGO_SETTINGS_MODULE=greenmfg.settings
RUN SECRET_KEY=collectstatic DATABASE_URL=postgres://build@localhost/build python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "greenmfg.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120"]
