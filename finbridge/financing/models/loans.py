"""The loans ledger: loans made to enterprises, their monthly status, and spreadsheet imports."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.financing.choices import LoanClassification, LoanSource
from finbridge.financing.models._fields import amount_field, rate_field


class Loan(models.Model):
    """One loan from a bank (or branch) to an enterprise, with the flags the league tables count."""

    lender = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="loans_made",
        verbose_name=_("lending branch"),
        help_text=_("The bank office that made the loan: head office, branch or sci-tech branch."),
    )
    bank = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("bank"),
        help_text=_("The lender's head office (the lender itself when it has no parent)."),
    )
    borrower = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.PROTECT, related_name="loans", verbose_name=_("borrower")
    )
    demand = models.ForeignKey(
        "financing.Demand",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="loans",
        verbose_name=_("demand"),
    )
    days_from_demand = models.PositiveIntegerField(
        _("days from demand to money"),
        null=True,
        blank=True,
        help_text=_("For a loan funding a demand: days from the demand's publication (local date) to the disbursal."),
    )
    product = models.ForeignKey(
        "financing.Product",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="loans",
        verbose_name=_("product"),
    )
    reference = models.CharField(
        _("loan contract number"), max_length=64, help_text=_("The bank's own number; unique within the bank.")
    )
    amount = amount_field(_("amount (CNY)"), minimum=Decimal("0.01"))
    disbursed_on = models.DateField(_("disbursed on"), db_index=True)
    maturity_on = models.DateField(_("matures on"))
    term_months = models.PositiveSmallIntegerField(_("term (months)"), validators=[MinValueValidator(1)])
    annual_rate = rate_field(_("annual rate"))
    is_first_time = models.BooleanField(_("first-time loan"), default=False)
    is_renewal = models.BooleanField(_("renewal"), default=False)
    is_renewal_without_repayment = models.BooleanField(_("renewal without repaying principal first"), default=False)
    is_credit = models.BooleanField(_("credit loan"), default=False, help_text=_("No collateral and no guarantee."))
    is_tech_enterprise = models.BooleanField(_("technology-enterprise loan"), default=False)
    is_inclusive = models.BooleanField(
        _("inclusive loan"),
        default=False,
        help_text=_("Derived: micro or small borrower whose total credit is at most 10 million CNY."),
    )
    borrower_size_class = models.CharField(_("borrower size class"), max_length=8, blank=True)
    borrower_total_credit = amount_field(
        _("borrower's total credit (CNY)"), default=0, help_text=_("The basis of the inclusive flag.")
    )
    outstanding_balance = amount_field(_("outstanding balance (CNY)"))
    classification = models.CharField(
        _("classification"), max_length=16, choices=LoanClassification.choices, default=LoanClassification.NORMAL
    )
    status_month = models.DateField(_("status as of month"), null=True, blank=True)
    first_status_month = models.DateField(
        _("first month reported"),
        null=True,
        blank=True,
        help_text=_("The earliest month with a status report: before it the balance is the amount until maturity."),
    )
    source = models.CharField(_("source"), max_length=10, choices=LoanSource.choices, default=LoanSource.REPORTED)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        ordering = ["-disbursed_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["bank", "reference"], name="loan_unique_bank_reference"),
            models.CheckConstraint(
                condition=models.Q(maturity_on__gt=models.F("disbursed_on")), name="loan_matures_after_disbursal"
            ),
        ]
        indexes = [
            models.Index(fields=["bank", "disbursed_on"], name="loan_bank_disbursed_idx"),
            models.Index(fields=["lender", "disbursed_on"], name="loan_lender_disbursed_idx"),
            models.Index(fields=["borrower", "disbursed_on"], name="loan_borrower_idx"),
            # The league table's days from demand to money: the few loans that fund a demand, by disbursal date.
            models.Index(
                fields=["disbursed_on"],
                include=["bank", "lender", "days_from_demand"],
                condition=models.Q(demand__isnull=False),
                name="loan_demand_disbursed_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} · {self.borrower}"


class LoanStatusReport(models.Model):
    """A bank's monthly report on one loan: outstanding balance and five-category classification."""

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="status_reports", verbose_name=_("loan"))
    month = models.DateField(_("month"), help_text=_("The first day of the month reported on."))
    outstanding_balance = amount_field(_("outstanding balance (CNY)"))
    classification = models.CharField(_("classification"), max_length=16, choices=LoanClassification.choices)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("reported by")
    )
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)

    class Meta:
        verbose_name = _("loan status report")
        verbose_name_plural = _("loan status reports")
        ordering = ["loan", "-month"]
        constraints = [models.UniqueConstraint(fields=["loan", "month"], name="loan_status_unique_month")]
        indexes = [models.Index(fields=["month", "classification"], name="loan_status_month_idx")]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.month:%Y-%m}: {self.outstanding_balance}"


class LoanImportRun(models.Model):
    """One upload of loans or monthly statuses by a bank: a dry run or an applied import, with its row report."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    kind = models.CharField(_("kind"), max_length=12, default="loans", help_text=_('"loans" or "statuses".'))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("uploaded by")
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    file_name = models.CharField(_("file name"), max_length=255)
    file_sha256 = models.CharField(_("file fingerprint"), max_length=64)
    dry_run = models.BooleanField(_("dry run"), default=True)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_created = models.PositiveIntegerField(_("created"), default=0)
    rows_duplicate = models.PositiveIntegerField(
        _("already recorded"), default=0, help_text=_("Rows of loans or monthly statuses the ledger already holds.")
    )
    rows_rejected = models.PositiveIntegerField(_("rejected"), default=0)
    errors = models.JSONField(
        _("row errors"), default=list, blank=True, help_text=_("[{line, field, value, message}] for every bad row.")
    )

    class Meta:
        verbose_name = _("loan import run")
        verbose_name_plural = _("loan import runs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"
