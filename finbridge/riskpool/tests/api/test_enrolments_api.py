"""The enrolment API: enrol one loan (with every eligibility reason when refused), in bulk, check eligibility,
list the loans a bank may enrol, release; banks see only their own enrolments."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from finbridge.accounts.choices import Role
from finbridge.financing.choices import LoanClassification
from finbridge.riskpool.choices import EnrolmentStatus
from finbridge.riskpool.models import Enrolment
from finbridge.riskpool.tests.api.support import outsider_bank_user, state

pytestmark = pytest.mark.django_db

BASE = "/api/v1/riskpool"


def test_a_bank_enrols_its_loan(as_user, scenario):
    loan = scenario.make_loan(amount=Decimal("2000000.00"), outstanding=Decimal("1500000.00"))
    response = as_user(scenario.head_user).post(
        f"{BASE}/enrolments/", {"pool": scenario.pool.pk, "loan": loan.pk, "flags": ["green"]}, format="json"
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["covered_amount"] == "1500000.00" and data["rule_version_number"] == 1
    assert "green" in data["flags"] and data["status"] == "active"
    scenario.pool.refresh_from_db()
    assert scenario.pool.covered_balance == Decimal("1500000.00")


def test_a_branch_enrols_by_contract_number(as_user, scenario):
    loan = scenario.make_loan(lender="branch")
    response = as_user(scenario.branch_user).post(
        f"{BASE}/enrolments/", {"pool": scenario.pool.pk, "reference": loan.reference}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["bank"] == scenario.market.head.pk


def test_an_ineligible_loan_is_refused_with_every_reason(as_user, scenario):
    early = scenario.pool.period_start - datetime.timedelta(days=20)
    loan = scenario.make_loan(classification=LoanClassification.SUBSTANDARD, disbursed_on=early)
    before = state()
    response = as_user(scenario.head_user).post(
        f"{BASE}/enrolments/", {"pool": scenario.pool.pk, "loan": loan.pk}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "ineligible"
    assert len(body["fields"]["eligibility"]) == 2  # non-performing, disbursed before the policy period
    assert state() == before
    check = as_user(scenario.head_user).get(f"{BASE}/pools/{scenario.pool.pk}/eligibility/", {"loan": loan.pk})
    assert check.status_code == 200
    codes = {reason["code"] for reason in check.json()["reasons"]}
    assert codes == {"loan_non_performing", "disbursed_outside_period"} and check.json()["eligible"] is False


def test_eligibility_of_a_good_loan(as_user, scenario):
    loan = scenario.make_loan()
    check = as_user(scenario.head_user).get(
        f"{BASE}/pools/{scenario.pool.pk}/eligibility/", {"loan": loan.pk, "category": "guaranteed"}
    )
    assert check.json()["eligible"] is False
    assert {r["code"] for r in check.json()["reasons"]} == {"guarantor_required"}
    ok = as_user(scenario.head_user).get(f"{BASE}/pools/{scenario.pool.pk}/eligibility/", {"loan": loan.pk})
    assert ok.json() == {"loan": loan.pk, "eligible": True, "reasons": []}
    bad = as_user(scenario.head_user).get(f"{BASE}/pools/{scenario.pool.pk}/eligibility/", {"loan": "x"})
    assert bad.status_code == 400 and "loan" in bad.json()["fields"]
    bad = as_user(scenario.head_user).get(
        f"{BASE}/pools/{scenario.pool.pk}/eligibility/", {"loan": loan.pk, "category": "magic"}
    )
    assert bad.status_code == 400 and "category" in bad.json()["fields"]


def test_a_second_enrolment_of_the_same_loan_is_a_conflict(as_user, scenario):
    loan = scenario.make_loan()
    scenario.enrol(loan)
    before = state()
    response = as_user(scenario.head_user).post(
        f"{BASE}/enrolments/", {"pool": scenario.pool.pk, "loan": loan.pk}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "already_enrolled"
    assert state() == before


def test_enrolment_stops_at_capacity(as_user):
    from finbridge.riskpool.tests.setup import build_pool_scenario

    scenario = build_pool_scenario(max_covered_amount=Decimal("1500000.00"))
    first, second = scenario.make_loan(), scenario.make_loan()
    client = as_user(scenario.head_user)
    assert (
        client.post(f"{BASE}/enrolments/", {"pool": scenario.pool.pk, "loan": first.pk}, format="json").status_code
        == 201
    )
    before = state()
    refused = client.post(f"{BASE}/enrolments/", {"pool": scenario.pool.pk, "loan": second.pk}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "pool_at_capacity"
    assert state() == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"loan": 999999}, "loan"),
        ({}, "loan"),
        ({"loan": "mine", "category": "magic"}, "category"),
        ({"loan": "mine", "flags": ["shiny"]}, "flags"),
        ({"loan": "mine", "guarantor": 999999, "category": "guaranteed"}, "guarantor"),
        ({"loan": "mine", "pool": 999999}, "pool"),
        ({"loan": "mine", "purpose": "party"}, "purpose"),
    ],
)
def test_bad_enrolment_input_changes_nothing(as_user, scenario, payload, field):
    loan = scenario.make_loan()
    payload = {"pool": scenario.pool.pk, **payload}
    if payload.get("loan") == "mine":
        payload["loan"] = loan.pk
    before = state()
    response = as_user(scenario.head_user).post(f"{BASE}/enrolments/", payload, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"]
    assert state() == before


def test_another_banks_loan_cannot_be_enrolled_nor_seen(as_user, scenario):
    theirs = scenario.make_loan(lender="other_bank")
    enrolment = scenario.enrol(theirs, actor=scenario.other_bank_user)
    client = as_user(scenario.head_user)
    before = state()
    response = client.post(f"{BASE}/enrolments/", {"pool": scenario.pool.pk, "loan": theirs.pk}, format="json")
    assert response.status_code == 400 and "loan" in response.json()["fields"]
    assert client.get(f"{BASE}/enrolments/{enrolment.pk}/").status_code == 404
    assert (
        client.post(f"{BASE}/enrolments/{enrolment.pk}/release/", {"reason": "repaid"}, format="json").status_code
        == 404
    )
    assert client.get(f"{BASE}/enrolments/").json()["results"] == []
    assert state() == before
    # Government sees it; an outsider bank does not.
    assert as_user(scenario.authority).get(f"{BASE}/enrolments/{enrolment.pk}/").status_code == 200
    assert as_user(outsider_bank_user()).get(f"{BASE}/enrolments/{enrolment.pk}/").status_code == 404


def test_viewers_may_not_enrol(as_user, scenario):
    loan = scenario.make_loan()
    viewer = scenario.market.member("head", Role.VIEWER)
    before = state()
    response = as_user(viewer).post(f"{BASE}/enrolments/", {"pool": scenario.pool.pk, "loan": loan.pk}, format="json")
    assert response.status_code == 403
    assert (
        as_user(scenario.authority)
        .post(f"{BASE}/enrolments/", {"pool": scenario.pool.pk, "loan": loan.pk}, format="json")
        .status_code
        == 403
    )
    assert state() == before


def test_bulk_enrolment_reports_each_refusal(as_user, scenario):
    good = scenario.make_loan()
    bad = scenario.make_loan(classification=LoanClassification.DOUBTFUL)
    response = as_user(scenario.head_user).post(
        f"{BASE}/enrolments/bulk/",
        {
            "pool": scenario.pool.pk,
            "items": [{"loan": good.pk}, {"reference": bad.reference}, {"reference": "NO-SUCH-LOAN"}],
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert [e["loan"] for e in data["enrolled"]] == [good.pk]
    assert [r["index"] for r in data["rejected"]] == [1, 2]
    assert "loan_non_performing" in {reason["code"] for reason in data["rejected"][0]["reasons"]}
    assert data["rejected"][1]["reference"] == "NO-SUCH-LOAN"
    assert Enrolment.objects.count() == 1


def test_bulk_input_is_checked(as_user, scenario):
    before = state()
    client = as_user(scenario.head_user)
    empty = client.post(f"{BASE}/enrolments/bulk/", {"pool": scenario.pool.pk, "items": []}, format="json")
    assert empty.status_code == 400 and "items" in empty.json()["fields"]
    assert client.post(f"{BASE}/enrolments/bulk/", {"items": [{}]}, format="json").status_code == 400
    assert state() == before


def test_release_and_list_filters(as_user, scenario):
    loan = scenario.make_loan()
    enrolment = scenario.enrol(loan)
    client = as_user(scenario.head_user)
    listed = client.get(f"{BASE}/enrolments/", {"pool": scenario.pool.pk, "status": "active"}).json()
    assert [row["id"] for row in listed["results"]] == [enrolment.pk]
    assert client.get(f"{BASE}/enrolments/", {"status": "nonsense"}).status_code == 400
    bad = client.post(f"{BASE}/enrolments/{enrolment.pk}/release/", {"reason": "bored"}, format="json")
    assert bad.status_code == 400 and "reason" in bad.json()["fields"]
    released = client.post(f"{BASE}/enrolments/{enrolment.pk}/release/", {"reason": "repaid"}, format="json")
    assert released.status_code == 200 and released.json()["status"] == EnrolmentStatus.RELEASED
    again = client.post(f"{BASE}/enrolments/{enrolment.pk}/release/", {"reason": "repaid"}, format="json")
    assert again.status_code == 409
    scenario.pool.refresh_from_db()
    assert scenario.pool.covered_balance == 0


def test_enrolable_loans_are_the_banks_own(as_user, scenario):
    mine = scenario.make_loan()
    scenario.make_loan(lender="other_bank")
    page = as_user(scenario.head_user).get(f"{BASE}/pools/{scenario.pool.pk}/enrolable-loans/").json()
    assert [row["id"] for row in page["results"]] == [mine.pk]
    assert as_user(scenario.authority).get(f"{BASE}/pools/{scenario.pool.pk}/enrolable-loans/").status_code == 403
    assert as_user(outsider_bank_user()).get(f"{BASE}/pools/{scenario.pool.pk}/enrolable-loans/").status_code == 404
