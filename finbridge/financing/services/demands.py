"""Writes of financing demands: create (by the firm, or recorded on its behalf by government staff), edit,
publish, withdraw, expire and republish.

Who: the firm's own organisation on the platform (financing.post_demand there) for its enterprise; government
staff (financing.record_demand_on_behalf) for an enterprise in their remit, the demand then being marked as
recorded on the firm's behalf by their organisation. Afterwards the firm and the recording organisation
manage the demand. Every status change runs in one transaction: the demand row is re-read with
select_for_update(), the change is checked against transitions.DEMAND_TRANSITIONS, saved, audited
(log_event), added to the firm's timeline (DemandEvent), and side effects (matching, e-mails) run on commit.
Bad input raises ValidationFailed with every field's messages and changes nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

from finbridge.accounts.models import Organization
from finbridge.audit.services import log_event, snapshot
from finbridge.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from finbridge.core.money import AMOUNT_MAX, CENT, RATE_PLACES, to_decimal
from finbridge.core.workdays import add_workdays
from finbridge.enterprises.models import Enterprise
from finbridge.enterprises.selectors import enterprise_visible_queryset
from finbridge.financing import notices
from finbridge.financing.choices import (
    Collateral,
    DemandPurpose,
    DemandStatus,
    DemandVisibility,
    EngagementStatus,
)
from finbridge.financing.models import Demand, DemandEvent, DemandResponse
from finbridge.financing.selectors.demands import (
    LENDER_TYPES,
    OPEN_ENGAGEMENT_STATUSES,
    OPEN_STATUSES,
    acting_organizations,
    demand_is_visible,
    managing_organization,
    remit_organization,
)
from finbridge.financing.transitions import (
    DEMAND_TRANSITIONS,
    MSG_TRANSITION,
    assert_demand_transition,
    assert_engagement_transition,
)
from finbridge.notifications.services import notify_organizations

DEMAND_FIELDS: tuple[str, ...] = (
    "amount",
    "term_months",
    "purpose",
    "collateral_offered",
    "collateral_note",
    "max_annual_rate",
    "needed_by",
    "description",
    "visibility",
    "chosen_institutions",
    "recorded_source",
)
REQUIRED_FIELDS: tuple[str, ...] = ("amount", "term_months", "purpose")
MIN_TERM_MONTHS = 1
MAX_TERM_MONTHS = 360
MAX_RATE = Decimal("0.36")
EXPIRY_DAYS = 90
# Statuses from which a demand expires (transitions.DEMAND_TRANSITIONS): once an institution is reviewing it,
# the demand runs until that institution decides.
EXPIRABLE_STATUSES = tuple(s for s, targets in DEMAND_TRANSITIONS.items() if DemandStatus.EXPIRED in targets)
TEXT_LIMITS = {"collateral_note": 255, "description": 4000, "recorded_source": 200}

MSG_REQUIRED = _("This field is required.")
MSG_UNKNOWN_FIELD = _("Unknown field.")
MSG_NOT_A_NUMBER = _("Enter an amount in CNY, such as 1,250,000.00.")
MSG_AMOUNT_POSITIVE = _("The amount must be more than zero.")
MSG_AMOUNT_TOO_LARGE = _("The amount cannot be more than %(limit)s CNY.")
MSG_AMOUNT_FEN = _("Give the amount to the fen at most (two decimal places).")
MSG_TERM = _("Enter a term of %(min)d to %(max)d months.")
MSG_BAD_CHOICE = _("%(value)s is not one of the choices.")
MSG_COLLATERAL_NONE = _("“None” cannot be combined with other collateral.")
MSG_RATE_NOT_A_NUMBER = _("Enter the rate as a fraction, such as 0.045 for 4.5%.")
MSG_RATE_RANGE = _("Enter a rate above 0 and at most %(max)s (36%% a year).")
MSG_RATE_PLACES = _("Give the rate with at most six decimal places.")
MSG_BAD_DATE = _("Enter a date as YYYY-MM-DD, such as 2026-12-31.")
MSG_PAST_DATE = _("%(date)s is in the past.")
MSG_TOO_LONG = _("At most %(limit)d characters are allowed; this has %(count)d.")
MSG_NOT_TEXT = _("Enter text.")
MSG_CHOOSE_INSTITUTIONS = _("Choose at least one bank or guarantee agency, or show the demand to all of them.")
MSG_NOT_AN_INSTITUTION = _("%(value)s is not an admitted bank or guarantee agency.")
MSG_SOURCE_REQUIRED = _("Say where the need was collected, such as a company visit or an event.")
MSG_SOURCE_NOT_ALLOWED = _("Only a demand recorded on the firm's behalf has a source.")
MSG_NOT_EDITABLE = _("Only a draft or published demand can be edited; this one is “%(status)s”.")
MSG_NOT_DUE = _("This demand does not expire before %(date)s.")


class _FieldError(ValueError):
    def __init__(self, message: Any, **params: Any) -> None:
        self.message = str(message) % params if params else str(message)
        super().__init__(self.message)


# ---- parsing and validation ------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def parse_amount(value: Any) -> Decimal:
    """A positive CNY amount in yuan with at most two decimal places, within the column's range."""
    if isinstance(value, (bool, list, dict)):
        raise _FieldError(MSG_NOT_A_NUMBER)
    try:
        amount = to_decimal(value)
    except ValueError:
        raise _FieldError(MSG_NOT_A_NUMBER) from None
    if amount <= 0:
        raise _FieldError(MSG_AMOUNT_POSITIVE)
    if amount > AMOUNT_MAX:
        raise _FieldError(MSG_AMOUNT_TOO_LARGE, limit=f"{AMOUNT_MAX:,}")
    if amount != amount.quantize(CENT):
        raise _FieldError(MSG_AMOUNT_FEN)
    return amount.quantize(CENT)


