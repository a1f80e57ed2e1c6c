"""Benchmark data of the risk-sharing pool: a city pool with 200,000 covered loans and 5,000 claims, on PostgreSQL.

    python -m bench.riskpool_data [--covered 200000] [--claims 5000] [--enterprises 100000]

Runs on its own database, RISKPOOL_BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/finbridge_bench_riskpool), so that it never collides with the shared benchmark
database: created, migrated and given the demo registry (organisations, demo logins, `--enterprises` generated
enterprises; no module demo data) on first use, then reused. Loads once; a later run prints what is there.

The pool ("基准风险池", run by the demo district authority as authority_admin) is set up through the services:
created, two rule versions (the Pingshan preset from the start of the policy period; a year ago a version with
a 35% direct share and a 200 million CNY cap per bank and year), 5 billion CNY of capital, the demo banks' head
offices and BANKS generated banks admitted with the demo guarantor, monthly interest, activated.
Then, written in bulk with COPY (no services: the eligibility checks are met by construction):
- covered loans: `--covered` plus the claims that will be approved (they become compensated), disbursed over the
  last 30 months and maturing after today, amounts log-uniform from 100,000 to 5,000,000 CNY, rates 3–6%, flags as
  in real portfolios (first-time 15%, credit 35%, technology 30%; declared IP pledge 5%, green 3%), 75% direct
  and 25% guaranteed loans; each enrolled 0–20 days after disbursal under the version then in force, covered
  amount = the amount; balances amortise linearly;
- 20,000 further enrolments released as matured (balance 0), for history;
- non-performing loans: one per claim plus 1,500 without a claim yet; 2% of the others special mention;
- claims on non-performing loans (lost principal 40–100% of the balance, lost interest one quarter's interest),
  each with one evidence document row; then, through the services, 70% approved (a tenth of them in part), 6%
  rejected, 4% returned, the rest left submitted, and 500 recoveries reported by the banks on paid claims.
The pool's covered balance (denormalised, kept by the services) is set to the sum written.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import math
import os
import random
import time
from decimal import Decimal
from typing import Any

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/finbridge_bench_riskpool"
COVERED = 200_000
CLAIMS = 5_000
ENTERPRISES = 100_000
RELEASED = 20_000
EXTRA_NPL = 1_500
BANKS = 20
POOL_NAME = "基准风险池"
PREFIX = "RPB-"
CAPITAL = Decimal("5000000000.00")
SEED = 20261126
CHUNK = 50_000
SHARE_APPROVED, SHARE_REJECTED, SHARE_RETURNED = 0.70, 0.06, 0.04
RECOVERIES = 500


def database_url() -> str:
    return os.environ.get("RISKPOOL_BENCH_DATABASE_URL", DEFAULT_URL)


def prepare(*, fresh: bool = False) -> None:
    """Create the riskpool benchmark database if missing and set Django up on it (bench.prepare_database)."""
    os.environ["BENCH_DATABASE_URL"] = database_url()
    # the claim services notify banks and the authority: no e-mails printed to the console while loading
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.dummy.EmailBackend")
    from bench import prepare_database

    prepare_database(fresh=fresh)


def ensure_registry(enterprises: int) -> dict[str, Any]:
    """Migrate; load the demo registry (no module demo data) unless there. What is there and how long it took."""
    from django.core.management import call_command
    from django.db import connection

    from finbridge.enterprises.demo import demo_data_present, seed_demo
    from finbridge.enterprises.models import Enterprise

    call_command("migrate", verbosity=0)
    seconds = None
    if not demo_data_present():
        started = time.perf_counter()
        seed_demo(enterprises=enterprises, seed=SEED)
        seconds = round(time.perf_counter() - started, 1)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return {"enterprises": Enterprise.objects.count(), "registry_seconds": seconds}


# ---- COPY of model rows --------------------------------------------------------------------------------


class _Copier:
    """COPY rows of a model: given values per attname, every other concrete column takes the field default."""

    def __init__(self, model: Any, varying: tuple[str, ...]) -> None:
        from django.db import connection
        from django.db.models import JSONField

        self.model = model
        self.table = model._meta.db_table
        fields = [f for f in model._meta.local_concrete_fields if not (f.primary_key and f.attname not in varying)]
        self.columns = [f.column for f in fields]
        self.varying = varying
        self.json = {f.attname for f in fields if isinstance(f, JSONField)}
        self.constants: dict[str, Any] = {}
        for f in fields:
            if f.attname not in varying:
                default = f.get_default()
                self.constants[f.attname] = self._adapt(f.attname, default) if f.attname in self.json else default
        self.order = [f.attname for f in fields]
        self.connection = connection

    def _adapt(self, attname: str, value: Any) -> Any:
        from psycopg.types.json import Jsonb

        return Jsonb(value) if attname in self.json else value

    def write(self, cursor: Any, rows: list[dict[str, Any]]) -> None:
        with cursor.copy(f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    [self._adapt(name, row[name]) if name in row else self.constants[name] for name in self.order]
                )


def _next_ids(cursor: Any, table: str, count: int) -> list[int]:
    cursor.execute(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, %s)", [count])
    return [row[0] for row in cursor.fetchall()]


# ---- set-up through the services -----------------------------------------------------------------------


@dataclasses.dataclass
class _Setup:
    actor: Any
    pool: Any
    versions: list[Any]  # (effective_from, version) oldest first
    banks: list[Any]  # head offices admitted
    members: dict[int, int]  # bank id -> member id
    guarantor: Any
    bank_users: dict[int, Any]
    start: datetime.date
    today: datetime.date


def _bench_banks() -> list[Any]:
    from finbridge.accounts.choices import BankTier, OrgType
    from finbridge.accounts.models import Membership, Organization, User

    banks = []
    for number in range(1, BANKS + 1):
        bank, created = Organization.objects.get_or_create(
            name=f"基准风险池银行{number:02d}",
            defaults={
                "name_en": f"Pool Bench Bank {number:02d}",
                "org_type": OrgType.BANK,
                "bank_tier": BankTier.HEAD_OFFICE,
            },
        )
        if created:
            user = User.objects.create_user(username=f"rpbench_bank{number:02d}", password=None)
            Membership.objects.create(user=user, organization=bank, role="staff")
        banks.append(bank)
    return banks


def _set_up_pool(rng: random.Random) -> _Setup:
    from django.contrib.auth import get_user_model

    from finbridge.accounts.choices import OrgType
    from finbridge.accounts.models import Membership, Organization
    from finbridge.riskpool.presets import PRESETS
    from finbridge.riskpool.services.members import member_admit
    from finbridge.riskpool.services.pools import (
        pool_activate,
        pool_capital_contribute,
        pool_create,
        pool_interest_record,
    )
    from finbridge.riskpool.services.rules import rule_version_create, rule_version_from_preset
    from finbridge.riskpool.sharing import Category

    actor = get_user_model().objects.get(username="authority_admin")
    today = datetime.date.today()
    start = today - datetime.timedelta(days=365 * 3)
    pool = pool_create(
        actor=actor,
        name=POOL_NAME,
        name_en="Bench pool",
        period_start=start,
        period_end=today + datetime.timedelta(days=365 * 2),
        capacity_basis="absolute",
        max_covered_amount="900000000000.00",
    )
    first = rule_version_from_preset(actor=actor, pool=pool, preset="pingshan", effective_from=start)
    rules = PRESETS["pingshan"].rules
    direct = next(rule for rule in rules.categories if rule.category == Category.DIRECT)
    others = tuple(rule for rule in rules.categories if rule.category != Category.DIRECT)
    changed = dataclasses.replace(
        rules,
        categories=(dataclasses.replace(direct, pool_share=Decimal("0.35"), bank_share=Decimal("0.65")), *others),
        per_bank_year_cap=Decimal("200000000.00"),
    )
    second_from = today - datetime.timedelta(days=365)
    second = rule_version_create(actor=actor, pool=pool, effective_from=second_from, rules=changed, label="v2")
    pool_capital_contribute(actor=actor, pool=pool, amount=CAPITAL, value_date=start)
    banks = list(
        Organization.objects.filter(org_type=OrgType.BANK, parent__isnull=True).exclude(name__startswith="基准风险池")
    )
    banks += _bench_banks()
    members = {}
    for bank in banks:
        members[bank.pk] = member_admit(
            actor=actor, pool=pool, organization=bank, role="bank", agreement_signed_on=start
        ).pk
    guarantor = Organization.objects.filter(org_type=OrgType.GUARANTOR).order_by("pk").first()
    member_admit(actor=actor, pool=pool, organization=guarantor, role="guarantor", agreement_signed_on=start)
    month = start
    while month < today:
        pool_interest_record(actor=actor, pool=pool, amount=Decimal("4000000.00"), value_date=month)
        month += datetime.timedelta(days=30)
    pool_activate(actor=actor, pool=pool)
    bank_users = {
        m.organization_id: m.user
        for m in Membership.objects.filter(organization__in=banks, role__in=["staff", "admin"]).select_related("user")
    }
    return _Setup(
        actor=actor,
        pool=pool,
        versions=[(start, first), (second_from, second)],
        banks=banks,
        members=members,
        guarantor=guarantor,
        bank_users=bank_users,
        start=start,
        today=today,
    )


# ---- bulk rows -------------------------------------------------------------------------------------------


def _borrowers() -> list[tuple[int, bool]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, (is_high_tech OR is_tech_sme OR is_srdi OR is_little_giant) FROM enterprises_enterprise"
            " WHERE size_class IN ('micro', 'small', 'medium') ORDER BY id"
        )
        return cursor.fetchall()


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    last = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return datetime.date(year, month, min(day.day, last))


def _version_on(setup: _Setup, day: datetime.date) -> Any:
    chosen = setup.versions[0][1]
    for effective_from, version in setup.versions:
        if effective_from <= day:
            chosen = version
    return chosen


def _loan_and_enrolment(
    rng: random.Random, setup: _Setup, borrowers: list[tuple[int, bool]], kind: str, now: datetime.datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One loan and its enrolment; kind: covered | npl | released."""
    today = setup.today
    bank = setup.banks[rng.randrange(len(setup.banks))]
    borrower, tech = borrowers[rng.randrange(len(borrowers))]
    amount = Decimal(round(math.exp(rng.uniform(math.log(100_000), math.log(5_000_000))), -3)).quantize(Decimal("0.01"))
    if kind == "released":
        disbursed = setup.start + datetime.timedelta(days=rng.randrange(365))
        term = 12
    else:
        disbursed = today - datetime.timedelta(days=rng.randrange(30, 900))
        elapsed = (today.year - disbursed.year) * 12 + today.month - disbursed.month
        term = rng.choice([t for t in (12, 24, 36) if t > elapsed + 1])
    maturity = _add_months(disbursed, term)
    renewal = rng.random() < 0.25
    first = not renewal and rng.random() < 0.2
    credit = rng.random() < 0.35
    if kind == "released":
        balance, classification = Decimal("0.00"), "normal"
    else:
        elapsed_days = (today - disbursed).days
        share = max(0.05, 1 - elapsed_days / max(1, (maturity - disbursed).days))
        balance = (amount * Decimal(repr(round(share, 4)))).quantize(Decimal("0.01"))
        if kind == "npl":
            classification = rng.choice(("substandard", "doubtful", "loss"))
        else:
            classification = "special_mention" if rng.random() < 0.02 else "normal"
    loan = {
        "reference": None,  # set with the id
        "amount": amount,
        "disbursed_on": disbursed,
        "maturity_on": maturity,
        "term_months": term,
        "annual_rate": Decimal(rng.randrange(300, 600)) / Decimal(10_000),
        "is_first_time": first,
        "is_renewal": renewal,
        "is_credit": credit,
        "is_tech_enterprise": bool(tech) and rng.random() < 0.8,
        "is_inclusive": amount <= 10_000_000,
        "borrower_size_class": "small",
        "borrower_total_credit": amount,
        "outstanding_balance": balance,
        "classification": classification,
        "status_month": today.replace(day=1),
        "first_status_month": disbursed.replace(day=1),
        "source": "imported",
        "created_at": now,
        "bank_id": bank.pk,
        "lender_id": bank.pk,
        "borrower_id": borrower,
    }
    enrolled_on = min(today, disbursed + datetime.timedelta(days=rng.randrange(0, 21)))
    guaranteed = rng.random() < 0.25
    flags = [
        f
        for f, on in (
            ("first_time", first),
            ("credit", credit and not guaranteed),
            ("tech_enterprise", loan["is_tech_enterprise"]),
        )
        if on
    ]
    if rng.random() < 0.05:
        flags.append("ip_pledge")
    if rng.random() < 0.03:
        flags.append("green")
    if guaranteed:
        loan["is_credit"] = False
    enrolment = {
        "pool_id": setup.pool.pk,
        "bank_id": bank.pk,
        "member_id": setup.members[bank.pk],
        "category": "guaranteed" if guaranteed else "direct",
        "guarantor_id": setup.guarantor.pk if guaranteed else None,
        "insurer_id": None,
        "flags": sorted(flags),
        "purpose": "",
        "rule_version_id": _version_on(setup, enrolled_on).pk,
        "loan_amount": amount,
        "covered_amount": amount,
        "status": "released" if kind == "released" else "active",
        "eligibility": [],
        "enrolled_on": enrolled_on,
        "enrolled_at": now,
        "released_at": now if kind == "released" else None,
        "release_reason": "matured" if kind == "released" else "",
    }
    return loan, enrolment


