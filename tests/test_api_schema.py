"""The OpenAPI schema is valid, and no generated request makes the API answer with a server error.

schemathesis reads /api/schema/ from the Django WSGI application (no server, no network) and sends
generated requests to every operation: as a district financial authority administrator with a token
(the widest remit), and without credentials (which must be refused with 401 or 403, except the
few public operations, and never with a 5xx).
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.urls import Resolver404, resolve
from drf_spectacular.validation import validate_schema
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error

from finbridge.accounts.choices import OrgType, Role
from finbridge.accounts.tests.factories import ClusterFactory, SubdistrictFactory, member_of
from finbridge.core.testing import fuzz_settings, wsgi_requests_keep_the_test_connection
from finbridge.enterprises.tests.factories import ConsentFactory, ContactFactory, EnterpriseFactory, FinancialsFactory

SCHEMA_PATH = "/api/schema/"
# Operations anyone may call: signing in for a token and accepting an invitation.
PUBLIC_OPERATIONS = {("POST", "/api/v1/auth/token/"), ("POST", "/api/v1/invitations/accept/")}
FUZZ_SETTINGS = fuzz_settings(15)

application = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi(SCHEMA_PATH, application)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    with wsgi_requests_keep_the_test_connection():
        yield


@pytest.fixture
def registry_data(db):
    """A little registry so that list, detail and nested operations have rows to work on."""
    subdistrict = SubdistrictFactory()
    ClusterFactory()
    enterprises = EnterpriseFactory.create_batch(3, subdistrict=subdistrict)
    FinancialsFactory(enterprise=enterprises[0])
    ContactFactory(enterprise=enterprises[0])
    ConsentFactory(enterprise=enterprises[1])
    return enterprises


@pytest.fixture
def authority_admin(db, registry_data):
    return member_of(OrgType.DISTRICT_AUTHORITY, Role.ADMIN)


def is_routed(path: str) -> bool:
    """Whether a URL pattern matches the path (generated path parameters may not fit the converters)."""
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def token_header(user) -> dict[str, str]:
    """A valid token for `user`, made anew when a previous example revoked it (token delete, password change)."""
    token, _ = Token.objects.get_or_create(user=user)
    return {"Authorization": f"Token {token.key}"}


def test_schema_is_valid_openapi_3_listing_the_registry(client):
    response = client.get(SCHEMA_PATH, HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    document = json.loads(response.content)
    validate_schema(document)  # raises on any violation of the OpenAPI 3.0 meta-schema
    assert document["openapi"].startswith("3.")
    assert "/api/v1/enterprises/" in document["paths"]
    assert "/api/v1/auth/token/" in document["paths"]
    assert {"get", "post"} <= set(document["paths"]["/api/v1/enterprises/"])
    assert "post" in document["paths"]["/api/v1/auth/token/"]


@pytest.mark.django_db
@schema.parametrize()
@FUZZ_SETTINGS
def test_no_server_error_as_district_authority_admin(case, authority_admin):
    response = case.call_and_validate(headers=token_header(authority_admin), checks=[not_a_server_error])

    # The token was accepted: a 401 would mean the run tested nothing but the authentication layer.
    assert response.status_code != 401, f"{case.method.upper()} {case.formatted_path} refused the token"


@pytest.mark.django_db
@schema.parametrize()
@FUZZ_SETTINGS
def test_anonymous_requests_are_refused_without_server_error(case, registry_data):
    response = case.call()

    request = f"{case.method.upper()} {case.formatted_path}"
    assert response.status_code < 500, f"{request} answered {response.status_code}"
    if (case.method.upper(), case.path) in PUBLIC_OPERATIONS:
        return
    expected = {401, 403} if is_routed(case.formatted_path) else {404}  # no such URL (e.g. /enterprises/0.5/)
    if "format" in (case.query or {}):
        expected.add(404)  # DRF answers an unknown ?format= (URL_FORMAT_OVERRIDE) with 404 before authenticating
    assert response.status_code in expected, f"{request} answered {response.status_code} without credentials"