def parse_rate(value: Any) -> Decimal:
    """An annual rate as a fraction above 0 and at most 0.36, with at most six decimal places."""
    if isinstance(value, (bool, list, dict)):
        raise _FieldError(MSG_RATE_NOT_A_NUMBER)
    try:
        rate = to_decimal(value)
    except ValueError:
        raise _FieldError(MSG_RATE_NOT_A_NUMBER) from None
    if rate <= 0 or rate > MAX_RATE:
        raise _FieldError(MSG_RATE_RANGE, max=str(MAX_RATE))
    if rate != rate.quantize(RATE_PLACES):
        raise _FieldError(MSG_RATE_PLACES)
    return rate.quantize(RATE_PLACES)


def parse_term(value: Any) -> int:
    """A whole number of months from 1 to 360."""
    if isinstance(value, (bool, list, dict)):
        raise _FieldError(MSG_TERM, min=MIN_TERM_MONTHS, max=MAX_TERM_MONTHS)
    try:
        number = to_decimal(value)
    except ValueError:
        raise _FieldError(MSG_TERM, min=MIN_TERM_MONTHS, max=MAX_TERM_MONTHS) from None
    if number != number.to_integral_value() or not MIN_TERM_MONTHS <= number <= MAX_TERM_MONTHS:
        raise _FieldError(MSG_TERM, min=MIN_TERM_MONTHS, max=MAX_TERM_MONTHS)
    return int(number)


