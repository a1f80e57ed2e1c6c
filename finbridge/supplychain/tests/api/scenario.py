"""A supply chain in every state, for the API, page and permission tests (built on tests/setup.py).

    from finbridge.supplychain.tests.api.scenario import build_world
    world = build_world()   # world.pending, world.request, world.offer_a ...

`world.chain` is the Chain of tests/setup.py; the records are made through the services, so they are exactly
what users make:
  pending      supplier → core, pending confirmation (with one PDF document)
  confirmed    supplier → core, confirmed (free to finance)
  requested    supplier → core, in `request`, sent to bank_a and bank_b; bank_a made `offer_a`, bank_b's
               `offer_b` is pending
  payable      core's payable to supplier, issued as `voucher` (root, tier 1, held by supplier)
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from finbridge.audit.models import AuditEvent
from finbridge.supplychain.choices import ReceivableStatus
from finbridge.supplychain.models import (
    FinancingOffer,
    FinancingRequest,
    Payment,
    Receivable,
    ReceivableConfirmation,
    ReceivableDocument,
    ReceivableUploadRun,
    Registration,
    Voucher,
)
from finbridge.supplychain.services.financing import financing_offer_make, financing_request_create
from finbridge.supplychain.services.receivables import payable_create, receivable_create
from finbridge.supplychain.services.vouchers import voucher_issue
from finbridge.supplychain.tests.setup import Chain, build_chain, make_receivable, next_invoice_number

OFFER = {"advance_ratio": "0.8", "annual_rate": "0.045", "fees": "500", "term_days": 90, "registration_kind": "pledge"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name: str = "invoice.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def terms(**overrides: Any) -> dict[str, Any]:
    """A receivable's terms as a client sends them (issued 10 days ago, due in 60)."""
    today = timezone.localdate()
    data = {
        "invoice_code": "4403201130",
        "invoice_number": next_invoice_number(),
        "amount": "125000.00",
        "issued_on": (today - datetime.timedelta(days=10)).isoformat(),
        "due_on": (today + datetime.timedelta(days=60)).isoformat(),
        "contract_reference": "HT-2026-017",
        "description": "电池连接片",
    }
    data.update(overrides)
    return data


def state() -> tuple[int, ...]:
    """Counts of every supply-chain table and of the audit trail: equal before and after means nothing changed."""
    models = (
        Receivable,
        ReceivableConfirmation,
        ReceivableDocument,
        ReceivableUploadRun,
        FinancingRequest,
        FinancingOffer,
        Registration,
        Voucher,
        Payment,
        AuditEvent,
    )
    statuses = tuple(Receivable.objects.order_by("pk").values_list("status", flat=True))
    return (*(model.objects.count() for model in models), hash(statuses))


@dataclass
class World:
    chain: Chain
    pending: Receivable
    confirmed: Receivable
    requested: Receivable
    request: FinancingRequest
    offer_a: FinancingOffer
    offer_b: FinancingOffer
    payable: Receivable
    voucher: Voucher

    def user(self, name: str) -> Any:
        return self.chain.user(name)


def build_world() -> World:
    chain = build_chain()
    supplier, core = chain.user("supplier"), chain.user("core")
    pending = receivable_create(actor=supplier, data={**terms(), "debtor": chain.core.pk}, documents=[pdf()])
    confirmed = make_receivable(chain, status=ReceivableStatus.CONFIRMED, amount="300000.00")
    requested = make_receivable(chain, status=ReceivableStatus.CONFIRMED, amount="200000.00")
    request = financing_request_create(
        actor=supplier,
        funder_ids=[chain.bank_a.pk, chain.bank_b.pk],
        receivable_ids=[requested.pk],
        note="流动资金",
    )
    offer_a = FinancingOffer.objects.get(request=request, funder=chain.bank_a)
    financing_offer_make(actor=chain.user("bank_a"), pk=offer_a.pk, data=OFFER)
    payable = payable_create(actor=core, data={**terms(amount="500000.00"), "creditor": chain.supplier.pk})
    voucher = voucher_issue(actor=core, receivable_id=payable.pk)
    for row in (pending, confirmed, requested, payable, voucher):
        row.refresh_from_db()
    return World(
        chain=chain,
        pending=pending,
        confirmed=confirmed,
        requested=requested,
        request=request,
        offer_a=FinancingOffer.objects.get(pk=offer_a.pk),
        offer_b=FinancingOffer.objects.get(request=request, funder=chain.bank_b),
        payable=payable,
        voucher=voucher,
    )


def amount(value: str) -> Decimal:
    return Decimal(value)
