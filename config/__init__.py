"""Django settings, URLs, the Celery app and the event-store configuration."""

from config.celery import app as celery_app

__all__ = ["celery_app"]
