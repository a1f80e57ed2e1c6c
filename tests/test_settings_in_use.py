"""The suite runs with config.settings.test, whatever DJANGO_SETTINGS_MODULE the shell exported."""

import os

from django.conf import settings


def test_the_suite_runs_with_the_test_settings():
    # The Makefile exports config.settings.base for manage.py, and an environment variable outranks
    # pyproject's DJANGO_SETTINGS_MODULE, so `make test` passes --ds. With the base settings every user a
    # factory makes costs a full PBKDF2 hash: the suite ran three times slower.
    assert os.environ["DJANGO_SETTINGS_MODULE"] == "config.settings.test"
    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]
