"""Monthly figures of the loans ledger, kept so that the league table of whole months answers without scanning
every loan (finbridge/analytics/ledger.py computes and refreshes them; docs/performance-league.md)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.core.money import AMOUNT_DECIMAL_PLACES, AMOUNT_MAX_DIGITS


def _amount(verbose_name: str) -> models.DecimalField:
    return models.DecimalField(
        verbose_name, max_digits=AMOUNT_MAX_DIGITS, decimal_places=AMOUNT_DECIMAL_PLACES, default=0
    )


class LedgerMonth(models.Model):
    """One bank (level "bank") or bank office (level "branch") in one month: the loans disbursed in the month and
    the balances on its last day (on the day it was computed for, for the current month)."""

    level = models.CharField(_("level"), max_length=8)
    unit = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+", verbose_name=_("bank or office")
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    loans_count = models.PositiveIntegerField(_("loans disbursed"), default=0)
    loans_amount = _amount(_("amount disbursed"))
    first_time_count = models.PositiveIntegerField(_("first-time loans"), default=0)
    first_time_amount = _amount(_("first-time loan amount"))
    renewal_count = models.PositiveIntegerField(_("renewals"), default=0)
    renewal_amount = _amount(_("renewal amount"))
    renewal_without_repayment_count = models.PositiveIntegerField(_("renewals without repayment"), default=0)
    credit_amount = _amount(_("credit loan amount"))
    tech_count = models.PositiveIntegerField(_("technology-enterprise loans"), default=0)
    tech_amount = _amount(_("technology-enterprise loan amount"))
    rate_weighted_amount = models.DecimalField(_("amount times rate"), max_digits=30, decimal_places=8, default=0)
    inclusive_balance = _amount(_("inclusive loan balance"))
    balance = _amount(_("loan balance"))
    npl_balance = _amount(_("non-performing balance"))
    tech_balance = _amount(_("technology-enterprise loan balance"))
    msme_borrowers = models.PositiveIntegerField(_("MSME borrowers"), default=0)

    class Meta:
        verbose_name = _("ledger month")
        verbose_name_plural = _("ledger months")
        constraints = [models.UniqueConstraint(fields=["level", "month", "unit"], name="ledger_month_unique")]

    def __str__(self) -> str:
        return f"{self.level} {self.unit_id} {self.month:%Y-%m}"


class LedgerMonthState(models.Model):
    """Whether the stored figures of a month are current. Every write to the ledger that changes a month's flows
    or balances adds one to its change counter (in the writer's transaction); figures are current when they were
    computed at the counter's present value (and, for balances, for the day asked)."""

    level = models.CharField(_("level"), max_length=8)
    month = models.DateField(_("month"))
    flows_changes = models.PositiveIntegerField(_("changes to the month's loans"), default=0)
    flows_computed = models.IntegerField(_("flows computed at change"), default=-1)
    stock_changes = models.PositiveIntegerField(_("changes to the month's balances"), default=0)
    stock_computed = models.IntegerField(_("balances computed at change"), default=-1)
    stock_as_of = models.DateField(_("balances as of"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("ledger month state")
        verbose_name_plural = _("ledger month states")
        constraints = [models.UniqueConstraint(fields=["level", "month"], name="ledger_month_state_unique")]

    def __str__(self) -> str:
        return f"{self.level} {self.month:%Y-%m}"
