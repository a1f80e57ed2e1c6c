"""Benchmark data for the loans ledger: up to 2,000,000 loans with their latest monthly status, on PostgreSQL.

    python -m bench.loans_data [--loans 2000000]

Adds (or removes) loans marked by the contract-number prefix BENCH- until the benchmark database holds exactly
`--loans` of them, written with COPY. Runs on the seeded benchmark database (bench.ensure_demo_data: a million
enterprises); never drops anything else.

The ledger is a city's three years: lenders are the demo banks plus BENCH_BANKS generated banks, each a head
office with two branches, every other one also a sci-tech branch (so about 100 lending offices of 26 banks).
Loans are disbursed uniformly over the 36 months up to today, in random order (so the first N loans by id are a
uniform sample of any size: removing the newest keeps the mix); terms of 6 to 36 months, amounts log-uniform
from 100,000 to 20,000,000 CNY, rates from 2.8% to 6%. Flags: first-time 15%, renewal 25% (two in five without
repaying principal), credit 35%; the technology flag follows the borrower's labels. The inclusive flag is derived
as the service derives it when a borrower has no other loan (micro or small, amount at most 10 million).
Each loan carries one status report, its latest: the current month (or its maturity month once matured), with a
balance that amortises linearly for half the loans and is repaid at maturity for the other half; 3% are
special mention and 3% non-performing; matured loans are repaid (balance 0) except 3% left overdue.
When the database holds published demands, one loan in twenty funds one of them (its borrower is the demand's
firm and it is disbursed 3 to 60 days after the demand was published), so the median days to money has data.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import random
import time
from typing import Any

from bench import ensure_demo_data, prepare_database

TARGET = 2_000_000
CHUNK = 100_000
PREFIX = "BENCH-"
BENCH_BANKS = 24
SEED = 20260301
TERMS = ((6, 10), (12, 55), (24, 20), (36, 15))
CLASSIFICATIONS_NPL = ("substandard", "doubtful", "loss")


def _repair_schema() -> list[str]:
    """Add the ledger's columns and indexes the benchmark database lacks.

    The benchmark database keeps its data across runs while, before the first release, the financing app
    regenerates its single initial migration: columns added since the database was migrated are added here
    with Django's schema editor (the same DDL a migration would run). Returns what was added.
    """
    from django.db import connection

    from finbridge.financing.models import Loan, LoanImportRun, LoanStatusReport

    added = []
    with connection.schema_editor() as editor:
        for model in (Loan, LoanStatusReport, LoanImportRun):
            with connection.cursor() as cursor:
                columns = {c.name for c in connection.introspection.get_table_description(cursor, model._meta.db_table)}
                constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
            for field in model._meta.local_concrete_fields:
                if field.column not in columns:
                    editor.add_field(model, field)
                    added.append(f"{model._meta.db_table}.{field.column}")
            for index in model._meta.indexes:
                if index.name not in constraints:
                    editor.add_index(model, index)
                    added.append(f"index {index.name}")
    with connection.cursor() as cursor:  # days from demand to money, for loans written before the column existed
        cursor.execute(
            "UPDATE financing_loan lo SET days_from_demand = lo.disbursed_on"
            " - (d.published_at AT TIME ZONE 'Asia/Shanghai')::date FROM financing_demand d"
            " WHERE d.id = lo.demand_id AND lo.days_from_demand IS NULL AND d.published_at IS NOT NULL"
        )
        if cursor.rowcount:
            added.append(f"days_from_demand of {cursor.rowcount} loans")
    return added


def _banks() -> list[tuple[int, int, str]]:
    """(office id, bank id, tier) of every lending office, creating the generated banks on first use."""
    from finbridge.accounts.choices import BankTier, OrgType
    from finbridge.accounts.models import Organization

    existing = set(Organization.objects.filter(name__startswith="基准银行").values_list("name", flat=True))
    for number in range(1, BENCH_BANKS + 1):
        name = f"基准银行{number:02d}股份有限公司"
        if name in existing:
            continue
        head = Organization.objects.create(
            name=name, name_en=f"Benchmark Bank {number:02d}", org_type=OrgType.BANK, bank_tier=BankTier.HEAD_OFFICE
        )
        for suffix, suffix_en, tier in (
            ("坪山支行", "Pingshan Branch", BankTier.BRANCH),
            ("坑梓支行", "Kengzi Branch", BankTier.BRANCH),
        ):
            Organization.objects.create(
                name=f"基准银行{number:02d}{suffix}",
                name_en=f"Benchmark Bank {number:02d} {suffix_en}",
                org_type=OrgType.BANK,
                bank_tier=tier,
                parent=head,
            )
        if number % 2:
            Organization.objects.create(
                name=f"基准银行{number:02d}坪山科技支行",
                name_en=f"Benchmark Bank {number:02d} Pingshan Sci-Tech Branch",
                org_type=OrgType.BANK,
                bank_tier=BankTier.SCITECH_BRANCH,
                parent=head,
            )
    from django.db import connection

    with connection.cursor() as cursor:  # planner statistics that count the offices just created
        cursor.execute("ANALYZE accounts_organization")
    offices = Organization.objects.filter(org_type=OrgType.BANK, is_active=True).values_list(
        "id", "parent_id", "bank_tier"
    )
    return [(pk, parent or pk, tier) for pk, parent, tier in offices]


def _borrowers() -> tuple[list[int], list[str], list[bool]]:
    """Ids, size classes and technology flags of the enterprises that borrow (about 60% of them)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, size_class, (is_high_tech OR is_tech_sme OR is_srdi OR is_little_giant)"
            " FROM enterprises_enterprise WHERE id % 5 <> 0 AND id % 7 <> 0 ORDER BY id"
        )
        rows = cursor.fetchall()
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]


