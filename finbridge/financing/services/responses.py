"""Writes of institutions' answers to demands: take up or pass (once per institution and demand), then for a
take-up the engagement: review, approve, decline, disburse.

Who: banks and guarantors that can see the demand (financing.respond_demand to answer, financing.review_demand
to review and decide; disbursing also records the loan, which needs financing.record_loan). A person acts for
the institution in which their role grants the code; a person in several such institutions names one.

The demand's status is derived from its engagements: the furthest running one (published -> taken_up ->
under_review -> approved -> disbursed); when every take-up is declined the demand is declined (with the last
reason) and the firm may publish it again. Disbursing one engagement closes the others. Every change locks
the demand row first (select_for_update), so concurrent answers to one demand run one after the other: an
institution answers once, and one demand is disbursed once.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from finbridge.accounts.choices import OrgType
from finbridge.accounts.models import Organization
from finbridge.audit.services import log_event, snapshot
from finbridge.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from finbridge.financing import notices
from finbridge.financing import permissions as perms
from finbridge.financing.choices import (
    DeclineReason,
    DemandStatus,
    EngagementStatus,
    LoanSource,
    ProductStatus,
    ResponseKind,
)
from finbridge.financing.models import Demand, DemandResponse, Product
from finbridge.financing.selectors.demands import (
    LENDER_TYPES,
    OPEN_STATUSES,
    acting_organizations,
    can_institution_see,
    demand_is_visible,
    responses_visible,
)
from finbridge.financing.services.demands import (
    _FieldError,
    amount_param,
    close_open_engagements,
    demand_link,
    firm_organizations,
    lock_demand,
    parse_amount,
    parse_day,
    parse_rate,
    parse_term,
    queue_matching,
    record_event,
)
from finbridge.financing.transitions import assert_demand_transition, assert_engagement_transition
from finbridge.notifications.services import notify_organizations

NOTE_LIMIT = 2000
# How far each engagement status carries the demand.
_RANK = {
    EngagementStatus.TAKEN_UP: (1, DemandStatus.TAKEN_UP),
    EngagementStatus.UNDER_REVIEW: (2, DemandStatus.UNDER_REVIEW),
    EngagementStatus.APPROVED: (3, DemandStatus.APPROVED),
    EngagementStatus.DISBURSED: (4, DemandStatus.DISBURSED),
}

MSG_ALREADY_ANSWERED = _("%(institution)s has already answered this demand.")
MSG_CHOOSE_INSTITUTION = _("You belong to several institutions: choose the one you answer for.")
MSG_NOT_YOUR_INSTITUTION = _("You cannot act for this institution.")
MSG_NOTE_TOO_LONG = _("At most %(limit)d characters are allowed; this has %(count)d.")
MSG_REQUIRED = _("This field is required.")
MSG_ABOVE_DEMAND = _("The approved amount cannot be more than the %(amount)s CNY the firm asked for.")
MSG_ABOVE_MAX_RATE = _("The rate is above the highest rate the firm accepts (%(rate)s).")
MSG_BAD_PRODUCT = _("Choose one of your institution's published products.")
MSG_BAD_REASON = _("Choose a reason from the list.")
MSG_EXPLAIN_OTHER = _("Explain the reason in the note.")
MSG_NOT_A_BANK = _("Only a bank disburses a loan; a guarantee agency's approval ends with the bank's loan.")
MSG_ABOVE_APPROVED = _("The loan cannot be more than the approved %(amount)s CNY.")
MSG_UNKNOWN_FIELD = _("Unknown field.")
MSG_NOT_BOOLEAN = _("Enter true or false.")

LOAN_FIELDS = (
    "reference",
    "amount",
    "disbursed_on",
    "maturity_on",
    "term_months",
    "annual_rate",
    "is_first_time",
    "is_renewal",
    "is_renewal_without_repayment",
    "is_credit",
)


def _field_error(name: str, message: Any) -> ValidationFailed:
    return ValidationFailed(str(message), fields={name: [str(message)]})


def _clean_note(note: Any, name: str = "note") -> str:
    if note is None:
        return ""
    if not isinstance(note, str):
        raise _field_error(name, _("Enter text."))
    text = note.strip()
    if len(text) > NOTE_LIMIT:
        raise _field_error(name, str(MSG_NOTE_TOO_LONG) % {"limit": NOTE_LIMIT, "count": len(text)})
    return text


def acting_institution(*, actor: Any, code: str, institution: Organization | None = None) -> Organization:
    """The bank or guarantor the actor acts for with `code`: the given one (which must be theirs), or their
    only one. PermissionDenied without such a membership; ValidationFailed when several and none named."""
    organizations = acting_organizations(actor=actor, code=code, org_types=LENDER_TYPES)
    if institution is not None:
        if institution.pk not in {o.pk for o in organizations}:
            raise PermissionDenied(MSG_NOT_YOUR_INSTITUTION)
        return next(o for o in organizations if o.pk == institution.pk)
    if not organizations:
        raise PermissionDenied()
    if len(organizations) > 1:
        raise _field_error("institution", MSG_CHOOSE_INSTITUTION)
    return organizations[0]


def derived_status(demand: Demand) -> tuple[str, DemandResponse | None]:
    """The demand status its engagements call for, and (for a declined demand) the last declined one."""
    take_ups = list(
        DemandResponse.objects.filter(demand=demand, kind=ResponseKind.TAKE_UP).order_by("decided_at", "id")
    )
    best = (0, DemandStatus.PUBLISHED)
    for engagement in take_ups:
        rank = _RANK.get(engagement.status)
        if rank and rank[0] > best[0]:
            best = rank
    if best[0]:
        return best[1], None
    declined = [e for e in take_ups if e.status == EngagementStatus.DECLINED]
    if take_ups and len(declined) == len(take_ups):
        return DemandStatus.DECLINED, declined[-1]
    return DemandStatus.PUBLISHED, None


def _follow_engagements(demand: Demand) -> None:
    """Move the (locked) demand to the status its engagements call for, checking the transition."""
    target, last_declined = derived_status(demand)
    if target != demand.status:
        assert_demand_transition(demand.status, target)
        demand.status = target
    if target == DemandStatus.DECLINED and last_declined is not None:
        demand.decline_reason = last_declined.decline_reason
        demand.decline_note = last_declined.decline_note
    demand.save()


def _notify_firm(demand: Demand, kind: str, institution: Organization, **extra: str) -> None:
    params = {
        "institution": institution.name,
        "enterprise": demand.enterprise.name,
        "amount": amount_param(demand.amount),
        **extra,
    }
    notify_organizations(
        organizations=firm_organizations(demand),
        kind=kind,
        params=params,
        link=demand_link(demand),
    )


def _on_time(demand: Demand, now: datetime.datetime) -> bool:
    return demand.respond_by is None or timezone.localdate(now) <= demand.respond_by


def _answer(
    *,
    actor: Any,
    demand: Demand,
    kind: str,
    institution: Organization | None,
    note: Any,
    now: datetime.datetime | None,
) -> DemandResponse:
    if demand is None or not demand_is_visible(actor=actor, demand=demand):
        raise NotFound()
    organization = acting_institution(actor=actor, code=perms.RESPOND_DEMAND, institution=institution)
    note = _clean_note(note)
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock_demand(demand)
        if not can_institution_see(demand=locked, institution=organization):
            raise NotFound()
        if DemandResponse.objects.filter(demand=locked, institution=organization).exists():
            raise Conflict(MSG_ALREADY_ANSWERED, code="already_answered", params={"institution": organization.name})
        if locked.status not in OPEN_STATUSES:
            assert_demand_transition(locked.status, DemandStatus.TAKEN_UP)  # raises: nothing to answer
        before = snapshot(locked)
        try:
            with transaction.atomic():
                response = DemandResponse.objects.create(
                    demand=locked,
                    institution=organization,
                    kind=kind,
                    status=EngagementStatus.TAKEN_UP if kind == ResponseKind.TAKE_UP else "",
                    responded_at=now,
                    responded_by=actor,
                    on_time=_on_time(locked, now),
                    note=note,
                )
        except IntegrityError:
            raise Conflict(
                MSG_ALREADY_ANSWERED, code="already_answered", params={"institution": organization.name}
            ) from None
        if kind == ResponseKind.TAKE_UP:
            _follow_engagements(locked)
        record_event(
            locked,
            action="taken_up" if kind == ResponseKind.TAKE_UP else "passed",
            actor=actor,
            organization=organization,
            from_status=before["status"],
            to_status=locked.status,
            note=note,
            at=now,
        )
        log_event(
            actor=actor,
            action="demand_take_up" if kind == ResponseKind.TAKE_UP else "demand_pass",
            obj=response,
            before=None,
            after=snapshot(response),
        )
        if kind == ResponseKind.TAKE_UP:
            _notify_firm(locked, notices.DEMAND_TAKEN_UP, organization)
    response.demand = locked
    return response


def demand_take_up(
    *,
    actor: Any,
    demand: Demand,
    institution: Organization | None = None,
    note: Any = "",
    now: datetime.datetime | None = None,
) -> DemandResponse:
    """The institution takes the demand up (starts an engagement); the firm is told. An answer after
    respond_by is stored with on_time False.

    Who: a bank or guarantor the demand is shown to (financing.respond_demand). Raises NotFound (demand not
    shown to the institution), PermissionDenied, ValidationFailed, Conflict (already answered; the demand is
    not open).
    """
    return _answer(actor=actor, demand=demand, kind=ResponseKind.TAKE_UP, institution=institution, note=note, now=now)


def demand_pass(
    *,
    actor: Any,
    demand: Demand,
    institution: Organization | None = None,
    note: Any = "",
    now: datetime.datetime | None = None,
) -> DemandResponse:
    """The institution passes on the demand (answers "no" before any review). Same rules as take-up."""
    return _answer(actor=actor, demand=demand, kind=ResponseKind.PASS, institution=institution, note=note, now=now)


def _engagement_for(actor: Any, engagement: DemandResponse) -> Organization:
    """The institution the actor reviews for; NotFound when the engagement is hidden from the actor."""
    demand = engagement.demand
    if engagement.kind != ResponseKind.TAKE_UP:
        raise NotFound()
    if not responses_visible(actor=actor, demand=demand).filter(pk=engagement.pk).exists():
        raise NotFound()
    organizations = acting_organizations(actor=actor, code=perms.REVIEW_DEMAND, org_types=LENDER_TYPES)
    for organization in organizations:
        if organization.pk == engagement.institution_id:
            return organization
    raise PermissionDenied()


def _lock_engagement(demand: Demand, engagement: DemandResponse) -> DemandResponse:
    locked = DemandResponse.objects.select_for_update().filter(pk=engagement.pk, demand=demand).first()
    if locked is None:
        raise NotFound()
    return locked


def _change_engagement(
    *,
    actor: Any,
    engagement: DemandResponse,
    target: str,
    action: str,
    audit_action: str,
    apply: Any = None,
    note: str = "",
    now: datetime.datetime | None = None,
) -> tuple[Demand, DemandResponse, Organization]:
    """Lock the demand and the engagement, move the engagement to `target`, apply the extra changes, follow
    with the demand, record the step. Runs inside the caller's transaction."""
    organization = _engagement_for(actor, engagement)
    now = now or timezone.now()
    demand = lock_demand(engagement.demand)
    locked = _lock_engagement(demand, engagement)
    assert_engagement_transition(locked.status, target)
    before_demand = demand.status
    before = snapshot(locked)
    locked.status = target
    if apply is not None:
        apply(locked, now)
    locked.save()
    _follow_engagements(demand)
    record_event(
        demand,
        action=action,
        actor=actor,
        organization=organization,
        from_status=before_demand,
        to_status=demand.status,
        note=note,
        at=now,
    )
    log_event(actor=actor, action=audit_action, obj=locked, before=before, after=snapshot(locked))
    locked.demand = demand
    return demand, locked, organization


