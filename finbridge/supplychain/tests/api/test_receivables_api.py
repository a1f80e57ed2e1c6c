"""The receivables API: upload (JSON and multipart with documents), payables, correction, documents, withdrawal,
confirmation (single with fingerprint, bulk), dispute, voucher issue and settlement; hidden records answer 404
and bad input 400 with fields, changing nothing."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from finbridge.accounts.choices import Role
from finbridge.supplychain.choices import ConfirmationMethod, ReceivableStatus
from finbridge.supplychain.models import Receivable, ReceivableConfirmation
from finbridge.supplychain.services.confirmation import receivable_fingerprint
from finbridge.supplychain.tests.api.conftest import API
from finbridge.supplychain.tests.api.scenario import pdf, state, terms
from finbridge.supplychain.tests.setup import make_receivable

pytestmark = pytest.mark.django_db

RECEIVABLES = f"{API}/receivables/"


def detail(receivable) -> str:
    return f"{RECEIVABLES}{receivable.pk}/"


def test_anonymous_callers_get_401(api_client, world):
    for url in (RECEIVABLES, detail(world.pending), f"{API}/payables/", f"{API}/receivable-imports/"):
        response = api_client.get(url)
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"


def test_each_side_lists_its_own(as_party, world):
    supplier = as_party("supplier")
    owed = supplier.get(RECEIVABLES, {"side": "creditor"}).json()
    ids = {row["id"] for row in owed["results"]}
    assert {world.pending.pk, world.confirmed.pk, world.requested.pk} <= ids
    assert world.payable.pk in ids  # the core's payable to the supplier
    core = as_party("core").get(RECEIVABLES, {"side": "debtor", "status": "pending"}).json()
    assert [row["id"] for row in core["results"]] == [world.pending.pk]
    assert core["results"][0]["abilities"]["can_confirm"] is True
    assert as_party("outsider").get(RECEIVABLES).json()["count"] == 0
    assert as_party("bank_c").get(RECEIVABLES).json()["count"] == 0
    asked = {row["id"] for row in as_party("bank_a").get(RECEIVABLES).json()["results"]}
    assert asked == {world.requested.pk}  # a funder sees what it was asked to finance, nothing else
    assert as_party("district", Role.VIEWER).get(RECEIVABLES).json()["count"] == Receivable.objects.count()


def test_unknown_filter_values_give_an_empty_list_not_an_error(as_party, world):
    client = as_party("supplier")
    for params in ({"status": "nope"}, {"side": "sideways"}, {"overdue": "maybe", "q": "x" * 500}):
        response = client.get(RECEIVABLES, params)
        assert response.status_code == 200


def test_detail_shows_documents_fingerprint_and_abilities(as_party, world):
    body = as_party("core").get(detail(world.pending)).json()
    assert body["status"] == "pending" and body["confirmation"] is None
    assert body["current_fingerprint"] == receivable_fingerprint(world.pending)
    assert [d["name"] for d in body["documents"]] == ["invoice.pdf"]
    assert body["abilities"]["can_confirm"] and not body["abilities"]["can_edit"]
    download = as_party("core").get(body["documents"][0]["download_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")


@pytest.mark.parametrize("name", ["outsider", "bank_c", "tier2", "bank_b"])
def test_hidden_receivables_answer_404_for_every_verb(as_party, world, name):
    client = as_party(name)
    before = state()
    for method, suffix in (
        ("get", ""),
        ("patch", ""),
        ("post", "confirm/"),
        ("post", "dispute/"),
        ("post", "withdraw/"),
        ("post", "settle/"),
        ("post", "issue-voucher/"),
        ("get", f"documents/{world.pending.documents.first().pk}/"),
    ):
        response = getattr(client, method)(f"{detail(world.pending)}{suffix}", {}, format="json")
        assert response.status_code == 404, (name, method, suffix)
    assert state() == before


def test_upload_a_receivable_with_documents(as_party, world):
    client = as_party("supplier")
    payload = {**terms(), "debtor_uscc": world.chain.uscc("core"), "documents": [pdf("a.pdf"), pdf("b.pdf")]}
    response = client.post(RECEIVABLES, payload, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending" and body["debtor"]["id"] == world.chain.core.pk
    assert sorted(d["name"] for d in body["documents"]) == ["a.pdf", "b.pdf"]
    assert body["amount"] == "125000.00"
    # JSON works too, with the debtor's organisation id.
    response = client.post(RECEIVABLES, {**terms(), "debtor": world.chain.core2.pk}, format="json")
    assert response.status_code == 201 and response.json()["debtor"]["id"] == world.chain.core2.pk


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"debtor_uscc": "unregistered"}, "debtor_not_registered", "debtor_uscc"),
        ({"debtor_uscc": "91440300MA5EXAMPL0"}, None, "debtor_uscc"),
        ({"debtor_uscc": "self"}, "same_party", "debtor_uscc"),
        ({"due_on": "2020-01-01"}, "due_date_past", "due_on"),
        ({"amount": "-1"}, None, "amount"),
        ({"amount": "12.345"}, None, "amount"),
        ({"invoice_number": "123"}, None, "invoice_number"),
        ({"invoice_code": "12"}, None, "invoice_code"),
        ({"issued_on": "2026-02-30"}, None, "issued_on"),
        ({"colour": "blue"}, None, "colour"),
        ({"debtor_uscc": None}, None, "debtor"),
    ],
)
def test_bad_uploads_answer_400_with_fields_and_change_nothing(as_party, world, overrides, code, field):
    chain = world.chain
    payload = {**terms(), "debtor_uscc": chain.uscc("core"), **overrides}
    if payload["debtor_uscc"] == "unregistered":
        payload["debtor_uscc"] = chain.uscc("unregistered")
    elif payload["debtor_uscc"] == "self":
        payload["debtor_uscc"] = chain.uscc("supplier")
    payload = {k: v for k, v in payload.items() if v is not None}
    before = state()
    response = as_party("supplier").post(RECEIVABLES, payload, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"} and field in body["fields"]
    if code:
        assert body["code"] == code
    assert state() == before


def test_a_duplicate_invoice_is_refused(as_party, world):
    client = as_party("supplier")
    payload = {**terms(invoice_number=world.confirmed.invoice_number), "debtor": world.chain.core.pk}
    before = state()
    response = client.post(RECEIVABLES, payload, format="json")
    assert response.status_code == 400 and response.json()["code"] == "duplicate_invoice"
    assert state() == before


@pytest.mark.parametrize(
    ("name", "role"), [("district", Role.ADMIN), ("bank_a", Role.STAFF), ("supplier", Role.VIEWER)]
)
def test_readers_and_banks_may_not_upload(as_party, world, name, role):
    before = state()
    response = as_party(name, role).post(RECEIVABLES, {**terms(), "debtor": world.chain.core.pk}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert state() == before


def test_a_debtor_records_a_payable_confirmed_at_once(as_party, world):
    response = as_party("core").post(
        f"{API}/payables/", {**terms(), "creditor_uscc": world.chain.uscc("supplier2")}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "confirmed" and body["source"] == "debtor"
    assert body["confirmation"]["method"] == ConfirmationMethod.DEBTOR_UPLOAD
    assert len(body["confirmation"]["fingerprint"]) == 64
    before = state()
    bad = as_party("core").post(f"{API}/payables/", {**terms(), "creditor_uscc": world.chain.uscc("unregistered")})
    assert bad.status_code == 400 and bad.json()["code"] == "creditor_not_registered"
    assert state() == before


def test_the_creditor_corrects_a_disputed_receivable(as_party, world):
    core = as_party("core")
    assert core.post(f"{detail(world.pending)}dispute/", {"reason": "金额不符"}, format="json").status_code == 200
    world.pending.refresh_from_db()
    assert world.pending.status == ReceivableStatus.DISPUTED and world.pending.dispute_reason == "金额不符"
    # The debtor may not correct it; the creditor may.
    assert core.patch(detail(world.pending), {"amount": "120000.00"}, format="json").status_code == 403
    response = as_party("supplier").patch(detail(world.pending), {"amount": "120000.00"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "pending" and response.json()["amount"] == "120000.00"
    before = state()
    bad = as_party("supplier").patch(detail(world.pending), {"invoice_number": "12345678"}, format="json")
    assert bad.status_code == 400 and "invoice_number" in bad.json()["fields"]
    assert state() == before
    closed = as_party("supplier").patch(detail(world.confirmed), {"amount": "1.00"}, format="json")
    assert closed.status_code == 409 and closed.json()["code"] == "invalid_transition"


def test_a_dispute_needs_a_reason(as_party, world):
    before = state()
    response = as_party("core").post(f"{detail(world.pending)}dispute/", {"reason": "  "}, format="json")
    assert response.status_code == 400 and "reason" in response.json()["fields"]
    assert state() == before


def test_documents_are_added_before_confirmation_only(as_party, world):
    client = as_party("supplier")
    response = client.post(f"{detail(world.pending)}documents/", {"file": pdf("contract.pdf")}, format="multipart")
    assert response.status_code == 201 and response.json()["name"] == "contract.pdf"
    before = state()
    missing = client.post(f"{detail(world.pending)}documents/", {}, format="multipart")
    assert missing.status_code == 400 and "file" in missing.json()["fields"]
    late = client.post(f"{detail(world.confirmed)}documents/", {"file": pdf()}, format="multipart")
    assert late.status_code == 409
    assert state() == before


def test_confirm_with_the_fingerprint_seen(as_party, world):
    core = as_party("core")
    seen = core.get(detail(world.pending)).json()["current_fingerprint"]
    # The supplier changes the receivable meanwhile: the stale fingerprint confirms nothing.
    as_party("supplier").patch(detail(world.pending), {"contract_reference": "HT-NEW"}, format="json")
    before = state()
    stale = as_party("core").post(f"{detail(world.pending)}confirm/", {"fingerprint": seen}, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "content_changed"
    assert state() == before
    fresh = as_party("core").get(detail(world.pending)).json()["current_fingerprint"]
    response = as_party("core").post(f"{detail(world.pending)}confirm/", {"fingerprint": fresh}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "confirmed" and body["confirmation"]["fingerprint"] == fresh
    assert body["confirmation"]["content"]["contract_reference"] == "HT-NEW"
    again = as_party("core").post(f"{detail(world.pending)}confirm/", {}, format="json")
    assert again.status_code == 409


def test_only_the_debtor_confirms(as_party, world):
    before = state()
    response = as_party("supplier").post(f"{detail(world.pending)}confirm/", {}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "not_debtor"
    assert as_party("district", Role.ADMIN).post(f"{detail(world.pending)}confirm/").status_code == 403
    assert state() == before


def test_bulk_confirmation_is_all_or_nothing(as_party, world):
    chain = world.chain
    mine = [make_receivable(chain, status=ReceivableStatus.PENDING) for _ in range(3)]
    foreign = make_receivable(chain, debtor="core2", status=ReceivableStatus.PENDING)
    url = f"{RECEIVABLES}confirm/"
    before = state()
    for ids in ([r.pk for r in mine] + [foreign.pk], [world.confirmed.pk], [], "abc", [0]):
        response = as_party("core").post(url, {"ids": ids}, format="json")
        assert response.status_code == 400, (ids, response.content)
        assert "ids" in response.json()["fields"]
    assert state() == before
    response = as_party("core").post(url, {"ids": [r.pk for r in mine] + [world.pending.pk]}, format="json")
    assert response.status_code == 200 and response.json() == {"confirmed": 4}
    assert ReceivableConfirmation.objects.filter(receivable__in=mine).count() == 3
    assert as_party("supplier").post(url, {"ids": [foreign.pk]}, format="json").status_code == 400


def test_withdraw(as_party, world):
    assert as_party("core").post(f"{detail(world.pending)}withdraw/").status_code == 403
    response = as_party("supplier").post(f"{detail(world.pending)}withdraw/")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert as_party("supplier").post(f"{detail(world.pending)}withdraw/").status_code == 409


def test_the_debtor_issues_a_voucher_and_pays(as_party, world):
    receivable = make_receivable(world.chain, status=ReceivableStatus.CONFIRMED, amount="80000.00")
    assert as_party("supplier").post(f"{detail(receivable)}issue-voucher/").status_code == 403
    response = as_party("core").post(f"{detail(receivable)}issue-voucher/")
    assert response.status_code == 201, response.content
    assert response.json()["holder"]["id"] == world.chain.supplier.pk and response.json()["tier"] == 1
    paid_on = timezone.localdate().isoformat()
    response = as_party("core").post(f"{detail(receivable)}settle/", {"paid_on": paid_on, "reference": "PAY-1"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "settled" and len(body["payments"]) == 1
    assert body["payments"][0]["payee"]["id"] == world.chain.supplier.pk and body["payments"][0]["amount"] == "80000.00"
    assert as_party("core").post(f"{detail(receivable)}settle/").status_code == 409


def test_settlement_bad_input_changes_nothing(as_party, world):
    before = state()
    for payload in ({"paid_on": "yesterday"}, {"reference": "x" * 200}, {"colour": "red"}):
        response = as_party("core").post(f"{detail(world.confirmed)}settle/", payload, format="json")
        assert response.status_code == 400, (payload, response.content)
    assert as_party("supplier").post(f"{detail(world.confirmed)}settle/").status_code == 403
    assert state() == before


def test_an_overdue_receivable_is_flagged_in_the_api(as_party, world):
    due = timezone.localdate() - datetime.timedelta(days=3)
    overdue = make_receivable(
        world.chain,
        status=ReceivableStatus.CONFIRMED,
        due_on=due,
        issued_on=due - datetime.timedelta(days=60),
        is_overdue=True,
    )
    body = as_party("supplier").get(RECEIVABLES, {"overdue": "true", "side": "creditor"}).json()
    assert [row["id"] for row in body["results"]] == [overdue.pk]
    assert body["results"][0]["is_overdue"] is True
    assert body["results"][0]["abilities"]["can_request_financing"] is False


def test_chinese_error_messages(as_party, world):
    response = as_party("supplier").post(
        RECEIVABLES,
        {**terms(), "debtor_uscc": world.chain.uscc("unregistered")},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "debtor_not_registered"


def test_a_person_in_two_firms_chooses_the_one_acting(api_client, world):
    from finbridge.accounts.tests.factories import MembershipFactory

    person = world.user("supplier")
    MembershipFactory(user=person, organization=world.chain.supplier2, role=Role.STAFF)
    api_client.force_authenticate(type(person).objects.get(pk=person.pk))
    payload = {**terms(), "debtor": world.chain.core.pk}
    before = state()
    response = api_client.post(RECEIVABLES, payload, format="json")
    assert response.status_code == 400 and response.json()["code"] == "organization_required"
    assert state() == before
    response = api_client.post(RECEIVABLES, {**payload, "organization": world.chain.supplier2.pk}, format="json")
    assert response.status_code == 201 and response.json()["creditor"]["id"] == world.chain.supplier2.pk
    foreign = api_client.post(
        RECEIVABLES, {**terms(), "debtor": world.chain.core.pk, "organization": world.chain.core.pk}
    )
    assert foreign.status_code == 403
