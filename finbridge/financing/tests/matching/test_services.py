"""Computing and storing matches (services/matching.py), the tasks, and the notifications they send."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from finbridge.accounts.choices import OrgType
from finbridge.accounts.tests.factories import OrganizationFactory
from finbridge.audit.models import AuditEvent
from finbridge.core.errors import Conflict, NotFound, PermissionDenied
from finbridge.financing import notices, tasks_matching
from finbridge.financing.choices import DemandStatus, ProductStatus
from finbridge.financing.models import DemandMatch, Loan
from finbridge.financing.services import matching as services
from finbridge.financing.tests.matching.conftest import make_demand, make_lpr, make_product
from finbridge.financing.tests.setup import make_response
from finbridge.notifications.models import Notification


def matches_of(demand):
    return {m.product_id: m for m in DemandMatch.objects.filter(demand=demand)}


def notices_of(kind, organization=None):
    qs = Notification.objects.filter(kind=kind)
    return qs.filter(organization=organization) if organization is not None else qs


# ---- demand side -----------------------------------------------------------------------------------------------


def test_a_demand_gets_its_fits_and_near_misses_and_not_the_rest(market):
    fit = make_product(market)
    one = make_product(market, term_max_months=6)
    two = make_product(market, term_max_months=6, min_years_in_operation=30)
    three = make_product(market, term_max_months=6, min_years_in_operation=30, eligible_industries=["I65"])
    demand = make_demand(market)

    assert services.demand_match_refresh(demand_id=demand.pk) == 3

    stored = matches_of(demand)
    assert set(stored) == {fit.pk, one.pk, two.pk}
    assert stored[fit.pk].fits and stored[fit.pk].failures == [] and stored[fit.pk].failed_count == 0
    assert not stored[one.pk].fits and [f["code"] for f in stored[one.pk].failures] == ["term_too_long"]
    assert stored[two.pk].failed_count == 2
    assert three.pk not in stored
    assert stored[fit.pk].fast_track  # the factory holds the high-tech label
    assert stored[fit.pk].provider_id == market.branch.pk
    assert stored[fit.pk].demand_published_at == demand.published_at


def test_unavailable_products_are_not_matched(market):
    today = timezone.localdate()
    make_product(market, status=ProductStatus.DRAFT)
    make_product(market, status=ProductStatus.WITHDRAWN)
    make_product(market, valid_until=today - datetime.timedelta(days=1))
    make_product(market, valid_from=today + datetime.timedelta(days=1))
    ok = make_product(market, valid_from=today, valid_until=today)
    demand = make_demand(market)
    services.demand_match_refresh(demand_id=demand.pk)
    assert set(matches_of(demand)) == {ok.pk}


@pytest.mark.parametrize(
    "status",
    [DemandStatus.DRAFT, DemandStatus.WITHDRAWN, DemandStatus.EXPIRED, DemandStatus.DISBURSED, DemandStatus.DECLINED],
)
def test_a_closed_demand_loses_its_matches(market, status):
    make_product(market)
    demand = make_demand(market)
    services.demand_match_refresh(demand_id=demand.pk)
    assert DemandMatch.objects.filter(demand=demand).count() == 1
    type(demand).objects.filter(pk=demand.pk).update(status=status)
    assert services.demand_match_refresh(demand_id=demand.pk) == 0
    assert not DemandMatch.objects.filter(demand=demand).exists()


@pytest.mark.parametrize("status", [DemandStatus.TAKEN_UP, DemandStatus.UNDER_REVIEW, DemandStatus.APPROVED])
def test_an_engaged_demand_is_still_matched(market, status):
    make_product(market)
    demand = make_demand(market, status=status)
    assert services.demand_match_refresh(demand_id=demand.pk) == 1


def test_an_unknown_demand_is_a_no_op(market):
    assert services.demand_match_refresh(demand_id=999_999) == 0


def test_an_edit_that_breaks_a_fit_turns_it_into_a_near_miss_and_removes_stale_rows(market):
    product = make_product(market, amount_max=Decimal("3000000.00"))
    far = make_product(market, amount_max=Decimal("3000000.00"), term_max_months=6, min_years_in_operation=30)
    demand = make_demand(market)
    services.demand_match_refresh(demand_id=demand.pk)
    assert matches_of(demand)[product.pk].fits and far.pk in matches_of(demand)
    type(demand).objects.filter(pk=demand.pk).update(amount=Decimal("5000000.00"))
    services.demand_match_refresh(demand_id=demand.pk)
    stored = matches_of(demand)
    assert not stored[product.pk].fits
    assert [f["code"] for f in stored[product.pk].failures] == ["amount_above_max"]
    assert far.pk not in stored  # now fails three criteria


def test_near_misses_are_capped_per_demand_fewest_failures_first(market):
    fits = [make_product(market) for _ in range(2)]
    ones = [
        make_product(market, term_max_months=6, amount_max=Decimal(3_000_000 + n * 1_000_000))
        for n in range(services.MAX_NEAR_MISSES)
    ]
    twos = [make_product(market, term_max_months=6, min_years_in_operation=30) for _ in range(3)]
    demand = make_demand(market)
    assert services.demand_match_refresh(demand_id=demand.pk) == 2 + services.MAX_NEAR_MISSES
    stored = matches_of(demand)
    assert {p.pk for p in fits + ones} == set(stored)
    assert not {p.pk for p in twos} & set(stored)


def test_lpr_products_use_the_lpr_in_force_plus_the_spread(market):
    make_lpr("0.031000")
    product = make_product(market, rate_type="lpr_spread", fixed_rate=None, lpr_spread=Decimal("0.020000"))
    demand = make_demand(market, max_annual_rate=Decimal("0.050000"))
    services.demand_match_refresh(demand_id=demand.pk)
    match = matches_of(demand)[product.pk]
    assert not match.fits
    assert match.failures == [{"code": "rate_above_max", "params": {"rate": "0.051000", "max": "0.050000"}}]
    type(demand).objects.filter(pk=demand.pk).update(max_annual_rate=Decimal("0.051000"))
    services.demand_match_refresh(demand_id=demand.pk)
    assert matches_of(demand)[product.pk].fits


def test_without_an_lpr_a_floating_product_is_a_near_miss_for_a_firm_with_a_limit(market):
    from finbridge.financing.models import LprRate

    LprRate.objects.all().delete()
    product = make_product(market, rate_type="lpr_spread", fixed_rate=None, lpr_spread=Decimal("0.010000"))
    demand = make_demand(market)
    services.demand_match_refresh(demand_id=demand.pk)
    assert [f["code"] for f in matches_of(demand)[product.pk].failures] == ["rate_unknown"]


def test_the_best_fitting_product_of_each_provider_is_flagged(market):
    low = make_product(market, amount_min=Decimal("100000.00"), amount_max=Decimal("50000000.00"))
    high = make_product(market, amount_min=Decimal("1500000.00"), amount_max=Decimal("2500000.00"))
    other = make_product(market, provider=market.other_bank)
    near = make_product(market, term_max_months=6)
    demand = make_demand(market)
    services.demand_match_refresh(demand_id=demand.pk)
    stored = matches_of(demand)
    assert stored[high.pk].score > stored[low.pk].score
    assert stored[high.pk].is_best and not stored[low.pk].is_best
    assert stored[other.pk].is_best
    assert not stored[near.pk].is_best


def test_first_time_borrowers_score_higher_until_they_have_a_loan(market):
    friendly = make_product(market, suits_first_time_borrowers=True)
    plain = make_product(market)
    demand = make_demand(market)
    services.demand_match_refresh(demand_id=demand.pk)
    assert matches_of(demand)[friendly.pk].score > matches_of(demand)[plain.pk].score
    Loan.objects.create(
        lender=market.branch,
        bank=market.head,
        borrower=market.factory,
        reference="L-1",
        amount=Decimal("100000.00"),
        disbursed_on=datetime.date(2024, 1, 1),
        maturity_on=datetime.date(2025, 1, 1),
        term_months=12,
        annual_rate=Decimal("0.04"),
        outstanding_balance=Decimal("0"),
    )
    services.demand_match_refresh(demand_id=demand.pk)
    assert matches_of(demand)[friendly.pk].score == matches_of(demand)[plain.pk].score


def test_a_demand_refresh_runs_a_bounded_number_of_queries(market):
    for _ in range(30):
        make_product(market, eligible_subdistricts=[market.s1], eligible_clusters=[market.cluster])
    demand = make_demand(market)
    services.demand_match_refresh(demand_id=demand.pk)
    with CaptureQueriesContext(connection) as queries:
        services.demand_match_refresh(demand_id=demand.pk)
    assert len(queries) < 25


# ---- product side ----------------------------------------------------------------------------------------------


def test_a_product_is_matched_against_every_open_demand(market):
    open_demands = [make_demand(market), make_demand(market, status=DemandStatus.TAKEN_UP)]
    near = make_demand(market, term_months=48)
    make_demand(market, status=DemandStatus.DRAFT)
    make_demand(market, status=DemandStatus.WITHDRAWN)
    product = make_product(market)
    assert services.product_match_refresh(product_id=product.pk) == 3
    stored = {m.demand_id: m for m in DemandMatch.objects.filter(product=product)}
    assert set(stored) == {d.pk for d in open_demands} | {near.pk}
    assert all(stored[d.pk].fits and stored[d.pk].is_best for d in open_demands)
    assert not stored[near.pk].fits


def test_withdrawing_a_product_removes_its_matches_and_passes_best_to_the_next(market):
    best = make_product(market, amount_min=Decimal("1500000.00"), amount_max=Decimal("2500000.00"))
    second = make_product(market)
    demand = make_demand(market)
    services.demand_match_refresh(demand_id=demand.pk)
    assert matches_of(demand)[best.pk].is_best and not matches_of(demand)[second.pk].is_best
    type(best).objects.filter(pk=best.pk).update(status=ProductStatus.WITHDRAWN)

    assert services.product_match_refresh(product_id=best.pk) == 0

    stored = matches_of(demand)
    assert best.pk not in stored
    assert stored[second.pk].is_best


def test_a_product_edit_updates_its_matches(market):
    product = make_product(market)
    demand = make_demand(market)
    services.product_match_refresh(product_id=product.pk)
    assert matches_of(demand)[product.pk].fits
    type(product).objects.filter(pk=product.pk).update(eligible_industries=["I65"], min_years_in_operation=20)
    services.product_match_refresh(product_id=product.pk)
    match = matches_of(demand)[product.pk]
    assert not match.fits and match.failed_count == 2
    type(product).objects.filter(pk=product.pk).update(term_max_months=6)
    services.product_match_refresh(product_id=product.pk)
    assert product.pk not in matches_of(demand)


def test_the_product_side_respects_the_near_miss_cap(market):
    ones = [make_product(market, term_max_months=6) for _ in range(services.MAX_NEAR_MISSES)]
    demand = make_demand(market)
    services.demand_match_refresh(demand_id=demand.pk)
    worse = make_product(market, term_max_months=6, min_years_in_operation=30)
    better = make_product(market, amount_max=Decimal("2000000.00"), amount_min=Decimal("2000000.00"), term_max_months=6)
    services.product_match_refresh(product_id=worse.pk)
    services.product_match_refresh(product_id=better.pk)
    stored = matches_of(demand)
    assert len([m for m in stored.values() if not m.fits]) == services.MAX_NEAR_MISSES
    assert worse.pk not in stored and better.pk in stored
    assert len(ones) == services.MAX_NEAR_MISSES


def test_an_unknown_product_is_a_no_op(market):
    assert services.product_match_refresh(product_id=999_999) == 0


def test_rebuild_recomputes_many_demands(market):
    product = make_product(market)
    demands = [make_demand(market) for _ in range(3)]
    closed = make_demand(market, status=DemandStatus.WITHDRAWN)
    assert services.matches_rebuild() == 3
    assert DemandMatch.objects.filter(product=product).count() == 3
    assert not DemandMatch.objects.filter(demand=closed).exists()
    assert services.matches_rebuild(demand_ids=[demands[0].pk]) == 1


# ---- notifications ---------------------------------------------------------------------------------------------


def test_a_provider_is_told_once_per_demand(market):
    branch_user = market.branch_user
    make_product(market)
    make_product(market, name="第二产品")
    make_product(market, provider=market.other_bank)
    other_user = market.other_bank_user
    demand = make_demand(market)

    services.demand_match_refresh(demand_id=demand.pk)
    services.demand_match_refresh(demand_id=demand.pk)

    told = notices_of(notices.DEMAND_MATCHED)
    assert told.filter(recipient=branch_user).count() == 1
    assert told.filter(recipient=other_user).count() == 1
    notice = told.get(recipient=branch_user)
    assert notice.params["enterprise"] == market.factory.name
    assert notice.params["amount"] == "¥2,000,000.00"
    assert notice.link == f"/financing/matching/demands/{demand.pk}/"


def test_a_provider_the_demand_is_not_shown_to_is_not_told(market):
    branch_user, other_user = market.branch_user, market.other_bank_user
    make_product(market)
    make_product(market, provider=market.other_bank)
    demand = make_demand(market, chosen=[market.head])  # a head office covers its branches
    services.demand_match_refresh(demand_id=demand.pk)
    assert notices_of(notices.DEMAND_MATCHED).filter(recipient=branch_user).count() == 1
    assert not notices_of(notices.DEMAND_MATCHED).filter(recipient=other_user).exists()


def test_a_near_miss_tells_nobody(market):
    user = market.branch_user
    make_product(market, term_max_months=6)
    services.demand_match_refresh(demand_id=make_demand(market).pk)
    assert not notices_of(notices.DEMAND_MATCHED).filter(recipient=user).exists()


def test_a_firm_is_told_once_per_product_when_it_newly_fits(market):
    firm_user = market.firm_user
    first, second = make_demand(market), make_demand(market, amount=Decimal("3000000.00"))
    product = make_product(market)

    services.product_match_refresh(product_id=product.pk)
    services.product_match_refresh(product_id=product.pk)

    told = notices_of(notices.PRODUCT_PUBLISHED_FOR_YOU).filter(recipient=firm_user)
    assert told.count() == 1
    assert told.get().params == {"provider": market.branch.name, "product": product.name}
    assert told.get().link in {f"/financing/matching/demands/{d.pk}/" for d in (first, second)}
    assert DemandMatch.objects.filter(product=product, firm_notified_at__isnull=False).count() == 1


def test_a_firm_already_matched_by_its_demand_is_not_told_again_on_product_refresh(market):
    firm_user = market.firm_user
    product = make_product(market)
    demand = make_demand(market)
    services.demand_match_refresh(demand_id=demand.pk)
    services.product_match_refresh(product_id=product.pk)
    assert not notices_of(notices.PRODUCT_PUBLISHED_FOR_YOU).filter(recipient=firm_user).exists()


def test_a_firm_without_a_platform_account_is_not_told(market):
    make_demand(market, enterprise=market.shop)
    product = make_product(market)
    services.product_match_refresh(product_id=product.pk)
    assert not notices_of(notices.PRODUCT_PUBLISHED_FOR_YOU).exists()


# ---- tasks ---------------------------------------------------------------------------------------------------


def test_the_tasks_run_the_services(market, django_capture_on_commit_callbacks):
    product = make_product(market)
    demand = make_demand(market)
    tasks_matching.queue_demand_matching(demand.pk)
    assert DemandMatch.objects.filter(demand=demand, product=product).exists()
    DemandMatch.objects.all().delete()
    tasks_matching.queue_product_matching(product.pk)
    assert DemandMatch.objects.filter(demand=demand, product=product).exists()


# ---- on request --------------------------------------------------------------------------------------------------


def test_the_firm_refreshes_its_demands_matches(market):
    make_product(market)
    demand = make_demand(market)
    assert services.matches_refresh_on_request(actor=market.firm_user, demand=demand) == 1
    event = AuditEvent.objects.get(action="demand_matches_refresh")
    assert event.object_id == str(demand.pk) and event.after == {"matches": 1}


def test_government_in_remit_refreshes(market):
    make_product(market)
    demand = make_demand(market)
    assert services.matches_refresh_on_request(actor=market.so_s1_user, demand=demand) == 1
    assert services.matches_refresh_on_request(actor=market.district_user, demand=demand) == 1


@pytest.mark.parametrize(
    ("who", "error"), [("branch", PermissionDenied), ("other_msme", NotFound), ("so_s2", NotFound)]
)
def test_others_may_not_refresh_and_nothing_changes(market, who, error):
    make_product(market)
    demand = make_demand(market)
    with pytest.raises(error):
        services.matches_refresh_on_request(actor=market.member(who), demand=demand)
    assert not DemandMatch.objects.exists()
    assert not AuditEvent.objects.filter(action="demand_matches_refresh").exists()


def test_a_viewer_of_the_firm_may_not_refresh(market):
    demand = make_demand(market)
    with pytest.raises(PermissionDenied):
        services.matches_refresh_on_request(actor=market.member("msme", "viewer"), demand=demand)


def test_refreshing_a_closed_demand_is_a_conflict(market):
    make_product(market)
    demand = make_demand(market, status=DemandStatus.WITHDRAWN)
    with pytest.raises(Conflict):
        services.matches_refresh_on_request(actor=market.firm_user, demand=demand)
    assert not DemandMatch.objects.exists()


def test_an_answered_demand_still_keeps_its_matches(market):
    make_product(market)
    demand = make_demand(market)
    make_response(demand, market.branch)
    assert services.demand_match_refresh(demand_id=demand.pk) == 1


def test_an_inactive_provider_is_not_told(market):
    idle = OrganizationFactory(org_type=OrgType.BANK, is_active=False)
    make_product(market, provider=idle)
    services.demand_match_refresh(demand_id=make_demand(market).pk)
    assert not notices_of(notices.DEMAND_MATCHED).exists()
