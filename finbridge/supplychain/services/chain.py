"""Writes of the chain databases: a core enterprise lists, edits and ends its suppliers and distributors,
recommends a partner to funders it chooses, and shares transaction summaries about a partner with funders
when the partner has consented; funders mark recommendations viewed and act on them or decline them.

Who: the members of a core enterprise whose role grants supplychain.manage_chain (MANAGE_CHAIN) write its
chain; a funder's members answer recommendations (supplychain.fund; viewing needs supplychain.view only).
A record the actor may not see raises NotFound; one it may see but not change, PermissionDenied. Every write
runs in one transaction, re-reads its row with select_for_update(), checks the status table below, records
the change in the audit trail, and notifies on commit. Bad input raises ValidationFailed with every field's
messages and changes nothing. The spreadsheet import (services/chain_import.py) writes through the same
steps (clean_chain_partner_data, chain_partner_save).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from finbridge.accounts.models import Organization
from finbridge.audit.services import log_event, snapshot
from finbridge.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from finbridge.core.money import RATE_PLACES, to_decimal
from finbridge.enterprises.models import Enterprise
from finbridge.enterprises.selectors import parse_id

# The registry's field cleaners, reused so that amounts, dates and texts are read alike everywhere (private
# there: the lead is asked to make them public rather than have them copied).
from finbridge.enterprises.validation import (
    MSG_REQUIRED,
    MSG_UNKNOWN_FIELD,
    FieldError,
    InvalidUSCC,
    _amount,
    _date,
    _is_blank,
    _limited_text,
    _whole_number,
    normalize_uscc,
)
from finbridge.financing.transitions import MSG_TRANSITION
from finbridge.notifications.services import notify_organizations
from finbridge.supplychain import notices_chain
from finbridge.supplychain import permissions as perms
from finbridge.supplychain.models.chain import (
    MAX_PAYMENT_DAYS,
    ChainDirection,
    ChainPartner,
    ChainPartnerStatus,
    FinancingRecommendation,
    RecommendationRecipient,
    RecommendationStatus,
    SummaryShare,
    TransactionSummary,
)
from finbridge.supplychain.selectors.chain import (
    FUNDER_TYPES,
    acting_funders,
    chain_partner_visible_queryset,
    consent_refusal,
    managing_cores,
    recommendation_recipient_list,
    summary_share_list,
    summary_visible_queryset,
)

# ---- status tables ---------------------------------------------------------------------------------------

CHAIN_PARTNER_TRANSITIONS: dict[str, frozenset[str]] = {
    ChainPartnerStatus.ACTIVE: frozenset({ChainPartnerStatus.ENDED}),
    ChainPartnerStatus.ENDED: frozenset({ChainPartnerStatus.ACTIVE}),  # listed again (add or import)
}
RECOMMENDATION_TRANSITIONS: dict[str, frozenset[str]] = {
    RecommendationStatus.SENT: frozenset(
        {
            RecommendationStatus.VIEWED,
            RecommendationStatus.ACTED_ON,
            RecommendationStatus.DECLINED,
            RecommendationStatus.WITHDRAWN,
        }
    ),
    RecommendationStatus.VIEWED: frozenset(
        {RecommendationStatus.ACTED_ON, RecommendationStatus.DECLINED, RecommendationStatus.WITHDRAWN}
    ),
    RecommendationStatus.ACTED_ON: frozenset(),
    RecommendationStatus.DECLINED: frozenset(),
    RecommendationStatus.WITHDRAWN: frozenset(),
}


def can_transition(table: Mapping[str, frozenset[str]], current: str, target: str) -> bool:
    """Read-only guard for templates and selectors."""
    return target in table.get(current, frozenset())


def assert_chain_partner_transition(current: str, target: str) -> None:
    """Raise Conflict unless a chain listing may go from `current` to `target`."""
    if not can_transition(CHAIN_PARTNER_TRANSITIONS, current, target):
        label = ChainPartnerStatus(current).label
        raise Conflict(MSG_TRANSITION, code="invalid_transition", params={"what": _("listing"), "status": label})


def assert_recommendation_transition(current: str, target: str) -> None:
    """Raise Conflict unless a recommendation (to one funder) may go from `current` to `target`."""
    if not can_transition(RECOMMENDATION_TRANSITIONS, current, target):
        label = RecommendationStatus(current).label
        params = {"what": _("recommendation"), "status": label}
        raise Conflict(MSG_TRANSITION, code="invalid_transition", params=params)


# ---- notifications -----------------------------------------------------------------------------------------


def _english(label: Any) -> str:
    """A choice label as its English msgid, stored in a notification and translated for each reader."""
    with translation.override("en"):
        return str(label)


def _link(name: str, pk: int) -> str:
    """A page link for a notification; empty while the page is not wired."""
    try:
        return reverse(f"supplychain:{name}", args=[pk])
    except NoReverseMatch:
        return ""


# ---- validation --------------------------------------------------------------------------------------------

PARTNER_FIELDS: tuple[str, ...] = (
    "partner_uscc",
    "direction",
    "since",
    "annual_volume",
    "payment_terms_days",
    "payment_terms",
)
REQUIRED_PARTNER_FIELDS: tuple[str, ...] = ("partner_uscc", "direction", "since", "annual_volume")
EDITABLE_PARTNER_FIELDS: tuple[str, ...] = ("since", "annual_volume", "payment_terms_days", "payment_terms")
SUMMARY_FIELDS: tuple[str, ...] = ("period_start", "period_end", "volume", "transaction_count", "on_time_share", "note")
NOTE_LIMIT = 2000
MAX_TRANSACTIONS = 100_000_000

MSG_DIRECTION = _("Enter upstream (a supplier) or downstream (a distributor); 上游 and 下游 are accepted too.")
MSG_NOT_CHANGEABLE = _("The partner and the direction cannot be changed: end this listing and add a new one.")
MSG_UNKNOWN_ENTERPRISE = _("No enterprise with the credit code %(uscc)s is in the registry.")
MSG_OWN_ENTERPRISE = _("A core enterprise cannot list itself as its own partner.")
MSG_BEFORE_ESTABLISHED = _("%(name)s was established on %(date)s: the relationship cannot begin before that.")
MSG_ALREADY_LISTED = _("%(name)s is already listed as %(direction)s of this core enterprise.")
MSG_NOT_ACTIVE = _("%(name)s is no longer an active partner: list it again first.")
MSG_END_BEFORE_SINCE = _("A listing cannot end before the relationship began (%(date)s).")
MSG_CHOOSE_FUNDERS = _("Choose at least one funder.")
MSG_NOT_A_FUNDER = _("%(value)s is not a bank on the platform.")
MSG_NOTE_REQUIRED = _("Write a note for the funders.")
MSG_SHARE = _("Enter the share as a fraction from 0 to 1, such as 0.95 for 95%, or as a percentage such as 95%.")
MSG_SHARE_PLACES = _("Give the share with at most six decimal places.")
MSG_PERIOD_ORDER = _("The period cannot end before it begins.")
MSG_CONSENT_REQUIRED = _("A transaction summary can be shared only with funders the partner has given its consent.")
MSG_NOT_YOUR_CORE = _("You cannot manage the chain of this organisation.")

DIRECTION_WORDS: dict[str, str] = {
    "upstream": ChainDirection.UPSTREAM,
    "upstreamsupplier": ChainDirection.UPSTREAM,
    "supplier": ChainDirection.UPSTREAM,
    "上游": ChainDirection.UPSTREAM,
    "上游供应商": ChainDirection.UPSTREAM,
    "供应商": ChainDirection.UPSTREAM,
    "downstream": ChainDirection.DOWNSTREAM,
    "downstreamdistributor": ChainDirection.DOWNSTREAM,
    "distributor": ChainDirection.DOWNSTREAM,
    "下游": ChainDirection.DOWNSTREAM,
    "下游经销商": ChainDirection.DOWNSTREAM,
    "经销商": ChainDirection.DOWNSTREAM,
}


def parse_direction(value: Any) -> str:
    """upstream or downstream from the code, the English label or the Chinese words (上游, 下游, 供应商, 经销商)."""
    if not isinstance(value, str):
        raise FieldError(MSG_DIRECTION)
    key = "".join(value.split()).casefold()
    if key not in DIRECTION_WORDS:
        raise FieldError(MSG_DIRECTION)
    return DIRECTION_WORDS[key]


def _uscc(value: Any) -> str:
    try:
        return normalize_uscc(value)
    except InvalidUSCC as error:
        raise FieldError(error.message) from None


def _optional_days(value: Any) -> int | None:
    return None if _is_blank(value) else _whole_number(value, maximum=MAX_PAYMENT_DAYS)


def _required_amount(value: Any) -> Decimal:
    amount = _amount(value)
    if amount is None:
        raise FieldError(MSG_REQUIRED)
    return amount


def _required_date(value: Any) -> datetime.date:
    day = _date(value)
    if day is None:
        raise FieldError(MSG_REQUIRED)
    return day


def parse_share(value: Any) -> Decimal:
    """A fraction from 0 to 1 with at most six places, from 0.95, "0.95" or "95%"."""
    if isinstance(value, bool) or _is_blank(value):
        raise FieldError(MSG_SHARE)
    text = str(value).strip()
    percent = text.endswith(("%", "％"))
    try:
        share = to_decimal(text.rstrip("%％").strip())
    except ValueError:
        raise FieldError(MSG_SHARE) from None
    if percent:
        share = share / 100
    if not 0 <= share <= 1:
        raise FieldError(MSG_SHARE)
    if share != share.quantize(RATE_PLACES):
        raise FieldError(MSG_SHARE_PLACES)
    return share.quantize(RATE_PLACES)


PARTNER_CLEANERS = {
    "partner_uscc": _uscc,
    "direction": parse_direction,
    "since": _required_date,
    "annual_volume": _required_amount,
    "payment_terms_days": _optional_days,
    "payment_terms": _limited_text(200),
}
SUMMARY_CLEANERS = {
    "period_start": _required_date,
    "period_end": _required_date,
    "volume": _required_amount,
    "transaction_count": lambda value: _whole_number(value, maximum=MAX_TRANSACTIONS),
    "on_time_share": parse_share,
    "note": _limited_text(NOTE_LIMIT),
}


def _clean(
    data: Mapping[str, Any], cleaners: Mapping[str, Any], required: Iterable[str], *, partial: bool
) -> dict[str, Any]:
    """Run each given field through its cleaner; one ValidationFailed listing every bad field."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name in data:
        if name not in cleaners:
            errors[str(name)] = [str(MSG_UNKNOWN_FIELD)]
    for name in required:
        if (name in data and _is_blank(data[name])) or (name not in data and not partial):
            errors[name] = [str(MSG_REQUIRED)]
    for name, cleaner in cleaners.items():
        if name in data and name not in errors:
            try:
                values[name] = cleaner(data[name])
            except FieldError as error:
                errors[name] = [error.message]
    if errors:
        raise _invalid(errors)
    return values


