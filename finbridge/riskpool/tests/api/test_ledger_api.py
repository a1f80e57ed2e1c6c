"""The ledger, risk and stress-test API: statements per pool, per bank and per period (also as CSV and .xlsx),
entries, the per-bank risk table and stress tests; banks see only their own lines and rows."""

from __future__ import annotations

import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from finbridge.accounts.choices import Role
from finbridge.riskpool.models import StressRun
from finbridge.riskpool.tests.api.support import outsider_bank_user, paid_claim, state

pytestmark = pytest.mark.django_db

BASE = "/api/v1/riskpool"


def test_the_pool_statement_balances(as_user, scenario):
    paid_claim(scenario, principal="500000.00")
    data = as_user(scenario.authority).get(f"{BASE}/pools/{scenario.pool.pk}/statement/").json()
    assert data["bank"] is None
    assert data["closing"]["cash"] == "9850000.00" and data["closing"]["payouts"] == "150000.00"
    assert [row["kind"] for row in data["rows"]] == ["capital", "payout"]
    assert data["rows"][-1]["cash_after"] == "9850000.00"


def test_a_bank_gets_only_its_own_statement(as_user, scenario):
    paid_claim(scenario)
    head = as_user(scenario.head_user)
    own = head.get(f"{BASE}/pools/{scenario.pool.pk}/statement/").json()
    assert own["bank"] == scenario.market.head.pk
    assert [row["kind"] for row in own["rows"]] == ["payout"]  # not the pool's capital
    other = head.get(f"{BASE}/pools/{scenario.pool.pk}/statement/", {"bank": scenario.market.other_bank.pk})
    assert other.status_code == 404
    entries = head.get(f"{BASE}/pools/{scenario.pool.pk}/entries/").json()
    assert [entry["kind"] for entry in entries["results"]] == ["payout"]
    authority = as_user(scenario.authority)
    for_bank = authority.get(f"{BASE}/pools/{scenario.pool.pk}/statement/", {"bank": scenario.market.head.pk}).json()
    assert [row["kind"] for row in for_bank["rows"]] == ["payout"]
    assert authority.get(f"{BASE}/pools/{scenario.pool.pk}/entries/", {"kind": "capital"}).json()["count"] == 1


def test_statements_by_period_and_bad_periods(as_user, scenario):
    client = as_user(scenario.authority)
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    later = client.get(f"{BASE}/pools/{scenario.pool.pk}/statement/", {"date_from": tomorrow}).json()
    assert later["rows"] == [] and later["opening"]["cash"] == "10000000.00"
    bad = client.get(f"{BASE}/pools/{scenario.pool.pk}/statement/", {"date_from": tomorrow, "date_to": "2000-01-01"})
    assert bad.status_code == 400 and "date_to" in bad.json()["fields"]
    assert client.get(f"{BASE}/pools/{scenario.pool.pk}/statement/", {"date_from": "soon"}).status_code == 400
    assert client.get(f"{BASE}/pools/{scenario.pool.pk}/statement/", {"bank": 999999}).status_code == 400
    assert client.get(f"{BASE}/pools/{scenario.pool.pk}/statement/", {"export": "pdf"}).status_code == 400
    assert client.get(f"{BASE}/pools/{scenario.pool.pk}/entries/", {"kind": "gift"}).status_code == 400


def test_statement_exports(as_user, scenario):
    paid_claim(scenario)
    client = as_user(scenario.authority)
    csv = client.get(f"{BASE}/pools/{scenario.pool.pk}/statement/", {"export": "csv"})
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    text = csv.content.decode("utf-8-sig")
    assert "150000.00" in text and "10000000.00" in text
    xlsx = client.get(f"{BASE}/pools/{scenario.pool.pk}/statement/", {"export": "xlsx"})
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == 1 + 2 + 2  # header, two entries, opening and closing


def test_ledger_of_hidden_pools_answers_404(as_user, scenario):
    outsider = as_user(outsider_bank_user())
    for path in ("statement", "entries", "risk", "stress-runs"):
        assert outsider.get(f"{BASE}/pools/{scenario.pool.pk}/{path}/").status_code == 404


