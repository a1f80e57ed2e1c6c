"""Claims on covered loans, their evidence and history, payouts, owed amounts and recoveries."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models.functions import Round
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.financing.choices import LoanClassification
from finbridge.financing.models._fields import amount_field
from finbridge.riskpool.choices import (
    ClaimAction,
    ClaimDecision,
    ClaimDocumentKind,
    ClaimStatus,
    OwedStatus,
)


class Claim(models.Model):
    """A bank's claim on a covered loan that became non-performing: one per default (per enrolment)."""

    pool = models.ForeignKey("riskpool.Pool", on_delete=models.PROTECT, related_name="claims")
    enrolment = models.ForeignKey("riskpool.Enrolment", on_delete=models.PROTECT, related_name="claims")
    bank = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("claimant bank")
    )
    rule_version = models.ForeignKey(
        "riskpool.RuleVersion",
        on_delete=models.PROTECT,
        related_name="claims",
        verbose_name=_("rule version"),
        help_text=_("The enrolment's rule version, which governs the payout."),
    )
    reference = models.CharField(_("claim number"), max_length=32, help_text=_("Unique within the pool."))
    status = models.CharField(_("status"), max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.SUBMITTED)
    loan_classification = models.CharField(
        _("classification when filed"), max_length=16, choices=LoanClassification.choices
    )
    defaulted_on = models.DateField(_("non-performing since"))
    lost_principal = amount_field(_("lost principal (CNY)"), minimum=Decimal("0.01"))
    lost_interest = amount_field(_("lost interest (CNY)"), default=0)
    description = models.TextField(_("description"), blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("filed by")
    )
    filed_at = models.DateTimeField(_("filed at"), default=timezone.now)
    submitted_at = models.DateTimeField(_("last submitted at"), default=timezone.now)
    # The latest decision.
    decision = models.CharField(_("decision"), max_length=16, choices=ClaimDecision.choices, blank=True)
    decision_reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    approved_principal = amount_field(
        _("accepted lost principal (CNY)"), null=True, blank=True, help_text=_("Below the claim when approved in part.")
    )
    approved_interest = amount_field(_("accepted lost interest (CNY)"), null=True, blank=True)

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["-filed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["pool", "reference"], name="riskpool_claim_unique_reference"),
            models.UniqueConstraint(
                fields=["enrolment"],
                condition=~models.Q(status="withdrawn"),
                name="riskpool_claim_one_per_enrolment",
            ),
        ]
        indexes = [
            models.Index(fields=["pool", "status"], name="riskpool_claim_pool_status"),
            models.Index(fields=["pool", "bank", "status"], name="riskpool_claim_pool_bank"),
        ]

    def __str__(self) -> str:
        return self.reference


def claim_document_path(instance: ClaimDocument, filename: str) -> str:
    return f"riskpool/claims/{instance.claim_id}/{filename}"