def parse_day(value: Any) -> datetime.date:
    """A date from a date or `YYYY-MM-DD` text."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if not isinstance(value, str):
        raise _FieldError(MSG_BAD_DATE)
    try:
        day = parse_date(value.strip())
    except ValueError:
        day = None
    if day is None:
        raise _FieldError(MSG_BAD_DATE)
    return day


def _choice(value: Any, choices: Iterable[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise _FieldError(MSG_BAD_CHOICE, value=str(value)[:50])
    return value


def _text(name: str, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, (str, int, Decimal)) or isinstance(value, bool):
        raise _FieldError(MSG_NOT_TEXT)
    text = str(value).strip()
    limit = TEXT_LIMITS.get(name)
    if limit is not None and len(text) > limit:
        raise _FieldError(MSG_TOO_LONG, limit=limit, count=len(text))
    return text


def _collateral(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        raise _FieldError(MSG_BAD_CHOICE, value=str(value)[:50])
    result: list[str] = []
    for item in items:
        text = str(item).strip() if isinstance(item, str) else item
        code = _choice(text, Collateral.values)
        if code not in result:
            result.append(code)
    if Collateral.NONE in result and len(result) > 1:
        raise _FieldError(MSG_COLLATERAL_NONE)
    return result


def _institutions(value: Any) -> list[Organization]:
    """Chosen institutions from Organization objects or ids (a list, or comma-separated text)."""
    if value is None or value == "":
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple, set)) and not hasattr(items, "__iter__"):
        raise _FieldError(MSG_NOT_AN_INSTITUTION, value=str(value)[:50])
    if isinstance(items, (dict, str)):
        raise _FieldError(MSG_NOT_AN_INSTITUTION, value=str(value)[:50])
    ids: list[int] = []
    for item in items:
        pk = item.pk if isinstance(item, Organization) else _org_id(item)
        if pk is None:
            raise _FieldError(MSG_NOT_AN_INSTITUTION, value=str(item)[:50])
        if pk not in ids:
            ids.append(pk)
    found = {o.pk: o for o in Organization.objects.filter(pk__in=ids, org_type__in=LENDER_TYPES, is_active=True)}
    for pk in ids:
        if pk not in found:
            raise _FieldError(MSG_NOT_AN_INSTITUTION, value=str(pk))
    return [found[pk] for pk in ids]


def _org_id(item: Any) -> int | None:
    from finbridge.enterprises.selectors import parse_id

    return parse_id(item)


def clean_demand_data(
    data: Mapping[str, Any],
    *,
    partial: bool = False,
    on_behalf: bool = False,
    current: Demand | None = None,
    today: datetime.date | None = None,
) -> tuple[dict[str, Any], list[Organization] | None]:
    """Check every given field and return (model values, chosen institutions or None when not given).

    Collects every error of every field and raises one ValidationFailed. `partial`: fields left out keep
    their values (an update); otherwise amount, term_months and purpose are required. Any caller.
    """
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    chosen: list[Organization] | None = None
    for name in data:
        if name not in DEMAND_FIELDS:
            errors[name] = [str(MSG_UNKNOWN_FIELD)]
    if not partial:
        for name in REQUIRED_FIELDS:
            if name not in data or _blank(data[name]):
                errors[name] = [str(MSG_REQUIRED)]
    parsers = {
        "amount": parse_amount,
        "term_months": parse_term,
        "purpose": lambda v: _choice(v, DemandPurpose.values),
        "collateral_offered": _collateral,
        "max_annual_rate": parse_rate,
        "visibility": lambda v: _choice(v, DemandVisibility.values),
    }
    for name, value in data.items():
        if name not in DEMAND_FIELDS or name in errors:
            continue
        try:
            if name in ("amount", "term_months", "purpose"):
                if _blank(value):
                    raise _FieldError(MSG_REQUIRED)
                values[name] = parsers[name](value)
            elif name == "max_annual_rate":
                values[name] = None if _blank(value) else parse_rate(value)
            elif name == "needed_by":
                if _blank(value):
                    values[name] = None
                else:
                    day = parse_day(value)
                    if day < today:
                        raise _FieldError(MSG_PAST_DATE, date=day.isoformat())
                    values[name] = day
            elif name == "visibility":
                values[name] = DemandVisibility.ALL if _blank(value) else parsers[name](value)
            elif name == "collateral_offered":
                values[name] = _collateral(value)
            elif name == "chosen_institutions":
                chosen = _institutions(value)
            elif name == "recorded_source":
                text = _text(name, value)
                if text and not on_behalf:
                    raise _FieldError(MSG_SOURCE_NOT_ALLOWED)
                values[name] = text
            else:
                values[name] = _text(name, value)
        except _FieldError as error:
            errors[name] = [error.message]
    if on_behalf and "recorded_source" not in errors:
        source = values.get("recorded_source", current.recorded_source if current is not None else "")
        if not source and (not partial or "recorded_source" in data):
            errors["recorded_source"] = [str(MSG_SOURCE_REQUIRED)]
    if "visibility" not in errors and "chosen_institutions" not in errors:
        visibility = values.get("visibility", current.visibility if current is not None else DemandVisibility.ALL)
        if visibility == DemandVisibility.CHOSEN:
            final = chosen
            if final is None and current is not None and current.pk:
                final = list(current.chosen_institutions.all())
            if not final:
                errors["chosen_institutions"] = [str(MSG_CHOOSE_INSTITUTIONS)]
        elif chosen:
            chosen = []  # shown to all: a list of chosen institutions would mean nothing
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(first, fields=errors)
    if values.get("visibility") == DemandVisibility.ALL:
        chosen = []
    return values, chosen


# ---- shared steps -------------------------------------------------------------------------------------


def refused(status: str) -> Conflict:
    """The Conflict of a demand service that does not apply in the demand's current status."""
    return Conflict(
        MSG_TRANSITION,
        code="invalid_transition",
        params={"what": str(_("demand")), "status": DemandStatus(status).label},
    )


