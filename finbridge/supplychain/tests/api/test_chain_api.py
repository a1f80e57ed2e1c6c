"""The chain-database API: chain partners (list, add, edit, end), the spreadsheet import (dry run, apply, report,
templates), financing recommendations (the core sends, banks view / act / decline, the core withdraws) and
transaction summaries (create, share with the partner's consent, unshare; banks list what was shared).

Every endpoint: allowed, forbidden (403), hidden (404, exactly like a missing record) and bad input (400 or 409
with {"code", "message", "fields"} and nothing changed)."""

from __future__ import annotations

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from openpyxl import load_workbook
from rest_framework.test import APIClient

from finbridge.accounts.choices import Role
from finbridge.accounts.models import Membership, User
from finbridge.accounts.tests.factories import OrganizationFactory
from finbridge.audit.models import AuditEvent
from finbridge.enterprises import import_files
from finbridge.enterprises.tests.factories import EnterpriseFactory, valid_uscc
from finbridge.supplychain.models.chain import (
    ChainImportRun,
    ChainPartner,
    ChainPartnerStatus,
    FinancingRecommendation,
    RecommendationRecipient,
    RecommendationStatus,
    SummaryShare,
    TransactionSummary,
)
from finbridge.supplychain.services import chain as services
from finbridge.supplychain.tests.test_chain_setup import build_world, consent, listing, summary

pytestmark = pytest.mark.django_db

CHAIN = "/api/v1/supplychain/chain"
PARTNERS = f"{CHAIN}/partners/"
RECOMMENDATIONS = f"{CHAIN}/recommendations/"
RECIPIENTS = f"{CHAIN}/recommendation-recipients/"
SUMMARIES = f"{CHAIN}/summaries/"
SHARES = f"{CHAIN}/summary-shares/"
IMPORTS = f"{CHAIN}/imports/"
HEADER = ["partner_uscc", "direction", "since", "annual_volume", "payment_terms_days", "payment_terms"]
ERROR_KEYS = {"code", "message", "fields"}


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def as_member(world):
    """`as_member("core")` → an API client signed in as a member (staff unless a role is given) of that org."""

    def sign_in(name: str, role: str = Role.STAFF) -> APIClient:
        client = APIClient()
        client.force_authenticate(world.member(name, role))
        return client

    return sign_in


def state() -> tuple:
    """Every chain row, recipient, summary, share and import run with its values, and the audit trail's length:
    equal before and after means nothing changed."""
    return (
        list(ChainPartner.objects.order_by("pk").values_list()),
        list(FinancingRecommendation.objects.order_by("pk").values_list()),
        list(RecommendationRecipient.objects.order_by("pk").values_list()),
        list(TransactionSummary.objects.order_by("pk").values_list()),
        list(SummaryShare.objects.order_by("pk").values_list()),
        ChainImportRun.objects.count(),
        AuditEvent.objects.count(),
    )


def partner_data(world, **values):
    return {
        "partner_uscc": world.supplier.uscc,
        "direction": "upstream",
        "since": "2019-03-01",
        "annual_volume": "12000000.00",
        "payment_terms_days": 60,
        "payment_terms": "月结60天",
        **values,
    }


def summary_data(**values):
    return {
        "period_start": "2025-01-01",
        "period_end": "2025-12-31",
        "volume": "11800000.00",
        "transaction_count": 48,
        "on_time_share": "0.95",
        "note": "全年",
        **values,
    }


def assert_error(response, status_code, code=None):
    assert response.status_code == status_code, response.content
    body = response.json()
    assert set(body) == ERROR_KEYS
    if code is not None:
        assert body["code"] == code, body
    return body


def recommend(world, partner, funders, note="长期合作，交付稳定"):
    return services.recommendation_send(actor=world.member("core"), partner=partner, funders=funders, note=note)


# ---- chain partners ---------------------------------------------------------------------------------------------


