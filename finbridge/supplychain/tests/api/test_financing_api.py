"""The financing API: requests to chosen banks, the banks' offers and refusals, acceptance (registration), the
registration search and release; a bank sees only its own answer, others' records answer 404, bad input 400."""

from __future__ import annotations

import pytest

from finbridge.accounts.choices import Role
from finbridge.supplychain.choices import FinancingRequestStatus, OfferStatus, ReceivableStatus, RegistrationStatus
from finbridge.supplychain.models import FinancingOffer, Registration
from finbridge.supplychain.services.settlement import receivable_settle
from finbridge.supplychain.tests.api.conftest import API
from finbridge.supplychain.tests.api.scenario import OFFER, state
from finbridge.supplychain.tests.setup import make_receivable

pytestmark = pytest.mark.django_db

REQUESTS = f"{API}/financing-requests/"
OFFERS = f"{API}/offers/"
REGISTRATIONS = f"{API}/registrations/"


def test_the_supplier_requests_financing_from_chosen_banks(as_party, world):
    chain = world.chain
    payload = {
        "funders": [chain.bank_b.pk, chain.bank_c.pk],
        "receivables": [world.confirmed.pk],
        "amount_requested": "250000.00",
        "note": "备货",
    }
    response = as_party("supplier").post(REQUESTS, payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "open" and body["face_amount"] == "300000.00" and body["amount_requested"] == "250000.00"
    assert {offer["funder"]["id"] for offer in body["offers"]} == {chain.bank_b.pk, chain.bank_c.pk}
    assert body["items"][0]["confirmation_fingerprint"] == world.confirmed.confirmation.fingerprint
    world.confirmed.refresh_from_db()
    assert world.confirmed.status == ReceivableStatus.FINANCING_REQUESTED
    # bank_c sees it in its inbox; bank_a (not asked) does not.
    inbox = as_party("bank_c").get(OFFERS, {"as_funder": "true", "status": "pending"}).json()
    assert [row["request"] for row in inbox["results"]] == [body["id"]]
    assert as_party("bank_a").get(f"{REQUESTS}{body['id']}/").status_code == 404


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"funders": ["bank_a"], "receivables": ["pending"]}, 409),  # not confirmed
        ({"funders": ["bank_a"], "receivables": ["requested"]}, 409),  # already in an open request
        ({"funders": [], "receivables": ["confirmed"]}, 400),
        ({"funders": ["outsider"], "receivables": ["confirmed"]}, 400),  # not a funder
        ({"funders": ["bank_a"], "receivables": ["confirmed"], "amount_requested": "999999999"}, 400),
        ({"funders": ["bank_a"], "receivables": ["confirmed"], "respond_by": "2020-01-01"}, 400),
        ({"funders": ["bank_a"], "receivables": []}, 400),
        ({"funders": ["bank_a"], "receivables": ["99999999999999999999999"]}, 400),
        ({"funders": ["bank_a"], "receivables": ["confirmed"], "colour": "red"}, 400),
    ],
)
def test_bad_requests_change_nothing(as_party, world, payload, status):
    def resolve(value):
        if hasattr(world.chain, value) and value.startswith(("bank", "outsider")):
            return world.chain.org(value).pk
        return getattr(world, value).pk if hasattr(world, value) else value

    body = {key: [resolve(v) for v in value] if isinstance(value, list) else value for key, value in payload.items()}
    before = state()
    response = as_party("supplier").post(REQUESTS, body, format="json")
    assert response.status_code == status, response.content
    assert set(response.json()) == {"code", "message", "fields"}
    assert state() == before


def test_an_overdue_receivable_cannot_be_offered(as_party, world):
    overdue = make_receivable(world.chain, status=ReceivableStatus.CONFIRMED, is_overdue=True)
    before = state()
    response = as_party("supplier").post(
        REQUESTS, {"funders": [world.chain.bank_a.pk], "receivables": [overdue.pk]}, format="json"
    )
    assert response.status_code in (400, 409) and response.json()["code"] == "overdue"
    assert state() == before


