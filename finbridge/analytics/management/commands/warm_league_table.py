"""`manage.py warm_league_table [--months 24]`: compute the league table's stored months that are missing or changed.

Run it after a bulk load, or nightly (the current month's balances are kept for the day they were computed for), so
that the first person to open the league table does not wait for the months to be computed.
"""

from __future__ import annotations

import datetime
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from finbridge.analytics import ledger
from finbridge.analytics.selectors import LEVELS


class Command(BaseCommand):
    help = "Compute the league table's monthly figures that are missing or changed (the last N months)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--months", type=int, default=24, help="How many months back from this one (default 24).")

    def handle(self, *args: Any, months: int, **options: Any) -> None:
        today = timezone.localdate()
        first = today.replace(day=1)
        for _ in range(max(0, months - 1)):
            first = (first - datetime.timedelta(days=1)).replace(day=1)
        started = time.perf_counter()
        computed = 0
        all_months = ledger.months_between(first, today)
        for level in LEVELS:
            stock_days = {month: min(ledger.last_of_month(month), today) for month in all_months}
            computed += ledger.ensure_months(level=level, flow_months=all_months, stock_days=stock_days)
        self.stdout.write(f"{computed} month computations in {time.perf_counter() - started:.1f} s.")