def _write_loans(
    rng: random.Random, setup: _Setup, kinds: list[str]
) -> list[tuple[int, dict[str, Any], dict[str, Any]]]:
    """COPY the loans and their enrolments; returns (enrolment id, loan, enrolment) of the non-performing ones."""
    from django.db import connection, transaction
    from django.utils import timezone

    from finbridge.financing.models import Loan
    from finbridge.riskpool.models import Enrolment

    borrowers = _borrowers()
    now = timezone.now()
    loan_copier = _Copier(Loan, ("id", *_loan_and_enrolment(rng, setup, borrowers, "covered", now)[0]))
    enrolment_copier = _Copier(
        Enrolment, ("id", "loan_id", *_loan_and_enrolment(rng, setup, borrowers, "covered", now)[1])
    )
    npl = []
    for start in range(0, len(kinds), CHUNK):
        part = kinds[start : start + CHUNK]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")  # skip FK triggers: valid by construction
            loan_ids = _next_ids(cursor, Loan._meta.db_table, len(part))
            enrolment_ids = _next_ids(cursor, Enrolment._meta.db_table, len(part))
            loans, enrolments = [], []
            for kind, loan_id, enrolment_id in zip(part, loan_ids, enrolment_ids, strict=True):
                loan, enrolment = _loan_and_enrolment(rng, setup, borrowers, kind, now)
                loan.update(id=loan_id, reference=f"{PREFIX}{loan_id}")
                enrolment.update(id=enrolment_id, loan_id=loan_id)
                loans.append(loan)
                enrolments.append(enrolment)
                if kind == "npl":
                    npl.append((enrolment_id, loan, enrolment))
            loan_copier.write(cursor, loans)
            enrolment_copier.write(cursor, enrolments)
        print(f"  {start + len(part):,} / {len(kinds):,} loans and enrolments written", flush=True)
    return npl