def test_a_core_lists_a_partner_that_its_partner_and_the_authority_see(world, as_member):
    response = as_member("core").post(PARTNERS, partner_data(world), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["core"]["id"] == world.core.pk
    assert body["enterprise"]["uscc"] == world.supplier.uscc
    assert body["enterprise"]["organization"] == world.supplier_org.pk
    assert (body["direction"], body["status"], body["annual_volume"]) == ("upstream", "active", "12000000.00")
    assert body["payment_terms_days"] == 60 and body["can_manage"] is True
    url = f"{PARTNERS}{body['id']}/"
    assert as_member("supplier_org").get(url).json()["can_manage"] is False
    assert as_member("district", Role.ADMIN).get(url).status_code == 200
    for hidden in ("other_core", "head", "branch", "distributor_org", "ia"):
        assert as_member(hidden).get(url).status_code == 404, hidden
    assert as_member("head").get(PARTNERS).json()["results"] == []


def test_the_partner_list_filters_and_refuses_bad_filters(world, as_member):
    listing(world)
    listing(world, world.distributor, direction="downstream", status=ChainPartnerStatus.ENDED)
    listing(world, core=world.other_core)
    client = as_member("core")

    assert client.get(PARTNERS).json()["count"] == 2
    assert [row["direction"] for row in client.get(PARTNERS, {"direction": "downstream"}).json()["results"]] == [
        "downstream"
    ]
    assert client.get(PARTNERS, {"status": "active"}).json()["count"] == 1
    assert client.get(PARTNERS, {"q": "经销"}).json()["count"] == 1
    assert client.get(PARTNERS, {"q": world.supplier.uscc}).json()["count"] == 1
    assert as_member("district").get(PARTNERS, {"core": world.other_core.pk}).json()["count"] == 1
    for params in ({"direction": "sideways"}, {"status": "gone"}, {"core": "abc"}, {"q": "x" * 201}):
        assert_error(client.get(PARTNERS, params), 400, "bad_filter")


@pytest.mark.parametrize(
    ("values", "status_code", "code", "field"),
    [
        ({"partner_uscc": "123"}, 400, "validation_failed", "partner_uscc"),
        ({"partner_uscc": valid_uscc(424242)}, 400, "unknown_enterprise", "partner_uscc"),
        ({"partner_uscc": "core_enterprise"}, 400, "own_enterprise", "partner_uscc"),
        ({"direction": "sideways"}, 400, "validation_failed", "direction"),
        ({"direction": ["upstream"]}, 400, "validation_failed", "direction"),
        ({"since": "2099-01-01"}, 400, "validation_failed", "since"),
        ({"since": "2001-01-01"}, 400, "validation_failed", "since"),  # before the supplier was established
        ({"since": {"y": 2020}}, 400, "validation_failed", "since"),
        ({"annual_volume": "-1"}, 400, "validation_failed", "annual_volume"),
        ({"annual_volume": "lots"}, 400, "validation_failed", "annual_volume"),
        ({"annual_volume": True}, 400, "validation_failed", "annual_volume"),
        ({"annual_volume": None}, 400, "validation_failed", "annual_volume"),
        ({"payment_terms_days": 5000}, 400, "validation_failed", "payment_terms_days"),
        ({"payment_terms": "x" * 201}, 400, "validation_failed", "payment_terms"),
        ({"colour": "red"}, 400, "validation_failed", "colour"),
        ({"core": "abc"}, 400, "organization_required", "core"),
        ({"core": "other_core"}, 403, "not_your_core", None),
    ],
)
def test_bad_partners_change_nothing(world, as_member, values, status_code, code, field):
    named = {"core_enterprise": world.core_enterprise.uscc, "other_core": world.other_core.pk}
    values = {key: named.get(value, value) if isinstance(value, str) else value for key, value in values.items()}
    before = state()

    body = assert_error(as_member("core").post(PARTNERS, partner_data(world, **values), format="json"), status_code)

    assert body["code"] == code
    if field:
        assert field in body["fields"], body
    assert state() == before


def test_a_partner_already_listed_answers_409_and_an_ended_one_is_listed_again(world, as_member):
    active = listing(world)
    ended = listing(world, world.distributor, direction="downstream", status=ChainPartnerStatus.ENDED)
    before = state()

    assert_error(as_member("core").post(PARTNERS, partner_data(world), format="json"), 409, "chain_partner_exists")
    assert state() == before
    data = partner_data(world, partner_uscc=world.distributor.uscc, direction="下游")
    response = as_member("core").post(PARTNERS, data, format="json")
    assert response.status_code == 201 and response.json()["id"] == ended.pk
    assert response.json()["status"] == "active"
    assert ChainPartner.objects.count() == 2 and active.pk != ended.pk


def test_a_form_post_works_like_json(world, as_member):
    response = as_member("core").post(PARTNERS, partner_data(world, payment_terms_days="30"))
    assert response.status_code == 201 and response.json()["payment_terms_days"] == 30


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("district", Role.ADMIN),
        ("core", Role.VIEWER),
        ("core", Role.REVIEWER),
        ("supplier_org", Role.ADMIN),
        ("head", Role.ADMIN),
        ("ia", Role.ADMIN),
    ],
)
def test_only_chain_managers_add_partners(world, as_member, name, role):
    before = state()
    assert_error(as_member(name, role).post(PARTNERS, partner_data(world), format="json"), 403)
    assert state() == before


def test_a_manager_of_two_cores_names_the_core(world, as_member):
    user = world.member("core")
    Membership.objects.create(user=user, organization=world.other_core, role=Role.STAFF)
    client = APIClient()
    client.force_authenticate(user)
    before = state()

    body = assert_error(client.post(PARTNERS, partner_data(world), format="json"), 400, "organization_required")
    assert "core" in body["fields"] and state() == before
    response = client.post(PARTNERS, partner_data(world, core=world.other_core.pk), format="json")
    assert response.status_code == 201 and response.json()["core"]["id"] == world.other_core.pk


def test_anonymous_callers_are_refused(world):
    client = APIClient()
    for url in (PARTNERS, RECOMMENDATIONS, RECIPIENTS, SUMMARIES, SHARES, IMPORTS, f"{IMPORTS}template/"):
        assert client.get(url).status_code == 401, url
    assert client.post(PARTNERS, partner_data(world), format="json").status_code == 401


