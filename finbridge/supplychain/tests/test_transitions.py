"""Every status change allowed and forbidden: the tables themselves, and each service tried from every status
(allowed → done; forbidden → Conflict and nothing changed)."""

from __future__ import annotations

import pytest

from finbridge.core.errors import Conflict, DomainError
from finbridge.supplychain.choices import (
    FinancingRequestStatus,
    OfferStatus,
    ReceivableStatus,
    VoucherStatus,
)
from finbridge.supplychain.models import FinancingOffer, FinancingRequest, FinancingRequestItem, Voucher
from finbridge.supplychain.services.confirmation import receivable_confirm, receivable_dispute
from finbridge.supplychain.services.financing import (
    financing_offer_accept,
    financing_offer_make,
    financing_offer_refuse,
    financing_offer_withdraw,
    financing_request_create,
    financing_request_withdraw,
)
from finbridge.supplychain.services.receivables import receivable_update, receivable_withdraw
from finbridge.supplychain.services.settlement import receivable_settle
from finbridge.supplychain.services.vouchers import voucher_issue, voucher_transfer
from finbridge.supplychain.tests.setup import build_chain, make_receivable
from finbridge.supplychain.transitions import (
    OFFER_TRANSITIONS,
    RECEIVABLE_TRANSITIONS,
    REQUEST_TRANSITIONS,
    VOUCHER_TRANSITIONS,
    assert_transition,
    can_transition,
)

TABLES = [
    (ReceivableStatus, RECEIVABLE_TRANSITIONS),
    (FinancingRequestStatus, REQUEST_TRANSITIONS),
    (OfferStatus, OFFER_TRANSITIONS),
    (VoucherStatus, VOUCHER_TRANSITIONS),
]
PAIRS = [(choices, table, a, b) for choices, table in TABLES for a in choices.values for b in choices.values]


@pytest.mark.parametrize(("choices", "table", "current", "target"), PAIRS)
def test_the_tables(choices, table, current, target):
    assert current in table, "every status has a row"
    if target in table[current]:
        assert_transition(choices, current, target)
        assert can_transition(table, current, target)
    else:
        with pytest.raises(Conflict) as caught:
            assert_transition(choices, current, target)
        assert caught.value.code == "invalid_transition"


def test_final_statuses():
    assert RECEIVABLE_TRANSITIONS[ReceivableStatus.SETTLED] == frozenset()
    assert RECEIVABLE_TRANSITIONS[ReceivableStatus.WITHDRAWN] == frozenset()
    assert VOUCHER_TRANSITIONS[VoucherStatus.SPLIT] == frozenset()
    assert ReceivableStatus.PENDING not in RECEIVABLE_TRANSITIONS[ReceivableStatus.CONFIRMED], "irrevocable"


# ---- receivable services from every status ---------------------------------------------------------------------

OFFER = {"advance_ratio": "0.8", "annual_rate": "0.045", "term_days": 90, "registration_kind": "pledge"}
R = ReceivableStatus


def _confirm(chain, r):
    receivable_confirm(actor=chain.user("core"), pk=r.pk)


def _dispute(chain, r):
    receivable_dispute(actor=chain.user("core"), pk=r.pk, reason="no")


def _withdraw(chain, r):
    receivable_withdraw(actor=chain.user("supplier"), pk=r.pk)


def _correct(chain, r):
    receivable_update(actor=chain.user("supplier"), pk=r.pk, data={"description": "corrected"})


def _request(chain, r):
    financing_request_create(actor=chain.user("supplier"), funder_ids=[chain.bank_a.pk], receivable_ids=[r.pk])


def _issue(chain, r):
    voucher_issue(actor=chain.user("core"), receivable_id=r.pk)


def _settle(chain, r):
    receivable_settle(actor=chain.user("core"), pk=r.pk)


ACTIONS = {
    "confirm": (_confirm, R.CONFIRMED, {R.PENDING}),
    "dispute": (_dispute, R.DISPUTED, {R.PENDING}),
    "withdraw": (_withdraw, R.WITHDRAWN, {R.PENDING, R.DISPUTED}),
    "correct": (_correct, R.PENDING, {R.PENDING, R.DISPUTED}),
    "request": (_request, R.FINANCING_REQUESTED, {R.CONFIRMED}),
    "issue": (_issue, R.VOUCHER_ISSUED, {R.CONFIRMED}),
    "settle": (_settle, R.SETTLED, {R.CONFIRMED, R.FINANCED, R.VOUCHER_ISSUED, R.FINANCING_REQUESTED}),
}