def lock_demand(demand: Demand) -> Demand:
    """Re-read the demand with a row lock (inside a transaction); NotFound when it is gone."""
    locked = Demand.objects.select_for_update().filter(pk=demand.pk).first()
    if locked is None:
        raise NotFound()
    return locked


def record_event(
    demand: Demand,
    *,
    action: str,
    actor: Any = None,
    organization: Organization | None = None,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    at: datetime.datetime | None = None,
) -> DemandEvent:
    """Add one step to the demand's timeline."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return DemandEvent.objects.create(
        demand=demand,
        at=at or timezone.now(),
        actor=user,
        organization=organization,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
    )


def queue_matching(demand_id: int) -> None:
    """After commit, schedule recomputing the demand's matches (tasks_matching, imported lazily: the module
    belongs to the matching area and may be absent while it is being written)."""

    def run() -> None:
        try:
            from finbridge.financing import tasks_matching
        except ModuleNotFoundError as error:
            if error.name == "finbridge.financing.tasks_matching":
                return
            raise
        tasks_matching.queue_demand_matching(demand_id)

    transaction.on_commit(run)


def firm_organizations(demand: Demand) -> list[Organization]:
    """Who is told about the demand's progress: the firm's organisation and, for a demand recorded on its
    behalf, the recording organisation."""
    orgs: list[Organization] = []
    if demand.enterprise.organization_id is not None:
        orgs.append(demand.enterprise.organization)
    if demand.recorded_on_behalf and demand.recorded_by_organization_id:
        orgs.append(demand.recorded_by_organization)
    return orgs


def demand_link(demand: Demand) -> str:
    """The demand's page, for a notification's link."""
    from django.urls import reverse

    return reverse("financing:demands-detail", args=[demand.pk])


def amount_param(amount: Decimal | None) -> str:
    """An amount for a notification's text, readable in either language (¥1,250,000.00)."""
    return "" if amount is None else f"¥{amount:,.2f}"


def require_visible(actor: Any, demand: Demand) -> None:
    """NotFound unless the actor may see the demand."""
    if not demand_is_visible(actor=actor, demand=demand):
        raise NotFound()


def require_manager(actor: Any, demand: Demand) -> Organization:
    """The organisation through which the actor manages the demand; NotFound when the demand is hidden,
    PermissionDenied when the actor may see but not manage it."""
    require_visible(actor, demand)
    organization = managing_organization(actor=actor, demand=demand)
    if organization is None:
        raise PermissionDenied()
    return organization


def close_open_engagements(
    demand: Demand, *, at: datetime.datetime, reason: str, keep: DemandResponse | None = None
) -> list[DemandResponse]:
    """Close every running engagement of the (locked) demand but `keep`, and tell each institution why
    (`reason`: one of the notices.CLOSED_* msgids): withdrawal, expiry, funding by another institution."""
    engagements = [
        engagement
        for engagement in DemandResponse.objects.select_for_update()
        .select_related("institution")
        .filter(demand=demand, status__in=OPEN_ENGAGEMENT_STATUSES)
        .order_by("pk")
        if keep is None or engagement.pk != keep.pk
    ]
    for engagement in engagements:
        assert_engagement_transition(engagement.status, EngagementStatus.CLOSED)
        engagement.status = EngagementStatus.CLOSED
        engagement.decided_at = engagement.decided_at or at
        engagement.save(update_fields=["status", "decided_at"])
    if engagements:
        notify_organizations(
            organizations=[engagement.institution for engagement in engagements],
            kind=notices.DEMAND_CLOSED,
            params={"enterprise": demand.enterprise.name, "amount": amount_param(demand.amount), "reason": reason},
            link=demand_link(demand),
        )
    return engagements


def _respond_by(published_on: datetime.date) -> datetime.date:
    return add_workdays(published_on, settings.FINBRIDGE_RESPONSE_WORKING_DAYS)