def _invalid(errors: Mapping[str, list[str]], code: str | None = None) -> ValidationFailed:
    messages = [message for field_messages in errors.values() for message in field_messages]
    return ValidationFailed(messages[0] if len(messages) == 1 else None, code=code, fields=errors)


def clean_chain_partner_data(data: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Check a listing's fields: partner_uscc, direction, since, annual_volume (required unless `partial`),
    payment_terms_days, payment_terms. Returns model-ready values (partner_uscc normalised); raises one
    ValidationFailed listing every bad field. Any caller; reads nothing."""
    return _clean(data, PARTNER_CLEANERS, REQUIRED_PARTNER_FIELDS, partial=partial)


def clean_summary_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """Check a transaction summary: period_start, period_end (not in the future, in order), volume (CNY),
    transaction_count, on_time_share (0 to 1, or a percentage), note. Raises one ValidationFailed."""
    values = _clean(data, SUMMARY_CLEANERS, [name for name in SUMMARY_FIELDS if name != "note"], partial=False)
    if values["period_end"] < values["period_start"]:
        raise _invalid({"period_end": [str(MSG_PERIOD_ORDER)]})
    return values


def partner_enterprise(uscc: str, core: Organization) -> Enterprise:
    """The registry enterprise with this (normalised) credit code, which must not be the core itself.
    Raises ValidationFailed on partner_uscc."""
    enterprise = Enterprise.objects.filter(uscc=uscc).first()
    if enterprise is None:
        raise _invalid({"partner_uscc": [str(MSG_UNKNOWN_ENTERPRISE) % {"uscc": uscc}]}, code="unknown_enterprise")
    if enterprise.organization_id is not None and enterprise.organization_id == core.pk:
        raise _invalid({"partner_uscc": [str(MSG_OWN_ENTERPRISE)]}, code="own_enterprise")
    return enterprise


def _check_since(enterprise: Enterprise, since: datetime.date | None) -> None:
    if since is not None and enterprise.established_on is not None and since < enterprise.established_on:
        params = {"name": enterprise.name, "date": enterprise.established_on.isoformat()}
        raise _invalid({"since": [str(MSG_BEFORE_ESTABLISHED) % params]})


def _note(value: Any, *, field: str = "note", required: bool = True) -> str:
    try:
        text = _limited_text(NOTE_LIMIT)(value)
    except FieldError as error:
        raise _invalid({field: [error.message]}) from None
    if required and not text:
        raise _invalid({field: [str(MSG_NOTE_REQUIRED)]})
    return text


def clean_funders(value: Any) -> list[Organization]:
    """Active banks from Organization objects or ids (a list, or comma-separated text), without repeats, at
    least one. Raises ValidationFailed on "funders"."""
    items: Iterable[Any]
    if value is None or value == "":
        items = []
    elif isinstance(value, str):
        items = [part for part in value.split(",") if part.strip()]
    elif isinstance(value, Organization) or not hasattr(value, "__iter__") or isinstance(value, dict):
        items = [value]
    else:
        items = value
    ids: list[int] = []
    for item in items:
        pk = item.pk if isinstance(item, Organization) else parse_id(item)
        if pk is None:
            raise _invalid({"funders": [str(MSG_NOT_A_FUNDER) % {"value": str(item)[:50]}]})
        if pk not in ids:
            ids.append(pk)
    if not ids:
        raise _invalid({"funders": [str(MSG_CHOOSE_FUNDERS)]})
    found = {
        org.pk: org
        for org in Organization.objects.filter(pk__in=ids, org_type__in=FUNDER_TYPES, is_active=True).select_related(
            "parent"
        )
    }
    missing = [str(MSG_NOT_A_FUNDER) % {"value": pk} for pk in ids if pk not in found]
    if missing:
        raise _invalid({"funders": missing})
    return [found[pk] for pk in ids]


# ---- who may write -----------------------------------------------------------------------------------------


def require_core(actor: Any, core: Any) -> Organization:
    """The core enterprise `core` if the actor manages its chain; PermissionDenied otherwise."""
    for org in managing_cores(actor=actor):
        if isinstance(core, Organization) and org.pk == core.pk:
            return org
    raise PermissionDenied(MSG_NOT_YOUR_CORE, code="not_your_core")


def _require_manager(actor: Any, partner: ChainPartner) -> None:
    """NotFound unless the actor sees the listing; PermissionDenied unless it manages that core's chain."""
    if partner.pk is None or not chain_partner_visible_queryset(actor=actor).filter(pk=partner.pk).exists():
        raise NotFound()
    _require_manager_of(actor, partner)


def _require_manager_of(actor: Any, partner: ChainPartner) -> None:
    """PermissionDenied unless the actor manages the chain of the listing's core (visibility checked before)."""
    if partner.core_id not in {org.pk for org in managing_cores(actor=actor)}:
        raise PermissionDenied(MSG_NOT_YOUR_CORE, code="not_your_core")


def _lock_partner(partner: ChainPartner) -> ChainPartner:
    locked = (
        ChainPartner.objects.select_for_update(of=("self",))
        .select_related("enterprise", "core")
        .filter(pk=partner.pk)
        .first()
    )
    if locked is None:
        raise NotFound()
    return locked


def _require_active(partner: ChainPartner) -> None:
    if partner.status != ChainPartnerStatus.ACTIVE:
        raise Conflict(MSG_NOT_ACTIVE, code="partner_not_active", params={"name": partner.enterprise.name})


# ---- chain partners ----------------------------------------------------------------------------------------

ACTION_ADD = "chain_partner_add"
ACTION_EDIT = "chain_partner_edit"
ACTION_END = "chain_partner_end"
ACTION_RELIST = "chain_partner_relist"


def _assign(partner: ChainPartner, values: Mapping[str, Any]) -> set[str]:
    changed = set()
    for name, value in values.items():
        if getattr(partner, name) != value:
            setattr(partner, name, value)
            changed.add(name)
    return changed


def chain_partner_save(
    *, actor: Any, core: Organization, enterprise: Enterprise, values: Mapping[str, Any], update_existing: bool
) -> tuple[ChainPartner, str]:
    """Create the listing of `enterprise` in `core`'s chain in values["direction"], list an ended one again,
    or (with `update_existing`) update an active one; returns (listing, "created" | "updated" | "unchanged").

    The shared write step of chain_partner_add and the import; the caller has checked the actor (require_core)
    and cleaned `values` (clean_chain_partner_data without partner_uscc). Raises Conflict (code
    "chain_partner_exists") for an active listing when not `update_existing`, ValidationFailed for a date
    before the partner was established.
    """
    values = dict(values)
    direction = values.pop("direction")
    _check_since(enterprise, values.get("since"))
    with transaction.atomic():
        existing = (
            ChainPartner.objects.select_for_update()
            .filter(core=core, enterprise=enterprise, direction=direction)
            .first()
        )
        if existing is None:
            return _create_listing(actor, core, enterprise, direction, values), "created"
        before = snapshot(existing)
        if existing.status == ChainPartnerStatus.ACTIVE and not update_existing:
            params = {"name": enterprise.name, "direction": ChainDirection(direction).label}
            raise Conflict(
                MSG_ALREADY_LISTED,
                code="chain_partner_exists",
                params=params,
                fields={"partner_uscc": [str(MSG_ALREADY_LISTED) % params]},
            )
        action = ACTION_EDIT
        changed = _assign(existing, values)
        if existing.status == ChainPartnerStatus.ENDED:
            assert_chain_partner_transition(existing.status, ChainPartnerStatus.ACTIVE)
            existing.status, existing.ended_on, existing.end_reason = ChainPartnerStatus.ACTIVE, None, ""
            changed |= {"status", "ended_on", "end_reason"}
            action = ACTION_RELIST
        if not changed:
            return existing, "unchanged"
        existing.save()
        log_event(actor=actor, action=action, obj=existing, before=before, after=snapshot(existing))
    return existing, "updated"


def _create_listing(
    actor: Any, core: Organization, enterprise: Enterprise, direction: str, values: Mapping[str, Any]
) -> ChainPartner:
    try:
        with transaction.atomic():
            partner = ChainPartner.objects.create(
                core=core, enterprise=enterprise, direction=direction, created_by=actor, **values
            )
    except IntegrityError:  # listed at the same moment by someone else
        params = {"name": enterprise.name, "direction": ChainDirection(direction).label}
        raise Conflict(MSG_ALREADY_LISTED, code="chain_partner_exists", params=params) from None
    log_event(actor=actor, action=ACTION_ADD, obj=partner, before=None, after=snapshot(partner))
    return partner


def chain_partner_add(*, actor: Any, core: Organization, data: Mapping[str, Any]) -> ChainPartner:
    """List a supplier (direction "upstream") or distributor ("downstream") in `core`'s chain database:
    data = partner_uscc (a registry enterprise), direction, since, annual_volume (CNY), payment_terms_days,
    payment_terms. A partner listed before and ended is listed again with the new values.

    Who: members of `core` with supplychain.manage_chain. Raises PermissionDenied, ValidationFailed (every bad
    field; unknown credit code; the core itself; a start before the partner was established), Conflict (code
    "chain_partner_exists": already an active partner in that direction).
    """
    core = require_core(actor, core)
    values = clean_chain_partner_data(data)
    enterprise = partner_enterprise(values.pop("partner_uscc"), core)
    partner, _outcome = chain_partner_save(
        actor=actor, core=core, enterprise=enterprise, values=values, update_existing=False
    )
    return partner


def chain_partner_edit(*, actor: Any, partner: ChainPartner, data: Mapping[str, Any]) -> ChainPartner:
    """Change an active listing's since, annual_volume, payment_terms_days or payment_terms (the fields given).

    Who: members of the listing's core with supplychain.manage_chain. Raises NotFound (not visible),
    PermissionDenied, ValidationFailed (bad fields; partner_uscc or direction given), Conflict (listing ended).
    """
    _require_manager(actor, partner)
    fixed = [name for name in ("partner_uscc", "direction") if name in data]
    if fixed:
        raise _invalid({name: [str(MSG_NOT_CHANGEABLE)] for name in fixed})
    values = clean_chain_partner_data(data, partial=True)
    with transaction.atomic():
        locked = _lock_partner(partner)
        if locked.status != ChainPartnerStatus.ACTIVE:
            raise Conflict(
                MSG_TRANSITION,
                code="invalid_transition",
                params={"what": _("listing"), "status": ChainPartnerStatus(locked.status).label},
            )
        _check_since(locked.enterprise, values.get("since"))
        before = snapshot(locked)
        if _assign(locked, values):
            locked.save()
            log_event(actor=actor, action=ACTION_EDIT, obj=locked, before=before, after=snapshot(locked))
    return locked


def chain_partner_end(*, actor: Any, partner: ChainPartner, ended_on: Any = None, reason: Any = "") -> ChainPartner:
    """End an active listing on `ended_on` (today by default; not in the future, not before `since`), with an
    optional reason. Recommendations and summaries about it are kept; no new ones can be made.

    Who: members of the listing's core with supplychain.manage_chain. Raises NotFound, PermissionDenied,
    ValidationFailed (date, reason), Conflict (already ended).
    """
    _require_manager(actor, partner)
    try:
        day = _date(ended_on) or timezone.localdate()
    except FieldError as error:
        raise _invalid({"ended_on": [error.message]}) from None
    try:
        reason_text = _limited_text(255)(reason)
    except FieldError as error:
        raise _invalid({"reason": [error.message]}) from None
    with transaction.atomic():
        locked = _lock_partner(partner)
        assert_chain_partner_transition(locked.status, ChainPartnerStatus.ENDED)
        if day < locked.since:
            raise _invalid({"ended_on": [str(MSG_END_BEFORE_SINCE) % {"date": locked.since.isoformat()}]})
        before = snapshot(locked)
        locked.status, locked.ended_on, locked.end_reason = ChainPartnerStatus.ENDED, day, reason_text
        locked.save()
        log_event(actor=actor, action=ACTION_END, obj=locked, before=before, after=snapshot(locked))
    return locked


# ---- recommendations ----------------------------------------------------------------------------------------


def recommendation_send(*, actor: Any, partner: ChainPartner, funders: Any, note: Any) -> FinancingRecommendation:
    """Recommend an active partner for financing to the chosen funders (active banks), with a note; each funder
    is told, and sees the recommendation (not who else received it).

    Who: members of the listing's core with supplychain.manage_chain. Raises NotFound, PermissionDenied,
    ValidationFailed (no or unknown funders, empty or too long note), Conflict (listing ended).
    """
    _require_manager(actor, partner)
    errors: dict[str, list[str]] = {}
    chosen: list[Organization] = []
    text = ""
    try:
        chosen = clean_funders(funders)
    except ValidationFailed as error:
        errors.update(error.fields)
    try:
        text = _note(note)
    except ValidationFailed as error:
        errors.update(error.fields)
    if errors:
        raise _invalid(errors)
    with transaction.atomic():
        locked = _lock_partner(partner)
        _require_active(locked)
        recommendation = FinancingRecommendation.objects.create(chain_partner=locked, note=text, created_by=actor)
        RecommendationRecipient.objects.bulk_create(
            [RecommendationRecipient(recommendation=recommendation, funder=funder) for funder in chosen]
        )
        after = {**snapshot(recommendation), "funders": [funder.pk for funder in chosen]}
        log_event(actor=actor, action="chain_recommendation_send", obj=recommendation, after=after)
        notify_organizations(
            organizations=chosen,
            kind=notices_chain.CHAIN_RECOMMENDED,
            params={
                "core": locked.core.name,
                "enterprise": locked.enterprise.name,
                "direction": _english(ChainDirection(locked.direction).label),
            },
            link=_link("chain-recommendation-detail", recommendation.pk),
        )
    return recommendation


def _lock_recipient(recipient: RecommendationRecipient) -> RecommendationRecipient:
    locked = (
        RecommendationRecipient.objects.select_for_update(of=("self",))
        .select_related("funder", "recommendation__chain_partner__core", "recommendation__chain_partner__enterprise")
        .filter(pk=recipient.pk)
        .first()
    )
    if locked is None:
        raise NotFound()
    return locked


def _require_funder(actor: Any, recipient: RecommendationRecipient, code: str) -> None:
    """NotFound unless the actor sees the recipient row; PermissionDenied unless it acts for that funder."""
    if recipient.pk is None or not recommendation_recipient_list(actor=actor).filter(pk=recipient.pk).exists():
        raise NotFound()
    if not acting_funders(actor=actor, recipient_funder=recipient.funder, code=code):
        raise PermissionDenied()


def recommendation_mark_viewed(*, actor: Any, recipient: RecommendationRecipient) -> RecommendationRecipient:
    """Record that the funder opened the recommendation (sent → viewed, with who and when); later views, and
    views of an answered or withdrawn one, change nothing.

    Who: members of the recipient funder (or a branch of it) with supplychain.view; pages call it when such a
    member opens the recommendation. Raises NotFound, PermissionDenied (e.g. the core's own staff).
    """
    _require_funder(actor, recipient, perms.VIEW_SUPPLY_CHAIN)
    with transaction.atomic():
        locked = _lock_recipient(recipient)
        if locked.status != RecommendationStatus.SENT:
            return locked
        assert_recommendation_transition(locked.status, RecommendationStatus.VIEWED)
        before = snapshot(locked)
        locked.status, locked.viewed_at, locked.viewed_by = RecommendationStatus.VIEWED, timezone.now(), actor
        locked.save(update_fields=["status", "viewed_at", "viewed_by"])
        log_event(actor=actor, action="chain_recommendation_view", obj=locked, before=before, after=snapshot(locked))
    return locked


def _answer(
    actor: Any, recipient: RecommendationRecipient, target: str, note: str, action: str
) -> RecommendationRecipient:
    with transaction.atomic():
        locked = _lock_recipient(recipient)
        assert_recommendation_transition(locked.status, target)
        before = snapshot(locked)
        now = timezone.now()
        if locked.viewed_at is None:
            locked.viewed_at, locked.viewed_by = now, actor
        locked.status, locked.answered_at, locked.answered_by, locked.answer_note = target, now, actor, note
        locked.save()
        log_event(actor=actor, action=action, obj=locked, before=before, after=snapshot(locked))
        partner = locked.recommendation.chain_partner
        notify_organizations(
            organizations=[partner.core],
            kind=notices_chain.CHAIN_RECOMMENDATION_ANSWERED,
            params={
                "funder": locked.funder.name,
                "enterprise": partner.enterprise.name,
                "status": _english(RecommendationStatus(target).label),
            },
            link=_link("chain-recommendation-detail", locked.recommendation_id),
        )
    return locked


def recommendation_act(*, actor: Any, recipient: RecommendationRecipient, note: Any = "") -> RecommendationRecipient:
    """The funder took the recommendation up (contacted the partner, opened a credit review...), with an
    optional note; the core enterprise is told.

    Who: members of the recipient funder (or a branch of it) with supplychain.fund. Raises NotFound,
    PermissionDenied, ValidationFailed (note too long), Conflict (already answered or withdrawn).
    """
    _require_funder(actor, recipient, perms.FUND)
    text = _note(note, required=False)
    return _answer(actor, recipient, RecommendationStatus.ACTED_ON, text, "chain_recommendation_act")


def recommendation_decline(*, actor: Any, recipient: RecommendationRecipient, note: Any) -> RecommendationRecipient:
    """The funder declines the recommendation, saying why; the core enterprise is told.

    Who: members of the recipient funder (or a branch of it) with supplychain.fund. Raises NotFound,
    PermissionDenied, ValidationFailed (no reason), Conflict (already answered or withdrawn).
    """
    _require_funder(actor, recipient, perms.FUND)
    text = _note(note)
    return _answer(actor, recipient, RecommendationStatus.DECLINED, text, "chain_recommendation_decline")


def recommendation_withdraw(*, actor: Any, recipient: RecommendationRecipient) -> RecommendationRecipient:
    """The core enterprise withdraws its recommendation from one funder that has not answered it yet.

    Who: members of the core with supplychain.manage_chain. Raises NotFound, PermissionDenied, Conflict
    (already answered or withdrawn).
    """
    if recipient.pk is None or not recommendation_recipient_list(actor=actor).filter(pk=recipient.pk).exists():
        raise NotFound()
    _require_manager_of(actor, recipient.recommendation.chain_partner)
    with transaction.atomic():
        locked = _lock_recipient(recipient)
        assert_recommendation_transition(locked.status, RecommendationStatus.WITHDRAWN)
        before = snapshot(locked)
        locked.status, locked.withdrawn_at = RecommendationStatus.WITHDRAWN, timezone.now()
        locked.save(update_fields=["status", "withdrawn_at"])
        log_event(
            actor=actor, action="chain_recommendation_withdraw", obj=locked, before=before, after=snapshot(locked)
        )
    return locked


# ---- transaction summaries ----------------------------------------------------------------------------------


def summary_create(
    *, actor: Any, partner: ChainPartner, data: Mapping[str, Any], funders: Any = None
) -> TransactionSummary:
    """Record a transaction summary about an active partner (period_start, period_end, volume in CNY,
    transaction_count, on_time_share from 0 to 1, note) and, when `funders` are given, share it with them at
    once (see summary_share: all or nothing).

    Who: members of the listing's core with supplychain.manage_chain. Raises NotFound, PermissionDenied,
    ValidationFailed (bad fields; funders without the partner's consent: code "consent_required"), Conflict
    (listing ended).
    """
    _require_manager(actor, partner)
    values = clean_summary_data(data)
    chosen = clean_funders(funders) if funders not in (None, "", [], ()) else []
    with transaction.atomic():
        locked = _lock_partner(partner)
        _require_active(locked)
        _check_consents(locked.enterprise, chosen)
        summary = TransactionSummary.objects.create(chain_partner=locked, created_by=actor, **values)
        log_event(actor=actor, action="chain_summary_create", obj=summary, after=snapshot(summary))
        if chosen:
            _share(actor, summary, locked, chosen)
    return summary


def _check_consents(enterprise: Enterprise, funders: Iterable[Organization]) -> None:
    """ValidationFailed (code "consent_required", every refusal on "funders") unless the partner's consent to
    each funder is live."""
    refusals = [message for funder in funders if (message := consent_refusal(enterprise=enterprise, funder=funder))]
    if refusals:
        raise ValidationFailed(MSG_CONSENT_REQUIRED, code="consent_required", fields={"funders": refusals})


def _share(
    actor: Any, summary: TransactionSummary, partner: ChainPartner, funders: Iterable[Organization]
) -> list[SummaryShare]:
    live = {
        share.funder_id: share
        for share in SummaryShare.objects.select_for_update().filter(summary=summary, withdrawn_at__isnull=True)
    }
    shares: list[SummaryShare] = []
    new_funders: list[Organization] = []
    for funder in funders:
        if funder.pk in live:
            shares.append(live[funder.pk])
            continue
        share = SummaryShare.objects.create(summary=summary, funder=funder, shared_by=actor)
        log_event(actor=actor, action="chain_summary_share", obj=share, after=snapshot(share))
        shares.append(share)
        new_funders.append(funder)
    if new_funders:
        notify_organizations(
            organizations=new_funders,
            kind=notices_chain.CHAIN_SUMMARY_SHARED,
            params={
                "core": partner.core.name,
                "enterprise": partner.enterprise.name,
                "period": f"{summary.period_start.isoformat()} – {summary.period_end.isoformat()}",
            },
            link=_link("chain-summary-detail", summary.pk),
        )
    return shares


def summary_share(*, actor: Any, summary: TransactionSummary, funders: Any) -> list[SummaryShare]:
    """Share a summary with the chosen funders; each must hold the partner's live consent covering its figures
    (given to the funder or its head office), else nothing is shared and every refusal is given, translated.
    Funders already holding a live share keep it. Returns the live shares with those funders.

    Who: members of the summary's core with supplychain.manage_chain. Raises NotFound, PermissionDenied,
    ValidationFailed (no or unknown funders; code "consent_required"), Conflict (listing ended).
    """
    if summary.pk is None or not summary_visible_queryset(actor=actor).filter(pk=summary.pk).exists():
        raise NotFound()
    _require_manager_of(actor, summary.chain_partner)
    chosen = clean_funders(funders)
    with transaction.atomic():
        locked = _lock_partner(summary.chain_partner)
        _require_active(locked)
        _check_consents(locked.enterprise, chosen)
        return _share(actor, summary, locked, chosen)


def summary_unshare(*, actor: Any, share: SummaryShare) -> SummaryShare:
    """Withdraw a live share: the funder no longer sees the summary.

    Who: members of the summary's core with supplychain.manage_chain. Raises NotFound, PermissionDenied,
    Conflict (code "share_already_withdrawn").
    """
    if share.pk is None or not summary_share_list(actor=actor).filter(pk=share.pk).exists():
        raise NotFound()
    _require_manager_of(actor, share.summary.chain_partner)
    with transaction.atomic():
        locked = SummaryShare.objects.select_for_update().filter(pk=share.pk).first()
        if locked is None:
            raise NotFound()
        if locked.withdrawn_at is not None:
            raise Conflict(_("This summary is no longer shared with that funder."), code="share_already_withdrawn")
        before = snapshot(locked)
        locked.withdrawn_at, locked.withdrawn_by = timezone.now(), actor
        locked.save(update_fields=["withdrawn_at", "withdrawn_by"])
        log_event(actor=actor, action="chain_summary_unshare", obj=locked, before=before, after=snapshot(locked))
    return locked
