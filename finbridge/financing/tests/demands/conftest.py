"""Fixtures of the demand tests: the shared market (tests/setup.py) and demands in every state."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from finbridge.audit.models import AuditEvent
from finbridge.financing.choices import DemandStatus, EngagementStatus, ResponseKind
from finbridge.financing.models import Demand, DemandEvent, DemandResponse, Loan
from finbridge.financing.tests.setup import Market, build_market, make_demand, make_response
from finbridge.notifications.models import Notification


@pytest.fixture
def market(db) -> Market:
    return build_market()


def demand_data(**overrides: Any) -> dict[str, Any]:
    """Valid raw input for a new demand."""
    data: dict[str, Any] = {
        "amount": "2000000.00",
        "term_months": 12,
        "purpose": "rnd",
        "collateral_offered": ["ip"],
        "collateral_note": "Two invention patents",
        "max_annual_rate": "0.045",
        "needed_by": (timezone.localdate() + datetime.timedelta(days=60)).isoformat(),
        "description": "Pilot line for solid-state battery parts.",
        "visibility": "all",
    }
    data.update(overrides)
    return data


# Engagement status of the scitech branch that puts a demand in each status (None: no engagement).
ENGAGEMENT_FOR_STATUS = {
    DemandStatus.DRAFT: None,
    DemandStatus.PUBLISHED: None,
    DemandStatus.TAKEN_UP: EngagementStatus.TAKEN_UP,
    DemandStatus.UNDER_REVIEW: EngagementStatus.UNDER_REVIEW,
    DemandStatus.APPROVED: EngagementStatus.APPROVED,
    DemandStatus.DISBURSED: EngagementStatus.DISBURSED,
    DemandStatus.DECLINED: EngagementStatus.DECLINED,
    DemandStatus.WITHDRAWN: EngagementStatus.CLOSED,
    DemandStatus.EXPIRED: EngagementStatus.CLOSED,
}


def demand_in(market: Market, status: str, **fields: Any) -> Demand:
    """A demand of the factory in `status`, with the scitech branch's engagement that status implies."""
    demand = make_demand(market, status=status, created_by=market.firm_user, **fields)
    engagement_status = ENGAGEMENT_FOR_STATUS[status]
    if engagement_status is not None:
        extra: dict[str, Any] = {}
        if engagement_status in (EngagementStatus.APPROVED, EngagementStatus.DISBURSED):
            extra = {"approved_amount": demand.amount, "approved_rate": Decimal("0.040000")}
        if engagement_status == EngagementStatus.DECLINED:
            extra = {"decline_reason": "weak_financials"}
        make_response(demand, market.scitech, kind=ResponseKind.TAKE_UP, status=engagement_status, **extra)
    if status == DemandStatus.DECLINED:
        Demand.objects.filter(pk=demand.pk).update(decline_reason="weak_financials")
        demand.refresh_from_db()
    return demand


def engagement_of(demand: Demand, institution) -> DemandResponse:
    return DemandResponse.objects.get(demand=demand, institution=institution)


class Counts:
    """Row counts of everything a demand service may write, to check that a refused call changed nothing."""

    MODELS = (Demand, DemandEvent, DemandResponse, AuditEvent, Notification, Loan)

    def __init__(self) -> None:
        self.before = self.take()

    @classmethod
    def take(cls) -> dict[str, int]:
        return {model.__name__: model.objects.count() for model in cls.MODELS}

    def unchanged(self) -> bool:
        return self.take() == self.before


def state(demand: Demand) -> tuple:
    """What a refused call must leave alone: the demand's row and its answers."""
    fresh = Demand.objects.get(pk=demand.pk)
    answers = tuple(
        DemandResponse.objects.filter(demand=demand)
        .order_by("pk")
        .values_list("pk", "kind", "status", "approved_amount", "approved_rate", "decline_reason")
    )
    return (
        fresh.status,
        fresh.amount,
        fresh.term_months,
        fresh.purpose,
        fresh.visibility,
        fresh.published_at,
        fresh.respond_by,
        fresh.expires_on,
        fresh.escalated_at,
        fresh.decline_reason,
        tuple(fresh.chosen_institutions.values_list("pk", flat=True)),
        answers,
    )