def _write_claims(
    rng: random.Random, setup: _Setup, npl: list[tuple[int, dict[str, Any], dict[str, Any]]], count: int
) -> list[int]:
    """COPY `count` submitted claims (and one evidence row each) on non-performing loans; their ids."""
    from django.db import connection, transaction
    from django.utils import timezone

    from finbridge.riskpool.models import Claim, ClaimDocument

    now = timezone.now()
    rows, documents = [], []
    with transaction.atomic(), connection.cursor() as cursor:
        ids = _next_ids(cursor, Claim._meta.db_table, count)
        for claim_id, (enrolment_id, loan, enrolment) in zip(ids, npl[:count], strict=True):
            defaulted = max(enrolment["enrolled_on"], setup.today - datetime.timedelta(days=rng.randrange(20, 200)))
            principal = (loan["outstanding_balance"] * Decimal(repr(round(rng.uniform(0.4, 1.0), 3)))).quantize(
                Decimal("0.01")
            )
            interest = (loan["outstanding_balance"] * loan["annual_rate"] / 4).quantize(Decimal("0.01"))
            rows.append(
                {
                    "id": claim_id,
                    "pool_id": setup.pool.pk,
                    "enrolment_id": enrolment_id,
                    "bank_id": enrolment["bank_id"],
                    "rule_version_id": enrolment["rule_version_id"],
                    "reference": f"RPB-{claim_id:07d}",
                    "status": "submitted",
                    "loan_classification": loan["classification"],
                    "defaulted_on": defaulted,
                    "lost_principal": max(principal, Decimal("0.01")),
                    "lost_interest": interest,
                    "description": "基准测试理赔。",
                    "filed_at": now,
                    "submitted_at": now,
                }
            )
            documents.append(
                {
                    "claim_id": claim_id,
                    "kind": "classification",
                    "file": f"riskpool/claims/{claim_id}/bench.pdf",
                    "name": "bench.pdf",
                    "size": 1024,
                    "sha256": "0" * 64,
                    "uploaded_at": now,
                }
            )
        _Copier(Claim, tuple(rows[0])).write(cursor, rows)
        _Copier(ClaimDocument, tuple(documents[0])).write(cursor, documents)
    return ids


