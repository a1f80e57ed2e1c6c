"""Demo data: a believable Pingshan to try the platform with, and the credit-code recipe it uses.

`seed_demo()` fills an empty database with the district, its six subdistricts and clusters, an
organisation of every type with the demo logins (README.md lists them), N enterprises with Chinese names,
addresses, figures, labels, yearly figures, contacts and consents, and a few audit events.

It is a loader, not a user action: it writes directly with `bulk_create` in batches and bypasses the
per-row services, so that a million enterprises load in minutes. Consequences, on purpose:
- no django-simple-history rows are created for demo data (a record's history starts with its first
  real change);
- only a handful of illustrative audit events are written, plus one event for the load itself;
- size classes are still derived by `sizing.classify` and managing authorities by
  `services.managing_authority_for`, exactly as the services would.

The output depends only on `seed` and on the day it runs (verification and consent dates are relative
to today so that "recently verified" and "overdue" stay true).
"""

from __future__ import annotations

import bisect
import contextlib
import datetime
import itertools
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone
from faker import Faker
from stdnum.cn import uscc

from finbridge.accounts.models import Membership, Organization, User
from finbridge.audit.services import log_event, snapshot
from finbridge.enterprises import demo_data as data
from finbridge.enterprises.choices import ConsentScope
from finbridge.enterprises.models import Consent, Enterprise, EnterpriseContact, EnterpriseFinancials
from finbridge.enterprises.services.enterprises import managing_authority_for
from finbridge.enterprises.sizing import classify
from finbridge.reference.models import District, IndustrialCluster, Subdistrict

DEFAULT_ENTERPRISES = 2000
DEFAULT_SEED = 2025
MIN_ENTERPRISES = 2  # the core enterprise's and the MSME's own records
CHUNK = 5000  # enterprises generated and written per round
BATCH = 2000  # rows per INSERT
DEFER_GIN_FROM = 50_000  # from this many enterprises on, GIN indexes are built once after the load
POOL_SIZE = 4000  # Faker values drawn once and reused (person names, phones, e-mails)

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
T = TypeVar("T")


def valid_uscc(n: int) -> str:
    """A well-formed unified social credit code (market-regulator enterprise, Shenzhen) numbered n."""
    body = f"91440300{n:09d}"
    return body + uscc.calc_check_digit(body)


def demo_uscc(n: int) -> str:
    """A well-formed credit code in the style of recent Shenzhen registrations (91440300MA5…), numbered n.

    Codes of the demo never collide with `valid_uscc` (the organisation code part starts with letters).
    """
    digits = []
    for _ in range(6):
        n, rest = divmod(n, len(_USCC_ALPHABET))
        digits.append(_USCC_ALPHABET[rest])
    if n:
        raise ValueError("demo credit codes are numbered below 31**6")
    body = "91440300MA5" + "".join(reversed(digits))
    return body + uscc.calc_check_digit(body)


class DemoDataPresent(Exception):
    """The demo district already exists: the loader only fills an empty database."""


@dataclass
class SeedReport:
    """What seed_demo() created."""

    enterprises: int = 0
    organisations: int = 0
    users: int = 0
    financials: int = 0
    contacts: int = 0
    consents: int = 0
    cluster_tags: int = 0
    audit_events: int = 0


def demo_data_present() -> bool:
    """Whether the demo district exists (then `seed_demo --if-empty` does nothing)."""
    return District.objects.filter(code=data.DISTRICT["code"]).exists()


def seed_demo(
    *,
    enterprises: int = DEFAULT_ENTERPRISES,
    seed: int = DEFAULT_SEED,
    progress: Callable[[int, int], None] | None = None,
) -> SeedReport:
    """Load the demo district with `enterprises` enterprises, in one transaction.

    For an empty database only: raises DemoDataPresent when the district exists and ValueError for
    fewer than MIN_ENTERPRISES. `progress(done, total)` is called after every chunk of enterprises.
    """
    if enterprises < MIN_ENTERPRISES:
        raise ValueError(f"at least {MIN_ENTERPRISES} enterprises are needed")
    with transaction.atomic():
        if demo_data_present():
            raise DemoDataPresent()
        with _gin_indexes_deferred(enterprises >= DEFER_GIN_FROM):
            return _Loader(seed=seed, progress=progress).load(enterprises)


