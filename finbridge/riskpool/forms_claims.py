"""Forms of the claim pages: filing with evidence, more evidence, resubmission, withdrawal, the authority's
review (approve, approve in part, reject, return) and recoveries. Amounts are typed in yuan."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from finbridge.riskpool.choices import ClaimDecision, ClaimDocumentKind
from finbridge.riskpool.forms_common import DATE_WIDGET, BootstrapForm, MultipleFileField

MONEY = {"required": False, "widget": forms.TextInput(attrs={"inputmode": "decimal"})}
YUAN_HELP = _("In yuan, e.g. 800,000.00.")
FILES_HELP = _("PDF, image, OFD, Word, Excel or ZIP; up to 20 MB each. Choose several at once if you like.")


class EvidenceFields(BootstrapForm):
    document_kind = forms.ChoiceField(
        label=_("Kind of the documents"), choices=ClaimDocumentKind.choices, initial=ClaimDocumentKind.OTHER
    )
    documents = MultipleFileField(label=_("Evidence documents"), required=False, help_text=FILES_HELP)


class ClaimForm(EvidenceFields):
    """File a claim on a covered loan."""

    lost_principal = forms.CharField(label=_("Lost principal (CNY)"), help_text=YUAN_HELP, **MONEY)
    lost_interest = forms.CharField(label=_("Lost interest (CNY)"), **MONEY)
    defaulted_on = forms.CharField(label=_("Non-performing since"), required=False, **DATE_WIDGET)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    field_order = ["lost_principal", "lost_interest", "defaulted_on", "description", "document_kind", "documents"]


class DocumentsForm(EvidenceFields):
    """Attach more evidence to a submitted or returned claim."""


class ResubmitForm(ClaimForm):
    """Resubmit a returned claim: change what needs changing, add evidence."""


class WithdrawForm(BootstrapForm):
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReviewForm(BootstrapForm):
    """The authority's decision on a submitted claim."""

    decision = forms.ChoiceField(label=_("Decision"), choices=ClaimDecision.choices, widget=forms.RadioSelect)
    principal = forms.CharField(
        label=_("Accepted lost principal (CNY)"), help_text=_("Approve in part: below the claim."), **MONEY
    )
    interest = forms.CharField(label=_("Accepted lost interest (CNY)"), **MONEY)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required to approve in part, reject or return."),
    )


class RecoveryForm(BootstrapForm):
    """Money the bank recovered after the payout."""

    recovered_amount = forms.CharField(label=_("Amount recovered (CNY)"), help_text=YUAN_HELP, **MONEY)
    recovered_on = forms.CharField(label=_("Recovered on"), required=False, **DATE_WIDGET)
    reference = forms.CharField(label=_("Your reference"), required=False, max_length=64)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
