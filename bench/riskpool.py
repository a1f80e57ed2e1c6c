"""Latency of the risk-sharing pool at city scale: 200,000 covered loans and 5,000 claims, on PostgreSQL.

    python -m bench.riskpool [--requests 20] [--stress-runs 5] [--scenarios 10000]

Needs the data of bench.riskpool_data (it loads them when missing) on its own database,
RISKPOOL_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/finbridge_bench_riskpool). Targets (issue 4):
a pool statement and the per-bank risk table under 1 s; a stress test of 10,000 scenarios under 10 s.

Measured as the district authority (authority_admin), WARMUP untimed runs first, then:
- statement_year / statement_all: selectors.ledger.pool_statement over the last twelve months / the whole life
  (every ledger entry as a row with the running cash balance); `--requests` runs each;
- risk_table: selectors.risk.bank_risk_table (every admitted bank's covered balance, NPL ratio, claims,
  compensation, owed and recovered amounts); `--requests` runs;
- stress_test: services.stress.stress_test_run with `--scenarios` scenarios, the authority's default rates (PD
  3% direct, 2% guaranteed; loss rate 60% / 50%) and five scales of the pool share — what the page does:
  permission check, reading the portfolio, the simulation, storing the run; `--stress-runs` runs (seed fixed);
- its parts: stress_portfolio (reading the covered loans into arrays) and stress.simulate (the engine alone);
- stress_history: selectors.stress.stress_suggested_risks (the form's starting values from the pool's history).
Each figure also gives cpu_p50_ms, the median CPU time of the benchmark process itself.
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import time
from typing import Any

from bench import machine, percentiles, timed_ms

WARMUP = 2
REQUESTS = 20
STRESS_RUNS = 5
SCENARIOS = 10_000
RISKS = {
    "direct": {"probability_of_default": "0.03", "loss_rate": "0.6"},
    "guaranteed": {"probability_of_default": "0.02", "loss_rate": "0.5"},
}


def _measure(action: Any, runs: int, warmup: int = WARMUP) -> dict[str, float]:
    """Wall-clock percentiles, and the median CPU time of this process (the database server's is not in it):
    on a shared machine the difference is mostly time spent waiting for a core."""
    for _ in range(warmup):
        action()
    walls, cpus = [], []
    for _ in range(runs):
        cpu = time.process_time()
        walls.append(timed_ms(action)[0])
        cpus.append((time.process_time() - cpu) * 1000)
    return {**percentiles(walls), "cpu_p50_ms": round(statistics.median(cpus), 1)}


def run(*, requests: int = REQUESTS, stress_runs: int = STRESS_RUNS, scenarios: int = SCENARIOS) -> dict[str, Any]:
    from bench.riskpool_data import POOL_NAME, ensure_riskpool_data, prepare

    prepare()
    data = ensure_riskpool_data()
    from django.contrib.auth import get_user_model

    from finbridge.riskpool.models import Pool
    from finbridge.riskpool.selectors.ledger import pool_statement
    from finbridge.riskpool.selectors.risk import bank_risk_table
    from finbridge.riskpool.selectors.stress import stress_portfolio, stress_suggested_risks
    from finbridge.riskpool.services.stress import stress_test_run
    from finbridge.riskpool.stress import CategoryRisk, StressParameters, simulate

    actor = get_user_model().objects.get(username="authority_admin")
    pool = Pool.objects.get(name=POOL_NAME)
    today = datetime.date.today()
    year_ago = today - datetime.timedelta(days=365)

    statement = pool_statement(actor=actor, pool=pool, date_from=year_ago, date_to=today)
    whole = pool_statement(actor=actor, pool=pool)
    table = bank_risk_table(actor=actor, pool=pool)
    last: dict[str, Any] = {}

    def stress() -> None:
        last["run"] = stress_test_run(actor=actor, pool=pool, risks=RISKS, scenarios=scenarios, seed=2026)

    loaded = stress_portfolio(pool=pool)
    parameters = StressParameters(
        risks={c: CategoryRisk(float(v["probability_of_default"]), float(v["loss_rate"])) for c, v in RISKS.items()},
        scenarios=scenarios,
        seed=2026,
    )
    figures: dict[str, Any] = {
        "benchmark": "riskpool",
        "what": "pool statement, per-bank risk table and stress test of the bench pool (selectors and service)",
        "data": data,
        "statement_year": {
            "entries": len(statement.rows),
            **_measure(lambda: pool_statement(actor=actor, pool=pool, date_from=year_ago, date_to=today), requests),
        },
        "statement_all": {
            "entries": len(whole.rows),
            **_measure(lambda: pool_statement(actor=actor, pool=pool), requests),
        },
        "risk_table": {"banks": len(table), **_measure(lambda: bank_risk_table(actor=actor, pool=pool), requests)},
        "stress_portfolio": {"loans": loaded.loans, **_measure(lambda: stress_portfolio(pool=pool), stress_runs, 1)},
        "stress_simulate": {
            "scenarios": scenarios,
            "groups": len(loaded.groups),
            **_measure(lambda: simulate(loaded.portfolio, parameters), stress_runs, 1),
        },
        "stress_test": {"scenarios": scenarios, **_measure(stress, stress_runs, 1)},
        "stress_history": _measure(lambda: stress_suggested_risks(pool=pool), max(3, requests // 4), 1),
    }
    results = last["run"].results
    figures["stress_test"]["result"] = {
        key: results[key] for key in ("loans", "defaults_mean", "defaults_p99", "loss_mean", "free_balance")
    } | {
        "mean": results["base"]["mean"],
        "p99": results["base"]["percentiles"]["p99"],
        "run_out_probability": results["base"]["run_out_probability"],
        "expected_shortfall": results["base"]["expected_shortfall"],
        "simulation_ms": results["simulation_ms"],
    }
    figures["machine"] = machine()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=REQUESTS)
    parser.add_argument("--stress-runs", type=int, default=STRESS_RUNS)
    parser.add_argument("--scenarios", type=int, default=SCENARIOS)
    args = parser.parse_args()
    figures = run(requests=args.requests, stress_runs=args.stress_runs, scenarios=args.scenarios)
    print(json.dumps(figures, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
