"""The overview's figures on the hand-built scenario (test_overview_setup.py), per viewpoint and filter, and its
input checks."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from finbridge.accounts.choices import Role
from finbridge.core.errors import PermissionDenied, ValidationFailed
from finbridge.supplychain.selectors.overview import (
    AUTHORITY,
    DEBTOR,
    DIRECT_TIER,
    FUNDER,
    Figures,
    compute_overview,
    overview_viewpoints,
    supplychain_overview,
)
from finbridge.supplychain.tests.test_overview_setup import EXPECTED, build_scenario

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def scenario():
    return build_scenario()


def _overview(scenario, who, **filters):
    period = scenario.period
    return supplychain_overview(
        actor=scenario.chain.user(who), start=period.start.isoformat(), end=period.end.isoformat(), **filters
    )


def _values(figures: Figures, names) -> dict:
    return {name: getattr(figures, name) for name in names}


def _by_org(rows):
    return {row.organization.pk: row.figures for row in rows}


def test_authority_totals_match_the_hand_computed_figures(scenario):
    overview = _overview(scenario, "district")
    expected = EXPECTED["authority"]
    assert overview.viewpoint.kind == AUTHORITY
    assert _values(overview.totals, expected["totals"]) == expected["totals"]
    assert overview.totals.average_days_early == expected["average_days_early"]


def test_authority_by_debtor(scenario):
    chain = scenario.chain
    rows = _by_org(_overview(scenario, "district").by_debtor)
    assert set(rows) == {chain.core.pk, chain.core2.pk}
    core, core2 = rows[chain.core.pk], rows[chain.core2.pk]
    assert (core.confirmed_count, core.confirmed_amount) == (3, D("340000.00"))  # R1 R2 R6
    assert (core2.confirmed_count, core2.confirmed_amount) == (2, D("120000.00"))  # R3 R5
    assert core.requested_amount == D("140000.00") and core2.requested_amount == D("100000.00")
    assert (core.financed_amount, core.advanced_amount) == (D("140000.00"), D("116000.00"))
    assert (core2.financed_amount, core2.advanced_amount) == (D("30000.00"), D("27000.00"))
    assert (core.settled_amount, core.average_days_early) == (D("100000.00"), D("10.0"))
    assert (core2.settled_amount, core2.average_days_early) == (D("50000.00"), D("5.0"))
    assert (core.overdue_count, core.overdue_amount) == (2, D("240000.00"))  # R2 R6
    assert core2.overdue_amount == D("0.00")


def test_authority_by_funder(scenario):
    chain = scenario.chain
    rows = _by_org(_overview(scenario, "district").by_funder)
    assert set(rows) == {chain.bank_a.pk, chain.bank_a_branch.pk, chain.bank_b.pk}
    bank_a, branch, bank_b = rows[chain.bank_a.pk], rows[chain.bank_a_branch.pk], rows[chain.bank_b.pk]
    assert (bank_a.requested_count, bank_a.requested_amount) == (2, D("170000.00"))  # R1, R5
    assert (bank_b.requested_count, bank_b.requested_amount) == (2, D("100000.00"))  # V3, R5
    assert branch.requested_amount == D("40000.00")
    assert (bank_a.financed_amount, bank_b.financed_amount, branch.financed_amount) == (
        D("100000.00"),
        D("30000.00"),
        D("40000.00"),
    )
    assert (bank_a.settled_amount, bank_a.average_days_early) == (D("100000.00"), D("10.0"))
    assert (bank_b.settled_amount, bank_b.average_days_early) == (D("30000.00"), D("5.0"))
    assert branch.settled_amount == D("0.00") and branch.average_days_early is None
    assert branch.overdue_amount == D("40000.00") and bank_a.overdue_amount == D("0.00")


def test_authority_by_tier_and_month(scenario):
    overview = _overview(scenario, "district")
    tiers = {row.tier: row.figures for row in overview.by_tier}
    assert set(tiers) == {DIRECT_TIER, 1, 2}
    assert (tiers[DIRECT_TIER].financed_amount, tiers[DIRECT_TIER].settled_amount) == (D("140000.00"), D("100000.00"))
    assert (tiers[1].voucher_count, tiers[1].voucher_amount) == (1, D("50000.00"))  # V1 (V2 kept: not new volume)
    assert (tiers[1].settled_amount, tiers[1].average_days_early) == (D("20000.00"), D("5.0"))
    assert (tiers[2].voucher_amount, tiers[2].financed_amount, tiers[2].settled_amount) == (
        D("30000.00"),
        D("30000.00"),
        D("30000.00"),
    )
    months = {row.month: row.figures for row in overview.by_month}
    assert list(months) == sorted(months) and min(months) == scenario.m3.replace(day=1)
    assert max(months) == timezone.localdate().replace(day=1)
    m3, m2, m1 = (months[m.replace(day=1)] for m in (scenario.m3, scenario.m2, scenario.m1))
    assert (m3.confirmed_amount, m3.requested_amount, m3.financed_amount) == (D("100000.00"),) * 3
    assert (m2.confirmed_amount, m2.financed_amount, m2.settled_amount) == (D("250000.00"), 0, 0)
    assert (m1.confirmed_amount, m1.requested_amount, m1.financed_amount) == (
        D("110000.00"),
        D("140000.00"),
        D("70000.00"),
    )
    assert (m1.settled_amount, m1.average_days_early) == (D("150000.00"), D("8.3"))
    assert sum((row.figures.confirmed_amount for row in overview.by_month), D(0)) == overview.totals.confirmed_amount


def test_a_bank_sees_only_what_it_was_asked_and_financed(scenario):
    chain = scenario.chain
    overview = _overview(scenario, "bank_a")
    assert overview.viewpoint.kind == FUNDER
    assert overview.viewpoint.funder_ids == {chain.bank_a.pk, chain.bank_a_branch.pk}  # a head office: branches too
    totals = overview.totals
    assert overview.funder_side and (totals.confirmed_count, totals.confirmed_amount) == (0, 0)  # not its to see
    assert (totals.requested_count, totals.requested_amount) == (3, D("210000.00"))  # R1 R5 R6
    assert (totals.financed_amount, totals.advanced_amount) == (D("140000.00"), D("116000.00"))
    assert (totals.settled_amount, totals.average_days_early) == (D("100000.00"), D("10.0"))
    assert (totals.voucher_amount, totals.overdue_amount) == (D("0.00"), D("40000.00"))
    assert set(_by_org(overview.by_funder)) == {chain.bank_a.pk, chain.bank_a_branch.pk}  # never bank_b
    assert set(_by_org(overview.by_debtor)) == {chain.core.pk, chain.core2.pk}
    assert _by_org(overview.by_debtor)[chain.core2.pk].financed_amount == 0  # only asked about R5


def test_another_bank_sees_none_of_bank_a(scenario):
    chain = scenario.chain
    overview = _overview(scenario, "bank_c")
    totals = overview.totals
    assert (totals.confirmed_amount, totals.requested_amount, totals.financed_amount) == (0, 0, 0)
    assert (totals.settled_amount, totals.overdue_amount) == (0, 0)
    assert overview.by_funder == [] and overview.by_debtor == []
    # Asking for bank_a's figures gives nothing either.
    assert _overview(scenario, "bank_c", funder=chain.bank_a.pk).totals.financed_amount == 0


def test_a_branch_sees_only_itself(scenario):
    chain = scenario.chain
    overview = _overview(scenario, "bank_a_branch")
    assert overview.viewpoint.funder_ids == {chain.bank_a_branch.pk}
    assert overview.totals.financed_amount == D("40000.00")
    assert set(_by_org(overview.by_funder)) == {chain.bank_a_branch.pk}


def test_a_core_enterprise_sees_what_it_owes(scenario):
    chain = scenario.chain
    overview = _overview(scenario, "core")
    assert overview.viewpoint.kind == DEBTOR
    totals = overview.totals
    assert (totals.confirmed_count, totals.confirmed_amount) == (3, D("340000.00"))
    assert (totals.requested_amount, totals.financed_amount, totals.settled_amount) == (
        D("140000.00"),
        D("140000.00"),
        D("100000.00"),
    )
    assert (totals.overdue_count, totals.overdue_amount) == (2, D("240000.00"))
    assert set(_by_org(overview.by_debtor)) == {chain.core.pk}
    assert set(_by_org(overview.by_funder)) == {chain.bank_a.pk, chain.bank_a_branch.pk}
    assert overview.by_tier and all(row.figures.voucher_amount == 0 for row in overview.by_tier)


def test_filters(scenario):
    chain = scenario.chain
    core2 = _overview(scenario, "district", debtor=chain.core2.pk).totals
    assert (core2.confirmed_amount, core2.requested_amount, core2.financed_amount) == (
        D("120000.00"),
        D("100000.00"),
        D("30000.00"),
    )
    assert (core2.voucher_amount, core2.overdue_amount) == (D("80000.00"), 0)
    bank_b = _overview(scenario, "district", funder=chain.bank_b.pk)
    totals = bank_b.totals
    assert bank_b.funder_side and (totals.confirmed_amount, totals.voucher_amount) == (0, 0)
    assert totals.requested_amount == D("100000.00")  # V3 and R5
    assert (totals.financed_amount, totals.settled_amount) == (D("30000.00"),) * 2
    assert {row.tier: row.figures.financed_amount for row in bank_b.by_tier} == {2: D("30000.00")}
    assert set(_by_org(bank_b.by_funder)) == {chain.bank_b.pk}
    both = _overview(scenario, "district", debtor=chain.core.pk, funder=chain.bank_b.pk).totals
    assert (both.confirmed_amount, both.financed_amount) == (0, 0)
    # A core enterprise asking for another debtor gets nothing.
    assert _overview(scenario, "core", debtor=chain.core2.pk).totals.confirmed_amount == 0


def test_a_short_period(scenario):
    chain = scenario.chain
    m2 = scenario.m2
    overview = supplychain_overview(actor=chain.user("district"), start=m2.replace(day=1), end=m2.replace(day=28))
    assert overview.totals.confirmed_amount == D("250000.00")
    assert overview.totals.financed_amount == 0
    assert overview.totals.overdue_amount == D("240000.00")  # overdue is as of today, whatever the period
    assert [row.month for row in overview.by_month] == [m2.replace(day=1)]


def test_default_period_is_the_last_twelve_months(scenario):
    overview = supplychain_overview(actor=scenario.chain.user("district"))
    assert overview.period.end == timezone.localdate()
    assert overview.period.start.day == 1 and len(overview.by_month) == 12


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"start": "2026-13-01"}, "start", "invalid_period"),
        ({"end": "yesterday"}, "end", "invalid_period"),
        ({"start": "2025-05-01", "end": "2025-04-01"}, "end", "invalid_period"),
        ({"end": (timezone.localdate() + datetime.timedelta(days=1)).isoformat()}, "end", "invalid_period"),
        ({"debtor": "abc"}, "debtor", "invalid_filter"),
        ({"debtor": "-3"}, "debtor", "invalid_filter"),
        ({"debtor": "999999"}, "debtor", "invalid_filter"),
        ({"debtor": "bank_a"}, "debtor", "invalid_filter"),
        ({"funder": "core"}, "funder", "invalid_filter"),
        ({"funder": "1.5"}, "funder", "invalid_filter"),
        ({"organization": "core"}, "organization", "invalid_organization"),
        ({"organization": "x"}, "organization", "invalid_organization"),
    ],
)
def test_bad_input(scenario, params, field, code):
    chain = scenario.chain
    names = {"bank_a", "core"}
    params = {key: (str(chain.org(value).pk) if value in names else value) for key, value in params.items()}
    with pytest.raises(ValidationFailed) as caught:
        supplychain_overview(actor=chain.user("district"), **params)
    assert caught.value.code == code
    assert field in caught.value.fields


@pytest.mark.parametrize("who", ["supplier", "tier2", "ia", "guarantor", "outsider"])
def test_who_may_not_see_the_overview(scenario, who):
    with pytest.raises(PermissionDenied):
        supplychain_overview(actor=scenario.chain.user(who))


def test_viewer_roles_may_see_it(scenario):
    chain = scenario.chain
    viewer = chain.member("core", Role.VIEWER)
    assert supplychain_overview(actor=viewer).totals.confirmed_amount >= 0


def test_a_person_in_two_organisations_chooses(scenario):
    from finbridge.accounts.tests.factories import MembershipFactory

    chain = scenario.chain
    person = chain.user("core")
    MembershipFactory(user=person, organization=chain.bank_b, role=Role.STAFF)
    person = type(person).objects.get(pk=person.pk)
    kinds = [viewpoint.kind for viewpoint in overview_viewpoints(actor=person)]
    assert kinds == [DEBTOR, FUNDER]
    as_bank = supplychain_overview(actor=person, organization=chain.bank_b.pk, start=scenario.period.start)
    assert as_bank.viewpoint.organization == chain.bank_b
    assert as_bank.totals.financed_amount == D("30000.00")


def test_an_empty_platform(db):
    from finbridge.supplychain.tests.setup import build_chain

    chain = build_chain()
    viewpoint = overview_viewpoints(actor=chain.user("district"))[0]
    from finbridge.analytics.selectors import default_period

    overview = compute_overview(period=default_period(), viewpoint=viewpoint)
    assert overview.totals == Figures()
    assert overview.totals.average_days_early is None
    assert overview.by_debtor == [] and overview.by_tier == [] and len(overview.by_month) == 12


def test_beyond_the_row_limit_the_rest_is_added_up(scenario):
    chain = scenario.chain
    period = scenario.period
    overview = supplychain_overview(actor=chain.user("district"), start=period.start, end=period.end, rows=1)
    assert [row.organization for row in overview.by_debtor] == [chain.core]
    assert overview.other_debtors_count == 1 and overview.other_debtors.confirmed_amount == D("120000.00")
    assert [row.organization for row in overview.by_funder] == [chain.bank_a]  # the most financed
    assert overview.other_funders_count == 2 and overview.other_funders.financed_amount == D("70000.00")
    assert overview.other_funders.average_days_early == D("5.0")  # bank_b's 30,000 paid 5 days early
