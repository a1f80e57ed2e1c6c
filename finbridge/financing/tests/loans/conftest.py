"""Fixtures of the loans-ledger tests: the shared market (tests/setup.py) with consents for lending.

Consents: factory → head (so head, branch and scitech may lend to it), software → other_bank.
shop has no consent to anyone (government records its demands; banks reach it only through a take-up).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from finbridge.enterprises.choices import ConsentScope
from finbridge.enterprises.tests.factories import ConsentFactory
from finbridge.financing.models import Loan
from finbridge.financing.services.loans import loan_record
from finbridge.financing.tests.setup import Market, build_market

DAY = datetime.date(2026, 3, 16)


@pytest.fixture
def market(db) -> Market:
    market = build_market()
    ConsentFactory(enterprise=market.factory, grantee=market.head, scope=ConsentScope.FINANCIALS)
    ConsentFactory(enterprise=market.software, grantee=market.other_bank, scope=ConsentScope.PROFILE)
    return market


_counter = iter(range(1, 10**9))


def record(market: Market, *, actor: Any = None, **overrides: Any) -> Loan:
    """A loan of the sci-tech branch to the factory (1,000,000.00 at 3.45% for 12 months) unless overridden."""
    values: dict[str, Any] = {
        "lender": market.scitech,
        "borrower": market.factory,
        "reference": f"LN-{next(_counter):06d}",
        "amount": Decimal("1000000.00"),
        "disbursed_on": DAY,
        "term_months": 12,
        "annual_rate": Decimal("0.034500"),
    }
    values.update(overrides)
    return loan_record(actor=actor or market.scitech_user, **values)
