"""Matching at city scale on PostgreSQL: computing matches, and reading a demand's matches and an inbox.

On the benchmark database (a million enterprises, bench.ensure_demo_data) with the financing data of
bench.financing_data (5,000 products, 200,000 published demands), for each stage of the data (10 %, 50 % and
100 % of the products and demands published, the rest drafts):

- rebuild: every open demand's matches computed from scratch (services.matching.matches_rebuild), timed;
  the matches of a stage are kept and reused by later runs (`--rematch` recomputes them);
- product re-match: product_match_refresh of a few products (one product against every open demand), timed;
- demand re-match: demand_match_refresh of random demands (one demand against every product), p50/p95;
- GET /api/v1/demands/{id}/matches/ (first page) as the district authority (every product's match) and as a
  bank branch (its own products' matches, on demands shown to it), p50/p95;
- GET /api/v1/inbox/ (first page) as two bank branches, unfiltered and filtered, p50/p95.

Requests go through Django's test client in this process (middleware, token authentication, DRF, selector,
capped count, serializer with translated reasons, JSON), as bench.enterprise_list does.

    python -m bench.financing_match [--requests 200] [--stages 10,50,100] [--rematch]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from typing import Any

from bench import ensure_demo_data, machine, percentiles, prepare_database, timed_ms

STAGES = (10, 50, 100)
REQUESTS = 200
WARMUP = 20
PRODUCT_REMATCHES = 5
DEMAND_REMATCHES = 50
INBOX_USERS = ("bank_staff", "scitech_branch_staff")
MATCH_USERS = ("authority_admin", "bank_staff")
MARKER = "finbridge-bench-matching-stage="


def _client_for(username: str) -> Any:
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from finbridge.accounts.models import User

    token, _created = Token.objects.get_or_create(user=User.objects.get(username=username))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _marker() -> str:
    from django.db import connection

    from finbridge.financing.models import DemandMatch

    with connection.cursor() as cursor:
        cursor.execute("SELECT obj_description(%s::regclass, 'pg_class')", [DemandMatch._meta.db_table])
        return cursor.fetchone()[0] or ""


def _set_marker(percent: int) -> None:
    from django.db import connection

    from finbridge.financing.models import DemandMatch

    with connection.cursor() as cursor:
        cursor.execute(f"COMMENT ON TABLE {DemandMatch._meta.db_table} IS '{MARKER}{int(percent)}'")


def ensure_matches(percent: int, *, force: bool = False) -> dict[str, Any]:
    """Every open demand's matches at this stage: reused when already computed for it, else rebuilt (timed)."""
    from django.db import connection

    from finbridge.financing.models import DemandMatch
    from finbridge.financing.services.matching import matches_rebuild

    if not force and _marker() == f"{MARKER}{percent}":
        return {"reused": True, "seconds": None}
    table = DemandMatch._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table}")
        cursor.execute(f"COMMENT ON TABLE {table} IS NULL")
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if done % 10_000 < 500 or done == total:
            elapsed = time.perf_counter() - started
            print(f"  matches of {done:,} / {total:,} demands computed ({elapsed:.0f} s)", file=sys.stderr, flush=True)

    kept = matches_rebuild(progress=progress)
    seconds = round(time.perf_counter() - started, 1)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {table}")
    _set_marker(percent)
    return {"reused": False, "seconds": seconds, "matches_written": kept}


