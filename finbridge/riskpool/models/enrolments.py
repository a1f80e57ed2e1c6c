"""Enrolments: loans of the loans ledger covered by a pool."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.financing.choices import DemandPurpose
from finbridge.financing.models._fields import amount_field
from finbridge.riskpool.choices import EnrolmentStatus, LoanCategory, ReleaseReason


class Enrolment(models.Model):
    """One loan covered by one pool, under the rule version in force when it was enrolled.

    A loan has at most one enrolment that is covered or compensated (across all pools)."""

    pool = models.ForeignKey("riskpool.Pool", on_delete=models.PROTECT, related_name="enrolments")
    loan = models.ForeignKey("financing.Loan", on_delete=models.PROTECT, related_name="riskpool_enrolments")
    bank = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("bank"),
        help_text=_("The loan's head office (the admitted member)."),
    )
    member = models.ForeignKey("riskpool.PoolMember", on_delete=models.PROTECT, related_name="enrolments")
    category = models.CharField(_("loan category"), max_length=12, choices=LoanCategory.choices)
    guarantor = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("guarantee agency"),
    )
    insurer = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("insurer"),
    )
    flags = models.JSONField(
        _("loan features"), default=list, blank=True, help_text=_("UpliftFlag values, fixed at enrolment.")
    )
    purpose = models.CharField(_("purpose"), max_length=24, choices=DemandPurpose.choices, blank=True)
    rule_version = models.ForeignKey(
        "riskpool.RuleVersion", on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("rule version")
    )
    loan_amount = amount_field(_("loan amount (CNY)"))
    covered_amount = amount_field(
        _("covered amount (CNY)"), help_text=_("The loan's outstanding balance at enrolment; counts against capacity.")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=EnrolmentStatus.choices, default=EnrolmentStatus.ACTIVE
    )
    eligibility = models.JSONField(
        _("eligibility checks"), default=list, blank=True, help_text=_("The checks passed at enrolment (codes).")
    )
    enrolled_on = models.DateField(_("enrolled on"))
    enrolled_at = models.DateTimeField(_("enrolled at"), default=timezone.now)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("enrolled by")
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    release_reason = models.CharField(_("release reason"), max_length=12, choices=ReleaseReason.choices, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("released by")
    )

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["-enrolled_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["loan"],
                condition=models.Q(status__in=["active", "compensated"]),
                name="riskpool_enrolment_one_per_loan",
            ),
            models.CheckConstraint(condition=models.Q(covered_amount__gt=0), name="riskpool_enrolment_covered_pos"),
        ]
        indexes = [
            models.Index(fields=["pool", "status"], name="riskpool_enrol_pool_status"),
            models.Index(fields=["pool", "bank", "status"], name="riskpool_enrol_pool_bank"),
            models.Index(fields=["rule_version", "bank"], name="riskpool_enrol_version_bank"),
        ]

    def __str__(self) -> str:
        return f"{self.pool_id}:{self.loan_id}"
