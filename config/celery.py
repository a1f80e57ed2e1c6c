"""Celery application. Tasks run eagerly in-process unless CELERY_TASK_ALWAYS_EAGER is turned off."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("finbridge")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
