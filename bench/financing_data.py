"""Financing benchmark data on the benchmark database: 5,000 products and 200,000 published demands.

Loaded once on top of the seeded registry (bench.ensure_demo_data: a million enterprises), with bulk_create in
batches (no services, no notifications, no matching), and reused after. `set_stage(percent)` publishes the
first `percent` % of the products and of the demands (by id) and turns the rest into drafts, so the matching
benchmark can measure how latencies grow from 10 % to 100 % of the data with one data set.

Providers: the demo banks and guarantor (so that the demo logins bank_staff and scitech_branch_staff have an
inbox) and BENCH_PROVIDERS further bank branches and guarantors named 基准…, each with a share of the products.
Products are drawn so that a demand fits a handful of them and nearly fits a few dozen (see the figures printed
by bench.financing_match: matches per demand).

    python -m bench.financing_data      (loads if missing, prints what is there as JSON)
"""

from __future__ import annotations

import datetime
import json
import math
import random
import time
from decimal import Decimal
from typing import Any

from bench import ensure_demo_data, prepare_database

PRODUCTS = 5_000
DEMANDS = 200_000
BENCH_PROVIDERS = 40  # extra bank branches (and every fifth a guarantor)
NAME_PREFIX = "基准"
BATCH = 5_000
SEED = 20250616
# Products of the demo institutions, so that their inboxes are realistic (a busy branch).
DEMO_PROVIDER_PRODUCTS = {
    "鹏城商业银行深圳坪山支行": 150,
    "鹏城商业银行深圳坪山科技支行": 150,
    "鹏城商业银行股份有限公司": 40,
    "粤海农村商业银行坪山支行": 100,
    "深圳市坪山融资担保有限公司": 60,
}
TERMS = ((1, 6), (3, 12), (6, 12), (12, 24), (12, 36), (24, 60), (6, 24), (36, 120))
DEMAND_TERMS = ((3, 1), (6, 2), (12, 6), (24, 3), (36, 2), (60, 1))
INDUSTRY_CHOICES = (
    ["C36"],
    ["C39"],
    ["C38", "C39"],
    ["C35"],
    ["C34"],
    ["C26", "C27"],
    ["C29", "C30"],
    ["C33"],
    ["C"],
    ["I65"],
    ["I64", "I65"],
    ["M73"],
    ["M"],
    ["F51"],
    ["F52", "H"],
    ["G"],
    ["E", "K"],
    ["L"],
)
KIND_COLLATERAL = {
    "credit_loan": [],
    "guaranteed_loan": ["guarantee"],
    "mortgage": ["real_estate"],
    "ip_pledge": ["ip"],
    "receivables_pledge": ["receivables"],
    "order_financing": ["orders"],
    "equipment_loan": ["equipment"],
}
COLLATERAL = ("real_estate", "equipment", "ip", "receivables", "orders", "guarantee")
LABELS = ("high_tech", "tech_sme", "srdi", "little_giant")
PURPOSES = ("rnd", "commercialisation", "equipment", "expansion", "working_capital")


def _round_wan(value: float) -> Decimal:
    """Yuan rounded to a whole 万元 (10,000 yuan), at least 10,000."""
    return Decimal(max(1, round(value / 10_000)) * 10_000).quantize(Decimal("0.01"))


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def financing_data_present() -> bool:
    from finbridge.financing.models import Product

    return Product.objects.filter(name__startswith=NAME_PREFIX).exists()


def _providers(rng: random.Random) -> list[tuple[Any, int]]:
    """(organisation, number of products) for every provider, creating the bench providers."""
    from finbridge.accounts.choices import BankTier, OrgType
    from finbridge.accounts.models import Organization

    result = []
    for name, count in DEMO_PROVIDER_PRODUCTS.items():
        org = Organization.objects.filter(name=name).first()
        if org is not None:
            result.append((org, count))
    head = Organization.objects.create(
        name=f"{NAME_PREFIX}银行股份有限公司",
        name_en="Bench Bank Co., Ltd.",
        org_type=OrgType.BANK,
        bank_tier=BankTier.HEAD_OFFICE,
    )
    left = PRODUCTS - sum(count for _org, count in result)
    for n in range(BENCH_PROVIDERS):
        guarantor = n % 5 == 4
        org = Organization.objects.create(
            name=f"{NAME_PREFIX}{'融资担保' if guarantor else '银行'}{n + 1:02d}",
            name_en=f"Bench {'Guarantor' if guarantor else 'Bank Branch'} {n + 1:02d}",
            org_type=OrgType.GUARANTOR if guarantor else OrgType.BANK,
            bank_tier="" if guarantor else (BankTier.SCITECH_BRANCH if n % 7 == 0 else BankTier.BRANCH),
            parent=None if guarantor else head,
        )
        share = left // BENCH_PROVIDERS + (1 if n < left % BENCH_PROVIDERS else 0)
        result.append((org, share))
    return result


