"""Demo data of supply-chain finance (run by seed_demo through settings.FINBRIDGE_DEMO_LOADERS, after the
registry and the financing demo).

A year of trade around the demo core enterprise: its tier-1 suppliers (the demo MSME and registry firms given a
platform account here) upload receivables on it; most are confirmed, some disputed or still pending; confirmed
ones are financed by the demo banks (requests, offers, registrations), paid at or near maturity (payments to
the funder or the supplier), or overdue; one payable is issued as a payment voucher split down to tier 2 and
tier 3, with a part financed. Writes directly, like the other loaders (no audit events, no notifications),
with the same fingerprints as the services. Does nothing when receivables exist.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from finbridge.accounts.choices import BankTier, OrgType
from finbridge.accounts.models import Organization
from finbridge.core.money import quantize_amount
from finbridge.enterprises.models import Enterprise
from finbridge.supplychain.choices import (
    ConfirmationMethod,
    FinancingRequestStatus,
    OfferStatus,
    PayeeRole,
    ReceivableSource,
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
    ReceivableConfirmation,
    Registration,
    Voucher,
)
from finbridge.supplychain.services._common import new_number
from finbridge.supplychain.services.confirmation import fingerprint_of, receivable_content

SUPPLIERS = 8  # tier-1 suppliers of the core enterprise (the demo MSME first)
SUB_SUPPLIERS = 3  # their own suppliers (tier 2 and 3)
RECEIVABLES_PER_SUPPLIER = 14


class _Loader:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.counts: dict[str, int] = {}
        self.invoice = rng.randrange(10_000_000, 60_000_000)

    def bump(self, name: str, by: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + by

    # -- parties --------------------------------------------------------------------------------------------------

    def firms(self, core: Organization) -> tuple[list[Organization], list[Organization]]:
        """(tier-1 suppliers, sub-suppliers): the demo MSME first, then registry manufacturers given an account."""
        demo_msme = (
            Organization.objects.filter(org_type=OrgType.MSME, is_active=True, enterprise__isnull=False)
            .order_by("pk")
            .first()
        )
        candidates = list(
            Enterprise.objects.filter(organization__isnull=True, industry_code__startswith="C")
            .exclude(size_class__in=("large", ""))
            .order_by("pk")[: (SUPPLIERS + SUB_SUPPLIERS) * 3]
        )
        self.rng.shuffle(candidates)
        orgs = [demo_msme] if demo_msme else []
        for enterprise in candidates[: SUPPLIERS + SUB_SUPPLIERS - len(orgs)]:
            org = Organization.objects.create(
                org_type=OrgType.MSME,
                name=enterprise.name,
                name_en=enterprise.name_en,
                district=core.district,
                created_at=self.now - datetime.timedelta(days=400),
            )
            # demo data is written directly, without record history (as the registry's loader does)
            Enterprise.objects.filter(pk=enterprise.pk).update(organization=org)
            orgs.append(org)
            self.bump("supply-chain firm accounts")
        return orgs[:SUPPLIERS], orgs[SUPPLIERS:]

    @staticmethod
    def funders() -> list[Organization]:
        banks = Organization.objects.filter(org_type=OrgType.BANK, is_active=True).order_by("pk")
        branches = list(banks.exclude(bank_tier=BankTier.HEAD_OFFICE))
        return branches or list(banks)

    # -- receivables ----------------------------------------------------------------------------------------------

    def receivable(
        self,
        creditor: Organization,
        debtor: Organization,
        *,
        issued: datetime.date,
        days: int,
        amount: Decimal,
        status: str,
        source: str = ReceivableSource.CREDITOR,
    ) -> Receivable:
        self.invoice += self.rng.randrange(1, 40)
        created = timezone.make_aware(datetime.datetime.combine(issued, datetime.time(10)))
        receivable = Receivable.objects.create(
            creditor=creditor,
            debtor=debtor,
            invoice_code="4403" + f"{issued:%y}" + "3" + "130",
            invoice_number=f"{self.invoice % 100_000_000:08d}",
            amount=amount,
            issued_on=issued,
            due_on=issued + datetime.timedelta(days=days),
            contract_reference=f"CG-{issued:%Y}-{self.rng.randrange(100, 999)}",
            description="电池模组结构件" if self.rng.random() < 0.5 else "线束及连接器",
            status=status,
            source=source,
            created_at=created,
            updated_at=created,
        )
        self.bump("receivables")
        if status not in (ReceivableStatus.PENDING, ReceivableStatus.DISPUTED, ReceivableStatus.WITHDRAWN):
            self.confirm(receivable, created + datetime.timedelta(days=self.rng.randrange(1, 6)), source)
        if status == ReceivableStatus.DISPUTED:
            receivable.disputed_at = created + datetime.timedelta(days=2)
            receivable.dispute_reason = "到货数量与发票不符，请核对后重新提交。"
            receivable.save(update_fields=["disputed_at", "dispute_reason"])
        return receivable

    def confirm(self, receivable: Receivable, at: datetime.datetime, source: str) -> None:
        if source == ReceivableSource.DEBTOR:
            at = receivable.created_at
        at = min(at, self.now)
        content = receivable_content(receivable)
        ReceivableConfirmation.objects.create(
            receivable=receivable,
            method=ConfirmationMethod.DEBTOR_UPLOAD
            if source == ReceivableSource.DEBTOR
            else ConfirmationMethod.CONFIRMED,
            organization=receivable.debtor,
            confirmed_by_name="孙涛",
            confirmed_at=at,
            content=content,
            fingerprint=fingerprint_of(content),
        )
        receivable.confirmed_at = at
        receivable.save(update_fields=["confirmed_at"])

    # -- financing ------------------------------------------------------------------------------------------------

    def finance(
        self,
        requester: Organization,
        assets: list[Receivable | Voucher],
        funders: list[Organization],
        *,
        accepted: bool,
        on: datetime.date,
    ) -> list[Registration]:
        face = sum((a.amount for a in assets), Decimal("0"))
        asked = self.rng.sample(funders, k=min(len(funders), self.rng.choice((1, 2, 3))))
        sent = timezone.make_aware(datetime.datetime.combine(on, datetime.time(9)))
        request = FinancingRequest.objects.create(
            requester=requester,
            status=FinancingRequestStatus.ACCEPTED if accepted else FinancingRequestStatus.OPEN,
            face_amount=face,
            amount_requested=face,
            respond_by=max(on + datetime.timedelta(days=7), self.today)
            if not accepted
            else on + datetime.timedelta(days=7),
            created_at=sent,
            decided_at=sent + datetime.timedelta(days=3) if accepted else None,
        )
        self.bump("financing requests")
        for asset in assets:
            FinancingRequestItem.objects.create(
                request=request,
                receivable=None if isinstance(asset, Voucher) else asset,
                voucher=asset if isinstance(asset, Voucher) else None,
                amount=asset.amount,
            )
        offers = []
        for index, funder in enumerate(asked):
            ratio = Decimal(self.rng.choice(("0.700000", "0.800000", "0.850000", "0.900000")))
            made = accepted or self.rng.random() < 0.6
            offers.append(
                FinancingOffer.objects.create(
                    request=request,
                    funder=funder,
                    status=(OfferStatus.ACCEPTED if index == 0 else OfferStatus.CLOSED)
                    if accepted
                    else (OfferStatus.OFFERED if made else OfferStatus.PENDING),
                    advance_amount=quantize_amount(face * ratio) if made else None,
                    advance_ratio=ratio if made else None,
                    annual_rate=Decimal(self.rng.choice(("0.032000", "0.036500", "0.041000"))) if made else None,
                    fees=Decimal("0.00") if made else None,
                    term_days=self.rng.choice((60, 90, 120)) if made else None,
                    registration_kind=self.rng.choice(RegistrationKind.values) if made else "",
                    answered_at=sent + datetime.timedelta(days=1) if made else None,
                    created_at=sent,
                )
            )
            self.bump("financing offers")
        if not accepted:
            return []
        offer = offers[0]
        registrations = []
        for asset in assets:
            voucher = asset if isinstance(asset, Voucher) else None
            registrations.append(
                Registration.objects.create(
                    number=new_number("REG"),
                    receivable=None if voucher else asset,
                    voucher=voucher,
                    root_receivable_id=voucher.receivable_id if voucher else asset.pk,
                    funder=offer.funder,
                    assignor=requester,
                    kind=offer.registration_kind,
                    face_amount=asset.amount,
                    advance_amount=quantize_amount(asset.amount * offer.advance_ratio),
                    request=request,
                    offer=offer,
                    registered_at=sent + datetime.timedelta(days=3),
                )
            )
            self.bump("registrations")
        return registrations

    def settle(self, receivable: Receivable, parts: list[Voucher] | None = None, *, late: int = 0) -> None:
        paid_on = min(receivable.due_on + datetime.timedelta(days=late - self.rng.choice((0, 0, 1, 3, 7))), self.today)
        paid_on = max(paid_on, receivable.issued_on)
        at = timezone.make_aware(datetime.datetime.combine(paid_on, datetime.time(15)))
        active = {
            (r.voucher_id, r.receivable_id): r
            for r in Registration.objects.filter(root_receivable=receivable, status=RegistrationStatus.ACTIVE)
        }
        targets: list[tuple[Voucher | None, Any]] = [(p, p) for p in parts] if parts else [(None, receivable)]
        for part, asset in targets:
            registration = active.get((part.pk, None) if part else (None, receivable.pk))
            if registration is not None:
                registration.status = RegistrationStatus.RELEASED
                registration.released_at = at
                registration.release_reason = ReleaseReason.SETTLED
                registration.save(update_fields=["status", "released_at", "release_reason"])
            if part is not None:
                part.status = VoucherStatus.SETTLED
                part.save(update_fields=["status"])
            Payment.objects.create(
                receivable=receivable,
                voucher=part,
                registration=registration,
                payer=receivable.debtor,
                payee_id=registration.funder_id
                if registration
                else (part.holder_id if part else receivable.creditor_id),
                payee_role=PayeeRole.FUNDER if registration else PayeeRole.HOLDER,
                tier=part.tier if part else 1,
                amount=asset.amount,
                due_on=receivable.due_on,
                paid_on=paid_on,
                days_early=(receivable.due_on - paid_on).days,
                reference=f"TT{paid_on:%Y%m%d}{self.rng.randrange(1000, 9999)}",
                recorded_at=at,
            )
            self.bump("payments")
        receivable.status = ReceivableStatus.SETTLED
        receivable.settled_on = paid_on
        receivable.save(update_fields=["status", "settled_on"])

    # -- the year ------------------------------------------------------------------------------------------------

    def supplier_year(self, supplier: Organization, core: Organization, funders: list[Organization]) -> None:
        for _ in range(RECEIVABLES_PER_SUPPLIER):
            issued = self.today - datetime.timedelta(days=self.rng.randrange(5, 360))
            days = self.rng.choice((60, 90, 90, 120, 180))
            amount = quantize_amount(
                Decimal(self.rng.randrange(50_000, 3_000_000)) + Decimal(self.rng.randrange(100)) / 100
            )
            due = issued + datetime.timedelta(days=days)
            roll = self.rng.random()
            source = ReceivableSource.DEBTOR if self.rng.random() < 0.15 else ReceivableSource.CREDITOR
            if due < self.today:  # matured: paid, mostly on time, a few overdue
                if roll < 0.08:
                    receivable = self.receivable(
                        supplier,
                        core,
                        issued=issued,
                        days=days,
                        amount=amount,
                        status=ReceivableStatus.CONFIRMED,
                        source=source,
                    )
                    receivable.is_overdue = True
                    receivable.overdue_since = due + datetime.timedelta(days=1)
                    receivable.save(update_fields=["is_overdue", "overdue_since"])
                    continue
                financed = roll < 0.55
                receivable = self.receivable(
                    supplier,
                    core,
                    issued=issued,
                    days=days,
                    amount=amount,
                    status=ReceivableStatus.FINANCED if financed else ReceivableStatus.CONFIRMED,
                    source=source,
                )
                if financed:
                    self.finance(supplier, [receivable], funders, accepted=True, on=issued + datetime.timedelta(days=7))
                self.settle(receivable, late=self.rng.choice((0, 0, 0, 0, 2)))
                continue
            if source == ReceivableSource.DEBTOR:
                status = ReceivableStatus.CONFIRMED
            elif roll < 0.15:
                status = ReceivableStatus.PENDING
            elif roll < 0.22:
                status = ReceivableStatus.DISPUTED
            elif roll < 0.45:
                status = ReceivableStatus.CONFIRMED
            elif roll < 0.58:
                status = ReceivableStatus.FINANCING_REQUESTED
            else:
                status = ReceivableStatus.FINANCED
            receivable = self.receivable(
                supplier, core, issued=issued, days=days, amount=amount, status=status, source=source
            )
            if status in (ReceivableStatus.FINANCED, ReceivableStatus.FINANCING_REQUESTED):
                on = min(issued + datetime.timedelta(days=10), self.today)
                self.finance(supplier, [receivable], funders, accepted=status == ReceivableStatus.FINANCED, on=on)

    def voucher_tree(
        self, supplier: Organization, core: Organization, subs: list[Organization], funders: list[Organization]
    ) -> None:
        """A payable issued as a voucher, split from tier 1 down to tier 3, with the tier-3 part financed."""
        if len(subs) < 2:
            return
        issued = self.today - datetime.timedelta(days=20)
        receivable = self.receivable(
            supplier,
            core,
            issued=issued,
            days=120,
            amount=Decimal("2000000.00"),
            status=ReceivableStatus.VOUCHER_ISSUED,
        )

        def part(
            parent: Voucher | None, holder: Organization, amount: str, tier: int, origin: str, status: str
        ) -> Voucher:
            voucher = Voucher.objects.create(
                number=new_number("V"),
                receivable=receivable,
                root=parent.root if parent else None,
                parent=parent,
                tier=tier,
                holder=holder,
                amount=Decimal(amount),
                status=status,
                origin=origin,
            )
            if parent is None:
                voucher.root = voucher
                voucher.save(update_fields=["root"])
            self.bump("voucher parts")
            return voucher

        root = part(None, supplier, "2000000.00", 1, VoucherOrigin.ISSUED, VoucherStatus.SPLIT)
        to_tier2 = part(root, subs[0], "800000.00", 2, VoucherOrigin.TRANSFERRED, VoucherStatus.SPLIT)
        part(root, supplier, "1200000.00", 1, VoucherOrigin.KEPT, VoucherStatus.HELD)
        to_tier3 = part(to_tier2, subs[1], "300000.00", 3, VoucherOrigin.TRANSFERRED, VoucherStatus.FINANCED)
        part(to_tier2, subs[0], "500000.00", 2, VoucherOrigin.KEPT, VoucherStatus.HELD)
        self.finance(subs[1], [to_tier3], funders, accepted=True, on=self.today - datetime.timedelta(days=5))


def seed_supplychain(*, seed: int) -> dict[str, Any]:
    """Load the demo receivables, financing, vouchers and payments; returns what was written. Nothing when
    receivables exist or the demo has no core enterprise or bank."""
    if Receivable.objects.exists():
        return {}
    core = Organization.objects.filter(org_type=OrgType.CORE_ENTERPRISE, is_active=True).order_by("pk").first()
    loader = _Loader(random.Random(seed + 9))
    funders = loader.funders()
    if core is None or not funders:
        return {}
    with transaction.atomic():
        suppliers, subs = loader.firms(core)
        for supplier in suppliers:
            loader.supplier_year(supplier, core, funders)
        if suppliers:
            loader.voucher_tree(suppliers[0], core, subs, funders)
    return loader.counts
