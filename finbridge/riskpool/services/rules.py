"""Writes of sharing rules: new rule versions of a pool, from data or from a preset.

Rules:
- Only the pool's authority (riskpool.manage_pool), and not on a closed pool.
- The rule set is checked by the sharing engine (sharing.rule_set_from_dict / validate_rule_set): shares of
  each category add up to exactly 100%, uplifts, caps; stored normalised (`RuleSet.to_dict()`).
- Versions are numbered 1, 2, ... per pool; each takes effect after the latest one (dates strictly
  increasing), and once the pool is active not before today: an enrolled loan keeps the version in force
  on its enrolment day, so versions are never edited or back-dated.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.audit.services import log_event, snapshot
from finbridge.core.errors import Conflict
from finbridge.riskpool import permissions as perms
from finbridge.riskpool.choices import PoolStatus
from finbridge.riskpool.models import Pool, RuleVersion
from finbridge.riskpool.presets import preset_get
from finbridge.riskpool.services.alerts import require_pool_authority
from finbridge.riskpool.services.inputs import Errors, parse_date, parse_text
from finbridge.riskpool.services.locks import pool_lock
from finbridge.riskpool.sharing import RuleSet, rule_set_from_dict, validate_rule_set

ACTION_CREATE = "riskpool.rule_version_create"

MSG_CLOSED = _("The pool is closed.")
MSG_ORDER = _("Version %(number)s takes effect on %(date)s: a new version must take effect after that day.")
MSG_PAST = _("The pool is active: a new version cannot take effect before today (%(today)s).")


def _rule_set(rules: Any) -> RuleSet:
    if isinstance(rules, RuleSet):
        validate_rule_set(rules)
        return rules
    return rule_set_from_dict(rules)


def rule_version_create(
    *,
    actor: Any,
    pool: Pool,
    effective_from: Any,
    rules: Any,
    label: str = "",
    notes: str = "",
    preset: str = "",
) -> RuleVersion:
    """Add a rule version to a pool (see the module rules); `rules` is a sharing.RuleSet or its dict form.

    Raises PermissionDenied, ValidationFailed (code "rule_invalid" with messages per field, or bad dates),
    Conflict ("pool_closed", "rule_version_order", "rule_version_past"); nothing written on error."""
    require_pool_authority(actor, pool, perms.MANAGE_POOL)
    errors = Errors()
    day = parse_date(errors, "effective_from", effective_from)
    clean_label = parse_text(errors, "label", label, limit=200)
    clean_notes = parse_text(errors, "notes", notes, limit=5000)
    errors.raise_if_any()
    rule_set = _rule_set(rules)
    with transaction.atomic():
        locked = pool_lock(pool)
        if locked.status == PoolStatus.CLOSED:
            raise Conflict(MSG_CLOSED, code="pool_closed")
        latest = locked.rule_versions.order_by("-effective_from").first()
        if latest is not None and day <= latest.effective_from:
            raise Conflict(
                MSG_ORDER,
                code="rule_version_order",
                params={"number": latest.number, "date": latest.effective_from.isoformat()},
            )
        today = timezone.localdate()
        if locked.status == PoolStatus.ACTIVE and day < today:
            raise Conflict(MSG_PAST, code="rule_version_past", params={"today": today.isoformat()})
        number = (locked.rule_versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = RuleVersion.objects.create(
            pool=locked,
            number=number,
            effective_from=day,
            label=clean_label,
            notes=clean_notes,
            preset=preset,
            rules=rule_set.to_dict(),
            created_by=actor,
        )
        log_event(actor=actor, action=ACTION_CREATE, obj=version, after=snapshot(version))
    return version


def rule_version_from_preset(
    *, actor: Any, pool: Pool, preset: str, effective_from: Any, label: str = "", notes: str = ""
) -> RuleVersion:
    """Add a rule version copied from a preset (presets.PRESETS); as rule_version_create, plus NotFound for
    an unknown preset."""
    found = preset_get(preset)
    return rule_version_create(
        actor=actor,
        pool=pool,
        effective_from=effective_from,
        rules=found.rules,
        label=label or str(found.label),
        notes=notes,
        preset=found.code,
    )
