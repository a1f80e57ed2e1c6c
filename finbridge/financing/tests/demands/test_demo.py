"""The demo demands follow the services' rules and load once."""

from __future__ import annotations

import random

import pytest

from finbridge.financing.choices import DemandStatus, ResponseKind
from finbridge.financing.demo_demands import seed_demands
from finbridge.financing.models import Demand, DemandEvent, DemandResponse
from finbridge.financing.services.responses import derived_status
from finbridge.financing.transitions import DEMAND_TRANSITIONS

pytestmark = pytest.mark.django_db


def test_demo_demands_are_consistent_and_load_once(market):
    from finbridge.enterprises.tests.factories import EnterpriseFactory

    EnterpriseFactory.create_batch(30, subdistrict=market.s1)
    report = seed_demands(rng=random.Random(7), count=30)
    assert report.demands == 33  # 30 drawn + the MSME login's three
    assert Demand.objects.count() == 33 and report.responses == DemandResponse.objects.count()
    assert set(Demand.objects.filter(enterprise=market.factory).values_list("status", flat=True)) == {
        DemandStatus.DRAFT,
        DemandStatus.TAKEN_UP,
        DemandStatus.DECLINED,
    }
    for demand in Demand.objects.all():
        if demand.status == DemandStatus.DRAFT:
            assert demand.published_at is None and not demand.responses.exists()
            continue
        assert demand.respond_by is not None and demand.expires_on is not None
        if demand.status in (DemandStatus.WITHDRAWN, DemandStatus.EXPIRED):
            assert demand.closed_at is not None
            assert not demand.responses.exclude(status__in=["", "closed", "declined"]).exists()
            continue
        if demand.responses.filter(kind=ResponseKind.TAKE_UP).exists() or demand.status == DemandStatus.PUBLISHED:
            assert derived_status(demand)[0] == demand.status, demand.status
        assert demand.status in DEMAND_TRANSITIONS
        if demand.escalated_at:
            assert demand.status == DemandStatus.PUBLISHED
    assert DemandEvent.objects.filter(action="published").count() == Demand.objects.exclude(status="draft").count()
    assert seed_demands(rng=random.Random(7), count=30).demands == 0
