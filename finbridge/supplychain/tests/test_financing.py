"""Financing requests, offers, acceptance (registration), withdrawal, expiry and release."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from finbridge.accounts.choices import Role
from finbridge.audit.models import AuditEvent
from finbridge.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from finbridge.notifications.models import Notification
from finbridge.supplychain import notices
from finbridge.supplychain.choices import (
    FinancingRequestStatus,
    OfferStatus,
    ReceivableStatus,
    RegistrationKind,
    RegistrationStatus,
)
from finbridge.supplychain.models import FinancingOffer, FinancingRequest, Receivable, Registration
from finbridge.supplychain.selectors.financing import (
    financing_offer_list,
    financing_request_get,
    financing_request_offers,
    financing_request_registration_search,
    registration_search,
)
from finbridge.supplychain.services.financing import (
    financing_offer_accept,
    financing_offer_make,
    financing_offer_refuse,
    financing_offer_withdraw,
    financing_request_create,
    financing_request_withdraw,
    financing_requests_close_expired,
)
from finbridge.supplychain.services.registration import registration_release
from finbridge.supplychain.tests.setup import build_chain, make_receivable

pytestmark = pytest.mark.django_db
OFFER = {"advance_ratio": "0.8", "annual_rate": "0.045", "fees": "500", "term_days": 90, "registration_kind": "pledge"}


@pytest.fixture
def chain():
    chain = build_chain()
    for name in ("supplier", "core", "bank_a", "bank_b", "bank_c"):
        chain.user(name)
    return chain


def request_on(chain, *receivables, funders=("bank_a", "bank_b"), **kwargs):
    return financing_request_create(
        actor=chain.user(kwargs.pop("requester", "supplier")),
        funder_ids=[chain.org(f).pk for f in funders],
        receivable_ids=[r.pk for r in receivables],
        **kwargs,
    )


def offer_of(request, chain, funder):
    return FinancingOffer.objects.get(request=request, funder=chain.org(funder))


def state(*rows):
    for row in rows:
        row.refresh_from_db()
    return [row.status for row in rows]


def test_request_goes_to_the_chosen_funders(chain):
    receivable = make_receivable(chain, status=ReceivableStatus.CONFIRMED, amount="200000.00")
    request = request_on(chain, receivable, note="working capital")
    assert request.status == FinancingRequestStatus.OPEN
    assert request.face_amount == request.amount_requested == Decimal("200000.00")
    assert request.respond_by >= timezone.localdate()
    assert state(receivable) == [ReceivableStatus.FINANCING_REQUESTED]
    assert sorted(o.funder_id for o in request.offers.all()) == sorted([chain.bank_a.pk, chain.bank_b.pk])
    assert all(o.status == OfferStatus.PENDING for o in request.offers.all())
    assert Notification.objects.filter(kind=notices.FINANCING_REQUESTED).count() == 2
    assert AuditEvent.objects.filter(action="financing_request_create").count() == 1


@pytest.mark.parametrize(
    ("status", "overdue", "code"),
    [
        (ReceivableStatus.PENDING, False, "not_confirmed"),
        (ReceivableStatus.DISPUTED, False, "disputed"),
        (ReceivableStatus.FINANCED, False, "already_financed"),
        (ReceivableStatus.FINANCING_REQUESTED, False, "in_open_request"),
        (ReceivableStatus.VOUCHER_ISSUED, False, "voucher_issued"),
        (ReceivableStatus.SETTLED, False, "invalid_transition"),
        (ReceivableStatus.WITHDRAWN, False, "invalid_transition"),
        (ReceivableStatus.CONFIRMED, True, "overdue"),
    ],
)
def test_what_cannot_be_financed_is_refused_and_nothing_changes(chain, status, overdue, code):
    receivable = make_receivable(chain, status=status, is_overdue=overdue)
    good = make_receivable(chain, status=ReceivableStatus.CONFIRMED)
    with pytest.raises(Conflict) as caught:
        request_on(chain, good, receivable)
    assert caught.value.code == code
    assert "receivable_ids" in caught.value.fields
    assert state(receivable, good) == [status, ReceivableStatus.CONFIRMED]
    assert not FinancingRequest.objects.exists()


def test_a_receivable_past_due_is_overdue_even_before_the_daily_flag(chain):
    receivable = make_receivable(
        chain,
        status=ReceivableStatus.CONFIRMED,
        issued_on=timezone.localdate() - datetime.timedelta(days=60),
        due_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    with pytest.raises(Conflict) as caught:
        request_on(chain, receivable)
    assert caught.value.code == "overdue"


def test_someone_elses_receivable_cannot_be_financed(chain):
    mine_as_debtor = make_receivable(chain, status=ReceivableStatus.CONFIRMED)
    with pytest.raises(PermissionDenied) as caught:
        request_on(chain, mine_as_debtor, requester="core")
    assert caught.value.code == "not_creditor"
    hidden = make_receivable(chain, creditor="supplier2", status=ReceivableStatus.CONFIRMED)
    with pytest.raises(NotFound):
        request_on(chain, hidden)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"funders": ()}, "funder_ids"),
        ({"funders": ("guarantor",)}, "funder_ids"),
        ({"funders": ("supplier2",)}, "funder_ids"),
        ({"amount_requested": "200000.01"}, "amount_requested"),
        ({"amount_requested": "0"}, "amount_requested"),
        ({"respond_by": "2000-01-01"}, "respond_by"),
    ],
)
def test_bad_request_input(chain, kwargs, field):
    receivable = make_receivable(chain, status=ReceivableStatus.CONFIRMED, amount="200000.00")
    with pytest.raises(ValidationFailed) as caught:
        request_on(chain, receivable, **kwargs)
    assert field in caught.value.fields
    assert state(receivable) == [ReceivableStatus.CONFIRMED]
    assert not FinancingRequest.objects.exists()


def test_nothing_to_finance(chain):
    with pytest.raises(ValidationFailed) as caught:
        request_on(chain)
    assert "receivable_ids" in caught.value.fields


def test_offer_by_ratio_or_amount(chain):
    receivable = make_receivable(chain, status=ReceivableStatus.CONFIRMED, amount="200000.00")
    request = request_on(chain, receivable)
    offer = financing_offer_make(actor=chain.user("bank_a"), pk=offer_of(request, chain, "bank_a").pk, data=OFFER)
    assert offer.status == OfferStatus.OFFERED
    assert (offer.advance_amount, offer.advance_ratio) == (Decimal("160000.00"), Decimal("0.800000"))
    assert offer.annual_rate == Decimal("0.045000") and offer.term_days == 90
    other = financing_offer_make(
        actor=chain.user("bank_b"),
        pk=offer_of(request, chain, "bank_b").pk,
        data={**OFFER, "advance_ratio": None, "advance_amount": "150000", "registration_kind": "transfer"},
    )
    assert (other.advance_amount, other.advance_ratio) == (Decimal("150000.00"), Decimal("0.750000"))
    assert Notification.objects.filter(kind=notices.OFFER_MADE, organization=chain.supplier).count() == 2
    revised = financing_offer_make(actor=chain.user("bank_a"), pk=offer.pk, data={**OFFER, "advance_ratio": "0.9"})
    assert revised.advance_amount == Decimal("180000.00")


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"advance_amount": "150000"}, "advance_amount", "amount_mismatch"),
        ({"advance_ratio": None, "advance_amount": "200000.01"}, "advance_amount", "offer_amount_exceeds"),
        ({"advance_ratio": None}, "advance_amount", "validation_failed"),
        ({"advance_ratio": "1.2"}, "advance_ratio", "validation_failed"),
        ({"annual_rate": None}, "annual_rate", "validation_failed"),
        ({"annual_rate": "0.5"}, "annual_rate", "validation_failed"),
        ({"term_days": 0}, "term_days", "validation_failed"),
        ({"registration_kind": "mortgage"}, "registration_kind", "validation_failed"),
        ({"fees": "-1"}, "fees", "validation_failed"),
        ({"colour": "red"}, "colour", "validation_failed"),
    ],
)
def test_bad_offers_are_refused(chain, overrides, field, code):
    receivable = make_receivable(chain, status=ReceivableStatus.CONFIRMED, amount="200000.00")
    request = request_on(chain, receivable)
    offer = offer_of(request, chain, "bank_a")
    with pytest.raises(ValidationFailed) as caught:
        financing_offer_make(actor=chain.user("bank_a"), pk=offer.pk, data={**OFFER, **overrides})
    assert caught.value.code == code
    assert field in caught.value.fields
    assert state(offer) == [OfferStatus.PENDING]


def test_only_the_funder_asked_answers(chain):
    receivable = make_receivable(chain, status=ReceivableStatus.CONFIRMED)
    request = request_on(chain, receivable)
    offer = offer_of(request, chain, "bank_a")
    with pytest.raises(NotFound):  # another funder asked on the same request does not see this offer
        financing_offer_make(actor=chain.user("bank_b"), pk=offer.pk, data=OFFER)
    with pytest.raises(NotFound):
        financing_offer_make(actor=chain.user("bank_c"), pk=offer.pk, data=OFFER)
    with pytest.raises(PermissionDenied):
        financing_offer_make(actor=chain.user("supplier"), pk=offer.pk, data=OFFER)
    with pytest.raises(PermissionDenied):
        financing_offer_make(actor=chain.member("bank_a", Role.VIEWER), pk=offer.pk, data=OFFER)
    assert state(offer) == [OfferStatus.PENDING]


def test_funders_see_the_request_and_their_own_offer_only(chain):
    receivable = make_receivable(chain, status=ReceivableStatus.CONFIRMED)
    request = request_on(chain, receivable)
    seen = financing_request_get(actor=chain.user("bank_a"), pk=request.pk)
    assert [o.funder for o in financing_request_offers(actor=chain.user("bank_a"), request=seen)] == [chain.bank_a]
    assert len(financing_request_offers(actor=chain.user("supplier"), request=seen)) == 2
    assert len(financing_request_offers(actor=chain.user("district"), request=seen)) == 2
    with pytest.raises(NotFound):
        financing_request_get(actor=chain.user("bank_c"), pk=request.pk)
    assert financing_offer_list(actor=chain.user("bank_a"), as_funder=True).count() == 1
    assert financing_request_registration_search(actor=chain.user("bank_a"), pk=request.pk) == []


def test_accepting_an_offer_registers_it_and_closes_the_others(chain):
    first = make_receivable(chain, status=ReceivableStatus.CONFIRMED, amount="300000.00")
    second = make_receivable(chain, status=ReceivableStatus.CONFIRMED, amount="100000.00")
    request = request_on(chain, first, second, funders=("bank_a", "bank_b", "bank_c"))
    offer_a = financing_offer_make(actor=chain.user("bank_a"), pk=offer_of(request, chain, "bank_a").pk, data=OFFER)
    financing_offer_make(actor=chain.user("bank_b"), pk=offer_of(request, chain, "bank_b").pk, data=OFFER)
    registrations = financing_offer_accept(actor=chain.user("supplier"), pk=offer_a.pk)
    assert len(registrations) == 2
    assert {r.receivable_id for r in registrations} == {first.pk, second.pk}
    assert all(r.funder == chain.bank_a and r.kind == RegistrationKind.PLEDGE for r in registrations)
    assert sum(r.advance_amount for r in registrations) == Decimal("320000.00")
    assert [r.advance_amount for r in sorted(registrations, key=lambda r: r.receivable_id)] == [
        Decimal("240000.00"),
        Decimal("80000.00"),
    ]
    assert state(first, second) == [ReceivableStatus.FINANCED] * 2
    request.refresh_from_db()
    assert request.status == FinancingRequestStatus.ACCEPTED
    statuses = dict(FinancingOffer.objects.filter(request=request).values_list("funder_id", "status"))
    assert statuses == {chain.bank_a.pk: "accepted", chain.bank_b.pk: "closed", chain.bank_c.pk: "closed"}
    assert Notification.objects.filter(kind=notices.RECEIVABLE_REGISTERED, organization=chain.core).count() == 2
    assert Notification.objects.filter(kind=notices.OFFER_ACCEPTED, organization=chain.bank_a).exists()
    assert Notification.objects.filter(kind=notices.OFFER_CLOSED).count() == 2
    # the search shows the registrations to anyone who sees the receivable
    assert [r.funder for r in registration_search(actor=chain.user("core"), receivable_ids=[first.pk])] == [
        chain.bank_a
    ]


def test_a_decided_request_takes_no_second_acceptance(chain):
    receivable = make_receivable(chain, status=ReceivableStatus.CONFIRMED)
    request = request_on(chain, receivable)
    offer_a = financing_offer_make(actor=chain.user("bank_a"), pk=offer_of(request, chain, "bank_a").pk, data=OFFER)
    offer_b = financing_offer_make(actor=chain.user("bank_b"), pk=offer_of(request, chain, "bank_b").pk, data=OFFER)
    financing_offer_accept(actor=chain.user("supplier"), pk=offer_a.pk)
    with pytest.raises(Conflict) as caught:
        financing_offer_accept(actor=chain.user("supplier"), pk=offer_b.pk)
    assert caught.value.code == "request_closed"
    with pytest.raises(Conflict):
        financing_offer_make(actor=chain.user("bank_b"), pk=offer_b.pk, data=OFFER)
    assert Registration.objects.count() == 1


def test_a_pending_offer_cannot_be_accepted(chain):
    receivable = make_receivable(chain, status=ReceivableStatus.CONFIRMED)
    request = request_on(chain, receivable)
    with pytest.raises(Conflict) as caught:
        financing_offer_accept(actor=chain.user("supplier"), pk=offer_of(request, chain, "bank_a").pk)
    assert caught.value.code == "offer_not_open"
    assert not Registration.objects.exists()


def test_only_the_requester_accepts(chain):
    receivable = make_receivable(chain, status=ReceivableStatus.CONFIRMED)
    request = request_on(chain, receivable)
    offer = financing_offer_make(actor=chain.user("bank_a"), pk=offer_of(request, chain, "bank_a").pk, data=OFFER)
    for actor, error in (
        (chain.user("bank_a"), PermissionDenied),
        (chain.user("district"), PermissionDenied),
        (chain.user("core"), NotFound),
        (chain.member("supplier", Role.VIEWER), PermissionDenied),
    ):
        with pytest.raises(error):
            financing_offer_accept(actor=actor, pk=offer.pk)
    assert not Registration.objects.exists()


def test_when_every_funder_declines_the_request_closes(chain):
    receivable = make_receivable(chain, status=ReceivableStatus.CONFIRMED)
    request = request_on(chain, receivable)
    with pytest.raises(ValidationFailed):
        financing_offer_refuse(actor=chain.user("bank_a"), pk=offer_of(request, chain, "bank_a").pk, reason="")
    financing_offer_refuse(
        actor=chain.user("bank_a"), pk=offer_of(request, chain, "bank_a").pk, reason="Outside appetite"
    )
    assert state(request, receivable) == [FinancingRequestStatus.OPEN, ReceivableStatus.FINANCING_REQUESTED]
    offer_b = financing_offer_make(actor=chain.user("bank_b"), pk=offer_of(request, chain, "bank_b").pk, data=OFFER)
    financing_offer_withdraw(actor=chain.user("bank_b"), pk=offer_b.pk)
    assert state(request, receivable) == [FinancingRequestStatus.CLOSED, ReceivableStatus.CONFIRMED]
    assert Notification.objects.filter(kind=notices.OFFER_REFUSED).count() == 1
    assert Notification.objects.filter(kind=notices.OFFER_WITHDRAWN).count() == 1
    # the receivable can be offered again
    request_on(chain, receivable, funders=("bank_c",))


def test_refused_offers_stay_refused(chain):
    receivable = make_receivable(chain, status=ReceivableStatus.CONFIRMED)
    request = request_on(chain, receivable)
    offer = offer_of(request, chain, "bank_a")
    financing_offer_refuse(actor=chain.user("bank_a"), pk=offer.pk, reason="no")
    with pytest.raises(Conflict):
        financing_offer_make(actor=chain.user("bank_a"), pk=offer.pk, data=OFFER)
    with pytest.raises(Conflict):
        financing_offer_withdraw(actor=chain.user("bank_a"), pk=offer.pk)


def test_the_requester_withdraws(chain):
    receivable = make_receivable(chain, status=ReceivableStatus.CONFIRMED)
    request = request_on(chain, receivable)
    with pytest.raises(PermissionDenied):
        financing_request_withdraw(actor=chain.user("bank_a"), pk=request.pk)
    financing_request_withdraw(actor=chain.user("supplier"), pk=request.pk)
    assert state(request, receivable) == [FinancingRequestStatus.WITHDRAWN, ReceivableStatus.CONFIRMED]
    assert set(FinancingOffer.objects.values_list("status", flat=True)) == {OfferStatus.CLOSED}
    with pytest.raises(Conflict):
        financing_request_withdraw(actor=chain.user("supplier"), pk=request.pk)


def test_expired_requests_close(chain):
    receivable = make_receivable(chain, status=ReceivableStatus.CONFIRMED)
    request = request_on(chain, receivable)
    assert financing_requests_close_expired(today=request.respond_by) == 0
    assert financing_requests_close_expired(today=request.respond_by + datetime.timedelta(days=1)) == 1
    assert state(request, receivable) == [FinancingRequestStatus.CLOSED, ReceivableStatus.CONFIRMED]
    assert Notification.objects.filter(kind=notices.REQUEST_EXPIRED, organization=chain.supplier).exists()


def test_release_after_repayment_frees_the_receivable(chain):
    receivable = make_receivable(chain, status=ReceivableStatus.CONFIRMED)
    request = request_on(chain, receivable)
    offer = financing_offer_make(actor=chain.user("bank_a"), pk=offer_of(request, chain, "bank_a").pk, data=OFFER)
    (registration,) = financing_offer_accept(actor=chain.user("supplier"), pk=offer.pk)
    with pytest.raises(PermissionDenied):
        registration_release(actor=chain.user("supplier"), pk=registration.pk)
    with pytest.raises(NotFound):
        registration_release(actor=chain.user("bank_b"), pk=registration.pk)
    registration_release(actor=chain.user("bank_a"), pk=registration.pk)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.RELEASED and registration.release_reason == "repaid"
    assert state(receivable) == [ReceivableStatus.CONFIRMED]
    with pytest.raises(Conflict):
        registration_release(actor=chain.user("bank_a"), pk=registration.pk)
    # financed again by another funder: the search shows both, the released one first
    request2 = request_on(chain, receivable, funders=("bank_b",))
    offer2 = financing_offer_make(actor=chain.user("bank_b"), pk=offer_of(request2, chain, "bank_b").pk, data=OFFER)
    financing_offer_accept(actor=chain.user("supplier"), pk=offer2.pk)
    found = registration_search(actor=chain.user("bank_b"), receivable_ids=[receivable.pk])
    assert [(r.funder, r.status) for r in found] == [(chain.bank_a, "released"), (chain.bank_b, "active")]


def test_an_overdue_receivable_is_not_registered_even_with_an_offer(chain):
    receivable = make_receivable(chain, status=ReceivableStatus.CONFIRMED)
    request = request_on(chain, receivable)
    offer = financing_offer_make(actor=chain.user("bank_a"), pk=offer_of(request, chain, "bank_a").pk, data=OFFER)
    Receivable.objects.filter(pk=receivable.pk).update(is_overdue=True)
    with pytest.raises(Conflict) as caught:
        financing_offer_accept(actor=chain.user("supplier"), pk=offer.pk)
    assert caught.value.code == "overdue"
    assert not Registration.objects.exists()
    assert state(offer, request) == [OfferStatus.OFFERED, FinancingRequestStatus.OPEN]
