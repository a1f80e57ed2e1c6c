"""Institutions' answers: take up / pass once, on time or late; engagements; the demand follows them."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from finbridge.accounts.choices import Role
from finbridge.accounts.tests.factories import MembershipFactory
from finbridge.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from finbridge.financing import notices
from finbridge.financing.choices import (
    DeclineReason,
    DemandStatus,
    EngagementStatus,
    LoanSource,
    ProductKind,
    ProductStatus,
    ResponseKind,
)
from finbridge.financing.models import Demand, DemandResponse, Loan, Product
from finbridge.financing.services import responses
from finbridge.financing.tests.demands.conftest import Counts, demand_in, engagement_of, state
from finbridge.financing.tests.setup import make_demand, make_response
from finbridge.notifications.models import Notification

pytestmark = pytest.mark.django_db
D = DemandStatus
E = EngagementStatus


def tz(*args: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*args))


def test_take_up_starts_an_engagement_and_tells_the_firm(market):
    firm_staff, firm_admin = market.firm_user, market.member("msme", Role.ADMIN)
    demand = make_demand(market)
    response = responses.demand_take_up(actor=market.scitech_user, demand=demand, note="We call you tomorrow")
    assert response.kind == ResponseKind.TAKE_UP and response.status == E.TAKEN_UP
    assert response.institution == market.scitech and response.responded_by == market.scitech_user
    assert response.on_time
    assert Demand.objects.get(pk=demand.pk).status == D.TAKEN_UP
    event = demand.events.get()
    assert (event.action, event.organization, event.from_status, event.to_status) == (
        "taken_up",
        market.scitech,
        D.PUBLISHED,
        D.TAKEN_UP,
    )
    told = Notification.objects.filter(kind=notices.DEMAND_TAKEN_UP)
    assert {n.recipient for n in told} == {firm_staff, firm_admin}
    assert told.first().params == {
        "institution": market.scitech.name,
        "enterprise": market.factory.name,
        "amount": "¥2,000,000.00",
    }
    assert told.first().link == f"/financing/demands/{demand.pk}/"


def test_pass_is_an_answer_that_leaves_the_demand_published(market):
    demand = make_demand(market)
    response = responses.demand_pass(actor=market.guarantor_user, demand=demand, note="Outside our sectors")
    assert response.kind == ResponseKind.PASS and response.status == ""
    assert Demand.objects.get(pk=demand.pk).status == D.PUBLISHED
    assert not Notification.objects.exists()


@pytest.mark.parametrize("first", ["take_up", "pass"])
@pytest.mark.parametrize("second", ["take_up", "pass"])
def test_an_institution_answers_once(market, first, second):
    demand = make_demand(market)
    getattr(responses, f"demand_{first}")(actor=market.scitech_user, demand=demand)
    before = state(demand)
    counts = Counts()
    with pytest.raises(Conflict) as error:
        getattr(responses, f"demand_{second}")(actor=market.new_user("scitech"), demand=demand)
    assert error.value.code == "already_answered"
    assert state(demand) == before and counts.unchanged()


def test_several_institutions_take_up_the_same_demand(market):
    demand = make_demand(market)
    responses.demand_take_up(actor=market.scitech_user, demand=demand)
    responses.demand_take_up(actor=market.other_bank_user, demand=demand)
    responses.demand_take_up(actor=market.guarantor_user, demand=demand)
    assert DemandResponse.objects.filter(demand=demand, status=E.TAKEN_UP).count() == 3
    assert Demand.objects.get(pk=demand.pk).status == D.TAKEN_UP


def test_a_late_answer_is_stored_as_not_on_time(market):
    demand = make_demand(market, published_at=tz(2025, 1, 27, 9))
    assert demand.respond_by == datetime.date(2025, 2, 6)  # after the Spring Festival holiday
    on_deadline = responses.demand_pass(actor=market.branch_user, demand=demand, now=tz(2025, 2, 6, 23, 59))
    assert on_deadline.on_time
    late = responses.demand_take_up(actor=market.scitech_user, demand=demand, now=tz(2025, 2, 7, 0, 1))
    assert not late.on_time


def test_chosen_demand_is_answered_only_by_chosen_institutions_and_their_branches(market):
    demand = make_demand(market, chosen=[market.head])
    responses.demand_take_up(actor=market.scitech_user, demand=demand)  # branch of the chosen head office
    before = state(demand)
    for user in (market.other_bank_user, market.guarantor_user):
        with pytest.raises(NotFound):
            responses.demand_take_up(actor=user, demand=demand)
    assert state(demand) == before


def test_chosen_branch_does_not_open_the_demand_to_its_head_office(market):
    demand = make_demand(market, chosen=[market.scitech])
    with pytest.raises(NotFound):
        responses.demand_take_up(actor=market.head_user, demand=demand)
    with pytest.raises(NotFound):
        responses.demand_take_up(actor=market.branch_user, demand=demand)


@pytest.mark.parametrize(
    ("org", "role", "error"),
    [
        ("scitech", Role.VIEWER, PermissionDenied),
        ("scitech", Role.REVIEWER, PermissionDenied),
        ("msme", Role.STAFF, PermissionDenied),
        ("district", Role.STAFF, PermissionDenied),
        ("insurer", Role.STAFF, NotFound),
        ("other_msme", Role.STAFF, NotFound),
    ],
)
def test_who_may_not_answer(market, org, role, error):
    demand = make_demand(market)
    counts = Counts()
    for call in (responses.demand_take_up, responses.demand_pass):
        with pytest.raises(error):
            call(actor=market.member(org, role), demand=demand)
    assert counts.unchanged()


def test_a_person_in_two_institutions_names_the_one_they_answer_for(market):
    user = market.scitech_user
    MembershipFactory(user=user, organization=market.guarantor, role=Role.STAFF)
    user = type(user).objects.get(pk=user.pk)
    demand = make_demand(market)
    with pytest.raises(ValidationFailed) as error:
        responses.demand_take_up(actor=user, demand=demand)
    assert "institution" in error.value.fields
    with pytest.raises(PermissionDenied):
        responses.demand_take_up(actor=user, demand=demand, institution=market.other_bank)
    response = responses.demand_take_up(actor=user, demand=demand, institution=market.guarantor)
    assert response.institution == market.guarantor


def test_the_role_must_come_from_the_institution_acted_for(market):
    """A reviewer at the guarantor who is staff elsewhere (an MSME) may not answer for the guarantor."""
    user = market.member("guarantor", Role.VIEWER)
    MembershipFactory(user=user, organization=market.other_bank, role=Role.STAFF)
    user = type(user).objects.get(pk=user.pk)
    demand = make_demand(market)
    with pytest.raises(PermissionDenied):
        responses.demand_take_up(actor=user, demand=demand, institution=market.guarantor)
    assert responses.demand_take_up(actor=user, demand=demand).institution == market.other_bank


# ---- engagements ------------------------------------------------------------------------------------------


def test_the_demand_shows_the_furthest_engagement(market):
    assert market.firm_user  # the firm has a member to tell
    demand = make_demand(market)
    a = responses.demand_take_up(actor=market.scitech_user, demand=demand)
    b = responses.demand_take_up(actor=market.other_bank_user, demand=demand)
    responses.engagement_start_review(actor=market.scitech_user, engagement=a)
    responses.engagement_approve(actor=market.scitech_user, engagement=a, amount="2000000", annual_rate="0.04")
    responses.engagement_start_review(actor=market.other_bank_user, engagement=b)
    assert Demand.objects.get(pk=demand.pk).status == D.APPROVED
    responses.engagement_decline(
        actor=market.scitech_user, engagement=a, reason=DeclineReason.INSUFFICIENT_COLLATERAL, note="LTV too high"
    )
    assert Demand.objects.get(pk=demand.pk).status == D.UNDER_REVIEW
    responses.engagement_decline(actor=market.other_bank_user, engagement=b, reason=DeclineReason.CREDIT_HISTORY)
    declined = Demand.objects.get(pk=demand.pk)
    assert declined.status == D.DECLINED
    assert declined.decline_reason == DeclineReason.CREDIT_HISTORY  # the last one
    told = Notification.objects.filter(kind=notices.DEMAND_DECLINED).order_by("pk")
    assert [n.params["reason"] for n in told] == [
        "Insufficient collateral or guarantee",
        "Credit history",
    ]


def test_a_declined_demand_can_be_published_again_and_taken_up_by_others(market):
    from finbridge.financing.services.demands import demand_republish

    demand = demand_in(market, D.DECLINED)
    demand_republish(actor=market.firm_user, demand=demand)
    responses.demand_take_up(actor=market.other_bank_user, demand=demand)
    assert Demand.objects.get(pk=demand.pk).status == D.TAKEN_UP
    with pytest.raises(Conflict):  # the institution that declined already answered
        responses.demand_take_up(actor=market.scitech_user, demand=demand)


def test_approve_checks_amount_rate_and_product(market):
    demand = demand_in(market, D.UNDER_REVIEW, max_annual_rate=Decimal("0.045"))
    engagement = engagement_of(demand, market.scitech)
    before = state(demand)
    counts = Counts()
    cases = [
        ({"amount": "2000000.01", "annual_rate": "0.04"}, "amount"),
        ({"amount": "0", "annual_rate": "0.04"}, "amount"),
        ({"amount": "", "annual_rate": "0.04"}, "amount"),
        ({"amount": "1000000", "annual_rate": "0.0451"}, "annual_rate"),  # above the firm's maximum
        ({"amount": "1000000", "annual_rate": "0.5"}, "annual_rate"),
        ({"amount": "1000000", "annual_rate": None}, "annual_rate"),
        ({"amount": "1000000", "annual_rate": "0.04", "product": 999999}, "product"),
        ({"amount": "1000000", "annual_rate": "0.04", "note": "x" * 2001}, "note"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationFailed) as error:
            responses.engagement_approve(actor=market.scitech_user, engagement=engagement, **kwargs)
        assert field in error.value.fields, kwargs
    assert state(demand) == before and counts.unchanged()


def _product(provider, status=ProductStatus.PUBLISHED) -> Product:
    return Product.objects.create(
        provider=provider,
        name="科技贷",
        kind=ProductKind.CREDIT_LOAN,
        status=status,
        amount_min=Decimal("100000"),
        amount_max=Decimal("10000000"),
        term_min_months=6,
        term_max_months=36,
        fixed_rate=Decimal("0.038"),
    )


def test_approve_with_a_product_of_the_bank(market):
    assert market.firm_user
    demand = demand_in(market, D.UNDER_REVIEW)
    engagement = engagement_of(demand, market.scitech)
    for bad in (_product(market.other_bank), _product(market.head, status=ProductStatus.DRAFT)):
        with pytest.raises(ValidationFailed):
            responses.engagement_approve(
                actor=market.scitech_user, engagement=engagement, amount="1", annual_rate="0.04", product=bad.pk
            )
    head_product = _product(market.head)  # a product of the head office serves its branches
    approved = responses.engagement_approve(
        actor=market.scitech_user, engagement=engagement, amount="1000000", annual_rate="0.038", product=head_product
    )
    assert approved.product == head_product
    assert Notification.objects.filter(kind=notices.DEMAND_APPROVED).exists()


def test_decline_needs_a_listed_reason_and_a_note_for_other(market):
    demand = demand_in(market, D.TAKEN_UP)
    engagement = engagement_of(demand, market.scitech)
    before = state(demand)
    for reason, note, field in [
        ("bad_mood", "", "reason"),
        ("", "", "reason"),
        (None, "", "reason"),
        ("other", "", "note"),
    ]:
        with pytest.raises(ValidationFailed) as error:
            responses.engagement_decline(actor=market.scitech_user, engagement=engagement, reason=reason, note=note)
        assert field in error.value.fields
    assert state(demand) == before
    declined = responses.engagement_decline(
        actor=market.scitech_user, engagement=engagement, reason="other", note="Sector on our watch list"
    )
    assert (declined.decline_reason, declined.decline_note) == ("other", "Sector on our watch list")
    assert Demand.objects.get(pk=demand.pk).decline_note == "Sector on our watch list"


def test_only_the_engagements_institution_reviews_it(market):
    demand = demand_in(market, D.TAKEN_UP)
    engagement = engagement_of(demand, market.scitech)
    before = state(demand)
    with pytest.raises(PermissionDenied):  # the head office sees its branch's engagement but acts for itself
        responses.engagement_start_review(actor=market.head_user, engagement=engagement)
    for user in (market.branch_user, market.other_bank_user, market.other_firm_user):
        with pytest.raises(NotFound):
            responses.engagement_start_review(actor=user, engagement=engagement)
    with pytest.raises(PermissionDenied):  # the firm sees it but does not review
        responses.engagement_start_review(actor=market.firm_user, engagement=engagement)
    with pytest.raises(PermissionDenied):
        responses.engagement_start_review(actor=market.member("scitech", Role.VIEWER), engagement=engagement)
    assert state(demand) == before
    # a reviewer may review and decide
    responses.engagement_start_review(actor=market.member("scitech", Role.REVIEWER), engagement=engagement)


def test_a_pass_is_not_an_engagement(market):
    demand = make_demand(market)
    passed = responses.demand_pass(actor=market.scitech_user, demand=demand)
    with pytest.raises(NotFound):
        responses.engagement_start_review(actor=market.scitech_user, engagement=passed)


# ---- disbursement ------------------------------------------------------------------------------------------


def _loan(**overrides):
    data = {"reference": "PS-2025-0001", "disbursed_on": timezone.localdate().isoformat()}
    data.update(overrides)
    return data


def test_disbursing_records_the_loan_and_closes_the_other_engagements(market):
    assert market.firm_user
    demand = make_demand(market, term_months=24)
    a = responses.demand_take_up(actor=market.scitech_user, demand=demand)
    b = responses.demand_take_up(actor=market.other_bank_user, demand=demand)
    responses.engagement_start_review(actor=market.other_bank_user, engagement=b)
    responses.engagement_start_review(actor=market.scitech_user, engagement=a)
    responses.engagement_approve(actor=market.scitech_user, engagement=a, amount="1800000", annual_rate="0.039")
    disbursed = responses.engagement_disburse(
        actor=market.scitech_user, engagement=a, loan=_loan(is_credit=True, is_first_time=None)
    )
    loan = disbursed.loan
    assert disbursed.status == E.DISBURSED and disbursed.disbursed_at is not None
    assert (loan.lender, loan.bank, loan.borrower, loan.demand) == (market.scitech, market.head, market.factory, demand)
    assert (loan.amount, loan.annual_rate, loan.term_months) == (Decimal("1800000.00"), Decimal("0.039"), 24)
    assert loan.source == LoanSource.DEMAND and loan.is_credit and loan.is_tech_enterprise
    assert engagement_of(demand, market.other_bank).status == E.CLOSED
    closed_notice = Notification.objects.get(kind=notices.DEMAND_CLOSED)
    assert closed_notice.organization == market.other_bank
    assert closed_notice.params["reason"] == notices.CLOSED_FUNDED
    fresh = Demand.objects.get(pk=demand.pk)
    assert fresh.status == D.DISBURSED and fresh.closed_at is not None
    assert Notification.objects.filter(kind=notices.DEMAND_DISBURSED).exists()
    assert demand.events.last().action == "disbursed"


def test_disbursal_refused_by_the_ledger_changes_nothing(market):
    demand = demand_in(market, D.APPROVED)
    engagement = engagement_of(demand, market.scitech)
    responses.engagement_disburse(actor=market.scitech_user, engagement=engagement, loan=_loan(reference="DUP-1"))
    other = demand_in(market, D.APPROVED)
    other_engagement = engagement_of(other, market.scitech)
    before = state(other)
    counts = Counts()
    with pytest.raises(Conflict) as error:  # the bank already has a loan with this contract number
        responses.engagement_disburse(
            actor=market.scitech_user, engagement=other_engagement, loan=_loan(reference="DUP-1")
        )
    assert error.value.code == "loan_duplicate_reference"
    assert state(other) == before and counts.unchanged()


@pytest.mark.parametrize(
    ("loan", "field"),
    [
        ({"reference": ""}, "reference"),
        ({"disbursed_on": ""}, "disbursed_on"),
        ({"disbursed_on": "yesterday"}, "disbursed_on"),
        ({"amount": "2000000.01"}, "amount"),  # above the approved amount
        ({"annual_rate": "0.9"}, "annual_rate"),
        ({"term_months": 0}, "term_months"),
        ({"is_credit": "maybe"}, "is_credit"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_loan_details_change_nothing(market, loan, field):
    demand = demand_in(market, D.APPROVED)
    before = state(demand)
    counts = Counts()
    with pytest.raises(ValidationFailed) as error:
        responses.engagement_disburse(
            actor=market.scitech_user, engagement=engagement_of(demand, market.scitech), loan=_loan(**loan)
        )
    assert field in error.value.fields
    assert state(demand) == before and counts.unchanged()


def test_a_reviewer_without_the_ledger_permission_cannot_disburse(market):
    demand = demand_in(market, D.APPROVED)
    before = state(demand)
    with pytest.raises(PermissionDenied):
        responses.engagement_disburse(
            actor=market.member("scitech", Role.REVIEWER),
            engagement=engagement_of(demand, market.scitech),
            loan=_loan(),
        )
    assert state(demand) == before and not Loan.objects.exists()


def test_a_guarantor_approves_but_does_not_disburse(market):
    demand = make_demand(market)
    engagement = responses.demand_take_up(actor=market.guarantor_user, demand=demand)
    responses.engagement_start_review(actor=market.guarantor_user, engagement=engagement)
    responses.engagement_approve(
        actor=market.guarantor_user, engagement=engagement, amount="500000", annual_rate="0.02"
    )
    with pytest.raises(Conflict) as error:
        responses.engagement_disburse(actor=market.guarantor_user, engagement=engagement, loan=_loan())
    assert error.value.code == "not_a_bank"


def test_after_disbursal_nothing_more_happens(market):
    demand = demand_in(market, D.APPROVED)
    engagement = engagement_of(demand, market.scitech)
    make_response(demand, market.other_bank, status=E.UNDER_REVIEW)
    responses.engagement_disburse(actor=market.scitech_user, engagement=engagement, loan=_loan())
    before = state(demand)
    with pytest.raises(Conflict):
        responses.demand_take_up(actor=market.guarantor_user, demand=demand)
    with pytest.raises(Conflict):
        responses.engagement_approve(
            actor=market.other_bank_user,
            engagement=engagement_of(demand, market.other_bank),
            amount="1",
            annual_rate="0.04",
        )
    assert state(demand) == before
