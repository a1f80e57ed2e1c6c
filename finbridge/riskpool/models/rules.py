"""Sharing rules as versioned data: a rule version per pool and effective date, holding a sharing.RuleSet."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RuleVersion(models.Model):
    """The sharing rules of a pool from `effective_from` until the next version's date. Never edited once
    created: a change is a new version, and each enrolment keeps the version in force when it was enrolled.

    `rules` is `sharing.RuleSet.to_dict()`: categories with shares, uplifts and caps, and the caps across
    loans (per bank per year, pool-wide, EU cap rate); read it with `selectors.pools.rule_set_of()`."""

    pool = models.ForeignKey(
        "riskpool.Pool", on_delete=models.CASCADE, related_name="rule_versions", verbose_name=_("pool")
    )
    number = models.PositiveIntegerField(_("version"))
    effective_from = models.DateField(_("effective from"))
    label = models.CharField(_("label"), max_length=200, blank=True)
    preset = models.CharField(
        _("preset"), max_length=32, blank=True, help_text=_("The preset the version was created from, if any.")
    )
    notes = models.TextField(_("notes"), blank=True)
    rules = models.JSONField(_("sharing rules"), help_text=_("The rule set: categories, shares, uplifts and caps."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("rule version")
        verbose_name_plural = _("rule versions")
        ordering = ["pool", "-effective_from", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["pool", "number"], name="riskpool_rule_unique_number"),
            models.UniqueConstraint(fields=["pool", "effective_from"], name="riskpool_rule_unique_date"),
        ]

    def __str__(self) -> str:
        return f"v{self.number} ({self.effective_from:%Y-%m-%d})"
