"""Supply-chain benchmark data: 1,000,000 receivables with their confirmations, financing requests, offers,
registrations, payment vouchers and payments, on a PostgreSQL database of its own.

    python -m bench.supplychain_data [--receivables 1000000] [--fresh]      (loads if missing, prints JSON)

The database is BENCH_DATABASE_URL when set, else postgres://postgres@127.0.0.1:5432/finbridge_bench_supplychain
(created and migrated on first use, reused after; --fresh drops it first). Rows are written with COPY in chunks
(no services, no notifications, no audit events), then VACUUM ANALYZE. The generated receivables carry the
contract reference prefix BENCH-SC; the benchmark adds its own rows (BENCH-BULK, BENCH-RACE) on each run.

The district: one district authority, CORES core enterprises (sizes Zipf-like: the biggest owes about 12% of all
receivables), SUPPLIERS MSME suppliers (each sells to one to three cores, so a core has a few hundred suppliers),
BANKS banks of a head office and BRANCHES branches each (200 funding offices). Receivables are uploaded uniformly
over the 36 months up to today and written in that order (ids follow time, as on the platform), due 30 to 180
days after the invoice; amounts log-uniform from 10,000 to 5,000,000
CNY. Of those already due: 4% never confirmed (pending, disputed or withdrawn), the others confirmed within five
days and then paid (8% left unpaid: flagged overdue). Of those not yet due: 8% pending, 2% disputed, 1% withdrawn.
A confirmed receivable is issued as a payment voucher one time in five (split and passed to tier 2 six times in
ten, and on to tier 3 half of those times); otherwise it is financed 35% of the time (one to three funders asked,
one accepted; the registration is released when paid) or only asked about 5% of the time. Live voucher parts are
financed 30% of the time. Payments go to the funder of a financed receivable or part, else to its holder, from
ten days early to five days late.

Logins (no password; the benchmark authenticates them directly): bench_sc_authority (district authority),
bench_sc_core (the biggest core enterprise), bench_sc_bank (the first bank's head office), bench_sc_bulk (the
core enterprise that confirms 10,000 receivables in the benchmark), bench_sc_supplier (the supplier whose offers
race).
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import random
import time
from decimal import Decimal
from typing import Any

from bench import prepare_database

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/finbridge_bench_supplychain"
RECEIVABLES = 1_000_000
CHUNK = 50_000
SEED = 20260415
PREFIX = "BENCH-SC"
NAME = "基准"
CORES = 100
SUPPLIERS = 10_000
BANKS = 25
BRANCHES = 7
MONTHS = 36
TERMS = (30, 60, 90, 120, 180)
TZ = datetime.timezone(datetime.timedelta(hours=8))  # Asia/Shanghai has no daylight saving
USERS = {
    "bench_sc_authority": "authority",
    "bench_sc_core": "core",
    "bench_sc_bank": "bank",
    "bench_sc_bulk": "bulk",
    "bench_sc_supplier": "supplier",
}


def use_own_database() -> None:
    """Point the bench helpers at the supply-chain database unless BENCH_DATABASE_URL says otherwise."""
    os.environ.setdefault("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)


# ---- parties ---------------------------------------------------------------------------------------------------


def _organizations() -> dict[str, Any]:
    """Create the district, the cores, the suppliers and the banks (once); their ids by role."""
    from finbridge.accounts.choices import BankTier, OrgType
    from finbridge.accounts.models import Organization

    def ids(prefix: str) -> list[int]:
        return list(Organization.objects.filter(name__startswith=prefix).order_by("pk").values_list("pk", flat=True))

    if not Organization.objects.filter(name=f"{NAME}坪山区金融工作局").exists():
        Organization.objects.create(
            name=f"{NAME}坪山区金融工作局", name_en="Bench District Finance Office", org_type=OrgType.DISTRICT_AUTHORITY
        )
        Organization.objects.bulk_create(
            [
                Organization(
                    name=f"{NAME}核心企业{n:03d}", name_en=f"Bench Core {n:03d}", org_type=OrgType.CORE_ENTERPRISE
                )
                for n in range(1, CORES + 1)
            ]
        )
        Organization.objects.bulk_create(
            [
                Organization(name=f"{NAME}供应商{n:05d}", name_en=f"Bench Supplier {n:05d}", org_type=OrgType.MSME)
                for n in range(1, SUPPLIERS + 1)
            ],
            batch_size=2_000,
        )
        for n in range(1, BANKS + 1):
            head = Organization.objects.create(
                name=f"{NAME}银行{n:02d}",
                name_en=f"Bench Bank {n:02d}",
                org_type=OrgType.BANK,
                bank_tier=BankTier.HEAD_OFFICE,
            )
            Organization.objects.bulk_create(
                [
                    Organization(
                        name=f"{NAME}银行{n:02d}支行{b}",
                        name_en=f"Bench Bank {n:02d} Branch {b}",
                        org_type=OrgType.BANK,
                        bank_tier=BankTier.BRANCH,
                        parent=head,
                    )
                    for b in range(1, BRANCHES + 1)
                ]
            )
    return {
        "authority": ids(f"{NAME}坪山区金融工作局")[0],
        "cores": ids(f"{NAME}核心企业"),
        "suppliers": ids(f"{NAME}供应商"),
        "funders": ids(f"{NAME}银行"),
        "banks": ids(f"{NAME}银行")[:: BRANCHES + 1],
    }


def _users(orgs: dict[str, Any]) -> None:
    """The benchmark's logins, each a staff member of one organisation."""
    from finbridge.accounts.choices import Role
    from finbridge.accounts.models import Membership, User

    where = {
        "authority": orgs["authority"],
        "core": orgs["cores"][0],
        "bank": orgs["banks"][0],
        "bulk": orgs["cores"][1],
        "supplier": orgs["suppliers"][0],
    }
    for username, role in USERS.items():
        user, created = User.objects.get_or_create(username=username, defaults={"display_name": username})
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        Membership.objects.get_or_create(user=user, organization_id=where[role], defaults={"role": Role.STAFF})


