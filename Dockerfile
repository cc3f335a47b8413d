# One image for the web server (gunicorn), the Celery worker and Celery beat; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=ordermgmt.settings.production \
    DJANGO_MEDIA_ROOT=/app/var/media

WORKDIR /app

# Dependencies first, so a source change does not reinstall them. pyproject.toml declares `packages = []`:
# `pip install .` installs the pinned dependencies and no code (the source is copied below).
COPY pyproject.toml ./
RUN pip install . && rm -rf build *.egg-info

# Only what runs in production: no .venv, node_modules, var/, tests or local .env from the build context.
COPY manage.py gunicorn.conf.py ./
COPY ordermgmt ./ordermgmt
COPY approvals ./approvals
COPY licenses ./licenses
COPY subscriptions ./subscriptions
COPY kpis ./kpis
COPY templates ./templates
COPY static ./static

# Production settings refuse to load without these; collectstatic needs neither a database nor a broker,
# so build-only placeholders are enough (the real values come from the environment at run time).
RUN DJANGO_SECRET_KEY=collectstatic-build-only \
    DATABASE_URL=sqlite:////tmp/collectstatic.sqlite3 \
    CELERY_BROKER_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --noinput

# Unprivileged user. The media directory exists (owned by it) before the volume is mounted, so a new named
# volume starts with the same owner.
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home app \
    && mkdir -p /app/var/media \
    && chown -R app:app /app/var
USER app

EXPOSE 8000
CMD ["gunicorn", "ordermgmt.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
