"""Enrolment: who may enrol, every eligibility criterion with its reason, capacity, bulk, release."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from finbridge.accounts.choices import BankTier, OrgType
from finbridge.accounts.tests.factories import MembershipFactory, OrganizationFactory
from finbridge.audit.models import AuditEvent
from finbridge.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from finbridge.financing.choices import DemandPurpose, LoanClassification
from finbridge.financing.tests.setup import make_demand
from finbridge.notifications.models import Notification
from finbridge.riskpool import notices
from finbridge.riskpool.choices import AlertKind, EnrolmentStatus, LoanCategory, ReleaseReason, UpliftFlag
from finbridge.riskpool.models import Enrolment, PoolAlert
from finbridge.riskpool.selectors.ledger import ledger_assert_invariants
from finbridge.riskpool.services.enrolment import (
    Ineligible,
    enrolment_bulk,
    enrolment_compensate,
    enrolment_release,
    enrolments_release_repaid,
)
from finbridge.riskpool.services.members import member_end, member_suspend
from finbridge.riskpool.services.pools import pool_close, pool_update
from finbridge.riskpool.services.rules import rule_version_create
from finbridge.riskpool.tests.setup import build_pool_scenario

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = timezone.localdate

ALL_CATEGORIES = {
    "categories": [
        {"category": "direct", "shares": {"pool": "0.3", "bank": "0.7"}},
        {"category": "guaranteed", "shares": {"pool": "0.2", "bank": "0.3", "guarantor": "0.5"}},
        {"category": "insured", "shares": {"pool": "0.1", "bank": "0.2", "insurer": "0.7"}},
    ]
}


@pytest.fixture
def s():
    return build_pool_scenario()


def _codes(error) -> list[str]:
    return [r.code for r in error.reasons]


def _refused(s, loan, *codes, **kwargs):
    before = (Enrolment.objects.count(), s.refresh().covered_balance)
    with pytest.raises(Ineligible) as error:
        s.enrol(loan, **kwargs)
    assert error.value.code == "ineligible"
    for code in codes:
        assert code in _codes(error.value), _codes(error.value)
    assert "eligibility" in error.value.fields
    assert (Enrolment.objects.count(), s.refresh().covered_balance) == before
    return error.value


# ---- the happy path -----------------------------------------------------------------------------------------


def test_enrolment_keeps_the_rule_version_flags_and_amounts(s):
    loan = s.make_loan(amount=D("2000000.00"), outstanding=D("1500000.00"), is_first_time=True, is_tech_enterprise=True)
    rule_version_create(
        actor=s.authority, pool=s.pool, effective_from=TODAY() + datetime.timedelta(days=1), rules=ALL_CATEGORIES
    )
    enrolment = s.enrol(loan, flags=[UpliftFlag.IP_PLEDGE, UpliftFlag.CREDIT])
    assert enrolment.rule_version == s.version
    assert enrolment.flags == [UpliftFlag.FIRST_TIME, UpliftFlag.IP_PLEDGE, UpliftFlag.TECH_ENTERPRISE]
    assert (enrolment.loan_amount, enrolment.covered_amount) == (D("2000000.00"), D("1500000.00"))
    assert (enrolment.bank, enrolment.member, enrolment.status) == (s.market.head, s.head_member, "active")
    assert enrolment.enrolled_on == TODAY() and enrolment.enrolled_by == s.head_user
    assert s.refresh().covered_balance == D("1500000.00")
    assert AuditEvent.objects.filter(action="riskpool.enrolment_create", object_id=str(enrolment.pk)).exists()
    ledger_assert_invariants(s.pool)


def test_a_branch_enrols_its_own_loans_and_the_head_office_any_of_its_loans(s):
    branch_loan = s.make_loan(lender="branch")
    scitech_loan = s.make_loan(lender="scitech")
    assert s.enrol(branch_loan, actor=s.branch_user).bank == s.market.head
    with pytest.raises(NotFound):
        s.enrol(scitech_loan, actor=s.branch_user)
    assert s.enrol(scitech_loan, actor=s.head_user).loan == scitech_loan


def test_other_banks_and_the_authority_cannot_enrol(s):
    loan = s.make_loan()
    with pytest.raises(NotFound):
        s.enrol(loan, actor=s.other_bank_user)
    with pytest.raises(PermissionDenied):
        s.enrol(loan, actor=s.authority)
    with pytest.raises(PermissionDenied):
        s.enrol(loan, actor=s.market.member("head", "viewer"))
    assert not Enrolment.objects.exists()


def test_purpose_comes_from_the_demand_the_loan_funds(s):
    pool_update(actor=s.authority, pool=s.pool, allowed_purposes=[DemandPurpose.RND])
    loan = s.make_loan()
    loan.demand = make_demand(s.market, purpose=DemandPurpose.RND)
    loan.save(update_fields=["demand"])
    assert s.enrol(loan).purpose == DemandPurpose.RND


# ---- eligibility, one criterion at a time --------------------------------------------------------------------


def test_pool_not_open(s):
    loan = s.make_loan()
    pool_close(actor=s.authority, pool=s.pool)
    _refused(s, loan, "pool_not_open")


def test_pool_before_its_period():
    s = build_pool_scenario()
    pool_update(
        actor=s.authority,
        pool=s.pool,
        period_start=TODAY() + datetime.timedelta(days=1),
        period_end=TODAY() + datetime.timedelta(days=30),
        require_disbursed_in_period=False,
    )
    _refused(s, s.make_loan(), "pool_not_open")


def test_bank_not_a_member(s):
    bank = OrganizationFactory(org_type=OrgType.BANK, bank_tier=BankTier.HEAD_OFFICE, name="外来银行")
    user = MembershipFactory(organization=bank, role="staff").user
    _refused(s, s.make_loan(lender=bank), "not_a_member", actor=user)


def test_agreement_ended(s):
    member_end(actor=s.authority, member=s.other_member)
    _refused(s, s.make_loan(lender="other_bank"), "agreement_not_in_force", actor=s.other_bank_user)


def test_agreement_not_yet_signed(s):
    from finbridge.riskpool.services.members import member_update

    member_update(actor=s.authority, member=s.head_member, agreement_signed_on=TODAY() + datetime.timedelta(days=2))
    _refused(s, s.make_loan(), "agreement_not_in_force")


def test_suspended_bank_cannot_enrol(s):
    member_suspend(actor=s.authority, member=s.head_member, note="audit")
    error = _refused(s, s.make_loan(), "bank_suspended")
    assert "suspended" in error.message


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"size_class": ""}, "size_class_unknown"),
        ({"size_class": "large"}, "not_sme"),
        ({"subdistrict": None}, "not_in_district"),
        ({"industry_code": "J6620"}, "industry_excluded"),
        ({"industry_code": "K7010"}, "industry_excluded"),
        ({"has_serious_bad_credit": True}, "serious_bad_credit"),
    ],
)
def test_borrower_criteria(s, change, code):
    firm = s.market.factory
    for name, value in change.items():
        setattr(firm, name, value)
    firm.save()
    _refused(s, s.make_loan(), code)


def test_property_management_is_not_real_estate_development(s):
    s.market.factory.industry_code = "K7020"
    s.market.factory.save()
    assert s.enrol(s.make_loan())


def test_size_classes_and_exclusions_are_pool_settings(s):
    pool_update(actor=s.authority, pool=s.pool, eligible_size_classes=["micro"], excluded_industry_prefixes=["C36"])
    errors = _codes(_refused(s, s.make_loan(), "not_sme", "industry_excluded"))
    assert errors.count("not_sme") == 1
    assert s.enrol(s.make_loan(borrower="software"))
    pool_update(actor=s.authority, pool=s.pool, require_sme=False, excluded_industry_prefixes=[])
    assert s.enrol(s.make_loan())


@pytest.mark.parametrize(
    ("loan_kwargs", "pool_settings", "code"),
    [
        ({"classification": LoanClassification.SUBSTANDARD}, {}, "loan_non_performing"),
        ({"classification": LoanClassification.LOSS}, {}, "loan_non_performing"),
        ({"outstanding": D("0")}, {}, "loan_repaid"),
        ({"disbursed_on": TODAY() - datetime.timedelta(days=170), "term_months": 1}, {}, "loan_repaid"),
        ({"amount": D("5000000.01")}, {"max_loan_amount": "5000000"}, "amount_above_limit"),
        ({"term_months": 36}, {"max_term_months": 24}, "term_above_limit"),
        ({}, {"allowed_purposes": ["rnd"]}, "purpose_missing"),
        ({"disbursed_on": TODAY() - datetime.timedelta(days=200)}, {}, "disbursed_outside_period"),
    ],
)
def test_loan_criteria(s, loan_kwargs, pool_settings, code):
    if pool_settings:
        pool_update(actor=s.authority, pool=s.pool, **pool_settings)
    _refused(s, s.make_loan(**loan_kwargs), code)


def test_purpose_not_allowed_and_allowed(s):
    pool_update(actor=s.authority, pool=s.pool, allowed_purposes=["rnd", "equipment"])
    loan = s.make_loan()
    _refused(s, loan, "purpose_not_allowed", purpose=DemandPurpose.WORKING_CAPITAL)
    assert s.enrol(loan, purpose=DemandPurpose.EQUIPMENT).purpose == DemandPurpose.EQUIPMENT


def test_old_loans_are_accepted_when_the_pool_allows(s):
    pool_update(actor=s.authority, pool=s.pool, require_disbursed_in_period=False)
    assert s.enrol(s.make_loan(disbursed_on=TODAY() - datetime.timedelta(days=200)))


def test_category_must_be_covered_by_the_rule_in_force(s):
    _refused(s, s.make_loan(), "category_not_covered", category=LoanCategory.INSURED)


def test_guaranteed_and_insured_loans_need_admitted_partners():
    s = build_pool_scenario(rules=ALL_CATEGORIES)
    loan = s.make_loan()
    _refused(s, loan, "guarantor_required", category=LoanCategory.GUARANTEED)
    _refused(s, loan, "guarantor_not_member", category=LoanCategory.GUARANTEED, guarantor=s.market.insurer)
    _refused(s, loan, "insurer_required", category=LoanCategory.INSURED)
    _refused(s, loan, "insurer_not_member", category=LoanCategory.INSURED, insurer=s.market.guarantor)
    enrolment = s.enrol(loan, category=LoanCategory.GUARANTEED, guarantor=s.market.guarantor, insurer=s.market.insurer)
    assert (enrolment.guarantor, enrolment.insurer) == (s.market.guarantor, None)
    other = s.enrol(s.make_loan(), category=LoanCategory.INSURED, insurer=s.market.insurer)
    assert other.insurer == s.market.insurer


def test_direct_loans_drop_partners(s):
    assert s.enrol(s.make_loan(), guarantor=s.market.guarantor).guarantor is None


def test_declared_features(s):
    _refused(s, s.make_loan(), "flag_unknown", flags=["shiny"])
    _refused(s, s.make_loan(is_credit=True), "flag_conflicts_credit", flags=[UpliftFlag.IP_PLEDGE])


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"category": "cars"}, "category"), ({"purpose": "holiday"}, "purpose"), ({"flags": "ip_pledge"}, "flags")],
)
def test_malformed_input(s, kwargs, field):
    with pytest.raises(ValidationFailed) as error:
        s.enrol(s.make_loan(), **kwargs)
    assert field in error.value.fields
    assert not Enrolment.objects.exists()


def test_every_failing_criterion_is_reported(s):
    firm = s.market.factory
    firm.has_serious_bad_credit, firm.subdistrict = True, None
    firm.save()
    error = _refused(s, s.make_loan(classification=LoanClassification.DOUBTFUL), category=LoanCategory.INSURED)
    assert set(_codes(error)) >= {
        "serious_bad_credit",
        "not_in_district",
        "loan_non_performing",
        "category_not_covered",
    }


def test_a_loan_is_enrolled_once_across_pools(s):
    loan = s.make_loan()
    s.enrol(loan)
    with pytest.raises(Conflict) as error:
        s.enrol(loan)
    assert error.value.code == "already_enrolled"
    second = build_pool_scenario(market=s.market)
    with pytest.raises(Conflict):
        second.enrol(loan)
    assert Enrolment.objects.filter(loan=loan).count() == 1


def test_messages_are_translated(s):
    from django.utils import translation

    firm = s.market.factory
    firm.has_serious_bad_credit = True
    firm.save()
    with translation.override("zh-hans"), pytest.raises(Ineligible) as error:
        s.enrol(s.make_loan())
    assert error.value.reasons[0].code == "serious_bad_credit"


# ---- capacity --------------------------------------------------------------------------------------------------


def test_enrolment_stops_at_capacity_and_release_frees_it():
    s = build_pool_scenario(max_covered_amount=D("2500000.00"))
    first = s.enrol(s.make_loan())
    s.enrol(s.make_loan())
    loan = s.make_loan()
    with pytest.raises(Conflict) as error:
        s.enrol(loan)
    assert error.value.code == "pool_at_capacity"
    assert "500,000.00" in error.value.message
    assert s.refresh().covered_balance == D("2000000.00")
    s.enrol(s.make_loan(amount=D("500000.00")))  # exactly to the brim
    assert s.refresh().free_capacity == 0
    enrolment_release(actor=s.head_user, enrolment=first, reason=ReleaseReason.REPAID)
    assert s.enrol(loan)
    ledger_assert_invariants(s.pool)


def test_near_capacity_alerts_the_authority_once():
    s = build_pool_scenario(max_covered_amount=D("2000000.00"))
    assert s.authority
    first = s.enrol(s.make_loan(amount=D("1000000.00")))
    assert not PoolAlert.objects.filter(kind=AlertKind.CAPACITY_REACHED).exists()
    s.enrol(s.make_loan(amount=D("950000.00")))
    assert Notification.objects.filter(kind=notices.CAPACITY_REACHED).count() == 1
    enrolment_release(actor=s.head_user, enrolment=first, reason=ReleaseReason.REPAID)
    assert PoolAlert.objects.get(kind=AlertKind.CAPACITY_REACHED).cleared_at is not None


def test_leverage_capacity_follows_capital():
    s = build_pool_scenario(leverage=D("0.1"))  # 1,000,000 of cover
    s.enrol(s.make_loan())
    with pytest.raises(Conflict):
        s.enrol(s.make_loan(amount=D("1.00")))


# ---- bulk ------------------------------------------------------------------------------------------------------


def test_bulk_enrols_what_it_can_and_reports_each_refusal(s):
    good, npl, dup = s.make_loan(), s.make_loan(classification=LoanClassification.SUBSTANDARD), s.make_loan()
    s.enrol(dup)
    other_bank_loan = s.make_loan(lender="other_bank")
    result = enrolment_bulk(
        actor=s.head_user,
        pool=s.pool,
        items=[
            {"loan": good},
            {"reference": npl.reference},
            {"loan": dup.pk},
            {"loan": other_bank_loan.pk},
            {"reference": "NOPE"},
            {},
            {"loan": s.make_loan().pk, "category": "cars"},
        ],
    )
    assert [e.loan for e in result.enrolled] == [good]
    rejected = {r.index: [x.code for x in r.reasons] for r in result.rejected}
    assert rejected == {
        1: ["loan_non_performing"],
        2: ["already_enrolled"],
        3: ["not_found"],
        4: ["not_found"],
        5: ["validation_failed"],
        6: ["validation_failed"],
    }
    assert result.rejected[0].label == npl.reference


def test_bulk_needs_the_permission_and_a_sane_size(s):
    with pytest.raises(PermissionDenied):
        enrolment_bulk(actor=s.authority, pool=s.pool, items=[])
    with pytest.raises(ValidationFailed):
        enrolment_bulk(actor=s.head_user, pool=s.pool, items=[{}] * 5001)


# ---- release and compensation ----------------------------------------------------------------------------------


def test_release_by_bank_or_authority_not_by_others(s):
    enrolment = s.enrol(s.make_loan())
    with pytest.raises(NotFound):
        enrolment_release(actor=s.other_bank_user, enrolment=enrolment, reason=ReleaseReason.WITHDRAWN)
    with pytest.raises(ValidationFailed):
        enrolment_release(actor=s.head_user, enrolment=enrolment, reason="bored")
    enrolment_release(actor=s.authority, enrolment=enrolment, reason=ReleaseReason.ERROR)
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.release_reason) == (EnrolmentStatus.RELEASED, ReleaseReason.ERROR)
    assert s.refresh().covered_balance == 0
    with pytest.raises(Conflict) as error:
        enrolment_release(actor=s.authority, enrolment=enrolment, reason=ReleaseReason.ERROR)
    assert error.value.code == "invalid_transition"
    assert s.enrol(enrolment.loan)  # a released loan may be enrolled again


def test_a_loan_with_an_open_claim_cannot_be_released(s):
    from finbridge.riskpool.models import Claim

    enrolment = s.enrol(s.make_loan())
    Claim.objects.create(
        pool=s.pool,
        enrolment=enrolment,
        bank=s.market.head,
        rule_version=enrolment.rule_version,
        reference="T-1",
        loan_classification=LoanClassification.SUBSTANDARD,
        defaulted_on=TODAY(),
        lost_principal=D("100"),
    )
    with pytest.raises(Conflict) as error:
        enrolment_release(actor=s.head_user, enrolment=enrolment, reason=ReleaseReason.REPAID)
    assert error.value.code == "claim_open"
    assert s.refresh().covered_balance == enrolment.covered_amount


def test_compensation_uses_up_the_cover(s):
    enrolment = s.enrol(s.make_loan())
    enrolment_compensate(actor=s.authority, enrolment=enrolment)
    assert enrolment.status == EnrolmentStatus.COMPENSATED
    assert s.refresh().covered_balance == 0
    with pytest.raises(Conflict):
        s.enrol(enrolment.loan)  # compensated loans stay enrolled
    with pytest.raises(Conflict):
        enrolment_compensate(actor=s.authority, enrolment=enrolment)


def test_repaid_loans_are_released_by_the_daily_task(s):
    repaid, running = s.enrol(s.make_loan()), s.enrol(s.make_loan())
    s.classify(repaid.loan, LoanClassification.NORMAL, outstanding=D("0"))
    assert enrolments_release_repaid() == 1
    repaid.refresh_from_db()
    running.refresh_from_db()
    assert (repaid.status, repaid.release_reason, running.status) == ("released", "repaid", "active")
    assert s.refresh().covered_balance == running.covered_amount
    ledger_assert_invariants(s.pool)