def test_a_core_edits_an_active_listing(world, as_member):
    partner = listing(world)
    response = as_member("core").patch(
        f"{PARTNERS}{partner.pk}/", {"annual_volume": "15,000,000", "payment_terms": "票据"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["annual_volume"] == "15000000.00" and response.json()["payment_terms"] == "票据"
    partner.refresh_from_db()
    assert str(partner.annual_volume) == "15000000.00"


@pytest.mark.parametrize(
    ("who", "payload", "status_code", "code"),
    [
        ("core", {"direction": "downstream"}, 400, "validation_failed"),
        ("core", {"partner_uscc": valid_uscc(5)}, 400, "validation_failed"),
        ("core", {"annual_volume": "-5"}, 400, "validation_failed"),
        ("core", {"since": "not a date"}, 400, "validation_failed"),
        ("core", {"colour": "red"}, 400, "validation_failed"),
        ("core", ["annual_volume"], 400, "invalid_body"),
        ("supplier_org", {"annual_volume": "1"}, 403, None),  # sees the row listing it, may not change it
        ("district", {"annual_volume": "1"}, 403, None),
        ("other_core", {"annual_volume": "1"}, 404, None),
        ("head", {"annual_volume": "1"}, 404, None),
    ],
)
def test_bad_or_forbidden_edits_change_nothing(world, as_member, who, payload, status_code, code):
    partner = listing(world)
    before = state()
    assert_error(as_member(who).patch(f"{PARTNERS}{partner.pk}/", payload, format="json"), status_code, code)
    assert state() == before


def test_ending_a_listing_then_it_can_no_longer_be_edited_or_ended(world, as_member):
    partner = listing(world)
    client = as_member("core")
    url = f"{PARTNERS}{partner.pk}/"

    response = client.post(f"{url}end/", {"reason": "停止合作"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "ended" and response.json()["end_reason"] == "停止合作"
    assert response.json()["ended_on"] == timezone.localdate().isoformat()
    before = state()
    assert_error(client.post(f"{url}end/", {}, format="json"), 409, "invalid_transition")
    assert_error(client.patch(url, {"annual_volume": "1"}, format="json"), 409, "invalid_transition")
    assert state() == before


@pytest.mark.parametrize(
    ("who", "payload", "status_code"),
    [
        ("core", {"ended_on": "2010-01-01"}, 400),  # before the relationship began
        ("core", {"ended_on": "2099-01-01"}, 400),
        ("core", {"reason": "x" * 256}, 400),
        ("core", {"when": "now"}, 400),
        ("supplier_org", {}, 403),
        ("core_viewer", {}, 403),
        ("other_core", {}, 404),
        ("branch", {}, 404),
    ],
)
def test_bad_or_forbidden_ends_change_nothing(world, as_member, who, payload, status_code):
    partner = listing(world)
    client = as_member("core", Role.VIEWER) if who == "core_viewer" else as_member(who)
    before = state()
    assert_error(client.post(f"{PARTNERS}{partner.pk}/end/", payload, format="json"), status_code)
    assert state() == before


@pytest.mark.parametrize("pk", ["999999", "abc", "99999999999999999999999", "0"])
def test_unknown_ids_answer_404(world, as_member, pk):
    client = as_member("core")
    for base in (PARTNERS, RECOMMENDATIONS, RECIPIENTS, SUMMARIES, SHARES, IMPORTS):
        assert_error(client.get(f"{base}{pk}/"), 404, "not_found")
    assert_error(client.post(f"{PARTNERS}{pk}/end/", {}, format="json"), 404)


# ---- recommendations --------------------------------------------------------------------------------------------


def test_a_core_recommends_a_partner_and_each_bank_sees_only_its_copy(world, as_member):
    partner = listing(world)
    payload = {"funders": [world.head.pk, world.other_bank.pk], "note": "合作五年，交付稳定"}

    response = as_member("core").post(f"{PARTNERS}{partner.pk}/recommendations/", payload, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["chain_partner"]["enterprise"]["name"] == world.supplier.name and body["note"] == payload["note"]
    assert {row["funder"]["id"] for row in body["recipients"]} == {world.head.pk, world.other_bank.pk}
    assert all(row["status"] == "sent" and row["abilities"]["withdraw"] for row in body["recipients"])
    url = f"{RECOMMENDATIONS}{body['id']}/"
    seen_by_head = as_member("head").get(url).json()
    assert [row["funder"]["id"] for row in seen_by_head["recipients"]] == [world.head.pk]
    assert seen_by_head["recipients"][0]["abilities"] == {"view": True, "act": True, "decline": True, "withdraw": False}
    # The branch acts for its head office; the partner and the authority see every copy.
    assert [row["funder"]["id"] for row in as_member("branch").get(url).json()["recipients"]] == [world.head.pk]
    assert len(as_member("supplier_org").get(url).json()["recipients"]) == 2
    assert len(as_member("district").get(url).json()["recipients"]) == 2
    for hidden in ("other_core", "distributor_org", "ia"):
        assert as_member(hidden).get(url).status_code == 404, hidden
    listed = as_member("head").get(RECOMMENDATIONS).json()
    assert [row["id"] for row in listed["results"]] == [body["id"]]
    assert as_member("core").get(RECOMMENDATIONS, {"chain_partner": partner.pk}).json()["count"] == 1
    assert as_member("core").get(RECOMMENDATIONS, {"chain_partner": partner.pk + 1000}).json()["count"] == 0
    assert_error(as_member("core").get(RECOMMENDATIONS, {"chain_partner": "x"}), 400, "bad_filter")
    # Reading changes nothing: it is not marked viewed.
    assert set(RecommendationRecipient.objects.values_list("status", flat=True)) == {RecommendationStatus.SENT}


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        ({"note": "好"}, "validation_failed", "funders"),
        ({"funders": [], "note": "好"}, "validation_failed", "funders"),
        ({"funders": ["insurer"], "note": "好"}, "validation_failed", "funders"),
        ({"funders": ["supplier_org"], "note": "好"}, "validation_failed", "funders"),
        ({"funders": [999999], "note": "好"}, "validation_failed", "funders"),
        ({"funders": ["abc"], "note": "好"}, "validation_failed", "funders"),
        ({"funders": [True], "note": "好"}, "validation_failed", "funders"),
        ({"funders": {"a": 1}, "note": "好"}, "validation_failed", "funders"),
        ({"funders": ["head"]}, "validation_failed", "note"),
        ({"funders": ["head"], "note": "  "}, "validation_failed", "note"),
        ({"funders": ["head"], "note": "x" * 2001}, "validation_failed", "note"),
        ({"funders": ["head"], "note": "好", "urgent": True}, "validation_failed", "urgent"),
    ],
)
def test_bad_recommendations_change_nothing(world, as_member, payload, code, field):
    partner = listing(world)
    funders = payload.get("funders")
    if isinstance(funders, list):
        payload = {**payload, "funders": [world.orgs[f].pk if f in world.orgs else f for f in funders]}
    before = state()

    response = as_member("core").post(f"{PARTNERS}{partner.pk}/recommendations/", payload, format="json")

    body = assert_error(response, 400, code)
    assert field in body["fields"], body
    assert state() == before


@pytest.mark.parametrize(("who", "status_code"), [("supplier_org", 403), ("district", 403), ("head", 404)])
def test_only_the_core_recommends_and_not_an_ended_partner(world, as_member, who, status_code):
    partner = listing(world)
    ended = listing(world, world.distributor, status=ChainPartnerStatus.ENDED)
    payload = {"funders": [world.head.pk], "note": "好"}
    before = state()

    assert_error(as_member(who).post(f"{PARTNERS}{partner.pk}/recommendations/", payload, format="json"), status_code)
    response = as_member("core").post(f"{PARTNERS}{ended.pk}/recommendations/", payload, format="json")
    assert_error(response, 409, "partner_not_active")
    assert state() == before


def test_a_bank_works_through_its_inbox(world, as_member):
    partner = listing(world)
    recommend(world, partner, [world.head, world.other_bank])
    head, other = (RecommendationRecipient.objects.get(funder=org) for org in (world.head, world.other_bank))
    bank = as_member("head")

    inbox = bank.get(RECIPIENTS, {"as_funder": "true"}).json()
    assert [row["id"] for row in inbox["results"]] == [head.pk]
    assert inbox["results"][0]["recommendation"]["chain_partner"]["enterprise"]["uscc"] == world.supplier.uscc
    assert bank.get(RECIPIENTS, {"as_funder": "true", "status": "viewed"}).json()["count"] == 0
    assert_error(bank.get(RECIPIENTS, {"status": "lost"}), 400, "bad_filter")
    assert as_member("core").get(RECIPIENTS, {"as_funder": "true"}).json()["count"] == 0
    assert as_member("core").get(RECIPIENTS).json()["count"] == 2

    viewed = bank.post(f"{RECIPIENTS}{head.pk}/view/")
    assert viewed.status_code == 200 and viewed.json()["status"] == "viewed" and viewed.json()["viewed_at"]
    again = as_member("branch").post(f"{RECIPIENTS}{head.pk}/view/")
    assert again.status_code == 200 and again.json()["viewed_at"] == viewed.json()["viewed_at"]
    acted = bank.post(f"{RECIPIENTS}{head.pk}/act/", {"note": "已联系企业"}, format="json")
    assert acted.status_code == 200 and acted.json()["status"] == "acted_on"
    assert acted.json()["answer_note"] == "已联系企业"
    assert acted.json()["abilities"] == {"view": False, "act": False, "decline": False, "withdraw": False}

    assert_error(as_member("other_bank").post(f"{RECIPIENTS}{other.pk}/decline/", {}, format="json"), 400)
    declined = as_member("other_bank").post(f"{RECIPIENTS}{other.pk}/decline/", {"note": "不在授信范围"}, format="json")
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    before = state()
    assert_error(bank.post(f"{RECIPIENTS}{head.pk}/decline/", {"note": "改主意"}, format="json"), 409)
    assert_error(as_member("core").post(f"{RECIPIENTS}{head.pk}/withdraw/"), 409, "invalid_transition")
    assert state() == before


def test_the_core_withdraws_an_unanswered_recommendation(world, as_member):
    partner = listing(world)
    recommend(world, partner, [world.head])
    recipient = RecommendationRecipient.objects.get()

    response = as_member("core").post(f"{RECIPIENTS}{recipient.pk}/withdraw/")

    assert response.status_code == 200 and response.json()["status"] == "withdrawn" and response.json()["withdrawn_at"]
    before = state()
    assert_error(as_member("head").post(f"{RECIPIENTS}{recipient.pk}/act/", {}, format="json"), 409)
    assert state() == before


@pytest.mark.parametrize(
    ("who", "role", "verb", "status_code"),
    [
        ("core", Role.STAFF, "act", 403),  # the core may not answer for the bank
        ("core", Role.STAFF, "decline", 403),
        ("core", Role.STAFF, "view", 403),
        ("supplier_org", Role.STAFF, "act", 403),
        ("district", Role.ADMIN, "act", 403),
        ("district", Role.ADMIN, "view", 403),
        ("district", Role.ADMIN, "withdraw", 403),
        ("head", Role.VIEWER, "act", 403),  # a bank's viewer reads but does not answer
        ("head", Role.STAFF, "withdraw", 403),
        ("core", Role.VIEWER, "withdraw", 403),
        ("other_bank", Role.STAFF, "act", 404),  # not sent to it
        ("other_bank", Role.STAFF, "view", 404),
        ("other_core", Role.STAFF, "withdraw", 404),
        ("distributor_org", Role.STAFF, "view", 404),
    ],
)
def test_forbidden_or_hidden_answers_change_nothing(world, as_member, who, role, verb, status_code):
    partner = listing(world)
    recommend(world, partner, [world.head])
    recipient = RecommendationRecipient.objects.get()
    before = state()

    response = as_member(who, role).post(f"{RECIPIENTS}{recipient.pk}/{verb}/", {"note": "理由"}, format="json")

    assert_error(response, status_code)
    assert state() == before


def test_a_bank_viewer_may_mark_a_recommendation_viewed(world, as_member):
    partner = listing(world)
    recommend(world, partner, [world.head])
    recipient = RecommendationRecipient.objects.get()
    response = as_member("head", Role.VIEWER).post(f"{RECIPIENTS}{recipient.pk}/view/")
    assert response.status_code == 200 and response.json()["status"] == "viewed"


def test_bad_answers_change_nothing(world, as_member):
    partner = listing(world)
    recommend(world, partner, [world.head])
    recipient = RecommendationRecipient.objects.get()
    before = state()
    url = f"{RECIPIENTS}{recipient.pk}/"
    for verb, payload in (("act", {"note": "x" * 2001}), ("act", {"mood": "ok"}), ("decline", {"note": ["a"]})):
        assert_error(as_member("head").post(f"{url}{verb}/", payload, format="json"), 400, "validation_failed")
    assert state() == before


# ---- transaction summaries --------------------------------------------------------------------------------------


def test_a_summary_is_shared_with_consenting_banks_only(world, as_member):
    partner = listing(world)
    consent(world.supplier, world.head)
    url = f"{PARTNERS}{partner.pk}/summaries/"
    before = state()

    refused = as_member("core").post(url, summary_data(funders=[world.head.pk, world.other_bank.pk]), format="json")

    body = assert_error(refused, 400, "consent_required")
    assert len(body["fields"]["funders"]) == 1 and world.other_bank.name in body["fields"]["funders"][0]
    assert state() == before
    response = as_member("core").post(url, summary_data(funders=[world.head.pk]), format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["volume"], created["on_time_share"], created["on_time_percent"]) == (
        "11800000.00",
        "0.950000",
        "95.0",
    )
    assert [share["funder"]["id"] for share in created["shares"]] == [world.head.pk]
    assert created["shares"][0]["is_live"] and created["shares"][0]["can_withdraw"]


def test_a_bank_lists_what_was_shared_with_it_while_the_consent_lives(world, as_member):
    partner = listing(world)
    granted = consent(world.supplier, world.head)
    shared = summary(partner)
    summary(partner, period_start=datetime.date(2024, 1, 1), period_end=datetime.date(2024, 12, 31))
    services.summary_share(actor=world.member("core"), summary=shared, funders=[world.head])
    share = SummaryShare.objects.get()

    for bank in ("head", "branch"):
        client = as_member(bank)
        assert [row["id"] for row in client.get(SUMMARIES).json()["results"]] == [shared.pk], bank
        rows = client.get(SHARES).json()["results"]
        assert [row["id"] for row in rows] == [share.pk] and rows[0]["summary"]["id"] == shared.pk
        assert rows[0]["can_withdraw"] is False
        assert client.get(f"{SUMMARIES}{shared.pk}/").json()["shares"][0]["funder"]["id"] == world.head.pk
    assert as_member("other_bank").get(SUMMARIES).json()["count"] == 0
    assert as_member("other_bank").get(f"{SUMMARIES}{shared.pk}/").status_code == 404
    assert as_member("core").get(SUMMARIES).json()["count"] == 2
    assert as_member("core").get(SUMMARIES, {"chain_partner": partner.pk}).json()["count"] == 2
    assert as_member("supplier_org").get(SUMMARIES).json()["count"] == 2
    assert as_member("core").get(SHARES, {"summary": shared.pk}).json()["count"] == 1
    assert_error(as_member("core").get(SHARES, {"summary": "x"}), 400, "bad_filter")

    granted.revoked_at = timezone.now()
    granted.save()
    assert as_member("head").get(SUMMARIES).json()["count"] == 0
    assert as_member("head").get(f"{SUMMARIES}{shared.pk}/").status_code == 404
    assert as_member("head").get(f"{SHARES}{share.pk}/").status_code == 404


def test_sharing_more_and_unsharing(world, as_member):
    partner = listing(world)
    consent(world.supplier, world.head)
    consent(world.supplier, world.other_bank, scope="profile")
    made = summary(partner)
    url = f"{SUMMARIES}{made.pk}/share/"
    before = state()

    body = assert_error(as_member("core").post(url, {"funders": [world.other_bank.pk]}, format="json"), 400)
    assert body["code"] == "consent_required" and body["fields"]["funders"]
    assert_error(as_member("core").post(url, {"funders": []}, format="json"), 400, "validation_failed")
    assert_error(as_member("core").post(url, {"funders": ["x"]}, format="json"), 400, "validation_failed")
    assert_error(as_member("core").post(url, {"banks": [world.head.pk]}, format="json"), 400, "validation_failed")
    assert_error(as_member("head").post(url, {"funders": [world.head.pk]}, format="json"), 404)  # not shared yet
    assert_error(as_member("supplier_org").post(url, {"funders": [world.head.pk]}, format="json"), 403)
    assert_error(as_member("district").post(url, {"funders": [world.head.pk]}, format="json"), 403)
    assert_error(as_member("other_core").post(url, {"funders": [world.head.pk]}, format="json"), 404)
    assert state() == before

    response = as_member("core").post(url, {"funders": [world.head.pk]}, format="json")
    assert response.status_code == 200 and len(response.json()["shares"]) == 1
    share = SummaryShare.objects.get()
    before = state()
    assert_error(as_member("head").post(f"{SHARES}{share.pk}/withdraw/"), 403)  # the bank cannot unshare
    assert_error(as_member("other_bank").post(f"{SHARES}{share.pk}/withdraw/"), 404)
    assert_error(as_member("core", Role.VIEWER).post(f"{SHARES}{share.pk}/withdraw/"), 403)
    assert state() == before

    withdrawn = as_member("core").post(f"{SHARES}{share.pk}/withdraw/")
    assert withdrawn.status_code == 200 and withdrawn.json()["is_live"] is False
    assert as_member("head").get(SUMMARIES).json()["count"] == 0
    before = state()
    assert_error(as_member("core").post(f"{SHARES}{share.pk}/withdraw/"), 409, "share_already_withdrawn")
    assert state() == before


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"period_end": "2024-12-31"}, "period_end"),
        ({"period_start": "2099-01-01", "period_end": "2099-12-31"}, "period_start"),
        ({"on_time_share": "1.5"}, "on_time_share"),
        ({"on_time_share": "abc%"}, "on_time_share"),
        ({"on_time_share": "0.1234567"}, "on_time_share"),
        ({"transaction_count": -1}, "transaction_count"),
        ({"transaction_count": 1.5}, "transaction_count"),
        ({"volume": "-1"}, "volume"),
        ({"volume": None}, "volume"),
        ({"note": "x" * 2001}, "note"),
        ({"colour": "red"}, "colour"),
        ({"funders": ["x"]}, "funders"),
    ],
)
def test_bad_summaries_change_nothing(world, as_member, values, field):
    partner = listing(world)
    before = state()
    response = as_member("core").post(f"{PARTNERS}{partner.pk}/summaries/", summary_data(**values), format="json")
    body = assert_error(response, 400)
    assert field in body["fields"], body
    assert state() == before