def bench_user(role: str) -> Any:
    """The benchmark login of a role (authority, core, bank, bulk, supplier), fresh from the database."""
    from finbridge.accounts.models import User

    username = next(name for name, value in USERS.items() if value == role)
    return User.objects.get(username=username)


# ---- COPY ------------------------------------------------------------------------------------------------------


class _Table:
    """Rows of one model written with COPY: every concrete column, unspecified ones at the field's default."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.fields = list(model._meta.local_concrete_fields)
        self.columns = [field.column for field in self.fields]
        self.defaults = {}
        for field in self.fields:
            default = field.get_default() if field.has_default() else (None if field.null else "")
            self.defaults[field.column] = json.dumps(default) if field.get_internal_type() == "JSONField" else default
        self.rows: list[tuple] = []
        self.next_id = 0

    def start(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {self.model._meta.db_table}")
            self.next_id = cursor.fetchone()[0] + 1

    def add(self, **values: Any) -> int:
        pk = values.get("id")
        if pk is None:
            pk = values["id"] = self.next_id
        self.next_id = max(self.next_id, pk + 1)
        self.rows.append(tuple(values[c] if c in values else self.defaults[c] for c in self.columns))
        return pk

    def flush(self) -> int:
        from django.db import connection

        if not self.rows:
            return 0
        raw = connection.connection  # psycopg 3
        statement = f"COPY {self.model._meta.db_table} ({', '.join(self.columns)}) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in self.rows:
                copy.write_row(row)
        written = len(self.rows)
        self.rows = []
        return written

    def reset_sequence(self) -> None:
        from django.db import connection

        table = self.model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")


def tables() -> dict[str, _Table]:
    from finbridge.supplychain.models import (
        FinancingOffer,
        FinancingRequest,
        FinancingRequestItem,
        Payment,
        Receivable,
        ReceivableConfirmation,
        Registration,
        Voucher,
    )

    models = {
        "receivable": Receivable,
        "confirmation": ReceivableConfirmation,
        "voucher": Voucher,
        "request": FinancingRequest,
        "item": FinancingRequestItem,
        "offer": FinancingOffer,
        "registration": Registration,
        "payment": Payment,
    }
    return {name: _Table(model) for name, model in models.items()}


# ---- generation ------------------------------------------------------------------------------------------------


def _at(day: datetime.date, rng: random.Random) -> datetime.datetime:
    """A moment during office hours of a local day."""
    return datetime.datetime.combine(day, datetime.time(8), TZ) + datetime.timedelta(seconds=rng.randrange(10 * 3600))


def _money(value: float) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


class _Generator:
    """Writes receivables and everything hanging off them into the tables (module docstring)."""

    def __init__(self, orgs: dict[str, Any], out: dict[str, _Table], seed: int) -> None:
        from django.utils import timezone

        from finbridge.supplychain.services.confirmation import content_of, fingerprint_of

        self.content_of, self.fingerprint_of = content_of, fingerprint_of
        self.rng = random.Random(seed)
        self.out = out
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.first_day = self.today - datetime.timedelta(days=MONTHS * 365 // 12)
        self.span = (self.today - self.first_day).days
        self.cores = orgs["cores"]
        self.core_weights = [1 / (rank + 1) ** 0.8 for rank in range(len(self.cores))]
        self.funders = orgs["funders"]
        self.suppliers = orgs["suppliers"]
        pools: dict[int, list[int]] = {core: [] for core in self.cores}
        for supplier in self.suppliers:
            for core in set(self.rng.choices(self.cores, self.core_weights, k=self.rng.randint(1, 3))):
                pools[core].append(supplier)
        self.pools = {core: pool or [self.suppliers[0]] for core, pool in pools.items()}
        self.invoice = 0
        self.counts: dict[str, int] = {}

    def _later(self, moment: datetime.datetime, low: int, high: int) -> datetime.datetime:
        later = moment + datetime.timedelta(days=self.rng.randint(low, high), seconds=self.rng.randrange(3600))
        return min(later, self.now - datetime.timedelta(minutes=1))

    def upload_days(self, count: int) -> list[datetime.date]:
        """Upload days of `count` receivables, uniform over the span, in order: rows are written as time goes by,
        as the platform writes them, so their ids (and table order) follow time."""
        offsets = sorted(self.rng.randrange(self.span) for _ in range(count))
        return [self.first_day + datetime.timedelta(days=offset) for offset in offsets]

    def receivable(self, uploaded: datetime.date) -> None:
        rng = self.rng
        debtor = rng.choices(self.cores, self.core_weights)[0]
        creditor = rng.choice(self.pools[debtor])
        issued = uploaded - datetime.timedelta(days=rng.randint(0, 10))
        due = issued + datetime.timedelta(days=rng.choice(TERMS))
        amount = _money(round(math.exp(rng.uniform(math.log(10_000), math.log(5_000_000))), -2))
        created = _at(uploaded, rng)
        self.invoice += 1
        row = {
            "creditor_id": creditor,
            "debtor_id": debtor,
            "invoice_code": "4403261130",
            "invoice_number": f"{self.invoice:08d}",
            "amount": amount,
            "issued_on": issued,
            "due_on": due,
            "contract_reference": f"{PREFIX}-{self.invoice:07d}",
            "description": "",
            "source": "creditor",
            "created_at": created,
            "updated_at": created,
            "is_overdue": False,
        }
        matured = due < self.today
        u = rng.random()
        unconfirmed = (u < 0.04) if matured else (u < 0.11)
        if unconfirmed:
            status = "withdrawn" if u < 0.01 else ("disputed" if u < 0.03 else "pending")
            if status == "disputed":
                row.update(disputed_at=self._later(created, 1, 5), dispute_reason="金额不符")
            self.out["receivable"].add(status=status, **row)
            self._count(status)
            return
        confirmed_at = self._later(created, 0, 5)
        row["confirmed_at"] = confirmed_at
        paid = matured and rng.random() >= 0.08
        paid_on = None
        if paid:
            paid_on = min(self.today, due + datetime.timedelta(days=rng.randint(-10, 5)))
            paid_on = max(paid_on, confirmed_at.astimezone(TZ).date())
        pk = self.out["receivable"].next_id
        if rng.random() < 0.2:
            status = self._voucher(pk, row, confirmed_at, paid_on)
        else:
            status = self._direct(pk, row, confirmed_at, paid_on)
        if matured and not paid:
            row.update(is_overdue=True, overdue_since=due + datetime.timedelta(days=1))
            self._count("overdue")
        if paid:
            row["settled_on"] = paid_on
        self.out["receivable"].add(id=pk, status=status, **row)
        self._confirmation(pk, row, confirmed_at)
        self._count(status)

    def _count(self, key: str) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1

    def _confirmation(self, pk: int, row: dict[str, Any], at: datetime.datetime) -> None:
        content = self.content_of(
            creditor_id=row["creditor_id"],
            debtor_id=row["debtor_id"],
            invoice_code=row["invoice_code"],
            invoice_number=row["invoice_number"],
            amount=row["amount"],
            issued_on=row["issued_on"],
            due_on=row["due_on"],
            contract_reference=row["contract_reference"],
            document_hashes=(),
        )
        self.out["confirmation"].add(
            receivable_id=pk,
            method="confirmed",
            organization_id=row["debtor_id"],
            confirmed_by_name="基准",
            confirmed_at=at,
            content=json.dumps(content, ensure_ascii=False),
            fingerprint=self.fingerprint_of(content),
        )

    def _direct(self, pk: int, row: dict[str, Any], confirmed_at: datetime.datetime, paid_on: Any) -> str:
        """A receivable financed, asked about or left alone, then perhaps paid; its status."""
        rng = self.rng
        due, amount, creditor = row["due_on"], row["amount"], row["creditor_id"]
        u = rng.random()
        registration = None
        if u < 0.35:
            registration = self._finance(
                requester=creditor,
                asset={"receivable_id": pk},
                root=pk,
                face=amount,
                after=confirmed_at,
                released_on=paid_on,
            )
            status = "financed"
        elif u < 0.40 and paid_on is None and due >= self.today:
            self._ask(requester=creditor, asset={"receivable_id": pk}, face=amount, after=confirmed_at)
            status = "financing_requested"
        else:
            status = "confirmed"
        if paid_on is not None:
            funder = registration["funder_id"] if registration else None
            self._pay(
                pk,
                row,
                amount=amount,
                paid_on=paid_on,
                payee=funder or creditor,
                role="funder" if funder else "holder",
                tier=1,
                voucher=None,
                registration=registration["id"] if registration else None,
            )
            status = "settled"
        return status

    def _voucher(self, pk: int, row: dict[str, Any], confirmed_at: datetime.datetime, paid_on: Any) -> str:
        """A payment voucher issued on the receivable, perhaps split down to tier 3; its parts financed or not, and
        paid; the receivable's status."""
        rng = self.rng
        vouchers = self.out["voucher"]
        issued_at = self._later(confirmed_at, 1, 10)
        root_id = vouchers.next_id
        live: list[dict[str, Any]] = []

        def part(**values: Any) -> dict[str, Any]:
            values.setdefault("id", vouchers.next_id)
            values.update(
                number=f"BV{values['id']:09d}", receivable_id=pk, root_id=root_id, updated_at=values["created_at"]
            )
            vouchers.add(**values)
            return values

        root = {
            "holder_id": row["creditor_id"],
            "amount": row["amount"],
            "tier": 1,
            "origin": "issued",
            "parent_id": None,
            "created_at": issued_at,
        }
        current = root
        for depth in (1, 2):
            if rng.random() >= (0.6 if depth == 1 else 0.5) or current["amount"] < Decimal("200.00"):
                break
            passed = _money(float(current["amount"]) * rng.uniform(0.3, 0.8))
            at = self._later(current["created_at"], 1, 20)
            parent = part(status="split", **current)
            kept = {
                "holder_id": current["holder_id"],
                "amount": current["amount"] - passed,
                "tier": current["tier"],
                "origin": "kept",
                "parent_id": parent["id"],
                "created_at": at,
            }
            live.append(kept)
            current = {
                "holder_id": rng.choice(self.suppliers),
                "amount": passed,
                "tier": current["tier"] + 1,
                "origin": "transferred",
                "parent_id": parent["id"],
                "created_at": at,
            }
        live.append(current)
        for values in live:
            registration = None
            pid = vouchers.next_id
            if rng.random() < 0.3:
                registration = self._finance(
                    requester=values["holder_id"],
                    asset={"voucher_id": pid},
                    root=pk,
                    face=values["amount"],
                    after=values["created_at"],
                    released_on=paid_on,
                )
            status = "settled" if paid_on is not None else ("financed" if registration else "held")
            part(id=pid, status=status, **values)
            if paid_on is not None:
                funder = registration["funder_id"] if registration else None
                self._pay(
                    pk,
                    row,
                    amount=values["amount"],
                    paid_on=paid_on,
                    payee=funder or values["holder_id"],
                    role="funder" if funder else "holder",
                    tier=values["tier"],
                    voucher=pid,
                    registration=registration["id"] if registration else None,
                )
        self._count("vouchers")
        return "settled" if paid_on is not None else "voucher_issued"

    def _request(
        self, *, requester: int, asset: dict[str, int], face: Decimal, after: datetime.datetime, status: str
    ) -> tuple[int, datetime.datetime, list[int]]:
        rng = self.rng
        created = self._later(after, 1, 10)
        request_id = self.out["request"].add(
            requester_id=requester,
            status=status,
            face_amount=face,
            amount_requested=face,
            note="",
            respond_by=created.astimezone(TZ).date() + datetime.timedelta(days=10),
            created_at=created,
        )
        self.out["item"].add(request_id=request_id, amount=face, **asset)
        funders = rng.sample(self.funders, rng.randint(1, 3))
        return request_id, created, funders

    def _ask(self, *, requester: int, asset: dict[str, int], face: Decimal, after: datetime.datetime) -> None:
        request_id, created, funders = self._request(
            requester=requester, asset=asset, face=face, after=after, status="open"
        )
        for funder in funders:
            self.out["offer"].add(request_id=request_id, funder_id=funder, status="pending", created_at=created)

    def _finance(
        self,
        *,
        requester: int,
        asset: dict[str, int],
        root: int,
        face: Decimal,
        after: datetime.datetime,
        released_on: Any,
    ) -> dict[str, Any]:
        """A request, its offers (one accepted) and the registration; the registration's id and funder."""
        rng = self.rng
        request_id, created, funders = self._request(
            requester=requester, asset=asset, face=face, after=after, status="accepted"
        )
        decided = self._later(created, 1, 5)
        ratio = Decimal(rng.choice(("0.700000", "0.800000", "0.900000")))
        advance = _money(float(face * ratio))
        accepted = None
        for index, funder in enumerate(funders):
            offer_id = self.out["offer"].add(
                request_id=request_id,
                funder_id=funder,
                status="accepted" if index == 0 else "closed",
                advance_amount=advance,
                advance_ratio=ratio,
                annual_rate=Decimal("0.045000"),
                fees=Decimal("0.00"),
                term_days=90,
                registration_kind="pledge",
                answered_at=created,
                decided_at=decided,
                created_at=created,
            )
            accepted = accepted or offer_id
        registration_id = self.out["registration"].next_id
        released = released_on is not None
        self.out["registration"].add(
            id=registration_id,
            number=f"BREG{registration_id:010d}",
            root_receivable_id=root,
            funder_id=funders[0],
            assignor_id=requester,
            kind="pledge",
            face_amount=face,
            advance_amount=advance,
            request_id=request_id,
            offer_id=accepted,
            status="released" if released else "active",
            registered_at=decided,
            released_at=datetime.datetime.combine(released_on, datetime.time(18), TZ) if released else None,
            release_reason="settled" if released else "",
            **asset,
        )
        return {"id": registration_id, "funder_id": funders[0]}

    def _pay(
        self,
        pk: int,
        row: dict[str, Any],
        *,
        amount: Decimal,
        paid_on: datetime.date,
        payee: int,
        role: str,
        tier: int,
        voucher: int | None,
        registration: int | None,
    ) -> None:
        self.out["payment"].add(
            receivable_id=pk,
            voucher_id=voucher,
            registration_id=registration,
            payer_id=row["debtor_id"],
            payee_id=payee,
            payee_role=role,
            tier=tier,
            amount=amount,
            due_on=row["due_on"],
            paid_on=paid_on,
            days_early=(row["due_on"] - paid_on).days,
            reference="",
            recorded_at=datetime.datetime.combine(paid_on, datetime.time(17), TZ),
        )


