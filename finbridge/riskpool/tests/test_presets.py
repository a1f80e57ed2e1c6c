"""Every preset model, computed by hand (the arithmetic is written next to each expectation)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from finbridge.core.errors import NotFound, ValidationFailed
from finbridge.riskpool.presets import PRESETS, preset_choices, preset_get, preset_list
from finbridge.riskpool.sharing import (
    Cap,
    LoanFacts,
    Loss,
    PaidContext,
    PayoutBreakdown,
    compute_payout,
    rule_set_errors,
    rule_set_from_dict,
    share_recovery,
)


def pay(code: str, principal: str, interest: str = "0", flags=(), category="direct", **paid) -> PayoutBreakdown:
    return compute_payout(
        PRESETS[code].rules,
        LoanFacts(category, frozenset(flags)),
        Loss(D(principal), D(interest)),
        PaidContext(**paid),
    )


def test_every_preset_is_valid_and_round_trips():
    assert [preset.code for preset in preset_list()] == [
        "pingshan",
        "shenzhen",
        "anhui",
        "4321",
        "nfgf_2_8",
        "eu_cosme",
    ]
    for preset in preset_list():
        assert rule_set_errors(preset.rules) == {}, preset.code
        assert rule_set_from_dict(preset.rules.to_dict()) == preset.rules
        assert str(preset.name) and str(preset.summary) and preset.source
        assert preset.label == preset.name


def test_preset_lookup():
    assert preset_get("anhui") is PRESETS["anhui"]
    assert ("eu_cosme", PRESETS["eu_cosme"].name) in preset_choices()
    with pytest.raises(NotFound) as error:
        preset_get("atlantis")
    assert error.value.code == "preset_not_found"


# ---- Pingshan -----------------------------------------------------------------------------------------


def test_pingshan_plain_direct_loan():
    # 30% × 1,234,567.89 = 370,370.367 -> 370,370.37; the bank bears 864,197.52
    result = pay("pingshan", "1234567.89")
    assert result.payout == D("370370.37")
    assert result.amounts["bank"] == D("864197.52")


def test_pingshan_credit_loan():
    # 30% + 10 points (credit) = 40%: 850,000.55 × 40% = 340,000.22; the bank 510,000.33
    result = pay("pingshan", "850000.55", flags={"credit"})
    assert result.payout == D("340000.22")
    assert result.amounts["bank"] == D("510000.33")


def test_pingshan_uplifts_stop_at_twenty_points_and_fifty_percent():
    # 10 × 4 = 40 points limited to 20: 50% of 600,000 = 300,000 = the 50%-of-principal cap (not below it)
    result = pay("pingshan", "600000", "30000", flags={"first_time", "credit", "ip_pledge", "tech_enterprise"})
    assert result.shares["pool"] == D("0.5")
    assert result.payout == D("300000.00")
    assert result.bound_by == ()  # the cap equals the share; interest is not covered


def test_pingshan_guaranteed_loan():
    # pool 20%, guarantor 50%, bank 30% of 1,000,000: 200,000 / 500,000 / 300,000
    result = pay("pingshan", "1000000", category="guaranteed")
    assert (result.amounts["pool"], result.amounts["guarantor"], result.amounts["bank"]) == (
        D("200000.00"),
        D("500000.00"),
        D("300000.00"),
    )


# ---- Shenzhen -----------------------------------------------------------------------------------------


def test_shenzhen_tech_first_time_loan():
    # 30% + 10 (tech) + 10 (first-time) = 50%: 3,000,000 × 50% = 1,500,000 (= the 50% cap)
    result = pay("shenzhen", "3000000", flags={"tech_enterprise", "first_time"})
    assert result.payout == D("1500000.00")
    assert result.amounts["bank"] == D("1500000.00")


def test_shenzhen_green_loan():
    # 30% + 10 (green) = 40% of 250,000.05 = 100,000.02
    assert pay("shenzhen", "250000.05", flags={"green"}).payout == D("100000.02")


def test_shenzhen_credit_earns_nothing_extra():
    # credit loans are not tilted in Shenzhen: 30% of 100,000 = 30,000
    assert pay("shenzhen", "100000", flags={"credit"}).payout == D("30000.00")


# ---- Anhui --------------------------------------------------------------------------------------------


def test_anhui_plain():
    # 30% of 999,999.99 = 299,999.997 -> 300,000.00; the bank 699,999.99
    result = pay("anhui", "999999.99")
    assert result.payout == D("300000.00")
    assert result.amounts["bank"] == D("699999.99")


def test_anhui_one_uplift_only():
    # first-time, credit and IP: 5 + 5 + 5 = 15 points limited to 5: 35% of 1,000,000 = 350,000 (< 80% cap)
    result = pay("anhui", "1000000", "50000", flags={"first_time", "credit", "ip_pledge"})
    assert result.payout == D("350000.00")
    assert result.amounts["bank"] == D("650000.00")


def test_anhui_receivables_pledge():
    # 30% + 5 = 35% of 20,000 = 7,000
    assert pay("anhui", "20000", flags={"receivables_pledge"}).payout == D("7000.00")


# ---- 4:3:2:1 ------------------------------------------------------------------------------------------


def test_four_three_two_one():
    # 1,000,000: guarantor 40% 400,000, re-guarantor 30% 300,000, bank 20% 200,000, pool 10% 100,000
    result = pay("4321", "1000000", category="guaranteed")
    assert result.amounts == {
        "pool": D("100000.00"),
        "bank": D("200000.00"),
        "guarantor": D("400000.00"),
        "reguarantor": D("300000.00"),
        "insurer": D("0"),
    }


def test_four_three_two_one_recovery():
    # 80,000 recovered: pool 10% = 8,000; bank 16,000; guarantor 32,000; re-guarantor 24,000
    share = share_recovery(pay("4321", "1000000", category="guaranteed"), D("80000"))
    assert share.to_pool == D("8000.00")
    assert (share.amounts["bank"], share.amounts["guarantor"], share.amounts["reguarantor"]) == (
        D("16000.00"),
        D("32000.00"),
        D("24000.00"),
    )


def test_four_three_two_one_does_not_cover_direct_loans():
    with pytest.raises(ValidationFailed) as error:
        pay("4321", "1000")
    assert error.value.code == "category_not_covered"


# ---- National Financing Guarantee Fund "2:8" ----------------------------------------------------------


def test_nfgf_two_eight():
    # 500,000: bank 20% = 100,000; guarantee side 80% = 400,000 (pool 100,000, re-guarantor 100,000,
    # guarantor 200,000)
    result = pay("nfgf_2_8", "500000", category="guaranteed")
    assert result.amounts["bank"] == D("100000.00")
    assert result.loss - result.amounts["bank"] == D("400000.00")
    assert (result.payout, result.amounts["reguarantor"], result.amounts["guarantor"]) == (
        D("100000.00"),
        D("100000.00"),
        D("200000.00"),
    )


# ---- EU COSME -----------------------------------------------------------------------------------------


def test_eu_cosme_pari_passu_then_capped():
    # portfolio 8,000,000: cap = 8,000,000 × 50% × 20% = 800,000
    # loss (400,000 principal + 12,000 interest) × 50% = 206,000, nothing used yet -> 206,000
    first = pay("eu_cosme", "400000", "12000", bank_portfolio=D("8000000"))
    assert first.loss == D("412000.00")
    assert first.payout == D("206000.00")
    # 700,000 already granted: 100,000 left -> 100,000; the bank bears 206,000 + 106,000 = 312,000
    later = pay("eu_cosme", "400000", "12000", bank_portfolio=D("8000000"), to_bank=D("700000"))
    assert later.payout == D("100000.00")
    assert later.bound_by == (Cap.CAP_RATE,)
    assert later.amounts["bank"] == D("312000.00")
    # cap used up: nothing more
    assert pay("eu_cosme", "1000", bank_portfolio=D("8000000"), to_bank=D("800000")).payout == D("0.00")
