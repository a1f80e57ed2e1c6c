"""A receivable is financed at most once, tried in parallel on PostgreSQL (SQLite has no row locks)."""

from __future__ import annotations

import pytest
from django.db import connection

from finbridge.core.errors import Conflict
from finbridge.core.testing import race
from finbridge.supplychain.choices import (
    FinancingRequestStatus,
    OfferStatus,
    ReceivableStatus,
    RegistrationStatus,
    VoucherStatus,
)
from finbridge.supplychain.models import (
    FinancingOffer,
    FinancingRequest,
    FinancingRequestItem,
    Registration,
    Voucher,
)
from finbridge.supplychain.services.financing import financing_offer_accept, financing_offer_make
from finbridge.supplychain.services.settlement import receivable_settle
from finbridge.supplychain.services.vouchers import voucher_issue, voucher_split
from finbridge.supplychain.tests.setup import build_chain, make_receivable

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]
FUNDERS = 20
OFFER = {"advance_ratio": "0.8", "annual_rate": "0.045", "term_days": 90, "registration_kind": "pledge"}


@pytest.fixture
def chain():
    return build_chain()


def _warm(*users):
    for user in users:
        user.permission_codes()  # fill the per-user caches before the threads share the objects


def _banks(chain, count):
    from finbridge.accounts.choices import OrgType
    from finbridge.accounts.tests.factories import MembershipFactory, OrganizationFactory

    banks = []
    for index in range(count):
        bank = OrganizationFactory(org_type=OrgType.BANK, name=f"竞速银行{index}", name_en=f"Race Bank {index}")
        user = MembershipFactory(organization=bank, user__username=f"race-bank-{index}").user
        banks.append((bank, user))
    return banks


def _offered_request(chain, receivable, banks, *, status=FinancingRequestStatus.OPEN):
    """A request on `receivable` with an offer made by each bank, written straight to the database."""
    request = FinancingRequest.objects.create(
        requester=chain.supplier,
        status=status,
        face_amount=receivable.amount,
        amount_requested=receivable.amount,
        respond_by=receivable.due_on - __import__("datetime").timedelta(days=1),
    )
    FinancingRequestItem.objects.create(request=request, receivable=receivable, amount=receivable.amount)
    offers = []
    for bank, _user in banks:
        offers.append(
            FinancingOffer.objects.create(
                request=request,
                funder=bank,
                status=OfferStatus.OFFERED,
                advance_amount=receivable.amount * 8 / 10,
                advance_ratio="0.800000",
                annual_rate="0.045000",
                fees=0,
                term_days=90,
                registration_kind="pledge",
            )
        )
    return request, offers


def test_many_acceptances_on_one_receivable_at_once_register_exactly_once(chain):
    """Every funder's offer accepted at the same moment (the requester's users clicking on every offer):
    one registration, every other attempt a clear Conflict."""
    receivable = make_receivable(chain, status=ReceivableStatus.FINANCING_REQUESTED)
    banks = _banks(chain, FUNDERS)
    request, offers = _offered_request(chain, receivable, banks)
    from finbridge.accounts.tests.factories import MembershipFactory

    users = [
        MembershipFactory(organization=chain.supplier, user__username=f"race-supplier-{i}").user for i in range(FUNDERS)
    ]
    _warm(*users)
    results = race(
        *[lambda o=o, u=u: financing_offer_accept(actor=u, pk=o.pk) for o, u in zip(offers, users, strict=True)]
    )
    winners = [r for r in results if isinstance(r, list)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(losers) == FUNDERS - 1
    assert {e.code for e in losers} <= {"request_closed", "already_financed", "already_registered"}
    assert Registration.objects.filter(receivable=receivable, status=RegistrationStatus.ACTIVE).count() == 1
    assert FinancingOffer.objects.filter(request=request, status=OfferStatus.ACCEPTED).count() == 1
    receivable.refresh_from_db()
    assert receivable.status == ReceivableStatus.FINANCED


def test_two_requests_on_one_receivable_accepted_at_once_register_once(chain):
    """Should a receivable ever sit in two open requests (it cannot through the services), the row lock and
    the conditional unique constraint still let only the first registration through."""
    receivable = make_receivable(chain, status=ReceivableStatus.FINANCING_REQUESTED)
    banks = _banks(chain, 8)
    pairs = [_offered_request(chain, receivable, [bank]) for bank in banks]
    from finbridge.accounts.tests.factories import MembershipFactory

    users = [
        MembershipFactory(organization=chain.supplier, user__username=f"race2-supplier-{i}").user for i in range(8)
    ]
    _warm(*users)
    results = race(
        *[
            lambda o=offers[0], u=u: financing_offer_accept(actor=u, pk=o.pk)
            for (_r, offers), u in zip(pairs, users, strict=True)
        ]
    )
    assert sum(isinstance(r, list) for r in results) == 1
    codes = {r.code for r in results if isinstance(r, Conflict)}
    assert codes == {"already_financed"}
    assert Registration.objects.filter(receivable=receivable).count() == 1


def test_offers_and_acceptance_race_without_deadlock(chain):
    """Funders revising offers while the requester accepts: everything serialises on the locks."""
    receivable = make_receivable(chain, status=ReceivableStatus.FINANCING_REQUESTED)
    banks = _banks(chain, 6)
    request, offers = _offered_request(chain, receivable, banks)
    requester = chain.user("supplier")
    _warm(requester, *(u for _b, u in banks))
    calls = [lambda: financing_offer_accept(actor=requester, pk=offers[0].pk)]
    calls += [
        lambda o=o, u=u: financing_offer_make(actor=u, pk=o.pk, data=OFFER)
        for o, (_b, u) in zip(offers[1:], banks[1:], strict=True)
    ]
    results = race(*calls)
    assert isinstance(results[0], list)
    assert all(isinstance(r, (FinancingOffer, Conflict)) for r in results[1:])
    assert Registration.objects.count() == 1


@pytest.mark.parametrize("round_", range(5))
def test_split_and_settlement_race_conserve_and_pay_every_part(chain, round_):
    """Splitting a voucher while the debtor pays it: either the split comes first and every new part is paid,
    or the payment comes first and the split is refused; the live parts always add up to the payable."""
    receivable = make_receivable(chain, status=ReceivableStatus.CONFIRMED, amount="1000.00")
    root = voucher_issue(actor=chain.user("core"), receivable_id=receivable.pk)
    supplier, core = chain.user("supplier"), chain.user("core")
    _warm(supplier, core)
    results = race(
        lambda: voucher_split(actor=supplier, pk=root.pk, parts=[{"amount": "300", "recipient": chain.tier2.pk}]),
        lambda: receivable_settle(actor=core, pk=receivable.pk),
    )
    assert isinstance(results[1], list), results
    live = Voucher.objects.filter(receivable=receivable).exclude(status=VoucherStatus.SPLIT)
    assert sum(v.amount for v in live) == receivable.amount
    assert set(live.values_list("status", flat=True)) == {VoucherStatus.SETTLED}
    assert sum(p.amount for p in results[1]) == receivable.amount
