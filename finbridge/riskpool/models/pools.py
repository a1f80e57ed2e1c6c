"""Pools, their admitted members (banks, guarantee agencies, insurers), suspensions and alerts."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from finbridge.core.money import quantize_amount
from finbridge.financing.models._fields import amount_field, rate_field
from finbridge.riskpool.choices import (
    AlertKind,
    CapacityBasis,
    MemberRole,
    MemberStatus,
    PoolStatus,
    SuspensionAction,
    SuspensionCause,
)


def default_size_classes() -> list[str]:
    return ["medium", "small", "micro"]


def default_excluded_industries() -> list[str]:
    return ["J", "K7010"]


class Pool(models.Model):
    """A risk-sharing pool run by a district authority: capital, capacity, eligibility and loan limits."""

    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    authority = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="riskpools",
        verbose_name=_("managing authority"),
        help_text=_("The district authority that funds and runs the pool."),
    )
    status = models.CharField(_("status"), max_length=10, choices=PoolStatus.choices, default=PoolStatus.DRAFT)
    # Capacity.
    capacity_basis = models.CharField(
        _("maximum covered balance set as"),
        max_length=10,
        choices=CapacityBasis.choices,
        default=CapacityBasis.LEVERAGE,
    )
    max_covered_amount = amount_field(
        _("maximum covered balance (CNY)"), null=True, blank=True, help_text=_("When set as a fixed amount.")
    )
    leverage_multiple = models.DecimalField(
        _("leverage multiple"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("When set as a multiple: maximum covered balance = multiple × capital contributed."),
    )
    # Policy period.
    period_start = models.DateField(_("policy period from"))
    period_end = models.DateField(_("policy period until"), help_text=_("Last day of the policy period."))
    require_disbursed_in_period = models.BooleanField(_("only loans disbursed in the policy period"), default=True)
    # Risk control.
    npl_suspension_threshold = rate_field(
        _("non-performing ratio that suspends a bank"),
        default=Decimal("0.05"),
        help_text=_("A fraction: 0.05 suspends a bank whose covered loans are more than 5% non-performing."),
    )
    free_balance_alert_share = rate_field(
        _("free balance alert share"),
        default=Decimal("0.20"),
        help_text=_("Alert the authority when free balance falls below this fraction of the capital contributed."),
    )
    # Eligible enterprises.
    require_sme = models.BooleanField(_("borrower must be an SME (2011 MIIT standard)"), default=True)
    eligible_size_classes = models.JSONField(
        _("eligible size classes"), default=default_size_classes, blank=True, help_text=_('E.g. ["small", "micro"].')
    )
    require_district_operation = models.BooleanField(
        _("borrower must operate in the district"), default=True, help_text=_("The enterprise has a subdistrict.")
    )
    excluded_industry_prefixes = models.JSONField(
        _("excluded industries"),
        default=default_excluded_industries,
        blank=True,
        help_text=_("GB/T 4754-2017 code prefixes; finance (J) and real-estate development (K7010) by default."),
    )
    exclude_serious_bad_credit = models.BooleanField(_("exclude borrowers with serious bad credit"), default=True)
    # Eligible loans.
    max_loan_amount = amount_field(_("maximum loan amount (CNY)"), null=True, blank=True)
    max_term_months = models.PositiveSmallIntegerField(_("maximum term (months)"), null=True, blank=True)
    allowed_purposes = models.JSONField(
        _("allowed purposes"),
        default=list,
        blank=True,
        help_text=_("Loan purposes (financing demand purposes) the pool covers; empty covers any purpose."),
    )
    # Kept by the ledger and enrolment services under a lock on this row; checked by ledger_check_invariants.
    cash_balance = amount_field(_("cash balance (CNY)"), default=0, editable=False)
    capital_total = amount_field(_("capital contributed (CNY)"), default=0, editable=False)
    covered_balance = amount_field(_("covered balance (CNY)"), default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("risk-sharing pool")
        verbose_name_plural = _("risk-sharing pools")
        ordering = ["-period_start", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="riskpool_pool_period_order"
            ),
            models.CheckConstraint(condition=models.Q(cash_balance__gte=0), name="riskpool_pool_cash_not_negative"),
            models.CheckConstraint(
                condition=models.Q(covered_balance__gte=0), name="riskpool_pool_covered_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the active language."""
        if self.name_en and not (get_language() or "zh-hans").startswith("zh"):
            return self.name_en
        return self.name

    @property
    def max_covered_balance(self) -> Decimal:
        """The capacity: the fixed amount, or the leverage multiple times the capital contributed."""
        if self.capacity_basis == CapacityBasis.ABSOLUTE:
            return self.max_covered_amount or Decimal("0")
        return quantize_amount((self.leverage_multiple or Decimal("0")) * self.capital_total)

    @property
    def free_capacity(self) -> Decimal:
        """How much more may be covered before the pool is at capacity (never negative)."""
        return max(self.max_covered_balance - self.covered_balance, Decimal("0"))

    def is_open_on(self, day) -> bool:
        """Read-only guard: active and `day` within the policy period."""
        return self.status == PoolStatus.ACTIVE and self.period_start <= day <= self.period_end


