"""The claim API: filing with evidence, review (approve, in part, reject, return), resubmission, withdrawal, the
payout with its arithmetic in the caller's language, recoveries and owed amounts; banks see only their own."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from finbridge.accounts.choices import Role
from finbridge.riskpool.choices import ClaimStatus
from finbridge.riskpool.models import Claim, ClaimDocument, Payout, Recovery
from finbridge.riskpool.tests.api.support import (
    PDF,
    bad_loan,
    outsider_bank_user,
    paid_claim,
    state,
    submitted_claim,
)
from finbridge.riskpool.tests.setup import build_pool_scenario

pytestmark = pytest.mark.django_db

BASE = "/api/v1/riskpool"


def _pdf(name="evidence.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def _claim_payload(covered, **overrides):
    data = {
        "enrolment": covered.pk,
        "lost_principal": "400000.00",
        "lost_interest": "12000.00",
        "defaulted_on": timezone.localdate().isoformat(),
        "document_kind": "classification",
        "documents": [_pdf()],
    }
    data.update(overrides)
    return data


def test_a_bank_files_a_claim_with_evidence(as_user, scenario):
    enrolment = bad_loan(scenario)
    response = as_user(scenario.head_user).post(f"{BASE}/claims/", _claim_payload(enrolment), format="multipart")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "submitted" and data["lost_principal"] == "400000.00"
    assert [d["kind"] for d in data["documents"]] == ["classification"]
    assert data["payout"] is None and data["actions"] == ["add_documents", "withdraw"]
    download = as_user(scenario.head_user).get(data["documents"][0]["download"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF


def test_a_claim_may_name_the_loan(as_user, scenario):
    enrolment = bad_loan(scenario)
    payload = _claim_payload(enrolment, loan=enrolment.loan_id)
    del payload["enrolment"]
    response = as_user(scenario.head_user).post(f"{BASE}/claims/", payload, format="multipart")
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize(
    ("overrides", "status", "field"),
    [
        ({"lost_principal": "5000000.00"}, 400, "lost_principal"),  # above the outstanding balance
        ({"lost_principal": "-1"}, 400, "lost_principal"),
        ({"defaulted_on": "2999-01-01"}, 400, "defaulted_on"),
        ({"documents": []}, 400, "documents"),
        ({"documents": [_pdf("evil.exe", b"MZ")]}, 400, "documents"),
        ({"documents": [_pdf("fake.pdf", b"not a pdf")]}, 400, "documents"),
        ({"document_kind": "selfie"}, 400, "document_kind"),
        ({"enrolment": 999999}, 400, "enrolment"),
    ],
)
def test_bad_claims_change_nothing(as_user, scenario, overrides, status, field):
    enrolment = bad_loan(scenario)
    payload = _claim_payload(enrolment, **overrides)
    if not payload["documents"]:
        del payload["documents"]
    before = state()
    response = as_user(scenario.head_user).post(f"{BASE}/claims/", payload, format="multipart")
    assert response.status_code == status, response.json()
    assert field in response.json()["fields"]
    assert state() == before


def test_claims_on_performing_or_uncovered_loans_are_refused(as_user, scenario):
    performing = scenario.enrol(scenario.make_loan())
    before = state()
    response = as_user(scenario.head_user).post(f"{BASE}/claims/", _claim_payload(performing), format="multipart")
    assert response.status_code == 400 and response.json()["code"] == "loan_performing"
    never = scenario.make_loan()
    payload = _claim_payload(performing, loan=never.pk)
    del payload["enrolment"]
    uncovered = as_user(scenario.head_user).post(f"{BASE}/claims/", payload, format="multipart")
    assert uncovered.status_code == 400 and uncovered.json()["code"] == "loan_not_covered"
    assert state() == before


def test_a_second_claim_on_the_same_default_is_refused(as_user, scenario):
    claim = submitted_claim(scenario)
    before = state()
    response = as_user(scenario.head_user).post(f"{BASE}/claims/", _claim_payload(claim.enrolment), format="multipart")
    assert response.status_code == 409
    assert state() == before


def test_claims_are_visible_to_their_bank_and_the_authority_only(as_user, scenario):
    ours = submitted_claim(scenario)
    theirs = submitted_claim(scenario, lender="other_bank")
    head = as_user(scenario.head_user)
    assert [c["id"] for c in head.get(f"{BASE}/claims/").json()["results"]] == [ours.pk]
    assert head.get(f"{BASE}/claims/{theirs.pk}/").status_code == 404
    document = theirs.documents.get()
    assert head.get(f"{BASE}/claims/{theirs.pk}/documents/{document.pk}/").status_code == 404
    assert head.get(f"{BASE}/claims/{ours.pk}/documents/{document.pk}/").status_code == 404
    assert head.post(f"{BASE}/claims/{theirs.pk}/withdraw/", {}, format="json").status_code == 404
    authority = as_user(scenario.authority).get(f"{BASE}/claims/", {"pool": scenario.pool.pk}).json()
    assert {c["id"] for c in authority["results"]} == {ours.pk, theirs.pk}
    assert as_user(outsider_bank_user()).get(f"{BASE}/claims/{ours.pk}/").status_code == 404


def test_approval_pays_once_and_shows_the_arithmetic(as_user, scenario):
    claim = submitted_claim(scenario, principal="500000.00")
    client = as_user(scenario.authority)
    preview = client.get(f"{BASE}/claims/{claim.pk}/payout-preview/").json()
    assert preview["payout"] == "150000.00" and preview["steps"]
    partial = client.get(f"{BASE}/claims/{claim.pk}/payout-preview/", {"principal": "100000"}).json()
    assert partial["payout"] == "30000.00"
    assert Payout.objects.count() == 0
    approved = client.post(f"{BASE}/claims/{claim.pk}/approve/", {}, format="json")
    assert approved.status_code == 200, approved.json()
    data = approved.json()
    assert data["status"] == "paid"
    payout = data["payout"]
    assert payout["amount"] == "150000.00" and payout["owed_amount"] == "0.00"
    assert payout["rule_version_number"] == 1
    assert [step["code"] for step in payout["breakdown"]["steps"]][0]
    assert any("150,000.00" in step["message"] for step in payout["breakdown"]["steps"])
    before = state()
    again = client.post(f"{BASE}/claims/{claim.pk}/approve/", {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "claim_already_approved"
    assert state() == before
    # The steps come in the caller's language.
    chinese = client.get(f"{BASE}/claims/{claim.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese["Content-Language"] == "zh-hans"
    assert all(step["message"] for step in chinese.json()["payout"]["breakdown"]["steps"])


def test_approve_in_part_needs_a_reason_and_lower_amounts(as_user, scenario):
    claim = submitted_claim(scenario, principal="500000.00")
    client = as_user(scenario.authority)
    before = state()
    no_reason = client.post(f"{BASE}/claims/{claim.pk}/approve/", {"principal": "300000.00"}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["fields"]
    above = client.post(f"{BASE}/claims/{claim.pk}/approve/", {"principal": "600000.00", "reason": "x"}, format="json")
    assert above.status_code == 400 and "principal" in above.json()["fields"]
    assert state() == before
    ok = client.post(
        f"{BASE}/claims/{claim.pk}/approve/", {"principal": "300000.00", "reason": "部分损失已追回"}, format="json"
    )
    assert ok.status_code == 200
    assert ok.json()["decision"] == "approve_in_part" and ok.json()["payout"]["amount"] == "90000.00"


def test_reject_and_return_need_a_reason(as_user, scenario):
    claim = submitted_claim(scenario)
    client = as_user(scenario.authority)
    before = state()
    assert client.post(f"{BASE}/claims/{claim.pk}/reject/", {"reason": ""}, format="json").status_code == 400
    assert client.post(f"{BASE}/claims/{claim.pk}/return/", {}, format="json").status_code == 400
    assert state() == before
    returned = client.post(f"{BASE}/claims/{claim.pk}/return/", {"reason": "补充催收记录"}, format="json")
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    bank = as_user(scenario.head_user)
    detail = bank.get(f"{BASE}/claims/{claim.pk}/").json()
    assert "resubmit" in detail["actions"]
    more = bank.post(
        f"{BASE}/claims/{claim.pk}/documents/", {"documents": [_pdf("collection.pdf")]}, format="multipart"
    )
    assert more.status_code == 201
    again = bank.post(f"{BASE}/claims/{claim.pk}/resubmit/", {"lost_principal": "450000.00"}, format="multipart")
    assert again.status_code == 200 and again.json()["status"] == "submitted"
    client = as_user(scenario.authority)
    rejected = client.post(f"{BASE}/claims/{claim.pk}/reject/", {"reason": "不符合条件"}, format="json")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert client.post(f"{BASE}/claims/{claim.pk}/approve/", {}, format="json").status_code == 409


def test_banks_may_not_review_and_authorities_may_not_file(as_user, scenario):
    claim = submitted_claim(scenario)
    before = state()
    head = as_user(scenario.head_user)
    for action in ("approve", "reject", "return"):
        assert head.post(f"{BASE}/claims/{claim.pk}/{action}/", {"reason": "x"}, format="json").status_code == 403
    assert head.get(f"{BASE}/claims/{claim.pk}/payout-preview/").status_code == 403
    viewer = as_user(scenario.market.member("district", Role.VIEWER))
    assert viewer.post(f"{BASE}/claims/{claim.pk}/approve/", {}, format="json").status_code == 403
    authority = as_user(scenario.authority)
    assert authority.post(f"{BASE}/claims/", _claim_payload(claim.enrolment), format="multipart").status_code == 403
    assert state() == before


def test_withdraw_a_claim(as_user, scenario):
    claim = submitted_claim(scenario)
    response = as_user(scenario.head_user).post(
        f"{BASE}/claims/{claim.pk}/withdraw/", {"reason": "已还款"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"


def test_recoveries_share_back_to_the_pool(as_user, scenario):
    claim = paid_claim(scenario, principal="500000.00")
    bank = as_user(scenario.head_user)
    today = timezone.localdate().isoformat()
    response = bank.post(
        f"{BASE}/claims/{claim.pk}/recoveries/",
        {"recovered_amount": "100000.00", "recovered_on": today, "reference": "REC-1"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["pool_amount"] == "30000.00" and response.json()["steps"]
    assert [r["id"] for r in bank.get(f"{BASE}/claims/{claim.pk}/recoveries/").json()] == [response.json()["id"]]
    assert bank.get(f"{BASE}/recoveries/", {"pool": scenario.pool.pk}).json()["count"] == 1
    assert bank.get(f"{BASE}/recoveries/{response.json()['id']}/").status_code == 200
    before = state()
    too_much = bank.post(
        f"{BASE}/claims/{claim.pk}/recoveries/", {"recovered_amount": "900000.00", "recovered_on": today}, format="json"
    )
    assert too_much.status_code == 400 and "recovered_amount" in too_much.json()["fields"]
    assert state() == before


def test_recoveries_on_claims_never_paid_are_refused(as_user, scenario):
    claim = submitted_claim(scenario)
    before = state()
    response = as_user(scenario.head_user).post(
        f"{BASE}/claims/{claim.pk}/recoveries/",
        {"recovered_amount": "1000.00", "recovered_on": timezone.localdate().isoformat()},
        format="json",
    )
    assert response.status_code == 409 and response.json()["code"] == "not_paid_out"
    assert state() == before
    assert as_user(outsider_bank_user()).get(f"{BASE}/recoveries/").json()["results"] == []


def test_what_the_pool_cannot_pay_is_owed(as_user):
    scenario = build_pool_scenario(capital=Decimal("100000.00"))
    claim = submitted_claim(scenario, principal="500000.00")
    client = as_user(scenario.authority)
    approved = client.post(f"{BASE}/claims/{claim.pk}/approve/", {}, format="json").json()
    assert approved["status"] == "approved"
    assert approved["payout"]["paid_amount"] == "100000.00" and approved["payout"]["owed_amount"] == "50000.00"
    owed = client.get(f"{BASE}/owed/", {"pool": scenario.pool.pk}).json()
    assert [row["outstanding"] for row in owed["results"]] == ["50000.00"]
    assert client.get(f"{BASE}/owed/").status_code == 400  # the pool is required
    client.post(f"{BASE}/pools/{scenario.pool.pk}/capital/", {"amount": "80000.00"}, format="json")
    settled = client.get(f"{BASE}/owed/", {"pool": scenario.pool.pk, "status": "settled"}).json()
    assert [row["status"] for row in settled["results"]] == ["settled"]
    assert Claim.objects.get().status == ClaimStatus.PAID
    bank_view = as_user(scenario.head_user).get(f"{BASE}/owed/", {"pool": scenario.pool.pk}).json()
    assert bank_view["count"] == 1
    assert as_user(outsider_bank_user()).get(f"{BASE}/owed/", {"pool": scenario.pool.pk}).json()["count"] == 0


def test_documents_can_no_longer_be_added_once_decided(as_user, scenario):
    claim = paid_claim(scenario)
    before = (ClaimDocument.objects.count(), Recovery.objects.count())
    response = as_user(scenario.head_user).post(
        f"{BASE}/claims/{claim.pk}/documents/", {"documents": [_pdf()]}, format="multipart"
    )
    assert response.status_code == 409
    assert (ClaimDocument.objects.count(), Recovery.objects.count()) == before
