"""Organisation types, bank tiers and membership roles."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgType(models.TextChoices):
    DISTRICT_AUTHORITY = "district_authority", _("District financial authority")
    INDUSTRY_AUTHORITY = "industry_authority", _("Industry authority")
    SUBDISTRICT_OFFICE = "subdistrict_office", _("Subdistrict office")
    BANK = "bank", _("Bank")
    GUARANTOR = "guarantor", _("Guarantee agency")
    INSURER = "insurer", _("Insurer")
    INVESTOR = "investor", _("Investment institution")
    SECURITIES_FIRM = "securities_firm", _("Securities firm")
    CORE_ENTERPRISE = "core_enterprise", _("Core enterprise")
    MSME = "msme", _("MSME")


GOVERNMENT_TYPES = frozenset({OrgType.DISTRICT_AUTHORITY, OrgType.INDUSTRY_AUTHORITY, OrgType.SUBDISTRICT_OFFICE})
# Organisations that see enterprises only with the enterprise's consent.
CONSENT_TYPES = frozenset(
    {
        OrgType.BANK,
        OrgType.GUARANTOR,
        OrgType.INSURER,
        OrgType.INVESTOR,
        OrgType.SECURITIES_FIRM,
        OrgType.CORE_ENTERPRISE,
    }
)


class BankTier(models.TextChoices):
    HEAD_OFFICE = "head_office", _("Head office")
    BRANCH = "branch", _("Branch")
    SCITECH_BRANCH = "scitech_branch", _("Sci-tech branch")


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    STAFF = "staff", _("Staff")
    REVIEWER = "reviewer", _("Reviewer")
    VIEWER = "viewer", _("Viewer")


class InvitationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")
