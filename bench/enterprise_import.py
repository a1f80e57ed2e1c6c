"""Time to import a 100,000-row .xlsx enterprise list through the import service, on PostgreSQL.

The file is generated here (every column of the template, Chinese names and addresses, valid credit
codes that are not yet in the database) and imported by the district authority with
`enterprise_import(dry_run=False)`, the same service the page and the API call: validation, the
create-or-update step, audit events and record history for every row. The same file is then imported a
second time (every row unchanged). Afterwards the imported enterprises, their history, their audit events
and the import runs are deleted, so that the benchmark database returns to its million demo enterprises.

    python -m bench.enterprise_import [--rows 100000] [--fresh]
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import tempfile
import time
from typing import Any

from bench import ensure_demo_data, machine, prepare_database

ROWS = 100_000
FIRST_NUMBER = 900_000_000  # credit codes valid_uscc(900000000 + i): never used by the demo data


def build_rows(count: int) -> list[list[Any]]:
    """`count` rows in ENTERPRISE_FIELDS order, drawn deterministically from the demo tables."""
    from finbridge.enterprises.demo import valid_uscc
    from finbridge.enterprises.demo_data import BRAND_CHARS, INDUSTRIES, NAME_WORDS, SUBDISTRICTS

    rng = random.Random(100_000)
    chars = [c for c, _pinyin in BRAND_CHARS]
    rows = []
    for i in range(count):
        industry = rng.choice(INDUSTRIES)
        word_zh, word_en = rng.choice(NAME_WORDS[industry.words])
        brand = rng.choice(chars) + rng.choice(chars) + rng.choice(chars)
        code, subdistrict_zh, _en, _weight = rng.choice(SUBDISTRICTS)
        employees = rng.randint(3, 900)
        revenue = rng.randint(50, 300_000) * 1000
        rows.append(
            [
                valid_uscc(FIRST_NUMBER + i),
                f"深圳市{brand}{word_zh}有限公司",
                f"Shenzhen Import {i} {word_en} Co., Ltd.",
                rng.choice("王李张刘陈杨黄赵吴周") + rng.choice("伟芳娜敏静磊洋艳勇军"),
                (datetime.date(2000, 1, 1) + datetime.timedelta(days=rng.randint(0, 9000))).isoformat(),
                f"{rng.choice([100, 500, 1000, 3000]) * 10000}.00",
                f"广东省深圳市坪山区{subdistrict_zh}街道{rng.randint(1, 300)}号",
                code,
                industry.code,
                ";".join(industry.clusters) if industry.clusters else "",
                employees,
                f"{revenue}.00",
                f"{revenue * rng.randint(5, 15) // 10}.00",
                rng.choice(["是", "否", "否", "否"]),
                rng.choice(["yes", "no", "no"]),
                "否",
                "N",
                rng.randint(0, 40),
                "否",
            ]
        )
    return rows


def build_file(rows: list[list[Any]]) -> bytes:
    from finbridge.enterprises.import_files import write_xlsx_rows
    from finbridge.enterprises.validation import ENTERPRISE_FIELDS

    return write_xlsx_rows("enterprises", list(ENTERPRISE_FIELDS), rows)


def _import(actor: Any, organization: Any, content: bytes) -> tuple[float, Any]:
    from finbridge.enterprises.services.importing import enterprise_import

    started = time.perf_counter()
    run = enterprise_import(
        actor=actor, organization=organization, file_name="bench-100k.xlsx", content=content, dry_run=False
    )
    return round(time.perf_counter() - started, 1), run


def _clean_up(codes: list[str], run_ids: list[int]) -> None:
    """Delete what the imports created: enterprises (with their rows), history, audit events, runs."""
    from django.apps import apps
    from django.db import transaction

    from finbridge.audit.models import AuditEvent
    from finbridge.enterprises.models import Enterprise, ImportRun

    with transaction.atomic():
        ids = [str(pk) for pk in Enterprise.objects.filter(uscc__in=codes).values_list("id", flat=True)]
        AuditEvent.objects.filter(object_type="enterprises.enterprise", object_id__in=ids).delete()
        AuditEvent.objects.filter(object_type="enterprises.importrun", object_id__in=[str(i) for i in run_ids]).delete()
        Enterprise.objects.filter(uscc__in=codes).delete()
        # after the delete, which itself records "deleted" history rows
        history = Enterprise.history.filter(uscc__in=codes)
        cluster_history = apps.get_model("enterprises", "HistoricalEnterprise_clusters")
        cluster_history.objects.filter(history_id__in=history.values("history_id")).delete()
        history.delete()
        ImportRun.objects.filter(pk__in=run_ids).delete()


def run(*, rows: int = ROWS, fresh: bool = False) -> dict[str, Any]:
    prepare_database(fresh=fresh)
    data = ensure_demo_data()

    from django.test import override_settings

    from finbridge.accounts.models import Membership

    membership = Membership.objects.select_related("user", "organization").get(user__username="authority_admin")
    table = build_rows(rows)
    started = time.perf_counter()
    content = build_file(table)
    build_seconds = round(time.perf_counter() - started, 1)
    codes = [row[0] for row in table]
    run_ids: list[int] = []
    try:
        with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
            first_seconds, first = _import(membership.user, membership.organization, content)
            run_ids.append(first.pk)
            second_seconds, second = _import(membership.user, membership.organization, content)
            run_ids.append(second.pk)
    finally:
        _clean_up(codes, run_ids)
    return {
        "benchmark": "enterprise_import",
        "service": "finbridge.enterprises.services.importing.enterprise_import (dry_run=False), district authority",
        "data": data,
        "rows": rows,
        "file_megabytes": round(len(content) / 1024 / 1024, 1),
        "file_build_seconds": build_seconds,
        "first_import": {
            "seconds": first_seconds,
            "created": first.rows_created,
            "updated": first.rows_updated,
            "unchanged": first.rows_unchanged,
            "rejected": first.rows_rejected,
        },
        "repeat_import": {
            "seconds": second_seconds,
            "created": second.rows_created,
            "updated": second.rows_updated,
            "unchanged": second.rows_unchanged,
            "rejected": second.rows_rejected,
        },
        "machine": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--fresh", action="store_true", help="drop and re-seed the benchmark database")
    args = parser.parse_args()
    print(json.dumps(run(rows=args.rows, fresh=args.fresh), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