def engagement_start_review(*, actor: Any, engagement: DemandResponse, note: Any = "") -> DemandResponse:
    """The institution starts reviewing a demand it took up (taken_up -> under_review).

    Who: the institution of the engagement (financing.review_demand). Raises NotFound, PermissionDenied,
    Conflict (out of order).
    """
    note = _clean_note(note)
    with transaction.atomic():
        _, locked, _ = _change_engagement(
            actor=actor,
            engagement=engagement,
            target=EngagementStatus.UNDER_REVIEW,
            action="review_started",
            audit_action="engagement_start_review",
            note=note,
        )
    return locked


def _clean_product(product: Any, institution: Organization) -> Product | None:
    if product is None or product == "":
        return None
    if not isinstance(product, Product):
        from finbridge.enterprises.selectors import parse_id

        record_id = parse_id(product)
        product = Product.objects.filter(pk=record_id).first() if record_id is not None else None
    allowed = {institution.pk, institution.parent_id}
    if product is None or product.provider_id not in allowed or product.status != ProductStatus.PUBLISHED:
        raise _field_error("product", MSG_BAD_PRODUCT)
    return product


def engagement_approve(
    *,
    actor: Any,
    engagement: DemandResponse,
    amount: Any,
    annual_rate: Any,
    product: Any = None,
    note: Any = "",
) -> DemandResponse:
    """The institution approves the demand under review: amount (at most what the firm asked for), annual
    rate (above 0, at most 0.36 and at most the firm's highest acceptable rate) and optionally one of its
    published products. The firm is told.

    Who: the institution of the engagement (financing.review_demand). Raises NotFound, PermissionDenied,
    ValidationFailed, Conflict (not under review).
    """
    institution = _engagement_for(actor, engagement)
    demand = engagement.demand
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    try:
        if amount is None or amount == "":
            raise _FieldError(MSG_REQUIRED)
        values["amount"] = parse_amount(amount)
        if values["amount"] > demand.amount:
            raise _FieldError(MSG_ABOVE_DEMAND, amount=f"{demand.amount:,}")
    except _FieldError as error:
        errors["amount"] = [error.message]
    try:
        if annual_rate is None or annual_rate == "":
            raise _FieldError(MSG_REQUIRED)
        values["rate"] = parse_rate(annual_rate)
        if demand.max_annual_rate is not None and values["rate"] > demand.max_annual_rate:
            raise _FieldError(MSG_ABOVE_MAX_RATE, rate=str(demand.max_annual_rate))
    except _FieldError as error:
        errors["annual_rate"] = [error.message]
    try:
        values["product"] = _clean_product(product, institution)
    except ValidationFailed as error:
        errors.update(error.fields)
    try:
        values["note"] = _clean_note(note)
    except ValidationFailed as error:
        errors.update(error.fields)
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)

    def apply(locked: DemandResponse, now: datetime.datetime) -> None:
        locked.approved_amount = values["amount"]
        locked.approved_rate = values["rate"]
        locked.product = values["product"]
        locked.decided_at = now
        if values["note"]:
            locked.note = values["note"]

    with transaction.atomic():
        locked_demand, locked, organization = _change_engagement(
            actor=actor,
            engagement=engagement,
            target=EngagementStatus.APPROVED,
            action="approved",
            audit_action="engagement_approve",
            apply=apply,
            note=values["note"],
        )
        _notify_firm(locked_demand, notices.DEMAND_APPROVED, organization)
    return locked


