"""The SQL candidate statements count exactly the failures matching_rules.evaluate() finds (property test).

Runs on the database of the test run (SQLite by default; PostgreSQL with DATABASE_URL), so both dialects of
services/matching.py are checked by running the suite on each.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finbridge.financing.matching_rules import MAX_FAILURES, ProductIndex, evaluate
from finbridge.financing.models import Demand, DemandMatch, LprRate, Product
from finbridge.financing.services import matching as services
from finbridge.financing.tests.matching.conftest import make_demand, make_product

amounts = st.decimals(min_value=Decimal("10000"), max_value=Decimal("20000000"), places=2)
rates = st.sampled_from(
    [Decimal("0.030000"), Decimal("0.035000"), Decimal("0.040000"), Decimal("0.045500"), Decimal("0.050000")]
)
collateral = st.lists(st.sampled_from(["real_estate", "equipment", "ip", "guarantee", "none"]), unique=True, max_size=2)
labels = st.lists(st.sampled_from(["high_tech", "tech_sme", "srdi", "little_giant"]), unique=True, max_size=2)


@st.composite
def product_values(draw):
    low = draw(amounts)
    term_min = draw(st.integers(1, 24))
    kind = draw(st.sampled_from(["mortgage", "credit_loan", "guarantee", "ip_pledge"]))
    floating = kind != "guarantee" and draw(st.booleans())
    return {
        "kind": kind,
        "amount_min": low,
        "amount_max": low + draw(amounts),
        "term_min_months": term_min,
        "term_max_months": term_min + draw(st.integers(0, 36)),
        "rate_type": "lpr_spread" if floating else "fixed",
        "fixed_rate": None if floating or kind == "guarantee" else draw(rates),
        "lpr_spread": draw(st.sampled_from([Decimal("-0.002000"), Decimal("0.010000"), Decimal("0.019000"), None]))
        if floating
        else None,
        "eligible_size_classes": draw(st.lists(st.sampled_from(["micro", "small", "medium"]), unique=True, max_size=2)),
        "msme_exclusive": draw(st.booleans()),
        "eligible_industries": draw(
            st.lists(st.sampled_from(["C", "C36", "C3670", "I65", "F52"]), unique=True, max_size=2)
        ),
        "required_labels": draw(labels),
        "min_years_in_operation": draw(st.integers(0, 12)),
        "min_annual_revenue": draw(st.one_of(st.none(), amounts)),
        "collateral_required": draw(collateral),
        "guarantee_required": draw(st.booleans()),
        "cluster": draw(st.booleans()),
        "subdistrict": draw(st.sampled_from([None, "s1", "s2"])),
    }


@st.composite
def firm_values(draw):
    return {
        "size_class": draw(st.sampled_from(["micro", "small", "medium", "large", ""])),
        "industry_code": draw(st.sampled_from(["C3670", "C3911", "I6513", "F5211", ""])),
        "established_on": draw(st.one_of(st.none(), st.dates(datetime.date(2000, 1, 1), timezone.localdate()))),
        "annual_revenue": draw(st.one_of(st.none(), amounts)),
        "labels": draw(labels),
        "in_cluster": draw(st.booleans()),
        "subdistrict": draw(st.sampled_from([None, "s1", "s2"])),
    }


@st.composite
def demand_values(draw):
    return {
        "amount": draw(amounts),
        "term_months": draw(st.integers(1, 72)),
        "max_annual_rate": draw(st.one_of(st.none(), rates)),
        "collateral_offered": draw(collateral),
    }


def _apply_firm(market, enterprise, values):
    enterprise.size_class = values["size_class"]
    enterprise.industry_code = values["industry_code"]
    enterprise.established_on = values["established_on"]
    enterprise.annual_revenue = values["annual_revenue"]
    for label in ("high_tech", "tech_sme", "srdi", "little_giant"):
        setattr(enterprise, f"is_{label}", label in values["labels"])
    enterprise.subdistrict = getattr(market, values["subdistrict"]) if values["subdistrict"] else None
    enterprise.save()
    enterprise.clusters.set([market.cluster] if values["in_cluster"] else [])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    products=st.lists(product_values(), min_size=1, max_size=5),
    firms=st.lists(firm_values(), min_size=2, max_size=2),
    demands=st.lists(demand_values(), min_size=1, max_size=3),
    lpr=st.sampled_from([None, "0.031000"]),
)
def test_sql_failure_counts_equal_the_rules(market, products, firms, demands, lpr):
    Product.objects.all().delete()
    Demand.objects.all().delete()
    LprRate.objects.all().delete()
    if lpr:
        LprRate.objects.create(term="1y", effective_on=datetime.date(2000, 1, 1), rate=Decimal(lpr))
    enterprises = [market.factory, market.software]
    for enterprise, values in zip(enterprises, firms, strict=True):
        _apply_firm(market, enterprise, values)
    created = []
    for values in products:
        values = dict(values)
        cluster, subdistrict = values.pop("cluster"), values.pop("subdistrict")
        created.append(
            make_product(
                market,
                eligible_clusters=[market.cluster] if cluster else None,
                eligible_subdistricts=[getattr(market, subdistrict)] if subdistrict else None,
                **values,
            )
        )
    posted = [make_demand(market, enterprise=enterprises[i % 2], **values) for i, values in enumerate(demands)]

    ctx = services.match_context()
    facts = services.product_facts([p.pk for p in created], ctx)
    rows = services.demand_facts([d.pk for d in posted])
    expected = {
        (d.pk, p.pk): evaluate(facts[p.pk], rows[d.pk].demand, rows[d.pk].firm, ctx.today).failed_count
        for d in posted
        for p in created
    }
    kept = {pair: count for pair, count in expected.items() if count <= MAX_FAILURES}

    by_demand = {(d.pk, pk): failed for d in posted for pk, failed in services.products_for_demand(rows[d.pk], ctx)}
    by_product = {(pk, p.pk): failed for p in created for pk, failed in services.demands_for_product(facts[p.pk], ctx)}

    index = ProductIndex(list(facts.values()), ctx.today)
    by_index = {}
    for d in posted:
        for failed, positions in enumerate(index.candidates(rows[d.pk].demand, rows[d.pk].firm)):
            by_index.update({(d.pk, index.products[i].id): failed for i in positions})

    assert by_demand == kept
    assert by_product == kept
    assert by_index == kept

    # the three ways of computing matches store the same rows
    def stored():
        return set(
            DemandMatch.objects.values_list("demand_id", "product_id", "fits", "score", "failed_count", "is_best")
        )

    for d in posted:
        services.demand_match_refresh(demand_id=d.pk)
    one_by_one = stored()
    DemandMatch.objects.all().delete()
    services.matches_rebuild()
    assert stored() == one_by_one
    DemandMatch.objects.all().delete()
    for p in created:
        services.product_match_refresh(product_id=p.pk)
    assert stored() == one_by_one
