"""A stored rule set in words and percentages for the pages (in the active language)."""

from __future__ import annotations

from typing import Any

from finbridge.core.money import to_decimal
from finbridge.riskpool.sharing import (
    Category,
    Party,
    flag_label,
    format_points,
    format_share,
    format_yuan,
)


def _label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _nonzero(value: Any) -> bool:
    try:
        return value not in (None, "") and to_decimal(value) != 0
    except ValueError:
        return False


def rule_set_display(rules: dict[str, Any]) -> dict[str, Any]:
    """Per category: shares by party (only those above zero), uplifts, their limit, caps; then the caps across
    loans. Values are formatted strings ("30%", "+10 points", "500,000.00 yuan")."""
    categories = []
    for rule in rules.get("categories") or []:
        shares = [
            {"party": _label(Party, party), "share": format_share(share)}
            for party, share in (rule.get("shares") or {}).items()
            if _nonzero(share)
        ]
        uplifts = [
            {"flag": flag_label(flag), "points": format_points(points)}
            for flag, points in (rule.get("uplifts") or {}).items()
        ]
        categories.append(
            {
                "code": rule.get("category"),
                "label": _label(Category, rule.get("category")),
                "shares": shares,
                "uplifts": uplifts,
                "uplift_max": format_points(rule["uplift_max_points"]) if rule.get("uplift_max_points") else None,
                "principal_cap": format_share(rule["principal_cap_share"]) if rule.get("principal_cap_share") else None,
                "loan_cap": format_yuan(rule["per_loan_cap"]) if rule.get("per_loan_cap") else None,
                "covers_interest": bool(rule.get("covers_interest")),
            }
        )
    return {
        "categories": categories,
        "per_bank_year_cap": format_yuan(rules["per_bank_year_cap"]) if rules.get("per_bank_year_cap") else None,
        "pool_cap": format_yuan(rules["pool_cap"]) if rules.get("pool_cap") else None,
        "cap_rate": format_share(rules["cap_rate"]) if rules.get("cap_rate") else None,
        "cap_guarantee_rate": format_share(rules["cap_guarantee_rate"]) if rules.get("cap_guarantee_rate") else None,
        "min_bank_share": format_share(rules["min_bank_share"]) if _nonzero(rules.get("min_bank_share")) else None,
    }