def _product(rng: random.Random, n: int, provider: Any, today: datetime.date) -> dict[str, Any]:
    from finbridge.accounts.choices import OrgType

    guarantor = provider.org_type == OrgType.GUARANTOR
    kind = "guarantee" if guarantor else rng.choice(list(KIND_COLLATERAL))
    centre = _log_uniform(rng, 300_000, 15_000_000)
    spread = math.exp(rng.uniform(0.3, 0.6))
    term_min, term_max = rng.choice(TERMS)
    floating = not guarantor and rng.random() < 0.4
    sizes = rng.choices((["micro", "small"], ["micro", "small", "medium"], ["small", "medium"], []), (6, 2, 1, 1))[0]
    industries = rng.choice(INDUSTRY_CHOICES) if rng.random() < 0.9 else []
    labels = sorted(rng.sample(LABELS, rng.randint(1, 3))) if rng.random() < 0.15 else []
    collateral = [] if guarantor else list(KIND_COLLATERAL[kind])
    if collateral and rng.random() < 0.3:
        collateral.append(rng.choice([c for c in COLLATERAL if c not in collateral]))
    return {
        "name": f"{NAME_PREFIX}产品{n:05d}",
        "name_en": f"Bench product {n:05d}",
        "kind": kind,
        "status": "published",
        "suits_first_time_borrowers": rng.random() < 0.4,
        "allows_renewal_without_repayment": rng.random() < 0.2,
        "amount_min": _round_wan(centre / spread),
        "amount_max": _round_wan(centre * spread),
        "term_min_months": term_min,
        "term_max_months": term_max,
        "rate_type": "lpr_spread" if floating else "fixed",
        "fixed_rate": None if floating or guarantor else Decimal(rng.randrange(320, 700, 5)) / Decimal(10_000),
        "lpr_spread": Decimal(rng.randrange(-20, 300, 5)) / Decimal(10_000) if floating else None,
        "fee_rate": Decimal(rng.randrange(50, 200, 10)) / Decimal(10_000) if guarantor else Decimal(0),
        "collateral_required": collateral,
        "guarantee_required": kind == "guaranteed_loan" or (not guarantor and rng.random() < 0.05),
        "eligible_size_classes": sizes,
        "eligible_industries": industries,
        "required_labels": labels,
        "min_years_in_operation": rng.choice((0, 0, 0, 1, 2, 3, 5)),
        "min_annual_revenue": _round_wan(_log_uniform(rng, 500_000, 20_000_000)) if rng.random() < 0.3 else None,
        "msme_exclusive": rng.random() < 0.9,
        "valid_until": today + datetime.timedelta(days=rng.randint(60, 700)) if rng.random() < 0.1 else None,
        "description": "基准测试产品。",
        "description_en": "Benchmark product.",
    }


def _load_products(rng: random.Random, today: datetime.date) -> int:
    from django.utils import timezone

    from finbridge.financing.models import Product
    from finbridge.reference.models import IndustrialCluster, Subdistrict

    clusters = list(IndustrialCluster.objects.values_list("pk", flat=True))
    subdistricts = list(Subdistrict.objects.values_list("pk", flat=True))
    now = timezone.now()
    rows, extras, n = [], [], 0
    for provider, count in _providers(rng):
        for _ in range(count):
            n += 1
            rows.append(Product(provider=provider, published_at=now, **_product(rng, n, provider, today)))
            extras.append(
                (
                    rng.sample(clusters, rng.randint(1, 2)) if clusters and rng.random() < 0.15 else [],
                    rng.sample(subdistricts, rng.randint(1, 2)) if subdistricts and rng.random() < 0.5 else [],
                )
            )
    created = Product.objects.bulk_create(rows, batch_size=BATCH)
    cluster_links, subdistrict_links = [], []
    ClusterLink = Product.eligible_clusters.through
    SubdistrictLink = Product.eligible_subdistricts.through
    for product, (cluster_ids, subdistrict_ids) in zip(created, extras, strict=True):
        cluster_links += [ClusterLink(product_id=product.pk, industrialcluster_id=c) for c in cluster_ids]
        subdistrict_links += [SubdistrictLink(product_id=product.pk, subdistrict_id=s) for s in subdistrict_ids]
    ClusterLink.objects.bulk_create(cluster_links, batch_size=BATCH)
    SubdistrictLink.objects.bulk_create(subdistrict_links, batch_size=BATCH)
    return len(created)


