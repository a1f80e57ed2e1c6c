"""Serializers of the enrolment API: enrolments, the eligibility of a loan, bulk enrolment and its result."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from finbridge.financing.choices import DemandPurpose
from finbridge.financing.models import Loan
from finbridge.riskpool.api.serializers_pools import AMOUNT
from finbridge.riskpool.choices import LoanCategory, ReleaseReason, UpliftFlag
from finbridge.riskpool.models import Enrolment


class EnrolmentSerializer(serializers.ModelSerializer):
    """A covered loan: its pool, loan, category, the rule version governing it and the amounts covered."""

    pool_name = serializers.CharField(source="pool.display_name", read_only=True)
    loan_reference = serializers.CharField(source="loan.reference", read_only=True)
    borrower = serializers.IntegerField(source="loan.borrower_id", read_only=True)
    borrower_name = serializers.CharField(source="loan.borrower.name", read_only=True)
    bank_name = serializers.CharField(source="bank.display_name", read_only=True)
    lender = serializers.IntegerField(source="loan.lender_id", read_only=True)
    rule_version_number = serializers.IntegerField(source="rule_version.number", read_only=True)
    loan_amount = serializers.DecimalField(**AMOUNT, read_only=True)
    covered_amount = serializers.DecimalField(**AMOUNT, read_only=True)
    outstanding_balance = serializers.DecimalField(source="loan.outstanding_balance", **AMOUNT, read_only=True)
    classification = serializers.CharField(source="loan.classification", read_only=True)
    flags = serializers.ListField(child=serializers.CharField(), read_only=True)
    eligibility = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Enrolment
        fields = [
            "id",
            "pool",
            "pool_name",
            "loan",
            "loan_reference",
            "borrower",
            "borrower_name",
            "bank",
            "bank_name",
            "lender",
            "category",
            "guarantor",
            "insurer",
            "flags",
            "purpose",
            "rule_version",
            "rule_version_number",
            "loan_amount",
            "covered_amount",
            "outstanding_balance",
            "classification",
            "status",
            "eligibility",
            "enrolled_on",
            "enrolled_at",
            "released_at",
            "release_reason",
        ]
        read_only_fields = fields


class EnrolmentTermsInputSerializer(serializers.Serializer):
    """What the bank declares about a loan when enrolling it."""

    category = serializers.ChoiceField(choices=LoanCategory.choices, required=False, default=LoanCategory.DIRECT)
    guarantor = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, help_text=_("The guarantee agency (id) of a guaranteed loan.")
    )
    insurer = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, help_text=_("The insurer (id) of an insured loan.")
    )
    flags = serializers.ListField(
        child=serializers.ChoiceField(choices=UpliftFlag.choices),
        required=False,
        max_length=10,
        help_text=_(
            "Features the bank declares (ip_pledge, green, receivables_pledge); first-time, credit and "
            "technology-enterprise come from the loans ledger."
        ),
    )
    purpose = serializers.ChoiceField(choices=DemandPurpose.choices, required=False, allow_blank=True)


class EnrolmentCreateInputSerializer(EnrolmentTermsInputSerializer):
    """Enrol one loan of your bank: the pool, the loan (id) or its contract number, and its terms."""

    pool = serializers.IntegerField(min_value=1)
    loan = serializers.IntegerField(min_value=1, required=False, help_text=_("The loan (id)."))
    reference = serializers.CharField(
        max_length=64, required=False, help_text=_("Or the loan contract number at your bank.")
    )


class EnrolmentBulkItemSerializer(EnrolmentTermsInputSerializer):
    loan = serializers.IntegerField(min_value=1, required=False)
    reference = serializers.CharField(max_length=64, required=False)


class EnrolmentBulkInputSerializer(serializers.Serializer):
    """Enrol many loans at once: each item on its own (one refusal does not stop the others)."""

    pool = serializers.IntegerField(min_value=1)
    items = EnrolmentBulkItemSerializer(many=True, allow_empty=False, max_length=5000)


class EligibilityReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class EnrolmentBulkRejectionSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text=_("Position of the item in the request, from 0."))
    loan = serializers.IntegerField(allow_null=True, source="loan.pk", default=None)
    reference = serializers.CharField(source="label")
    reasons = EligibilityReasonSerializer(many=True)


class EnrolmentBulkResultSerializer(serializers.Serializer):
    enrolled = EnrolmentSerializer(many=True)
    rejected = EnrolmentBulkRejectionSerializer(many=True)


class EnrolmentEligibilitySerializer(serializers.Serializer):
    """Whether a loan can be enrolled in a pool today, with every reason it cannot."""

    loan = serializers.IntegerField()
    eligible = serializers.BooleanField()
    reasons = EligibilityReasonSerializer(many=True)


class EnrolmentReleaseInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=ReleaseReason.choices)


class EnrolableLoanSerializer(serializers.ModelSerializer):
    """A loan of your bank that is not yet enrolled, performing and with a balance."""

    borrower_name = serializers.CharField(source="borrower.name", read_only=True)
    lender_name = serializers.CharField(source="lender.display_name", read_only=True)
    amount = serializers.DecimalField(**AMOUNT, read_only=True)
    outstanding_balance = serializers.DecimalField(**AMOUNT, read_only=True)

    class Meta:
        model = Loan
        fields = [
            "id",
            "reference",
            "borrower",
            "borrower_name",
            "lender",
            "lender_name",
            "amount",
            "outstanding_balance",
            "disbursed_on",
            "maturity_on",
            "term_months",
            "classification",
            "is_first_time",
            "is_credit",
            "is_tech_enterprise",
        ]
        read_only_fields = fields


def reasons_data(reasons: Any) -> list[dict[str, str]]:
    return [{"code": r.code, "message": r.message} for r in reasons]
