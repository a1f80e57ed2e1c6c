"""The league-table page, its .xlsx export and GET /api/v1/league-table/: who may, what they show."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from finbridge.accounts.choices import Role
from finbridge.analytics.tests.conftest import END, START

pytestmark = pytest.mark.django_db

PAGE = reverse("analytics:league-table")
EXPORT = reverse("analytics:league-table-export")
API = "/api/v1/league-table/"
PERIOD = {"start": START.isoformat(), "end": END.isoformat()}


@pytest.mark.parametrize(
    ("org_name", "role", "status"),
    [
        ("district", Role.VIEWER, 200),
        ("ia_c", Role.STAFF, 200),
        ("so_s1", Role.VIEWER, 200),
        ("other_bank", Role.VIEWER, 200),
        ("scitech", Role.REVIEWER, 200),
        ("msme", Role.ADMIN, 403),
        ("guarantor", Role.ADMIN, 403),
        ("insurer", Role.STAFF, 403),
    ],
)
def test_permission_matrix(client, api_client, ledger, org_name, role, status):
    user = ledger["market"].member(org_name, role)
    client.force_login(user)
    assert client.get(PAGE, PERIOD).status_code == status
    assert client.get(EXPORT, PERIOD).status_code == status
    api_client.force_authenticate(user)
    assert api_client.get(API, PERIOD).status_code == status


def test_anonymous(client, api_client, ledger):
    assert client.get(PAGE).status_code == 302
    assert api_client.get(API).status_code == 401


def test_the_page_ranks_every_bank_with_charts(client, ledger):
    market = ledger["market"]
    client.force_login(market.other_bank_user)  # a bank sees the whole ranking, other banks' names included
    response = client.get(PAGE, {**PERIOD, "sort": "npl_ratio"})
    assert response.status_code == 200
    page = response.content.decode()
    rows = response.context["rows"]
    assert [row.unit for row in rows] == [market.head, market.other_bank]  # lower non-performing ratio first
    assert market.head.display_name in page and market.other_bank.display_name in page
    assert "3.9%" in page  # the head office's 3.94% non-performing ratio, to one place
    assert "vendor/echarts/echarts.min.js" in page and 'id="league-charts"' in page
    charts = json.loads(page.split('id="league-charts" type="application/json">')[1].split("</script>")[0])
    balance = next(chart for chart in charts if chart["key"] == "inclusive_balance_end")
    assert balance["names"] == [market.other_bank.display_name, market.head.display_name]
    assert balance["values"] == [950.0, 470.0]  # ten-thousand yuan
    assert re.search(r"\bL[1-9]\b", page) is None  # no loan rows (references L1…L9) on the comparison


def test_the_branch_level_and_the_scitech_filter(client, ledger):
    market = ledger["market"]
    client.force_login(market.district_user)
    response = client.get(PAGE, {**PERIOD, "level": "branch", "sort": "inclusive_balance_end"})
    units = [row.unit for row in response.context["rows"]]
    assert units == [market.other_bank, market.scitech, market.branch, market.head]
    only = client.get(PAGE, {**PERIOD, "level": "branch", "scitech": "on"})
    assert [row.unit for row in only.context["rows"]] == [market.scitech]
    assert "Sci-tech branch" in only.content.decode()


def test_a_bad_period_comes_back_on_the_form(client, ledger):
    client.force_login(ledger["market"].district_user)
    response = client.get(PAGE, {"start": "2026-07-01", "end": "2026-06-30"})
    assert response.status_code == 400
    assert "must start on or before its end" in response.content.decode()
    assert client.get(EXPORT, {"start": "2026-07-01", "end": "2026-06-30"}).status_code == 400
    default = client.get(PAGE)  # no parameters: the last twelve months
    assert default.status_code == 200 and default.context["table"] is not None


@pytest.mark.parametrize(("language", "title"), [("en", "Inclusive loan balance (CNY)"), ("zh-hans", None)])
def test_the_export(client, ledger, language, title):
    market = ledger["market"]
    client.force_login(market.district_user)
    response = client.get(EXPORT, {**PERIOD, "sort": "inclusive_balance_end"}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="league-table-bank-20260101-20260630.xlsx"'
    workbook = load_workbook(io.BytesIO(response.content))
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    header = rows[0]
    if title:
        assert header[:2] == ("Rank", "Bank") and title in header
    else:
        assert (header[1], header[2]) == ("银行", "总行")  # titled in the active language
    column = header.index(title) if title else 4
    assert rows[1][:2] == (1, market.other_bank.display_name) and rows[1][column] == 9500000.0
    assert rows[2][:2] == (2, market.head.display_name) and rows[2][column] == 4700000.0
    assert rows[3][column] == 14200000.0  # all banks
    assert len(workbook.worksheets) == 2


def test_the_api(api_client, ledger):
    market = ledger["market"]
    api_client.force_authenticate(market.head_user)
    body = api_client.get(API, {**PERIOD, "level": "bank", "sort": "take_up_rate"}).json()
    assert (body["start"], body["end"], body["opening"], body["as_of"]) == (
        "2026-01-01",
        "2026-06-30",
        "2025-12-31",
        "2026-06-30",
    )
    assert [(row["id"], row["rank"]) for row in body["rows"]] == [(market.head.pk, 1), (market.other_bank.pk, 2)]
    head = body["rows"][0]
    assert head["inclusive_balance_end"] == "4700000.00" and head["npl_ratio"] == "0.0394"
    assert head["take_up_rate"] == "0.6000" and head["take_up_denominator"] == 5
    assert head["median_days_to_money"] == "7.5" and head["average_rate"] == "0.032435"
    assert body["totals"]["balance_end"] == "23200000.00" and body["totals"]["msme_borrowers"] is None
    branches = api_client.get(API, {**PERIOD, "level": "branch"}).json()["rows"]
    scitech = next(row for row in branches if row["id"] == market.scitech.pk)
    assert scitech["is_scitech"] is True and scitech["bank_id"] == market.head.pk
    assert scitech["inclusive_growth_rate"] == "1.3333"
    for bad in ({"level": "office"}, {"start": "2026-07-01", **{"end": "2026-06-30"}}, {"sort": "x"}, {"order": "up"}):
        response = api_client.get(API, {**PERIOD, **bad})
        assert response.status_code == 400 and set(response.json()) == {"code", "message", "fields"}


def test_the_schema_describes_the_league_table(api_client, ledger):
    api_client.force_authenticate(ledger["market"].district_user)
    paths = api_client.get("/api/schema/", {"format": "json"}).json()["paths"]
    assert "/api/v1/league-table/" in paths
