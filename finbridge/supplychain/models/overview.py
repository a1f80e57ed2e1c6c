"""Stored monthly figures of the supply-chain overview (selectors/overview.py), so that the overview of a year
adds up a few thousand stored rows instead of aggregating a million receivables.

A closed month's figures never change through the services: confirmations, requests, registrations and voucher
parts are stamped with the time they are recorded, so they land in the current month. Only rows written with an
earlier date (a payment recorded as paid on an earlier day, a bulk load) change a closed month; the selector notices
them by the rows added since the figures were computed (ids above the stored watermark) and computes the month again.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.core.money import AMOUNT_DECIMAL_PLACES, AMOUNT_MAX_DIGITS


def _amount(verbose_name: str) -> models.DecimalField:
    return models.DecimalField(
        verbose_name, max_digits=AMOUNT_MAX_DIGITS, decimal_places=AMOUNT_DECIMAL_PLACES, default=0
    )


class OverviewMonth(models.Model):
    """The figures of one closed month for one debtor and/or one funder and one voucher tier.

    Three grains share the table: a debtor with funder_id 0 (everything owed by the debtor), a funder with
    debtor_id 0 (everything asked of, financed by or paid to the funder), and a debtor and a funder (their pair).
    Organisation ids are plain numbers (0: all), not foreign keys: figures outlive nothing and are rebuilt at will."""

    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    debtor_id = models.BigIntegerField(_("debtor"), default=0)
    funder_id = models.BigIntegerField(_("funder"), default=0)
    tier = models.SmallIntegerField(
        _("tier"), default=0, help_text=_("0: a receivable as such; 1, 2, ...: voucher tiers.")
    )
    confirmed_count = models.PositiveIntegerField(_("receivables confirmed"), default=0)
    confirmed_amount = _amount(_("amount confirmed"))
    requested_count = models.PositiveIntegerField(_("items asked for"), default=0)
    requested_amount = _amount(_("amount asked for"))
    financed_count = models.PositiveIntegerField(_("registrations"), default=0)
    financed_amount = _amount(_("face amount financed"))
    advanced_amount = _amount(_("amount advanced"))
    settled_count = models.PositiveIntegerField(_("payments"), default=0)
    settled_amount = _amount(_("amount paid"))
    early_weighted = models.DecimalField(_("days paid early times amount"), max_digits=30, decimal_places=2, default=0)
    voucher_count = models.PositiveIntegerField(_("voucher parts reaching the tier"), default=0)
    voucher_amount = _amount(_("voucher amount reaching the tier"))

    class Meta:
        verbose_name = _("overview month")
        verbose_name_plural = _("overview months")
        constraints = [
            models.UniqueConstraint(fields=["month", "debtor_id", "funder_id", "tier"], name="sc_overview_month_unique")
        ]
        indexes = [
            models.Index(fields=["debtor_id", "month"], name="sc_overview_debtor_idx"),
            models.Index(fields=["funder_id", "month"], name="sc_overview_funder_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} d{self.debtor_id} f{self.funder_id} t{self.tier}"


class OverviewMonthState(models.Model):
    """That a closed month's figures are stored, and the highest row ids of the fact tables when they were computed
    (rows added since then with an earlier date make the month be computed again)."""

    month = models.DateField(_("month"), unique=True)
    watermarks = models.JSONField(_("highest ids when computed"), default=dict)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("overview month state")
        verbose_name_plural = _("overview month states")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"