# ---- schema the overview needs before its migration exists ----------------------------------------------------

REPAIR_MARK = "added by bench.supplychain_data until the app's migration has it"
# The indexes the overview asks for (S3's request to the owner of the models; see docs/performance.md).
OVERVIEW_INDEXES = {
    "receivable": lambda models, Q: models.Index(
        fields=["debtor", "amount", "id"],
        name="sc_rcv_overdue_idx",
        condition=Q(is_overdue=True, status__in=["confirmed", "financing_requested", "financed", "voucher_issued"]),
    ),
    "registration": lambda models, Q: models.Index(
        fields=["root_receivable", "funder", "face_amount"], name="sc_reg_active_idx", condition=Q(status="active")
    ),
    "request": lambda models, Q: models.Index(fields=["created_at"], name="sc_req_created_idx"),
    "voucher": lambda models, Q: models.Index(fields=["created_at"], name="sc_vch_created_idx"),
}


def _marked() -> list[tuple[str, str]]:
    """(kind, name) of the tables and indexes this module added (their comment says so)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT CASE c.relkind WHEN 'i' THEN 'INDEX' ELSE 'TABLE' END, c.relname FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()"
            " WHERE obj_description(c.oid, 'pg_class') = %s",
            [REPAIR_MARK],
        )
        return cursor.fetchall()


def _supplychain_migrations_pending() -> bool:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return any(migration.app_label == "supplychain" for migration, _backwards in plan)


def drop_repairs() -> list[str]:
    """Drop what repair_schema added when a migration of the app is about to run (it may create the same)."""
    from django.db import connection

    if not _supplychain_migrations_pending():
        return []
    dropped = []
    with connection.cursor() as cursor:
        for kind, name in sorted(_marked(), key=lambda item: item[0] != "INDEX"):
            cursor.execute(f'DROP {kind} IF EXISTS "{name}"')
            dropped.append(name)
    return dropped


def repair_schema() -> list[str]:
    """Create the overview's stored-months tables and indexes when the migrations do not (yet) have them, marked so
    that drop_repairs() removes them before a later migration creates them. Returns what it added."""
    from django.db import connection, models
    from django.db.models import Q

    from finbridge.supplychain.models.overview import OverviewMonth, OverviewMonthState

    out = tables()
    added = []
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
    with connection.schema_editor() as editor:
        for model in (OverviewMonth, OverviewMonthState):
            if model._meta.db_table not in existing:
                editor.create_model(model)
                editor.execute(f'COMMENT ON TABLE "{model._meta.db_table}" IS %s', [REPAIR_MARK])
                added.append(model._meta.db_table)
        for name, build in OVERVIEW_INDEXES.items():
            model = out[name].model
            index = build(models, Q)
            with connection.cursor() as cursor:
                constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
            if index.name not in constraints:
                editor.add_index(model, index)
                editor.execute(f'COMMENT ON INDEX "{index.name}" IS %s', [REPAIR_MARK])
                added.append(index.name)
    return added


# ---- entry points ----------------------------------------------------------------------------------------------


def generated_count() -> int:
    from finbridge.supplychain.models import Receivable

    return Receivable.objects.filter(contract_reference__startswith=f"{PREFIX}-").count()


def _counts() -> dict[str, int]:
    from django.db import connection

    result = {}
    with connection.cursor() as cursor:
        for name, table in tables().items():
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table.model._meta.db_table])
            result[name] = cursor.fetchone()[0]
    return result


def _load(orgs: dict[str, Any], count: int) -> dict[str, int]:
    from django.db import transaction

    out = tables()
    for table in out.values():
        table.start()
    generator = _Generator(orgs, out, SEED)
    days = iter(generator.upload_days(count))
    left = count
    while left:
        size = min(CHUNK, left)
        with transaction.atomic():
            for _ in range(size):
                generator.receivable(next(days))
            for name in (
                "receivable",
                "confirmation",
                "voucher",
                "request",
                "item",
                "offer",
                "registration",
                "payment",
            ):
                out[name].flush()
        left -= size
    for table in out.values():
        table.reset_sequence()
    return generator.counts


def ensure_supplychain_data(receivables: int = RECEIVABLES) -> dict[str, Any]:
    """Migrate, create the parties and logins, and load `receivables` receivables unless already there.
    Returns what is there and how long loading took."""
    from django.core.management import call_command
    from django.db import connection

    dropped = drop_repairs()
    call_command("migrate", verbosity=0)
    added = repair_schema()
    orgs = _organizations()
    _users(orgs)
    present = generated_count()
    seconds, mix = None, None
    if present == 0:
        started = time.perf_counter()
        mix = _load(orgs, receivables)
        seconds = round(time.perf_counter() - started, 1)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        present = generated_count()
    if seconds is not None:  # history written directly: stored overview months start afresh
        from finbridge.supplychain.selectors.overview_months import overview_months_reset

        overview_months_reset()
    elif present != receivables:
        raise SystemExit(f"The database holds {present:,} generated receivables, not {receivables:,}: use --fresh.")
    return {
        "schema_dropped_before_migrating": dropped,
        "schema_added_until_migrated": added,
        "loaded": seconds is not None,
        "load_seconds": seconds,
        "generated_receivables": present,
        "statuses_at_load": mix,
        "rows_estimated": _counts(),
        "parties": {
            "core_enterprises": len(orgs["cores"]),
            "suppliers": len(orgs["suppliers"]),
            "funding_offices": len(orgs["funders"]),
            "banks": len(orgs["banks"]),
        },
    }


def setup(*, fresh: bool = False, receivables: int = RECEIVABLES) -> dict[str, Any]:
    """Prepare the supply-chain benchmark database and its data (the benchmark calls this)."""
    use_own_database()
    prepare_database(fresh=fresh)
    return ensure_supplychain_data(receivables)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receivables", type=int, default=RECEIVABLES)
    parser.add_argument("--fresh", action="store_true", help="drop the supply-chain benchmark database first")
    args = parser.parse_args()
    print(json.dumps(setup(fresh=args.fresh, receivables=args.receivables), ensure_ascii=False, indent=2, default=str))


if __name__ == "__main__":
    main()
