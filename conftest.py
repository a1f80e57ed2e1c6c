"""Shared pytest fixtures."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent


def pytest_configure(config):
    """Compile the message catalogs (as `make compilemessages` does) so pages render in both languages."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in (ROOT / "locale").glob("*/LC_MESSAGES/django.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=po_path.parent.parent.name)
        with mo_path.open("wb") as handle:
            write_mo(handle, catalog)


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    """Tests read English messages unless they switch language on purpose."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()
