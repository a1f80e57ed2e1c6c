"""The pool's immutable double-entry ledger: entries with balanced lines (debits = credits), never changed.

Corrections are reversing entries. Only finbridge.riskpool.services.ledger.ledger_post() writes here."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.core.errors import Conflict
from finbridge.financing.models._fields import amount_field
from finbridge.riskpool.choices import Account, EntryKind

MSG_IMMUTABLE = _("Ledger entries cannot be changed or deleted; post a reversing entry instead.")


class _Immutable(models.Model):
    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise Conflict(MSG_IMMUTABLE, code="ledger_immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise Conflict(MSG_IMMUTABLE, code="ledger_immutable")


class JournalEntry(_Immutable):
    """One movement of money in a pool: balanced lines, numbered per pool in posting order."""

    pool = models.ForeignKey("riskpool.Pool", on_delete=models.PROTECT, related_name="journal_entries")
    number = models.PositiveIntegerField(_("entry number"))
    kind = models.CharField(_("kind"), max_length=12, choices=EntryKind.choices)
    value_date = models.DateField(_("value date"), db_index=True)
    posted_at = models.DateTimeField(_("posted at"), default=timezone.now)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("posted by")
    )
    memo = models.CharField(_("memo"), max_length=255, blank=True)
    counterparty = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("counterparty"),
        help_text=_("The bank paid or paying (payouts, settlements, recoveries)."),
    )
    claim = models.ForeignKey("riskpool.Claim", on_delete=models.PROTECT, null=True, blank=True, related_name="entries")
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by", verbose_name=_("reverses")
    )

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["pool", "number"]
        constraints = [models.UniqueConstraint(fields=["pool", "number"], name="riskpool_entry_unique_number")]
        indexes = [models.Index(fields=["pool", "value_date"], name="riskpool_entry_pool_day")]

    def __str__(self) -> str:
        return f"#{self.number} {self.kind}"


class JournalLine(_Immutable):
    """One debit or credit of an entry (exactly one of the two is positive)."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    pool = models.ForeignKey("riskpool.Pool", on_delete=models.PROTECT, related_name="+")
    account = models.CharField(_("account"), max_length=12, choices=Account.choices)
    counterparty = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    value_date = models.DateField(_("value date"))
    debit = amount_field(_("debit (CNY)"), default=0)
    credit = amount_field(_("credit (CNY)"), default=0)

    class Meta:
        verbose_name = _("ledger line")
        verbose_name_plural = _("ledger lines")
        ordering = ["entry", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(debit__gt=0, credit=0) | models.Q(debit=0, credit__gt=0)),
                name="riskpool_line_one_side",
            )
        ]
        indexes = [
            models.Index(fields=["pool", "account", "value_date"], name="riskpool_line_pool_account"),
            models.Index(fields=["pool", "counterparty", "value_date"], name="riskpool_line_pool_bank"),
        ]

    def __str__(self) -> str:
        return f"{self.account} D{self.debit} C{self.credit}"
