"""Every string ships in Simplified Chinese and English: no untranslated, fuzzy or stale entry."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
ZH_PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdfr]|\{(\w+)\}")


def _catalog(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def _ids(message) -> list[str]:
    return list(message.id) if isinstance(message.id, tuple) else [message.id]


def _strs(message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple) else [message.string]


def test_every_chinese_entry_is_translated_and_not_fuzzy():
    catalog = _catalog(ZH_PO)
    untranslated = [m.id for m in catalog if m.id and not all(_strs(m))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [], f"untranslated: {untranslated[:20]}"
    assert fuzzy == [], f"fuzzy: {fuzzy[:20]}"


def test_chinese_entries_keep_their_named_placeholders():
    catalog = _catalog(ZH_PO)
    broken = []
    for message in catalog:
        if not message.id:
            continue
        wanted = {p for m in PLACEHOLDER.findall(" ".join(_ids(message))) for p in m if p}
        for text in _strs(message):
            found = {p for m in PLACEHOLDER.findall(text) for p in m if p}
            if text and found != wanted:
                broken.append((message.id, text))
    assert broken == []


def test_catalog_holds_every_string_in_the_code(tmp_path):
    """Extract the strings afresh (as `make messages` does) and compare with the committed catalog."""
    work = tmp_path / "tree"
    shutil.copytree(
        ROOT,
        work,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "staticfiles", "media", "*.sqlite3", "__pycache__", "node_modules"
        ),
    )
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--locale", "zh_Hans", "--no-obsolete", "--ignore", "tests/*"],
        cwd=work,
        check=True,
        capture_output=True,
        env={"DJANGO_SETTINGS_MODULE": "config.settings.test", "PATH": "/usr/bin:/bin"},
    )
    fresh = {m.id for m in _catalog(work / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po") if m.id}
    committed = {m.id for m in _catalog(ZH_PO) if m.id}
    missing = sorted(map(str, fresh - committed))
    assert missing == [], f"strings missing from {ZH_PO.name} (run `make messages` and translate): {missing[:20]}"
