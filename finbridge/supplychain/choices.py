"""Statuses and kinds of supply-chain finance: receivables, confirmations, financing requests and offers,
registrations, payment vouchers and payments."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReceivableStatus(models.TextChoices):
    PENDING = "pending", _("Pending confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    DISPUTED = "disputed", _("Disputed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    FINANCING_REQUESTED = "financing_requested", _("Financing requested")
    FINANCED = "financed", _("Financed")
    VOUCHER_ISSUED = "voucher_issued", _("Voucher issued")
    SETTLED = "settled", _("Settled")


class ReceivableSource(models.TextChoices):
    """Who put the receivable on the platform."""

    CREDITOR = "creditor", _("Uploaded by the creditor")
    DEBTOR = "debtor", _("Uploaded by the debtor as a payable")


class ConfirmationMethod(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed by the debtor")
    DEBTOR_UPLOAD = "debtor_upload", _("Uploaded by the debtor")


class FinancingRequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Offer accepted")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CLOSED = "closed", _("Closed without financing")


class OfferStatus(models.TextChoices):
    """One chosen funder's answer to one financing request."""

    PENDING = "pending", _("Awaiting an answer")
    OFFERED = "offered", _("Offer made")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Offer withdrawn")
    ACCEPTED = "accepted", _("Accepted")
    CLOSED = "closed", _("Closed")


class RegistrationKind(models.TextChoices):
    PLEDGE = "pledge", _("Pledge")
    TRANSFER = "transfer", _("Transfer (factoring)")


class RegistrationStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    RELEASED = "released", _("Released")


class ReleaseReason(models.TextChoices):
    SETTLED = "settled", _("The debtor paid")
    REPAID = "repaid", _("The financing was repaid")


class VoucherStatus(models.TextChoices):
    HELD = "held", _("Held")
    SPLIT = "split", _("Split or passed on")
    FINANCING_REQUESTED = "financing_requested", _("Financing requested")
    FINANCED = "financed", _("Financed")
    SETTLED = "settled", _("Settled")


class VoucherOrigin(models.TextChoices):
    """How a voucher part came to its holder."""

    ISSUED = "issued", _("Issued by the debtor")
    KEPT = "kept", _("Kept by the holder after a split")
    TRANSFERRED = "transferred", _("Transferred from the previous holder")


class PayeeRole(models.TextChoices):
    HOLDER = "holder", _("Holder")
    FUNDER = "funder", _("Funder")
