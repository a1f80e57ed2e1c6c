"""People, organisations, memberships and invitations."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from finbridge.accounts.choices import BankTier, OrgType, Role


class User(AbstractUser):
    """A person. What they may do follows from their memberships (see roles.py)."""

    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("The language of the user's pages and e-mails; set when they switch language."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    @cached_property
    def active_memberships(self) -> list[Membership]:
        return list(
            self.memberships.filter(organization__is_active=True).select_related(
                "organization", "organization__parent", "organization__subdistrict"
            )
        )

    def permission_codes(self) -> frozenset[str]:
        """Every permission code this person holds through any of their memberships."""
        from finbridge.accounts.roles import codes_for

        if "_permission_codes" not in self.__dict__:
            codes: set[str] = set()
            for membership in self.active_memberships:
                codes |= codes_for(membership.organization.org_type, membership.role)
            self.__dict__["_permission_codes"] = frozenset(codes)
        return self.__dict__["_permission_codes"]


class Organization(models.Model):
    """A government body, financial institution, core enterprise or MSME using the platform."""

    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    org_type = models.CharField(_("type"), max_length=32, choices=OrgType.choices, db_index=True)
    bank_tier = models.CharField(
        _("bank tier"), max_length=20, choices=BankTier.choices, blank=True, help_text=_("Banks only.")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent organisation"),
        help_text=_("For a bank branch: its head office. Consent given to the parent covers its branches."),
    )
    district = models.ForeignKey(
        "reference.District", on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("district")
    )
    subdistrict = models.ForeignKey(
        "reference.Subdistrict",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("subdistrict"),
        help_text=_("For a subdistrict office: the area it manages."),
    )
    industry_sectors = models.JSONField(
        _("industry sectors"),
        default=list,
        blank=True,
        help_text=_('For an industry authority: GB/T 4754-2017 code prefixes of its sector, e.g. ["C", "I65"].'),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["org_type", "name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the active language."""
        if self.name_en and not (get_language() or "zh-hans").startswith("zh"):
            return self.name_en
        return self.name


class Membership(models.Model):
    """A person's place in an organisation, with one role."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user"))
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("organisation")
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(_("joined at"), default=timezone.now)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["user", "organization"], name="membership_unique_user_org")]
        ordering = ["organization", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.get_role_display()})"


class Invitation(models.Model):
    """An invitation, sent by an organisation admin, to join that organisation with a role."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("organisation")
    )
    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    token = models.CharField(_("token"), max_length=64, unique=True)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("invited by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("accepted by")
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.organization}"

    @property
    def is_open(self) -> bool:
        """Read-only guard: can this invitation still be accepted?"""
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()
