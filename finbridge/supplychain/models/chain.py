"""Chain databases of core enterprises: their upstream suppliers and downstream distributors, financing
recommendations of those partners to funders, transaction summaries shared with funders (with the
partner's consent), and the import runs of chain spreadsheets.

Who sees what is decided in selectors/chain.py; what may be written, in services/chain.py.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from finbridge.enterprises.models import amount_field

MAX_PAYMENT_DAYS = 3650


class ChainDirection(models.TextChoices):
    """Which side of the core enterprise a partner is on."""

    UPSTREAM = "upstream", _("Upstream supplier")
    DOWNSTREAM = "downstream", _("Downstream distributor")


class ChainPartnerStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


class RecommendationStatus(models.TextChoices):
    """Where a recommendation stands with one funder."""

    SENT = "sent", _("Sent")
    VIEWED = "viewed", _("Viewed")
    ACTED_ON = "acted_on", _("Acted on")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ChainPartner(models.Model):
    """One supplier or distributor in a core enterprise's chain database (one row per partner and direction)."""

    core = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="chain_partners",
        verbose_name=_("core enterprise"),
        limit_choices_to={"org_type": "core_enterprise"},
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        on_delete=models.PROTECT,
        related_name="chain_listings",
        verbose_name=_("partner"),
        help_text=_("The partner as registered in the MSME registry, found by its unified social credit code."),
    )
    direction = models.CharField(_("direction"), max_length=10, choices=ChainDirection.choices)
    since = models.DateField(_("partner since"), help_text=_("When the business relationship began."))
    annual_volume = amount_field(
        _("annual transaction volume (CNY)"), help_text=_("Trade with this partner in a year, in CNY yuan.")
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_PAYMENT_DAYS)],
        help_text=_("Days from invoice to payment."),
    )
    payment_terms = models.CharField(
        _("payment terms"), max_length=200, blank=True, help_text=_("Such as: monthly statement, bank acceptance bill.")
    )
    status = models.CharField(
        _("status"), max_length=8, choices=ChainPartnerStatus.choices, default=ChainPartnerStatus.ACTIVE, db_index=True
    )
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.CharField(_("reason for ending"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("chain partner")
        verbose_name_plural = _("chain partners")
        ordering = ["core", "direction", "id"]
        constraints = [
            models.UniqueConstraint(fields=["core", "enterprise", "direction"], name="chain_partner_unique"),
            models.CheckConstraint(condition=models.Q(annual_volume__gte=0), name="chain_partner_volume_not_negative"),
        ]
        indexes = [
            models.Index(fields=["core", "status", "direction"], name="chain_partner_core_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.core} – {self.enterprise} ({self.get_direction_display()})"

    @property
    def partner_organization_id(self) -> int | None:
        """The partner's own organisation on the platform, if it has joined (read through the registry)."""
        return self.enterprise.organization_id

    def is_active(self) -> bool:
        """Read-only helper for templates."""
        return self.status == ChainPartnerStatus.ACTIVE


class FinancingRecommendation(models.Model):
    """A core enterprise's recommendation of one of its partners to funders it chose, with a note."""

    chain_partner = models.ForeignKey(
        ChainPartner, on_delete=models.PROTECT, related_name="recommendations", verbose_name=_("chain partner")
    )
    note = models.TextField(_("note"), help_text=_("Why the core enterprise recommends this partner."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("sent by")
    )
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("financing recommendation")
        verbose_name_plural = _("financing recommendations")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.chain_partner} ({self.created_at:%Y-%m-%d})"


class RecommendationRecipient(models.Model):
    """One funder a recommendation was sent to, and what that funder did with it."""

    recommendation = models.ForeignKey(
        FinancingRecommendation, on_delete=models.CASCADE, related_name="recipients", verbose_name=_("recommendation")
    )
    funder = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="chain_recommendations_received",
        verbose_name=_("funder"),
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=RecommendationStatus.choices,
        default=RecommendationStatus.SENT,
        db_index=True,
    )
    viewed_at = models.DateTimeField(_("first viewed at"), null=True, blank=True)
    viewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("first viewed by"),
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answer_note = models.TextField(_("answer"), blank=True, help_text=_("What the funder did, or why it declined."))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("recommendation recipient")
        verbose_name_plural = _("recommendation recipients")
        ordering = ["recommendation", "funder__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["recommendation", "funder"], name="recommendation_recipient_unique")
        ]
        indexes = [models.Index(fields=["funder", "status"], name="recommendation_funder_idx")]

    def __str__(self) -> str:
        return f"{self.recommendation} → {self.funder}"


class TransactionSummary(models.Model):
    """What a core enterprise traded with one partner over a period, to share with funders."""

    chain_partner = models.ForeignKey(
        ChainPartner, on_delete=models.PROTECT, related_name="transaction_summaries", verbose_name=_("chain partner")
    )
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    volume = amount_field(_("transaction volume (CNY)"))
    transaction_count = models.PositiveIntegerField(_("number of transactions"))
    on_time_share = models.DecimalField(
        _("share paid on time"),
        max_digits=7,
        decimal_places=6,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("The fraction of payments made on time, from 0 to 1 (0.95 is 95%)."),
    )
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("transaction summary")
        verbose_name_plural = _("transaction summaries")
        ordering = ["-period_end", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="summary_period_ordered"
            ),
            models.CheckConstraint(
                condition=models.Q(on_time_share__gte=0, on_time_share__lte=1), name="summary_on_time_share_range"
            ),
            models.CheckConstraint(condition=models.Q(volume__gte=0), name="summary_volume_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.chain_partner.enterprise} {self.period_start}–{self.period_end}"

    @property
    def on_time_percent(self) -> Decimal:
        """Read-only helper for templates: the on-time share in per cent, to one decimal place."""
        return (self.on_time_share * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


class SummaryShare(models.Model):
    """A transaction summary shared with one funder. The funder sees it only while the partner's consent to it
    (or to its head office) covering figures is live; the core enterprise may withdraw the share."""

    summary = models.ForeignKey(
        TransactionSummary, on_delete=models.CASCADE, related_name="shares", verbose_name=_("transaction summary")
    )
    funder = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="chain_summaries_received",
        verbose_name=_("funder"),
    )
    shared_at = models.DateTimeField(_("shared at"), default=timezone.now)
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("shared by")
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("withdrawn by"),
    )

    class Meta:
        verbose_name = _("shared summary")
        verbose_name_plural = _("shared summaries")
        ordering = ["-shared_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["summary", "funder"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="summary_share_one_live",
            )
        ]
        indexes = [models.Index(fields=["funder", "summary"], name="summary_share_funder_idx")]

    def __str__(self) -> str:
        return f"{self.summary} → {self.funder}"


class ChainImportRun(models.Model):
    """One upload of a chain spreadsheet by a core enterprise: a dry run or an applied import, with its row report."""

    core = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("core enterprise")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("uploaded by")
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    file_name = models.CharField(_("file name"), max_length=255)
    file_sha256 = models.CharField(_("file fingerprint"), max_length=64)
    dry_run = models.BooleanField(_("dry run"), default=True)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_created = models.PositiveIntegerField(_("created"), default=0)
    rows_updated = models.PositiveIntegerField(_("updated"), default=0)
    rows_unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    rows_rejected = models.PositiveIntegerField(_("rejected"), default=0)
    errors = models.JSONField(
        _("row errors"), default=list, blank=True, help_text=_("[{line, field, value, message}] for every bad row.")
    )

    class Meta:
        verbose_name = _("chain import run")
        verbose_name_plural = _("chain import runs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"