def _load_demands(rng: random.Random, today: datetime.date) -> int:
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from finbridge.accounts.choices import OrgType
    from finbridge.accounts.models import Organization
    from finbridge.core.workdays import add_workdays
    from finbridge.enterprises.models import Enterprise
    from finbridge.financing.models import Demand, DemandResponse

    top = Enterprise.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    low = Enterprise.objects.order_by("pk").values_list("pk", flat=True).first() or 0
    institutions = list(
        Organization.objects.filter(org_type__in=[OrgType.BANK, OrgType.GUARANTOR]).values_list("pk", flat=True)
    )
    responders = list(
        Organization.objects.filter(name__in=list(DEMO_PROVIDER_PRODUCTS)[:2]).values_list("pk", flat=True)
    )
    days = settings.FINBRIDGE_RESPONSE_WORKING_DAYS
    respond_by: dict[datetime.date, datetime.date] = {}
    now = timezone.now()
    created_total = 0
    weights = [w for _t, w in DEMAND_TERMS]
    terms = [t for t, _w in DEMAND_TERMS]
    ChosenLink = Demand.chosen_institutions.through
    for start in range(0, DEMANDS, BATCH):
        rows, chosen = [], []
        for _ in range(min(BATCH, DEMANDS - start)):
            published_at = now - datetime.timedelta(minutes=rng.randint(0, 20 * 24 * 60))
            published_on = timezone.localdate(published_at)
            if published_on not in respond_by:
                respond_by[published_on] = add_workdays(published_on, days)
            offered = sorted(rng.sample(COLLATERAL, rng.randint(1, 2))) if rng.random() < 0.6 else []
            rows.append(
                Demand(
                    enterprise_id=rng.randint(low, top),
                    amount=_round_wan(_log_uniform(rng, 100_000, 30_000_000)),
                    term_months=rng.choices(terms, weights)[0],
                    purpose=rng.choice(PURPOSES),
                    collateral_offered=offered,
                    max_annual_rate=(
                        Decimal(rng.randrange(350, 800, 25)) / Decimal(10_000) if rng.random() < 0.75 else None
                    ),
                    needed_by=published_on + datetime.timedelta(days=rng.randint(20, 120)),
                    description="基准测试融资需求。",
                    visibility="chosen" if rng.random() < 0.2 else "all",
                    status="published",
                    published_at=published_at,
                    respond_by=respond_by[published_on],
                    expires_on=published_on + datetime.timedelta(days=90),
                    created_at=published_at,
                )
            )
            chosen.append(rng.sample(institutions, rng.randint(1, 3)) if institutions else [])
        with transaction.atomic():
            created = Demand.objects.bulk_create(rows, batch_size=BATCH)
            links, answers = [], []
            for demand, picked in zip(created, chosen, strict=True):
                if demand.visibility == "chosen":
                    links += [ChosenLink(demand_id=demand.pk, organization_id=org_id) for org_id in picked]
                for responder in responders:
                    if rng.random() < 0.25:
                        answers.append(
                            DemandResponse(
                                demand_id=demand.pk,
                                institution_id=responder,
                                kind="pass",
                                responded_at=demand.published_at + datetime.timedelta(hours=rng.randint(1, 40)),
                            )
                        )
            ChosenLink.objects.bulk_create(links, batch_size=BATCH)
            DemandResponse.objects.bulk_create(answers, batch_size=BATCH)
        created_total += len(created)
    return created_total


def ensure_financing_data() -> dict[str, Any]:
    """Load the products and demands unless already there; what is there, and how long loading took."""
    from django.db import connection, transaction

    from finbridge.financing.models import Demand, Product

    seconds = None
    if not financing_data_present():
        rng = random.Random(SEED)
        today = datetime.date.today()
        started = time.perf_counter()
        with transaction.atomic():
            _load_products(rng, today)
        _load_demands(rng, today)
        seconds = round(time.perf_counter() - started, 1)
        with connection.cursor() as cursor:
            for model in (Product, Demand):
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    return {
        "loaded": seconds is not None,
        "load_seconds": seconds,
        "products": Product.objects.filter(name__startswith=NAME_PREFIX).count(),
        "demands": Demand.objects.filter(description="基准测试融资需求。").count(),
    }


def stage_bounds(percent: int) -> tuple[int, int]:
    """The highest product id and demand id published at `percent` % of the data."""
    from finbridge.financing.models import Demand, Product

    products = list(Product.objects.filter(name__startswith=NAME_PREFIX).order_by("pk").values_list("pk", flat=True))
    demands = Demand.objects.filter(description="基准测试融资需求。").order_by("pk").values_list("pk", flat=True)
    demand_ids = list(demands)
    last_product = products[max(0, len(products) * percent // 100 - 1)]
    last_demand = demand_ids[max(0, len(demand_ids) * percent // 100 - 1)]
    return last_product, last_demand


def set_stage(percent: int) -> dict[str, int]:
    """Publish the first `percent` % of the bench products and demands (by id), make the others drafts."""
    from django.db import connection, transaction

    from finbridge.financing.models import Demand, Product

    last_product, last_demand = stage_bounds(percent)
    products = Product.objects.filter(name__startswith=NAME_PREFIX)
    demands = Demand.objects.filter(description="基准测试融资需求。")
    with transaction.atomic():
        changed = products.filter(pk__lte=last_product).exclude(status="published").update(status="published")
        changed += products.filter(pk__gt=last_product).exclude(status="draft").update(status="draft")
        changed += demands.filter(pk__lte=last_demand).exclude(status="published").update(status="published")
        changed += demands.filter(pk__gt=last_demand).exclude(status="draft").update(status="draft")
    if changed:  # the planner must see the new statuses, and the updates leave dead rows behind
        with connection.cursor() as cursor:
            for model in (Product, Demand):
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    return {
        "percent": percent,
        "published_products": products.filter(status="published").count(),
        "published_demands": demands.filter(status="published").count(),
    }


def main() -> None:
    prepare_database()
    registry = ensure_demo_data()
    print(json.dumps({"registry": registry, "financing": ensure_financing_data()}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
