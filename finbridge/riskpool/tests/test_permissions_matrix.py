"""Permission matrix of the risk-sharing pool: every organisation type × role against every kind of page and
endpoint, including records of other organisations (a claim and an enrolment of 示范银行, the member bank).

The expectations are written out by hand per kind of actor, so a change in permissions.py, a selector's row
visibility or a view's check shows up here as a failing row. 404 means "not visible" (as if missing), 403
"visible but not allowed".
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from finbridge.accounts.choices import OrgType, Role
from finbridge.accounts.tests.factories import MembershipFactory, member_of
from finbridge.riskpool.tests.api.support import submitted_claim
from finbridge.riskpool.tests.setup import build_pool_scenario

pytestmark = pytest.mark.django_db

ROLES = list(Role)
# The organisation of the scenario each type acts from (others get a new organisation of that type).
SCENARIO_ORG = {
    OrgType.DISTRICT_AUTHORITY: "district",
    OrgType.INDUSTRY_AUTHORITY: "ia_c",
    OrgType.SUBDISTRICT_OFFICE: "so_s1",
    OrgType.BANK: "head",
    OrgType.GUARANTOR: "guarantor",
    OrgType.INSURER: "insurer",
    OrgType.MSME: "msme",
}


def kind_of(org_type: str, role: str) -> str:
    if org_type == OrgType.DISTRICT_AUTHORITY:
        return {Role.ADMIN: "da_manage", Role.STAFF: "da_manage", Role.REVIEWER: "da_review"}.get(role, "da_view")
    if org_type in (OrgType.INDUSTRY_AUTHORITY, OrgType.SUBDISTRICT_OFFICE):
        return "gov_other"
    if org_type == OrgType.BANK:
        return "bank_work" if role in (Role.ADMIN, Role.STAFF) else "bank_read"
    if org_type in (OrgType.GUARANTOR, OrgType.INSURER):
        return "partner"
    return "none"


CHECKS = (
    # pages
    "p_pools",
    "p_pool",
    "p_create",
    "p_members",
    "p_rules",
    "p_rule_new",
    "p_enrolments",
    "p_enrol",
    "p_enrolment",
    "p_claims",
    "p_claim",
    "p_statement",
    "p_risk",
    "p_stress",
    # API
    "a_pools",
    "a_pool",
    "a_create",
    "a_enrol",
    "a_enrolment",
    "a_claim",
    "a_approve",
    "a_statement",
    "a_risk",
    "a_stress",
)

# kind: statuses in CHECKS order.
EXPECTED: dict[str, tuple[int, ...]] = {
    #              pages: pools pool create memb rules new  enrls enrol enrl claims claim stmt risk stress
    #              api:   pools pool create enrol enrl claim approve stmt risk stress
    "da_manage": (200, 200, 200, 200, 200, 200, 200, 403, 200, 200, 200, 200, 200, 200,
                  200, 200, 201, 403, 200, 200, 200, 200, 200, 200),
    "da_review": (200, 200, 403, 200, 200, 403, 200, 403, 200, 200, 200, 200, 200, 200,
                  200, 200, 403, 403, 200, 200, 200, 200, 200, 200),
    "da_view":   (200, 200, 403, 200, 200, 403, 200, 403, 200, 200, 200, 200, 200, 200,
                  200, 200, 403, 403, 200, 200, 403, 200, 200, 200),
    "gov_other": (200, 200, 403, 200, 200, 403, 200, 403, 200, 200, 404, 403, 200, 200,
                  200, 200, 403, 403, 200, 404, 404, 403, 200, 200),
    "bank_work": (200, 200, 403, 200, 200, 403, 200, 200, 200, 200, 200, 200, 200, 404,
                  200, 200, 403, 201, 200, 200, 403, 200, 200, 200),
    "bank_read": (200, 200, 403, 200, 200, 403, 200, 403, 200, 200, 200, 200, 200, 404,
                  200, 200, 403, 403, 200, 200, 403, 200, 200, 200),
    "partner":   (200, 200, 403, 200, 200, 403, 200, 403, 404, 200, 404, 200, 200, 404,
                  200, 200, 403, 403, 404, 404, 404, 200, 200, 200),
    "none":      (403, 404, 403, 404, 404, 404, 404, 404, 404, 403, 404, 404, 404, 404,
                  403, 404, 403, 403, 404, 404, 404, 404, 404, 404),
}  # fmt: skip
ACTOR_CASES = [(t.value, r.value) for t in OrgType for r in ROLES]


def _actor(scenario: Any, org_type: str, role: str) -> Any:
    name = SCENARIO_ORG.get(org_type)
    if name:
        return MembershipFactory(organization=scenario.market.org(name), role=role).user
    return member_of(org_type, role)


def _requests(scenario: Any, claim: Any, loan: Any) -> dict[str, tuple[str, str, dict[str, Any] | None]]:
    pool = scenario.pool.pk
    api = "/api/v1/riskpool"
    enrolment = claim.enrolment_id
    return {
        "p_pools": ("get", reverse("riskpool:pools-list"), None),
        "p_pool": ("get", reverse("riskpool:pool-detail", args=[pool]), None),
        "p_create": ("get", reverse("riskpool:pool-create"), None),
        "p_members": ("get", reverse("riskpool:members", args=[pool]), None),
        "p_rules": ("get", reverse("riskpool:rules", args=[pool]), None),
        "p_rule_new": ("get", reverse("riskpool:rule-version-create", args=[pool]), None),
        "p_enrolments": ("get", reverse("riskpool:enrolments", args=[pool]), None),
        "p_enrol": ("get", reverse("riskpool:enrol", args=[pool]), None),
        "p_enrolment": ("get", reverse("riskpool:enrolment-detail", args=[enrolment]), None),
        "p_claims": ("get", reverse("riskpool:claims-all"), None),
        "p_claim": ("get", reverse("riskpool:claim-detail", args=[claim.pk]), None),
        "p_statement": ("get", reverse("riskpool:statement", args=[pool]), None),
        "p_risk": ("get", reverse("riskpool:risk", args=[pool]), None),
        "p_stress": ("get", reverse("riskpool:stress", args=[pool]), None),
        "a_pools": ("get", f"{api}/pools/", None),
        "a_pool": ("get", f"{api}/pools/{pool}/", None),
        "a_create": (
            "post",
            f"{api}/pools/",
            {"name": "矩阵池", "period_start": "2026-01-01", "period_end": "2026-12-31", "leverage_multiple": "5"},
        ),
        "a_enrol": ("post", f"{api}/enrolments/", {"pool": pool, "loan": loan.pk}),
        "a_enrolment": ("get", f"{api}/enrolments/{enrolment}/", None),
        "a_claim": ("get", f"{api}/claims/{claim.pk}/", None),
        "a_approve": ("post", f"{api}/claims/{claim.pk}/approve/", {}),
        "a_statement": ("get", f"{api}/pools/{pool}/statement/", None),
        "a_risk": ("get", f"{api}/pools/{pool}/risk/", None),
        "a_stress": ("get", f"{api}/pools/{pool}/stress-runs/", None),
    }


@pytest.mark.parametrize(("org_type", "role"), ACTOR_CASES)
def test_permission_matrix(client, api_client, org_type, role):
    scenario = build_pool_scenario()
    claim = submitted_claim(scenario)
    loan = scenario.make_loan()
    actor = _actor(scenario, org_type, role)
    client.force_login(actor)
    api_client.force_authenticate(actor)
    requests = _requests(scenario, claim, loan)
    got = []
    for check in CHECKS:
        method, url, data = requests[check]
        if check.startswith("p_"):
            response = getattr(client, method)(url, data or {})
        else:
            response = (
                getattr(api_client, method)(url, data, format="json")
                if data is not None
                else getattr(api_client, method)(url)
            )
        got.append(response.status_code)
    expected = EXPECTED[kind_of(org_type, role)]
    mismatches = {check: (want, have) for check, want, have in zip(CHECKS, expected, got, strict=True) if want != have}
    assert not mismatches, f"{org_type}/{role}: (expected, got) {mismatches}"
