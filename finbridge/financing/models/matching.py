"""Stored results of matching a demand against a product, with the reasons, so reads are cheap."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DemandMatch(models.Model):
    """How well one product fits one demand: a score, the criteria met and (for near misses) those failed.

    Reasons and failures are stored as codes with parameters ([{"code": ..., "params": {...}}]) and
    rendered in the reader's language (finbridge/financing/matching_rules.py). Written only by
    services/matching.py; a product failing more than two criteria has no row.
    """

    demand = models.ForeignKey(
        "financing.Demand",
        on_delete=models.CASCADE,
        related_name="matches",
        verbose_name=_("demand"),
        db_index=False,  # served by match_unique_demand_product and match_demand_rank_idx
    )
    product = models.ForeignKey(
        "financing.Product", on_delete=models.CASCADE, related_name="matches", verbose_name=_("product")
    )
    provider = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("provider"),
        help_text=_("The product's provider, copied for the institution inbox."),
        db_index=False,  # served by match_provider_demand_idx
    )
    fits = models.BooleanField(_("fits"), default=False)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, default=0)
    failed_count = models.PositiveSmallIntegerField(_("criteria failed"), default=0)
    reasons = models.JSONField(_("criteria met"), default=list, blank=True)
    failures = models.JSONField(_("criteria failed"), default=list, blank=True)
    fast_track = models.BooleanField(_("fast track"), default=False, help_text=_("The firm holds a technology label."))
    is_best = models.BooleanField(
        _("provider's best fit"),
        default=False,
        help_text=_("The best-scoring fitting product of this provider for this demand: its row in the inbox."),
    )
    demand_published_at = models.DateTimeField(_("demand published at"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)
    provider_notified_at = models.DateTimeField(
        _("provider notified at"),
        null=True,
        blank=True,
        help_text=_("When the provider was told this demand fits (once per demand and provider)."),
    )
    firm_notified_at = models.DateTimeField(
        _("firm notified at"),
        null=True,
        blank=True,
        help_text=_("When the firm was told this newly published product fits (once per product and firm)."),
    )

    class Meta:
        verbose_name = _("demand match")
        verbose_name_plural = _("demand matches")
        ordering = ["-fits", "failed_count", "-score", "product_id"]
        constraints = [models.UniqueConstraint(fields=["demand", "product"], name="match_unique_demand_product")]
        indexes = [
            # A demand's matches in reading order (fits, then near misses by failed criteria and score); it also
            # answers, from the index alone, which near misses a newcomer must beat (services/matching.py).
            models.Index(fields=["demand", "-fits", "failed_count", "-score", "product"], name="match_demand_rank_idx"),
            # The institution inbox: one row per (demand, provider), walked in rank order.
            models.Index(
                fields=["provider", "-fast_track", "-score", "-demand"],
                condition=models.Q(fits=True, is_best=True),
                name="match_inbox_idx",
            ),
            models.Index(fields=["provider", "demand"], name="match_provider_demand_idx"),
            # The inbox filtered to one product: that product's fits walked in the same rank order.
            models.Index(
                fields=["product", "-fast_track", "-score", "-demand"],
                condition=models.Q(fits=True),
                name="match_product_inbox_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.demand_id} ~ {self.product_id}: {self.score}"
