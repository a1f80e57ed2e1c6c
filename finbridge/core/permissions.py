"""The one permission check of the platform: has_perm(actor, code, obj=None).

Which codes a person holds follows from the organisation types and roles of their memberships
(accounts/roles.py). Object rules, registered per model by the app that owns it, decide whether
the code applies to one record (for example: an industry authority may change only enterprises of its
sector). Row visibility for lists is enforced in selectors, not here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ObjectRule = Callable[[Any, str, Any], bool]
_object_rules: dict[type, ObjectRule] = {}


def register_object_rule(model: type, rule: ObjectRule) -> None:
    """Register `rule(actor, code, obj) -> bool` for records of `model` (and its subclasses)."""
    _object_rules[model] = rule


def _rule_for(obj: Any) -> ObjectRule | None:
    for klass in type(obj).__mro__:
        if klass in _object_rules:
            return _object_rules[klass]
    return None


def has_perm(actor: Any, code: str, obj: Any = None) -> bool:
    """True when `actor` holds permission `code`, and, given `obj`, the object rule allows it."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    if code not in actor.permission_codes():
        return False
    if obj is None:
        return True
    rule = _rule_for(obj)
    return True if rule is None else bool(rule(actor, code, obj))


def require_perm(actor: Any, code: str, obj: Any = None) -> None:
    """Raise PermissionDenied unless has_perm(actor, code, obj)."""
    from finbridge.core.errors import PermissionDenied

    if not has_perm(actor, code, obj):
        raise PermissionDenied()
