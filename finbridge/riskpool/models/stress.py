"""Stored stress-test runs of a pool (Monte Carlo of payouts over the policy year)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.riskpool.choices import StressRunStatus


class StressRun(models.Model):
    """One stress test: the parameters the authority set and the results (distribution, ruin probability)."""

    pool = models.ForeignKey("riskpool.Pool", on_delete=models.CASCADE, related_name="stress_runs")
    status = models.CharField(
        _("status"), max_length=8, choices=StressRunStatus.choices, default=StressRunStatus.PENDING
    )
    scenarios = models.PositiveIntegerField(_("scenarios"), default=10000)
    seed = models.BigIntegerField(_("random seed"), default=0)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    results = models.JSONField(_("results"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("run by")
    )
    created_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("stress test")
        verbose_name_plural = _("stress tests")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.pool_id} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def in_progress(self) -> bool:
        """Waiting for or running in a background worker."""
        return self.status in (StressRunStatus.PENDING, StressRunStatus.RUNNING)
