"""The Monte Carlo engine (riskpool/stress.py) on plain arrays: degenerate cases, exact capped payouts against the
sharing engine, convergence to the analytical mean, reproducibility and bad parameters."""

from __future__ import annotations

import math
from decimal import Decimal as D

import numpy as np
import pytest

from finbridge.core.errors import ValidationFailed
from finbridge.core.money import quantize_amount
from finbridge.riskpool.presets import PRESETS
from finbridge.riskpool.sharing import CategoryRule, LoanFacts, Loss, RuleSet, compute_payout
from finbridge.riskpool.stress import (
    MAX_SCENARIOS,
    CategoryRisk,
    GroupTerms,
    Portfolio,
    StressParameters,
    group_terms,
    simulate,
    validate_parameters,
)

RISKS = {"direct": CategoryRisk(0.05, 0.6), "guaranteed": CategoryRisk(0.02, 0.5)}
GROUPS = (
    GroupTerms("direct", 0.3, principal_cap_share=0.5, loan_cap=400_000.0),
    GroupTerms("direct", 0.4, principal_cap_share=0.5),
    GroupTerms("guaranteed", 0.2, counts_interest=True),
)


def portfolio(n: int = 2_000, *, seed: int = 1, free_balance: float = 5e6, **changes) -> Portfolio:
    rng = np.random.default_rng(seed)
    balance = np.round(np.exp(rng.uniform(np.log(1e5), np.log(5e6), n)), 2)
    values = {
        "balance": balance,
        "group": rng.integers(0, len(GROUPS), n),
        "bank": rng.integers(0, 3, n),
        "groups": GROUPS,
        "banks": ("A", "B", "C"),
        "free_balance": free_balance,
        "interest": np.round(balance * 0.01, 2),
        **changes,
    }
    return Portfolio(**values)


def params(**changes) -> StressParameters:
    return StressParameters(**{"risks": RISKS, "scenarios": 2_000, "seed": 11, **changes})


def money(text: str) -> float:
    return float(D(text))


# ---- degenerate cases ---------------------------------------------------------------------------------


def test_no_defaults_pay_nothing_and_never_run_out():
    risks = {"direct": CategoryRisk(0.0, 0.6), "guaranteed": CategoryRisk(0.0, 1.0)}
    result = simulate(portfolio(free_balance=0.0), params(risks=risks)).as_dict()
    assert result["defaults_mean"] == 0
    assert result["loss_mean"] == "0.00"
    for variant in [result["base"], *result["sensitivity"]]:
        assert variant["mean"] == variant["max"] == "0.00"
        assert variant["run_out_probability"] == 0
        assert variant["expected_shortfall"] == "0.00"


def test_zero_loss_rate_pays_nothing_although_loans_default():
    risks = {"direct": CategoryRisk(0.5, 0.0), "guaranteed": CategoryRisk(0.5, 0.0)}
    book = portfolio(interest=None)
    result = simulate(book, params(risks=risks, scenarios=200))
    assert result.defaults.mean() == pytest.approx(book.size * 0.5, rel=0.05)
    assert result.base.totals.max() == 0


def test_empty_portfolio():
    empty = portfolio(0)
    result = simulate(empty, params(scenarios=50)).as_dict()
    assert result["loans"] == 0
    assert result["base"]["mean"] == "0.00"
    assert result["base"]["run_out_probability"] == 0


