"""Supply-chain finance at 1,000,000 receivables on PostgreSQL: bulk confirmation, racing acceptances, the overview.

    python -m bench.supplychain [--requests 20] [--attempts 200] [--connections 50] [--fresh] [--plans]

Needs the data of bench.supplychain_data (its own database; loaded on first use, reused after). Measures:
(a) bulk_confirm: receivable_confirm_bulk by a core enterprise on 10,000 receivables pending confirmation (written
    just before, untimed, from that core's suppliers), the whole service call including its on-commit notices;
(b) race: `--attempts` acceptance attempts at once on ONE receivable, each in its own thread with its own database
    connection, through financing_offer_accept:
    - one_request: one financing request on the receivable with an offer from each of `--attempts` funders; every
      thread accepts a different offer;
    - many_requests: `--attempts` open requests that all hold the receivable (written directly: the services refuse
      a second open request), each with one offer; every thread accepts its own.
    Exactly one registration must result (asserted). The database server allows 100 connections (shared with
    other work), so at most `--connections` attempts hold one at a time; the others wait for a slot and race on;
(c) overview: the district authority's overview of the last twelve months with nothing stored (cold: the
    selector computes and stores the eleven closed months), then GET /api/v1/supplychain/overview/ through Django's
    test client for the district authority, the biggest core enterprise, the first bank (head office and its
    branches) and the authority with a debtor filter, the page for the authority, and the selector alone: p50/p95
    over `--requests` after two warm-up requests; and once, the same overview aggregated from the fact tables
    without stored months. `--plans` adds EXPLAIN ANALYZE of each query of the authority's (warm) overview.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import threading
import time
from collections import Counter
from decimal import Decimal
from typing import Any

from bench import machine, percentiles, timed_ms
from bench.supplychain_data import TZ, bench_user, setup

BULK = 10_000
ATTEMPTS = 200
CONNECTIONS = 50
REQUESTS = 20
WARMUP = 2
API = "/api/v1/supplychain/overview/"
PAGE = "/supplychain/overview/"


# ---- (a) bulk confirmation -------------------------------------------------------------------------------------


def _pending_receivables(debtor_id: int, count: int, tag: str) -> list[int]:
    """Write `count` receivables pending confirmation on the debtor (from its suppliers); their ids."""
    from django.db import connection, transaction
    from django.utils import timezone

    from bench.supplychain_data import tables

    table = tables()["receivable"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT creditor_id FROM supplychain_receivable WHERE debtor_id = %s LIMIT 300", [debtor_id]
        )
        creditors = [row[0] for row in cursor.fetchall()]
    now = timezone.now()
    today = timezone.localdate()
    stamp = int(time.time())
    ids = []
    with transaction.atomic():
        table.start()
        for n in range(count):
            ids.append(
                table.add(
                    creditor_id=creditors[n % len(creditors)],
                    debtor_id=debtor_id,
                    invoice_code="440326" + f"{stamp % 10_000:04d}",
                    invoice_number=f"{n:08d}",
                    amount=Decimal("10000.00") + n,
                    issued_on=today,
                    due_on=today + datetime.timedelta(days=90),
                    contract_reference=f"{tag}-{stamp}-{n}",
                    description="",
                    status="pending",
                    source="creditor",
                    is_overdue=False,
                    created_at=now,
                    updated_at=now,
                )
            )
        table.flush()
        table.reset_sequence()
    return ids


def bulk_confirmation(count: int = BULK) -> dict[str, Any]:
    from finbridge.supplychain.models import Receivable
    from finbridge.supplychain.services.confirmation import receivable_confirm_bulk

    user = bench_user("bulk")
    debtor_id = user.memberships.get().organization_id
    ids = _pending_receivables(debtor_id, count, "BENCH-BULK")
    elapsed_ms, confirmed = timed_ms(lambda: receivable_confirm_bulk(actor=user, ids=ids))
    still_pending = Receivable.objects.filter(pk__in=ids).exclude(status="confirmed").count()
    assert confirmed == count and still_pending == 0, (confirmed, still_pending)
    return {
        "receivables": count,
        "confirmed": confirmed,
        "seconds": round(elapsed_ms / 1000, 2),
        "target_seconds": 10,
        "met": elapsed_ms < 10_000,
    }


# ---- (b) racing acceptances ------------------------------------------------------------------------------------


def _race_receivable(supplier_id: int, debtor_id: int) -> int:
    """A confirmed receivable of the supplier on the debtor, due in 90 days, with its confirmation; its id."""
    from django.utils import timezone

    from finbridge.supplychain.models import Receivable

    now = timezone.now()
    today = timezone.localdate()
    receivable = Receivable.objects.create(
        creditor_id=supplier_id,
        debtor_id=debtor_id,
        invoice_code="",
        invoice_number=f"{int(time.time() * 1000) % 10**20:020d}",
        amount=Decimal("1000000.00"),
        issued_on=today,
        due_on=today + datetime.timedelta(days=90),
        contract_reference=f"BENCH-RACE-{int(time.time())}",
        status="financing_requested",
        confirmed_at=now,
    )
    return receivable.pk


def _offers(receivable_id: int, supplier_id: int, funders: list[int], *, one_request: bool) -> list[int]:
    """Offers made on the receivable by each funder: all on one request, or one request each; their ids."""
    from django.db import transaction
    from django.utils import timezone

    from finbridge.supplychain.models import FinancingOffer, FinancingRequest, FinancingRequestItem

    now = timezone.now()
    face = Decimal("1000000.00")

    def request() -> FinancingRequest:
        created = FinancingRequest.objects.create(
            requester_id=supplier_id,
            status="open",
            face_amount=face,
            amount_requested=face,
            respond_by=timezone.localdate() + datetime.timedelta(days=10),
            created_at=now,
        )
        FinancingRequestItem.objects.create(request=created, receivable_id=receivable_id, amount=face)
        return created

    offers = []
    with transaction.atomic():
        shared = request() if one_request else None
        for funder in funders:
            offers.append(
                FinancingOffer.objects.create(
                    request=shared or request(),
                    funder_id=funder,
                    status="offered",
                    advance_amount=Decimal("800000.00"),
                    advance_ratio=Decimal("0.800000"),
                    annual_rate=Decimal("0.045000"),
                    fees=Decimal("0.00"),
                    term_days=90,
                    registration_kind="pledge",
                    answered_at=now,
                    created_at=now,
                ).pk
            )
    return offers


def _race(offer_ids: list[int], connections_at_once: int) -> dict[str, Any]:
    from django.db import connections

    from finbridge.core.errors import DomainError
    from finbridge.supplychain.services.financing import financing_offer_accept

    user_id = bench_user("supplier").pk
    barrier = threading.Barrier(len(offer_ids))
    slots = threading.BoundedSemaphore(connections_at_once)
    outcomes: list[str] = [""] * len(offer_ids)
    finished: list[float] = [0.0] * len(offer_ids)

    def attempt(index: int, offer_id: int) -> None:
        from finbridge.accounts.models import User

        barrier.wait()
        with slots:
            try:
                actor = User.objects.get(pk=user_id)
                registrations = financing_offer_accept(actor=actor, pk=offer_id)
                outcomes[index] = f"won:{len(registrations)}"
            except DomainError as error:
                outcomes[index] = error.code
            except Exception as error:  # reported, and fails the assertion below
                outcomes[index] = f"error:{type(error).__name__}:{error}"[:200]
            finally:
                finished[index] = time.perf_counter()
                connections.close_all()

    threads = [threading.Thread(target=attempt, args=(i, pk)) for i, pk in enumerate(offer_ids)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"outcomes": outcomes, "seconds": round(max(finished) - started, 2)}


def race(attempts: int = ATTEMPTS, connections_at_once: int = CONNECTIONS) -> dict[str, Any]:
    from finbridge.accounts.models import Organization
    from finbridge.supplychain.models import Registration

    supplier = bench_user("supplier").memberships.get().organization_id
    debtor = Organization.objects.filter(name__startswith="基准核心企业").order_by("pk").values_list("pk", flat=True)[2]
    funders = list(
        Organization.objects.filter(name__startswith="基准银行").order_by("pk").values_list("pk", flat=True)[:attempts]
    )
    assert len(funders) == attempts, f"only {len(funders)} funders"
    results = {}
    for name, one_request in (("one_request", True), ("many_requests", False)):
        receivable = _race_receivable(supplier, debtor)
        offers = _offers(receivable, supplier, funders, one_request=one_request)
        run = _race(offers, connections_at_once)
        outcomes = Counter("won" if outcome.startswith("won") else outcome for outcome in run["outcomes"])
        registrations = Registration.objects.filter(root_receivable_id=receivable)
        winners = outcomes.get("won", 0)
        results[name] = {
            "attempts": attempts,
            "winners": winners,
            "registrations": registrations.count(),
            "active_registrations": registrations.filter(status="active").count(),
            "outcomes": dict(outcomes),
            "seconds": run["seconds"],
            "exactly_one_winner": winners == 1 and registrations.count() == 1,
        }
        assert results[name]["exactly_one_winner"], results[name]
    results["connections_at_once"] = connections_at_once
    return results


# ---- (c) the overview ------------------------------------------------------------------------------------------


def _measure(action: Any, requests: int) -> dict[str, float]:
    for _ in range(WARMUP):
        action()
    return percentiles([timed_ms(action)[0] for _ in range(requests)])


def _authority_overview(stored: bool = True) -> Any:
    from finbridge.analytics.selectors import default_period
    from finbridge.supplychain.selectors import overview as selector

    viewpoint = selector.overview_viewpoints(actor=bench_user("authority"))[0]
    return selector.compute_overview(period=default_period(), viewpoint=viewpoint, stored_months=stored)


def overview(requests: int = REQUESTS) -> dict[str, Any]:
    from django.test import Client
    from rest_framework.test import APIClient

    from finbridge.supplychain.models import Receivable
    from finbridge.supplychain.selectors import overview_months

    figures: dict[str, Any] = {"stored_months_available": overview_months.stored_months_available()}
    overview_months.overview_months_reset()
    cold_ms, _result = timed_ms(_authority_overview)  # computes and stores the closed months of the year
    figures["cold_selector_authority_ms"] = round(cold_ms, 1)
    figures["months_stored"] = (
        len(overview_months.OverviewMonthState.objects.all()) if figures["stored_months_available"] else 0
    )
    figures["stored_rows"] = overview_months.OverviewMonth.objects.count() if figures["stored_months_available"] else 0
    biggest_core = bench_user("core").memberships.get().organization_id
    for role, params in (
        ("authority", {}),
        ("core", {}),
        ("bank", {}),
        ("authority_one_debtor", {"debtor": biggest_core}),
    ):
        client = APIClient()
        client.force_authenticate(bench_user(role.split("_")[0]))

        def get(client: Any = client, params: dict[str, Any] = params) -> Any:
            response = client.get(API, params)
            assert response.status_code == 200, response.content[:300]
            return response

        body = get().json()
        totals = body["totals"]
        figures[f"api_{role}"] = {
            **_measure(get, requests),
            "confirmed_count": totals["confirmed_count"],
            "requested_count": totals["requested_count"],
            "financed_count": totals["financed_count"],
            "settled_count": totals["settled_count"],
            "overdue_count": totals["overdue_count"],
            "debtors": len(body["by_debtor"]) + body["other_debtors_count"],
            "funders": len(body["by_funder"]) + body["other_funders_count"],
        }
    page = Client()
    page.force_login(bench_user("authority"))

    def get_page() -> None:
        response = page.get(PAGE)
        assert response.status_code == 200, response.content[:300]

    figures["page_authority"] = _measure(get_page, requests)
    figures["selector_authority"] = _measure(_authority_overview, requests)
    direct_ms, _result = timed_ms(lambda: _authority_overview(stored=False))
    figures["direct_selector_authority_ms"] = round(direct_ms, 1)  # every month from the fact tables, once
    figures["period"] = body["period"]
    figures["receivables_in_database"] = Receivable.objects.count()
    return figures


def plans() -> dict[str, Any]:
    """EXPLAIN ANALYZE of every query of the authority's overview once its closed months are stored (execution
    time in ms and plan of each)."""
    from django.db import connection, transaction

    from finbridge.supplychain.selectors import overview as selector

    _authority_overview()  # the months are stored
    captured: list[tuple[str, Any]] = []

    def capture(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.lstrip().upper().startswith("SELECT") and "supplychain_" in sql:
            captured.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        _authority_overview()
    result = {}
    with transaction.atomic(), connection.cursor() as cursor:
        selector._tune()  # the settings the overview runs with
        for index, (sql, params) in enumerate(captured):
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
            lines = [row[0] for row in cursor.fetchall()]
            total = next((line for line in reversed(lines) if line.startswith("Execution Time")), "")
            result[f"q{index + 1}"] = {"execution": total, "sql": sql[:300], "plan": lines}
    return result


# ---- run -------------------------------------------------------------------------------------------------------


def run(
    *,
    requests: int = REQUESTS,
    attempts: int = ATTEMPTS,
    connections_at_once: int = CONNECTIONS,
    fresh: bool = False,
    with_plans: bool = False,
) -> dict[str, Any]:
    data = setup(fresh=fresh)
    results: dict[str, Any] = {
        "benchmark": "supplychain",
        "what": "bulk confirmation, racing acceptances on one receivable, the overview at 1,000,000 receivables",
        "data": data,
        "load_average_before": [round(value, 2) for value in os.getloadavg()],
        "bulk_confirm": bulk_confirmation(),
        "race": race(attempts, connections_at_once),
        "overview": overview(requests),
    }
    if with_plans:
        results["overview_plans"] = plans()
    results["machine"] = machine()
    results["measured_at"] = datetime.datetime.now(TZ).isoformat(timespec="seconds")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=REQUESTS)
    parser.add_argument("--attempts", type=int, default=ATTEMPTS)
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    parser.add_argument("--fresh", action="store_true", help="drop and reload the supply-chain benchmark database")
    parser.add_argument("--plans", action="store_true", help="add EXPLAIN ANALYZE of the overview's queries")
    args = parser.parse_args()
    figures = run(
        requests=args.requests,
        attempts=args.attempts,
        connections_at_once=args.connections,
        fresh=args.fresh,
        with_plans=args.plans,
    )
    print(json.dumps(figures, ensure_ascii=False, indent=2, default=str))


if __name__ == "__main__":
    main()
