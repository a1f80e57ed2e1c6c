"""The national industry classification GB/T 4754-2017, read once from the shipped CSV.

Codes are accepted at any level: section `C`, division `C36`, group `C367`, class `C3670`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.utils.translation import get_language

DATA_FILE = Path(__file__).resolve().parent / "data" / "gbt4754_2017.csv"


@dataclass(frozen=True)
class Industry:
    code: str
    level: str
    parent: str
    name_zh: str
    name_en: str

    @property
    def name(self) -> str:
        """The name in the active language."""
        return self.name_zh if (get_language() or "zh-hans").startswith("zh") else self.name_en

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


@lru_cache(maxsize=1)
def all_industries() -> dict[str, Industry]:
    """Every category of the classification by code, in file order."""
    with DATA_FILE.open(encoding="utf-8", newline="") as handle:
        return {row["code"]: Industry(**row) for row in csv.DictReader(handle)}


def normalize_industry_code(raw: str) -> str:
    """Upper-case and strip a code as typed (`c 3670` -> `C3670`)."""
    return "".join(str(raw).split()).upper()


def industry_get(code: str) -> Industry | None:
    """The category for a code at any level, or None when the classification has no such code."""
    return all_industries().get(normalize_industry_code(code))


def industry_choices(levels: tuple[str, ...] = ("section", "division")) -> list[tuple[str, str]]:
    """(code, "code name") pairs of the given levels, for select boxes."""
    return [(i.code, str(i)) for i in all_industries().values() if i.level in levels]
