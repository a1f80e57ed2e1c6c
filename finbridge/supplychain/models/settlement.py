"""Settlement: the debtor's payment at (or before) maturity, recorded per receivable or per live voucher part,
to the funder of a financed one or else to its holder."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.financing.models._fields import amount_field
from finbridge.supplychain.choices import PayeeRole


class Payment(models.Model):
    """The debtor's payment of one receivable (not issued as a voucher) or one live voucher part."""

    receivable = models.ForeignKey(
        "supplychain.Receivable", on_delete=models.PROTECT, related_name="payments", verbose_name=_("receivable")
    )
    voucher = models.ForeignKey(
        "supplychain.Voucher",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("voucher part"),
    )
    registration = models.ForeignKey(
        "supplychain.Registration",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("registration released"),
    )
    payer = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("payer")
    )
    payee = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="supplychain_payments_received",
        verbose_name=_("payee"),
    )
    payee_role = models.CharField(_("paid as"), max_length=8, choices=PayeeRole.choices)
    tier = models.PositiveSmallIntegerField(
        _("tier"), default=1, help_text=_("The voucher part's tier; 1 for a receivable paid directly.")
    )
    amount = amount_field(_("amount (CNY)"), minimum=Decimal("0.01"))
    due_on = models.DateField(_("due date"))
    paid_on = models.DateField(_("paid on"), db_index=True)
    days_early = models.IntegerField(
        _("days paid early"), help_text=_("Due date minus payment date; negative if late.")
    )
    reference = models.CharField(_("payment reference"), max_length=64, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-paid_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["receivable"], condition=models.Q(voucher__isnull=True), name="sc_payment_once_receivable"
            ),
            models.UniqueConstraint(
                fields=["voucher"], condition=models.Q(voucher__isnull=False), name="sc_payment_once_voucher"
            ),
        ]
        indexes = [
            models.Index(fields=["payee", "paid_on"], name="sc_pay_payee_idx"),
            models.Index(fields=["payer", "paid_on"], name="sc_pay_payer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.receivable_id} → {self.payee_id}: {self.amount}"