def _published_demands(limit: int) -> list[tuple[int, int, datetime.date]]:
    """(demand id, enterprise id, local publication date) of up to `limit` published demands."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, enterprise_id, (published_at AT TIME ZONE 'Asia/Shanghai')::date FROM financing_demand"
            " WHERE published_at IS NOT NULL ORDER BY random() LIMIT %s",
            [limit],
        )
        return cursor.fetchall()


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    last = [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return datetime.date(year, month, min(day.day, last[month - 1]))


def _months_between(earlier: datetime.date, later: datetime.date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


class _Generator:
    def __init__(self, seed: int) -> None:
        from django.utils import timezone

        self.rng = random.Random(seed)
        self.today = timezone.localdate()
        self.month = self.today.replace(day=1)
        self.first_day = _add_months(self.today, -36)
        self.span = (self.today - self.first_day).days
        self.now = timezone.now()
        self.offices = _banks()
        self.ids, self.sizes, self.tech = _borrowers()
        self.terms = [t for t, _w in TERMS]
        self.term_weights = [w for _t, w in TERMS]
        self.demands = _published_demands(200_000)
        self.demand_cursor = 0

    def loan(self, pk: int) -> tuple[list[Any], list[Any]]:
        """One loan row and its status report row, in the tables' column order (see COLUMNS)."""
        rng = self.rng
        office, bank, _tier = self.offices[rng.randrange(len(self.offices))]
        index = rng.randrange(len(self.ids))
        borrower, size, tech = self.ids[index], self.sizes[index], self.tech[index]
        disbursed = self.first_day + datetime.timedelta(days=rng.randrange(self.span))
        demand_id, published = None, self.today
        if self.demands and rng.random() < 0.05:
            demand_id, borrower, published = self.demands[self.demand_cursor % len(self.demands)]
            self.demand_cursor += 1
            disbursed = min(self.today, published + datetime.timedelta(days=rng.randint(3, 60)))
            size, tech = self._profile(borrower)
        term = rng.choices(self.terms, self.term_weights)[0]
        maturity = _add_months(disbursed, term)
        amount = round(math.exp(rng.uniform(math.log(100_000), math.log(20_000_000))), -3)
        rate = round(rng.uniform(0.028, 0.06), 4)
        renewal = rng.random() < 0.25
        without = renewal and rng.random() < 0.4
        first = not renewal and rng.random() < 0.2
        credit = rng.random() < 0.35
        inclusive = size in ("micro", "small") and amount <= 10_000_000
        if maturity <= self.today:
            month = maturity.replace(day=1)
            if rng.random() < 0.97:
                balance, classification = 0, "normal"
            else:
                balance, classification = round(amount * rng.uniform(0.3, 1.0), 2), rng.choice(CLASSIFICATIONS_NPL)
        else:
            month = self.month
            elapsed = max(0, _months_between(disbursed, self.today))
            balance = amount if rng.random() < 0.5 else round(amount * (1 - elapsed / term), 2)
            draw = rng.random()
            classification = (
                "normal" if draw < 0.94 else ("special_mention" if draw < 0.97 else rng.choice(CLASSIFICATIONS_NPL))
            )
        if month < disbursed.replace(day=1):
            month = disbursed.replace(day=1)
        loan = [
            pk,
            f"{PREFIX}{pk}",
            amount,
            disbursed,
            maturity,
            term,
            rate,
            first,
            renewal,
            without,
            credit,
            tech,
            inclusive,
            size,
            amount,
            balance,
            classification,
            month,
            month,
            "imported",
            self.now,
            bank,
            borrower,
            demand_id,
            office,
            None,
            None,
            (disbursed - published).days if demand_id else None,
        ]
        report = [pk, month, balance, classification, None, self.now]
        return loan, report

    def _profile(self, enterprise_id: int) -> tuple[str, bool]:
        from bisect import bisect_left

        position = bisect_left(self.ids, enterprise_id)
        if position < len(self.ids) and self.ids[position] == enterprise_id:
            return self.sizes[position], self.tech[position]
        from finbridge.enterprises.models import Enterprise

        enterprise = Enterprise.objects.get(pk=enterprise_id)
        return enterprise.size_class, bool(enterprise.tech_labels)