@pytest.mark.parametrize(("who", "status_code"), [("supplier_org", 403), ("district", 403), ("head", 404)])
def test_only_the_core_summarises_and_not_an_ended_partner(world, as_member, who, status_code):
    partner = listing(world)
    ended = listing(world, world.distributor, status=ChainPartnerStatus.ENDED)
    before = state()
    assert_error(as_member(who).post(f"{PARTNERS}{partner.pk}/summaries/", summary_data(), format="json"), status_code)
    response = as_member("core").post(f"{PARTNERS}{ended.pk}/summaries/", summary_data(), format="json")
    assert_error(response, 409, "partner_not_active")
    assert state() == before


# ---- spreadsheet import -----------------------------------------------------------------------------------------


def chain_csv(rows, name="chain.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, import_files.write_csv_rows([HEADER, *rows]), content_type="text/csv")


@pytest.mark.parametrize(
    ("lang", "file_format"), [("zh-hans", "xlsx"), ("zh-hans", "csv"), ("en", "xlsx"), ("en", "csv")]
)
def test_templates_in_both_languages(world, as_member, lang, file_format):
    response = as_member("core").get(f"{IMPORTS}template/", {"lang": lang, "format": file_format})
    assert response.status_code == 200
    assert response["Content-Type"] == import_files.CONTENT_TYPES[file_format]
    assert f"chain-partners-import-template-{lang}.{file_format}" in response["Content-Disposition"]


def test_template_defaults_and_bad_choices(world, as_member):
    client = as_member("core")
    assert (
        "template-zh-hans.xlsx"
        in client.get(f"{IMPORTS}template/", HTTP_ACCEPT_LANGUAGE="zh-hans")["Content-Disposition"]
    )
    assert "template-en.xlsx" in client.get(f"{IMPORTS}template/", HTTP_ACCEPT_LANGUAGE="en")["Content-Disposition"]
    assert_error(client.get(f"{IMPORTS}template/", {"format": "pdf"}), 400, "bad_template")
    assert_error(client.get(f"{IMPORTS}template/", {"lang": "fr"}), 400, "bad_template")
    for name in ("head", "supplier_org", "district"):
        assert_error(as_member(name).get(f"{IMPORTS}template/"), 403)


def test_a_dry_run_then_apply_then_the_report(world, as_member):
    client = as_member("core")
    rows = [
        [world.supplier.uscc, "upstream", "2019-03-01", "12000000", 60, "月结"],
        [world.distributor.uscc, "下游", "2020-01-01", "3000000", "", ""],
        [valid_uscc(424242), "upstream", "2019-03-01", "1", "", ""],
    ]
    before = ChainPartner.objects.count()

    response = client.post(IMPORTS, {"file": chain_csv(rows)}, format="multipart")

    assert response.status_code == 201, response.content
    dry = response.json()
    assert dry["dry_run"] is True and dry["can_apply"] is True
    assert (dry["rows_total"], dry["rows_created"], dry["rows_rejected"]) == (3, 2, 1)
    assert dry["errors"][0]["line"] == 4 and dry["errors"][0]["field"] == "partner_uscc" and dry["errors"][0]["column"]
    assert ChainPartner.objects.count() == before
    report = client.get(dry["report_url"])
    assert report.status_code == 200
    assert load_workbook(io.BytesIO(report.content)).active.max_row == 2

    applied = client.post(f"{IMPORTS}{dry['id']}/apply/")
    assert applied.status_code == 201, applied.content
    assert applied.json()["dry_run"] is False and applied.json()["rows_created"] == 2
    assert ChainPartner.objects.filter(core=world.core).count() == 2
    listed = client.get(IMPORTS).json()["results"]
    assert [row["id"] for row in listed] == [applied.json()["id"], dry["id"]]

    for name, role in (("other_core", Role.STAFF), ("core", Role.VIEWER), ("head", Role.STAFF)):
        for url in (f"{IMPORTS}{dry['id']}/", f"{IMPORTS}{dry['id']}/report/"):
            assert_error(as_member(name, role).get(url), 404)
        assert_error(as_member(name, role).post(f"{IMPORTS}{dry['id']}/apply/"), 404)
    assert as_member("other_core").get(IMPORTS).json()["count"] == 0


def test_an_import_at_once(world, as_member):
    rows = [[world.supplier.uscc, "upstream", "2019-03-01", "12000000", 60, ""]]
    response = as_member("core").post(IMPORTS, {"file": chain_csv(rows), "dry_run": "false"}, format="multipart")
    assert response.status_code == 201 and response.json()["rows_created"] == 1
    assert response.json()["report_url"] is None and response.json()["can_apply"] is False
    assert ChainPartner.objects.filter(core=world.core, enterprise=world.supplier).exists()


def test_applying_a_run_whose_file_is_gone_changes_nothing(world, as_member):
    from django.core.files.storage import default_storage

    from finbridge.enterprises.import_files import STORAGE_PREFIX

    rows = [[world.supplier.uscc, "upstream", "2019-03-01", "12000000", 60, ""]]
    dry = as_member("core").post(IMPORTS, {"file": chain_csv(rows)}, format="multipart").json()
    default_storage.delete(f"{STORAGE_PREFIX}/{dry['file_sha256']}")
    before = state()

    assert as_member("core").get(f"{IMPORTS}{dry['id']}/").json()["can_apply"] is False
    assert_error(as_member("core").post(f"{IMPORTS}{dry['id']}/apply/"), 400, "import_file_gone")
    assert state() == before


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({}, "validation_failed"),
        ({"file": "not a file"}, "validation_failed"),
        ({"file": ("chain.pdf", b"%PDF-1.4")}, None),
        ({"file": ("chain.csv", b"")}, "import_empty_file"),
        ({"file": ("chain.csv", b"partner_uscc,colour\n1,2\n")}, "import_bad_columns"),
        ({"file": ("chain.xlsx", b"not a zip")}, None),
        ({"file": ("chain.csv", b"x"), "dry_run": "maybe"}, "validation_failed"),
        ({"file": ("chain.csv", b"x"), "core": "abc"}, "validation_failed"),
    ],
)
def test_bad_files_change_nothing(world, as_member, payload, code):
    from django.core.files.uploadedfile import SimpleUploadedFile

    payload = {key: SimpleUploadedFile(*value) if isinstance(value, tuple) else value for key, value in payload.items()}
    before = state()
    assert_error(as_member("core").post(IMPORTS, payload, format="multipart"), 400, code)
    assert state() == before


