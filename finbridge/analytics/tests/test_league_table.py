"""League-table figures checked against numbers computed by hand from the fixture (conftest.py), period
2026-01-01 to 2026-06-30 (opening balances: end of 2025-12-31; deadlines judged on 2026-06-30).

The ledger, by bank:

Demo Bank (head office "head", branches "branch" and "scitech"):
  L5 branch → factory   1,000,000  2025-03-01, 12 m (matures 2026-03-01), 4.5%, never reported: 1,000,000 at the
                        opening, 0 at the end (matured). Inclusive.
  L1 scitech → factory  2,000,000  2025-10-15, 4.0%, credit. Reports 2025-12: 1,800,000 normal; 2026-06: 1,200,000
                        special mention; 2026-08: 900,000 substandard (after the period: the end uses 2026-06).
                        Opening 1,800,000, end 1,200,000 (not non-performing). Inclusive (total credit 3,000,000).
  L2 scitech → factory  3,000,000  2026-02-10, 24 m, 3.6%, renewal (so not first-time), funds demand d1 (published
                        2026-02-02: 8 days). Total credit 1,800,000 (L1) + 1,000,000 (L5) + 3,000,000: inclusive.
  L3 branch → shop        500,000  2026-03-01, 6 m, 5.0%, credit, first-time. Report 2026-05: 500,000 doubtful.
  L4 head → medium      8,000,000  2026-04-20, 12 m, 3.0%, declared not first-time, funds d9 (2026-04-13: 7 days).
                        Medium borrower: not inclusive; SRDI: technology enterprise.
  L6 scitech → factory    600,000  2026-07-05: after the period (no flow, no balance).
Other Bank (head office lending itself):
  L7 → software         9,000,000  2025-06-01, 24 m, 4.2%. Reports 2026-01: 8,000,000; 2026-06: 7,500,000 loss.
                        Opening 9,000,000 (no report on or before 2025-12-31: the amount), end 7,500,000.
  L8 → software         2,000,000  2026-05-10, 3.9%, credit, renewal without repayment, funds d3 (2026-04-01: 39
                        days). Total credit 8,000,000 (L7 in 2026-01) + 2,000,000 = exactly 10,000,000.00: inclusive.
  L9 → medium           1,000,000  2026-06-30 (the last day counts), 5.0%, not first-time (L4 came before).
The factory is high-tech; the software firm and the shop have no technology label.

Demands published in the period: d1 (all), d2 (chosen: head), d3 (all), d4 (chosen: other bank, unanswered),
d5 (all, withdrawn before its deadline: left out), d7 (chosen: scitech), d8 (all, deadline 2026-07-01: not due),
d9 (all). d6 was published after the period. Answers: d1 scitech take-up disbursed, other bank pass (late);
d2 branch take-up declined; d3 other bank take-up disbursed; d7 scitech pass; d8 other bank take-up under review;
d9 head take-up disbursed.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from finbridge.accounts.choices import Role
from finbridge.analytics.selectors import BANK, BRANCH, Period, compute_league_table, league_table, ranked
from finbridge.analytics.tests.conftest import END, START
from finbridge.core.errors import PermissionDenied, ValidationFailed

D = Decimal

pytestmark = pytest.mark.django_db

# Every figure, by hand. Ratios are rounded to four places, rates to six, medians to one.
BANK_LEVEL = {
    "head": {
        "inclusive_balance_end": D("4700000.00"),  # L1 1,200,000 + L2 3,000,000 + L3 500,000 + L5 0
        "inclusive_balance_start": D("2800000.00"),  # L1 1,800,000 + L5 1,000,000
        "inclusive_growth": D("1900000.00"),
        "inclusive_growth_rate": D("0.6786"),  # 1.9 / 2.8
        "balance_end": D("12700000.00"),  # 1,200,000 + 3,000,000 + 500,000 + 8,000,000
        "npl_balance_end": D("500000.00"),  # L3 doubtful
        "npl_ratio": D("0.0394"),  # 0.5 / 12.7
        "tech_balance": D("12200000.00"),  # L1 + L2 + L4
        "msme_borrowers": 3,  # factory, shop, medium (L5's balance is 0 but the factory has L1, L2)
        "loans_count": 3,  # L2, L3, L4
        "loans_amount": D("11500000.00"),
        "first_time_count": 1,  # L3
        "first_time_amount": D("500000.00"),
        "renewal_count": 1,  # L2
        "renewal_amount": D("3000000.00"),
        "renewal_without_repayment_count": 0,
        "credit_share": D("0.0435"),  # 0.5 / 11.5
        "tech_count": 2,  # L2, L4
        "tech_amount": D("11000000.00"),
        "average_rate": D("0.032435"),  # (108,000 + 25,000 + 240,000) / 11,500,000
        "responses": 4,  # d1, d2, d7, d9
        "response_compliance": D("1.0000"),
        "take_up_rate": D("0.6000"),  # d1, d2, d9 of {d1, d2, d3, d7, d9}
        "approval_rate": D("0.6667"),  # d1, d9 of d1, d2, d9
        "median_days_to_money": D("7.5"),  # 7 (L4) and 8 (L2)
    },
    "other_bank": {
        "inclusive_balance_end": D("9500000.00"),  # L7 7,500,000 + L8 2,000,000
        "inclusive_balance_start": D("9000000.00"),  # L7's amount
        "inclusive_growth": D("500000.00"),
        "inclusive_growth_rate": D("0.0556"),
        "balance_end": D("10500000.00"),
        "npl_balance_end": D("7500000.00"),  # L7 loss
        "npl_ratio": D("0.7143"),
        "tech_balance": D("1000000.00"),  # L9
        "msme_borrowers": 2,  # software, medium
        "loans_count": 2,  # L8, L9
        "loans_amount": D("3000000.00"),
        "first_time_count": 0,
        "first_time_amount": D("0.00"),
        "renewal_count": 1,
        "renewal_amount": D("2000000.00"),
        "renewal_without_repayment_count": 1,
        "credit_share": D("0.6667"),
        "tech_count": 1,
        "tech_amount": D("1000000.00"),
        "average_rate": D("0.042667"),  # (78,000 + 50,000) / 3,000,000
        "responses": 3,  # d1 (late), d3, d8
        "response_compliance": D("0.6667"),
        "take_up_rate": D("0.4000"),  # d3, d8 of {d1, d3, d4, d8, d9}
        "approval_rate": D("1.0000"),  # d3 of d3 (d8 is under review)
        "median_days_to_money": D("39.0"),
    },
}

BRANCH_LEVEL = {
    "head": {  # the head office's own lending and answers: L4, d9
        "inclusive_balance_end": D("0.00"),
        "inclusive_growth_rate": None,
        "balance_end": D("8000000.00"),
        "npl_ratio": D("0.0000"),
        "msme_borrowers": 1,
        "loans_count": 1,
        "first_time_count": 0,
        "tech_count": 1,
        "average_rate": D("0.030000"),
        "response_compliance": D("1.0000"),
        "take_up_rate": D("0.2500"),  # d9 of {d9, d1, d3, d2}
        "approval_rate": D("1.0000"),
        "median_days_to_money": D("7.0"),
    },
    "branch": {  # L3, L5; d2
        "inclusive_balance_end": D("500000.00"),
        "inclusive_balance_start": D("1000000.00"),
        "inclusive_growth": D("-500000.00"),
        "inclusive_growth_rate": D("-0.5000"),
        "npl_ratio": D("1.0000"),
        "msme_borrowers": 1,  # the shop (the factory's L5 is repaid)
        "first_time_count": 1,
        "credit_share": D("1.0000"),
        "average_rate": D("0.050000"),
        "response_compliance": D("1.0000"),
        "take_up_rate": D("0.2500"),  # d2 of {d2, d1, d3, d9}: d2 was shown to its head office
        "approval_rate": D("0.0000"),
        "median_days_to_money": None,
    },
    "scitech": {  # L1, L2, L6; d1, d7
        "inclusive_balance_end": D("4200000.00"),
        "inclusive_balance_start": D("1800000.00"),
        "inclusive_growth_rate": D("1.3333"),
        "tech_balance": D("4200000.00"),
        "npl_ratio": D("0.0000"),
        "renewal_count": 1,
        "credit_share": D("0.0000"),
        "average_rate": D("0.036000"),
        "take_up_rate": D("0.2000"),  # d1 of {d1, d7, d3, d9, d2}
        "approval_rate": D("1.0000"),
        "median_days_to_money": D("8.0"),
    },
    "other_bank": BANK_LEVEL["other_bank"],
}


def _by_unit(table, market):
    return {
        name: row
        for name in ("head", "branch", "scitech", "other_bank")
        for row in table.rows
        if row.unit == market.org(name)
    }


@pytest.mark.parametrize("stored_months", [True, False], ids=["stored-months", "direct"])
@pytest.mark.parametrize(("level", "expected"), [(BANK, BANK_LEVEL), (BRANCH, BRANCH_LEVEL)])
def test_figures_match_the_hand_computed_ones(ledger, level, expected, stored_months):
    market = ledger["market"]
    table = compute_league_table(period=Period(START, END), level=level, stored_months=stored_months)
    rows = _by_unit(table, market)
    assert set(rows) == set(expected)
    for unit, figures in expected.items():
        for key, value in figures.items():
            assert rows[unit].value(key) == value, f"{unit} {key}"
    if level == BRANCH:
        assert rows["scitech"].is_scitech and not rows["branch"].is_scitech
        assert rows["scitech"].bank == market.head


def test_totals_add_the_banks_up(ledger):
    market = ledger["market"]
    totals = league_table(actor=market.district_user, start=START, end=END, level=BANK).totals
    assert totals.inclusive_balance_end == D("14200000.00")
    assert totals.inclusive_growth == D("2400000.00")
    assert totals.balance_end == D("23200000.00")
    assert totals.npl_ratio == D("0.3448")  # 8,000,000 / 23,200,000
    assert totals.loans_count == 5 and totals.loans_amount == D("14500000.00")
    assert totals.response_compliance == D("0.8571")  # 6 of 7
    assert totals.msme_borrowers is None and totals.median_days_to_money is None


def test_ranking(ledger):
    market = ledger["market"]
    table = league_table(actor=market.district_user, start=START, end=END, level=BANK)
    by_balance = ranked(table.rows, "inclusive_balance_end")
    assert [(row.unit, row.rank) for row in by_balance] == [(market.other_bank, 1), (market.head, 2)]
    by_npl = ranked(table.rows, "npl_ratio")  # lower is better
    assert [row.unit for row in by_npl] == [market.head, market.other_bank]
    by_take_up = ranked(table.rows, "take_up_rate", descending=False)
    assert [row.unit for row in by_take_up] == [market.other_bank, market.head]
    branches = ranked(
        league_table(actor=market.district_user, start=START, end=END, level=BRANCH).rows, "inclusive_growth_rate"
    )
    assert [row.rank for row in branches] == [1, 2, 3, 0]  # the head office has no opening balance: last, unranked
    assert branches[-1].unit == market.head
    by_approval = ranked(table.rows, "approval_rate")
    assert [(row.unit, row.rank) for row in by_approval] == [(market.other_bank, 1), (market.head, 2)]
    with pytest.raises(ValidationFailed):
        ranked(table.rows, "nope")


def test_a_period_without_anything(ledger):
    market = ledger["market"]
    table = league_table(actor=market.district_user, start="2024-01-01", end="2024-12-31", level=BANK)
    for row in table.rows:
        assert (row.balance_end, row.loans_count, row.responses) == (D("0.00"), 0, 0)
        assert row.npl_ratio is None and row.take_up_rate is None and row.average_rate is None


def test_who_may_see_the_table(ledger):
    market = ledger["market"]
    for actor in (
        market.district_user,
        market.ia_user,
        market.so_s1_user,
        market.other_bank_user,
        market.member("branch", Role.VIEWER),
    ):
        rows = league_table(actor=actor, start=START, end=END, level=BANK).rows
        assert {row.unit for row in rows} == {market.head, market.other_bank}  # every bank, names included
    for actor in (market.firm_user, market.guarantor_user, market.insurer_user):
        with pytest.raises(PermissionDenied):
            league_table(actor=actor, start=START, end=END)


@pytest.mark.parametrize(
    ("start", "end", "level", "field"),
    [
        ("2026-07-01", "2026-06-30", "bank", "end"),
        ("2026-01-01", "2999-01-01", "bank", "end"),
        ("1999-12-31", "2000-06-30", "bank", "start"),
        ("2010-01-01", "2026-06-30", "bank", "start"),
        ("2026-01-32", "2026-06-30", "bank", "start"),
        ("2026-01-01", "June", "bank", "end"),
        ("2026-01-01", "2026-06-30", "subsidiary", "level"),
    ],
)
def test_bad_periods_and_levels(ledger, start, end, level, field):
    with pytest.raises(ValidationFailed) as error:
        league_table(actor=ledger["market"].district_user, start=start, end=end, level=level)
    assert field in error.value.fields
