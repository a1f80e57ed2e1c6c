"""Forms of the enrolment pages: the terms a bank declares (category, guarantor or insurer, features, purpose),
loans picked from its ledger or listed by contract number, and a release."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from finbridge.core.errors import DomainError
from finbridge.enterprises import import_files
from finbridge.financing.choices import DemandPurpose
from finbridge.riskpool.choices import (
    LOAN_DERIVED_FLAGS,
    LoanCategory,
    MemberRole,
    MemberStatus,
    ReleaseReason,
    UpliftFlag,
)
from finbridge.riskpool.forms_common import BootstrapForm
from finbridge.riskpool.models import Pool

DECLARED_FLAGS = [(flag.value, flag.label) for flag in UpliftFlag if flag not in LOAN_DERIVED_FLAGS]
MAX_REFERENCES = 5000
MAX_LIST_BYTES = 2 * 1024 * 1024
SEPARATORS = re.compile(r"[\s,;，；]+")
HEADER = re.compile(r"合同|编号|contract|reference|number", re.IGNORECASE)
MSG_NO_REFERENCES = _("List at least one loan contract number.")
MSG_TOO_MANY = _("At most %(limit)s loans at a time.")
MSG_NO_LOANS = _("Tick at least one loan.")


def _members(pool: Pool, role: str) -> list[tuple[int, str]]:
    members = pool.members.filter(role=role, status=MemberStatus.ACTIVE).select_related("organization")
    return [(m.organization_id, m.organization.display_name) for m in members.order_by("organization__name")]


class EnrolTermsForm(BootstrapForm):
    """What the bank declares about the loans it enrols (the same for every loan of a bulk enrolment)."""

    category = forms.ChoiceField(label=_("Loan category"), choices=LoanCategory.choices, initial=LoanCategory.DIRECT)
    guarantor = forms.TypedChoiceField(
        label=_("Guarantee agency"), coerce=int, empty_value=None, required=False, help_text=_("For guaranteed loans.")
    )
    insurer = forms.TypedChoiceField(
        label=_("Insurer"), coerce=int, empty_value=None, required=False, help_text=_("For insured loans.")
    )
    flags = forms.MultipleChoiceField(
        label=_("Loan features you declare"),
        choices=DECLARED_FLAGS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("First-time, credit and technology-enterprise loans are recognised from the loans ledger."),
    )
    purpose = forms.ChoiceField(label=_("Purpose"), required=False)

    def __init__(self, *args: Any, pool: Pool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pool = pool
        self.fields["guarantor"].choices = [("", "—")] + _members(pool, MemberRole.GUARANTOR)
        self.fields["insurer"].choices = [("", "—")] + _members(pool, MemberRole.INSURER)
        self.fields["purpose"].choices = [("", _("From the demand the loan funds"))] + list(DemandPurpose.choices)

    def terms(self) -> dict[str, Any]:
        """The service keyword arguments (organisations resolved); call after is_valid()."""
        from finbridge.accounts.models import Organization

        data = self.cleaned_data
        orgs = Organization.objects.in_bulk([pk for pk in (data.get("guarantor"), data.get("insurer")) if pk])
        return {
            "category": data["category"],
            "guarantor": orgs.get(data.get("guarantor")),
            "insurer": orgs.get(data.get("insurer")),
            "flags": list(data.get("flags") or []),
            "purpose": data.get("purpose") or "",
        }


class SelectedLoansForm(EnrolTermsForm):
    """Enrol the loans ticked in the list."""

    loans = forms.TypedMultipleChoiceField(label=_("Loans"), coerce=int, required=False)

    def __init__(self, *args: Any, loan_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["loans"].choices = [(pk, str(pk)) for pk in loan_ids]

    def clean_loans(self) -> list[int]:
        loans = self.cleaned_data.get("loans") or []
        if not loans:
            raise forms.ValidationError(MSG_NO_LOANS)
        return loans


class ReferenceListForm(EnrolTermsForm):
    """Enrol loans listed by contract number: typed or pasted, or a CSV, .xlsx or text file (first column)."""

    references = forms.CharField(
        label=_("Loan contract numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "LN-0001\nLN-0002"}),
        help_text=_("One per line, or separated by commas."),
    )
    file = forms.FileField(
        label=_("Or a file"), required=False, help_text=_("CSV, .xlsx or text: contract numbers in the first column.")
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        references = [r for r in SEPARATORS.split(data.get("references") or "") if r]
        upload = data.get("file")
        if upload is not None:
            references += self._file_references(upload)
        unique = list(dict.fromkeys(references))
        if not unique and not self.errors:
            self.add_error("references", MSG_NO_REFERENCES)
        elif len(unique) > MAX_REFERENCES:
            self.add_error("references", MSG_TOO_MANY % {"limit": MAX_REFERENCES})
        data["reference_list"] = unique
        return data

    def _file_references(self, upload: Any) -> list[str]:
        content = upload.read(MAX_LIST_BYTES + 1)
        name = (upload.name or "").lower()
        if name.endswith((".xlsx", ".csv")):
            try:
                file_format = import_files.check_upload(upload.name, content)
                rows = list(import_files.read_rows(file_format, content))
            except DomainError as error:  # a damaged or disguised file: say so on the field
                self.add_error("file", error.message)
                return []
            values = [str(values[0]).strip() for _number, values in rows if values and values[0] not in (None, "")]
        else:
            try:
                text = import_files.decode_text(content)
            except DomainError as error:
                self.add_error("file", error.message)
                return []
            values = [r for r in SEPARATORS.split(text) if r]
        if values and HEADER.search(values[0]):
            values = values[1:]  # a title such as "合同编号" or "Contract number"
        return values


class ReleaseForm(BootstrapForm):
    reason = forms.ChoiceField(label=_("Why the loan leaves the pool"), choices=ReleaseReason.choices)
