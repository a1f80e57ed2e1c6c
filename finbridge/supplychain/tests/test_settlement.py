"""Settlement at maturity and the daily overdue flag."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from finbridge.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from finbridge.notifications.models import Notification
from finbridge.supplychain import notices
from finbridge.supplychain.choices import (
    FinancingRequestStatus,
    PayeeRole,
    ReceivableStatus,
    RegistrationStatus,
    VoucherStatus,
)
from finbridge.supplychain.models import FinancingOffer, Payment, Receivable, Registration, Voucher
from finbridge.supplychain.services.financing import (
    financing_offer_accept,
    financing_offer_make,
    financing_request_create,
)
from finbridge.supplychain.services.settlement import receivable_settle, receivables_flag_overdue
from finbridge.supplychain.services.vouchers import voucher_issue, voucher_split
from finbridge.supplychain.tasks import close_expired_financing_requests, flag_overdue_receivables
from finbridge.supplychain.tests.setup import build_chain, make_receivable

pytestmark = pytest.mark.django_db
OFFER = {"advance_ratio": "0.8", "annual_rate": "0.045", "term_days": 90, "registration_kind": "pledge"}
TODAY = timezone.localdate


@pytest.fixture
def chain():
    chain = build_chain()
    for name in ("supplier", "core", "tier2", "tier3", "bank_a", "bank_b"):
        chain.user(name)
    return chain


def finance(chain, requester, funder="bank_a", receivable_ids=(), voucher_ids=()):
    request = financing_request_create(
        actor=chain.user(requester),
        funder_ids=[chain.org(funder).pk],
        receivable_ids=list(receivable_ids),
        voucher_ids=list(voucher_ids),
    )
    offer = FinancingOffer.objects.get(request=request)
    financing_offer_make(actor=chain.user(funder), pk=offer.pk, data=OFFER)
    return financing_offer_accept(actor=chain.user(requester), pk=offer.pk)


def test_paying_an_unfinanced_receivable_pays_the_creditor(chain):
    receivable = make_receivable(chain, status=ReceivableStatus.CONFIRMED, amount="5000.00")
    paid_on = TODAY() - datetime.timedelta(days=1)
    (payment,) = receivable_settle(actor=chain.user("core"), pk=receivable.pk, paid_on=paid_on, reference="TT-1")
    assert (payment.payee, payment.payee_role, payment.amount) == (chain.supplier, PayeeRole.HOLDER, Decimal("5000.00"))
    assert payment.days_early == (receivable.due_on - paid_on).days
    receivable.refresh_from_db()
    assert receivable.status == ReceivableStatus.SETTLED and receivable.settled_on == paid_on
    assert Notification.objects.filter(kind=notices.PAYMENT_RECORDED, organization=chain.supplier).exists()


def test_paying_a_financed_receivable_pays_the_funder_and_releases_the_registration(chain):
    receivable = make_receivable(chain, status=ReceivableStatus.CONFIRMED)
    (registration,) = finance(chain, "supplier", receivable_ids=[receivable.pk])
    (payment,) = receivable_settle(actor=chain.user("core"), pk=receivable.pk)
    assert (payment.payee, payment.payee_role, payment.registration) == (chain.bank_a, PayeeRole.FUNDER, registration)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.RELEASED and registration.release_reason == "settled"
    assert Notification.objects.filter(kind=notices.PAYMENT_RECORDED, organization=chain.bank_a).exists()
    assert Notification.objects.filter(kind=notices.PAYMENT_RECORDED, organization=chain.supplier).exists()


def test_paying_a_voucher_pays_every_live_part_to_its_holder_or_funder(chain):
    receivable = make_receivable(chain, status=ReceivableStatus.CONFIRMED, amount="1000.00")
    root = voucher_issue(actor=chain.user("core"), receivable_id=receivable.pk)
    to_tier2, kept = voucher_split(
        actor=chain.user("supplier"), pk=root.pk, parts=[{"amount": "600", "recipient": chain.tier2.pk}]
    )
    to_tier3, tier2_kept = voucher_split(
        actor=chain.user("tier2"), pk=to_tier2.pk, parts=[{"amount": "250", "recipient": chain.tier3.pk}]
    )
    finance(chain, "tier3", funder="bank_b", voucher_ids=[to_tier3.pk])
    payments = receivable_settle(actor=chain.user("core"), pk=receivable.pk)
    paid = {(p.voucher_id, p.payee_id, p.payee_role, p.tier, p.amount) for p in payments}
    assert paid == {
        (kept.pk, chain.supplier.pk, "holder", 1, Decimal("400.00")),
        (tier2_kept.pk, chain.tier2.pk, "holder", 2, Decimal("350.00")),
        (to_tier3.pk, chain.bank_b.pk, "funder", 3, Decimal("250.00")),
    }
    assert sum(p.amount for p in payments) == receivable.amount
    live = Voucher.objects.exclude(status=VoucherStatus.SPLIT)
    assert set(live.values_list("status", flat=True)) == {VoucherStatus.SETTLED}
    assert not Registration.objects.filter(status=RegistrationStatus.ACTIVE).exists()


def test_paying_closes_an_open_financing_request(chain):
    receivable = make_receivable(chain, status=ReceivableStatus.CONFIRMED)
    request = financing_request_create(
        actor=chain.user("supplier"), funder_ids=[chain.bank_a.pk], receivable_ids=[receivable.pk]
    )
    receivable_settle(actor=chain.user("core"), pk=receivable.pk)
    request.refresh_from_db()
    assert request.status == FinancingRequestStatus.CLOSED
    receivable.refresh_from_db()
    assert receivable.status == ReceivableStatus.SETTLED


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (ReceivableStatus.PENDING, "not_confirmed"),
        (ReceivableStatus.DISPUTED, "not_confirmed"),
        (ReceivableStatus.SETTLED, "already_settled"),
        (ReceivableStatus.WITHDRAWN, "invalid_transition"),
    ],
)
def test_what_cannot_be_paid(chain, status, code):
    receivable = make_receivable(chain, status=status)
    with pytest.raises(Conflict) as caught:
        receivable_settle(actor=chain.user("core"), pk=receivable.pk)
    assert caught.value.code == code
    assert not Payment.objects.exists()


def test_only_the_debtor_pays(chain):
    receivable = make_receivable(chain, status=ReceivableStatus.CONFIRMED)
    with pytest.raises(PermissionDenied):
        receivable_settle(actor=chain.user("supplier"), pk=receivable.pk)
    with pytest.raises(PermissionDenied):
        receivable_settle(actor=chain.user("district"), pk=receivable.pk)
    with pytest.raises(NotFound):
        receivable_settle(actor=chain.user("bank_b"), pk=receivable.pk)
    assert not Payment.objects.exists()


@pytest.mark.parametrize("paid_on", ["2999-01-01", "2000-01-01", "yesterday"])
def test_bad_payment_dates(chain, paid_on):
    receivable = make_receivable(chain, status=ReceivableStatus.CONFIRMED)
    with pytest.raises(ValidationFailed) as caught:
        receivable_settle(actor=chain.user("core"), pk=receivable.pk, paid_on=paid_on)
    assert "paid_on" in caught.value.fields
    receivable.refresh_from_db()
    assert receivable.status == ReceivableStatus.CONFIRMED and not Payment.objects.exists()


def test_overdue_is_flagged_once_and_every_party_is_told(chain):
    due = TODAY() - datetime.timedelta(days=1)
    issued_on = due - datetime.timedelta(days=30)
    overdue = make_receivable(chain, status=ReceivableStatus.CONFIRMED, due_on=due, issued_on=issued_on)
    financed = make_receivable(chain, status=ReceivableStatus.CONFIRMED, amount="777.00")
    finance(chain, "supplier", receivable_ids=[financed.pk])
    Receivable.objects.filter(pk=financed.pk).update(due_on=due, issued_on=issued_on)
    pending = make_receivable(chain, due_on=due, issued_on=issued_on)
    not_yet = make_receivable(chain, status=ReceivableStatus.CONFIRMED, due_on=TODAY(), issued_on=issued_on)
    assert flag_overdue_receivables() == 2
    assert receivables_flag_overdue() == 0
    flags = dict(Receivable.objects.values_list("pk", "is_overdue"))
    assert flags == {overdue.pk: True, financed.pk: True, pending.pk: False, not_yet.pk: False}
    overdue.refresh_from_db()
    assert overdue.overdue_since == TODAY()
    told = set(Notification.objects.filter(kind=notices.RECEIVABLE_OVERDUE).values_list("organization_id", flat=True))
    assert told == {chain.supplier.pk, chain.core.pk, chain.bank_a.pk}
    # an overdue receivable can still be paid; the flag stays as history
    receivable_settle(actor=chain.user("core"), pk=overdue.pk)
    overdue.refresh_from_db()
    assert overdue.status == ReceivableStatus.SETTLED and overdue.is_overdue


def test_close_expired_task_runs(chain):
    assert close_expired_financing_requests() == 0