def _publication_dates(demand: Demand, now: datetime.datetime) -> None:
    published_on = timezone.localdate(now)
    if demand.needed_by is not None and demand.needed_by < published_on:
        message = str(MSG_PAST_DATE) % {"date": demand.needed_by.isoformat()}
        raise ValidationFailed(message, fields={"needed_by": [message]})
    if demand.visibility == DemandVisibility.CHOSEN and not demand.chosen_institutions.exists():
        raise ValidationFailed(MSG_CHOOSE_INSTITUTIONS, fields={"chosen_institutions": [str(MSG_CHOOSE_INSTITUTIONS)]})
    demand.published_at = now
    demand.respond_by = _respond_by(published_on)
    demand.expires_on = demand.needed_by or published_on + datetime.timedelta(days=EXPIRY_DAYS)
    demand.escalated_at = None


def _poster(actor: Any, enterprise: Enterprise) -> tuple[Organization, bool]:
    """(organisation, on behalf?) through which the actor posts a demand for the enterprise."""
    from finbridge.accounts.choices import OrgType
    from finbridge.financing import permissions as perms

    for org in acting_organizations(actor=actor, code=perms.POST_DEMAND, org_types=[OrgType.MSME]):
        if enterprise.organization_id is not None and org.pk == enterprise.organization_id:
            return org, False
    government = remit_organization(actor=actor, enterprise=enterprise)
    if government is not None:
        return government, True
    raise PermissionDenied()


# ---- services -----------------------------------------------------------------------------------------


def demand_create(*, actor: Any, enterprise: Enterprise, data: Mapping[str, Any]) -> Demand:
    """Create a draft demand for `enterprise` from raw `data` (see DEMAND_FIELDS).

    Who: a member of the enterprise's own organisation with financing.post_demand; or government staff with
    financing.record_demand_on_behalf whose remit covers the enterprise (the demand is then marked as
    recorded on the firm's behalf by their organisation, and `recorded_source` is required). Raises NotFound
    (enterprise not visible), PermissionDenied, ValidationFailed.
    """
    if enterprise is None or enterprise.pk is None:
        raise NotFound()
    if not enterprise_visible_queryset(actor=actor).filter(pk=enterprise.pk).exists():
        raise NotFound()
    organization, on_behalf = _poster(actor, enterprise)
    values, chosen = clean_demand_data(data, on_behalf=on_behalf)
    with transaction.atomic():
        demand = Demand.objects.create(
            enterprise=enterprise,
            status=DemandStatus.DRAFT,
            recorded_on_behalf=on_behalf,
            recorded_by_organization=organization if on_behalf else None,
            created_by=actor,
            **values,
        )
        if chosen:
            demand.chosen_institutions.set(chosen)
        record_event(
            demand,
            action="recorded" if on_behalf else "created",
            actor=actor,
            organization=organization,
            to_status=DemandStatus.DRAFT,
            note=values.get("recorded_source", ""),
        )
        log_event(actor=actor, action="demand_create", obj=demand, before=None, after=snapshot(demand))
    return demand


def demand_update(*, actor: Any, demand: Demand, data: Mapping[str, Any]) -> Demand:
    """Change some fields of a draft or published demand (fields left out keep their values). A published
    demand keeps its deadline; its expiry follows a new `needed_by`; its matches are recomputed.

    Who: the firm, or the organisation that recorded it. Raises NotFound, PermissionDenied, ValidationFailed,
    Conflict (code "invalid_transition": the demand is neither draft nor published).
    """
    organization = require_manager(actor, demand)
    with transaction.atomic():
        locked = lock_demand(demand)
        if locked.status not in (DemandStatus.DRAFT, DemandStatus.PUBLISHED):
            raise Conflict(
                MSG_NOT_EDITABLE, code="invalid_transition", params={"status": DemandStatus(locked.status).label}
            )
        values, chosen = clean_demand_data(data, partial=True, on_behalf=locked.recorded_on_behalf, current=locked)
        before = snapshot(locked)
        for name, value in values.items():
            setattr(locked, name, value)
        if locked.status == DemandStatus.PUBLISHED and "needed_by" in values:
            published_on = timezone.localdate(locked.published_at)
            locked.expires_on = locked.needed_by or published_on + datetime.timedelta(days=EXPIRY_DAYS)
        locked.save()
        if chosen is not None:
            locked.chosen_institutions.set(chosen)
        record_event(
            locked,
            action="updated",
            actor=actor,
            organization=organization,
            from_status=locked.status,
            to_status=locked.status,
        )
        log_event(actor=actor, action="demand_update", obj=locked, before=before, after=snapshot(locked))
        if locked.status == DemandStatus.PUBLISHED:
            queue_matching(locked.pk)
    return locked


