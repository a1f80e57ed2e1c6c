"""Latency of the enterprise list API (/api/v1/enterprises/) at a million enterprises, on PostgreSQL.

Requests go through Django's test client in this process: the whole stack (middleware, token
authentication, DRF view, selector, capped-count pagination, serializer, JSON) without a network hop or
a WSGI server. Each scenario is measured as the district authority (sees everything) and as a bank
branch's staff (sees only enterprises that granted the bank consent), with `WARMUP` untimed requests and
then `REQUESTS` timed ones, rotating over a fixed list of inputs so that not every request hits the same
rows.

Scenarios: a Chinese name fragment (two characters: common, mid-frequency, clustered in name order, rare;
three characters), a credit-code lookup, and a filtered list (subdistrict + size class + label). The
scenarios are measured again with the changes proposed in docs/performance.md patched in (VARIANTS:
name searches newest first, a count cap of 1,000, both).

    python -m bench.enterprise_list [--requests 200] [--fresh]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
from collections.abc import Iterator
from typing import Any
from unittest import mock

from bench import ensure_demo_data, machine, percentiles, prepare_database, timed_ms

URL = "/api/v1/enterprises/"
WARMUP = 20
REQUESTS = 200
TIME_BUDGET_MS = 60_000
MIN_SAMPLES = 40
ACTORS = ("authority_admin", "bank_staff")
COMMON_FRAGMENTS = ("科技", "电子", "有限", "汽车", "深圳")  # each in 7% to 100% of the names
MID_FRAGMENTS = ("新能", "医药", "信息", "贸易", "材料", "微电", "光电", "生物", "软件", "机械")  # 1% to 5%
CLUSTERED_FRAGMENTS = ("坪山",)  # 35%, and all at one place in name order (深圳市坪山…)


def _rare_fragments(rng: random.Random) -> list[str]:
    """Two-character trade-name fragments (each matches some dozens of names in a million)."""
    from finbridge.enterprises.demo_data import BRAND_CHARS

    chars = [c for c, _pinyin in BRAND_CHARS]
    return [rng.choice(chars) + rng.choice(chars) for _ in range(40)]


def _three_char_fragments(rng: random.Random) -> list[str]:
    """Trade name plus the first character of the business word, e.g. 鑫达科."""
    from finbridge.enterprises.demo_data import BRAND_CHARS, NAME_WORDS

    chars = [c for c, _pinyin in BRAND_CHARS]
    words = [zh for group in NAME_WORDS.values() for zh, _en in group]
    return [rng.choice(chars) + rng.choice(chars) + rng.choice(words)[0] for _ in range(40)]


def _credit_codes(rng: random.Random) -> list[str]:
    from finbridge.enterprises.models import Enterprise

    top = Enterprise.objects.order_by("-id").values_list("id", flat=True).first() or 1
    ids = [rng.randint(1, top) for _ in range(REQUESTS)]
    return list(Enterprise.objects.filter(id__in=ids).values_list("uscc", flat=True))


def _filter_combinations() -> list[dict[str, str]]:
    from finbridge.enterprises.choices import SizeClass, TechLabel
    from finbridge.reference.models import Subdistrict

    codes = list(Subdistrict.objects.order_by("code").values_list("code", flat=True))
    return [
        {"subdistrict": code, "size_class": size, "label": label}
        for code in codes
        for size in SizeClass.values
        for label in (TechLabel.HIGH_TECH, TechLabel.TECH_SME, TechLabel.SRDI)
    ]


def scenarios() -> dict[str, list[dict[str, str]]]:
    rng = random.Random(4754)
    return {
        "name_2_chars_common": [{"q": q} for q in COMMON_FRAGMENTS],
        "name_2_chars_mid": [{"q": q} for q in MID_FRAGMENTS],
        "name_2_chars_clustered": [{"q": q} for q in CLUSTERED_FRAGMENTS],
        "name_2_chars_rare": [{"q": q} for q in _rare_fragments(rng)],
        "name_3_chars": [{"q": q} for q in _three_char_fragments(rng)],
        "credit_code": [{"q": code} for code in _credit_codes(rng)],
        "filtered_list": _filter_combinations(),
    }


def _client_for(username: str) -> Any:
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from finbridge.accounts.models import User

    token, _created = Token.objects.get_or_create(user=User.objects.get(username=username))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def measure(client: Any, inputs: list[dict[str, str]], requests: int) -> dict[str, Any]:
    """Latency percentiles over `requests` timed calls (after WARMUP untimed ones), plus result sizes.

    A scenario stops early once its timed calls have taken TIME_BUDGET_MS (and at least MIN_SAMPLES
    were made), so that a pathological one does not take hours; `samples` in the result says how many.
    """
    samples: list[float] = []
    counts, capped = [], 0
    for index in range(WARMUP + requests):
        params = inputs[index % len(inputs)]
        elapsed, response = timed_ms(lambda params=params: client.get(URL, params))
        if response.status_code != 200:
            raise SystemExit(f"{URL} {params} answered {response.status_code}: {response.content[:300]!r}")
        if index >= WARMUP:
            body = response.json()
            samples.append(elapsed)
            counts.append(body["count"])
            capped += bool(body.get("count_capped"))
            if sum(samples) > TIME_BUDGET_MS and len(samples) >= MIN_SAMPLES:
                break
    counts.sort()
    return {
        **percentiles(samples),
        "distinct_inputs": len(inputs),
        "median_count": counts[len(counts) // 2],
        "requests_with_capped_count": capped,
    }


@contextlib.contextmanager
def variant(*, newest_first: bool = False, count_cap: int | None = None) -> Iterator[None]:
    """The API with the changes proposed in docs/performance.md patched in: `newest_first` sorts name
    searches without an explicit ordering by descending id instead of by name; `count_cap` lowers the
    capped count of the pagination."""
    from finbridge.core import pagination
    from finbridge.enterprises import selectors

    original_list = selectors.enterprise_list

    def enterprise_list(*, actor: Any, q: str = "", filters: Any = None, ordering: str = "name") -> Any:
        if newest_first and q and ordering == "name" and selectors.as_credit_code(q) is None:
            ordering = "-id"
        return original_list(actor=actor, q=q, filters=filters, ordering=ordering)

    with contextlib.ExitStack() as stack:
        if newest_first:
            stack.enter_context(mock.patch.object(selectors, "enterprise_list", enterprise_list))
            stack.enter_context(mock.patch.dict(selectors.ORDERINGS, {"-id": ("-id",)}))
        if count_cap is not None:
            stack.enter_context(mock.patch.object(pagination, "COUNT_CAP", count_cap))
        yield


VARIANTS = {
    "newest_first": {"newest_first": True},
    "count_cap_1000": {"count_cap": 1000},
    "newest_first_and_count_cap_1000": {"newest_first": True, "count_cap": 1000},
}


def run(*, requests: int = REQUESTS, fresh: bool = False) -> dict[str, Any]:
    prepare_database(fresh=fresh)
    data = ensure_demo_data()
    inputs = scenarios()
    clients = {username: _client_for(username) for username in ACTORS}
    results: dict[str, Any] = {
        username: {name: measure(client, values, requests) for name, values in inputs.items()}
        for username, client in clients.items()
    }
    varied = {name: values for name, values in inputs.items() if name != "credit_code"}
    for name, options in VARIANTS.items():
        with variant(**options):
            results[name] = {
                username: {scenario: measure(client, values, requests) for scenario, values in varied.items()}
                for username, client in clients.items()
            }
    return {
        "benchmark": "enterprise_list",
        "transport": "Django test client, in process (no network, no WSGI server)",
        "data": data,
        "warmup_requests": WARMUP,
        "results": results,
        "machine": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=REQUESTS)
    parser.add_argument("--fresh", action="store_true", help="drop and re-seed the benchmark database")
    args = parser.parse_args()
    print(json.dumps(run(requests=args.requests, fresh=args.fresh), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
