"""Execution times of Chinese name-fragment queries at a million enterprises, from EXPLAIN ANALYZE.

For each fragment: how many names contain it, then the first page (`ORDER BY name, id LIMIT 20`, the
list's default; and `ORDER BY id DESC LIMIT 20`) and the capped count (`count(*)` over `LIMIT 10001`),
once with a plain `LIKE` and once with the condition the selector uses (finbridge/enterprises/search.py:
the bigram condition for two characters, `LIKE` through the trigram index for three or more).

    python -m bench.name_search_plans
"""

from __future__ import annotations

import json
from typing import Any

from bench import ensure_demo_data, machine, prepare_database

FRAGMENTS = ("科技", "有限", "电子", "新能", "医药", "贸易", "坪山", "麒麟", "骏驰", "新能源", "生物医", "麒麟科")
TABLE = "enterprises_enterprise"


def _execution_ms(sql: str, params: list[Any]) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return round(plan[0]["Execution Time"], 1)


def _conditions(fragment: str) -> dict[str, tuple[str, list[Any]]]:
    like = ("name::text LIKE %s", [f"%{fragment}%"])
    selector = ("finbridge_bigrams(name) @> %s::text[]", [[fragment]]) if len(fragment) == 2 else like
    return {"like_only": like, "as_selector": selector}


def measure(fragment: str) -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {TABLE} WHERE name LIKE %s", [f"%{fragment}%"])
        matches = cursor.fetchone()[0]
    result: dict[str, Any] = {"matching_names": matches}
    for label, (condition, params) in _conditions(fragment).items():
        result[label] = {
            "page_by_name_ms": _execution_ms(
                f"SELECT id FROM {TABLE} WHERE {condition} ORDER BY name, id LIMIT 20", params
            ),
            "page_newest_first_ms": _execution_ms(
                f"SELECT id FROM {TABLE} WHERE {condition} ORDER BY id DESC LIMIT 20", params
            ),
            "capped_count_ms": _execution_ms(
                f"SELECT count(*) FROM (SELECT 1 FROM {TABLE} WHERE {condition} LIMIT 10001) s", params
            ),
        }
    return result


def run(*, fresh: bool = False) -> dict[str, Any]:
    prepare_database(fresh=fresh)
    data = ensure_demo_data()
    return {
        "benchmark": "name_search_plans",
        "data": data,
        "fragments": {fragment: measure(fragment) for fragment in FRAGMENTS},
        "machine": machine(),
    }


def main() -> None:
    print(json.dumps(run(), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