def test_the_risk_table(as_user, scenario):
    paid_claim(scenario, principal="500000.00")
    rows = as_user(scenario.authority).get(f"{BASE}/pools/{scenario.pool.pk}/risk/").json()
    assert {row["bank"] for row in rows} == {scenario.market.head.pk, scenario.market.other_bank.pk}
    head = next(row for row in rows if row["bank"] == scenario.market.head.pk)
    assert head["claims"] == 1 and head["compensation"] == "150000.00"
    own = as_user(scenario.head_user).get(f"{BASE}/pools/{scenario.pool.pk}/risk/").json()
    assert [row["bank"] for row in own] == [scenario.market.head.pk]


def test_the_authority_runs_a_stress_test(as_user, scenario):
    for _ in range(3):
        scenario.enrol(scenario.make_loan())
    client = as_user(scenario.authority)
    response = client.post(
        f"{BASE}/pools/{scenario.pool.pk}/stress-runs/",
        {
            "scenarios": 500,
            "seed": 7,
            "risks": {"direct": {"probability_of_default": "0.05", "loss_rate": "0.6"}},
            "share_scales": ["0.5", "1.5"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    run = response.json()
    assert run["status"] == "done" and run["seed"] == 7
    base = run["results"]["base"]
    assert 0 <= base["run_out_probability"] <= 1 and base["histogram"]["counts"]
    assert [row["share_scale"] for row in run["results"]["sensitivity"]] == [0.5, 1.0, 1.5]
    listed = client.get(f"{BASE}/pools/{scenario.pool.pk}/stress-runs/").json()
    assert [item["id"] for item in listed["results"]] == [run["id"]]
    assert client.get(f"{BASE}/pools/{scenario.pool.pk}/stress-runs/{run['id']}/").status_code == 200
    assert client.get(f"{BASE}/pools/{scenario.pool.pk}/stress-runs/999999/").status_code == 404
    # Banks neither run nor read stress tests.
    head = as_user(scenario.head_user)
    assert head.get(f"{BASE}/pools/{scenario.pool.pk}/stress-runs/{run['id']}/").status_code == 404
    assert head.get(f"{BASE}/pools/{scenario.pool.pk}/stress-runs/").json()["results"] == []
    assert head.post(f"{BASE}/pools/{scenario.pool.pk}/stress-runs/", {}, format="json").status_code == 403


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"scenarios": 0}, "scenarios"),
        ({"risks": {"direct": {"probability_of_default": "1.5", "loss_rate": "0.5"}}}, "pd_direct"),
        ({"risks": {"moon": {"probability_of_default": "0.1", "loss_rate": "0.5"}}}, "risks"),
        ({"correlation": "1"}, "correlation"),
        ({"share_scales": ["9"]}, "share_scales"),
        ({"interest_months": 40}, "interest_months"),
    ],
)
def test_bad_stress_parameters_store_nothing(as_user, scenario, payload, field):
    scenario.enrol(scenario.make_loan())
    payload = {"risks": {"direct": {"probability_of_default": "0.05", "loss_rate": "0.6"}}, **payload}
    before = state()
    response = as_user(scenario.authority).post(f"{BASE}/pools/{scenario.pool.pk}/stress-runs/", payload, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"]
    assert state() == before
    assert StressRun.objects.count() == 0


def test_reviewers_run_stress_tests_viewers_do_not(as_user, scenario):
    payload = {"scenarios": 100, "risks": {"direct": {"probability_of_default": "0.05", "loss_rate": "0.6"}}}
    viewer = as_user(scenario.market.member("district", Role.VIEWER))
    assert viewer.post(f"{BASE}/pools/{scenario.pool.pk}/stress-runs/", payload, format="json").status_code == 403
    reviewer = as_user(scenario.market.member("district", Role.REVIEWER))
    assert reviewer.post(f"{BASE}/pools/{scenario.pool.pk}/stress-runs/", payload, format="json").status_code == 201
