"""The Celery app. Configured from Django settings (CELERY_* names); beat runs the sweep."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")

app = Celery("between")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
