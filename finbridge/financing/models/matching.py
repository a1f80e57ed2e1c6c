"""Stored results of matching a demand against a product, with the reasons, so reads are cheap."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DemandMatch(models.Model):
    """How well one product fits one demand: a score, the criteria met and (for near misses) those failed.

    Reasons and failures are stored as codes with parameters ([{"code": ..., "params": {...}}]) and
    rendered in the reader's language.
    """

    demand = models.ForeignKey(
        "financing.Demand", on_delete=models.CASCADE, related_name="matches", verbose_name=_("demand")
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
    )
    fits = models.BooleanField(_("fits"), default=False)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, default=0)
    failed_count = models.PositiveSmallIntegerField(_("criteria failed"), default=0)
    reasons = models.JSONField(_("criteria met"), default=list, blank=True)
    failures = models.JSONField(_("criteria failed"), default=list, blank=True)
    fast_track = models.BooleanField(_("fast track"), default=False, help_text=_("The firm holds a technology label."))
    demand_published_at = models.DateTimeField(_("demand published at"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("demand match")
        verbose_name_plural = _("demand matches")
        ordering = ["-fits", "-score", "id"]
        constraints = [models.UniqueConstraint(fields=["demand", "product"], name="match_unique_demand_product")]
        indexes = [
            models.Index(fields=["demand", "-fits", "-score"], name="match_demand_rank_idx"),
            models.Index(fields=["provider", "fits", "-fast_track", "-score"], name="match_inbox_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.demand_id} ~ {self.product_id}: {self.score}"