def _decide_claims(rng: random.Random, setup: _Setup, claim_ids: list[int]) -> dict[str, int]:
    """Approve, approve in part, reject and return claims through the services; report recoveries."""
    from finbridge.riskpool.models import Claim
    from finbridge.riskpool.services.claims import claim_approve, claim_reject, claim_return
    from finbridge.riskpool.services.recoveries import recovery_report

    counts = {"approved": 0, "approved_in_part": 0, "rejected": 0, "returned": 0, "recoveries": 0}
    approved = int(len(claim_ids) * SHARE_APPROVED)
    rejected = int(len(claim_ids) * SHARE_REJECTED)
    returned = int(len(claim_ids) * SHARE_RETURNED)
    paid = []
    started = time.perf_counter()
    for index, claim_id in enumerate(claim_ids[: approved + rejected + returned]):
        claim = Claim.objects.get(pk=claim_id)
        if index < approved:
            if index % 10 == 0:
                part = (claim.lost_principal * Decimal("0.8")).quantize(Decimal("0.01"))
                claim_approve(actor=setup.actor, claim=claim, principal=part, reason="基准测试：部分认可。")
                counts["approved_in_part"] += 1
            else:
                claim_approve(actor=setup.actor, claim=claim)
                counts["approved"] += 1
            paid.append(claim)
        elif index < approved + rejected:
            claim_reject(actor=setup.actor, claim=claim, reason="基准测试：不符合代偿条件。")
            counts["rejected"] += 1
        else:
            claim_return(actor=setup.actor, claim=claim, reason="基准测试：请补充材料。")
            counts["returned"] += 1
        if (index + 1) % 500 == 0:
            print(f"  {index + 1:,} claims decided ({time.perf_counter() - started:.0f} s)", flush=True)
    for claim in rng.sample(paid, min(RECOVERIES, len(paid))):
        user = setup.bank_users.get(claim.bank_id)
        if user is None:
            continue
        recovered = (claim.lost_principal * Decimal(repr(round(rng.uniform(0.05, 0.4), 3)))).quantize(Decimal("0.01"))
        recovery_report(actor=user, claim=claim, recovered_amount=recovered, recovered_on=setup.today)
        counts["recoveries"] += 1
    return counts


