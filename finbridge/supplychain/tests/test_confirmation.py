"""The debtor's confirmation (single and bulk) and dispute."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from finbridge.accounts.choices import Role
from finbridge.audit.models import AuditEvent
from finbridge.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from finbridge.notifications.models import Notification
from finbridge.supplychain import notices
from finbridge.supplychain.choices import ConfirmationMethod, ReceivableStatus
from finbridge.supplychain.models import Receivable, ReceivableConfirmation, ReceivableDocument
from finbridge.supplychain.services.confirmation import (
    fingerprint_of,
    receivable_confirm,
    receivable_confirm_bulk,
    receivable_content,
    receivable_dispute,
    receivable_fingerprint,
)
from finbridge.supplychain.tests.setup import build_chain, make_receivable

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain():
    return build_chain()


def test_the_debtor_confirms_and_the_confirmation_records_who_when_and_what(chain):
    chain.user("supplier")
    receivable = make_receivable(chain)
    ReceivableDocument.objects.create(receivable=receivable, file="x.pdf", name="x.pdf", sha256="ab" * 32, size=3)
    actor = chain.user("core")
    confirmation = receivable_confirm(actor=actor, pk=receivable.pk, fingerprint=receivable_fingerprint(receivable))
    receivable.refresh_from_db()
    assert receivable.status == ReceivableStatus.CONFIRMED and receivable.confirmed_at is not None
    assert confirmation.method == ConfirmationMethod.CONFIRMED
    assert (confirmation.confirmed_by, confirmation.organization) == (actor, chain.core)
    content = confirmation.content
    assert content["amount"] == "100000.00" and content["documents"] == ["ab" * 32]
    assert content["creditor"] == chain.supplier.pk and content["debtor"] == chain.core.pk
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert confirmation.fingerprint == hashlib.sha256(canonical.encode()).hexdigest()
    assert AuditEvent.objects.filter(action="receivable_confirm", object_id=str(receivable.pk)).exists()
    assert Notification.objects.filter(kind=notices.RECEIVABLE_CONFIRMED, organization=chain.supplier).exists()


def test_the_fingerprint_changes_with_any_confirmed_field(chain):
    receivable = make_receivable(chain)
    base = receivable_content(receivable)
    for key, value in (("amount", "100000.01"), ("due_on", "2099-01-01"), ("contract_reference", "other")):
        assert fingerprint_of({**base, key: value}) != fingerprint_of(base)


def test_a_stale_fingerprint_is_refused(chain):
    receivable = make_receivable(chain)
    with pytest.raises(Conflict) as caught:
        receivable_confirm(actor=chain.user("core"), pk=receivable.pk, fingerprint="0" * 64)
    assert caught.value.code == "content_changed"
    receivable.refresh_from_db()
    assert receivable.status == ReceivableStatus.PENDING
    assert not ReceivableConfirmation.objects.exists()


def test_confirmation_is_irrevocable(chain):
    receivable = make_receivable(chain)
    receivable_confirm(actor=chain.user("core"), pk=receivable.pk)
    with pytest.raises(Conflict) as caught:
        receivable_confirm(actor=chain.user("core"), pk=receivable.pk)
    assert caught.value.code == "invalid_transition"
    with pytest.raises(Conflict):
        receivable_dispute(actor=chain.user("core"), pk=receivable.pk, reason="changed my mind")
    assert ReceivableConfirmation.objects.count() == 1


def test_nobody_but_the_debtor_confirms(chain):
    receivable = make_receivable(chain)
    with pytest.raises(PermissionDenied) as caught:
        receivable_confirm(actor=chain.user("supplier"), pk=receivable.pk)
    assert caught.value.code == "not_debtor"
    with pytest.raises(NotFound):
        receivable_confirm(actor=chain.user("core2"), pk=receivable.pk)
    with pytest.raises(NotFound):
        receivable_confirm(actor=chain.user("bank_a"), pk=receivable.pk)
    with pytest.raises(PermissionDenied):
        receivable_confirm(actor=chain.user("district"), pk=receivable.pk)
    with pytest.raises(PermissionDenied):
        receivable_confirm(actor=chain.member("core", Role.VIEWER), pk=receivable.pk)
    with pytest.raises(NotFound):
        receivable_confirm(actor=chain.user("core"), pk="nope")
    receivable.refresh_from_db()
    assert receivable.status == ReceivableStatus.PENDING


def test_dispute_needs_a_reason_and_tells_the_creditor(chain):
    chain.user("supplier")
    receivable = make_receivable(chain)
    with pytest.raises(ValidationFailed):
        receivable_dispute(actor=chain.user("core"), pk=receivable.pk, reason="  ")
    disputed = receivable_dispute(actor=chain.user("core"), pk=receivable.pk, reason="Goods not delivered")
    assert disputed.status == ReceivableStatus.DISPUTED
    assert disputed.dispute_reason == "Goods not delivered"
    note = Notification.objects.get(kind=notices.RECEIVABLE_DISPUTED)
    assert note.params["reason"] == "Goods not delivered"
    with pytest.raises(Conflict):
        receivable_confirm(actor=chain.user("core"), pk=receivable.pk)


def test_bulk_confirmation_confirms_all_with_few_queries(chain, django_capture_on_commit_callbacks):
    chain.user("supplier")
    chain.user("supplier2")
    ids = [make_receivable(chain, creditor="supplier" if i % 2 else "supplier2").pk for i in range(60)]
    actor = chain.user("core")
    actor.permission_codes()
    with django_capture_on_commit_callbacks(execute=False) as callbacks, CaptureQueriesContext(connection) as queries:
        assert receivable_confirm_bulk(actor=actor, ids=ids) == 60
    assert len(queries) < 25
    for callback in callbacks:
        callback()
    assert Receivable.objects.filter(status=ReceivableStatus.CONFIRMED).count() == 60
    confirmations = ReceivableConfirmation.objects.all()
    assert confirmations.count() == 60
    for confirmation in confirmations.select_related("receivable"):
        assert confirmation.fingerprint == receivable_fingerprint(confirmation.receivable)
    assert AuditEvent.objects.filter(action="receivable_confirm").count() == 60
    # one notification per creditor, with the count
    counts = sorted(n.params["count"] for n in Notification.objects.filter(kind=notices.RECEIVABLE_CONFIRMED))
    assert counts == ["30", "30"]


def test_bulk_confirmation_is_all_or_nothing_and_reports_every_bad_id(chain):
    good = [make_receivable(chain).pk for _ in range(3)]
    confirmed = make_receivable(chain, status=ReceivableStatus.CONFIRMED).pk
    foreign = make_receivable(chain, debtor="core2").pk
    mine_as_creditor = make_receivable(chain, creditor="core", debtor="supplier").pk
    with pytest.raises(ValidationFailed) as caught:
        receivable_confirm_bulk(actor=chain.user("core"), ids=[*good, confirmed, foreign, mine_as_creditor, 999999])
    assert caught.value.code == "bulk_confirm_rejected"
    messages = " ".join(caught.value.fields["ids"])
    assert len(caught.value.fields["ids"]) == 4
    assert f"Receivable {confirmed}:" in messages and "999999" in messages
    assert f"Receivable {mine_as_creditor}: only its debtor" in messages
    assert Receivable.objects.filter(pk__in=good, status=ReceivableStatus.PENDING).count() == 3
    assert ReceivableConfirmation.objects.count() == 1  # the one made by make_receivable


@pytest.mark.parametrize("ids", [[], "1,2", [0], ["x"], None])
def test_bulk_confirmation_refuses_bad_ids(chain, ids):
    with pytest.raises(ValidationFailed):
        receivable_confirm_bulk(actor=chain.user("core"), ids=ids)


def test_bulk_confirmation_needs_the_trade_permission(chain):
    receivable = make_receivable(chain)
    for actor in (chain.user("bank_a"), chain.user("district"), chain.member("core", Role.VIEWER)):
        with pytest.raises(PermissionDenied):
            receivable_confirm_bulk(actor=actor, ids=[receivable.pk])
