"""Shared pytest fixtures."""

import pytest


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    """Tests read English messages unless they switch language on purpose."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()
