"""A hand-built supply chain for the overview tests, written straight to the database (no services), with every
figure the overview should show worked out by hand in EXPECTED below.

    from finbridge.supplychain.tests.test_overview_setup import build_scenario
    scenario = build_scenario()      # scenario.chain (tests/setup.py), scenario.period, scenario.r1 ...

Months: m3, m2, m1 are the 5th of the months three, two and one months ago (noon, local time); the period runs
from the first day of m3's month to today.

  R0  supplier  -> core   999,000  confirmed two years ago (outside the period), settled then (no payment rows)
  R1  supplier  -> core   100,000  confirmed m3; request m3 to bank_a (accepted); registered to bank_a m3
                                   (face 100,000, advance 80,000, released); paid to bank_a on m1, due m1+10: 10 days early
  R2  supplier2 -> core   200,000  confirmed m2; overdue, unpaid
  R3  supplier  -> core2   50,000  confirmed m2; voucher V1 issued m2 (tier 1, 50,000, split) into V2 kept by
                                   supplier (tier 1, 20,000) and V3 transferred m1 to tier2 (tier 2, 30,000);
                                   request m1 on V3 to bank_b (accepted), registered to bank_b m1 (30,000 / 27,000);
                                   paid on m1, due m1+5: V2 20,000 to supplier and V3 30,000 to bank_b, 5 days early
  R4  supplier  -> core   300,000  pending (never confirmed)
  R5  supplier  -> core2   70,000  confirmed m1; request m1 to bank_a and bank_b (offers pending)
  R6  supplier2 -> core    40,000  confirmed m1; request m1 to bank_a_branch, registered m1 (40,000 / 36,000,
                                   active); overdue, unpaid
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from itertools import count
from typing import Any

from django.utils import timezone

from finbridge.analytics.selectors import Period
from finbridge.supplychain.choices import (
    FinancingRequestStatus,
    OfferStatus,
    PayeeRole,
    ReceivableStatus,
    RegistrationKind,
    RegistrationStatus,
    ReleaseReason,
    VoucherOrigin,
    VoucherStatus,
)
from finbridge.supplychain.models import (
    FinancingOffer,
    FinancingRequest,
    FinancingRequestItem,
    Payment,
    Receivable,
    Registration,
    Voucher,
)
from finbridge.supplychain.tests.setup import Chain, build_chain, make_receivable

_numbers = count(1)


def month_day(months_ago: int, day: int = 5, today: datetime.date | None = None) -> datetime.date:
    today = today or timezone.localdate()
    month = today.month - months_ago
    year = today.year + (month - 1) // 12
    return datetime.date(year, (month - 1) % 12 + 1, day)


def noon(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


@dataclass
class Scenario:
    chain: Chain
    period: Period
    m3: datetime.date
    m2: datetime.date
    m1: datetime.date
    receivables: dict[str, Receivable]
    vouchers: dict[str, Voucher]

    def __getattr__(self, name: str) -> Any:
        for store in ("receivables", "vouchers"):
            values = self.__dict__.get(store, {})
            if name.upper() in values:
                return values[name.upper()]
        raise AttributeError(name)


def _receivable(chain: Chain, creditor: str, debtor: str, amount: str, status: str, confirmed: Any, **extra: Any):
    receivable = make_receivable(chain, creditor=creditor, debtor=debtor, amount=amount, status=status, **extra)
    Receivable.objects.filter(pk=receivable.pk).update(confirmed_at=confirmed)
    receivable.refresh_from_db()
    return receivable


def _request(chain: Chain, requester: str, created: datetime.datetime, items: list[Any], funders: dict[str, str]):
    face = sum((amount for _asset, amount in items), Decimal("0"))
    accepted = any(status == OfferStatus.ACCEPTED for status in funders.values())
    request = FinancingRequest.objects.create(
        requester=chain.org(requester),
        status=FinancingRequestStatus.ACCEPTED if accepted else FinancingRequestStatus.OPEN,
        face_amount=face,
        amount_requested=face,
        respond_by=created.date() + datetime.timedelta(days=10),
        created_at=created,
    )
    for asset, amount in items:
        key = "voucher" if isinstance(asset, Voucher) else "receivable"
        FinancingRequestItem.objects.create(request=request, amount=amount, **{key: asset})
    offers = {
        name: FinancingOffer.objects.create(request=request, funder=chain.org(name), status=status, created_at=created)
        for name, status in funders.items()
    }
    return request, offers


def _register(
    chain: Chain,
    *,
    asset: Any,
    root: Receivable,
    funder: str,
    assignor: str,
    face: str,
    advance: str,
    at: datetime.datetime,
    request: Any,
    offer: Any,
    active: bool,
) -> Registration:
    key = "voucher" if isinstance(asset, Voucher) else "receivable"
    return Registration.objects.create(
        number=f"OVR-{next(_numbers):06d}",
        root_receivable=root,
        funder=chain.org(funder),
        assignor=chain.org(assignor),
        kind=RegistrationKind.PLEDGE,
        face_amount=Decimal(face),
        advance_amount=Decimal(advance),
        request=request,
        offer=offer,
        status=RegistrationStatus.ACTIVE if active else RegistrationStatus.RELEASED,
        release_reason="" if active else ReleaseReason.SETTLED,
        registered_at=at,
        **{key: asset},
    )


def _voucher(
    chain: Chain,
    receivable: Receivable,
    *,
    holder: str,
    amount: str,
    tier: int,
    origin: str,
    status: str,
    at: datetime.datetime,
    parent: Voucher | None = None,
) -> Voucher:
    voucher = Voucher.objects.create(
        number=f"OVV-{next(_numbers):06d}",
        receivable=receivable,
        root=parent.root if parent else None,
        parent=parent,
        tier=tier,
        holder=chain.org(holder),
        amount=Decimal(amount),
        status=status,
        origin=origin,
        created_at=at,
    )
    if parent is None:
        Voucher.objects.filter(pk=voucher.pk).update(root=voucher)
        voucher.refresh_from_db()
    return voucher


def _pay(
    chain: Chain,
    receivable: Receivable,
    *,
    payee: str,
    role: str,
    amount: str,
    paid_on: datetime.date,
    voucher: Voucher | None = None,
    tier: int = 1,
    registration: Registration | None = None,
) -> Payment:
    return Payment.objects.create(
        receivable=receivable,
        voucher=voucher,
        registration=registration,
        payer=receivable.debtor,
        payee=chain.org(payee),
        payee_role=role,
        tier=tier,
        amount=Decimal(amount),
        due_on=receivable.due_on,
        paid_on=paid_on,
        days_early=(receivable.due_on - paid_on).days,
    )


def build_scenario(chain: Chain | None = None) -> Scenario:
    """Write the scenario of the module docstring; returns it with its objects."""
    chain = chain or build_chain()
    today = timezone.localdate()
    m3, m2, m1 = (month_day(n, today=today) for n in (3, 2, 1))
    long_ago = today - datetime.timedelta(days=730)
    past = {"issued_on": m3 - datetime.timedelta(days=20)}
    r = {
        "R0": _receivable(
            chain,
            "supplier",
            "core",
            "999000.00",
            ReceivableStatus.SETTLED,
            noon(long_ago),
            issued_on=long_ago,
            due_on=long_ago + datetime.timedelta(days=30),
        ),
        "R1": _receivable(
            chain,
            "supplier",
            "core",
            "100000.00",
            ReceivableStatus.SETTLED,
            noon(m3),
            due_on=m1 + datetime.timedelta(days=10),
            settled_on=m1,
            **past,
        ),
        "R2": _receivable(
            chain,
            "supplier2",
            "core",
            "200000.00",
            ReceivableStatus.CONFIRMED,
            noon(m2),
            due_on=m2 + datetime.timedelta(days=10),
            is_overdue=True,
            **past,
        ),
        "R3": _receivable(
            chain,
            "supplier",
            "core2",
            "50000.00",
            ReceivableStatus.SETTLED,
            noon(m2),
            due_on=m1 + datetime.timedelta(days=5),
            settled_on=m1,
            **past,
        ),
        "R4": make_receivable(chain, creditor="supplier", debtor="core", amount="300000.00"),
        "R5": _receivable(chain, "supplier", "core2", "70000.00", ReceivableStatus.FINANCING_REQUESTED, noon(m1)),
        "R6": _receivable(
            chain,
            "supplier2",
            "core",
            "40000.00",
            ReceivableStatus.FINANCED,
            noon(m1),
            due_on=m1 + datetime.timedelta(days=1),
            is_overdue=True,
            **past,
        ),
    }
    # R1: financed by bank_a, paid to it.
    request, offers = _request(
        chain, "supplier", noon(m3), [(r["R1"], Decimal("100000.00"))], {"bank_a": OfferStatus.ACCEPTED}
    )
    reg1 = _register(
        chain,
        asset=r["R1"],
        root=r["R1"],
        funder="bank_a",
        assignor="supplier",
        face="100000.00",
        advance="80000.00",
        at=noon(m3),
        request=request,
        offer=offers["bank_a"],
        active=False,
    )
    _pay(chain, r["R1"], payee="bank_a", role=PayeeRole.FUNDER, amount="100000.00", paid_on=m1, registration=reg1)
    # R3: a voucher split and passed to tier 2, whose part is financed by bank_b; both parts paid.
    v1 = _voucher(
        chain,
        r["R3"],
        holder="supplier",
        amount="50000.00",
        tier=1,
        origin=VoucherOrigin.ISSUED,
        status=VoucherStatus.SPLIT,
        at=noon(m2),
    )
    v2 = _voucher(
        chain,
        r["R3"],
        holder="supplier",
        amount="20000.00",
        tier=1,
        origin=VoucherOrigin.KEPT,
        status=VoucherStatus.SETTLED,
        at=noon(m1),
        parent=v1,
    )
    v3 = _voucher(
        chain,
        r["R3"],
        holder="tier2",
        amount="30000.00",
        tier=2,
        origin=VoucherOrigin.TRANSFERRED,
        status=VoucherStatus.SETTLED,
        at=noon(m1),
        parent=v1,
    )
    request, offers = _request(chain, "tier2", noon(m1), [(v3, Decimal("30000.00"))], {"bank_b": OfferStatus.ACCEPTED})
    reg3 = _register(
        chain,
        asset=v3,
        root=r["R3"],
        funder="bank_b",
        assignor="tier2",
        face="30000.00",
        advance="27000.00",
        at=noon(m1),
        request=request,
        offer=offers["bank_b"],
        active=False,
    )
    _pay(chain, r["R3"], payee="supplier", role=PayeeRole.HOLDER, amount="20000.00", paid_on=m1, voucher=v2, tier=1)
    _pay(
        chain,
        r["R3"],
        payee="bank_b",
        role=PayeeRole.FUNDER,
        amount="30000.00",
        paid_on=m1,
        voucher=v3,
        tier=2,
        registration=reg3,
    )
    # R5: asked of two banks, no answer yet.
    _request(
        chain,
        "supplier",
        noon(m1),
        [(r["R5"], Decimal("70000.00"))],
        {"bank_a": OfferStatus.PENDING, "bank_b": OfferStatus.PENDING},
    )
    # R6: financed by bank_a's branch, still registered, overdue.
    request, offers = _request(
        chain, "supplier2", noon(m1), [(r["R6"], Decimal("40000.00"))], {"bank_a_branch": OfferStatus.ACCEPTED}
    )
    _register(
        chain,
        asset=r["R6"],
        root=r["R6"],
        funder="bank_a_branch",
        assignor="supplier2",
        face="40000.00",
        advance="36000.00",
        at=noon(m1),
        request=request,
        offer=offers["bank_a_branch"],
        active=True,
    )
    period = Period(m3.replace(day=1), today)
    return Scenario(chain, period, m3, m2, m1, r, {"V1": v1, "V2": v2, "V3": v3})


D = Decimal

# What the overview shows, worked out by hand from the module docstring (amounts in yuan).
EXPECTED = {
    "authority": {
        "totals": {
            "confirmed_count": 5,
            "confirmed_amount": D("460000.00"),
            "requested_count": 4,
            "requested_amount": D("240000.00"),
            "financed_count": 3,
            "financed_amount": D("170000.00"),
            "advanced_amount": D("143000.00"),
            "settled_count": 3,
            "settled_amount": D("150000.00"),
            "voucher_count": 2,
            "voucher_amount": D("80000.00"),
            "overdue_count": 2,
            "overdue_amount": D("240000.00"),
        },
        # (100,000 x 10 + 20,000 x 5 + 30,000 x 5) / 150,000 = 8.33
        "average_days_early": D("8.3"),
    },
}