def engagement_decline(*, actor: Any, engagement: DemandResponse, reason: Any, note: Any = "") -> DemandResponse:
    """The institution declines the demand it took up, with a reason from DeclineReason and free text (required
    for "other"). When every take-up is declined the demand is declined and the firm may publish it again.
    The firm is told.

    Who: the institution of the engagement (financing.review_demand). Raises NotFound, PermissionDenied,
    ValidationFailed, Conflict (already decided, disbursed or closed).
    """
    _engagement_for(actor, engagement)
    errors: dict[str, list[str]] = {}
    if not isinstance(reason, str) or reason not in DeclineReason.values:
        errors["reason"] = [str(MSG_BAD_REASON)]
    try:
        note = _clean_note(note)
    except ValidationFailed as error:
        errors.update(error.fields)
        note = ""
    if not errors and reason == DeclineReason.OTHER and not note:
        errors["note"] = [str(MSG_EXPLAIN_OTHER)]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)

    def apply(locked: DemandResponse, now: datetime.datetime) -> None:
        locked.decline_reason = reason
        locked.decline_note = note
        locked.decided_at = now

    with transaction.atomic():
        locked_demand, locked, organization = _change_engagement(
            actor=actor,
            engagement=engagement,
            target=EngagementStatus.DECLINED,
            action="declined",
            audit_action="engagement_decline",
            apply=apply,
            note=note,
        )
        with override("en"):
            reason_text = str(DeclineReason(reason).label)
        _notify_firm(locked_demand, notices.DEMAND_DECLINED, organization, reason=reason_text)
        if locked_demand.status == DemandStatus.DECLINED:
            queue_matching(locked_demand.pk)
    return locked