def match_figures() -> dict[str, Any]:
    """How many matches there are, per demand, and the table's size."""
    from django.db import connection
    from django.db.models import Count

    from finbridge.financing.models import DemandMatch

    fits = DemandMatch.objects.filter(fits=True).count()
    near = DemandMatch.objects.filter(fits=False).count()
    per_demand = list(DemandMatch.objects.values("demand_id").annotate(n=Count("id")).values_list("n", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size(%s)", [DemandMatch._meta.db_table])
        size = cursor.fetchone()[0]
    return {
        "fits": fits,
        "near_misses": near,
        "demands_with_matches": len(per_demand),
        "median_matches_per_demand": statistics.median(per_demand) if per_demand else 0,
        "table_and_indexes_mb": round(size / 1024 / 1024),
    }


def _published_ids(model: Any, **filters: Any) -> list[int]:
    return list(model.objects.filter(status="published", **filters).order_by("pk").values_list("pk", flat=True))


def product_rematch(rng: random.Random) -> dict[str, Any]:
    """product_match_refresh of a few published products: seconds and matches of each."""
    from finbridge.financing.models import DemandMatch, Product
    from finbridge.financing.services.matching import product_match_refresh

    ids = _published_ids(Product)
    picked = rng.sample(ids, min(PRODUCT_REMATCHES, len(ids)))
    runs = []
    for product_id in picked:
        elapsed, count = timed_ms(lambda product_id=product_id: product_match_refresh(product_id=product_id))
        runs.append(
            {
                "product": product_id,
                "seconds": round(elapsed / 1000, 2),
                "matches": count,
                "fits": DemandMatch.objects.filter(product_id=product_id, fits=True).count(),
            }
        )
    return {"runs": runs, "median_seconds": statistics.median(r["seconds"] for r in runs) if runs else None}


def demand_rematch(rng: random.Random) -> dict[str, Any]:
    from finbridge.financing.models import Demand
    from finbridge.financing.services.matching import demand_match_refresh

    ids = _published_ids(Demand)
    samples = [
        timed_ms(lambda pk=pk: demand_match_refresh(demand_id=pk))[0] for pk in rng.sample(ids, DEMAND_REMATCHES)
    ]
    return percentiles(samples)


def _measure(client: Any, urls: list[str], requests: int) -> dict[str, Any]:
    samples: list[float] = []
    sizes: list[int] = []
    for index in range(WARMUP + requests):
        url = urls[index % len(urls)]
        elapsed, response = timed_ms(lambda url=url: client.get(url))
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.content[:300]!r}")
        if index >= WARMUP:
            samples.append(elapsed)
            sizes.append(len(response.json()["results"]))
    return {**percentiles(samples), "distinct_urls": len(urls), "median_results": statistics.median(sizes)}


def demand_matches_api(rng: random.Random, requests: int) -> dict[str, Any]:
    from finbridge.financing.models import Demand

    everyone = rng.sample(_published_ids(Demand), requests)
    shown_to_all = rng.sample(_published_ids(Demand, visibility="all"), requests)
    inputs = {"authority_admin": everyone, "bank_staff": shown_to_all}
    return {
        username: _measure(
            _client_for(username), [f"/api/v1/demands/{pk}/matches/" for pk in inputs[username]], requests
        )
        for username in MATCH_USERS
    }


def inbox_api(requests: int) -> dict[str, Any]:
    from finbridge.accounts.models import User
    from finbridge.financing.models import Product

    results: dict[str, Any] = {}
    for username in INBOX_USERS:
        client = _client_for(username)
        user = User.objects.get(username=username)
        org_ids = [m.organization_id for m in user.memberships.all()]
        product = Product.objects.filter(provider_id__in=org_ids, status="published").order_by("pk").first()
        variants = {
            "first_page": ["/api/v1/inbox/"],
            "fast_track": ["/api/v1/inbox/?fast_track=true"],
            "overdue": ["/api/v1/inbox/?overdue=true"],
        }
        if product is not None:
            variants["one_product"] = [f"/api/v1/inbox/?product={product.pk}"]
        counts = {name: client.get(urls[0]).json()["count"] for name, urls in variants.items()}
        results[username] = {
            name: {**_measure(client, urls, requests), "count": counts[name]} for name, urls in variants.items()
        }
    return results


def run(*, requests: int = REQUESTS, stages: tuple[int, ...] = STAGES, rematch: bool = False) -> dict[str, Any]:
    from bench.financing_data import ensure_financing_data, set_stage

    prepare_database()
    registry = ensure_demo_data()
    financing = ensure_financing_data()
    rng = random.Random(4754)
    results: dict[str, Any] = {}
    for percent in stages:
        stage = set_stage(percent)
        rebuild = ensure_matches(percent, force=rematch)
        results[f"{percent}%"] = {
            **stage,
            "rebuild": rebuild,
            "matches": match_figures(),
            "product_rematch": product_rematch(rng),
            "demand_rematch_ms": demand_rematch(rng),
            "demand_matches_api": demand_matches_api(rng, requests),
            "inbox_api": inbox_api(requests),
        }
    return {
        "benchmark": "financing_match",
        "transport": "Django test client, in process (no network, no WSGI server)",
        "data": {"registry": registry, "financing": financing},
        "warmup_requests": WARMUP,
        "stages": results,
        "machine": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=REQUESTS)
    parser.add_argument("--stages", default=",".join(str(s) for s in STAGES), help="percentages, e.g. 10,50,100")
    parser.add_argument("--rematch", action="store_true", help="recompute the matches even when already there")
    args = parser.parse_args()
    stages = tuple(int(s) for s in args.stages.split(",") if s.strip())
    figures = run(requests=args.requests, stages=stages, rematch=args.rematch)
    print(json.dumps(figures, ensure_ascii=False, indent=2, default=str))


if __name__ == "__main__":
    main()