def data_present() -> bool:
    from finbridge.riskpool.models import Pool

    return Pool.objects.filter(name=POOL_NAME).exists()


def ensure_riskpool_data(
    *, covered: int = COVERED, claims: int = CLAIMS, enterprises: int = ENTERPRISES
) -> dict[str, Any]:
    """Load the bench pool unless there (call after prepare()); what is there and how long loading took."""
    from django.db import connection
    from django.db.models import Count, Sum

    from finbridge.riskpool.models import Claim, Enrolment, JournalEntry, Pool

    registry = ensure_registry(enterprises)
    seconds: dict[str, float] = {}
    decided: dict[str, int] = {}
    if not data_present():
        rng = random.Random(SEED)
        started = time.perf_counter()
        setup = _set_up_pool(rng)
        seconds["pool_setup"] = round(time.perf_counter() - started, 1)
        approved = int(claims * SHARE_APPROVED)
        extra_npl = min(EXTRA_NPL, claims * 3 // 10)
        released = min(RELEASED, covered // 10)
        kinds = ["covered"] * (covered + approved - claims - extra_npl) + ["npl"] * (claims + extra_npl)
        kinds += ["released"] * released
        rng.shuffle(kinds)
        started = time.perf_counter()
        npl = _write_loans(rng, setup, kinds)
        rng.shuffle(npl)
        Pool.objects.filter(pk=setup.pool.pk).update(
            covered_balance=Enrolment.objects.filter(pool=setup.pool, status="active").aggregate(
                s=Sum("covered_amount")
            )["s"]
        )
        claim_ids = _write_claims(rng, setup, npl, claims)
        seconds["bulk_rows"] = round(time.perf_counter() - started, 1)
        with connection.cursor() as cursor:
            for table in ("financing_loan", "riskpool_enrolment", "riskpool_claim", "riskpool_claimdocument"):
                cursor.execute(f"VACUUM ANALYZE {table}")
        started = time.perf_counter()
        decided = _decide_claims(rng, setup, claim_ids)
        seconds["claims_through_services"] = round(time.perf_counter() - started, 1)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    pool = Pool.objects.get(name=POOL_NAME)
    by_status = dict(Enrolment.objects.filter(pool=pool).values_list("status").annotate(n=Count("id")).order_by())
    return {
        "database": database_url().rsplit("/", 1)[-1],
        **registry,
        "loaded": bool(seconds),
        "seconds": seconds,
        "decided": decided,
        "pool": pool.pk,
        "enrolments": by_status,
        "claims": dict(Claim.objects.filter(pool=pool).values_list("status").annotate(n=Count("id")).order_by()),
        "journal_entries": JournalEntry.objects.filter(pool=pool).count(),
        "covered_balance": str(pool.covered_balance),
        "cash_balance": str(pool.cash_balance),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--covered", type=int, default=COVERED)
    parser.add_argument("--claims", type=int, default=CLAIMS)
    parser.add_argument("--enterprises", type=int, default=ENTERPRISES)
    parser.add_argument("--fresh", action="store_true", help="drop and re-create the riskpool benchmark database")
    args = parser.parse_args()
    prepare(fresh=args.fresh)
    figures = ensure_riskpool_data(covered=args.covered, claims=args.claims, enterprises=args.enterprises)
    print(json.dumps(figures, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
