"""Kinds and statuses of the financing marketplace: products, demands, responses and loans."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProductKind(models.TextChoices):
    CREDIT_LOAN = "credit_loan", _("Credit loan")
    GUARANTEED_LOAN = "guaranteed_loan", _("Guaranteed loan")
    MORTGAGE = "mortgage", _("Mortgage loan")
    IP_PLEDGE = "ip_pledge", _("IP pledge loan")
    RECEIVABLES_PLEDGE = "receivables_pledge", _("Receivables pledge loan")
    ORDER_FINANCING = "order_financing", _("Order financing")
    EQUIPMENT_LOAN = "equipment_loan", _("Equipment loan")
    GUARANTEE = "guarantee", _("Guarantee")


# Kinds a guarantee agency may publish; every other kind is a bank's loan product.
GUARANTOR_KINDS = frozenset({ProductKind.GUARANTEE})


class ProductStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class RateType(models.TextChoices):
    FIXED = "fixed", _("Fixed rate")
    LPR_SPREAD = "lpr_spread", _("One-year LPR plus spread")


class LprTerm(models.TextChoices):
    ONE_YEAR = "1y", _("One-year LPR")
    FIVE_YEAR = "5y", _("Five-year LPR")


class Collateral(models.TextChoices):
    """What a firm can offer and what a product asks for."""

    NONE = "none", _("None (credit)")
    REAL_ESTATE = "real_estate", _("Real estate")
    EQUIPMENT = "equipment", _("Equipment")
    INTELLECTUAL_PROPERTY = "ip", _("Intellectual property")
    RECEIVABLES = "receivables", _("Receivables")
    ORDERS = "orders", _("Orders or contracts")
    GUARANTEE = "guarantee", _("Third-party guarantee")


class DemandPurpose(models.TextChoices):
    RND = "rnd", _("R&D")
    COMMERCIALISATION = "commercialisation", _("Commercialisation of technological achievements")
    EQUIPMENT = "equipment", _("Equipment purchase")
    EXPANSION = "expansion", _("Capacity expansion")
    WORKING_CAPITAL = "working_capital", _("Working capital")


class DemandVisibility(models.TextChoices):
    ALL = "all", _("All admitted institutions")
    CHOSEN = "chosen", _("Chosen institutions only")


class DemandStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    TAKEN_UP = "taken_up", _("Taken up")
    UNDER_REVIEW = "under_review", _("Under review")
    APPROVED = "approved", _("Approved")
    DISBURSED = "disbursed", _("Disbursed")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXPIRED = "expired", _("Expired")


class EngagementStatus(models.TextChoices):
    """One institution's handling of one demand it took up."""

    TAKEN_UP = "taken_up", _("Taken up")
    UNDER_REVIEW = "under_review", _("Under review")
    APPROVED = "approved", _("Approved")
    DISBURSED = "disbursed", _("Disbursed")
    DECLINED = "declined", _("Declined")
    CLOSED = "closed", _("Closed")  # the demand was withdrawn, expired or funded by another institution


class ResponseKind(models.TextChoices):
    TAKE_UP = "take_up", _("Take up")
    PASS = "pass", _("Pass")


class DeclineReason(models.TextChoices):
    INSUFFICIENT_COLLATERAL = "insufficient_collateral", _("Insufficient collateral or guarantee")
    WEAK_FINANCIALS = "weak_financials", _("Financial figures too weak")
    CREDIT_HISTORY = "credit_history", _("Credit history")
    OUTSIDE_POLICY = "outside_policy", _("Outside the bank's credit policy")
    INCOMPLETE_DOCUMENTS = "incomplete_documents", _("Documents incomplete")
    FIRM_WITHDREW = "firm_withdrew", _("The firm no longer needs the loan")
    OTHER = "other", _("Other")


class LoanSource(models.TextChoices):
    DEMAND = "demand", _("Disbursed demand")
    REPORTED = "reported", _("Reported by the bank")
    IMPORTED = "imported", _("Imported from a spreadsheet")


class LoanClassification(models.TextChoices):
    """Five-category loan classification (CBIRC/PBoC order 2023 No. 1)."""

    NORMAL = "normal", _("Normal")
    SPECIAL_MENTION = "special_mention", _("Special mention")
    SUBSTANDARD = "substandard", _("Substandard")
    DOUBTFUL = "doubtful", _("Doubtful")
    LOSS = "loss", _("Loss")


NON_PERFORMING = frozenset({LoanClassification.SUBSTANDARD, LoanClassification.DOUBTFUL, LoanClassification.LOSS})
