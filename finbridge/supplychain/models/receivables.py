"""Receivables: what a creditor is owed by a debtor on one invoice, its documents, the debtor's irrevocable
confirmation and the bulk-upload runs."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.financing.models._fields import amount_field
from finbridge.supplychain.choices import ConfirmationMethod, ReceivableSource, ReceivableStatus


class Receivable(models.Model):
    """A receivable of a creditor organisation on a debtor organisation, identified by creditor, debtor,
    invoice code and invoice number (unique: a receivable exists, and is financed, once)."""

    creditor = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="supplychain_receivables",
        verbose_name=_("creditor"),
        help_text=_("The supplier that is owed the money."),
    )
    debtor = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="supplychain_payables",
        verbose_name=_("debtor"),
        help_text=_("The buyer that owes the money; a registered organisation on the platform."),
    )
    invoice_code = models.CharField(
        _("invoice code"),
        max_length=12,
        blank=True,
        help_text=_("10 or 12 digits; empty for a fully digital invoice, which has only a number."),
    )
    invoice_number = models.CharField(
        _("invoice number"), max_length=20, help_text=_("8 digits, or 20 for a fully digital invoice.")
    )
    amount = amount_field(_("amount (CNY)"), minimum=Decimal("0.01"))
    issued_on = models.DateField(_("invoice date"))
    due_on = models.DateField(_("due date"), db_index=True)
    contract_reference = models.CharField(_("contract reference"), max_length=64, blank=True)
    description = models.CharField(_("description"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=24, choices=ReceivableStatus.choices, default=ReceivableStatus.PENDING
    )
    source = models.CharField(
        _("source"), max_length=10, choices=ReceivableSource.choices, default=ReceivableSource.CREDITOR
    )
    confirmed_at = models.DateTimeField(
        _("confirmed at"), null=True, blank=True, help_text=_("Copied from the confirmation, for lists and totals.")
    )
    disputed_at = models.DateTimeField(_("disputed at"), null=True, blank=True)
    disputed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("disputed by"),
    )
    dispute_reason = models.TextField(_("reason for the dispute"), blank=True)
    is_overdue = models.BooleanField(
        _("overdue"),
        default=False,
        help_text=_("Set by the daily check when a confirmed receivable is unpaid after its due date; kept once paid."),
    )
    overdue_since = models.DateField(_("overdue since"), null=True, blank=True)
    settled_on = models.DateField(_("paid on"), null=True, blank=True)
    upload_run = models.ForeignKey(
        "supplychain.ReceivableUploadRun",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="receivables",
        verbose_name=_("upload"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("uploaded by")
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("receivable")
        verbose_name_plural = _("receivables")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["creditor", "debtor", "invoice_code", "invoice_number"], name="sc_receivable_unique_invoice"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="sc_receivable_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(due_on__gte=models.F("issued_on")), name="sc_receivable_due_after_issue"
            ),
            models.CheckConstraint(
                condition=~models.Q(creditor=models.F("debtor")), name="sc_receivable_distinct_parties"
            ),
        ]
        indexes = [
            models.Index(fields=["creditor", "status", "due_on"], name="sc_rcv_creditor_idx"),
            models.Index(fields=["debtor", "status", "due_on"], name="sc_rcv_debtor_idx"),
            models.Index(fields=["status", "due_on"], name="sc_rcv_status_due_idx"),
            models.Index(fields=["confirmed_at"], name="sc_rcv_confirmed_idx"),
            # the overview's overdue amounts per debtor (selectors/overview.py)
            models.Index(
                fields=["debtor", "amount", "id"],
                name="sc_rcv_overdue_idx",
                condition=models.Q(
                    is_overdue=True, status__in=["confirmed", "financing_requested", "financed", "voucher_issued"]
                ),
            ),
        ]

    def __str__(self) -> str:
        invoice = f"{self.invoice_code}-{self.invoice_number}" if self.invoice_code else self.invoice_number
        return f"{invoice} · {self.amount}"


class ReceivableDocument(models.Model):
    """A file backing a receivable (invoice scan, contract, delivery note); its SHA-256 enters the confirmation
    fingerprint, so documents can only be added before the debtor confirms."""

    receivable = models.ForeignKey(
        Receivable, on_delete=models.CASCADE, related_name="documents", verbose_name=_("receivable")
    )
    file = models.FileField(_("file"), upload_to="supplychain/documents/%Y/%m/")
    name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("receivable document")
        verbose_name_plural = _("receivable documents")
        ordering = ["receivable", "id"]

    def __str__(self) -> str:
        return self.name


class ReceivableConfirmation(models.Model):
    """The debtor's irrevocable confirmation of one receivable: who, when, and what exactly (the canonical
    content and its SHA-256 fingerprint). Never changed or deleted."""

    receivable = models.OneToOneField(
        Receivable, on_delete=models.PROTECT, related_name="confirmation", verbose_name=_("receivable")
    )
    method = models.CharField(_("how"), max_length=16, choices=ConfirmationMethod.choices)
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("confirming organisation"),
        help_text=_("The debtor."),
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("confirmed by")
    )
    confirmed_by_name = models.CharField(_("confirmed by (name)"), max_length=150)
    confirmed_at = models.DateTimeField(_("confirmed at"), default=timezone.now)
    content = models.JSONField(_("confirmed content"), help_text=_("The canonical content that was confirmed."))
    fingerprint = models.CharField(
        _("fingerprint"), max_length=64, help_text=_("SHA-256 of the canonical JSON of the confirmed content.")
    )

    class Meta:
        verbose_name = _("confirmation")
        verbose_name_plural = _("confirmations")
        ordering = ["-confirmed_at", "-id"]
        indexes = [models.Index(fields=["organization", "confirmed_at"], name="sc_conf_org_idx")]

    def __str__(self) -> str:
        return f"{self.receivable_id} · {self.fingerprint[:12]}"


class ReceivableUploadRun(models.Model):
    """One spreadsheet upload of receivables (by a creditor) or payables (by a debtor), with its row report."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    as_debtor = models.BooleanField(
        _("payables"), default=False, help_text=_("Uploaded by the debtor: the rows count as confirmed.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("uploaded by")
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    file_name = models.CharField(_("file name"), max_length=255)
    file_sha256 = models.CharField(_("file fingerprint"), max_length=64)
    dry_run = models.BooleanField(_("dry run"), default=False)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_created = models.PositiveIntegerField(_("created"), default=0)
    rows_rejected = models.PositiveIntegerField(_("rejected"), default=0)
    errors = models.JSONField(
        _("row errors"), default=list, blank=True, help_text=_("[{line, field, value, message}] for every bad row.")
    )

    class Meta:
        verbose_name = _("receivable upload")
        verbose_name_plural = _("receivable uploads")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"
