"""Financing demands posted by MSMEs, institutions' responses to them, and the demand's timeline."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.financing.choices import (
    DeclineReason,
    DemandPurpose,
    DemandStatus,
    DemandVisibility,
    EngagementStatus,
    ResponseKind,
)
from finbridge.financing.models._fields import amount_field, rate_field


class Demand(models.Model):
    """An enterprise's need for financing, shown to the institutions it chooses."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.PROTECT, related_name="demands", verbose_name=_("enterprise")
    )
    amount = amount_field(_("amount (CNY)"))
    term_months = models.PositiveSmallIntegerField(_("term (months)"), validators=[MinValueValidator(1)])
    purpose = models.CharField(_("purpose"), max_length=24, choices=DemandPurpose.choices)
    collateral_offered = models.JSONField(
        _("collateral offered"), default=list, blank=True, help_text=_("Collateral values; empty means none.")
    )
    collateral_note = models.CharField(_("collateral note"), max_length=255, blank=True)
    max_annual_rate = rate_field(_("highest acceptable annual rate"), null=True, blank=True)
    needed_by = models.DateField(_("money needed by"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    visibility = models.CharField(
        _("visible to"), max_length=8, choices=DemandVisibility.choices, default=DemandVisibility.ALL
    )
    chosen_institutions = models.ManyToManyField(
        "accounts.Organization",
        blank=True,
        related_name="demands_shared",
        verbose_name=_("chosen institutions"),
        help_text=_("When visible to chosen institutions only. Choosing a head office covers its branches."),
    )
    recorded_on_behalf = models.BooleanField(
        _("recorded on the firm's behalf"), default=False, help_text=_("Entered by government staff.")
    )
    recorded_by_organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_source = models.CharField(
        _("source"), max_length=200, blank=True, help_text=_("Where the need was collected: a visit, an event.")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=DemandStatus.choices, default=DemandStatus.DRAFT, db_index=True
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    respond_by = models.DateField(
        _("institutions answer by"), null=True, blank=True, help_text=_("Last working day to take up or pass.")
    )
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    decline_reason = models.CharField(_("decline reason"), max_length=32, choices=DeclineReason.choices, blank=True)
    decline_note = models.TextField(_("decline note"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("financing demand")
        verbose_name_plural = _("financing demands")
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="demand_status_published_idx"),
            models.Index(fields=["enterprise", "-created_at"], name="demand_enterprise_idx"),
            models.Index(fields=["status", "respond_by"], name="demand_status_respond_by_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.amount}"


class DemandResponse(models.Model):
    """One institution's answer to a demand: a pass, or a take-up followed through review to a decision."""

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="responses", verbose_name=_("demand"))
    institution = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="demand_responses",
        verbose_name=_("institution"),
    )
    kind = models.CharField(_("answer"), max_length=8, choices=ResponseKind.choices)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=EngagementStatus.choices,
        blank=True,
        help_text=_("For a take-up: where the institution's review stands."),
    )
    responded_at = models.DateTimeField(_("answered at"), default=timezone.now)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("answered by")
    )
    on_time = models.BooleanField(_("answered on time"), default=True)
    note = models.TextField(_("note"), blank=True)
    product = models.ForeignKey(
        "financing.Product",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("product offered"),
    )
    approved_amount = amount_field(_("approved amount (CNY)"), null=True, blank=True)
    approved_rate = rate_field(_("approved annual rate"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decline_reason = models.CharField(_("decline reason"), max_length=32, choices=DeclineReason.choices, blank=True)
    decline_note = models.TextField(_("decline note"), blank=True)
    disbursed_at = models.DateTimeField(_("disbursed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("demand response")
        verbose_name_plural = _("demand responses")
        ordering = ["responded_at", "id"]
        constraints = [models.UniqueConstraint(fields=["demand", "institution"], name="response_one_per_institution")]
        indexes = [models.Index(fields=["institution", "status"], name="response_institution_idx")]

    def __str__(self) -> str:
        return f"{self.institution} · {self.get_kind_display()}"


class DemandEvent(models.Model):
    """One step in a demand's timeline, as the firm sees it."""

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="events", verbose_name=_("demand"))
    at = models.DateTimeField(_("at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    action = models.CharField(_("action"), max_length=32, help_text=_("The service that made the change."))
    from_status = models.CharField(_("from"), max_length=16, blank=True)
    to_status = models.CharField(_("to"), max_length=16, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("demand event")
        verbose_name_plural = _("demand events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.demand_id} {self.action} {self.at:%Y-%m-%d %H:%M}"
