"""Which permission codes a membership grants, by organisation type and role.

This table is the whole authorisation policy of the platform: has_perm() (core/permissions.py) reads
it through User.permission_codes(). Row visibility (which records) lives in the selectors.
"""

from __future__ import annotations

from finbridge.accounts import permissions as accounts_perms
from finbridge.accounts.choices import CONSENT_TYPES, OrgType, Role
from finbridge.audit import permissions as audit_perms
from finbridge.enterprises import permissions as enterprise_perms

_VIEW_REGISTRY = frozenset(
    {enterprise_perms.VIEW_ENTERPRISE, enterprise_perms.VIEW_HISTORY, accounts_perms.VIEW_ORGANIZATION}
)
_MAINTAIN_REGISTRY = _VIEW_REGISTRY | {
    enterprise_perms.ADD_ENTERPRISE,
    enterprise_perms.CHANGE_ENTERPRISE,
    enterprise_perms.VERIFY_ENTERPRISE,
    enterprise_perms.IMPORT_ENTERPRISES,
}
_GOVERNMENT = {
    Role.ADMIN: _MAINTAIN_REGISTRY | {accounts_perms.MANAGE_MEMBERS},
    Role.STAFF: _MAINTAIN_REGISTRY,
    Role.REVIEWER: _VIEW_REGISTRY | {enterprise_perms.VERIFY_ENTERPRISE},
    Role.VIEWER: _VIEW_REGISTRY,
}
_AUDIT = frozenset({audit_perms.VIEW_AUDIT})
_DISTRICT_AUTHORITY = {role: codes | _AUDIT for role, codes in _GOVERNMENT.items()}
_DISTRICT_AUTHORITY[Role.ADMIN] = _DISTRICT_AUTHORITY[Role.ADMIN] | {accounts_perms.MANAGE_ORGANIZATIONS}

_INSTITUTION_VIEW = frozenset({enterprise_perms.VIEW_ENTERPRISE, accounts_perms.VIEW_ORGANIZATION})
_INSTITUTION = {
    Role.ADMIN: _INSTITUTION_VIEW | {accounts_perms.MANAGE_MEMBERS},
    Role.STAFF: _INSTITUTION_VIEW,
    Role.REVIEWER: _INSTITUTION_VIEW,
    Role.VIEWER: _INSTITUTION_VIEW,
}

_MSME_VIEW = _VIEW_REGISTRY
_MSME_EDIT = _MSME_VIEW | {enterprise_perms.CHANGE_ENTERPRISE, enterprise_perms.MANAGE_CONSENT}
_MSME = {
    Role.ADMIN: _MSME_EDIT | {accounts_perms.MANAGE_MEMBERS},
    Role.STAFF: _MSME_EDIT,
    Role.REVIEWER: _MSME_VIEW,
    Role.VIEWER: _MSME_VIEW,
}

ROLE_PERMISSIONS: dict[str, dict[str, frozenset[str]]] = {
    OrgType.DISTRICT_AUTHORITY: _DISTRICT_AUTHORITY,
    OrgType.INDUSTRY_AUTHORITY: _GOVERNMENT,
    OrgType.SUBDISTRICT_OFFICE: _GOVERNMENT,
    OrgType.MSME: _MSME,
    **dict.fromkeys(CONSENT_TYPES, _INSTITUTION),
}


def codes_for(org_type: str, role: str) -> frozenset[str]:
    """The permission codes a membership of `role` in an organisation of `org_type` grants."""
    return frozenset(ROLE_PERMISSIONS.get(org_type, {}).get(role, frozenset()))
