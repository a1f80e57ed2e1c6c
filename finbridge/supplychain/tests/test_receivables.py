"""Receivables: the creditor's upload, the debtor's payable, correction, documents and withdrawal."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from finbridge.accounts.choices import Role
from finbridge.audit.models import AuditEvent
from finbridge.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from finbridge.notifications.models import Notification
from finbridge.supplychain import notices
from finbridge.supplychain.choices import ConfirmationMethod, ReceivableSource, ReceivableStatus
from finbridge.supplychain.models import Receivable, ReceivableConfirmation, ReceivableDocument
from finbridge.supplychain.services.confirmation import receivable_fingerprint
from finbridge.supplychain.services.receivables import (
    payable_create,
    receivable_create,
    receivable_document_add,
    receivable_update,
    receivable_withdraw,
)
from finbridge.supplychain.tests.setup import build_chain, make_receivable

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def chain():
    return build_chain()


def data(chain, **overrides):
    today = TODAY()
    values = {
        "debtor_uscc": chain.uscc("core"),
        "invoice_code": "4403201130",
        "invoice_number": "12345678",
        "amount": "250000.00",
        "issued_on": (today - datetime.timedelta(days=10)).isoformat(),
        "due_on": (today + datetime.timedelta(days=80)).isoformat(),
        "contract_reference": "HT-2026-0042",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def pdf(name="invoice.pdf", content=b"%PDF-1.4 invoice"):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def snapshot_counts():
    return (
        Receivable.objects.count(),
        ReceivableDocument.objects.count(),
        ReceivableConfirmation.objects.count(),
        AuditEvent.objects.count(),
        Notification.objects.count(),
    )


def test_creditor_uploads_a_receivable_pending_confirmation_and_the_debtor_is_told(chain):
    chain.user("core")  # a member to notify
    receivable = receivable_create(actor=chain.user("supplier"), data=data(chain), documents=[pdf()])
    assert receivable.status == ReceivableStatus.PENDING
    assert (receivable.creditor, receivable.debtor) == (chain.supplier, chain.core)
    assert receivable.amount == Decimal("250000.00")
    assert receivable.source == ReceivableSource.CREDITOR
    document = receivable.documents.get()
    assert len(document.sha256) == 64 and document.size == len(b"%PDF-1.4 invoice")
    assert AuditEvent.objects.filter(action="receivable_create", object_id=str(receivable.pk)).exists()
    note = Notification.objects.get(kind=notices.RECEIVABLE_UPLOADED)
    assert note.organization == chain.core


def test_the_debtor_may_be_given_by_organisation_id(chain):
    receivable = receivable_create(
        actor=chain.user("supplier"), data=data(chain, debtor_uscc=None, debtor=chain.core.pk)
    )
    assert receivable.debtor == chain.core


def test_a_debtor_uploading_its_payable_counts_as_confirmed(chain):
    chain.user("supplier")
    payable = payable_create(
        actor=chain.user("core"), data=data(chain, debtor_uscc=None, creditor_uscc=chain.uscc("supplier"))
    )
    assert payable.status == ReceivableStatus.CONFIRMED
    assert (payable.creditor, payable.debtor) == (chain.supplier, chain.core)
    confirmation = payable.confirmation
    assert confirmation.method == ConfirmationMethod.DEBTOR_UPLOAD
    assert confirmation.fingerprint == receivable_fingerprint(payable)
    assert Notification.objects.filter(kind=notices.PAYABLE_RECORDED, organization=chain.supplier).exists()


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"debtor_uscc": None}, "debtor", "validation_failed"),
        ({"invoice_number": "1234"}, "invoice_number", "validation_failed"),
        ({"invoice_code": "12AB"}, "invoice_code", "validation_failed"),
        ({"amount": "0"}, "amount", "validation_failed"),
        ({"amount": "-5"}, "amount", "validation_failed"),
        ({"amount": "12.345"}, "amount", "validation_failed"),
        ({"amount": "lots"}, "amount", "validation_failed"),
        ({"due_on": "2020-01-01"}, "due_on", "due_date_past"),
        ({"due_on": "not a date"}, "due_on", "validation_failed"),
        ({"issued_on": "2999-01-01"}, "issued_on", "validation_failed"),
        ({"contract_reference": "x" * 65}, "contract_reference", "validation_failed"),
        ({"colour": "red"}, "colour", "validation_failed"),
    ],
)
def test_bad_input_is_refused_with_its_field_and_nothing_changes(chain, overrides, field, code):
    actor = chain.user("supplier")
    before = snapshot_counts()
    with pytest.raises(ValidationFailed) as caught:
        receivable_create(actor=actor, data=data(chain, **overrides))
    assert caught.value.code == code
    assert field in caught.value.fields
    assert snapshot_counts() == before


def test_due_today_is_accepted_but_not_before_the_invoice_date(chain):
    today = TODAY()
    receivable_create(
        actor=chain.user("supplier"), data=data(chain, issued_on=today.isoformat(), due_on=today.isoformat())
    )
    with pytest.raises(ValidationFailed) as caught:
        receivable_create(
            actor=chain.user("supplier"),
            data=data(
                chain,
                invoice_number="22222222",
                issued_on=(today + datetime.timedelta(days=5)).isoformat(),
                due_on=(today + datetime.timedelta(days=1)).isoformat(),
            ),
        )
    assert "issued_on" in caught.value.fields
    assert Receivable.objects.count() == 1


def test_a_debtor_that_is_not_registered_is_refused(chain):
    before = snapshot_counts()
    with pytest.raises(ValidationFailed) as caught:
        receivable_create(actor=chain.user("supplier"), data=data(chain, debtor_uscc=chain.uscc("unregistered")))
    assert caught.value.code == "debtor_not_registered"
    with pytest.raises(ValidationFailed) as caught:
        receivable_create(actor=chain.user("supplier"), data=data(chain, debtor_uscc=None, debtor=chain.bank_a.pk))
    assert caught.value.code == "debtor_not_registered"
    with pytest.raises(ValidationFailed) as caught:
        receivable_create(actor=chain.user("supplier"), data=data(chain, debtor_uscc="91440300MA5XXXXXXX"))
    assert "debtor_uscc" in caught.value.fields
    assert snapshot_counts() == before


def test_an_inactive_debtor_is_not_registered(chain):
    chain.core.is_active = False
    chain.core.save()
    with pytest.raises(ValidationFailed) as caught:
        receivable_create(actor=chain.user("supplier"), data=data(chain))
    assert caught.value.code == "debtor_not_registered"


def test_a_receivable_on_oneself_is_refused(chain):
    with pytest.raises(ValidationFailed) as caught:
        receivable_create(actor=chain.user("supplier"), data=data(chain, debtor_uscc=chain.uscc("supplier")))
    assert caught.value.code == "same_party"


def test_a_duplicate_invoice_is_refused_and_nothing_changes(chain):
    receivable_create(actor=chain.user("supplier"), data=data(chain))
    before = snapshot_counts()
    with pytest.raises(ValidationFailed) as caught:
        receivable_create(actor=chain.user("supplier"), data=data(chain, amount="1.00"))
    assert caught.value.code == "duplicate_invoice"
    assert snapshot_counts() == before
    # the same invoice number on another debtor, or another code, is another receivable
    receivable_create(actor=chain.user("supplier"), data=data(chain, debtor_uscc=chain.uscc("core2")))
    receivable_create(actor=chain.user("supplier"), data=data(chain, invoice_code="440320113012"))
    assert Receivable.objects.count() == 3


def test_a_duplicate_payable_of_an_uploaded_receivable_is_refused(chain):
    receivable_create(actor=chain.user("supplier"), data=data(chain))
    with pytest.raises(ValidationFailed) as caught:
        payable_create(
            actor=chain.user("core"), data=data(chain, debtor_uscc=None, creditor_uscc=chain.uscc("supplier"))
        )
    assert caught.value.code == "duplicate_invoice"


def test_who_may_upload(chain):
    for name, role in (("bank_a", Role.STAFF), ("district", Role.ADMIN), ("supplier", Role.VIEWER), ("ia", Role.STAFF)):
        with pytest.raises(PermissionDenied):
            receivable_create(actor=chain.member(name, role), data=data(chain))
    assert Receivable.objects.count() == 0


def test_an_actor_of_several_firms_must_choose_one(chain):
    from finbridge.accounts.tests.factories import MembershipFactory

    actor = chain.user("supplier")
    MembershipFactory(user=actor, organization=chain.supplier2, role=Role.STAFF)
    actor = type(actor).objects.get(pk=actor.pk)
    with pytest.raises(ValidationFailed) as caught:
        receivable_create(actor=actor, data=data(chain))
    assert caught.value.code == "organization_required"
    receivable = receivable_create(actor=actor, data=data(chain), organization=chain.supplier2.pk)
    assert receivable.creditor == chain.supplier2
    with pytest.raises(PermissionDenied):
        receivable_create(actor=actor, data=data(chain), organization=chain.tier2)


@pytest.mark.parametrize("name", ["invoice.exe", "empty.pdf"])
def test_bad_documents_are_refused(chain, name):
    content = b"" if name == "empty.pdf" else b"MZ"
    before = snapshot_counts()
    with pytest.raises(ValidationFailed) as caught:
        receivable_create(actor=chain.user("supplier"), data=data(chain), documents=[pdf(name, content)])
    assert "documents" in caught.value.fields
    assert snapshot_counts() == before


def test_creditor_corrects_a_disputed_receivable_which_goes_back_to_pending(chain):
    receivable = make_receivable(chain, status=ReceivableStatus.DISPUTED, dispute_reason="wrong amount")
    updated = receivable_update(actor=chain.user("supplier"), pk=receivable.pk, data={"amount": "99000.00"})
    assert updated.status == ReceivableStatus.PENDING
    assert updated.amount == Decimal("99000.00")
    assert updated.dispute_reason == ""


def test_the_invoice_cannot_be_corrected(chain):
    receivable = make_receivable(chain)
    with pytest.raises(ValidationFailed) as caught:
        receivable_update(actor=chain.user("supplier"), pk=receivable.pk, data={"invoice_number": "87654321"})
    assert "invoice_number" in caught.value.fields


@pytest.mark.parametrize("status", [ReceivableStatus.CONFIRMED, ReceivableStatus.FINANCED, ReceivableStatus.SETTLED])
def test_a_confirmed_receivable_cannot_be_changed(chain, status):
    receivable = make_receivable(chain, status=status)
    with pytest.raises(Conflict):
        receivable_update(actor=chain.user("supplier"), pk=receivable.pk, data={"amount": "1.00"})
    with pytest.raises(Conflict):
        receivable_document_add(actor=chain.user("supplier"), pk=receivable.pk, file=pdf())
    receivable.refresh_from_db()
    assert receivable.amount == Decimal("100000.00")
    assert receivable.documents.count() == 0


def test_only_the_creditor_changes_its_receivable(chain):
    receivable = make_receivable(chain)
    with pytest.raises(PermissionDenied) as caught:
        receivable_update(actor=chain.user("core"), pk=receivable.pk, data={"amount": "1.00"})
    assert caught.value.code == "not_creditor"
    with pytest.raises(NotFound):
        receivable_withdraw(actor=chain.user("outsider"), pk=receivable.pk)
    with pytest.raises(PermissionDenied):
        receivable_withdraw(actor=chain.user("district"), pk=receivable.pk)


def test_a_document_added_before_confirmation_enters_the_fingerprint(chain):
    receivable = make_receivable(chain)
    before = receivable_fingerprint(receivable)
    receivable_document_add(actor=chain.user("supplier"), pk=receivable.pk, file=pdf())
    assert receivable_fingerprint(receivable) != before


def test_withdraw(chain):
    receivable = make_receivable(chain)
    assert receivable_withdraw(actor=chain.user("supplier"), pk=receivable.pk).status == ReceivableStatus.WITHDRAWN
    with pytest.raises(Conflict):
        receivable_withdraw(actor=chain.user("supplier"), pk=receivable.pk)
