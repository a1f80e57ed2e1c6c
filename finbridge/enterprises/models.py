"""The MSME registry: enterprises, their yearly figures, contacts, consents and import runs."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from finbridge.core.money import AMOUNT_DECIMAL_PLACES, AMOUNT_MAX_DIGITS
from finbridge.enterprises.choices import ConsentScope, ImportStatus, SizeClass, TechLabel, VerificationState


def amount_field(verbose_name, **kwargs) -> models.DecimalField:
    """A CNY amount in yuan: DecimalField(18, 2), never negative."""
    return models.DecimalField(
        verbose_name,
        max_digits=AMOUNT_MAX_DIGITS,
        decimal_places=AMOUNT_DECIMAL_PLACES,
        validators=[MinValueValidator(0)],
        **kwargs,
    )


class Enterprise(models.Model):
    """An enterprise in the registry, kept current by its industry authority and subdistrict office."""

    uscc = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, help_text=_("18 characters, GB 32100-2015.")
    )
    name = models.CharField(_("name"), max_length=200, db_index=True)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=100, blank=True)
    established_on = models.DateField(_("date established"), null=True, blank=True)
    registered_capital = amount_field(_("registered capital (CNY)"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    subdistrict = models.ForeignKey(
        "reference.Subdistrict",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enterprises",
        verbose_name=_("subdistrict"),
    )
    industry_code = models.CharField(
        _("industry (GB/T 4754-2017)"), max_length=5, db_index=True, help_text=_("Any level: C, C36, C367 or C3670.")
    )
    clusters = models.ManyToManyField(
        "reference.IndustrialCluster", blank=True, related_name="enterprises", verbose_name=_("industrial clusters")
    )
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    annual_revenue = amount_field(_("annual revenue (CNY)"), null=True, blank=True)
    total_assets = amount_field(_("total assets (CNY)"), null=True, blank=True)
    size_class = models.CharField(
        _("size class"),
        max_length=8,
        choices=SizeClass.choices,
        blank=True,
        db_index=True,
        help_text=_("Derived from industry, employees, revenue and assets by the 2011 MIIT standard."),
    )
    is_high_tech = models.BooleanField(TechLabel.HIGH_TECH.label, default=False)
    is_tech_sme = models.BooleanField(TechLabel.TECH_SME.label, default=False)
    is_srdi = models.BooleanField(TechLabel.SRDI.label, default=False)
    is_little_giant = models.BooleanField(TechLabel.LITTLE_GIANT.label, default=False)
    patents_held = models.PositiveIntegerField(_("patents held"), default=0)
    has_serious_bad_credit = models.BooleanField(
        _("serious bad credit record"), default=False, help_text=_("Set when the credit system lists a serious record.")
    )
    managing_authority = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="managed_enterprises",
        verbose_name=_("managing industry authority"),
        help_text=_("Assigned from the industry code by the authorities' sectors."),
    )
    organization = models.OneToOneField(
        "accounts.Organization",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="enterprise",
        verbose_name=_("platform account"),
        help_text=_("The enterprise's own organisation on the platform, if it has joined."),
    )
    last_verified_at = models.DateTimeField(_("last verified"), null=True, blank=True)
    last_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
    )
    verification_due_on = models.DateField(
        _("re-verification due"), null=True, blank=True, db_index=True, help_text=_("Empty until first verified.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(m2m_fields=[clusters], excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["subdistrict", "size_class", "name"], name="ent_subdistrict_size_idx"),
            models.Index(fields=["managing_authority", "name"], name="ent_authority_name_idx"),
            # Serves the capped count of the filtered list as an index-only scan (docs/performance.md).
            models.Index(
                fields=["subdistrict", "size_class", "is_high_tech", "is_tech_sme", "is_srdi", "is_little_giant"],
                name="ent_filter_count_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tech_labels(self) -> list[str]:
        """The technology label codes this enterprise holds."""
        return [label.value for label in TechLabel if getattr(self, f"is_{label.value}")]

    def verification_state(self, today: datetime.date | None = None) -> str:
        """Read-only helper for templates: current, due or never verified."""
        if self.verification_due_on is None:
            return VerificationState.NEVER
        today = today or timezone.localdate()
        return VerificationState.DUE if self.verification_due_on <= today else VerificationState.CURRENT


class EnterpriseFinancials(models.Model):
    """An enterprise's figures for one year."""

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="financials", verbose_name=_("enterprise")
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(1949)])
    revenue = amount_field(_("revenue (CNY)"), null=True, blank=True)
    total_assets = amount_field(_("total assets (CNY)"), null=True, blank=True)
    net_profit = models.DecimalField(
        _("net profit (CNY)"), max_digits=AMOUNT_MAX_DIGITS, decimal_places=AMOUNT_DECIMAL_PLACES, null=True, blank=True
    )
    rd_expense = amount_field(_("R&D expense (CNY)"), null=True, blank=True)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("yearly figures")
        verbose_name_plural = _("yearly figures")
        ordering = ["enterprise", "-year"]
        constraints = [models.UniqueConstraint(fields=["enterprise", "year"], name="financials_unique_year")]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.year}"


class EnterpriseContact(models.Model):
    """A person to contact at the enterprise."""

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("enterprise")
    )
    name = models.CharField(_("name"), max_length=100)
    title = models.CharField(_("position"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "name"]

    def __str__(self) -> str:
        return self.name


class Consent(models.Model):
    """An enterprise's consent that one organisation (and its branches) may see its data."""

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="consents", verbose_name=_("enterprise")
    )
    grantee = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.CASCADE,
        related_name="consents_received",
        verbose_name=_("granted to"),
    )
    scope = models.CharField(_("scope"), max_length=16, choices=ConsentScope.choices, default=ConsentScope.PROFILE)
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("granted by")
    )
    expires_on = models.DateField(_("expires on"), null=True, blank=True, help_text=_("Last day of validity."))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-granted_at"]
        indexes = [models.Index(fields=["grantee", "enterprise"], name="consent_grantee_ent_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "grantee"],
                condition=models.Q(revoked_at__isnull=True),
                name="consent_one_live_per_grantee",
            )
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} → {self.grantee}"

    def is_active(self, today: datetime.date | None = None) -> bool:
        """Read-only helper: not revoked and not expired."""
        today = today or timezone.localdate()
        return self.revoked_at is None and (self.expires_on is None or self.expires_on >= today)


class ImportRunManager(models.Manager):
    """Import runs without the uploaded bytes (up to 20 MB), which only the background task reads."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().defer("upload")


class ImportRun(models.Model):
    """One upload of an enterprise list: a dry run or an applied import, with its row report.

    A small file is imported in the request and its run is recorded done. A large file is queued for a
    background worker with its bytes in `upload`, which is emptied when the run is done or failed.
    """

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
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
    status = models.CharField(
        _("status"), max_length=8, choices=ImportStatus.choices, default=ImportStatus.QUEUED, db_index=True
    )
    background = models.BooleanField(
        _("in the background"), default=False, help_text=_("Whether a background worker ran it (large files).")
    )
    language = models.CharField(
        _("language"), max_length=16, blank=True, help_text=_("The uploader's language, used for the row report.")
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    failure_message = models.TextField(
        _("reason of failure"), blank=True, help_text=_("Why a failed run changed nothing, in the uploader's language.")
    )
    upload = models.BinaryField(
        _("uploaded file"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("The file while the run waits for or runs in a background worker; emptied afterwards."),
    )

    objects = ImportRunManager()

    class Meta:
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"
