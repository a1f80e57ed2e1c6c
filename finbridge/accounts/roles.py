"""Which permission codes a membership grants, by organisation type and role.

This table is the whole authorisation policy of the platform: has_perm() (core/permissions.py) reads
it through User.permission_codes(). Row visibility (which records) lives in the selectors.
"""

from __future__ import annotations

from finbridge.accounts import permissions as accounts_perms
from finbridge.accounts.choices import CONSENT_TYPES, OrgType, Role
from finbridge.audit import permissions as audit_perms
from finbridge.enterprises import permissions as enterprise_perms
from finbridge.financing import permissions as financing_perms
from finbridge.riskpool import permissions as riskpool_perms
from finbridge.supplychain import permissions as supplychain_perms

_VIEW_REGISTRY = frozenset(
    {enterprise_perms.VIEW_ENTERPRISE, enterprise_perms.VIEW_HISTORY, accounts_perms.VIEW_ORGANIZATION}
)
_MAINTAIN_REGISTRY = _VIEW_REGISTRY | {
    enterprise_perms.ADD_ENTERPRISE,
    enterprise_perms.CHANGE_ENTERPRISE,
    enterprise_perms.VERIFY_ENTERPRISE,
    enterprise_perms.IMPORT_ENTERPRISES,
}
# Financing: everyone signed in sees published products; government staff see demands and loans in their
# remit and the league tables, and record demands on a firm's behalf.
_FINANCING_READ = frozenset(
    {
        financing_perms.VIEW_PRODUCT,
        financing_perms.VIEW_DEMAND,
        financing_perms.VIEW_LOAN,
        financing_perms.VIEW_LEAGUE_TABLE,
    }
)
_FINANCING_GOVERNMENT_WRITE = frozenset({financing_perms.RECORD_DEMAND_ON_BEHALF})
_GOVERNMENT = {
    Role.ADMIN: _MAINTAIN_REGISTRY | _FINANCING_READ | _FINANCING_GOVERNMENT_WRITE | {accounts_perms.MANAGE_MEMBERS},
    Role.STAFF: _MAINTAIN_REGISTRY | _FINANCING_READ | _FINANCING_GOVERNMENT_WRITE,
    Role.REVIEWER: _VIEW_REGISTRY | _FINANCING_READ | {enterprise_perms.VERIFY_ENTERPRISE},
    Role.VIEWER: _VIEW_REGISTRY | _FINANCING_READ,
}
_AUDIT = frozenset({audit_perms.VIEW_AUDIT, financing_perms.VIEW_OVERSIGHT})
_DISTRICT_AUTHORITY = {role: codes | _AUDIT for role, codes in _GOVERNMENT.items()}
_DISTRICT_AUTHORITY[Role.ADMIN] = _DISTRICT_AUTHORITY[Role.ADMIN] | {
    accounts_perms.MANAGE_ORGANIZATIONS,
    financing_perms.MANAGE_LPR,
}

_INSTITUTION_VIEW = frozenset(
    {
        enterprise_perms.VIEW_ENTERPRISE,
        accounts_perms.VIEW_ORGANIZATION,
        financing_perms.VIEW_PRODUCT,
        financing_perms.VIEW_DEMAND,
    }
)
_INSTITUTION = {
    Role.ADMIN: _INSTITUTION_VIEW | {accounts_perms.MANAGE_MEMBERS},
    Role.STAFF: _INSTITUTION_VIEW,
    Role.REVIEWER: _INSTITUTION_VIEW,
    Role.VIEWER: _INSTITUTION_VIEW,
}
# Lenders and guarantors publish products, answer and review demands; banks keep the loans ledger.
_LENDER_WORK = frozenset(
    {financing_perms.MANAGE_PRODUCT, financing_perms.RESPOND_DEMAND, financing_perms.REVIEW_DEMAND}
)
_LENDER_READ = frozenset({financing_perms.VIEW_LOAN, financing_perms.VIEW_LEAGUE_TABLE})
_GUARANTOR = {
    Role.ADMIN: _INSTITUTION[Role.ADMIN] | _LENDER_WORK,
    Role.STAFF: _INSTITUTION[Role.STAFF] | _LENDER_WORK,
    Role.REVIEWER: _INSTITUTION[Role.REVIEWER] | {financing_perms.REVIEW_DEMAND},
    Role.VIEWER: _INSTITUTION[Role.VIEWER],
}
_BANK = {
    Role.ADMIN: _GUARANTOR[Role.ADMIN] | _LENDER_READ | {financing_perms.RECORD_LOAN},
    Role.STAFF: _GUARANTOR[Role.STAFF] | _LENDER_READ | {financing_perms.RECORD_LOAN},
    Role.REVIEWER: _GUARANTOR[Role.REVIEWER] | _LENDER_READ,
    Role.VIEWER: _GUARANTOR[Role.VIEWER] | _LENDER_READ,
}

_MSME_VIEW = _VIEW_REGISTRY | {financing_perms.VIEW_PRODUCT, financing_perms.VIEW_DEMAND, financing_perms.VIEW_LOAN}
_MSME_EDIT = _MSME_VIEW | {
    enterprise_perms.CHANGE_ENTERPRISE,
    enterprise_perms.MANAGE_CONSENT,
    financing_perms.POST_DEMAND,
}
_MSME = {
    Role.ADMIN: _MSME_EDIT | {accounts_perms.MANAGE_MEMBERS},
    Role.STAFF: _MSME_EDIT,
    Role.REVIEWER: _MSME_VIEW,
    Role.VIEWER: _MSME_VIEW,
}

_CORE_TABLE: dict[str, dict[str, frozenset[str]]] = {
    OrgType.DISTRICT_AUTHORITY: _DISTRICT_AUTHORITY,
    OrgType.INDUSTRY_AUTHORITY: _GOVERNMENT,
    OrgType.SUBDISTRICT_OFFICE: _GOVERNMENT,
    OrgType.MSME: _MSME,
    **dict.fromkeys(CONSENT_TYPES, _INSTITUTION),
    OrgType.BANK: _BANK,
    OrgType.GUARANTOR: _GUARANTOR,
}


# Apps that declare their own grants (a `GRANTS` table of the same shape), merged into the core table.
_APP_GRANTS = (riskpool_perms.GRANTS, supplychain_perms.GRANTS)


def _merged(*tables: dict[str, dict[str, frozenset[str]]]) -> dict[str, dict[str, frozenset[str]]]:
    merged: dict[str, dict[str, frozenset[str]]] = {}
    for table in tables:
        for org_type, roles in table.items():
            for role, codes in roles.items():
                merged.setdefault(org_type, {})[role] = merged.get(org_type, {}).get(role, frozenset()) | codes
    return merged


ROLE_PERMISSIONS: dict[str, dict[str, frozenset[str]]] = _merged(_CORE_TABLE, *_APP_GRANTS)


def codes_for(org_type: str, role: str) -> frozenset[str]:
    """The permission codes a membership of `role` in an organisation of `org_type` grants."""
    return frozenset(ROLE_PERMISSIONS.get(org_type, {}).get(role, frozenset()))
