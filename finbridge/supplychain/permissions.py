"""Permission codes of supply-chain finance, and which memberships grant them (merged by accounts/roles.py).

Which side of a record a holder sees is decided in the selectors: a creditor its receivables, a debtor what
is owed by it, a funder only the requests sent to it and what it financed, a voucher holder its own parts.
"""

from __future__ import annotations

from finbridge.accounts.choices import OrgType, Role

VIEW_SUPPLY_CHAIN = "supplychain.view"  # parties to receivables, funders and the district authority
MANAGE_CHAIN = "supplychain.manage_chain"  # core enterprises: their chain database and recommendations
TRADE = "supplychain.trade"  # firms: upload, confirm or dispute, request financing, vouchers, payment
FUND = "supplychain.fund"  # banks (factoring included): answer financing requests with offers
VIEW_OVERVIEW = "supplychain.view_overview"  # district authority, core enterprises, banks: volumes and charts

_READ = frozenset({VIEW_SUPPLY_CHAIN})
_FIRM_WORK = _READ | {TRADE}
_CORE_WORK = _FIRM_WORK | {MANAGE_CHAIN, VIEW_OVERVIEW}
_FUNDER_WORK = _READ | {FUND, VIEW_OVERVIEW}

GRANTS: dict[str, dict[str, frozenset[str]]] = {
    OrgType.DISTRICT_AUTHORITY: dict.fromkeys(Role.values, _READ | {VIEW_OVERVIEW}),
    OrgType.CORE_ENTERPRISE: {
        Role.ADMIN: _CORE_WORK,
        Role.STAFF: _CORE_WORK,
        Role.REVIEWER: _READ | {VIEW_OVERVIEW},
        Role.VIEWER: _READ | {VIEW_OVERVIEW},
    },
    OrgType.MSME: {Role.ADMIN: _FIRM_WORK, Role.STAFF: _FIRM_WORK, Role.REVIEWER: _READ, Role.VIEWER: _READ},
    OrgType.BANK: {
        Role.ADMIN: _FUNDER_WORK,
        Role.STAFF: _FUNDER_WORK,
        Role.REVIEWER: _READ | {VIEW_OVERVIEW},
        Role.VIEWER: _READ | {VIEW_OVERVIEW},
    },
}