@pytest.mark.parametrize(("name", "role"), [("district", Role.ADMIN), ("core", Role.VIEWER), ("head", Role.ADMIN)])
def test_only_chain_managers_import(world, as_member, name, role):
    rows = [[world.supplier.uscc, "upstream", "2019-03-01", "12000000", 60, ""]]
    before = state()
    assert_error(as_member(name, role).post(IMPORTS, {"file": chain_csv(rows)}, format="multipart"), 403)
    assert_error(as_member(name, role).get(IMPORTS), 403)
    assert state() == before


def test_an_import_for_a_core_the_caller_does_not_manage_is_refused(world, as_member):
    rows = [[world.supplier.uscc, "upstream", "2019-03-01", "12000000", 60, ""]]
    before = state()
    response = as_member("core").post(
        IMPORTS, {"file": chain_csv(rows), "core": world.other_core.pk}, format="multipart"
    )
    assert_error(response, 403, "not_your_core")
    assert state() == before


def test_lists_take_a_fixed_number_of_queries(world, as_member):
    """Lists do not query per row: 2 rows of each kind cost what 8 cost."""

    def fill(count):
        for _ in range(count):
            enterprise = EnterpriseFactory(organization=OrganizationFactory(org_type="msme"))
            consent(enterprise, world.head)
            partner = listing(world, enterprise)
            recommend(world, partner, [world.head, world.other_bank])
            services.summary_share(actor=world.member("core"), summary=summary(partner), funders=[world.head])

    def costs():
        result = {}
        for name in ("core", "head", "district"):
            for url in (PARTNERS, RECOMMENDATIONS, RECIPIENTS, SUMMARIES, SHARES):
                client = APIClient()
                client.force_authenticate(User.objects.get(pk=world.member(name).pk))  # nothing cached on it
                with CaptureQueriesContext(connection) as captured:
                    assert client.get(url).status_code == 200
                result[(name, url)] = len(captured)
        return result

    fill(2)
    few = costs()
    fill(6)
    assert costs() == few


