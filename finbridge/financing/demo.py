"""The financing part of the demo district: products, demands with answers, their matches, and a year of loans.

Run by `manage.py seed_demo` after the registry (settings.FINBRIDGE_DEMO_LOADERS). Writes directly, like the
registry's loader: no audit events and no notifications. Each step does nothing when its data exists.
"""

from __future__ import annotations

import random
from typing import Any

from finbridge.financing.demo_demands import seed_demands
from finbridge.financing.demo_loans import seed_loans
from finbridge.financing.demo_products import seed_products
from finbridge.financing.services.matching import matches_rebuild


def seed_financing(*, seed: int) -> dict[str, Any]:
    """Load the demo products, demands, matches and loans; returns what was written, for the command's report."""
    products = seed_products(rng=random.Random(seed))
    demands = seed_demands(rng=random.Random(seed + 1))
    matches = matches_rebuild()
    loans = seed_loans(rng=random.Random(seed + 2))
    return {
        "products": products,
        "demands": demands.demands,
        "demand answers": demands.responses,
        "matches": matches,
        "loans": loans.loans,
        "loan status reports": loans.status_reports,
    }
