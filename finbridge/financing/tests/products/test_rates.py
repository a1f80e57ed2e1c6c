"""The LPR history, the rate in force on a date, products' effective rates and rates in words."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finbridge.financing.choices import LprTerm, RateType
from finbridge.financing.models import LprRate, Product
from finbridge.financing.rates import (
    effective_rates,
    lpr_in_force,
    lpr_rate_on,
    lpr_schedule,
    percent,
    product_effective_rate,
    rate_description,
    rate_from_schedule,
)
from finbridge.financing.tests.products.conftest import LPR_1Y, LPR_5Y, expected_lpr, make_product

pytestmark = pytest.mark.django_db
D = datetime.date


def test_the_data_migration_ships_exactly_the_known_history(lpr_history):
    from importlib import import_module

    migration = import_module("finbridge.financing.migrations.0002_lpr_history")
    assert migration.ONE_YEAR == LPR_1Y
    assert migration.FIVE_YEAR == LPR_5Y
    stored = {(r.term, r.effective_on.isoformat(), r.rate) for r in LprRate.objects.all()}
    expected = {("1y", d, Decimal(r)) for d, r in LPR_1Y} | {("5y", d, Decimal(r)) for d, r in LPR_5Y}
    assert stored == expected


def test_the_data_migration_is_reversible(lpr_history):
    """Run the migration's own functions both ways (inside the test's transaction: no schema change)."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("finbridge.financing.migrations.0002_lpr_history")
    correction = LprRate.objects.create(term=LprTerm.ONE_YEAR, effective_on=D(2025, 6, 20), rate=Decimal("0.0300"))
    migration.unload_history(apps, None)
    assert list(LprRate.objects.all()) == [correction]  # a row the authority entered is kept
    migration.load_history(apps, None)
    migration.load_history(apps, None)  # twice: nothing doubles
    assert LprRate.objects.count() == len(LPR_1Y) + len(LPR_5Y) + 1


@pytest.mark.parametrize(
    ("day", "one_year", "five_year"),
    [
        (D(2019, 8, 19), None, None),  # before the reform
        (D(2019, 8, 20), "0.0425", "0.0485"),  # the first publication, in force that very day
        (D(2019, 9, 19), "0.0425", "0.0485"),
        (D(2019, 9, 20), "0.0420", "0.0485"),  # only the one-year rate changed
        (D(2021, 12, 19), "0.0385", "0.0465"),  # twenty months without a change
        (D(2022, 5, 20), "0.0370", "0.0445"),  # only the five-year rate changed
        (D(2022, 8, 21), "0.0370", "0.0445"),  # the day before a change (22 August 2022 was a Monday)
        (D(2022, 8, 22), "0.0365", "0.0430"),
        (D(2024, 2, 20), "0.0345", "0.0395"),
        (D(2025, 5, 19), "0.0310", "0.0360"),
        (D(2025, 5, 20), "0.0300", "0.0350"),
        (D(2030, 1, 1), "0.0300", "0.0350"),  # the latest stays in force
    ],
)
def test_lpr_in_force_on_a_date(lpr_history, day, one_year, five_year):
    assert lpr_rate_on(LprTerm.ONE_YEAR, day) == (Decimal(one_year) if one_year else None)
    assert lpr_rate_on(LprTerm.FIVE_YEAR, day) == (Decimal(five_year) if five_year else None)
    row = lpr_in_force(LprTerm.ONE_YEAR, day)
    assert (row.effective_on <= day) if row else one_year is None


def test_schedule_lookup_agrees_with_the_query(lpr_history):
    schedule = lpr_schedule(LprTerm.ONE_YEAR)
    assert [d.isoformat() for d, _ in schedule] == [d for d, _ in LPR_1Y]
    for offset in range(0, 2400, 37):
        day = D(2019, 8, 1) + datetime.timedelta(days=offset)
        assert rate_from_schedule(schedule, day) == lpr_rate_on(LprTerm.ONE_YEAR, day)