def demand_publish(*, actor: Any, demand: Demand, now: datetime.datetime | None = None) -> Demand:
    """Show a draft demand to institutions: sets published_at, respond_by (the publication date plus
    FINBRIDGE_RESPONSE_WORKING_DAYS working days on the official calendar) and expires_on (needed_by, or 90
    days after publication); matches are computed after commit.

    Who: the firm, or the organisation that recorded it. Raises NotFound, PermissionDenied, Conflict (not a
    draft), ValidationFailed (needed_by already past; "chosen" visibility without institutions).
    """
    organization = require_manager(actor, demand)
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock_demand(demand)
        if locked.status != DemandStatus.DRAFT:  # a declined demand is published again with demand_republish
            raise refused(locked.status)
        assert_demand_transition(locked.status, DemandStatus.PUBLISHED)
        before = snapshot(locked)
        _publication_dates(locked, now)
        locked.status = DemandStatus.PUBLISHED
        locked.save()
        record_event(
            locked,
            action="published",
            actor=actor,
            organization=organization,
            from_status=before["status"],
            to_status=locked.status,
            at=now,
        )
        log_event(actor=actor, action="demand_publish", obj=locked, before=before, after=snapshot(locked))
        queue_matching(locked.pk)
    return locked


def demand_withdraw(*, actor: Any, demand: Demand, note: str = "") -> Demand:
    """The firm no longer needs the money: the demand is withdrawn and running engagements are closed.

    Who: the firm, or the organisation that recorded it. Raises NotFound, PermissionDenied, Conflict
    (already disbursed, declined, withdrawn or expired), ValidationFailed (note too long).
    """
    organization = require_manager(actor, demand)
    try:
        note = _text("description", note)
    except _FieldError as error:
        raise ValidationFailed(error.message, fields={"note": [error.message]}) from None
    with transaction.atomic():
        locked = lock_demand(demand)
        assert_demand_transition(locked.status, DemandStatus.WITHDRAWN)
        before = snapshot(locked)
        now = timezone.now()
        close_open_engagements(locked, at=now, reason=notices.CLOSED_WITHDRAWN)
        locked.status = DemandStatus.WITHDRAWN
        locked.closed_at = now
        locked.save()
        record_event(
            locked,
            action="withdrawn",
            actor=actor,
            organization=organization,
            from_status=before["status"],
            to_status=locked.status,
            note=note,
            at=now,
        )
        log_event(actor=actor, action="demand_withdraw", obj=locked, before=before, after=snapshot(locked))
        queue_matching(locked.pk)
    return locked