@contextlib.contextmanager
def _gin_indexes_deferred(enabled: bool) -> Iterator[None]:
    """On PostgreSQL, drop the enterprise table's GIN indexes (name search) for a large load and build each
    once at the end: much faster than maintaining them row by row. Inside the load's transaction, so a
    failed load puts them back as they were."""
    if not enabled or connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes"
            " WHERE schemaname = current_schema() AND tablename = %s AND indexdef LIKE %s",
            [Enterprise._meta.db_table, "% USING gin %"],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # check the deferred foreign keys now: no pending events
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for _name, definition in indexes:
            cursor.execute(definition)


# ---- drawing helpers ---------------------------------------------------------------------------------


class _Weighted:
    """Draws items by weight with one random number and a binary search."""

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cumulative = list(itertools.accumulate(weights))

    def draw(self, rng: random.Random) -> Any:
        return self.items[bisect.bisect_right(self.cumulative, rng.random() * self.cumulative[-1])]


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return low * (high / low) ** rng.random()


def _yuan(value: float) -> Decimal:
    """A whole-yuan amount (the random draw is float; the stored amount is an exact Decimal)."""
    return Decimal(max(int(value), 0))


# (size tier, weight, employees range, revenue range in 万元): the tiers the figures are drawn from.
# The size class itself is then derived by sizing.classify from the industry and the figures.
_TIERS = (
    ("micro", 56, (1, 19), (10, 300)),
    ("small", 29, (20, 299), (300, 2000)),
    ("medium", 9.5, (300, 999), (2000, 40000)),
    ("large", 3.5, (1000, 8000), (40000, 500000)),
    ("unknown", 2, (1, 50), (10, 300)),  # figures not reported: no size class
)
_REGISTERED_CAPITAL_WAN = (10, 50, 100, 200, 300, 500, 1000, 2000, 5000, 10000)


@dataclass
class _Draft:
    """One generated enterprise with the rows that hang off it (written after it has an id)."""

    enterprise: Enterprise
    cluster_ids: list[int]
    financials: list[EnterpriseFinancials] = field(default_factory=list)
    contacts: list[EnterpriseContact] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)