def test_a_fixed_rate_is_itself_on_any_date(world):
    product = make_product(world.bank_branch, fixed_rate=Decimal("0.038500"))
    assert product_effective_rate(product, D(2019, 1, 1)) == Decimal("0.038500")
    assert product_effective_rate(product, D(2026, 1, 1)) == Decimal("0.038500")


def test_a_floating_rate_follows_the_one_year_lpr(world):
    product = make_product(
        world.bank_branch, rate_type=RateType.LPR_SPREAD, fixed_rate=None, lpr_spread=Decimal("0.004500")
    )
    assert product_effective_rate(product, D(2019, 8, 19)) is None  # no LPR yet
    assert product_effective_rate(product, D(2019, 8, 20)) == Decimal("0.047000")
    assert product_effective_rate(product, D(2024, 10, 20)) == Decimal("0.038000")
    assert product_effective_rate(product, D(2024, 10, 21)) == Decimal("0.035500")
    assert product_effective_rate(product, D(2026, 11, 1)) == Decimal("0.034500")


def test_a_negative_spread_is_below_the_lpr(world):
    product = make_product(
        world.bank_scitech, rate_type=RateType.LPR_SPREAD, fixed_rate=None, lpr_spread=Decimal("-0.001000")
    )
    assert product_effective_rate(product, D(2025, 6, 1)) == Decimal("0.029000")


def test_a_guarantee_product_has_no_interest_rate(world):
    assert product_effective_rate(make_product(world.guarantor), D(2025, 6, 1)) is None


def test_effective_rates_of_many_products_at_once(world, django_assert_max_num_queries):
    fixed = make_product(world.bank_branch, fixed_rate=Decimal("0.041000"))
    floating = make_product(
        world.bank_branch, rate_type=RateType.LPR_SPREAD, fixed_rate=None, lpr_spread=Decimal("0.002000")
    )
    guarantee = make_product(world.guarantor)
    with django_assert_max_num_queries(1):
        rates = effective_rates([fixed, floating, guarantee], D(2023, 7, 1))
    assert rates == {fixed.pk: Decimal("0.041000"), floating.pk: Decimal("0.037500"), guarantee.pk: None}


def test_rates_in_words(world):
    floating = make_product(
        world.bank_branch, rate_type=RateType.LPR_SPREAD, fixed_rate=None, lpr_spread=Decimal("0.004500")
    )
    below = make_product(
        world.bank_branch, rate_type=RateType.LPR_SPREAD, fixed_rate=None, lpr_spread=Decimal("-0.001000")
    )
    fixed = make_product(world.bank_branch, fixed_rate=Decimal("0.038500"))
    guarantee = make_product(world.guarantor, fee_rate=Decimal("0.008000"))
    day = D(2025, 6, 1)
    with translation.override("en"):
        assert rate_description(floating, day) == "One-year LPR +45 bp (3.00% + 0.45% = 3.45% a year)"
        assert rate_description(below, day) == "One-year LPR −10 bp (3.00% − 0.10% = 2.90% a year)"
        assert rate_description(floating, D(2019, 1, 1)) == "One-year LPR +45 bp (no LPR recorded for the date)"
        assert rate_description(fixed, day) == "Fixed 3.85% a year"
        assert rate_description(guarantee, day) == "Guarantee fee 0.80% of the amount"
        assert percent(Decimal("0.034567")) == "3.4567%"
        assert percent(None) == "—"


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    day=st.dates(min_value=D(2018, 1, 1), max_value=D(2032, 12, 31)),
    spread_bp=st.decimals(min_value=Decimal("-250"), max_value=Decimal("1000"), places=2),
)
def test_property_effective_rate_is_lpr_plus_spread_exactly(world, day, spread_bp):
    spread = spread_bp / Decimal("10000")
    product = Product(
        provider=world.bank_branch, rate_type=RateType.LPR_SPREAD, fixed_rate=None, lpr_spread=spread, kind="mortgage"
    )
    lpr = expected_lpr(LPR_1Y, day)
    rate = product_effective_rate(product, day)
    if lpr is None:
        assert rate is None
    else:
        assert rate == lpr + spread  # exact: a spread of whole hundredths of a basis point needs no rounding
        assert rate.as_tuple().exponent == -6