class ClaimDocument(models.Model):
    """An evidence document attached to a claim by the bank."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("kind"), max_length=20, choices=ClaimDocumentKind.choices)
    file = models.FileField(_("file"), upload_to=claim_document_path, max_length=255)
    name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    sha256 = models.CharField(_("fingerprint"), max_length=64, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("claim document")
        verbose_name_plural = _("claim documents")
        ordering = ["claim", "uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class ClaimEvent(models.Model):
    """One step in a claim's history: submission, review decision (with reason and amounts), payment."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=16, choices=ClaimAction.choices)
    reason = models.TextField(_("reason"), blank=True)
    amount = amount_field(_("amount (CNY)"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("claim event")
        verbose_name_plural = _("claim events")
        ordering = ["claim", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.action}"


class Payout(models.Model):
    """The pool's compensation on an approved claim, computed by the claim's rule version (at most one per
    claim). What the pool could not pay at once is owed (OwedAmount) and settled later."""

    claim = models.OneToOneField(Claim, on_delete=models.PROTECT, related_name="payout")
    pool = models.ForeignKey("riskpool.Pool", on_delete=models.PROTECT, related_name="payouts")
    bank = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    rule_version = models.ForeignKey("riskpool.RuleVersion", on_delete=models.PROTECT, related_name="payouts")
    loss_principal = amount_field(_("lost principal accepted (CNY)"))
    loss_interest = amount_field(_("lost interest accepted (CNY)"), default=0)
    amount = amount_field(_("compensation (CNY)"), help_text=_("The pool's share after uplifts and caps."))
    paid_amount = amount_field(_("paid at once (CNY)"), default=0)
    owed_amount = amount_field(_("owed (CNY)"), default=0)
    recovered_amount = amount_field(
        _("recovered by the pool so far (CNY)"),
        default=0,
        help_text=_("The pool's shares of recoveries on this payout."),
    )
    breakdown = models.JSONField(
        _("arithmetic"), default=dict, help_text=_("Every step of the computation, as the sharing engine returned it.")
    )
    entry = models.OneToOneField(
        "riskpool.JournalEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payout",
        verbose_name=_("ledger entry"),
        help_text=_("None when the caps leave nothing to pay (a payout of zero is still recorded)."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("approved by")
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                # rounded: SQLite compares decimals as floating point (0.10 + 0.20 != 0.30 there)
                condition=models.Q(amount=Round(models.F("paid_amount") + models.F("owed_amount"), 2)),
                name="riskpool_payout_paid_plus_owed",
            ),
            models.CheckConstraint(
                condition=models.Q(recovered_amount__lte=models.F("amount")), name="riskpool_payout_recovery_le_amount"
            ),
        ]
        indexes = [models.Index(fields=["pool", "bank", "created_at"], name="riskpool_payout_bank_time")]

    def __str__(self) -> str:
        return f"{self.claim_id}: {self.amount}"


class OwedAmount(models.Model):
    """What the pool owes a bank on a payout it could not pay in full; settled oldest first as money comes in."""

    pool = models.ForeignKey("riskpool.Pool", on_delete=models.PROTECT, related_name="owed_amounts")
    bank = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    payout = models.OneToOneField(Payout, on_delete=models.PROTECT, related_name="owed")
    amount = amount_field(_("owed (CNY)"), minimum=Decimal("0.01"))
    settled_amount = amount_field(_("settled (CNY)"), default=0)
    status = models.CharField(_("status"), max_length=8, choices=OwedStatus.choices, default=OwedStatus.OPEN)
    created_at = models.DateTimeField(_("owed since"), default=timezone.now)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("owed amount")
        verbose_name_plural = _("owed amounts")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(settled_amount__lte=models.F("amount")), name="riskpool_owed_settled_le_amount"
            )
        ]
        indexes = [models.Index(fields=["pool", "status", "created_at"], name="riskpool_owed_queue")]

    def __str__(self) -> str:
        return f"{self.bank_id}: {self.amount - self.settled_amount}"

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.settled_amount


class OwedSettlement(models.Model):
    """One (partial) settlement of an owed amount, with its ledger entry."""

    owed = models.ForeignKey(OwedAmount, on_delete=models.PROTECT, related_name="settlements")
    amount = amount_field(_("amount (CNY)"), minimum=Decimal("0.01"))
    entry = models.OneToOneField("riskpool.JournalEntry", on_delete=models.PROTECT, related_name="settlement")
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("owed settlement")
        verbose_name_plural = _("owed settlements")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.owed_id}: {self.amount}"


class Recovery(models.Model):
    """Money a bank recovered on a compensated loan; the pool's share (same proportion, at most what it
    paid) comes back to the pool."""

    pool = models.ForeignKey("riskpool.Pool", on_delete=models.PROTECT, related_name="recoveries")
    payout = models.ForeignKey(Payout, on_delete=models.PROTECT, related_name="recoveries")
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="recoveries")
    bank = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    recovered_amount = amount_field(_("amount recovered by the bank (CNY)"), minimum=Decimal("0.01"))
    recovered_on = models.DateField(_("recovered on"))
    pool_amount = amount_field(_("shared back to the pool (CNY)"))
    breakdown = models.JSONField(
        _("arithmetic"), default=dict, help_text=_("How the recovery was shared, as the sharing engine returned it.")
    )
    reference = models.CharField(_("bank reference"), max_length=64, blank=True)
    note = models.TextField(_("note"), blank=True)
    entry = models.OneToOneField(
        "riskpool.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="recovery"
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("reported by")
    )
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)

    class Meta:
        verbose_name = _("recovery")
        verbose_name_plural = _("recoveries")
        ordering = ["-reported_at", "-id"]
        indexes = [models.Index(fields=["pool", "bank", "recovered_on"], name="riskpool_recovery_bank_day")]

    def __str__(self) -> str:
        return f"{self.claim_id}: {self.recovered_amount}"