class _Loader:
    def __init__(self, *, seed: int, progress: Callable[[int, int], None] | None) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.progress = progress
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.report = SeedReport()
        fake = Faker("zh_CN")
        fake.seed_instance(seed)
        self.person_names = [fake.name() for _ in range(POOL_SIZE)]
        self.phones = [fake.phone_number() for _ in range(POOL_SIZE)]
        self.emails = [fake.free_email() for _ in range(POOL_SIZE)]
        self.industries = _Weighted(data.INDUSTRIES, [i.weight for i in data.INDUSTRIES])
        self.tiers = _Weighted(_TIERS, [t[1] for t in _TIERS])
        self.suffixes = _Weighted(data.NAME_SUFFIXES, [s[2] for s in data.NAME_SUFFIXES])
        self.grantee_keys = _Weighted([g[0] for g in data.CONSENT_GRANTEES], [g[1] for g in data.CONSENT_GRANTEES])
        self.interval = datetime.timedelta(days=settings.FINBRIDGE_VERIFICATION_INTERVAL_DAYS)
        self._authority_cache: dict[str, int | None] = {}

    # -- the whole load ----------------------------------------------------------------------------------

    def load(self, count: int) -> SeedReport:
        self._reference_data()
        self._organisations()
        self._users()
        self._special_enterprises()
        self._enterprises(count - MIN_ENTERPRISES)
        self._audit_events(count)
        return self.report

    # -- reference data, organisations, people ------------------------------------------------------------

    def _reference_data(self) -> None:
        self.district = District.objects.create(**data.DISTRICT)
        self.subdistricts = {
            code: Subdistrict.objects.create(district=self.district, code=code, name_zh=zh, name_en=en)
            for code, zh, en, _weight in data.SUBDISTRICTS
        }
        self.subdistrict_draw = _Weighted(list(self.subdistricts.values()), [s[3] for s in data.SUBDISTRICTS])
        self.clusters = {
            code: IndustrialCluster.objects.create(district=self.district, code=code, name_zh=zh, name_en=en)
            for code, zh, en in data.CLUSTERS
        }

    def _organisations(self) -> None:
        self.orgs: dict[str, Organization] = {}
        for spec in data.ORGANISATIONS:
            self.orgs[spec.key] = Organization.objects.create(
                name=spec.name,
                name_en=spec.name_en,
                org_type=spec.org_type,
                bank_tier=spec.bank_tier,
                parent=self.orgs[spec.parent] if spec.parent else None,
                district=self.district,
                subdistrict=self.subdistricts[spec.subdistrict] if spec.subdistrict else None,
                industry_sectors=list(spec.industry_sectors),
            )
        self.report.organisations = len(self.orgs)

    def _users(self) -> None:
        password = make_password(settings.FINBRIDGE_DEMO_PASSWORD)  # hashed once: same password for all
        self.users: dict[str, User] = {}
        for username, org_key, role, display_name in data.DEMO_USERS:
            user = User.objects.create(
                username=username,
                display_name=display_name,
                email=f"{username}@demo.finbridge.local",
                password=password,
            )
            Membership.objects.create(user=user, organization=self.orgs[org_key], role=role)
            self.users[username] = user
        self.report.users = len(self.users)

    # -- the core enterprise and the MSME: hand-made records linked to their organisations -------------

    def _special_enterprises(self) -> None:
        core_org, msme_org = self.orgs["core_enterprise"], self.orgs["msme"]
        kengzi, longtian = self.subdistricts[data.KENGZI], self.subdistricts["440310006"]
        verified = self.now - datetime.timedelta(days=40)
        core = self._enterprise(
            uscc=demo_uscc(0),
            name=core_org.name,
            name_en=core_org.name_en,
            industry_code="C3612",
            subdistrict=longtian,
            address="广东省深圳市坪山区龙田街道新能源大道1号",
            employees=6800,
            revenue=Decimal("12800000000.00"),
            assets=Decimal("21500000000.00"),
            established_on=datetime.date(2003, 6, 18),
            registered_capital=Decimal("3000000000.00"),
            organization=core_org,
            labels={"is_high_tech": True},
            patents_held=1260,
            verified_at=verified,
        )
        msme = self._enterprise(
            uscc=demo_uscc(1),
            name=msme_org.name,
            name_en=msme_org.name_en,
            industry_code="C3973",
            subdistrict=kengzi,
            address="广东省深圳市坪山区坑梓街道秀新路18号晶芯科技园3栋5楼",
            employees=86,
            revenue=Decimal("46000000.00"),
            assets=Decimal("52000000.00"),
            established_on=datetime.date(2016, 3, 9),
            registered_capital=Decimal("10000000.00"),
            organization=msme_org,
            labels={"is_high_tech": True, "is_tech_sme": True, "is_srdi": True},
            patents_held=37,
            verified_at=verified,
        )
        Enterprise.objects.bulk_create([core, msme])
        through = Enterprise.clusters.through
        through.objects.bulk_create(
            [
                through(enterprise_id=core.pk, industrialcluster_id=self.clusters["nev-icv"].pk),
                through(enterprise_id=core.pk, industrialcluster_id=self.clusters["energy-storage"].pk),
                through(enterprise_id=msme.pk, industrialcluster_id=self.clusters["ic-next-gen-it"].pk),
            ]
        )
        figures = self._yearly_figures(employees=86, revenue=46_000_000, assets=52_000_000)
        for row in figures:
            row.enterprise = msme
        EnterpriseFinancials.objects.bulk_create(figures)
        owner = self.users["msme_owner"]
        consents = [
            self._consent(msme, "bank_branch", ConsentScope.FINANCIALS, granted_days_ago=120, by=owner),
            self._consent(msme, "bank_scitech", ConsentScope.PROFILE, granted_days_ago=60, by=owner, expires_in=180),
            self._consent(
                msme, "guarantor", ConsentScope.FINANCIALS, granted_days_ago=200, by=owner, revoked_days_ago=20
            ),
            self._consent(msme, "insurer", ConsentScope.PROFILE, granted_days_ago=400, by=owner, expires_in=-10),
            self._consent(core, "bank_head", ConsentScope.FINANCIALS, granted_days_ago=300),
            self._consent(core, "securities", ConsentScope.FINANCIALS, granted_days_ago=90),
        ]
        Consent.objects.bulk_create(consents)
        EnterpriseContact.objects.bulk_create(
            [
                EnterpriseContact(enterprise=msme, name="林晓", title="总经理", phone="13902840018", is_primary=True),
                EnterpriseContact(enterprise=msme, name="何佳", title="财务经理", phone="13725590361"),
                EnterpriseContact(
                    enterprise=core, name="孙涛", title="供应链金融部经理", phone="13600126688", is_primary=True
                ),
            ]
        )
        self.core, self.msme = core, msme
        self.report.enterprises += 2
        self.report.financials += len(figures)
        self.report.consents += len(consents)
        self.report.contacts += 3
        self.report.cluster_tags += 3

    # -- generated enterprises -------------------------------------------------------------------------------

    def _enterprises(self, count: int) -> None:
        for start in range(0, count, CHUNK):
            drafts = [self._draft(number) for number in range(start, min(count, start + CHUNK))]
            self._write(drafts)
            if self.progress:
                self.progress(start + len(drafts), count)

    def _write(self, drafts: list[_Draft]) -> None:
        Enterprise.objects.bulk_create([d.enterprise for d in drafts], batch_size=BATCH)
        through = Enterprise.clusters.through
        tags, financials, contacts, consents = [], [], [], []
        for draft in drafts:
            pk = draft.enterprise.pk
            tags.extend(through(enterprise_id=pk, industrialcluster_id=cid) for cid in draft.cluster_ids)
            for rows, target in (
                (draft.financials, financials),
                (draft.contacts, contacts),
                (draft.consents, consents),
            ):
                for row in rows:
                    row.enterprise_id = pk
                target.extend(rows)
        through.objects.bulk_create(tags, batch_size=BATCH * 2)
        EnterpriseFinancials.objects.bulk_create(financials, batch_size=BATCH)
        EnterpriseContact.objects.bulk_create(contacts, batch_size=BATCH)
        Consent.objects.bulk_create(consents, batch_size=BATCH)
        self.report.enterprises += len(drafts)
        self.report.cluster_tags += len(tags)
        self.report.financials += len(financials)
        self.report.contacts += len(contacts)
        self.report.consents += len(consents)

    def _draft(self, number: int) -> _Draft:
        rng = self.rng
        industry = self.industries.draw(rng)
        tier = self.tiers.draw(rng)
        if number < 4:  # the first four cover every size class, whatever the sample size
            industry, tier = data.INDUSTRIES[1], _TIERS[3 - number]
        employees, revenue, assets = self._figures(tier)
        in_cluster = bool(industry.clusters)
        name, name_en = self._names(industry)
        subdistrict = self.subdistrict_draw.draw(rng)
        enterprise = self._enterprise(
            uscc=demo_uscc(number + MIN_ENTERPRISES),
            name=name,
            name_en=name_en,
            industry_code=industry.code,
            subdistrict=subdistrict,
            address=self._address(subdistrict),
            employees=employees,
            revenue=revenue,
            assets=assets,
            established_on=self.today - datetime.timedelta(days=rng.randint(200, 28 * 365)),
            registered_capital=Decimal(rng.choice(_REGISTERED_CAPITAL_WAN) * 10000),
            labels=self._labels(in_cluster, tier[0]),
            patents_held=int(rng.expovariate(1 / 12)) if in_cluster and rng.random() < 0.7 else int(rng.random() < 0.1),
            verified_at=self._verified_at(),
            has_serious_bad_credit=rng.random() < 0.005,
        )
        cluster_ids = [
            self.clusters[code].pk for i, code in enumerate(industry.clusters) if i == 0 or rng.random() < 0.5
        ]
        draft = _Draft(enterprise, cluster_ids)
        if revenue is not None and assets is not None and employees is not None and rng.random() < 0.35:
            draft.financials = self._yearly_figures(employees=employees, revenue=int(revenue), assets=int(assets))
        draft.contacts = self._contacts()
        draft.consents = self._random_consents()
        return draft

    def _enterprise(
        self,
        *,
        industry_code: str,
        employees: int | None,
        revenue: Decimal | None,
        assets: Decimal | None,
        labels: dict[str, bool],
        verified_at: datetime.datetime | None,
        **fields: Any,
    ) -> Enterprise:
        verifier = None
        if verified_at is not None:
            verifier = self.users["industry_staff" if self.rng.random() < 0.6 else "subdistrict_staff"]
        return Enterprise(
            industry_code=industry_code,
            employees=employees,
            annual_revenue=revenue,
            total_assets=assets,
            size_class=classify(industry_code=industry_code, employees=employees, revenue=revenue, assets=assets),
            managing_authority_id=self._authority_id(industry_code),
            legal_representative=fields.pop("legal_representative", None) or self.rng.choice(self.person_names),
            last_verified_at=verified_at,
            last_verified_by=verifier,
            verification_due_on=(timezone.localtime(verified_at).date() + self.interval) if verified_at else None,
            created_at=self.now - datetime.timedelta(days=self.rng.randint(30, 1100)),
            **labels,
            **fields,
        )

    def _authority_id(self, industry_code: str) -> int | None:
        """The managing authority by the services' own rule, asked once per industry code."""
        if industry_code not in self._authority_cache:
            authority = managing_authority_for(industry_code)
            self._authority_cache[industry_code] = authority.pk if authority else None
        return self._authority_cache[industry_code]

    def _figures(self, tier: tuple) -> tuple[int | None, Decimal | None, Decimal | None]:
        rng = self.rng
        key, _weight, (emp_low, emp_high), (rev_low, rev_high) = tier
        employees = round(_log_uniform(rng, emp_low, emp_high))
        revenue_yuan = _log_uniform(rng, rev_low, rev_high) * 10000
        assets_yuan = revenue_yuan * rng.uniform(0.4, 1.8)
        if key == "unknown":
            return (None, None, None) if rng.random() < 0.5 else (employees, None, _yuan(assets_yuan))
        return employees, _yuan(revenue_yuan), _yuan(assets_yuan)

    def _names(self, industry: data.Industry) -> tuple[str, str]:
        rng = self.rng
        brand = [rng.choice(data.BRAND_CHARS) for _ in range(3 if rng.random() < 0.2 else 2)]
        word_zh, word_en = rng.choice(data.NAME_WORDS[industry.words])
        suffix_zh, suffix_en, _weight = self.suffixes.draw(rng)
        pingshan = rng.random() < 0.35
        brand_zh = "".join(c for c, _p in brand)
        brand_en = "".join(p for _c, p in brand).capitalize()
        name = f"深圳市{'坪山' if pingshan else ''}{brand_zh}{word_zh}{suffix_zh}"
        name_en = f"Shenzhen {'Pingshan ' if pingshan else ''}{brand_en} {word_en} {suffix_en}"
        return name, name_en

    def _address(self, subdistrict: Subdistrict) -> str:
        rng = self.rng
        road = self._two_brand_chars() + rng.choice(data.ROAD_WORDS)
        park = self._two_brand_chars() + rng.choice(data.PARK_WORDS)
        return (
            f"广东省深圳市坪山区{subdistrict.name_zh}街道{road}{rng.randint(1, 399)}号"
            f"{park}{rng.randint(1, 12)}栋{rng.randint(1, 18)}楼"
        )

    def _two_brand_chars(self) -> str:
        return self.rng.choice(data.BRAND_CHARS)[0] + self.rng.choice(data.BRAND_CHARS)[0]

    def _labels(self, in_cluster: bool, tier: str) -> dict[str, bool]:
        rng = self.rng
        established = tier in ("small", "medium")
        srdi = rng.random() < (0.09 if in_cluster and established else 0.01)
        return {
            "is_high_tech": rng.random() < (0.21 if in_cluster else 0.04),
            "is_tech_sme": rng.random() < (0.2 if in_cluster else 0.03),
            "is_srdi": srdi,
            "is_little_giant": srdi and rng.random() < 0.12,
        }

    def _verified_at(self) -> datetime.datetime | None:
        """A quarter never verified, half verified within the interval, a quarter overdue."""
        draw = self.rng.random()
        if draw < 0.25:
            return None
        interval_days = self.interval.days
        days = (
            self.rng.randint(0, interval_days - 1)
            if draw < 0.75
            else self.rng.randint(interval_days, interval_days * 2)
        )
        return self.now - datetime.timedelta(days=days, minutes=self.rng.randint(0, 600))

    def _yearly_figures(self, *, employees: int, revenue: int, assets: int) -> list[EnterpriseFinancials]:
        """Three years of figures ending last year, growing towards the current ones."""
        rng = self.rng
        growth = rng.uniform(-0.08, 0.3)
        figures = []
        for back in range(1, 4):
            factor = (1 + growth) ** (1 - back)
            year_revenue = revenue * factor
            figures.append(
                EnterpriseFinancials(
                    year=self.today.year - back,
                    revenue=_yuan(year_revenue),
                    total_assets=_yuan(assets * factor),
                    net_profit=Decimal(int(year_revenue * rng.uniform(-0.08, 0.15))),
                    rd_expense=_yuan(year_revenue * rng.uniform(0.01, 0.12)),
                    employees=max(1, round(employees * factor)),
                )
            )
        return figures

    def _contacts(self) -> list[EnterpriseContact]:
        rng = self.rng
        if rng.random() >= 0.6:
            return []
        count = 2 if rng.random() < 0.25 else 1
        return [
            EnterpriseContact(
                name=rng.choice(self.person_names),
                title=rng.choice(data.CONTACT_TITLES),
                phone=rng.choice(self.phones),
                email=rng.choice(self.emails),
                is_primary=index == 0,
            )
            for index in range(count)
        ]

    def _random_consents(self) -> list[Consent]:
        """Three in ten enterprises share with one to three institutions; some consents lapsed or revoked."""
        rng = self.rng
        if rng.random() >= 0.3:
            return []
        wanted = 1 if rng.random() < 0.6 else (2 if rng.random() < 0.75 else 3)
        keys: list[str] = []
        while len(keys) < wanted:
            key = self.grantee_keys.draw(rng)
            if key not in keys:
                keys.append(key)
        consents = []
        for key in keys:
            status = rng.random()
            consents.append(
                self._consent(
                    None,
                    key,
                    ConsentScope.FINANCIALS if rng.random() < 0.6 else ConsentScope.PROFILE,
                    granted_days_ago=rng.randint(1, 700),
                    expires_in=rng.randint(-200, -1)
                    if 0.84 <= status < 0.93
                    else rng.choice([None, rng.randint(30, 720)]),
                    revoked_days_ago=rng.randint(0, 60) if status >= 0.93 else None,
                )
            )
        return consents

    def _consent(
        self,
        enterprise: Enterprise | None,
        grantee_key: str,
        scope: str,
        *,
        granted_days_ago: int,
        by: User | None = None,
        expires_in: int | None = None,
        revoked_days_ago: int | None = None,
    ) -> Consent:
        granted_at = self.now - datetime.timedelta(days=granted_days_ago)
        revoked_at = None
        if revoked_days_ago is not None:
            revoked_at = max(granted_at, self.now - datetime.timedelta(days=revoked_days_ago))
        return Consent(
            enterprise=enterprise,
            grantee=self.orgs[grantee_key],
            scope=scope,
            granted_at=granted_at,
            granted_by=by,
            expires_on=None if expires_in is None else self.today + datetime.timedelta(days=expires_in),
            revoked_at=revoked_at,
            revoked_by=by if revoked_at else None,
        )

    # -- a few audit events, so that the audit page has something to show ------------------------------

    def _audit_events(self, count: int) -> None:
        users, msme = self.users, self.msme
        consents = {c.grantee_id: c for c in Consent.objects.filter(enterprise=msme)}
        branch_consent = consents[self.orgs["bank_branch"].pk]
        revoked = consents[self.orgs["guarantor"].pk]
        events = [
            log_event(
                actor=None,
                action="seed_demo",
                object_type="reference.district",
                object_id=str(self.district.pk),
                object_repr=str(self.district.name_zh),
                after={"enterprises": count, "seed": self.seed},
            ),
            log_event(
                actor=users["msme_owner"], action="consent_grant", obj=branch_consent, after=snapshot(branch_consent)
            ),
            log_event(
                actor=users["msme_owner"],
                action="consent_revoke",
                obj=revoked,
                before={"revoked_at": None},
                after={"revoked_at": revoked.revoked_at},
            ),
            log_event(
                actor=users["industry_staff"],
                action="enterprise_verify",
                obj=msme,
                before={"last_verified_at": None, "verification_due_on": None},
                after={"last_verified_at": msme.last_verified_at, "verification_due_on": msme.verification_due_on},
            ),
            log_event(
                actor=users["subdistrict_staff"],
                action="enterprise_update",
                obj=msme,
                before={"employees": 79, "address": "广东省深圳市坪山区坑梓街道秀新路18号"},
                after={"employees": msme.employees, "address": msme.address},
            ),
        ]
        self.report.audit_events = len(events)
