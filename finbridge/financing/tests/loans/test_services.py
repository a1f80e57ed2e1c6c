"""loan_record and loan_status_report: derivations, consent, permissions, duplicates, bad input."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from finbridge.accounts.choices import Role
from finbridge.audit.models import AuditEvent
from finbridge.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from finbridge.enterprises.tests.factories import ConsentFactory, EnterpriseFactory
from finbridge.financing.choices import DemandStatus, LoanClassification, LoanSource, ProductKind, ResponseKind
from finbridge.financing.models import Loan, LoanStatusReport, Product
from finbridge.financing.services.loans import loan_status_report, maturity_from_term
from finbridge.financing.tests.loans.conftest import DAY, record
from finbridge.financing.tests.setup import make_demand, make_response

pytestmark = pytest.mark.django_db


def _state() -> tuple[int, int, int]:
    return Loan.objects.count(), LoanStatusReport.objects.count(), AuditEvent.objects.count()


def _product(provider, kind=ProductKind.CREDIT_LOAN, **fields) -> Product:
    values = {
        "name": "科技贷",
        "kind": kind,
        "amount_min": Decimal("100000.00"),
        "amount_max": Decimal("10000000.00"),
        "term_min_months": 6,
        "term_max_months": 36,
        "fixed_rate": Decimal("0.035000"),
    }
    values.update(fields)
    return Product.objects.create(provider=provider, **values)


# ---- derivations ----------------------------------------------------------------------------------------------


def test_a_branch_loan_belongs_to_its_head_office_and_derives_its_figures(market):
    loan = record(market, amount="1,250,000.00", annual_rate="0.0345", disbursed_on="2026/3/16")
    loan.refresh_from_db()
    assert loan.lender == market.scitech
    assert loan.bank == market.head
    assert loan.amount == Decimal("1250000.00")
    assert loan.annual_rate == Decimal("0.034500")
    assert loan.disbursed_on == DAY
    assert loan.maturity_on == datetime.date(2027, 3, 16)
    assert loan.is_first_time is True
    assert loan.is_renewal is False
    assert loan.is_tech_enterprise is True  # the factory is a national high-tech enterprise
    assert loan.borrower_size_class == "small"
    assert loan.borrower_total_credit == Decimal("1250000.00")
    assert loan.is_inclusive is True
    assert loan.outstanding_balance == Decimal("1250000.00")
    assert loan.classification == LoanClassification.NORMAL
    assert loan.status_month is None
    assert loan.source == LoanSource.REPORTED
    assert loan.recorded_by == market.scitech_user
    event = AuditEvent.objects.get(action="loan_record", object_id=str(loan.pk))
    assert event.actor == market.scitech_user
    assert event.after["reference"] == loan.reference
    assert event.after["is_inclusive"] is True


def test_a_head_office_lending_itself_is_its_own_bank(market):
    loan = record(market, lender=market.head, actor=market.head_user)
    assert loan.bank == market.head
    other = record(market, lender=market.other_bank, borrower=market.software, actor=market.other_bank_user)
    assert other.bank == market.other_bank
    assert other.is_tech_enterprise is False  # software has no technology label


@pytest.mark.parametrize(
    ("disbursed", "term", "maturity"),
    [
        (datetime.date(2026, 1, 31), 1, datetime.date(2026, 2, 28)),
        (datetime.date(2024, 1, 31), 1, datetime.date(2024, 2, 29)),
        (datetime.date(2025, 8, 31), 6, datetime.date(2026, 2, 28)),
        (datetime.date(2025, 3, 16), 12, datetime.date(2026, 3, 16)),
        (datetime.date(2023, 2, 28), 36, datetime.date(2026, 2, 28)),
    ],
)
def test_maturity_is_counted_in_calendar_months(market, disbursed, term, maturity):
    assert maturity_from_term(disbursed, term) == maturity
    assert record(market, disbursed_on=disbursed, term_months=term).maturity_on == maturity


def test_a_given_maturity_is_kept_and_must_follow_the_disbursal(market):
    loan = record(market, maturity_on=datetime.date(2027, 1, 10))
    assert loan.maturity_on == datetime.date(2027, 1, 10)
    before = _state()
    with pytest.raises(ValidationFailed) as error:
        record(market, maturity_on=DAY)
    assert "maturity_on" in error.value.fields
    assert _state() == before


def test_first_time_is_derived_from_earlier_loans_on_the_platform(market):
    first = record(market, disbursed_on=datetime.date(2026, 1, 5))
    same_day = record(market, disbursed_on=datetime.date(2026, 1, 5))
    later = record(market, disbursed_on=datetime.date(2026, 2, 5))
    assert (first.is_first_time, same_day.is_first_time, later.is_first_time) == (True, True, False)
    # A loan disbursed earlier but recorded later is first; the flag of loans already recorded stays.
    backfilled = record(market, disbursed_on=datetime.date(2025, 12, 1))
    assert backfilled.is_first_time is True
    # An explicit "not first" is kept even for the borrower's first loan.
    assert (
        record(
            market,
            borrower=market.software,
            lender=market.other_bank,
            actor=market.other_bank_user,
            is_first_time=False,
        ).is_first_time
        is False
    )


def test_a_declared_first_loan_after_an_earlier_one_is_refused(market):
    record(market, disbursed_on=datetime.date(2026, 1, 5))
    before = _state()
    with pytest.raises(ValidationFailed) as error:
        record(market, disbursed_on=datetime.date(2026, 2, 5), is_first_time=True)
    assert error.value.code == "not_first_loan"
    assert "2026-01-05" in error.value.fields["is_first_time"][0]
    assert _state() == before


def test_renewals(market):
    renewal = record(market, is_renewal=True)
    assert (renewal.is_renewal, renewal.is_first_time) == (True, False)
    without = record(market, is_renewal_without_repayment=True)
    assert (without.is_renewal, without.is_renewal_without_repayment) == (True, True)
    before = _state()
    with pytest.raises(ValidationFailed) as error:
        record(market, is_renewal=True, is_first_time=True)
    assert "is_first_time" in error.value.fields
    assert _state() == before


def test_credit_loans_follow_the_product(market):
    plain = record(market, is_credit=True)
    assert plain.is_credit is True
    credit_product = _product(market.head)
    assert record(market, product=credit_product, is_credit=False).is_credit is True
    mortgage = _product(market.scitech, kind=ProductKind.MORTGAGE, collateral_required=["real_estate"])
    assert record(market, product=mortgage).is_credit is False
    before = _state()
    with pytest.raises(ValidationFailed) as error:
        record(market, product=mortgage, is_credit=True)
    assert "is_credit" in error.value.fields
    other = _product(market.other_bank)
    with pytest.raises(ValidationFailed) as error:
        record(market, product=other)
    assert "product" in error.value.fields
    assert _state() == before


# ---- inclusive loans: size class x total credit at the 10 million boundary -----------------------------------


@pytest.mark.parametrize(
    ("size_class", "amount", "inclusive"),
    [
        ("micro", "10000000.00", True),
        ("micro", "10000000.01", False),
        ("small", "10000000.00", True),
        ("small", "10000000.01", False),
        ("medium", "10000000.00", False),
        ("medium", "10000000.01", False),
        ("medium", "100000.00", False),
        ("large", "100000.00", False),
        ("", "100000.00", False),
    ],
)
def test_inclusive_flag_at_the_boundary(market, size_class, amount, inclusive):
    borrower = EnterpriseFactory(size_class=size_class)
    ConsentFactory(enterprise=borrower, grantee=market.head)
    loan = record(market, borrower=borrower, amount=amount)
    assert loan.borrower_size_class == size_class
    assert loan.borrower_total_credit == Decimal(amount)
    assert loan.is_inclusive is inclusive


@pytest.mark.parametrize(("amount", "inclusive"), [("4000000.00", True), ("4000000.01", False)])
def test_total_credit_adds_the_balances_at_every_bank_on_the_disbursal_date(market, amount, inclusive):
    ConsentFactory(enterprise=market.factory, grantee=market.other_bank)
    elsewhere = record(
        market,
        lender=market.other_bank,
        actor=market.other_bank_user,
        amount="9000000.00",
        disbursed_on=datetime.date(2025, 6, 1),
        term_months=24,
    )
    loan_status_report(
        actor=market.other_bank_user,
        loan=elsewhere,
        month="2026-02",
        outstanding_balance="6000000.00",
        classification="normal",
    )
    # Not counted: repaid by a report before the day, matured without a report, disbursed after the day.
    repaid = record(market, amount="3000000.00", disbursed_on=datetime.date(2025, 1, 10), term_months=24)
    loan_status_report(
        actor=market.scitech_user, loan=repaid, month="2026-01", outstanding_balance="0", classification="normal"
    )
    record(market, amount="2000000.00", disbursed_on=datetime.date(2025, 1, 10), term_months=12)
    record(market, amount="5000000.00", disbursed_on=datetime.date(2026, 3, 20))
    loan = record(market, amount=amount, disbursed_on=DAY)
    assert loan.borrower_total_credit == Decimal("6000000.00") + Decimal(amount)
    assert loan.is_inclusive is inclusive


def test_total_credit_uses_the_report_on_or_before_the_day_and_the_amount_without_one(market):
    older = record(market, amount="2000000.00", disbursed_on=datetime.date(2025, 10, 1), term_months=24)
    loan_status_report(
        actor=market.scitech_user,
        loan=older,
        month="2025-12",
        outstanding_balance="1500000.00",
        classification="normal",
    )
    loan_status_report(
        actor=market.scitech_user, loan=older, month="2026-05", outstanding_balance="100000.00", classification="normal"
    )
    unreported = record(market, amount="700000.00", disbursed_on=datetime.date(2026, 1, 2), term_months=12)
    assert unreported.borrower_total_credit == Decimal("1500000.00") + Decimal("700000.00")
    loan = record(market, amount="100.00", disbursed_on=DAY)
    assert loan.borrower_total_credit == Decimal("1500000.00") + Decimal("700000.00") + Decimal("100.00")


def test_the_size_class_is_a_snapshot(market):
    loan = record(market)
    market.factory.size_class = "medium"
    market.factory.save()
    loan.refresh_from_db()
    assert (loan.borrower_size_class, loan.is_inclusive) == ("small", True)


# ---- consent -------------------------------------------------------------------------------------------------


def test_a_borrower_without_consent_is_refused_and_nothing_changes(market):
    before = _state()
    with pytest.raises(ValidationFailed) as error:
        record(market, borrower=market.shop)
    assert error.value.code == "consent_required"
    assert "consent" in error.value.fields["borrower"][0]
    assert _state() == before


def test_revoked_expired_and_sibling_consents_do_not_count(market):
    revoked = EnterpriseFactory()
    ConsentFactory(enterprise=revoked, grantee=market.head, revoked_at=timezone.now())
    expired = EnterpriseFactory()
    ConsentFactory(
        enterprise=expired, grantee=market.head, expires_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    sibling = EnterpriseFactory()
    ConsentFactory(enterprise=sibling, grantee=market.branch)
    before = _state()
    for borrower in (revoked, expired, sibling):
        with pytest.raises(ValidationFailed) as error:
            record(market, borrower=borrower)
        assert error.value.code == "consent_required"
    assert _state() == before
    # Consent to the lender itself (not only to its head office) counts.
    assert record(market, borrower=sibling, lender=market.branch, actor=market.branch_user).bank == market.head


def test_a_demand_taken_up_by_the_bank_stands_for_consent(market):
    published = timezone.make_aware(datetime.datetime(2026, 3, 2, 9), timezone.get_default_timezone())
    demand = make_demand(market, enterprise=market.shop, status=DemandStatus.APPROVED, published_at=published)
    make_response(demand, market.head, kind=ResponseKind.TAKE_UP)
    loan = record(market, borrower=market.shop, demand=demand, source=LoanSource.DEMAND)
    assert (loan.demand, loan.source, loan.days_from_demand) == (demand, LoanSource.DEMAND, 14)  # 2 to 16 March
    # The money cannot come before the demand was published.
    with pytest.raises(ValidationFailed) as error:
        record(market, borrower=market.shop, demand=demand, disbursed_on=datetime.date(2026, 3, 1))
    assert "disbursed_on" in error.value.fields
    # Taken up by another bank, or a pass, does not help.
    passed = make_demand(market, enterprise=market.shop, published_at=published)
    make_response(passed, market.head, kind=ResponseKind.PASS)
    elsewhere = make_demand(market, enterprise=market.shop, published_at=published)
    make_response(elsewhere, market.other_bank)
    before = _state()
    for other in (passed, elsewhere):
        with pytest.raises(ValidationFailed) as error:
            record(market, borrower=market.shop, demand=other)
        assert error.value.code == "consent_required"
    with pytest.raises(ValidationFailed) as error:
        record(market, borrower=market.factory, demand=demand)
    assert "demand" in error.value.fields
    assert _state() == before


# ---- who may record ----------------------------------------------------------------------------------------


def test_only_the_lender_and_its_head_office_record_its_loans(market):
    assert record(market, actor=market.head_user).lender == market.scitech
    before = _state()
    for actor in (
        market.branch_user,  # a sibling branch
        market.other_bank_user,
        market.member("scitech", Role.REVIEWER),
        market.member("scitech", Role.VIEWER),
        market.district_user,
        market.firm_user,
        market.guarantor_user,
    ):
        with pytest.raises(PermissionDenied):
            record(market, actor=actor)
    assert _state() == before


def test_the_lender_must_be_an_active_bank_office(market):
    before = _state()
    with pytest.raises(ValidationFailed) as error:
        record(market, lender=market.guarantor)
    assert "lender" in error.value.fields
    market.scitech.is_active = False
    market.scitech.save()
    with pytest.raises(ValidationFailed) as error:
        record(market, actor=market.head_user)
    assert "lender" in error.value.fields
    assert _state() == before


# ---- duplicates and bad input ------------------------------------------------------------------------------------


def test_the_same_contract_number_twice_at_one_bank_is_a_conflict(market):
    record(market, reference="PS-2026-001")
    before = _state()
    with pytest.raises(Conflict) as error:
        record(market, reference=" PS-2026-001 ", lender=market.branch, actor=market.head_user)
    assert error.value.code == "loan_duplicate_reference"
    assert "PS-2026-001" in error.value.message and market.head.name_en in error.value.message
    assert _state() == before
    # Another bank may use the same number.
    ConsentFactory(enterprise=market.factory, grantee=market.other_bank)
    assert record(market, reference="PS-2026-001", lender=market.other_bank, actor=market.other_bank_user).pk


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", "0"),
        ("amount", "-5"),
        ("amount", "abc"),
        ("amount", None),
        ("amount", "1e30"),
        ("term_months", 0),
        ("term_months", 361),
        ("term_months", "1.5"),
        ("annual_rate", "0.37"),
        ("annual_rate", "-0.01"),
        ("annual_rate", "3.45%"),
        ("disbursed_on", "2026-02-30"),
        ("disbursed_on", "1999-12-31"),
        ("disbursed_on", timezone.localdate() + datetime.timedelta(days=1)),
        ("reference", ""),
        ("reference", "X" * 65),
        ("is_renewal", "maybe"),
        ("maturity_on", "soon"),
        ("source", "rumour"),
    ],
)
def test_bad_values_are_refused_field_by_field_and_nothing_changes(market, field, value):
    before = _state()
    with pytest.raises(ValidationFailed) as error:
        record(market, **{field: value})
    assert field in error.value.fields
    assert _state() == before


def test_several_bad_values_are_reported_together(market):
    with pytest.raises(ValidationFailed) as error:
        record(market, amount="", term_months="", annual_rate="", reference="")
    assert {"amount", "term_months", "annual_rate", "reference"} <= set(error.value.fields)


# ---- monthly status -----------------------------------------------------------------------------------------------


def test_a_status_report_becomes_the_loans_current_status(market):
    loan = record(market, disbursed_on=datetime.date(2025, 12, 10))
    report = loan_status_report(
        actor=market.scitech_user,
        loan=loan,
        month="2026-02",
        outstanding_balance="800,000.00",
        classification="special_mention",
    )
    assert (report.month, report.outstanding_balance) == (datetime.date(2026, 2, 1), Decimal("800000.00"))
    loan.refresh_from_db()
    assert (loan.outstanding_balance, loan.classification, loan.status_month) == (
        Decimal("800000.00"),
        "special_mention",
        datetime.date(2026, 2, 1),
    )
    assert AuditEvent.objects.filter(action="loan_status_report").count() == 2  # the report and the loan
    # A late report for an earlier month is kept without changing the current status.
    loan_status_report(
        actor=market.head_user,
        loan=loan,
        month=datetime.date(2026, 1, 31),
        outstanding_balance="900000",
        classification="正常",
    )
    loan.refresh_from_db()
    assert (loan.outstanding_balance, loan.status_month) == (Decimal("800000.00"), datetime.date(2026, 2, 1))
    assert list(loan.status_reports.values_list("month", "classification")) == [
        (datetime.date(2026, 2, 1), "special_mention"),
        (datetime.date(2026, 1, 1), "normal"),
    ]
    # The disbursal month itself may be reported; a later month moves the current status.
    loan_status_report(
        actor=market.scitech_user, loan=loan, month="2025年12月", outstanding_balance=1000000, classification="Normal"
    )
    loan_status_report(
        actor=market.scitech_user, loan=loan, month="2026-03", outstanding_balance="0", classification="次级"
    )
    loan.refresh_from_db()
    assert (loan.outstanding_balance, loan.classification) == (Decimal("0.00"), "substandard")


def test_a_second_report_for_the_same_month_is_a_conflict(market):
    loan = record(market, disbursed_on=datetime.date(2025, 12, 10))
    loan_status_report(
        actor=market.scitech_user, loan=loan, month="2026-01", outstanding_balance="900000", classification="normal"
    )
    before = _state()
    with pytest.raises(Conflict) as error:
        loan_status_report(
            actor=market.head_user, loan=loan, month="2026-01-20", outstanding_balance="1", classification="loss"
        )
    assert error.value.code == "loan_status_already_reported"
    assert loan.reference in error.value.message and "2026-01" in error.value.message
    assert _state() == before
    loan.refresh_from_db()
    assert (loan.outstanding_balance, loan.classification) == (Decimal("900000.00"), "normal")


@pytest.mark.parametrize(
    ("field", "month", "balance", "classification"),
    [
        ("outstanding_balance", "2026-01", "1000000.01", "normal"),
        ("outstanding_balance", "2026-01", "-1", "normal"),
        ("outstanding_balance", "2026-01", "lots", "normal"),
        ("month", "2025-11", "1000", "normal"),
        ("month", "2026-13", "1000", "normal"),
        ("month", "March", "1000", "normal"),
        ("classification", "2026-01", "1000", "bad"),
        ("classification", "2026-01", "1000", ""),
    ],
)
def test_bad_status_reports_change_nothing(market, field, month, balance, classification):
    loan = record(market, disbursed_on=datetime.date(2025, 12, 10))
    before = _state()
    with pytest.raises(ValidationFailed) as error:
        loan_status_report(
            actor=market.scitech_user,
            loan=loan,
            month=month,
            outstanding_balance=balance,
            classification=classification,
        )
    assert field in error.value.fields
    assert _state() == before


def test_a_month_that_has_not_begun_cannot_be_reported(market):
    loan = record(market)
    next_month = (timezone.localdate().replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    with pytest.raises(ValidationFailed) as error:
        loan_status_report(
            actor=market.scitech_user, loan=loan, month=next_month, outstanding_balance="1", classification="normal"
        )
    assert "month" in error.value.fields


def test_who_may_report_a_status(market):
    loan = record(market, disbursed_on=datetime.date(2025, 12, 10))
    before = _state()
    for actor in (market.branch_user, market.other_bank_user):  # cannot see the loan
        with pytest.raises(NotFound):
            loan_status_report(
                actor=actor, loan=loan, month="2026-01", outstanding_balance="1", classification="normal"
            )
    for actor in (market.member("scitech", Role.VIEWER), market.district_user, market.firm_user):
        with pytest.raises(PermissionDenied):
            loan_status_report(
                actor=actor, loan=loan, month="2026-01", outstanding_balance="1", classification="normal"
            )
    assert _state() == before