class PoolMember(models.Model):
    """A bank (head office), guarantee agency or insurer admitted to a pool under a signed agreement."""

    pool = models.ForeignKey(Pool, on_delete=models.CASCADE, related_name="members", verbose_name=_("pool"))
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="riskpool_memberships",
        verbose_name=_("institution"),
    )
    role = models.CharField(_("role"), max_length=10, choices=MemberRole.choices)
    status = models.CharField(_("status"), max_length=8, choices=MemberStatus.choices, default=MemberStatus.ACTIVE)
    agreement_signed_on = models.DateField(_("agreement signed on"))
    agreement_ends_on = models.DateField(_("agreement ends on"), null=True, blank=True)
    is_suspended = models.BooleanField(_("suspended from new enrolments"), default=False)
    suspended_since = models.DateTimeField(_("suspended since"), null=True, blank=True)
    suspension_cause = models.CharField(
        _("suspension cause"), max_length=16, choices=SuspensionCause.choices, blank=True
    )
    admitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("admitted by")
    )
    admitted_at = models.DateTimeField(_("admitted at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("pool member")
        verbose_name_plural = _("pool members")
        ordering = ["pool", "role", "organization__name"]
        constraints = [
            models.UniqueConstraint(fields=["pool", "organization"], name="riskpool_member_unique_org"),
            models.CheckConstraint(
                condition=models.Q(agreement_ends_on__isnull=True)
                | models.Q(agreement_ends_on__gte=models.F("agreement_signed_on")),
                name="riskpool_member_agreement_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} @ {self.pool}"

    def agreement_in_force_on(self, day) -> bool:
        """Read-only guard: admitted and the agreement covers `day`."""
        return (
            self.status == MemberStatus.ACTIVE
            and self.agreement_signed_on <= day
            and (self.agreement_ends_on is None or day <= self.agreement_ends_on)
        )


class MemberSuspension(models.Model):
    """One suspension or resumption of a member (automatic on the NPL threshold, or by the authority)."""

    member = models.ForeignKey(
        PoolMember, on_delete=models.CASCADE, related_name="suspensions", verbose_name=_("member")
    )
    action = models.CharField(_("action"), max_length=8, choices=SuspensionAction.choices)
    cause = models.CharField(_("cause"), max_length=16, choices=SuspensionCause.choices)
    npl_ratio = rate_field(_("non-performing ratio"), null=True, blank=True)
    threshold = rate_field(_("threshold"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("suspension event")
        verbose_name_plural = _("suspension events")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.member_id} {self.action} {self.created_at:%Y-%m-%d}"


class PoolAlert(models.Model):
    """An alert raised on a pool (low free balance, capacity reached); open until cleared, raised once."""

    pool = models.ForeignKey(Pool, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("pool"))
    kind = models.CharField(_("kind"), max_length=20, choices=AlertKind.choices)
    value = amount_field(_("value (CNY)"), default=0)
    threshold = amount_field(_("threshold (CNY)"), default=0)
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now)
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)

    class Meta:
        verbose_name = _("pool alert")
        verbose_name_plural = _("pool alerts")
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pool", "kind"],
                condition=models.Q(cleared_at__isnull=True),
                name="riskpool_alert_one_open_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.pool_id} {self.kind}"
