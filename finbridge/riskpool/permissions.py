"""Permission codes of the risk-sharing pool, and which memberships grant them (merged by accounts/roles.py).

Which pools, loans and claims a holder sees is decided in the selectors: a bank or guarantee agency sees only
the pools it is admitted to and only its own enrolments, claims, recoveries and statement lines.
"""

from __future__ import annotations

from finbridge.accounts.choices import OrgType, Role

VIEW_POOL = "riskpool.view_pool"  # government: every pool; admitted banks and guarantors: their pools
MANAGE_POOL = "riskpool.manage_pool"  # district authority: pools, rule versions, capital, members, thresholds
REVIEW_CLAIM = "riskpool.review_claim"  # district authority: approve, approve in part, reject, return
ENROL_LOAN = "riskpool.enrol_loan"  # banks: enrol and release their own loans
FILE_CLAIM = "riskpool.file_claim"  # banks: claims on their own covered loans
REPORT_RECOVERY = "riskpool.report_recovery"  # banks: money recovered after a payout
VIEW_LEDGER = "riskpool.view_ledger"  # district authority: all entries; banks: their own statement
RUN_STRESS_TEST = "riskpool.run_stress_test"  # district authority

_READ = frozenset({VIEW_POOL, VIEW_LEDGER})
_AUTHORITY_WORK = _READ | {MANAGE_POOL, REVIEW_CLAIM, RUN_STRESS_TEST}
_BANK_WORK = _READ | {ENROL_LOAN, FILE_CLAIM, REPORT_RECOVERY}

GRANTS: dict[str, dict[str, frozenset[str]]] = {
    OrgType.DISTRICT_AUTHORITY: {
        Role.ADMIN: _AUTHORITY_WORK,
        Role.STAFF: _AUTHORITY_WORK,
        Role.REVIEWER: _READ | {REVIEW_CLAIM, RUN_STRESS_TEST},
        Role.VIEWER: _READ,
    },
    OrgType.INDUSTRY_AUTHORITY: dict.fromkeys(Role.values, frozenset({VIEW_POOL})),
    OrgType.SUBDISTRICT_OFFICE: dict.fromkeys(Role.values, frozenset({VIEW_POOL})),
    OrgType.BANK: {Role.ADMIN: _BANK_WORK, Role.STAFF: _BANK_WORK, Role.REVIEWER: _READ, Role.VIEWER: _READ},
    OrgType.GUARANTOR: dict.fromkeys(Role.values, _READ),
    OrgType.INSURER: dict.fromkeys(Role.values, _READ),
}