@pytest.mark.parametrize("correlation", [0.0, 0.3])
def test_certain_default_pays_exactly_the_capped_payout_of_the_sharing_engine(correlation):
    """PD 1 and loss rate 1: every loan defaults with its whole balance; the pool pays, in every scenario, the
    sum of what compute_payout grants for each loan, then the per-bank-year and pool-wide caps."""
    rules = PRESETS["pingshan"].rules
    rng = np.random.default_rng(5)
    n = 300
    flag_sets = [(), ("first_time",), ("credit", "tech_enterprise"), ("first_time", "credit", "ip_pledge")]
    combos = [(category, flags) for category in ("direct", "guaranteed") for flags in flag_sets]
    groups = tuple(group_terms(rules, category, flags) for category, flags in combos)
    balance = np.round(rng.uniform(1e4, 2e7, n), 2)
    group = rng.integers(0, len(groups), n)
    bank = rng.integers(0, 4, n)
    caps = {0: 3e6, 2: 1e7}  # banks 1 and 3 uncapped
    book = Portfolio(
        balance=balance,
        group=group,
        bank=bank,
        groups=groups,
        banks=("A", "B", "C", "D"),
        free_balance=1e8,
        bank_year_caps=caps,
        pool_cap=4e8,
    )
    per_bank = [D(0)] * 4
    for i in range(n):
        category, flags = combos[group[i]]
        breakdown = compute_payout(
            rules, LoanFacts(category, frozenset(flags)), Loss(quantize_amount(repr(float(balance[i]))))
        )
        per_bank[bank[i]] += breakdown.payout
    capped = [min(paid, D(repr(caps[b]))) if b in caps else paid for b, paid in enumerate(per_bank)]
    expected = min(sum(capped), D("4e8"))
    risks = {"direct": CategoryRisk(1.0, 1.0), "guaranteed": CategoryRisk(1.0, 1.0)}
    result = simulate(book, params(risks=risks, scenarios=30, correlation=correlation))
    assert np.all(result.defaults == n)
    assert result.base.totals.min() == result.base.totals.max()
    assert abs(D(repr(float(result.base.totals[0]))) - expected) <= D("0.01") * n  # fen rounding per loan at most
    summary = result.as_dict()["base"]
    assert summary["percentiles"]["p50"] == summary["max"] == summary["tail_mean_99"]
    assert summary["run_out_probability"] == (1.0 if expected > D("1e8") else 0.0)


def test_already_non_performing_loans_default_in_every_scenario():
    book = portfolio(500, certain=np.arange(500) < 20)
    risks = {"direct": CategoryRisk(0.0, 0.5), "guaranteed": CategoryRisk(0.0, 0.5)}
    result = simulate(book, params(risks=risks, scenarios=100))
    assert np.all(result.defaults == 20)
    assert np.ptp(result.base.totals) == 0
    assert result.base.totals[0] > 0


# ---- the distribution -----------------------------------------------------------------------------------


@pytest.mark.parametrize("correlation", [0.0, 0.15])
def test_mean_converges_to_the_analytical_expectation(correlation):
    """Without caps across loans the expected payout is Σ PD × payout per loan; the simulated mean lies within
    four standard errors of it (and the number of defaults within four of Σ PD)."""
    book = portfolio(3_000)
    result = simulate(book, params(scenarios=5_000, correlation=correlation))
    base = result.base
    standard_error = base.totals.std() / math.sqrt(result.scenarios)
    assert abs(base.totals.mean() - base.expected_uncapped) < 4 * standard_error
    pd = np.array([RISKS[GROUPS[g].category].probability_of_default for g in book.group])
    defaults_error = result.defaults.std() / math.sqrt(result.scenarios)
    assert abs(result.defaults.mean() - pd.sum()) < 4 * defaults_error
    # the analytical figure by hand for one group's terms: min(share × loss, cap share × principal, loan cap)
    principal = book.balance * np.array([RISKS[GROUPS[g].category].loss_rate for g in book.group])
    counted = principal + np.where(book.group == 2, book.interest, 0.0)
    share = np.array([0.3, 0.4, 0.2])[book.group]
    cap = np.select(
        [book.group == 0, book.group == 1], [np.minimum(0.5 * principal, 400_000.0), 0.5 * principal], np.inf
    )
    assert base.expected_uncapped == pytest.approx(float((pd * np.minimum(share * counted, cap)).sum()), rel=1e-12)