LOAN_COLUMNS = (
    "id",
    "reference",
    "amount",
    "disbursed_on",
    "maturity_on",
    "term_months",
    "annual_rate",
    "is_first_time",
    "is_renewal",
    "is_renewal_without_repayment",
    "is_credit",
    "is_tech_enterprise",
    "is_inclusive",
    "borrower_size_class",
    "borrower_total_credit",
    "outstanding_balance",
    "classification",
    "status_month",
    "first_status_month",
    "source",
    "created_at",
    "bank_id",
    "borrower_id",
    "demand_id",
    "lender_id",
    "recorded_by_id",
    "product_id",
    "days_from_demand",
)
REPORT_COLUMNS = ("loan_id", "month", "outstanding_balance", "classification", "reported_by_id", "reported_at")


def _bench_loan_count() -> tuple[int, int | None]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), max(id) FROM financing_loan WHERE reference LIKE %s", [PREFIX + "%"])
        count, top = cursor.fetchone()
    return count, top


def _add(count: int, progress: bool) -> None:
    from django.db import connection, transaction

    generator = _Generator(SEED + _bench_loan_count()[0])
    written = 0
    while written < count:
        size = min(CHUNK, count - written)
        with transaction.atomic(), connection.cursor() as cursor:
            # The rows reference existing records by construction: skip the per-row foreign-key triggers (a bulk
            # load's usual shortcut; superuser only), which would otherwise double the load time at commit.
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('financing_loan', 'id')) FROM generate_series(1, %s)", [size]
            )
            ids = [row[0] for row in cursor.fetchall()]
            pairs = [generator.loan(pk) for pk in ids]
            with cursor.copy(f"COPY financing_loan ({', '.join(LOAN_COLUMNS)}) FROM STDIN") as copy:
                for loan, _report in pairs:
                    copy.write_row(loan)
            with cursor.copy(f"COPY financing_loanstatusreport ({', '.join(REPORT_COLUMNS)}) FROM STDIN") as copy:
                for _loan, report in pairs:
                    copy.write_row(report)
        written += size
        if progress:
            print(f"  {written:,} / {count:,} loans written", flush=True)


def _remove_newest(count: int) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE doomed ON COMMIT DROP AS SELECT id FROM financing_loan WHERE reference LIKE %s"
            " ORDER BY id DESC LIMIT %s",
            [PREFIX + "%", count],
        )
        cursor.execute("DELETE FROM financing_loanstatusreport WHERE loan_id IN (SELECT id FROM doomed)")
        cursor.execute("DELETE FROM financing_loan WHERE id IN (SELECT id FROM doomed)")


def ensure_loans(target: int = TARGET, *, progress: bool = True) -> dict[str, Any]:
    """Make the benchmark database hold exactly `target` BENCH- loans; returns what it did and how long it took.

    Call after bench.prepare_database()."""
    from django.db import connection

    data = ensure_demo_data()
    repaired = _repair_schema()
    before, _top = _bench_loan_count()
    started = time.perf_counter()
    if before < target:
        _add(target - before, progress)
    elif before > target:
        _remove_newest(before - target)
    changed = before != target
    if changed:
        from finbridge.analytics.ledger import ledger_reset

        ledger_reset()  # the loans were written around the services: the stored league-table months are stale
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE financing_loan")
            cursor.execute("VACUUM ANALYZE financing_loanstatusreport")
    return {
        "enterprises": data["enterprises"],
        "schema_added": repaired,
        "loans_before": before,
        "loans": target,
        "seconds": round(time.perf_counter() - started, 1) if changed else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loans", type=int, default=TARGET, help=f"BENCH- loans to hold (default {TARGET:,})")
    args = parser.parse_args()
    prepare_database()
    print(json.dumps(ensure_loans(args.loans), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
