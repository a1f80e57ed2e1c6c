"""Pages of the statement (pool, bank, period; CSV and .xlsx), the risk table and the stress test."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from finbridge.accounts.choices import Role
from finbridge.riskpool.models import StressRun
from finbridge.riskpool.services.members import member_suspend
from finbridge.riskpool.tests.api.support import outsider_bank_user, paid_claim, state

pytestmark = pytest.mark.django_db


def test_the_pool_statement_and_its_exports(as_user, scenario):
    paid_claim(scenario)
    client = as_user(scenario.authority)
    url = reverse("riskpool:statement", args=[scenario.pool.pk])
    page = client.get(url).content.decode()
    assert page.count('data-testid="statement-row"') == 2 and 'data-testid="export-xlsx"' in page
    by_bank = client.get(url, {"bank": scenario.market.head.pk}).content.decode()
    assert by_bank.count('data-testid="statement-row"') == 1
    csv = client.get(url, {"export": "csv"})
    assert csv["Content-Type"].startswith("text/csv") and "10000000.00" in csv.content.decode("utf-8-sig")
    xlsx = client.get(url, {"export": "xlsx", "bank": scenario.market.head.pk})
    assert load_workbook(io.BytesIO(xlsx.content)).active.max_row == 1 + 1 + 2


def test_statement_periods(as_user, scenario):
    client = as_user(scenario.authority)
    url = reverse("riskpool:statement", args=[scenario.pool.pk])
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    later = client.get(url, {"date_from": tomorrow}).content.decode()
    assert 'data-testid="empty"' in later
    bad = client.get(url, {"date_from": tomorrow, "date_to": "2000-01-01"})
    assert bad.status_code == 400 and 'data-testid="error-date_to"' in bad.content.decode()


def test_a_bank_sees_only_its_statement(as_user, scenario):
    paid_claim(scenario)
    client = as_user(scenario.head_user)
    page = client.get(reverse("riskpool:statement", args=[scenario.pool.pk])).content.decode()
    assert page.count('data-testid="statement-row"') == 1 and 'id="id_bank"' not in page
    assert as_user(outsider_bank_user()).get(reverse("riskpool:statement", args=[scenario.pool.pk])).status_code == 404
    insurer = as_user(scenario.market.insurer_user).get(reverse("riskpool:statement", args=[scenario.pool.pk]))
    assert 'data-testid="statement-row"' not in insurer.content.decode()  # a member: its own (empty) lines


def test_the_risk_page(as_user, scenario):
    paid_claim(scenario)
    member_suspend(actor=scenario.authority, member=scenario.other_member, note="核查")
    page = as_user(scenario.authority).get(reverse("riskpool:risk", args=[scenario.pool.pk])).content.decode()
    assert page.count('data-testid="risk-row"') == 2 and 'data-testid="row-suspended"' in page
    assert "核查" in page and 'data-testid="alerts"' in page
    bank = as_user(scenario.head_user).get(reverse("riskpool:risk", args=[scenario.pool.pk])).content.decode()
    assert bank.count('data-testid="risk-row"') == 1 and "核查" not in bank


def test_the_stress_page(as_user, scenario):
    for _ in range(2):
        scenario.enrol(scenario.make_loan())
    client = as_user(scenario.authority)
    url = reverse("riskpool:stress", args=[scenario.pool.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="stress-form"' in page and 'id="id_pd_direct"' in page
    data = {
        "scenarios": "300",
        "seed": "5",
        "pd_direct": "5",
        "loss_rate_direct": "60",
        "correlation_percent": "10",
        "share_scales": "0.5, 1.5",
        "interest_months": "3",
        "use_history": "",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    run = StressRun.objects.get()
    result = client.get(reverse("riskpool:stress-run", args=[scenario.pool.pk, run.pk])).content.decode()
    assert 'data-testid="chart-histogram"' in result and 'id="stress-chart"' in result
    assert 'data-testid="sensitivity-table"' in result
    latest = client.get(url).content.decode()
    assert 'data-testid="stress-runs"' in latest


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"scenarios": "0"}, "scenarios"),
        ({"pd_direct": "150"}, "pd_direct"),
        ({"pd_direct": ""}, "pd_direct"),
        ({"correlation_percent": "100"}, "correlation_percent"),
        ({"share_scales": "a, b"}, "share_scales"),
    ],
)
def test_bad_stress_parameters_show_errors(as_user, scenario, overrides, field):
    scenario.enrol(scenario.make_loan())
    data = {
        "scenarios": "100",
        "pd_direct": "5",
        "loss_rate_direct": "60",
        "correlation_percent": "10",
        "share_scales": "1",
        "interest_months": "3",
        **overrides,
    }
    before = state()
    response = as_user(scenario.authority).post(reverse("riskpool:stress", args=[scenario.pool.pk]), data)
    assert response.status_code == 400
    assert f'data-testid="error-{field}"' in response.content.decode()
    assert state() == before


def test_stress_tests_are_for_government(as_user, scenario):
    url = reverse("riskpool:stress", args=[scenario.pool.pk])
    assert as_user(scenario.head_user).get(url).status_code == 404
    viewer = as_user(scenario.market.member("district", Role.VIEWER))
    page = viewer.get(url).content.decode()
    assert 'data-testid="stress-form"' not in page
    assert viewer.post(url, {"scenarios": "10"}).status_code == 403
    assert as_user(scenario.market.ia_user).get(url).status_code == 200
