"""Notification kinds of the financing marketplace (registered when the app is ready)."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from finbridge.notifications.kinds import register_kind

DEMAND_MATCHED = "financing.demand_matched"
DEMAND_TAKEN_UP = "financing.demand_taken_up"
DEMAND_APPROVED = "financing.demand_approved"
DEMAND_DECLINED = "financing.demand_declined"
DEMAND_DISBURSED = "financing.demand_disbursed"
DEMAND_OVERDUE = "financing.demand_overdue"
DEMAND_ESCALATED = "financing.demand_escalated"
PRODUCT_PUBLISHED_FOR_YOU = "financing.product_published_for_you"
DEMAND_CLOSED = "financing.demand_closed"

# Why an institution's running engagement was closed (stored as English msgids, translated for each reader).
CLOSED_WITHDRAWN = gettext_noop("the firm withdrew it")
CLOSED_EXPIRED = gettext_noop("it expired")
CLOSED_FUNDED = gettext_noop("another institution disbursed the loan")

KINDS = {
    DEMAND_MATCHED: _("A new financing demand of %(enterprise)s (%(amount)s) fits your product %(product)s."),
    DEMAND_TAKEN_UP: _("%(institution)s took up your financing demand of %(amount)s."),
    DEMAND_APPROVED: _("%(institution)s approved your financing demand of %(amount)s."),
    DEMAND_DECLINED: _("%(institution)s declined your financing demand of %(amount)s: %(reason)s."),
    DEMAND_DISBURSED: _("%(institution)s disbursed the loan for your financing demand of %(amount)s."),
    DEMAND_OVERDUE: _(
        "The financing demand of %(enterprise)s (%(amount)s) was due an answer by %(due)s and has none from %(institution)s."
    ),
    DEMAND_ESCALATED: _(
        "No institution has answered the financing demand of %(enterprise)s (%(amount)s) within %(days)s working days."
    ),
    PRODUCT_PUBLISHED_FOR_YOU: _("%(provider)s published a product that fits your firm: %(product)s."),
    DEMAND_CLOSED: _(
        "The financing demand of %(enterprise)s (%(amount)s) that you were handling is closed: %(reason)s."
    ),
}


# Parameters stored as English msgids, translated for each reader.
TRANSLATED_PARAMS = {DEMAND_DECLINED: ("reason",), DEMAND_CLOSED: ("reason",)}


def register() -> None:
    """Register every financing notification kind with the notifications app."""
    for kind, text in KINDS.items():
        register_kind(kind, text, translated_params=TRANSLATED_PARAMS.get(kind, ()))
