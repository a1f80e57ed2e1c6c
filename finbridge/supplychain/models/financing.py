"""Financing of confirmed receivables and voucher parts: the creditor's request to chosen funders, each funder's
offer or refusal, and the registration (pledge or transfer) that an accepted offer creates.

A receivable or voucher part is financed at most once at a time: the database allows one active registration
per receivable and one per voucher part (conditional unique constraints), and the services register inside one
transaction after locking the financed rows in id order, so when two acceptances race the first wins."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.financing.models._fields import amount_field, rate_field
from finbridge.supplychain.choices import (
    FinancingRequestStatus,
    OfferStatus,
    RegistrationKind,
    RegistrationStatus,
    ReleaseReason,
)

_ONE_ASSET = models.Q(receivable__isnull=False, voucher__isnull=True) | models.Q(
    receivable__isnull=True, voucher__isnull=False
)


class FinancingRequest(models.Model):
    """A creditor's (or voucher holder's) request for financing on one or more confirmed receivables or voucher
    parts, sent to the funders it chose (one FinancingOffer each)."""

    requester = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="supplychain_financing_requests",
        verbose_name=_("requester"),
        help_text=_("The creditor of the receivables, or the holder of the voucher parts."),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=FinancingRequestStatus.choices, default=FinancingRequestStatus.OPEN
    )
    face_amount = amount_field(_("face amount (CNY)"), help_text=_("The total of the receivables and parts offered."))
    amount_requested = amount_field(
        _("amount requested (CNY)"), minimum=Decimal("0.01"), help_text=_("At most the face amount.")
    )
    note = models.TextField(_("note to funders"), blank=True)
    respond_by = models.DateField(_("answers due by"), help_text=_("The request closes unanswered after this day."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("sent by")
    )
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )

    class Meta:
        verbose_name = _("financing request")
        verbose_name_plural = _("financing requests")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_requested__lte=models.F("face_amount")),
                name="sc_request_amount_within_face",
            )
        ]
        indexes = [
            models.Index(fields=["requester", "status"], name="sc_req_requester_idx"),
            models.Index(fields=["status", "respond_by"], name="sc_req_status_due_idx"),
            models.Index(fields=["created_at"], name="sc_req_created_idx"),  # the overview's open month
        ]

    def __str__(self) -> str:
        return f"#{self.pk} · {self.amount_requested}"


class FinancingRequestItem(models.Model):
    """One receivable or one voucher part offered in a financing request."""

    request = models.ForeignKey(
        FinancingRequest, on_delete=models.CASCADE, related_name="items", verbose_name=_("financing request")
    )
    receivable = models.ForeignKey(
        "supplychain.Receivable",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="financing_items",
        verbose_name=_("receivable"),
    )
    voucher = models.ForeignKey(
        "supplychain.Voucher",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="financing_items",
        verbose_name=_("voucher part"),
    )
    amount = amount_field(_("face amount (CNY)"), minimum=Decimal("0.01"))

    class Meta:
        verbose_name = _("financing request item")
        verbose_name_plural = _("financing request items")
        ordering = ["request", "id"]
        constraints = [
            models.CheckConstraint(condition=_ONE_ASSET, name="sc_item_one_asset"),
            models.UniqueConstraint(fields=["request", "receivable"], name="sc_item_unique_receivable"),
            models.UniqueConstraint(fields=["request", "voucher"], name="sc_item_unique_voucher"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.receivable_id or self.voucher_id}"


class FinancingOffer(models.Model):
    """One chosen funder's answer to a financing request: pending, an offer, or a refusal; then accepted or
    closed by the requester's decision."""

    request = models.ForeignKey(
        FinancingRequest, on_delete=models.CASCADE, related_name="offers", verbose_name=_("financing request")
    )
    funder = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="supplychain_offers",
        verbose_name=_("funder"),
    )
    status = models.CharField(_("status"), max_length=12, choices=OfferStatus.choices, default=OfferStatus.PENDING)
    advance_amount = amount_field(_("amount advanced (CNY)"), null=True, blank=True)
    advance_ratio = rate_field(
        _("advance ratio"), null=True, blank=True, help_text=_("Amount advanced over face amount, such as 0.800000.")
    )
    annual_rate = rate_field(_("annual rate"), null=True, blank=True)
    fees = amount_field(_("fees (CNY)"), null=True, blank=True)
    term_days = models.PositiveIntegerField(
        _("term (days)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(3650)]
    )
    registration_kind = models.CharField(_("registration"), max_length=10, choices=RegistrationKind.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    refusal_reason = models.TextField(_("reason for refusal"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("accepted or closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("financing offer")
        verbose_name_plural = _("financing offers")
        ordering = ["request", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "funder"], name="sc_offer_unique_funder"),
            models.UniqueConstraint(
                fields=["request"], condition=models.Q(status="accepted"), name="sc_offer_one_accepted"
            ),
        ]
        indexes = [models.Index(fields=["funder", "status"], name="sc_offer_funder_idx")]

    def __str__(self) -> str:
        return f"{self.request_id} · {self.funder_id} · {self.status}"


class Registration(models.Model):
    """The registered pledge or transfer of one receivable or voucher part to a funder. The earlier registration
    wins: at most one active registration per receivable and per voucher part."""

    number = models.CharField(_("registration number"), max_length=32, unique=True)
    receivable = models.ForeignKey(
        "supplychain.Receivable",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registrations",
        verbose_name=_("receivable"),
    )
    voucher = models.ForeignKey(
        "supplychain.Voucher",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registrations",
        verbose_name=_("voucher part"),
    )
    root_receivable = models.ForeignKey(
        "supplychain.Receivable",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("underlying receivable"),
        help_text=_("The receivable itself, or the confirmed receivable the voucher part traces back to."),
    )
    funder = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="supplychain_registrations",
        verbose_name=_("funder"),
    )
    assignor = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("pledgor or transferor"),
        help_text=_("The creditor or voucher holder that was financed."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=RegistrationKind.choices)
    face_amount = amount_field(_("face amount (CNY)"), minimum=Decimal("0.01"))
    advance_amount = amount_field(_("amount advanced (CNY)"))
    request = models.ForeignKey(
        FinancingRequest, on_delete=models.PROTECT, related_name="registrations", verbose_name=_("financing request")
    )
    offer = models.ForeignKey(
        FinancingOffer, on_delete=models.PROTECT, related_name="registrations", verbose_name=_("offer")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RegistrationStatus.choices, default=RegistrationStatus.ACTIVE
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("registered by"),
    )
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("released by"),
    )
    release_reason = models.CharField(_("released because"), max_length=10, choices=ReleaseReason.choices, blank=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["-registered_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=_ONE_ASSET, name="sc_registration_one_asset"),
            models.UniqueConstraint(
                fields=["receivable"],
                condition=models.Q(status="active", receivable__isnull=False),
                name="sc_registration_one_active_receivable",
            ),
            models.UniqueConstraint(
                fields=["voucher"],
                condition=models.Q(status="active", voucher__isnull=False),
                name="sc_registration_one_active_voucher",
            ),
        ]
        indexes = [
            models.Index(fields=["funder", "status"], name="sc_reg_funder_idx"),
            models.Index(fields=["root_receivable", "status"], name="sc_reg_root_idx"),
            models.Index(fields=["registered_at"], name="sc_reg_registered_idx"),
            # the overview's financed amounts per funder
            models.Index(
                fields=["root_receivable", "funder", "face_amount"],
                name="sc_reg_active_idx",
                condition=models.Q(status="active"),
            ),
        ]

    def __str__(self) -> str:
        return self.number
