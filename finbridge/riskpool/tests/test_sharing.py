"""The sharing engine, computed by hand: shares, uplifts, every cap, who bears what, recoveries, rule checks."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.utils import translation

from finbridge.core.errors import ValidationFailed
from finbridge.riskpool.sharing import (
    Cap,
    CategoryRule,
    LoanFacts,
    Loss,
    PaidContext,
    PayoutBreakdown,
    RuleSet,
    compute_payout,
    render_steps,
    rule_set_errors,
    rule_set_from_dict,
    share_recovery,
    split_by_weights,
    validate_rule_set,
)

DIRECT = RuleSet(categories=(CategoryRule("direct", D("0.3"), D("0.7")),))


def direct(**changes) -> RuleSet:
    values = {"category": "direct", "pool_share": D("0.3"), "bank_share": D("0.7"), **changes}
    return RuleSet(categories=(CategoryRule(**values),))


def pay(rules: RuleSet, principal: str, interest: str = "0", flags=(), category="direct", **paid) -> PayoutBreakdown:
    return compute_payout(
        rules, LoanFacts(category, frozenset(flags)), Loss(D(principal), D(interest)), PaidContext(**paid)
    )


# ---- shares -------------------------------------------------------------------------------------------


def test_plain_share_rounds_half_up_and_the_bank_bears_the_rest():
    # 123,456.78 × 30% = 37,037.034 -> 37,037.03; the bank bears 123,456.78 - 37,037.03 = 86,419.75
    result = pay(DIRECT, "123456.78")
    assert result.payout == D("37037.03")
    assert result.amounts["bank"] == D("86419.75")
    assert result.bound_by == ()
    assert sum(result.amounts.values()) == result.loss == D("123456.78")


def test_half_a_fen_rounds_up():
    # 0.05 × 30% = 0.015 -> 0.02 (half up); the bank bears 0.03
    result = pay(DIRECT, "0.05")
    assert result.payout == D("0.02")
    assert result.amounts["bank"] == D("0.03")


def test_interest_is_ignored_unless_the_category_covers_it():
    # principal only: 100,000 × 30% = 30,000; with interest: (100,000 + 5,000) × 30% = 31,500
    assert pay(DIRECT, "100000", "5000").payout == D("30000.00")
    covered = pay(direct(covers_interest=True), "100000", "5000")
    assert covered.loss == D("105000.00")
    assert covered.payout == D("31500.00")
    assert covered.amounts["bank"] == D("73500.00")


def test_uplifts_move_points_from_the_bank_to_the_pool():
    # 30% + 5 (first-time) + 10 (tech) = 45%: 200,000 × 45% = 90,000; bank 55% = 110,000
    rules = direct(uplifts=(("first_time", D("5")), ("tech_enterprise", D("10")), ("credit", D("7"))))
    result = pay(rules, "200000", flags={"first_time", "tech_enterprise"})
    assert result.shares["pool"] == D("0.45")
    assert result.shares["bank"] == D("0.55")
    assert result.payout == D("90000.00")
    assert result.amounts["bank"] == D("110000.00")
    codes = [step["code"] for step in result.steps]
    assert codes.count("uplift") == 2 and "shares_applied" in codes


def test_uplifts_are_limited_to_the_maximum():
    # 5 + 5 + 5 = 15 points limited to 5: 35% of 1,000,000 = 350,000
    rules = direct(
        uplifts=(("first_time", D("5")), ("credit", D("5")), ("ip_pledge", D("5"))), uplift_max_points=D("5")
    )
    result = pay(rules, "1000000", flags={"first_time", "credit", "ip_pledge"})
    assert result.payout == D("350000.00")
    assert "uplift_limited" in [step["code"] for step in result.steps]


def test_flags_without_an_uplift_change_nothing():
    rules = direct(uplifts=(("first_time", D("5")),))
    assert pay(rules, "1000", flags={"green", "credit"}).payout == D("300.00")


def test_guaranteed_loan_split_by_largest_remainder():
    # pool 20% of 2,000,000.01 = 400,000.002 -> 400,000.00; the other 1,600,000.01 split 30 : 50
    # bank 1,600,000.01 × 3/8 = 600,000.00375 -> 600,000.00; guarantor × 5/8 = 1,000,000.00625 -> 1,000,000.00
    # the fen left goes to the larger remainder (the guarantor's .00625): 1,000,000.01
    rules = RuleSet(categories=(CategoryRule("guaranteed", D("0.2"), D("0.3"), guarantor_share=D("0.5")),))
    result = pay(rules, "2000000.01", category="guaranteed")
    assert result.amounts == {
        "pool": D("400000.00"),
        "bank": D("600000.00"),
        "guarantor": D("1000000.01"),
        "reguarantor": D("0"),
        "insurer": D("0"),
    }


def test_zero_loss_pays_nothing():
    result = pay(DIRECT, "0")
    assert result.payout == D("0.00")
    assert all(value == 0 for value in result.amounts.values())


# ---- caps ---------------------------------------------------------------------------------------------


def test_principal_cap():
    # 60% of 100,000 = 60,000, capped at 50% of the lost principal = 50,000; the bank bears 40,000 + 10,000
    rules = RuleSet(categories=(CategoryRule("direct", D("0.6"), D("0.4"), principal_cap_share=D("0.5")),))
    result = pay(rules, "100000")
    assert result.uncapped == D("60000.00")
    assert result.payout == D("50000.00")
    assert result.bound_by == (Cap.PRINCIPAL,)
    assert result.amounts["bank"] == D("50000.00")


def test_principal_cap_ignores_interest():
    # loss counted 100,000 + 100,000 = 200,000; 60% = 120,000; cap 50% of the principal 100,000 = 50,000
    rules = RuleSet(
        categories=(CategoryRule("direct", D("0.6"), D("0.4"), principal_cap_share=D("0.5"), covers_interest=True),)
    )
    result = pay(rules, "100000", "100000")
    assert result.payout == D("50000.00")
    assert result.amounts["bank"] == D("150000.00")


def test_per_loan_cap_counts_earlier_payouts_on_the_loan():
    # 30% of 1,000,000 = 300,000; cap 250,000 - 100,000 already granted on the loan = 150,000
    result = pay(direct(per_loan_cap=D("250000")), "1000000", on_loan=D("100000"))
    assert result.payout == D("150000.00")
    assert result.bound_by == (Cap.LOAN,)


def test_per_bank_year_cap():
    # cap 1,000,000 - 990,000.50 granted this year = 9,999.50
    rules = RuleSet(categories=DIRECT.categories, per_bank_year_cap=D("1000000"))
    result = pay(rules, "100000", to_bank_in_year=D("990000.50"), year=2026)
    assert result.payout == D("9999.50")
    assert result.bound_by == (Cap.BANK_YEAR,)
    messages = {step["code"]: step["message"] for step in render_steps(result.steps)}
    assert messages["cap_bank_year"] == (
        "Cap per bank in 2026: 1,000,000.00 yuan, of which 990,000.50 yuan already granted; 9,999.50 yuan left."
    )


def test_pool_cap_exhausted_pays_nothing():
    rules = RuleSet(categories=DIRECT.categories, pool_cap=D("500000"))
    result = pay(rules, "100000", by_pool=D("600000"))
    assert result.payout == D("0.00")
    assert result.amounts["bank"] == D("100000.00")
    assert result.bound_by == (Cap.POOL,)


def test_eu_cap_rate_pari_passu_until_used():
    # cap = 10,000,000 × 50% × 20% = 1,000,000; 900,000 used -> 100,000 left
    # loss (300,000 + 10,000) × 50% = 155,000, capped at 100,000; the bank bears 155,000 + 55,000 = 210,000
    rules = RuleSet(
        categories=(CategoryRule("direct", D("0.5"), D("0.5"), covers_interest=True),),
        cap_rate=D("0.2"),
        cap_guarantee_rate=D("0.5"),
    )
    before = pay(rules, "300000", "10000", to_bank=D("0"), bank_portfolio=D("10000000"))
    assert before.payout == D("155000.00")  # pari passu while the cap has room
    result = pay(rules, "300000", "10000", to_bank=D("900000"), bank_portfolio=D("10000000"))
    assert result.payout == D("100000.00")
    assert result.bound_by == (Cap.CAP_RATE,)
    assert result.amounts["bank"] == D("210000.00")


def test_several_caps_binding_at_once_are_all_named():
    rules = RuleSet(
        categories=(CategoryRule("direct", D("0.3"), D("0.7"), per_loan_cap=D("1000")),), pool_cap=D("1000")
    )
    result = pay(rules, "100000")
    assert result.payout == D("1000.00")
    assert set(result.bound_by) == {Cap.LOAN, Cap.POOL}


# ---- recoveries ---------------------------------------------------------------------------------------


def four_three_two_one() -> PayoutBreakdown:
    rules = RuleSet(
        categories=(
            CategoryRule("guaranteed", D("0.1"), D("0.2"), guarantor_share=D("0.4"), reguarantor_share=D("0.3")),
        )
    )
    return pay(rules, "1000000", category="guaranteed")


def test_recovery_shared_in_the_same_proportions():
    # 50,000 recovered: pool 10% = 5,000; bank 20% = 10,000; guarantor 40% = 20,000; re-guarantor 30% = 15,000
    share = share_recovery(four_three_two_one(), D("50000"))
    assert share.to_pool == D("5000.00")
    assert share.amounts == {
        "pool": D("5000.00"),
        "bank": D("10000.00"),
        "guarantor": D("20000.00"),
        "reguarantor": D("15000.00"),
        "insurer": D("0"),
    }
    assert not share.limited


def test_recovery_at_most_what_the_pool_paid():
    # the pool paid 100,000 and had 98,000 back: its 5,000 becomes 2,000; the bank keeps the other 3,000
    share = share_recovery(four_three_two_one(), D("50000"), returned=D("98000"))
    assert share.to_pool == D("2000.00")
    assert share.limited
    assert share.amounts["bank"] == D("13000.00")
    assert sum(share.amounts.values()) == D("50000.00")


def test_recovery_of_a_capped_payout_follows_what_was_borne():
    # the pool paid 50,000 of a 100,000 loss (capped from 60,000): it takes 50% of recoveries
    rules = RuleSet(categories=(CategoryRule("direct", D("0.6"), D("0.4"), principal_cap_share=D("0.5")),))
    share = share_recovery(pay(rules, "100000"), D("10000.01"))
    # 10,000.01 × 50,000 / 100,000 = 5,000.005 -> 5,000.01
    assert share.to_pool == D("5000.01")
    assert share.amounts["bank"] == D("5000.00")


def test_recovery_must_be_positive():
    with pytest.raises(ValidationFailed) as error:
        share_recovery(four_three_two_one(), D("0"))
    assert error.value.code == "recovery_not_positive"


def test_breakdown_round_trips_through_json():
    result = four_three_two_one()
    again = PayoutBreakdown.from_dict(result.as_dict())
    assert again == result
    assert share_recovery(again, D("100")).amounts == share_recovery(result, D("100")).amounts


# ---- bad input ----------------------------------------------------------------------------------------


def test_category_not_covered():
    with pytest.raises(ValidationFailed) as error:
        pay(DIRECT, "100", category="insured")
    assert error.value.code == "category_not_covered"
    assert "insured loan" in error.value.message


def test_negative_loss():
    with pytest.raises(ValidationFailed) as error:
        pay(DIRECT, "-1")
    assert error.value.code == "loss_negative"


def test_shares_must_add_up_to_one():
    rules = RuleSet(categories=(CategoryRule("direct", D("0.3"), D("0.6")),))
    errors = rule_set_errors(rules)
    assert errors == {"categories.0.shares": ["The shares add up to 90%, not 100%."]}
    with pytest.raises(ValidationFailed) as error:
        validate_rule_set(rules)
    assert error.value.code == "rule_invalid"
    assert error.value.fields == errors


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        (RuleSet(categories=()), "categories"),
        (RuleSet(categories=(CategoryRule("mortgage", D("0.3"), D("0.7")),)), "categories.0.category"),
        (RuleSet(categories=DIRECT.categories * 2), "categories.1.category"),
        (RuleSet(categories=(CategoryRule("direct", D("1.3"), D("-0.3")),)), "categories.0.shares.pool"),
        (RuleSet(categories=(CategoryRule("direct", D("0.3000001"), D("0.6999999")),)), "categories.0.shares.pool"),
        (direct(uplifts=(("lucky", D("5")),)), "categories.0.uplifts"),
        (direct(uplifts=(("credit", D("-5")),)), "categories.0.uplifts.credit"),
        (direct(uplifts=(("credit", D("5")), ("credit", D("5")))), "categories.0.uplifts"),
        (direct(uplifts=(("credit", D("80")),)), "categories.0.uplifts"),
        (direct(principal_cap_share=D("0")), "categories.0.principal_cap_share"),
        (direct(principal_cap_share=D("1.5")), "categories.0.principal_cap_share"),
        (direct(per_loan_cap=D("0")), "categories.0.per_loan_cap"),
        (direct(per_loan_cap=D("10.001")), "categories.0.per_loan_cap"),
        (RuleSet(categories=DIRECT.categories, pool_cap=D("-1")), "pool_cap"),
        (RuleSet(categories=DIRECT.categories, per_bank_year_cap=D("0")), "per_bank_year_cap"),
        (RuleSet(categories=DIRECT.categories, cap_rate=D("0.2")), "cap_guarantee_rate"),
        (RuleSet(categories=DIRECT.categories, cap_rate=D("2"), cap_guarantee_rate=D("0.5")), "cap_rate"),
        (RuleSet(categories=DIRECT.categories, min_bank_share=D("0.8")), "categories.0.uplifts"),
    ],
)
def test_invalid_rule_sets(rules, field):
    errors = rule_set_errors(rules)
    assert field in errors, errors
    assert all(isinstance(message, str) and message for message in errors[field])


def test_the_bank_keeps_its_minimum_share_after_every_uplift():
    # bank 30% - (10 + 15 points) = 5% < 20%
    rules = RuleSet(
        categories=(CategoryRule("direct", D("0.7"), D("0.3"), uplifts=(("credit", D("10")), ("green", D("15")))),),
        min_bank_share=D("0.2"),
    )
    assert rule_set_errors(rules) == {
        "categories.0.uplifts": ["With every uplift the bank's share falls to 5%, below the 20% it must bear."]
    }
    limited = RuleSet(
        categories=(
            CategoryRule("direct", D("0.7"), D("0.3"), uplifts=rules.categories[0].uplifts, uplift_max_points=D("10")),
        ),
        min_bank_share=D("0.2"),
    )
    assert rule_set_errors(limited) == {}


# ---- reading rule sets --------------------------------------------------------------------------------


def test_rule_set_round_trips_through_json():
    rules = RuleSet(
        categories=(
            CategoryRule(
                "direct",
                D("0.3"),
                D("0.7"),
                uplifts=(("first_time", D("5")),),
                uplift_max_points=D("5"),
                principal_cap_share=D("0.8"),
                per_loan_cap=D("500000"),
                covers_interest=True,
            ),
            CategoryRule("insured", D("0.1"), D("0.2"), insurer_share=D("0.7")),
        ),
        per_bank_year_cap=D("2000000"),
        pool_cap=D("10000000"),
        cap_rate=D("0.2"),
        cap_guarantee_rate=D("0.5"),
        min_bank_share=D("0.2"),
    )
    assert rule_set_from_dict(rules.to_dict()) == rules


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"categories": "direct"}, "categories"),
        ({"categories": ["direct"]}, "categories.0"),
        ({"categories": [{"category": "direct", "shares": "30/70"}]}, "categories.0.shares"),
        (
            {"categories": [{"category": "direct", "shares": {"pool": "abc", "bank": "0.7"}}]},
            "categories.0.shares.pool",
        ),
        ({"categories": [{"category": "direct", "shares": {"pool": True, "bank": "0.7"}}]}, "categories.0.shares.pool"),
        ({"categories": [{"category": "direct", "shares": {"state": "0.3", "bank": "0.7"}}]}, "categories.0.shares"),
        (
            {"categories": [{"category": "direct", "shares": {"pool": "0.3", "bank": "0.7"}, "uplifts": [5]}]},
            "categories.0.uplifts",
        ),
        (
            {
                "categories": [
                    {"category": "direct", "shares": {"pool": "0.3", "bank": "0.7"}, "covers_interest": "yes"}
                ]
            },
            "categories.0.covers_interest",
        ),
        (
            {"categories": [{"category": "direct", "shares": {"pool": "0.3", "bank": "0.7"}}], "pool_cap": "many"},
            "pool_cap",
        ),
        ({"categories": [{"category": "direct", "shares": {"pool": "0.3", "bank": "0.6"}}]}, "categories.0.shares"),
    ],
)
def test_malformed_rule_data(data, field):
    with pytest.raises(ValidationFailed) as error:
        rule_set_from_dict(data)
    assert error.value.code == "rule_invalid"
    assert field in error.value.fields, error.value.fields


def test_rule_data_must_be_an_object():
    with pytest.raises(ValidationFailed):
        rule_set_from_dict(["direct"])


def test_missing_shares_count_as_zero():
    data = {"categories": [{"category": "direct", "shares": {"pool": "0.3", "bank": "0.7"}}]}
    assert rule_set_from_dict(data) == DIRECT


# ---- words --------------------------------------------------------------------------------------------


def test_steps_render_the_arithmetic():
    rules = direct(uplifts=(("first_time", D("5")),), principal_cap_share=D("0.3"))
    result = compute_payout(
        rules,
        LoanFacts("direct", frozenset({"first_time"})),
        Loss(D("1000000"), D("2000")),
        version={"number": 3, "effective_from": "2026-02-05"},
    )
    messages = [step["message"] for step in render_steps(result.steps)]
    assert messages == [
        "Sharing rule version 3, in force from 2026-02-05.",
        "Loss counted: the lost principal of 1,000,000.00 yuan (lost interest of 2,000.00 yuan is not covered).",
        "Shares for a direct bank loan: pool 30%, bank 70%.",
        "First-time loan: the pool's share rises by 5 percentage points, taken from the bank's share.",
        "Shares applied: pool 35%, bank 65%.",
        "The pool's share: 35% × 1,000,000.00 yuan = 350,000.00 yuan.",
        "Cap: 30% of the lost principal of 1,000,000.00 yuan = 300,000.00 yuan.",
        "The pool pays 300,000.00 yuan instead of 350,000.00 yuan, limited by the share of the lost principal.",
        "The bank bears 700,000.00 yuan.",
    ]


def test_steps_render_in_chinese_and_never_raise():
    result = four_three_two_one()
    with translation.override("zh-hans"):
        messages = render_steps([*result.steps, {"code": "nonsense"}, {"code": "payout", "params": {"x": 1}}])
    assert len(messages) == len(result.steps) + 2
    assert all(message["message"] for message in messages)


def test_recovery_steps_render():
    messages = [step["message"] for step in render_steps(share_recovery(four_three_two_one(), D("50000")).steps)]
    assert messages[0] == "Recovered after the payout: 50,000.00 yuan."
    assert (
        messages[1]
        == "The pool's part: 50,000.00 yuan × 100,000.00 yuan paid ÷ 1,000,000.00 yuan loss = 5,000.00 yuan."
    )


# ---- splitting ----------------------------------------------------------------------------------------


def test_split_by_weights():
    assert split_by_weights(D("0.01"), [("a", D("1")), ("b", D("1"))]) == {"a": D("0.01"), "b": D("0.00")}
    assert split_by_weights(D("1.00"), [("a", D("0")), ("b", D("0"))]) == {"a": D("1.00"), "b": D("0")}
    assert split_by_weights(D("10.00"), [("a", D("1")), ("b", D("2")), ("c", D("0"))]) == {
        "a": D("3.33"),
        "b": D("6.67"),
        "c": D("0.00"),
    }
