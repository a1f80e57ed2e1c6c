"""Time to import a 100,000-row .xlsx enterprise list through the import service, on PostgreSQL.

The file is generated here (every column of the template, Chinese names and addresses, valid credit
codes that are not yet in the database) and imported by the district authority with
`enterprise_import(dry_run=False)`, the same service the page and the API call: validation, the
create-or-update step, audit events and record history for every row. The same file is then imported a
second time (every row unchanged), and a third time with every row changed (employees + 1, so some size
classes change too: every row is updated, with its history version and audit event). A file this large
goes to the background task, which runs in-process here (CELERY_TASK_ALWAYS_EAGER): each figure is the
whole upload, split into the part a web request does (check the file, count its rows, store it and queue
the run) and the part the worker does. Afterwards the imported enterprises, their history, their audit
events and the import runs are deleted, so that the benchmark database returns to its million demo
enterprises.

    python -m bench.enterprise_import [--rows 100000] [--fresh]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import resource
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


def _import(actor: Any, organization: Any, content: bytes) -> tuple[dict[str, Any], Any]:
    """Import the file as the page or the API would; (figures, the run)."""
    from finbridge.enterprises.services.importing import enterprise_import

    load_before = round(os.getloadavg()[0], 2)
    started = time.perf_counter()
    run = enterprise_import(
        actor=actor, organization=organization, file_name="bench-100k.xlsx", content=content, dry_run=False
    )
    seconds = time.perf_counter() - started
    worker = (run.finished_at - run.started_at).total_seconds() if run.background and run.finished_at else None
    figures = {
        "seconds": round(seconds, 1),
        "request_seconds": round(seconds - worker, 1) if worker is not None else None,
        "worker_seconds": round(worker, 1) if worker is not None else None,
        "background": run.background,
        "status": run.status,
        "created": run.rows_created,
        "updated": run.rows_updated,
        "unchanged": run.rows_unchanged,
        "rejected": run.rows_rejected,
        "load_average_1_min_before_after": [load_before, round(os.getloadavg()[0], 2)],
    }
    return figures, run


def _peak_rss_mib() -> int:
    """The largest resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def changed_rows(rows: list[list[Any]]) -> list[list[Any]]:
    """The same rows with one more employee each."""
    from finbridge.enterprises.validation import ENTERPRISE_FIELDS

    employees = list(ENTERPRISE_FIELDS).index("employees")
    return [[*row[:employees], row[employees] + 1, *row[employees + 1 :]] for row in rows]


def _clean_up(codes: list[str], run_ids: list[int]) -> None:
    """Delete what the imports created: enterprises with their cluster links, their history, their audit
    events, the runs. Plain DELETE statements: the ORM's delete would load every record and write a
    "deleted" history version for each, only for it to be deleted too (minutes at 100,000 records)."""
    from django.apps import apps
    from django.db import connection, transaction

    from finbridge.audit.models import AuditEvent
    from finbridge.enterprises.models import Enterprise, ImportRun

    cluster_history = apps.get_model("enterprises", "HistoricalEnterprise_clusters")
    tables = {
        "enterprise": Enterprise._meta.db_table,
        "links": Enterprise.clusters.through._meta.db_table,
        "history": Enterprise.history.model._meta.db_table,
        "cluster_history": cluster_history._meta.db_table,
        "audit": AuditEvent._meta.db_table,
        "runs": ImportRun._meta.db_table,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {tables['enterprise']} WHERE uscc = ANY(%s)", [codes])
        ids = [pk for (pk,) in cursor.fetchall()]
        cursor.execute(
            f"DELETE FROM {tables['audit']} WHERE (object_type = 'enterprises.enterprise' AND object_id = ANY(%s))"
            " OR (object_type = 'enterprises.importrun' AND object_id = ANY(%s))",
            [[str(pk) for pk in ids], [str(pk) for pk in run_ids]],
        )
        cursor.execute(
            f"DELETE FROM {tables['cluster_history']} WHERE history_id IN "
            f"(SELECT history_id FROM {tables['history']} WHERE id = ANY(%s))",
            [ids],
        )
        cursor.execute(f"DELETE FROM {tables['history']} WHERE id = ANY(%s)", [ids])
        cursor.execute(f"DELETE FROM {tables['links']} WHERE enterprise_id = ANY(%s)", [ids])
        cursor.execute(f"DELETE FROM {tables['enterprise']} WHERE id = ANY(%s)", [ids])
        cursor.execute(f"DELETE FROM {tables['runs']} WHERE id = ANY(%s)", [run_ids])


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
    changed_content = build_file(changed_rows(table))
    peak_before_imports = _peak_rss_mib()
    codes = [row[0] for row in table]
    run_ids: list[int] = []
    try:
        with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
            first, run = _import(membership.user, membership.organization, content)
            run_ids.append(run.pk)
            second, run = _import(membership.user, membership.organization, content)
            run_ids.append(run.pk)
            third, run = _import(membership.user, membership.organization, changed_content)
            run_ids.append(run.pk)
    finally:
        _clean_up(codes, run_ids)
    return {
        "benchmark": "enterprise_import",
        "service": "finbridge.enterprises.services.importing.enterprise_import (dry_run=False), district authority",
        "data": data,
        "rows": rows,
        "file_megabytes": round(len(content) / 1024 / 1024, 1),
        "file_build_seconds": build_seconds,
        "first_import": first,
        "repeat_import": second,
        "changed_import": third,
        "peak_rss_mib": {"after_building_the_files": peak_before_imports, "after_the_imports": _peak_rss_mib()},
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