# ---- both languages ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_errors_come_in_the_callers_language(world, as_member, language):
    uscc = valid_uscc(424242)
    response = as_member("core").post(
        PARTNERS, partner_data(world, partner_uscc=uscc), format="json", HTTP_ACCEPT_LANGUAGE=language
    )

    body = assert_error(response, 400, "unknown_enterprise")
    with translation.override(language):
        expected = str(services.MSG_UNKNOWN_ENTERPRISE) % {"uscc": uscc}
    assert body["message"] == expected and body["fields"]["partner_uscc"] == [expected]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_labels_come_in_the_callers_language(world, as_member, language):
    partner = listing(world)
    body = as_member("core").get(f"{PARTNERS}{partner.pk}/", HTTP_ACCEPT_LANGUAGE=language).json()
    with translation.override(language):
        assert body["direction_label"] == str(partner.get_direction_display())
        assert body["status_label"] == str(partner.get_status_display())


# ---- the admin --------------------------------------------------------------------------------------------------


def test_the_admin_shows_the_chain_read_only(world, admin_client):
    partner = listing(world)
    recommend(world, partner, [world.head])
    made = summary(partner)
    consent(world.supplier, world.head)
    services.summary_share(actor=world.member("core"), summary=made, funders=[world.head])
    for model in (
        "chainpartner",
        "financingrecommendation",
        "recommendationrecipient",
        "transactionsummary",
        "summaryshare",
        "chainimportrun",
        "receivable",
        "registration",
        "voucher",
        "payment",
    ):
        assert admin_client.get(f"/admin/supplychain/{model}/").status_code == 200, model
        assert admin_client.get(f"/admin/supplychain/{model}/add/").status_code == 403, model
    recommendation = FinancingRecommendation.objects.get()
    assert (
        admin_client.get(f"/admin/supplychain/financingrecommendation/{recommendation.pk}/change/").status_code == 200
    )
    assert admin_client.get(f"/admin/supplychain/transactionsummary/{made.pk}/change/").status_code == 200
    assert admin_client.get(f"/admin/supplychain/chainpartner/{partner.pk}/history/").status_code == 200
