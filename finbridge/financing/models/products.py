"""Loan and guarantee products, and the dated Loan Prime Rate they may float on."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from finbridge.financing.choices import LprTerm, ProductKind, ProductStatus, RateType
from finbridge.financing.models._fields import amount_field, rate_field


class LprRate(models.Model):
    """The Loan Prime Rate published on a date (in force from that date until the next publication)."""

    term = models.CharField(_("term"), max_length=2, choices=LprTerm.choices, default=LprTerm.ONE_YEAR)
    effective_on = models.DateField(_("effective from"))
    rate = rate_field(_("rate"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("loan prime rate")
        verbose_name_plural = _("loan prime rates")
        ordering = ["term", "-effective_on"]
        constraints = [models.UniqueConstraint(fields=["term", "effective_on"], name="lpr_unique_term_date")]

    def __str__(self) -> str:
        return f"{self.get_term_display()} {self.effective_on}: {self.rate}"


class Product(models.Model):
    """A bank's loan product or a guarantee agency's guarantee product, with its eligibility rules."""

    provider = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="products", verbose_name=_("provider")
    )
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=24, choices=ProductKind.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=ProductStatus.choices, default=ProductStatus.DRAFT, db_index=True
    )
    suits_first_time_borrowers = models.BooleanField(_("suits first-time borrowers"), default=False)
    allows_renewal_without_repayment = models.BooleanField(_("renewal without repaying principal first"), default=False)
    amount_min = amount_field(_("minimum amount (CNY)"))
    amount_max = amount_field(_("maximum amount (CNY)"))
    term_min_months = models.PositiveSmallIntegerField(_("shortest term (months)"), validators=[MinValueValidator(1)])
    term_max_months = models.PositiveSmallIntegerField(_("longest term (months)"), validators=[MinValueValidator(1)])
    rate_type = models.CharField(_("rate type"), max_length=12, choices=RateType.choices, default=RateType.FIXED)
    fixed_rate = rate_field(_("fixed annual rate"), null=True, blank=True)
    lpr_spread = rate_field(
        _("spread over the one-year LPR"), allow_negative=True, null=True, blank=True, help_text=_("May be negative.")
    )
    fee_rate = rate_field(_("fees (share of the amount)"), default=0, help_text=_("Guarantee fee or other fees."))
    fees_note = models.CharField(_("fees note"), max_length=255, blank=True)
    collateral_required = models.JSONField(
        _("collateral accepted"),
        default=list,
        blank=True,
        help_text=_('Collateral values the product accepts, e.g. ["real_estate"]; empty means none needed.'),
    )
    guarantee_required = models.BooleanField(_("third-party guarantee required"), default=False)
    eligible_size_classes = models.JSONField(
        _("size classes"), default=list, blank=True, help_text=_("Empty means any size class.")
    )
    eligible_industries = models.JSONField(
        _("industries"), default=list, blank=True, help_text=_("GB/T 4754-2017 code prefixes; empty means any.")
    )
    eligible_clusters = models.ManyToManyField(
        "reference.IndustrialCluster", blank=True, related_name="+", verbose_name=_("industrial clusters")
    )
    required_labels = models.JSONField(
        _("technology labels"),
        default=list,
        blank=True,
        help_text=_("The firm must hold at least one of these labels; empty means none needed."),
    )
    eligible_subdistricts = models.ManyToManyField(
        "reference.Subdistrict", blank=True, related_name="+", verbose_name=_("subdistricts")
    )
    min_years_in_operation = models.PositiveSmallIntegerField(_("minimum years in operation"), default=0)
    min_annual_revenue = amount_field(_("minimum annual revenue (CNY)"), null=True, blank=True)
    msme_exclusive = models.BooleanField(_("exclusive to MSMEs"), default=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    description = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(m2m_fields=[eligible_clusters, eligible_subdistricts], excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["status", "amount_min", "amount_max"], name="product_status_amount_idx"),
            models.Index(fields=["provider", "status"], name="product_provider_status_idx"),
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
    def display_description(self) -> str:
        """The description in the active language (falls back to the other one)."""
        english = not (get_language() or "zh-hans").startswith("zh")
        first, second = (self.description_en, self.description) if english else (self.description, self.description_en)
        return first or second
