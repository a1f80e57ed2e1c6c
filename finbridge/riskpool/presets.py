"""Preset sharing rules: the real models of DESIGN.md §4 ("Risk sharing"), each a `RuleSet` as data.

A district authority starts a rule version from a preset and adjusts it; nothing here is used at payout time
(a loan is governed by the rule version stored when it was enrolled). Every preset passes
`sharing.validate_rule_set`.

Sources and choices:
  pingshan     Pingshan district pool (trial rules of 2026-02-05): compensates non-performing loans of
               admitted banks to eligible SMEs. The district's detailed ratios follow the Shenzhen city pool
               it implements, so the starting figures are Shenzhen's (30%, tilted to first-time, credit,
               IP-pledge and technology loans, at most 50 per cent of the lost principal) with a guaranteed-loan
               category for measure 2's government-bank-guarantor sharing (pool 20%, guarantor 50%, bank
               30%). The authority confirms or changes them in its first rule version.
  shenzhen     Shenzhen city pool (2018, renewed 2024): about 30 per cent overall, at most 50 per cent of the lost principal,
               tilted to technology firms, first loans, IP-pledge and green loans.
  anhui        Anhui tech-loan pool: 30 per cent of the non-performing principal of direct loans, +5 percentage points
               for first loans, pure credit, IP or receivables/inventory collateral (one uplift, not
               cumulative); total compensation at most 80% (the bank bears at least 20%).
  4321         "4:3:2:1" guaranteed loans: guarantor 40%, re-guarantor 30%, bank 20%, government (the pool) 10%.
  nfgf_2_8     National Financing Guarantee Fund "2:8": the bank bears 20%, the guarantee side 80%, here split
               fund (through the pool) 20%, provincial re-guarantor 20%, guarantor 40% (the fund's 2:2:4:2
               form); the bank bears at least 20%.
  eu_cosme     EU COSME loan guarantee: 50 per cent of each loss (principal and interest), capped per bank at
               portfolio volume × 50 per cent guarantee rate × 20 per cent cap rate; losses shared pari passu until the cap
               is used up.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from finbridge.core.errors import NotFound
from finbridge.riskpool.sharing import Category, CategoryRule, Flag, RuleSet

D = Decimal


@dataclass(frozen=True)
class Preset:
    """A named model a rule version can start from."""

    code: str
    name: Any  # lazy translated
    summary: Any  # lazy translated
    source: str  # the document it follows (titles in the original language)
    rules: RuleSet

    @property
    def label(self) -> Any:
        """The name (what a rule version created from the preset is labelled)."""
        return self.name


PINGSHAN = Preset(
    code="pingshan",
    name=_("Pingshan district pool"),
    summary=_(
        "Direct loans: the pool bears 30%, plus 10 points for first-time, credit, IP-pledge or technology loans"
        " (at most 20 points), at most 50 per cent of the lost principal. Guaranteed loans: pool 20%, guarantee agency 50%,"
        " bank 30%."
    ),
    source="深圳市坪山区中小微企业银行贷款风险补偿资金池管理实施细则（试行）, 2026-02-05",
    rules=RuleSet(
        categories=(
            CategoryRule(
                category=Category.DIRECT,
                pool_share=D("0.300000"),
                bank_share=D("0.700000"),
                uplifts=(
                    (Flag.FIRST_TIME, D("10")),
                    (Flag.CREDIT, D("10")),
                    (Flag.IP_PLEDGE, D("10")),
                    (Flag.TECH_ENTERPRISE, D("10")),
                ),
                uplift_max_points=D("20"),
                principal_cap_share=D("0.500000"),
            ),
            CategoryRule(
                category=Category.GUARANTEED,
                pool_share=D("0.200000"),
                bank_share=D("0.300000"),
                guarantor_share=D("0.500000"),
                principal_cap_share=D("0.500000"),
            ),
        ),
    ),
)

SHENZHEN = Preset(
    code="shenzhen",
    name=_("Shenzhen city pool"),
    summary=_(
        "The pool bears 30 per cent of the lost principal, plus 10 points for technology, first-time, IP-pledge or green"
        " loans (at most 20 points); at most 50 per cent of the lost principal."
    ),
    source="深圳市中小微企业银行贷款风险补偿资金池管理实施细则, 2024-03-27",
    rules=RuleSet(
        categories=(
            CategoryRule(
                category=Category.DIRECT,
                pool_share=D("0.300000"),
                bank_share=D("0.700000"),
                uplifts=(
                    (Flag.TECH_ENTERPRISE, D("10")),
                    (Flag.FIRST_TIME, D("10")),
                    (Flag.IP_PLEDGE, D("10")),
                    (Flag.GREEN, D("10")),
                ),
                uplift_max_points=D("20"),
                principal_cap_share=D("0.500000"),
            ),
        ),
    ),
)

ANHUI = Preset(
    code="anhui",
    name=_("Anhui technology-loan pool"),
    summary=_(
        "The pool bears 30 per cent of the non-performing principal of direct loans, 35 per cent for first-time, credit, IP-pledge"
        " or receivables- and inventory-pledge loans; total compensation at most 80 per cent of the loss."
    ),
    source="安徽省科技贷款风险补偿 (DESIGN.md §4)",
    rules=RuleSet(
        categories=(
            CategoryRule(
                category=Category.DIRECT,
                pool_share=D("0.300000"),
                bank_share=D("0.700000"),
                uplifts=(
                    (Flag.FIRST_TIME, D("5")),
                    (Flag.CREDIT, D("5")),
                    (Flag.IP_PLEDGE, D("5")),
                    (Flag.RECEIVABLES_PLEDGE, D("5")),
                ),
                uplift_max_points=D("5"),
                principal_cap_share=D("0.800000"),
            ),
        ),
        min_bank_share=D("0.200000"),
    ),
)

FOUR_THREE_TWO_ONE = Preset(
    code="4321",
    name=_('"4:3:2:1" guarantee sharing'),
    summary=_("Guaranteed loans: guarantee agency 40%, re-guarantor 30%, bank 20%, government pool 10%."),
    source="“4321”政银担风险分担模式 (DESIGN.md §4)",
    rules=RuleSet(
        categories=(
            CategoryRule(
                category=Category.GUARANTEED,
                pool_share=D("0.100000"),
                bank_share=D("0.200000"),
                guarantor_share=D("0.400000"),
                reguarantor_share=D("0.300000"),
            ),
        ),
        min_bank_share=D("0.200000"),
    ),
)

NFGF_TWO_EIGHT = Preset(
    code="nfgf_2_8",
    name=_('National Financing Guarantee Fund "2:8"'),
    summary=_(
        "Guaranteed loans: the bank bears 20%, the guarantee side 80% (fund through the pool 20%, provincial"
        " re-guarantor 20%, guarantee agency 40%); banks bear at least 20%."
    ),
    source="国家融资担保基金 银担“二八”分险 (DESIGN.md §4)",
    rules=RuleSet(
        categories=(
            CategoryRule(
                category=Category.GUARANTEED,
                pool_share=D("0.200000"),
                bank_share=D("0.200000"),
                guarantor_share=D("0.400000"),
                reguarantor_share=D("0.200000"),
            ),
        ),
        min_bank_share=D("0.200000"),
    ),
)

EU_COSME = Preset(
    code="eu_cosme",
    name=_("EU COSME loan guarantee"),
    summary=_(
        "The pool guarantees 50 per cent of each loss (principal and interest), pari passu, until the bank's cap is used"
        " up: cap = covered portfolio × 50 per cent guarantee rate × 20 per cent cap rate."
    ),
    source="EU COSME Loan Guarantee Facility (DESIGN.md §4)",
    rules=RuleSet(
        categories=(
            CategoryRule(
                category=Category.DIRECT,
                pool_share=D("0.500000"),
                bank_share=D("0.500000"),
                covers_interest=True,
            ),
        ),
        cap_rate=D("0.200000"),
        cap_guarantee_rate=D("0.500000"),
    ),
)

PRESETS: dict[str, Preset] = {
    preset.code: preset for preset in (PINGSHAN, SHENZHEN, ANHUI, FOUR_THREE_TWO_ONE, NFGF_TWO_EIGHT, EU_COSME)
}


def preset_list() -> list[Preset]:
    """Every preset, in the order shown to the authority."""
    return list(PRESETS.values())


def preset_get(code: str) -> Preset:
    """The preset `code`; raises NotFound for an unknown code."""
    try:
        return PRESETS[code]
    except KeyError:
        raise NotFound(
            _("There is no preset sharing rule %(code)s."), code="preset_not_found", params={"code": code}
        ) from None


def preset_choices() -> list[tuple[str, Any]]:
    """(code, name) pairs for a form's select."""
    return [(preset.code, preset.name) for preset in PRESETS.values()]