def demand_expire(*, demand: Demand, actor: Any = None, now: datetime.datetime | None = None) -> Demand:
    """Expire an open demand whose expires_on has passed; running engagements are closed.

    Who: the deadlines task (the system; `actor` None). Raises Conflict when the demand is not open or not
    yet due.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        locked = lock_demand(demand)
        assert_demand_transition(locked.status, DemandStatus.EXPIRED)
        if locked.expires_on is None or locked.expires_on >= today:
            due = locked.expires_on or today
            raise Conflict(MSG_NOT_DUE, code="not_due", params={"date": (due + datetime.timedelta(days=1)).isoformat()})
        before = snapshot(locked)
        close_open_engagements(locked, at=now, reason=notices.CLOSED_EXPIRED)
        locked.status = DemandStatus.EXPIRED
        locked.closed_at = now
        locked.save()
        record_event(
            locked, action="expired", actor=actor, from_status=before["status"], to_status=locked.status, at=now
        )
        log_event(actor=actor, action="demand_expire", obj=locked, before=before, after=snapshot(locked))
        queue_matching(locked.pk)
    return locked


def demand_republish(
    *, actor: Any, demand: Demand, data: Mapping[str, Any] | None = None, now: datetime.datetime | None = None
) -> Demand:
    """Publish a declined demand again, optionally with changed fields (`data`, as for demand_update): a new
    deadline and expiry are set, the escalation and the decline reason are cleared. Institutions that
    answered before keep their answer.

    Who: the firm, or the organisation that recorded it. Raises NotFound, PermissionDenied, Conflict (not
    declined), ValidationFailed.
    """
    organization = require_manager(actor, demand)
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock_demand(demand)
        if locked.status != DemandStatus.DECLINED:  # a draft is published with demand_publish
            raise refused(locked.status)
        assert_demand_transition(locked.status, DemandStatus.PUBLISHED)
        before = snapshot(locked)
        chosen = None
        if data:
            values, chosen = clean_demand_data(
                data, partial=True, on_behalf=locked.recorded_on_behalf, current=locked, today=timezone.localdate(now)
            )
            for name, value in values.items():
                setattr(locked, name, value)
        if chosen is not None:
            locked.chosen_institutions.set(chosen)
        _publication_dates(locked, now)
        locked.status = DemandStatus.PUBLISHED
        locked.decline_reason = ""
        locked.decline_note = ""
        locked.save()
        record_event(
            locked,
            action="republished",
            actor=actor,
            organization=organization,
            from_status=before["status"],
            to_status=locked.status,
            at=now,
        )
        log_event(actor=actor, action="demand_republish", obj=locked, before=before, after=snapshot(locked))
        queue_matching(locked.pk)
    return locked


# ---- deadlines ------------------------------------------------------------------------------------------


def _district_authorities(enterprise: Enterprise) -> list[Organization]:
    from django.db.models import Q

    from finbridge.accounts.choices import OrgType

    qs = Organization.objects.filter(org_type=OrgType.DISTRICT_AUTHORITY, is_active=True)
    subdistrict = enterprise.subdistrict
    if subdistrict is not None:
        qs = qs.filter(Q(district__isnull=True) | Q(district_id=subdistrict.district_id))
    return list(qs.order_by("pk"))


def demand_escalate(*, demand: Demand, now: datetime.datetime | None = None) -> bool:
    """Escalate a published demand nobody took up by its respond_by to the district authority (once): sets
    escalated_at, adds the step to the timeline and tells the authority. Returns False (and changes nothing)
    when the demand is not, or no longer, due for escalation.

    Who: the deadlines task (the system). Raises nothing for a demand that is not due.
    """

    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        locked = Demand.objects.select_for_update().filter(pk=demand.pk).first()
        if (
            locked is None
            or locked.status != DemandStatus.PUBLISHED
            or locked.escalated_at is not None
            or locked.respond_by is None
            or locked.respond_by >= today
        ):
            return False
        before = snapshot(locked)
        locked.escalated_at = now
        locked.save(update_fields=["escalated_at", "updated_at"])
        record_event(locked, action="escalated", from_status=locked.status, to_status=locked.status, at=now)
        log_event(actor=None, action="demand_escalate", obj=locked, before=before, after=snapshot(locked))
        enterprise = Enterprise.objects.select_related("subdistrict").get(pk=locked.enterprise_id)
        notify_organizations(
            organizations=_district_authorities(enterprise),
            kind=notices.DEMAND_ESCALATED,
            params={
                "enterprise": enterprise.name,
                "amount": amount_param(locked.amount),
                "days": str(settings.FINBRIDGE_RESPONSE_WORKING_DAYS),
            },
            link=demand_link(locked),
        )
    return True


def _flag_overdue(demand_id: int, candidates: list[Organization], now: datetime.datetime) -> int:
    """Flag (once) and tell the given institutions that have not answered the demand, and the district
    authority; returns how many institutions were flagged now."""

    with transaction.atomic():
        locked = Demand.objects.select_for_update().filter(pk=demand_id, status__in=OPEN_STATUSES).first()
        if locked is None:
            return 0
        answered = set(DemandResponse.objects.filter(demand=locked).values_list("institution_id", flat=True))
        flagged = set(
            DemandEvent.objects.filter(demand=locked, action="overdue").values_list("organization_id", flat=True)
        )
        newly = [o for o in candidates if o.pk not in answered and o.pk not in flagged]
        if not newly:
            return 0
        enterprise = Enterprise.objects.select_related("subdistrict").get(pk=locked.enterprise_id)
        params = {
            "enterprise": enterprise.name,
            "amount": amount_param(locked.amount),
            "due": locked.respond_by.isoformat() if locked.respond_by else "",
        }
        link = demand_link(locked)
        for institution in newly:
            record_event(
                locked,
                action="overdue",
                organization=institution,
                from_status=locked.status,
                to_status=locked.status,
                at=now,
            )
            notify_organizations(
                organizations=[institution],
                kind=notices.DEMAND_OVERDUE,
                params={**params, "institution": institution.name},
                link=link,
            )
        log_event(
            actor=None,
            action="demand_overdue",
            obj=locked,
            before=None,
            after={"overdue_institutions": [o.pk for o in newly], "respond_by": params["due"]},
        )
        notify_organizations(
            organizations=_district_authorities(enterprise),
            kind=notices.DEMAND_OVERDUE,
            params={**params, "institution": "、".join(o.name for o in newly)},
            link=link,
        )
    return len(newly)


def demand_deadlines_check(*, now: datetime.datetime | None = None, batch_size: int = 500) -> dict[str, int]:
    """The periodic deadline run (idempotent: running it twice changes nothing the second time):

    1. expire published or taken-up demands whose expires_on has passed (EXPIRABLE_STATUSES);
    2. escalate published demands nobody took up by respond_by (once, telling the district authority);
    3. flag every institution that can see an open demand and has not answered it by respond_by (once per
       institution and demand): the institution and the district authority are told. An institution admitted
       after the deadline is not flagged.

    Who: the Celery beat task (the system). Returns the counts {"expired", "escalated", "overdue_demands",
    "overdue_institutions"}. Raises nothing for demands that changed meanwhile.
    """
    from finbridge.financing.selectors.demands import LENDER_TYPES

    now = now or timezone.now()
    today = timezone.localdate(now)
    counts = {"expired": 0, "escalated": 0, "overdue_demands": 0, "overdue_institutions": 0}

    due_to_expire = Demand.objects.filter(status__in=EXPIRABLE_STATUSES, expires_on__lt=today).order_by("pk")
    for pk in list(due_to_expire.values_list("pk", flat=True)):
        try:
            demand_expire(demand=Demand(pk=pk), now=now)
        except (Conflict, NotFound):
            continue
        counts["expired"] += 1

    to_escalate = Demand.objects.filter(
        status=DemandStatus.PUBLISHED, escalated_at__isnull=True, respond_by__lt=today, published_at__isnull=False
    ).order_by("pk")
    for pk in list(to_escalate.values_list("pk", flat=True)):
        if demand_escalate(demand=Demand(pk=pk), now=now):
            counts["escalated"] += 1

    lenders = list(
        Organization.objects.filter(org_type__in=LENDER_TYPES, is_active=True).only(
            "pk", "name", "parent_id", "created_at"
        )
    )
    admitted_on = {o.pk: timezone.localdate(o.created_at) for o in lenders}
    overdue = Demand.objects.filter(status__in=OPEN_STATUSES, respond_by__lt=today, published_at__isnull=False)
    last_pk = 0
    through = Demand.chosen_institutions.through
    while True:
        chunk = list(overdue.filter(pk__gt=last_pk).order_by("pk").only("pk", "visibility", "respond_by")[:batch_size])
        if not chunk:
            break
        last_pk = chunk[-1].pk
        ids = [d.pk for d in chunk]
        chosen: dict[int, set[int]] = {}
        for demand_id, org_id in through.objects.filter(demand_id__in=ids).values_list("demand_id", "organization_id"):
            chosen.setdefault(demand_id, set()).add(org_id)
        done = set(DemandResponse.objects.filter(demand_id__in=ids).values_list("demand_id", "institution_id"))
        done |= set(
            DemandEvent.objects.filter(demand_id__in=ids, action="overdue").values_list("demand_id", "organization_id")
        )
        for demand in chunk:
            if demand.visibility == DemandVisibility.CHOSEN:
                picked = chosen.get(demand.pk, set())
                candidates = [o for o in lenders if o.pk in picked or o.parent_id in picked]
            else:
                candidates = lenders
            candidates = [
                o for o in candidates if (demand.pk, o.pk) not in done and admitted_on[o.pk] <= demand.respond_by
            ]
            if candidates:
                flagged = _flag_overdue(demand.pk, candidates, now)
                if flagged:
                    counts["overdue_demands"] += 1
                    counts["overdue_institutions"] += flagged
    return counts


__all__ = [
    "DEMAND_FIELDS",
    "OPEN_STATUSES",
    "clean_demand_data",
    "demand_create",
    "demand_deadlines_check",
    "demand_escalate",
    "demand_expire",
    "demand_publish",
    "demand_republish",
    "demand_update",
    "demand_withdraw",
]