def test_independent_defaults_follow_the_binomial_law():
    """ρ = 0, one category: the number of defaults per year is Binomial(n, p) — mean n·p, variance n·p·(1−p)."""
    n, p = 4_000, 0.03
    book = Portfolio(
        balance=np.full(n, 1e5),
        group=np.zeros(n, dtype=int),
        bank=np.zeros(n, dtype=int),
        groups=(GroupTerms("direct", 0.5),),
        banks=("A",),
        free_balance=1e9,
    )
    result = simulate(book, params(risks={"direct": CategoryRisk(p, 1.0)}, scenarios=20_000, correlation=0.0))
    assert result.defaults.mean() == pytest.approx(n * p, rel=0.01)
    assert result.defaults.var() == pytest.approx(n * p * (1 - p), rel=0.05)
    assert np.allclose(result.base.totals, result.defaults * 5e4)


def test_high_conditional_pd_draws_the_survivors_and_stays_unbiased():
    """PD 0.8 (and correlation): most (scenario, category) pairs are drawn as non-defaults; the mean is right."""
    book = portfolio(1_000)
    risks = {"direct": CategoryRisk(0.8, 0.6), "guaranteed": CategoryRisk(0.55, 0.5)}
    result = simulate(book, params(risks=risks, scenarios=4_000, correlation=0.2))
    standard_error = result.base.totals.std() / math.sqrt(result.scenarios)
    assert abs(result.base.totals.mean() - result.base.expected_uncapped) < 4 * standard_error
    assert result.defaults.max() <= book.size


def test_correlation_widens_the_distribution_but_keeps_the_mean():
    book = portfolio(3_000)
    independent = simulate(book, params(correlation=0.0)).base.totals
    correlated = simulate(book, params(correlation=0.3)).base.totals
    assert correlated.std() > 2 * independent.std()
    assert np.percentile(correlated, 99) > np.percentile(independent, 99)


def test_caps_across_loans_bound_every_year():
    book = portfolio(3_000, bank_year_caps={0: 1e6, 1: 2e6}, pool_cap=5e6)
    totals = simulate(book, params()).base.totals
    assert totals.max() <= 5e6 + 1e-6
    uncapped = simulate(portfolio(3_000), params()).base.totals
    assert np.all(totals <= uncapped + 1e-6)


def test_run_out_probability_and_shortfall_follow_the_free_balance():
    book = portfolio(3_000, free_balance=0.0)
    result = simulate(book, params())
    median = float(np.median(result.base.totals))
    summary = simulate(portfolio(3_000, free_balance=median), params()).as_dict()["base"]
    assert summary["run_out_probability"] == pytest.approx(0.5, abs=0.01)
    totals = result.base.totals
    assert money(summary["expected_shortfall"]) == pytest.approx(np.maximum(totals - median, 0).mean(), abs=0.01)
    shortfall = np.maximum(totals - median, 0)
    assert money(summary["shortfall_when_out"]) == pytest.approx(shortfall[totals > median].mean(), abs=0.01)
    worst = np.sort(totals)[int(0.99 * totals.size) :]
    assert money(summary["tail_mean_99"]) == pytest.approx(worst.mean(), abs=0.01)
    assert sum(summary["histogram"]["counts"]) == result.scenarios
    assert len(summary["histogram"]["edges"]) == len(summary["histogram"]["counts"]) + 1


# ---- sensitivity ------------------------------------------------------------------------------------------


def test_scaled_shares_meet_the_same_defaults_as_a_run_with_those_shares():
    book = portfolio(2_000)
    scaled = simulate(book, params(share_scales=(0.0, 0.5, 1.5)))
    assert [v.share_scale for v in scaled.variants] == [0.0, 0.5, 1.0, 1.5]
    assert scaled.variants[0].totals.max() == 0
    means = [v.totals.mean() for v in scaled.variants]
    assert means == sorted(means)
    halved = tuple(
        GroupTerms(g.category, g.pool_share * 0.5, g.principal_cap_share, g.loan_cap, g.counts_interest) for g in GROUPS
    )
    direct = simulate(portfolio(2_000, groups=halved), params(share_scales=()))
    assert np.allclose(direct.base.totals, scaled.variants[1].totals, rtol=1e-12, atol=1e-6)
    assert np.array_equal(direct.defaults, scaled.defaults)


