"""The supply-chain demo loader writes consistent data (the same rules the services keep)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Count, Q, Sum

from finbridge.enterprises.tests.factories import EnterpriseFactory, valid_uscc
from finbridge.supplychain.choices import ReceivableStatus, RegistrationStatus, VoucherStatus
from finbridge.supplychain.demo import seed_supplychain
from finbridge.supplychain.models import Payment, Receivable, Registration, Voucher
from finbridge.supplychain.services.confirmation import receivable_fingerprint
from finbridge.supplychain.tests.setup import build_chain

pytestmark = pytest.mark.django_db


def test_demo_is_consistent_and_loads_once():
    build_chain()
    for n in range(12):
        EnterpriseFactory(uscc=valid_uscc(500 + n), industry_code="C3670")
    counts = seed_supplychain(seed=7)
    assert counts["receivables"] > 100 and counts["payments"] > 10 and counts["registrations"] > 10
    assert counts["voucher parts"] == 5
    for receivable in Receivable.objects.exclude(status__in=[ReceivableStatus.PENDING, ReceivableStatus.DISPUTED]):
        assert receivable.confirmation.fingerprint == receivable_fingerprint(receivable)
    # financed receivables carry exactly one active registration; settled ones are paid in full
    financed = Receivable.objects.filter(status=ReceivableStatus.FINANCED).annotate(
        active=Count("registrations", filter=Q(registrations__status=RegistrationStatus.ACTIVE))
    )
    assert financed.exists() and all(r.active == 1 for r in financed)
    for receivable in Receivable.objects.filter(status=ReceivableStatus.SETTLED):
        assert Payment.objects.filter(receivable=receivable).aggregate(s=Sum("amount"))["s"] == receivable.amount
    assert not Registration.objects.filter(status=RegistrationStatus.ACTIVE, root_receivable__status="settled").exists()
    live = Voucher.objects.exclude(status=VoucherStatus.SPLIT).aggregate(s=Sum("amount"))["s"]
    assert live == Decimal("2000000.00")
    assert Receivable.objects.filter(is_overdue=True).exists()
    assert seed_supplychain(seed=7) == {}