@pytest.mark.django_db
@pytest.mark.parametrize("status", R.values)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_receivable_services_from_every_status(status, action):
    chain = build_chain()
    run, target, allowed = ACTIONS[action]
    receivable = make_receivable(chain, status=status)
    if status == R.FINANCING_REQUESTED:  # a consistent open request behind the status
        request = FinancingRequest.objects.create(
            requester=chain.supplier,
            face_amount=receivable.amount,
            amount_requested=receivable.amount,
            respond_by=receivable.due_on,
        )
        FinancingRequestItem.objects.create(request=request, receivable=receivable, amount=receivable.amount)
        FinancingOffer.objects.create(request=request, funder=chain.bank_a)
    if status == R.VOUCHER_ISSUED:
        voucher = Voucher.objects.create(
            number="V-TEST",
            receivable=receivable,
            tier=1,
            holder=chain.supplier,
            amount=receivable.amount,
            origin="issued",
        )
        voucher.root = voucher
        voucher.save()
    if status in allowed:
        run(chain, receivable)
        receivable.refresh_from_db()
        assert receivable.status == target
        # the table agrees (a correction of a pending receivable keeps it pending)
        assert target == status or can_transition(RECEIVABLE_TRANSITIONS, status, target)
    else:
        with pytest.raises(DomainError) as caught:
            run(chain, receivable)
        assert caught.value.status_code == 409
        receivable.refresh_from_db()
        assert receivable.status == status


# ---- offers and requests from every status ---------------------------------------------------------------------

OS = OfferStatus


@pytest.mark.django_db
@pytest.mark.parametrize("offer_status", OS.values)
@pytest.mark.parametrize("action", ["make", "refuse", "withdraw", "accept"])
def test_offer_services_from_every_status(offer_status, action):
    chain = build_chain()
    receivable = make_receivable(chain, status=R.FINANCING_REQUESTED)
    request = FinancingRequest.objects.create(
        requester=chain.supplier,
        face_amount=receivable.amount,
        amount_requested=receivable.amount,
        respond_by=receivable.due_on,
    )
    FinancingRequestItem.objects.create(request=request, receivable=receivable, amount=receivable.amount)
    offered = {
        "advance_amount": 80000,
        "advance_ratio": "0.8",
        "annual_rate": "0.04",
        "fees": 0,
        "term_days": 30,
        "registration_kind": "pledge",
    }
    offer = FinancingOffer.objects.create(
        request=request, funder=chain.bank_a, status=offer_status, **(offered if offer_status != OS.PENDING else {})
    )
    FinancingOffer.objects.create(request=request, funder=chain.bank_b)  # keeps the request open after a refusal
    calls = {
        "make": (lambda: financing_offer_make(actor=chain.user("bank_a"), pk=offer.pk, data=OFFER), OS.OFFERED),
        "refuse": (lambda: financing_offer_refuse(actor=chain.user("bank_a"), pk=offer.pk, reason="no"), OS.REFUSED),
        "withdraw": (lambda: financing_offer_withdraw(actor=chain.user("bank_a"), pk=offer.pk), OS.WITHDRAWN),
        "accept": (lambda: financing_offer_accept(actor=chain.user("supplier"), pk=offer.pk), OS.ACCEPTED),
    }
    call, target = calls[action]
    if can_transition(OFFER_TRANSITIONS, offer_status, target):
        call()
        offer.refresh_from_db()
        assert offer.status == target
    else:
        with pytest.raises(Conflict):
            call()
        offer.refresh_from_db()
        assert offer.status == offer_status


@pytest.mark.django_db
@pytest.mark.parametrize("request_status", FinancingRequestStatus.values)
def test_only_an_open_request_is_withdrawn(request_status):
    chain = build_chain()
    receivable = make_receivable(chain, status=R.FINANCING_REQUESTED if request_status == "open" else R.CONFIRMED)
    request = FinancingRequest.objects.create(
        requester=chain.supplier,
        status=request_status,
        face_amount=receivable.amount,
        amount_requested=receivable.amount,
        respond_by=receivable.due_on,
    )
    FinancingRequestItem.objects.create(request=request, receivable=receivable, amount=receivable.amount)
    if can_transition(REQUEST_TRANSITIONS, request_status, FinancingRequestStatus.WITHDRAWN):
        financing_request_withdraw(actor=chain.user("supplier"), pk=request.pk)
        request.refresh_from_db()
        assert request.status == FinancingRequestStatus.WITHDRAWN
    else:
        with pytest.raises(Conflict):
            financing_request_withdraw(actor=chain.user("supplier"), pk=request.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("voucher_status", VoucherStatus.values)
def test_only_a_held_part_is_passed_on(voucher_status):
    chain = build_chain()
    receivable = make_receivable(chain, status=R.VOUCHER_ISSUED)
    voucher = Voucher.objects.create(
        number="V-T",
        receivable=receivable,
        tier=1,
        holder=chain.supplier,
        amount=receivable.amount,
        origin="issued",
        status=voucher_status,
    )
    if can_transition(VOUCHER_TRANSITIONS, voucher_status, VoucherStatus.SPLIT):
        voucher_transfer(actor=chain.user("supplier"), pk=voucher.pk, recipient=chain.tier2.pk)
        voucher.refresh_from_db()
        assert voucher.status == VoucherStatus.SPLIT
    else:
        with pytest.raises(Conflict):
            voucher_transfer(actor=chain.user("supplier"), pk=voucher.pk, recipient=chain.tier2.pk)
        assert Voucher.objects.count() == 1