def test_a_scaled_share_never_exceeds_the_whole_loss():
    book = portfolio(500, groups=(GroupTerms("direct", 0.8), GroupTerms("direct", 0.9), GroupTerms("guaranteed", 1.0)))
    risks = {"direct": CategoryRisk(1.0, 1.0), "guaranteed": CategoryRisk(1.0, 1.0)}
    result = simulate(book, params(risks=risks, scenarios=5, share_scales=(2.0,)))
    assert result.variants[-1].totals[0] == pytest.approx(book.balance.sum())


# ---- reproducibility --------------------------------------------------------------------------------------


def test_the_seed_reproduces_the_run():
    book = portfolio(1_000)
    first = simulate(book, params(seed=42)).as_dict()
    again = simulate(book, params(seed=42)).as_dict()
    other = simulate(book, params(seed=43)).as_dict()
    assert first == again
    assert first["base"]["mean"] != other["base"]["mean"]


def test_rule_set_terms_come_from_the_sharing_engine():
    rules = RuleSet(
        categories=(
            CategoryRule(
                "direct",
                D("0.3"),
                D("0.7"),
                uplifts=(("first_time", D("10")), ("credit", D("10"))),
                uplift_max_points=D("15"),
                principal_cap_share=D("0.5"),
                per_loan_cap=D("1000000"),
                covers_interest=True,
            ),
        )
    )
    terms = group_terms(rules, "direct", ("first_time", "credit"))
    assert terms.pool_share == pytest.approx(0.45)
    assert (terms.principal_cap_share, terms.loan_cap, terms.counts_interest) == (0.5, 1_000_000.0, True)
    with pytest.raises(ValidationFailed) as caught:
        group_terms(rules, "insured", ())
    assert caught.value.code == "category_not_covered"


# ---- bad parameters ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"risks": {"direct": CategoryRisk(1.2, 0.5), "guaranteed": CategoryRisk(0.1, 0.5)}}, "pd_direct"),
        ({"risks": {"direct": CategoryRisk(-0.1, 0.5), "guaranteed": CategoryRisk(0.1, 0.5)}}, "pd_direct"),
        ({"risks": {"direct": CategoryRisk(0.1, 0.5), "guaranteed": CategoryRisk(0.1, 1.5)}}, "loss_rate_guaranteed"),
        ({"risks": {"direct": CategoryRisk(float("nan"), 0.5), "guaranteed": CategoryRisk(0.1, 0.5)}}, "pd_direct"),
        ({"risks": {"direct": CategoryRisk(0.1, 0.5)}}, "pd_guaranteed"),
        ({"scenarios": -5}, "scenarios"),
        ({"scenarios": 0}, "scenarios"),
        ({"scenarios": MAX_SCENARIOS + 1}, "scenarios"),
        ({"scenarios": 10.5}, "scenarios"),
        ({"seed": -1}, "seed"),
        ({"correlation": 1.0}, "correlation"),
        ({"correlation": -0.1}, "correlation"),
        ({"share_scales": (0.5, -1.0)}, "share_scales"),
        ({"share_scales": tuple(range(1, 12))}, "share_scales"),
        ({"histogram_bins": 0}, "histogram_bins"),
    ],
)
def test_bad_parameters_are_refused_with_the_field_named(changes, field):
    with pytest.raises(ValidationFailed) as caught:
        simulate(portfolio(50), params(**changes))
    assert caught.value.code == "validation_failed"
    assert field in caught.value.fields
    assert caught.value.fields[field][0]


def test_bad_parameters_are_translated():
    from django.utils import translation

    bad = params(scenarios=MAX_SCENARIOS + 1)
    with translation.override("en"), pytest.raises(ValidationFailed) as english:
        validate_parameters(bad)
    assert "100,000" in english.value.fields["scenarios"][0]
    assert english.value.message == "The stress test parameters are not valid."


def test_the_largest_run_allowed_is_accepted():
    validate_parameters(params(scenarios=MAX_SCENARIOS), categories=("direct", "guaranteed"))
