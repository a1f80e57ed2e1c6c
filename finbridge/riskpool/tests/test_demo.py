"""The demo pool: built through the services on top of the financing demo, consistent, idempotent."""

from __future__ import annotations

import pytest

from finbridge.enterprises.demo import seed_demo
from finbridge.financing.demo import seed_financing
from finbridge.riskpool.choices import PoolStatus
from finbridge.riskpool.demo import CAPITAL, POOL_NAME, seed_riskpool
from finbridge.riskpool.models import Claim, Enrolment, Payout, Pool
from finbridge.riskpool.selectors.ledger import ledger_assert_invariants

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    from finbridge.financing.tests.products.conftest import install_lpr_history

    install_lpr_history()
    seed_demo(enterprises=400)
    seed_financing(seed=7)


def test_demo_pool(demo):
    written = seed_riskpool(seed=7)
    pool = Pool.objects.get(name=POOL_NAME)
    assert pool.status == PoolStatus.ACTIVE and pool.capital_total == CAPITAL
    assert pool.members.count() == 4
    assert pool.rule_versions.get().preset == "pingshan"
    assert written["covered loans"] == Enrolment.objects.filter(pool=pool).count() > 10
    assert written["pool claims"] == Claim.objects.count() == 2
    assert Payout.objects.count() == 1
    ledger_assert_invariants(pool)
    assert seed_riskpool(seed=7) == {}


def test_demo_without_the_registry_does_nothing(db):
    assert seed_riskpool(seed=1) == {}
    assert not Pool.objects.exists()
