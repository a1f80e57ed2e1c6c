"""Reads of matching results (selectors/matching.py): who sees which matches, and the institution inbox."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from finbridge.core.errors import NotFound, PermissionDenied, ValidationFailed
from finbridge.financing.choices import DemandStatus, ResponseKind
from finbridge.financing.selectors import matching as selectors
from finbridge.financing.services import matching as services
from finbridge.financing.tests.matching.conftest import make_demand, make_product
from finbridge.financing.tests.setup import make_response


def refresh(*demands):
    for demand in demands:
        services.demand_match_refresh(demand_id=demand.pk)


def inbox_ids(user, **filters):
    return [m.demand_id for m in selectors.institution_inbox(actor=user, filters=filters)]


# ---- a demand's matches -----------------------------------------------------------------------------------------


def test_fits_come_first_by_score_then_near_misses_by_failures_and_score(market):
    good = make_product(market, amount_min=Decimal("1500000.00"), amount_max=Decimal("2500000.00"))
    fair = make_product(market)
    near_one = make_product(market, term_max_months=6)
    near_two = make_product(market, term_max_months=6, min_years_in_operation=30)
    demand = make_demand(market)
    refresh(demand)
    rows = list(selectors.demand_matches(actor=market.firm_user, demand=demand))
    assert [m.product_id for m in rows] == [good.pk, fair.pk, near_one.pk, near_two.pk]
    assert rows[0].score > rows[1].score


def test_an_institution_sees_only_its_own_products_matches(market):
    own = make_product(market)
    make_product(market, provider=market.other_bank)
    demand = make_demand(market)
    refresh(demand)
    assert [m.product_id for m in selectors.demand_matches(actor=market.branch_user, demand=demand)] == [own.pk]
    assert selectors.demand_matches(actor=market.head_user, demand=demand).count() == 0
    assert selectors.demand_matches(actor=market.district_user, demand=demand).count() == 2


def test_invisible_demands_are_not_found(market):
    make_product(market)
    demand = make_demand(market, chosen=[market.other_bank])
    refresh(demand)
    for user in (market.branch_user, market.other_firm_user, market.insurer_user, market.member("so_s2")):
        with pytest.raises(NotFound):
            selectors.demand_matches(actor=user, demand=demand)
    assert selectors.demand_matches(actor=market.firm_user, demand=demand).count() == 1


def test_figures_are_shown_to_the_firm_government_and_consented_institutions(market):
    from finbridge.enterprises.tests.factories import ConsentFactory

    demand = make_demand(market)
    assert selectors.match_access(actor=market.firm_user, pk=demand.pk).show_figures
    assert selectors.match_access(actor=market.district_user, pk=demand.pk).show_figures
    assert not selectors.match_access(actor=market.branch_user, pk=demand.pk).show_figures
    ConsentFactory(enterprise=market.factory, grantee=market.head, scope="financials")
    assert selectors.match_access(actor=market.branch_user, pk=demand.pk).show_figures
    ConsentFactory(enterprise=market.factory, grantee=market.other_bank, scope="profile")
    assert not selectors.match_access(actor=market.other_bank_user, pk=demand.pk).show_figures


def test_match_views_render_reasons_and_failures(market):
    make_product(market, term_max_months=6)
    demand = make_demand(market)
    refresh(demand)
    (view,) = selectors.match_views(selectors.demand_matches(actor=market.firm_user, demand=demand), show_figures=True)
    assert view.failures == [
        {"code": "term_too_long", "message": "terms of at most 6 months; this demand asks for 12 months"}
    ]
    assert any(r["code"] == "amount_in_range" for r in view.reasons)


def test_can_refresh_matches(market):
    demand = make_demand(market)
    assert selectors.can_refresh_matches(actor=market.firm_user, demand=demand)
    assert selectors.can_refresh_matches(actor=market.so_s1_user, demand=demand)
    assert not selectors.can_refresh_matches(actor=market.branch_user, demand=demand)
    assert not selectors.can_refresh_matches(actor=market.member("msme", "viewer"), demand=demand)
    assert not selectors.can_refresh_matches(actor=market.member("so_s2"), demand=demand)


# ---- the inbox ----------------------------------------------------------------------------------------------------


def test_the_inbox_has_one_row_per_fitting_demand_fast_track_first_then_by_score(market):
    make_product(market)
    make_product(market, amount_min=Decimal("1500000.00"), amount_max=Decimal("2500000.00"))
    tech = make_demand(market)
    plain_close = make_demand(market, enterprise=market.software, amount=Decimal("2000000.00"))
    plain_far = make_demand(market, enterprise=market.software, amount=Decimal("9000000.00"))
    refresh(tech, plain_close, plain_far)
    rows = list(selectors.institution_inbox(actor=market.branch_user))
    assert [m.demand_id for m in rows] == [tech.pk, plain_close.pk, plain_far.pk]
    assert rows[0].fast_track and not rows[1].fast_track
    assert rows[1].score > rows[2].score
    assert all(m.is_best for m in rows)


def test_answered_demands_leave_the_inbox_whatever_the_answer(market):
    make_product(market)
    taken, passed, other_answered, open_one = (make_demand(market) for _ in range(4))
    make_response(taken, market.branch)
    make_response(passed, market.branch, kind=ResponseKind.PASS)
    make_response(other_answered, market.other_bank)
    refresh(taken, passed, other_answered, open_one)
    assert set(inbox_ids(market.branch_user)) == {other_answered.pk, open_one.pk}


def test_a_bank_never_sees_a_demand_not_shown_to_it(market):
    make_product(market)
    make_product(market, provider=market.other_bank)
    to_other = make_demand(market, chosen=[market.other_bank])
    to_head = make_demand(market, chosen=[market.head])
    to_branch = make_demand(market, chosen=[market.branch])
    to_all = make_demand(market)
    refresh(to_other, to_head, to_branch, to_all)
    assert set(inbox_ids(market.branch_user)) == {to_head.pk, to_branch.pk, to_all.pk}
    assert set(inbox_ids(market.other_bank_user)) == {to_other.pk, to_all.pk}


def test_closed_demands_and_near_misses_are_not_in_the_inbox(market):
    product = make_product(market)
    withdrawn = make_demand(market)
    near = make_demand(market, term_months=60)
    engaged = make_demand(market, status=DemandStatus.UNDER_REVIEW)
    refresh(withdrawn, near, engaged)
    type(withdrawn).objects.filter(pk=withdrawn.pk).update(status=DemandStatus.WITHDRAWN)  # matches not yet removed
    assert inbox_ids(market.branch_user) == [engaged.pk]
    assert inbox_ids(market.branch_user, product=product.pk) == [engaged.pk]


def test_products_no_longer_available_drop_out_until_rematched(market):
    product = make_product(market)
    demand = make_demand(market)
    refresh(demand)
    type(product).objects.filter(pk=product.pk).update(valid_until=timezone.localdate() - datetime.timedelta(days=1))
    assert inbox_ids(market.branch_user) == []


def test_overdue_flag_and_filters(market):
    make_product(market)
    late = make_demand(market, respond_by=timezone.localdate() - datetime.timedelta(days=1))
    today = make_demand(market, enterprise=market.software, respond_by=timezone.localdate())
    refresh(late, today)
    rows = {m.demand_id: m for m in selectors.institution_inbox(actor=market.branch_user)}
    assert rows[late.pk].overdue is True
    assert rows[today.pk].overdue is False
    assert inbox_ids(market.branch_user, overdue="true") == [late.pk]
    assert inbox_ids(market.branch_user, overdue="false") == [today.pk]
    assert inbox_ids(market.branch_user, fast_track=False) == [today.pk]


def test_the_inbox_of_a_guarantor_lists_its_guarantee_products_fits(market):
    make_product(market, provider=market.guarantor, kind="guarantee", fixed_rate=None, fee_rate=Decimal("0.01"))
    demand = make_demand(market)
    refresh(demand)
    assert inbox_ids(market.guarantor_user) == [demand.pk]
    assert inbox_ids(market.branch_user) == []


def test_the_inbox_is_for_banks_and_guarantors_only(market):
    for user in (market.firm_user, market.district_user, market.insurer_user):
        with pytest.raises(PermissionDenied):
            selectors.institution_inbox(actor=user)
    assert list(selectors.institution_inbox(actor=market.new_user("head"))) == []  # a bank without products


@pytest.mark.parametrize("filters", [{"fast_track": "perhaps"}, {"overdue": "2"}, {"product": "abc"}, {"size": "x"}])
def test_bad_inbox_filters(market, filters):
    with pytest.raises(ValidationFailed):
        selectors.institution_inbox(actor=market.branch_user, filters=filters)


def test_inbox_products_are_the_institutions_available_products(market):
    own = make_product(market)
    make_product(market, status="draft")
    make_product(market, provider=market.other_bank)
    assert list(selectors.inbox_products(actor=market.branch_user)) == [own]
