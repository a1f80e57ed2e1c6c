"""The products and LPR API: shape, writes, errors, and the permission matrix of every organisation type
and role against every endpoint."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from finbridge.accounts.choices import BankTier, OrgType, Role
from finbridge.accounts.tests.factories import MembershipFactory, OrganizationFactory
from finbridge.audit.models import AuditEvent
from finbridge.financing.choices import ProductStatus, RateType
from finbridge.financing.models import LprRate, Product
from finbridge.financing.tests.products.conftest import guarantee_data, loan_data, make_product

pytestmark = pytest.mark.django_db
LIST = "/api/v1/products/"
LPR = "/api/v1/lpr-rates/"


def detail(product: Product, suffix: str = "") -> str:
    return f"/api/v1/products/{product.pk}/{suffix}"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# ---- shape -----------------------------------------------------------------------------------------------


def test_list_shape_with_decimals_as_strings(world):
    floating = make_product(
        world.bank_branch,
        name="浮动",
        rate_type=RateType.LPR_SPREAD,
        fixed_rate=None,
        lpr_spread=Decimal("0.004500"),
        eligible_size_classes=["micro"],
        min_annual_revenue=Decimal("1000000.00"),
    )
    floating.eligible_clusters.add(world.cluster)
    response = client_for(world.user("msme")).get(LIST)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "count_capped", "next", "previous", "results"}
    row = body["results"][0]
    assert row["id"] == floating.pk
    assert row["provider"] == world.bank_branch.pk and row["provider_name"] == world.bank_branch.name_en
    assert row["amount_min"] == "100000.00" and row["amount_max"] == "3000000.00"
    assert row["min_annual_revenue"] == "1000000.00"
    assert row["rate_type"] == "lpr_spread" and row["fixed_rate"] is None and row["lpr_spread"] == "0.004500"
    assert row["effective_rate"] == "0.034500"
    assert row["rate_description"] == "One-year LPR +45 bp (3.00% + 0.45% = 3.45% a year)"
    assert row["fee_rate"] == "0.000000"
    assert row["eligible_size_classes"] == ["micro"] and row["eligible_clusters"] == ["nev-icv"]
    assert row["status"] == "published" and row["can_manage"] is False


def test_retrieve_a_guarantee_has_no_effective_rate(world):
    product = make_product(world.guarantor)
    row = client_for(world.user("guarantor")).get(detail(product)).json()
    assert row["effective_rate"] is None and row["fixed_rate"] is None
    assert row["rate_description"] == "Guarantee fee 1.00% of the amount"
    assert row["can_manage"] is True


def test_list_filters(world):
    make_product(world.bank_branch, name="小额", amount_min=Decimal("10000"), amount_max=Decimal("100000"))
    make_product(world.bank_branch, name="大额", amount_min=Decimal("1000000"), amount_max=Decimal("9000000"))
    make_product(world.guarantor, name="担保")
    client = client_for(world.user("msme"))
    names = lambda query: {r["name"] for r in client.get(LIST, query).json()["results"]}  # noqa: E731
    assert names({"amount": "50000"}) == {"小额"}
    assert names({"kind": "guarantee"}) == {"担保"}
    assert names({"provider": world.bank_head.pk}) == {"小额", "大额"}
    assert names({"q": "大"}) == {"大额"}
    assert names({"first_time": "false"}) == {"小额", "大额", "担保"}
    assert client.get(LIST, {"kind": "bogus"}).status_code == 400
    assert client.get(LIST, {"amount": "lots"}).status_code == 400
    assert client.get(LIST, {"page_size": 1}).json()["count"] == 3


def test_anonymous_is_refused(world):
    product = make_product(world.bank_branch)
    anonymous = APIClient()
    assert anonymous.get(LIST).status_code == 401
    assert anonymous.get(detail(product)).status_code == 401
    assert anonymous.post(LIST, loan_data(), format="json").status_code == 401
    assert anonymous.get(LPR).status_code == 401


# ---- writes -----------------------------------------------------------------------------------------------


def test_create_patch_publish_withdraw(world, matching_calls, django_capture_on_commit_callbacks):
    client = client_for(world.user("bank_branch"))
    response = client.post(LIST, loan_data(), format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["status"] == "draft" and created["provider"] == world.bank_branch.pk
    assert created["fixed_rate"] == "0.038500" and created["can_manage"] is True
    product = Product.objects.get(pk=created["id"])

    response = client.patch(
        detail(product), {"amount_max": "6000000.00", "id": 999, "status": "published"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["amount_max"] == "6000000.00" and response.json()["status"] == "draft"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(detail(product, "publish/"))
    assert response.status_code == 200 and response.json()["status"] == "published"
    assert response.json()["published_at"]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(detail(product, "withdraw/"))
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert matching_calls == [product.pk, product.pk]


def test_create_from_a_json_number_keeps_decimals_exact(world):
    client = client_for(world.user("bank_branch"))
    body = (
        '{"name": "精确", "kind": "mortgage", "amount_min": 100000.10, "amount_max": 200000.20, '
        '"term_min_months": 6, "term_max_months": 12, "fixed_rate": 0.0385}'
    )
    response = client.post(LIST, body, content_type="application/json")
    assert response.status_code == 201, response.json()
    assert response.json()["amount_min"] == "100000.10" and response.json()["fixed_rate"] == "0.038500"


def test_validation_errors_come_back_per_field_and_change_nothing(world):
    client = client_for(world.user("bank_branch"))
    before = (Product.objects.count(), AuditEvent.objects.count())
    response = client.post(LIST, loan_data(amount_max="1000", fixed_rate="0.5", colour="red"), format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_failed"
    assert set(body["fields"]) == {"fixed_rate", "colour"}  # field errors first; range rules then
    response = client.post(LIST, loan_data(amount_max="1000"), format="json")
    assert set(response.json()["fields"]) == {"amount_max"}
    assert (Product.objects.count(), AuditEvent.objects.count()) == before


def test_a_head_office_names_the_provider(world):
    client = client_for(world.user("bank_head"))
    response = client.post(LIST, loan_data(), format="json")
    assert response.status_code == 400 and "provider" in response.json()["fields"]
    response = client.post(LIST, {**loan_data(), "provider": world.other_bank.pk}, format="json")
    assert response.status_code == 400 and "provider" in response.json()["fields"]
    response = client.post(LIST, {**loan_data(), "provider": "abc"}, format="json")
    assert response.status_code == 400
    response = client.post(LIST, {**loan_data(), "provider": world.bank_scitech.pk}, format="json")
    assert response.status_code == 201 and response.json()["provider"] == world.bank_scitech.pk
    assert not Product.objects.exclude(provider=world.bank_scitech).exists()


def test_conflicts_and_methods(world):
    product = make_product(world.bank_branch)
    client = client_for(world.user("bank_branch"))
    response = client.post(detail(product, "publish/"))
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
    assert client.put(detail(product), loan_data(), format="json").status_code == 405
    assert client.delete(detail(product)).status_code == 405
    assert client.patch(detail(product), [1, 2], format="json").status_code == 400
    assert client.get("/api/v1/products/abc/").status_code == 404
    assert client.get(f"/api/v1/products/{2**64}/").status_code == 404


def test_publish_of_an_incomplete_draft_says_why(world):
    product = make_product(world.bank_branch, status=ProductStatus.DRAFT, description="")
    response = client_for(world.user("bank_branch")).post(detail(product, "publish/"))
    assert response.status_code == 400 and "description" in response.json()["fields"]
    product.refresh_from_db()
    assert product.status == ProductStatus.DRAFT


# ---- LPR ---------------------------------------------------------------------------------------------------


def test_lpr_list_and_create(world):
    client = client_for(world.user("msme"))
    body = client.get(LPR, {"term": "1y", "page_size": 100}).json()
    assert body["count"] == 13
    assert body["results"][0] == {
        "id": body["results"][0]["id"],
        "term": "1y",
        "effective_on": "2025-05-20",
        "rate": "0.030000",
        "created_at": body["results"][0]["created_at"],
    }
    assert client.get(LPR, {"term": "9y"}).status_code == 400

    admin = client_for(world.user("district", Role.ADMIN))
    response = admin.post(LPR, {"term": "1y", "effective_on": "2025-06-20", "rate": "0.0300"}, format="json")
    assert response.status_code == 201 and response.json()["rate"] == "0.030000"
    response = admin.post(LPR, {"term": "1y", "effective_on": "2025-06-20", "rate": "0.0299"}, format="json")
    assert response.status_code == 200 and response.json()["rate"] == "0.029900"
    response = admin.post(LPR, {"term": "1y", "effective_on": "2018-01-01", "rate": "3"}, format="json")
    assert response.status_code == 400 and set(response.json()["fields"]) == {"effective_on", "rate"}
    response = admin.post(LPR, {"term": "1y", "effective_on": "2025-07-21", "rate": "0.03", "x": 1}, format="json")
    assert response.status_code == 400 and "x" in response.json()["fields"]
    assert not LprRate.objects.filter(effective_on="2025-07-21").exists()


# ---- permission matrix -----------------------------------------------------------------------------------

PROVIDERS = (OrgType.BANK, OrgType.GUARANTOR)
MANAGERS = (Role.ADMIN, Role.STAFF)
CASES = [(org_type.value, role.value) for org_type in OrgType for role in Role]
ENDPOINTS = (
    "list",
    "retrieve_published",
    "retrieve_foreign_draft",
    "patch_foreign",
    "publish_foreign_draft",
    "withdraw_foreign",
    "create_own",
    "retrieve_own_draft",
    "patch_own",
    "publish_own_draft",
    "withdraw_own",
    "lpr_list",
    "lpr_create",
)


def expected_status(endpoint: str, org_type: str, role: str) -> int:
    """The status each kind of actor must get, written from roles.py and the visibility rules."""
    provider = org_type in PROVIDERS
    manager = provider and role in MANAGERS
    table = {
        "list": 200,
        "retrieve_published": 200,
        "retrieve_foreign_draft": 404,
        "patch_foreign": 403,
        "publish_foreign_draft": 404,
        "withdraw_foreign": 403,
        "create_own": 201 if manager else 403,
        "retrieve_own_draft": 200 if provider else None,
        "patch_own": (200 if manager else 403) if provider else None,
        "publish_own_draft": (200 if manager else 403) if provider else None,
        "withdraw_own": (200 if manager else 403) if provider else None,
        "lpr_list": 200,
        "lpr_create": 201 if (org_type == OrgType.DISTRICT_AUTHORITY and role == Role.ADMIN) else 403,
    }
    return table[endpoint]


@pytest.mark.parametrize(("org_type", "role"), CASES)
def test_permission_matrix(world, org_type, role):
    extra = {"bank_tier": BankTier.BRANCH} if org_type == OrgType.BANK else {}
    if org_type == OrgType.INDUSTRY_AUTHORITY:
        extra["industry_sectors"] = ["C"]
    if org_type == OrgType.SUBDISTRICT_OFFICE:
        extra["subdistrict"] = world.subdistrict
    organization = OrganizationFactory(org_type=org_type, **extra)
    user = MembershipFactory(organization=organization, role=role).user
    client = client_for(user)
    foreign_owner = world.other_bank if org_type != OrgType.BANK else world.guarantor
    foreign = make_product(foreign_owner)
    foreign_draft = make_product(foreign_owner, status=ProductStatus.DRAFT)
    own = own_draft = None
    if org_type in PROVIDERS:
        own = make_product(organization)
        own_draft = make_product(organization, status=ProductStatus.DRAFT)
    own_data = guarantee_data() if org_type == OrgType.GUARANTOR else loan_data()
    calls = {
        "list": lambda: client.get(LIST),
        "retrieve_published": lambda: client.get(detail(foreign)),
        "retrieve_foreign_draft": lambda: client.get(detail(foreign_draft)),
        "patch_foreign": lambda: client.patch(detail(foreign), {"name": "改"}, format="json"),
        "publish_foreign_draft": lambda: client.post(detail(foreign_draft, "publish/")),
        "withdraw_foreign": lambda: client.post(detail(foreign, "withdraw/")),
        "create_own": lambda: client.post(LIST, own_data, format="json"),
        "retrieve_own_draft": lambda: client.get(detail(own_draft)),
        "patch_own": lambda: client.patch(detail(own), {"name": "改"}, format="json"),
        "publish_own_draft": lambda: client.post(detail(own_draft, "publish/")),
        "withdraw_own": lambda: client.post(detail(own, "withdraw/")),
        "lpr_list": lambda: client.get(LPR),
        "lpr_create": lambda: client.post(
            LPR, {"term": "1y", "effective_on": "2025-06-20", "rate": "0.03"}, format="json"
        ),
    }
    for endpoint in ENDPOINTS:
        expected = expected_status(endpoint, org_type, role)
        if expected is None:
            continue
        response = calls[endpoint]()
        assert response.status_code == expected, (endpoint, response.status_code, response.content[:300])
    foreign.refresh_from_db()
    foreign_draft.refresh_from_db()
    assert (foreign.name, foreign.status, foreign_draft.status) == ("测试产品", "published", "draft")