def test_someone_elses_receivable_answers_404_and_banks_cannot_request(as_party, world):
    foreign = make_receivable(world.chain, creditor="supplier2", status=ReceivableStatus.CONFIRMED)
    before = state()
    response = as_party("supplier").post(
        REQUESTS, {"funders": [world.chain.bank_a.pk], "receivables": [foreign.pk]}, format="json"
    )
    assert response.status_code == 404
    response = as_party("bank_a").post(
        REQUESTS, {"funders": [world.chain.bank_b.pk], "receivables": [world.confirmed.pk]}, format="json"
    )
    assert response.status_code == 403
    assert state() == before


def test_a_bank_sees_only_its_own_answer(as_party, world):
    supplier_view = as_party("supplier").get(f"{REQUESTS}{world.request.pk}/").json()
    assert {o["funder"]["id"] for o in supplier_view["offers"]} == {world.chain.bank_a.pk, world.chain.bank_b.pk}
    bank_b_view = as_party("bank_b").get(f"{REQUESTS}{world.request.pk}/").json()
    assert [o["funder"]["id"] for o in bank_b_view["offers"]] == [world.chain.bank_b.pk]
    assert as_party("bank_b").get(f"{OFFERS}{world.offer_a.pk}/").status_code == 404
    assert as_party("bank_c").get(f"{OFFERS}{world.offer_b.pk}/").status_code == 404


