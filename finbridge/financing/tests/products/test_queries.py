"""Lists read a fixed number of rows from the database, whatever the number of products."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from finbridge.financing.choices import RateType
from finbridge.financing.tests.products.conftest import make_product

pytestmark = pytest.mark.django_db


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code == 200
    return len(captured)


def _add(world, count: int) -> None:
    for n in range(count):
        floating = {"rate_type": RateType.LPR_SPREAD, "fixed_rate": None, "lpr_spread": Decimal("0.004")}
        product = make_product(world.bank_branch if n % 2 else world.bank_scitech, **(floating if n % 3 else {}))
        product.eligible_clusters.add(world.cluster)


@pytest.mark.parametrize("page", ["api", "catalogue"])
def test_the_number_of_queries_does_not_grow_with_the_products(world, client, page):
    user = world.user("bank_head")
    api = APIClient()
    api.force_authenticate(user)
    client.force_login(user)
    call = (lambda: api.get("/api/v1/products/")) if page == "api" else (lambda: client.get("/financing/products/"))
    _add(world, 2)
    call()  # the first request of a session reads a little more (session, memberships)
    few = _queries(call)
    _add(world, 10)
    assert _queries(call) == few
