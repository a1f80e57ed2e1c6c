"""Size classes, technology labels, consent scopes and import statuses."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SizeClass(models.TextChoices):
    LARGE = "large", _("Large")
    MEDIUM = "medium", _("Medium")
    SMALL = "small", _("Small")
    MICRO = "micro", _("Micro")


class TechLabel(models.TextChoices):
    """Technology labels; each is a boolean field `is_<value>` on Enterprise."""

    HIGH_TECH = "high_tech", _("National high-tech enterprise")
    TECH_SME = "tech_sme", _("Tech-based SME")
    SRDI = "srdi", _("Provincial SRDI (专精特新) enterprise")
    LITTLE_GIANT = "little_giant", _('National SRDI "little giant"')


class ConsentScope(models.TextChoices):
    PROFILE = "profile", _("Profile only")
    FINANCIALS = "financials", _("Profile and financial figures")


class VerificationState(models.TextChoices):
    CURRENT = "current", _("Verified")
    DUE = "due", _("Re-verification due")
    NEVER = "never", _("Never verified")


class ImportStatus(models.TextChoices):
    """Where an import run stands: small files are done at once, large ones wait for a background worker."""

    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
