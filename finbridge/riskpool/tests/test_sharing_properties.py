"""Properties of the sharing engine over generated rule sets, loans, losses and payout histories (hypothesis)."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from finbridge.riskpool.sharing import (
    PARTIES,
    Category,
    CategoryRule,
    Flag,
    LoanFacts,
    Loss,
    PaidContext,
    RuleSet,
    compute_payout,
    rule_set_errors,
    rule_set_from_dict,
    share_recovery,
    split_by_weights,
)

MILLION = 1_000_000
CENT = D("0.01")

amounts = st.integers(min_value=0, max_value=5_000_000_000).map(lambda fen: D(fen) * CENT)  # up to 50 million
optional_caps = st.none() | st.integers(min_value=1, max_value=2_000_000_000).map(lambda fen: D(fen) * CENT)
fractions = st.integers(min_value=1, max_value=MILLION).map(lambda n: D(n) / MILLION)


@st.composite
def category_rules(draw, category: str) -> CategoryRule:
    """Shares in millionths that add up to exactly one, uplifts the bank's share can afford."""
    cuts = sorted(draw(st.lists(st.integers(min_value=0, max_value=MILLION), min_size=4, max_size=4)))
    bounds = [0, *cuts, MILLION]
    parts = [D(bounds[i + 1] - bounds[i]) / MILLION for i in range(5)]
    pool, bank, guarantor, reguarantor, insurer = parts
    flags = draw(st.lists(st.sampled_from(Flag.values), unique=True, max_size=4))
    bank_points = int(bank * 100)
    uplifts = tuple((flag, D(draw(st.integers(min_value=0, max_value=bank_points)))) for flag in flags)
    uplift_max = draw(st.none() | st.integers(min_value=0, max_value=bank_points).map(D))
    if uplift_max is None and sum((p for _f, p in uplifts), D(0)) > bank * 100:
        uplift_max = D(bank_points)
    return CategoryRule(
        category=category,
        pool_share=pool,
        bank_share=bank,
        guarantor_share=guarantor,
        reguarantor_share=reguarantor,
        insurer_share=insurer,
        uplifts=uplifts,
        uplift_max_points=uplift_max,
        principal_cap_share=draw(st.none() | fractions),
        per_loan_cap=draw(optional_caps),
        covers_interest=draw(st.booleans()),
    )


@st.composite
def rule_sets(draw) -> RuleSet:
    categories = draw(st.lists(st.sampled_from(Category.values), unique=True, min_size=1, max_size=3))
    with_cap_rate = draw(st.booleans())
    return RuleSet(
        categories=tuple(draw(category_rules(code)) for code in categories),
        per_bank_year_cap=draw(optional_caps),
        pool_cap=draw(optional_caps),
        cap_rate=draw(fractions) if with_cap_rate else None,
        cap_guarantee_rate=draw(fractions) if with_cap_rate else None,
    )


paid_contexts = st.builds(
    PaidContext,
    on_loan=amounts,
    to_bank_in_year=amounts,
    year=st.just(2026),
    by_pool=amounts,
    to_bank=amounts,
    bank_portfolio=amounts,
)


@st.composite
def cases(draw):
    rules = draw(rule_sets())
    category = draw(st.sampled_from([rule.category for rule in rules.categories]))
    flags = frozenset(draw(st.lists(st.sampled_from(Flag.values), unique=True)))
    return rules, LoanFacts(category, flags), Loss(draw(amounts), draw(amounts)), draw(paid_contexts)


def remaining_caps(rules: RuleSet, loan: LoanFacts, loss: Loss, paid: PaidContext) -> list[D]:
    rule = rules.category(loan.category)
    found = []
    if rule.principal_cap_share is not None:
        found.append((rule.principal_cap_share * loss.principal).quantize(CENT))
    if rule.per_loan_cap is not None:
        found.append(max(D(0), rule.per_loan_cap - paid.on_loan))
    if rules.per_bank_year_cap is not None:
        found.append(max(D(0), rules.per_bank_year_cap - paid.to_bank_in_year))
    if rules.pool_cap is not None:
        found.append(max(D(0), rules.pool_cap - paid.by_pool))
    if rules.cap_rate is not None:
        cap = (paid.bank_portfolio * rules.cap_guarantee_rate * rules.cap_rate).quantize(CENT)
        found.append(max(D(0), cap - paid.to_bank))
    return found


@settings(max_examples=300, deadline=None)
@given(rule_sets())
def test_generated_rule_sets_are_valid_and_round_trip(rules):
    assert rule_set_errors(rules) == {}
    assert rule_set_from_dict(rules.to_dict()) == rules


@settings(max_examples=500, deadline=None)
@given(cases())
def test_payout_within_every_cap_and_the_loss(case):
    rules, loan, loss, paid = case
    result = compute_payout(rules, loan, loss, paid)
    assert D(0) <= result.payout <= result.uncapped <= result.loss
    for remaining in remaining_caps(rules, loan, loss, paid):
        assert result.payout <= remaining
    assert result.payout == result.amounts["pool"]
    assert result.payout == result.payout.quantize(CENT)


@settings(max_examples=500, deadline=None)
@given(cases())
def test_amounts_sum_to_the_loss_and_are_never_negative(case):
    rules, loan, loss, paid = case
    result = compute_payout(rules, loan, loss, paid)
    rule = rules.category(loan.category)
    expected_loss = loss.principal + (loss.interest if rule.covers_interest else D(0))
    assert result.loss == expected_loss
    assert sum(result.amounts.values()) == result.loss
    assert set(result.amounts) == set(PARTIES)
    assert all(value >= 0 and value == value.quantize(CENT) for value in result.amounts.values())
    assert sum(result.shares.values()) == 1
    # the bank never bears less than its share after uplifts (caps only ever add to it)
    assert result.amounts["bank"] >= (result.shares["bank"] * result.loss).quantize(CENT) - CENT * 4


@settings(max_examples=500, deadline=None)
@given(cases(), amounts, amounts)
def test_payout_is_monotone_in_the_loss(case, more_principal, more_interest):
    rules, loan, loss, paid = case
    smaller = compute_payout(rules, loan, loss, paid)
    larger = compute_payout(rules, loan, Loss(loss.principal + more_principal, loss.interest + more_interest), paid)
    assert larger.payout >= smaller.payout


@settings(max_examples=300, deadline=None)
@given(cases(), st.lists(amounts.filter(lambda amount: amount > 0), min_size=1, max_size=6))
def test_recoveries_never_return_more_than_the_pool_paid(case, recoveries):
    rules, loan, loss, paid = case
    breakdown = compute_payout(rules, loan, loss, paid)
    returned = D(0)
    for recovered in recoveries:
        share = share_recovery(breakdown, recovered, returned=returned)
        assert sum(share.amounts.values()) == share.recovered == recovered
        assert all(value >= 0 for value in share.amounts.values())
        assert share.to_pool == share.amounts["pool"] <= breakdown.payout - returned
        returned += share.to_pool
    assert returned <= breakdown.payout


@settings(max_examples=300, deadline=None)
@given(amounts, st.lists(st.integers(min_value=0, max_value=MILLION).map(D), min_size=1, max_size=5))
def test_split_is_exact_and_never_negative(total, weights):
    named = [(f"p{index}", weight) for index, weight in enumerate(weights)]
    parts = split_by_weights(total, named)
    assert sum(parts.values()) == total
    assert all(value >= 0 for value in parts.values())
