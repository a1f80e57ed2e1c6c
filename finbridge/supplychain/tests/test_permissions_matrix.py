"""The permission matrix of supply-chain finance: every kind of party (supplier, debtor, funder asked or not,
district authority, other government, guarantor, firms with no dealings, each in a writing and a read-only role)
against the API endpoints and the pages — lists, a record of each kind, and one write of each side.

Expected answers: 200 (or the write's success), 403 when the party may see the record but not do this, 404 when
the record is hidden from it (exactly like a missing one), 401/302 for anonymous callers.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from finbridge.accounts.choices import Role
from finbridge.supplychain.tests.api.scenario import OFFER, World, build_world, state

pytestmark = pytest.mark.django_db

API = "/api/v1/supplychain"
PARTIES = [
    ("supplier", Role.STAFF),
    ("supplier", Role.VIEWER),
    ("core", Role.STAFF),
    ("core", Role.VIEWER),
    ("bank_a", Role.STAFF),
    ("bank_a", Role.VIEWER),
    ("bank_c", Role.STAFF),
    ("district", Role.VIEWER),
    ("district", Role.ADMIN),
    ("ia", Role.STAFF),
    ("guarantor", Role.ADMIN),
    ("outsider", Role.STAFF),
    ("tier2", Role.STAFF),
]
# Who holds supplychain.view (lists answer 200) — everyone here but other government and guarantors.
READERS = {p for p in PARTIES if p[0] not in ("ia", "guarantor")}


@pytest.fixture
def world(db) -> World:
    return build_world()


def _check(results: list[tuple]) -> None:
    """Assert every (what, party, got, expected) matched, listing all mismatches at once."""
    wrong = [r for r in results if r[2] != r[3]]
    assert not wrong, "\n".join(
        f"{what} as {party}: got {got}, expected {expected}" for what, party, got, expected in wrong
    )


def _key(party):
    return f"{party[0]}-{party[1]}"


def _expected(table: dict[str, int], party, default: int) -> int:
    return table.get(_key(party), table.get(party[0], default))


# Which record each party sees: (API path, page url name, object attribute) → the parties that get 200.
RECORDS = {
    "pending receivable": ("receivables", "receivables-detail", "pending", {"supplier", "core", "district"}),
    "requested receivable": (
        "receivables",
        "receivables-detail",
        "requested",
        {"supplier", "core", "district", "bank_a"},
    ),
    "financing request": ("financing-requests", "requests-detail", "request", {"supplier", "bank_a", "district"}),
    "bank_a's offer": ("offers", "offers-detail", "offer_a", {"supplier", "bank_a", "district"}),
    "voucher": ("vouchers", "vouchers-detail", "voucher", {"supplier", "core", "district"}),
}


@pytest.mark.parametrize(
    "path", ["receivables/", "financing-requests/", "offers/", "vouchers/", "registrations/", "receivable-imports/"]
)
def test_api_lists(api_client, world, path):
    results = []
    for party in PARTIES:
        api_client.force_authenticate(world.chain.member(*party))
        results.append(
            (path, _key(party), api_client.get(f"{API}/{path}").status_code, 200 if party in READERS else 403)
        )
    _check(results)


@pytest.mark.parametrize("record", list(RECORDS))
def test_api_and_page_details(api_client, client, world, record):
    api_path, url_name, attribute, visible_to = RECORDS[record]
    obj = getattr(world, attribute)
    results = []
    for party in PARTIES:
        expected = 200 if party in READERS and party[0] in visible_to else 404
        api_client.force_authenticate(world.chain.member(*party))
        results.append(
            ("API " + record, _key(party), api_client.get(f"{API}/{api_path}/{obj.pk}/").status_code, expected)
        )
        client.force_login(world.chain.member(*party))
        page = client.get(reverse(f"supplychain:{url_name}", args=[obj.pk])).status_code
        results.append(("page " + record, _key(party), page, expected if party in READERS else 403))
    _check(results)


@pytest.mark.parametrize(
    ("page", "allowed"),
    [
        ("receivables-list", None),
        ("requests-list", None),
        ("offers-list", None),
        ("vouchers-list", None),
        ("registrations-list", None),
        ("receivables-create", {"supplier-staff", "core-staff", "outsider-staff", "tier2-staff"}),
        ("payables-create", {"supplier-staff", "core-staff", "outsider-staff", "tier2-staff"}),
        ("receivables-import", {"supplier-staff", "core-staff", "outsider-staff", "tier2-staff"}),
        ("requests-create", {"supplier-staff", "core-staff", "outsider-staff", "tier2-staff"}),
    ],
)
def test_pages(client, world, page, allowed):
    results = []
    for party in PARTIES:
        client.force_login(world.chain.member(*party))
        ok = party in READERS if allowed is None else _key(party) in allowed
        results.append((page, _key(party), client.get(reverse(f"supplychain:{page}")).status_code, 200 if ok else 403))
    _check(results)


# One write of each side, tried by everyone: only the party named succeeds; the others change nothing.
WRITES = {
    "debtor confirms": (
        "post",
        "receivables/{pending}/confirm/",
        {},
        "core-staff",
        {"supplier": 403, "core-viewer": 403, "district": 403},
    ),
    "creditor withdraws": (
        "post",
        "receivables/{pending}/withdraw/",
        {},
        "supplier-staff",
        {"core": 403, "supplier-viewer": 403, "district": 403},
    ),
    "bank offers": ("post", "offers/{offer_b}/make/", OFFER, None, {"supplier": 403, "district": 403}),
    "requester withdraws": (
        "post",
        "financing-requests/{request}/withdraw/",
        {},
        "supplier-staff",
        {"bank_a": 403, "supplier-viewer": 403, "district": 403},
    ),
    "holder passes on": (
        "post",
        "vouchers/{voucher}/transfer/",
        {"recipient": "tier2"},
        "supplier-staff",
        {"core": 403, "supplier-viewer": 403, "district": 403},
    ),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_api_writes(api_client, world, write):
    method, template, payload, winner, refused = WRITES[write]
    ids = {
        "pending": world.pending.pk,
        "offer_b": world.offer_b.pk,
        "request": world.request.pk,
        "voucher": world.voucher.pk,
    }
    data = {k: (world.chain.org(v).pk if v == "tier2" else v) for k, v in payload.items()}
    before = state()
    results = []
    for party in PARTIES:
        if _key(party) == winner:
            continue  # the winner's success is tested on a fresh world in the API tests
        api_client.force_authenticate(world.chain.member(*party))
        response = getattr(api_client, method)(f"{API}/{template.format(**ids)}", data, format="json")
        results.append((write, _key(party), response.status_code, _expected(refused, party, 404)))
    _check(results)
    assert state() == before


def test_anonymous(api_client, client, world):
    for path in ("receivables/", f"receivables/{world.pending.pk}/", "offers/", "vouchers/"):
        assert api_client.get(f"{API}/{path}").status_code == 401
    response = client.get(reverse("supplychain:receivables-list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
