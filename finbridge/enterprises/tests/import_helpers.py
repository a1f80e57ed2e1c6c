"""Helpers for the bulk import tests: build .xlsx and .csv files, read .xlsx answers back."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook, load_workbook

from finbridge.accounts.choices import OrgType, Role
from finbridge.accounts.tests.factories import member_of
from finbridge.enterprises.tests.factories import valid_uscc

HEADER = ["uscc", "name", "subdistrict", "industry_code", "employees", "annual_revenue", "total_assets"]


def xlsx_bytes(rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_text(rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def xlsx_rows(content: bytes, sheet: int = 0) -> list[tuple[Any, ...]]:
    workbook = load_workbook(io.BytesIO(content))
    return [tuple(row) for row in workbook.worksheets[sheet].iter_rows(values_only=True)]


def good_row(n: int, subdistrict_code: str, **changes: Any) -> list[Any]:
    """A valid row of HEADER for enterprise number n in the given subdistrict."""
    values = {
        "uscc": valid_uscc(n),
        "name": f"深圳市坪山导入测试有限公司{n}",
        "subdistrict": subdistrict_code,
        "industry_code": "C3670",
        "employees": 50,
        "annual_revenue": 30000000,
        "total_assets": 20000000,
        **changes,
    }
    return [values[name] for name in HEADER]


def subdistrict_staff(role: str = Role.STAFF):
    """(user, organisation) of a subdistrict office."""
    user = member_of(OrgType.SUBDISTRICT_OFFICE, role)
    return user, user.memberships.get().organization