def test_the_bank_searches_registrations_then_offers(as_party, world):
    bank = as_party("bank_b")
    search = bank.get(f"{OFFERS}{world.offer_b.pk}/registrations/")
    assert search.status_code == 200 and search.json() == []
    response = bank.post(
        f"{OFFERS}{world.offer_b.pk}/make/",
        {"advance_amount": "150000.00", "annual_rate": "0.0395", "term_days": 120, "registration_kind": "transfer"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "offered" and body["advance_amount"] == "150000.00" and body["advance_ratio"] == "0.750000"
    assert body["abilities"]["can_withdraw"] is True
    assert body["request"]["id"] == world.request.pk


@pytest.mark.parametrize(
    "data",
    [
        {"annual_rate": "0.04", "term_days": 90, "registration_kind": "pledge"},  # no amount nor ratio
        {**OFFER, "annual_rate": "0.5"},
        {**OFFER, "advance_ratio": "1.2"},
        {**OFFER, "term_days": 0},
        {**OFFER, "registration_kind": "lien"},
        {**OFFER, "advance_ratio": None, "advance_amount": "999999999"},
        {**OFFER, "fees": "-5"},
        {**OFFER, "colour": "red"},
    ],
)
def test_bad_offers_change_nothing(as_party, world, data):
    payload = {k: v for k, v in data.items() if v is not None}
    before = state()
    response = as_party("bank_b").post(f"{OFFERS}{world.offer_b.pk}/make/", payload, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["fields"]
    assert state() == before


def test_only_the_asked_bank_answers(as_party, world):
    before = state()
    assert as_party("supplier").post(f"{OFFERS}{world.offer_b.pk}/make/", OFFER, format="json").status_code == 403
    assert as_party("bank_a").post(f"{OFFERS}{world.offer_b.pk}/make/", OFFER, format="json").status_code == 404
    assert (
        as_party("bank_b", Role.VIEWER).post(f"{OFFERS}{world.offer_b.pk}/make/", OFFER, format="json").status_code
        == 403
    )
    assert (
        as_party("district", Role.ADMIN).post(f"{OFFERS}{world.offer_b.pk}/refuse/", {"reason": "x"}).status_code == 403
    )
    assert state() == before


def test_refuse_and_withdraw(as_party, world):
    before = state()
    assert as_party("bank_b").post(f"{OFFERS}{world.offer_b.pk}/refuse/", {}, format="json").status_code == 400
    assert state() == before
    response = as_party("bank_b").post(f"{OFFERS}{world.offer_b.pk}/refuse/", {"reason": "额度已满"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "refused"
    assert response.json()["refusal_reason"] == "额度已满"
    response = as_party("bank_a").post(f"{OFFERS}{world.offer_a.pk}/withdraw/")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    # Every bank said no: the request closed and the receivable is free again.
    world.request.refresh_from_db()
    world.requested.refresh_from_db()
    assert world.request.status == FinancingRequestStatus.CLOSED
    assert world.requested.status == ReceivableStatus.CONFIRMED


def test_accepting_registers_and_closes_the_others(as_party, world):
    assert as_party("bank_a").post(f"{OFFERS}{world.offer_a.pk}/accept/").status_code == 403
    response = as_party("supplier").post(f"{OFFERS}{world.offer_a.pk}/accept/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["offer"]["status"] == "accepted"
    (registration,) = body["registrations"]
    assert registration["funder"]["id"] == world.chain.bank_a.pk and registration["kind"] == "pledge"
    assert registration["status"] == "active" and registration["face_amount"] == "200000.00"
    assert FinancingOffer.objects.get(pk=world.offer_b.pk).status == OfferStatus.CLOSED
    world.requested.refresh_from_db()
    assert world.requested.status == ReceivableStatus.FINANCED
    before = state()
    again = as_party("supplier").post(f"{OFFERS}{world.offer_a.pk}/accept/")
    assert again.status_code == 409
    assert state() == before
    # The debtor sees the registration on what it owes; the search finds it for the funder.
    listed = as_party("core").get(REGISTRATIONS).json()
    assert [row["number"] for row in listed["results"]] == [registration["number"]]
    found = as_party("bank_a").get(f"{REGISTRATIONS}search/", {"receivable": world.requested.pk}).json()
    assert [row["id"] for row in found] == [registration["id"]]
    assert as_party("outsider").get(f"{REGISTRATIONS}{registration['id']}/").status_code == 404
    assert as_party("outsider").get(f"{REGISTRATIONS}search/", {"receivable": world.requested.pk}).status_code == 404


def test_release_after_repayment_and_settlement_releases(as_party, world):
    as_party("supplier").post(f"{OFFERS}{world.offer_a.pk}/accept/")
    registration = Registration.objects.get(root_receivable=world.requested)
    assert as_party("supplier").post(f"{REGISTRATIONS}{registration.pk}/release/").status_code == 403
    assert as_party("bank_b").post(f"{REGISTRATIONS}{registration.pk}/release/").status_code == 404
    response = as_party("bank_a").post(f"{REGISTRATIONS}{registration.pk}/release/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "released" and response.json()["release_reason"] == "repaid"
    assert as_party("bank_a").post(f"{REGISTRATIONS}{registration.pk}/release/").status_code == 409


def test_the_debtor_pays_the_funder_of_a_financed_receivable(as_party, world):
    as_party("supplier").post(f"{OFFERS}{world.offer_a.pk}/accept/")
    response = as_party("core").post(f"{API}/receivables/{world.requested.pk}/settle/", {"reference": "PAY-9"})
    assert response.status_code == 200, response.content
    (payment,) = response.json()["payments"]
    assert payment["payee"]["id"] == world.chain.bank_a.pk and payment["payee_role"] == "funder"
    registration = Registration.objects.get(root_receivable=world.requested)
    assert registration.status == RegistrationStatus.RELEASED
    # The bank sees only its own payment; another bank sees nothing.
    assert len(as_party("bank_a").get(f"{API}/receivables/{world.requested.pk}/").json()["payments"]) == 1


def test_withdraw_a_request(as_party, world):
    assert as_party("bank_a").post(f"{REQUESTS}{world.request.pk}/withdraw/").status_code == 403
    response = as_party("supplier").post(f"{REQUESTS}{world.request.pk}/withdraw/")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert as_party("supplier").post(f"{REQUESTS}{world.request.pk}/withdraw/").status_code == 409


def test_lists_filter_by_status(as_party, world):
    client = as_party("supplier")
    assert client.get(REQUESTS, {"status": "open"}).json()["count"] == 1
    assert client.get(REQUESTS, {"status": "nonsense"}).json()["count"] == 0
    assert as_party("bank_a").get(OFFERS, {"status": "offered"}).json()["count"] == 1
    assert as_party("bank_a").get(REGISTRATIONS, {"status": "bogus"}).json()["count"] == 0


def test_a_settled_receivable_cannot_be_requested(as_party, world):
    receivable_settle(actor=world.user("core"), pk=world.confirmed.pk)
    before = state()
    response = as_party("supplier").post(
        REQUESTS, {"funders": [world.chain.bank_a.pk], "receivables": [world.confirmed.pk]}, format="json"
    )
    assert response.status_code == 409
    assert state() == before
