"""Payment vouchers: a debtor-confirmed payable issued as a transferable voucher, split and passed down the
chain as parts.

A voucher part is a node of a tree rooted at the issued voucher. Splitting or passing on a part consumes it
(status "split") into children whose amounts add up exactly to it (what is not passed on stays with the
holder as a "kept" child); only parts that are not split are held, financed or paid. So the parts alive under
a root always add up to the root's amount, and every part traces back to the confirmation through `root`
and `receivable`."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.financing.models._fields import amount_field
from finbridge.supplychain.choices import VoucherOrigin, VoucherStatus


class Voucher(models.Model):
    """One part of a payment voucher (the issued voucher itself is the root part, tier 1)."""

    number = models.CharField(_("voucher number"), max_length=32, unique=True)
    receivable = models.ForeignKey(
        "supplychain.Receivable",
        on_delete=models.PROTECT,
        related_name="vouchers",
        verbose_name=_("confirmed receivable"),
        help_text=_("The debtor-confirmed payable the voucher was issued on (the same for every part)."),
    )
    root = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="descendants",
        verbose_name=_("issued voucher"),
        help_text=_("The root part (itself for the root)."),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("split from"),
    )
    tier = models.PositiveSmallIntegerField(
        _("tier"),
        validators=[MinValueValidator(1)],
        help_text=_("1 for the debtor's direct supplier; one more at each transfer down the chain."),
    )
    holder = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="supplychain_vouchers",
        verbose_name=_("holder"),
    )
    amount = amount_field(_("amount (CNY)"), minimum=Decimal("0.01"))
    status = models.CharField(_("status"), max_length=24, choices=VoucherStatus.choices, default=VoucherStatus.HELD)
    origin = models.CharField(_("origin"), max_length=12, choices=VoucherOrigin.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("voucher part")
        verbose_name_plural = _("voucher parts")
        ordering = ["receivable", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="sc_voucher_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(parent__isnull=True, tier=1, origin="issued")
                | models.Q(parent__isnull=False, origin__in=["kept", "transferred"]),
                name="sc_voucher_root_or_child",
            ),
            models.UniqueConstraint(
                fields=["receivable"], condition=models.Q(parent__isnull=True), name="sc_voucher_one_root"
            ),
        ]
        indexes = [
            models.Index(fields=["holder", "status"], name="sc_vch_holder_idx"),
            models.Index(fields=["root", "status"], name="sc_vch_root_idx"),
            models.Index(fields=["tier", "status"], name="sc_vch_tier_idx"),
            models.Index(fields=["created_at"], name="sc_vch_created_idx"),  # the overview's open month
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.amount}"

    @property
    def is_root(self) -> bool:
        return self.parent_id is None
