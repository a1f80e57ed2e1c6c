"""Latency of the bank league table for all banks over a year, at 10%, 50% and 100% of 2,000,000 loans, on PostgreSQL.

    python -m bench.league_table [--requests 20]

Needs the loans of bench.loans_data (it adds them when missing). The 10% and 50% measurements run against copies
of the loan and status-report tables holding the loans with the smallest ids (a uniform sample: the loans were
written in random date order) in a schema of their own, with the same indexes and empty stored-month tables,
found first on the search path; every other table is the benchmark database's own. The copies are dropped after.

The period is the last twelve months (whole months: the first day of the month eleven months ago to today), so
the table adds up stored monthly figures (finbridge/analytics/ledger.py). Measured at each size:
- cold: the first table after a bulk load, computing and storing every month it needs (bank level);
- one_month_changed: the table after a status report marked the current month's balances changed;
- selector_bank / selector_branch: compute_league_table, months stored (WARMUP untimed runs, then `--requests`);
- api_bank: GET /api/v1/league-table/ through Django's test client (authentication, selector, ranking, JSON);
- direct_bank: the same figures scanning the loans directly (stored_months=False; a few runs);
and, at 100%, each SQL query of the direct table on its own, with the plan of the loan query.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from bench import machine, percentiles, prepare_database, timed_ms

WARMUP = 2
REQUESTS = 20
DIRECT_RUNS = 3
FRACTIONS = (0.1, 0.5, 1.0)
COPIED = ("financing_loan", "financing_loanstatusreport")
EMPTY = ("analytics_ledgermonth", "analytics_ledgermonthstate")


def _sample_schema(fraction: float, total: int) -> str:
    """A schema holding the first `fraction` of the BENCH- loans (and their reports); returns its name."""
    from django.db import connection

    schema = f"bench_loans_{round(fraction * 100)}"
    keep = int(total * fraction)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        cursor.execute(f"CREATE SCHEMA {schema}")
        for table in (*COPIED, *EMPTY):
            cursor.execute(f"CREATE TABLE {schema}.{table} (LIKE public.{table} INCLUDING ALL)")
        cursor.execute(
            f"INSERT INTO {schema}.financing_loan SELECT * FROM public.financing_loan"
            " WHERE id <= (SELECT id FROM public.financing_loan WHERE reference LIKE 'BENCH-%%' ORDER BY id"
            " OFFSET %s LIMIT 1) OR reference NOT LIKE 'BENCH-%%'",
            [keep - 1],
        )
        cursor.execute(
            f"INSERT INTO {schema}.financing_loanstatusreport SELECT r.* FROM public.financing_loanstatusreport r"
            f" JOIN {schema}.financing_loan l ON l.id = r.loan_id"
        )
    for table in COPIED:  # VACUUM cannot run in a transaction block: autocommit is on outside atomic()
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {schema}.{table}")
    return schema


def _use_schema(schema: str | None) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SET search_path TO {schema}, public" if schema else "SET search_path TO public")


def _measure(action: Any, requests: int, warmup: int = WARMUP) -> dict[str, float]:
    for _ in range(warmup):
        action()
    return percentiles([timed_ms(action)[0] for _ in range(requests)])


def _scenarios(requests: int) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from rest_framework.test import APIClient

    from finbridge.analytics.ledger import ledger_changed, ledger_reset
    from finbridge.analytics.selectors import BANK, BRANCH, compute_league_table, default_period

    period = default_period()
    user = get_user_model().objects.get(username="authority_admin")
    client = APIClient()
    client.force_authenticate(user)
    query = {"start": period.start.isoformat(), "end": period.end.isoformat(), "level": "bank"}

    def api() -> None:
        response = client.get("/api/v1/league-table/", query)
        assert response.status_code == 200, response.content[:300]

    def bank() -> Any:
        return compute_league_table(period=period, level=BANK)

    ledger_reset()
    cold_ms, table = timed_ms(bank)
    _ms, _branch = timed_ms(lambda: compute_league_table(period=period, level=BRANCH))  # store the branch months
    changed = []
    for _ in range(3):
        ledger_changed(balances_from=timezone.localdate())
        changed.append(timed_ms(bank)[0])
    return {
        "period": [period.start.isoformat(), period.end.isoformat()],
        "banks": len(table.rows),
        "loans_disbursed_in_period": sum(row.loans_count for row in table.rows),
        "cold_ms": round(cold_ms, 1),
        "one_month_changed": percentiles(changed),
        "selector_bank": _measure(bank, requests),
        "selector_branch": _measure(lambda: compute_league_table(period=period, level=BRANCH), requests),
        "api_bank": _measure(api, requests),
        "direct_bank": _measure(
            lambda: compute_league_table(period=period, level=BANK, stored_months=False), DIRECT_RUNS, warmup=1
        ),
    }


def _queries(requests: int) -> dict[str, Any]:
    """Each SQL query of the direct bank-level table on its own, and the plan of the loan query."""
    from django.db import connection, transaction

    from finbridge.analytics import selectors as s

    period = s.default_period()
    builders = {
        "loan_groups": lambda q: s._loan_groups(q, period, s.BANK),
        "borrowers": lambda q: s._borrowers(q, period, s.BANK, with_deferred=False),
        "responses": lambda q: s._response_figures(q, period, s.BANK),
        "due_for_everyone": lambda q: s._due_for_everyone(q, period),
        "chosen_due": lambda q: s._chosen_due(q, period, s.BANK),
        "median_days": lambda q: s._median_days(q, period, s.BANK),
    }
    figures: dict[str, Any] = {}
    with transaction.atomic():
        s._tune()
        for name, build in builders.items():
            q = s._Query()
            sql = build(q)
            figures[name] = _measure(lambda q=q, sql=sql: q.rows(sql), max(3, requests // 4), warmup=1)
        q = s._Query()
        sql = s._loan_groups(q, period, s.BANK)
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) " + sql, q.params)
            figures["loan_groups_plan"] = [row[0] for row in cursor.fetchall()]
    return figures


def run(*, requests: int = REQUESTS, fresh: bool = False) -> dict[str, Any]:
    prepare_database(fresh=fresh)
    from bench.loans_data import TARGET, ensure_loans

    data = ensure_loans(TARGET)
    results: dict[str, Any] = {
        "benchmark": "league_table",
        "what": "all banks over the last twelve months (analytics.selectors.compute_league_table and the API)",
        "data": data,
    }
    for fraction in FRACTIONS:
        schema = None if fraction == 1.0 else _sample_schema(fraction, TARGET)
        try:
            _use_schema(schema)
            label = f"{round(fraction * 100)}%"
            results[label] = {"loans": int(TARGET * fraction), **_scenarios(requests)}
            if fraction == 1.0:
                results["queries_at_100%"] = _queries(requests)
        finally:
            _use_schema(None)
            if schema:
                from django.db import connection

                with connection.cursor() as cursor:
                    cursor.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    results["machine"] = machine()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=REQUESTS)
    args = parser.parse_args()
    print(json.dumps(run(requests=args.requests), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