def _boolean(name: str, value: Any, errors: dict[str, list[str]]) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    errors[name] = [str(MSG_NOT_BOOLEAN)]
    return None


def clean_loan_data(data: Mapping[str, Any], *, engagement: DemandResponse) -> dict[str, Any]:
    """The loan details of a disbursement, parsed: reference and disbursed_on required; amount (default the
    approved amount, never above it), term_months (default the demand's), annual_rate (default the approved
    rate), maturity_on, and the flags. Raises ValidationFailed with every field's messages."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name in data:
        if name not in LOAN_FIELDS:
            errors[name] = [str(MSG_UNKNOWN_FIELD)]
    reference = data.get("reference")
    if not isinstance(reference, str) or not reference.strip():
        errors["reference"] = [str(MSG_REQUIRED)]
    elif len(reference.strip()) > 64:
        errors["reference"] = [str(MSG_NOTE_TOO_LONG) % {"limit": 64, "count": len(reference.strip())}]
    else:
        values["reference"] = reference.strip()
    parsers: dict[str, Any] = {
        "amount": parse_amount,
        "term_months": parse_term,
        "annual_rate": parse_rate,
        "disbursed_on": parse_day,
        "maturity_on": parse_day,
    }
    for name, parser in parsers.items():
        value = data.get(name)
        if value is None or value == "":
            if name == "disbursed_on":
                errors[name] = [str(MSG_REQUIRED)]
            continue
        try:
            values[name] = parser(value)
        except _FieldError as error:
            errors[name] = [error.message]
    if "amount" in values and engagement.approved_amount is not None and values["amount"] > engagement.approved_amount:
        errors["amount"] = [str(MSG_ABOVE_APPROVED) % {"amount": f"{engagement.approved_amount:,}"}]
    for name in ("is_first_time", "is_renewal", "is_renewal_without_repayment", "is_credit"):
        values[name] = _boolean(name, data.get(name), errors)
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)
    values.setdefault("amount", engagement.approved_amount)
    values.setdefault("term_months", engagement.demand.term_months)
    values.setdefault("annual_rate", engagement.approved_rate)
    values.setdefault("maturity_on", None)
    for name in ("is_renewal", "is_renewal_without_repayment", "is_credit"):
        values[name] = bool(values[name])
    return values


def engagement_disburse(*, actor: Any, engagement: DemandResponse, loan: Mapping[str, Any]) -> DemandResponse:
    """The bank has paid out the approved loan: the loan is recorded in the ledger (loans.loan_record, source
    "demand"), the engagement is disbursed, every other running engagement is closed and the demand is
    disbursed. The firm is told. All in one transaction: if the loan cannot be recorded nothing changes.

    `loan`: reference, disbursed_on (required), amount, term_months, annual_rate, maturity_on, is_first_time
    (None: derived), is_renewal, is_renewal_without_repayment, is_credit. Returns the engagement with `.loan`.
    Who: the bank of the engagement (financing.review_demand and financing.record_loan). Raises NotFound,
    PermissionDenied, ValidationFailed, Conflict (not approved; the demand was disbursed by another
    institution; the bank already has a loan with this reference).
    """
    from finbridge.financing.services.loans import loan_record

    institution = _engagement_for(actor, engagement)
    if institution.org_type != OrgType.BANK:
        raise Conflict(MSG_NOT_A_BANK, code="not_a_bank")
    values = clean_loan_data(loan, engagement=engagement)
    with transaction.atomic():
        demand = lock_demand(engagement.demand)
        locked = _lock_engagement(demand, engagement)
        assert_engagement_transition(locked.status, EngagementStatus.DISBURSED)
        assert_demand_transition(demand.status, DemandStatus.DISBURSED)
        locked.demand = demand
        values = clean_loan_data(loan, engagement=locked)
        record = loan_record(
            actor=actor,
            lender=institution,
            borrower=demand.enterprise,
            reference=values["reference"],
            amount=values["amount"],
            disbursed_on=values["disbursed_on"],
            term_months=values["term_months"],
            annual_rate=values["annual_rate"],
            maturity_on=values["maturity_on"],
            is_first_time=values["is_first_time"],
            is_renewal=values["is_renewal"],
            is_renewal_without_repayment=values["is_renewal_without_repayment"],
            is_credit=values["is_credit"],
            demand=demand,
            product=locked.product,
            source=LoanSource.DEMAND,
        )
        now = timezone.now()
        before = snapshot(locked)
        locked.status = EngagementStatus.DISBURSED
        locked.disbursed_at = now
        locked.save()
        close_open_engagements(demand, at=now, reason=notices.CLOSED_FUNDED, keep=locked)
        from_status = demand.status
        _follow_engagements(demand)
        demand.closed_at = now
        demand.save()
        record_event(
            demand,
            action="disbursed",
            actor=actor,
            organization=institution,
            from_status=from_status,
            to_status=demand.status,
            note=values["reference"],
            at=now,
        )
        log_event(actor=actor, action="engagement_disburse", obj=locked, before=before, after=snapshot(locked))
        _notify_firm(demand, notices.DEMAND_DISBURSED, institution)
        queue_matching(demand.pk)
    locked.loan = record
    return locked


__all__ = [
    "acting_institution",
    "clean_loan_data",
    "demand_pass",
    "demand_take_up",
    "derived_status",
    "engagement_approve",
    "engagement_decline",
    "engagement_disburse",
    "engagement_start_review",
]
