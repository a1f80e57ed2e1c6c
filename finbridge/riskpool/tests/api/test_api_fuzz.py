"""schemathesis over the risk-pool operations only (tests/test_api_schema.py runs every operation; this runs
ours with richer data): as the authority running a pool with data, as a member bank, and without
credentials. No generated request may answer with a server error."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error

from finbridge.core.testing import fuzz_settings, wsgi_requests_keep_the_test_connection
from finbridge.riskpool.tests.api.support import paid_claim, submitted_claim
from finbridge.riskpool.tests.setup import build_pool_scenario

FUZZ = fuzz_settings(15)

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application()).include(
    path_regex=r"^/api/v1/riskpool/"
)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    with wsgi_requests_keep_the_test_connection():
        yield


@pytest.fixture
def world(db):
    scenario = build_pool_scenario()
    paid_claim(scenario)
    submitted_claim(scenario)
    scenario.enrol(scenario.make_loan())
    scenario.make_loan()
    return scenario


def _token(user) -> dict[str, str]:
    token, _ = Token.objects.get_or_create(user=user)
    return {"Authorization": f"Token {token.key}"}


@pytest.mark.django_db
@schema.parametrize()
@FUZZ
def test_no_server_error_as_the_pools_authority(case, world):
    response = case.call_and_validate(headers=_token(world.authority), checks=[not_a_server_error])
    assert response.status_code != 401


@pytest.mark.django_db
@schema.parametrize()
@FUZZ
def test_no_server_error_as_a_member_bank(case, world):
    response = case.call_and_validate(headers=_token(world.head_user), checks=[not_a_server_error])
    assert response.status_code != 401


@pytest.mark.django_db
@schema.parametrize()
@fuzz_settings(5)
def test_anonymous_calls_are_refused(case, world):
    response = case.call()
    assert response.status_code in (401, 403, 404), f"{case.method} {case.formatted_path}: {response.status_code}"
