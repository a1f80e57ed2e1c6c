"""Financing of confirmed receivables and voucher parts: the creditor's (or holder's) request to the funders it
chooses, each funder's offer or refusal, the acceptance that registers the pledge or transfer, withdrawal and
expiry.

Who: the requester — a member with supplychain.trade of the creditor of the receivables or holder of the parts —
creates, withdraws and accepts; each chosen funder — a member with supplychain.fund of that bank — answers.
Locks follow the app's one order (registration.lock_request: receivables, voucher parts, request, offers), each
write is one transaction, audited, with notifications written in it and e-mails sent on commit. Bad input
raises ValidationFailed and changes nothing; state clashes raise Conflict with a stable code.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.accounts.models import Organization
from finbridge.audit.services import log_event, snapshot
from finbridge.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from finbridge.core.money import AMOUNT_MAX, quantize_amount, quantize_rate, to_decimal
from finbridge.core.workdays import add_workdays
from finbridge.supplychain import notices
from finbridge.supplychain import permissions as perms
from finbridge.supplychain.choices import (
    FinancingRequestStatus,
    OfferStatus,
    ReceivableStatus,
    RegistrationKind,
    VoucherStatus,
)
from finbridge.supplychain.models import (
    FinancingOffer,
    FinancingRequest,
    FinancingRequestItem,
    Receivable,
    Registration,
    Voucher,
)
from finbridge.supplychain.selectors._common import parse_pk, trade_scope
from finbridge.supplychain.services._common import (
    FIRM_TYPES,
    FUNDER_TYPES,
    REQUEST_URL,
    FieldError,
    FieldErrors,
    acting_organization,
    amount_param,
    blank,
    link_to,
    member_organization,
    parse_date,
    parse_money,
    parse_rate,
    parse_text,
)
from finbridge.supplychain.services.confirmation import invoice_label
from finbridge.supplychain.services.registration import (
    lock_assets,
    lock_request,
    notify_registered,
    registrations_create,
)
from finbridge.supplychain.transitions import assert_transition

RESPOND_WORKING_DAYS = 5
MAX_FUNDERS = 20
MAX_ITEMS = 500
MAX_TERM_DAYS = 3650
# Offers still waiting for the requester's decision, or for the funder's answer.
OPEN_OFFER_STATUSES = (OfferStatus.PENDING, OfferStatus.OFFERED)

MSG_CHOOSE_FUNDERS = _("Choose at least one funder.")
MSG_TOO_MANY_FUNDERS = _("Choose at most %(limit)s funders.")
MSG_NOT_A_FUNDER = _("%(value)s is not a bank on the platform.")
MSG_CHOOSE_ASSETS = _("Choose at least one confirmed receivable or voucher part.")
MSG_TOO_MANY_ITEMS = _("At most %(limit)s receivables or parts can be financed in one request.")
MSG_BAD_ID = _("%(value)s is not a valid number.")
MSG_NOT_YOURS = _("Receivable %(what)s is not yours to finance.")
MSG_PART_NOT_YOURS = _("Voucher part %(what)s is not yours to finance.")
MSG_NOT_CONFIRMED = _("Receivable %(what)s is not confirmed by its debtor yet.")
MSG_DISPUTED = _("Receivable %(what)s is disputed by its debtor.")
MSG_ALREADY_FINANCED = _("%(what)s is already financed.")
MSG_IN_OPEN_REQUEST = _("%(what)s is already in an open financing request.")
MSG_VOUCHER_ISSUED = _("Receivable %(what)s was issued as a payment voucher: finance the voucher parts instead.")
MSG_PART_NOT_HELD = _("Voucher part %(what)s was split or passed on; finance the parts you hold.")
MSG_OVERDUE = _("%(what)s is overdue or due before today and cannot be financed.")
MSG_CLOSED_ASSET = _("%(what)s is “%(status)s” and cannot be financed.")
MSG_AMOUNT_EXCEEDS_FACE = _("The amount requested cannot be more than the face amount of %(face)s.")
MSG_RESPOND_BY_PAST = _("The answer date cannot be in the past.")
MSG_RESPOND_BY_AFTER_DUE = _("The answer date must be before the earliest due date, %(date)s.")
MSG_REQUEST_CLOSED = _("This financing request is “%(status)s”: it takes no more answers or decisions.")
MSG_REQUEST_EXPIRED = _("Answers to this financing request were due by %(date)s.")
MSG_ONLY_REQUESTER = _("Only the organisation that sent this financing request can do this.")
MSG_ONLY_FUNDER = _("Only the funder this request was sent to can answer it.")
MSG_AMOUNT_OR_RATIO = _("Give the amount advanced or the advance ratio.")
MSG_AMOUNT_RATIO_MISMATCH = _(
    "The amount advanced does not match the advance ratio: %(ratio)s of %(face)s is %(amount)s."
)
MSG_OFFER_EXCEEDS = _("The amount advanced cannot be more than the face amount of %(face)s.")
MSG_RATIO_RANGE = _("Enter an advance ratio above 0 and at most 1, such as 0.8 for 80%.")
MSG_TERM = _("Enter a term of 1 to %(max)s days.")
MSG_FEES = _("Enter the fees in CNY, 0 or more.")
MSG_KIND = _("Choose pledge or transfer.")
MSG_REASON_REQUIRED = _("Say why you decline.")
MSG_REQUIRED = _("This field is required.")
MSG_UNKNOWN_FIELD = _("Unknown field.")
OFFER_FIELDS = ("advance_amount", "advance_ratio", "annual_rate", "fees", "term_days", "registration_kind", "note")


# ---- input ----------------------------------------------------------------------------------------------------


def _ids(values: Any, field_name: str, errors: FieldErrors) -> list[int]:
    if values is None:
        return []
    if isinstance(values, (str, bytes, int)) or not isinstance(values, Iterable):
        values = [values]
    result: list[int] = []
    for value in values:
        try:
            if isinstance(value, bool):
                raise ValueError(value)
            number = int(value.pk if isinstance(value, Organization) else value)
            if number <= 0:
                raise ValueError(value)
        except (TypeError, ValueError, AttributeError):
            errors.add(field_name, str(MSG_BAD_ID) % {"value": str(value)[:40]})
            continue
        if number not in result:
            result.append(number)
    return result


def _funders(funder_ids: list[int], requester: Organization, errors: FieldErrors) -> list[Organization]:
    if not funder_ids:
        errors.add("funder_ids", MSG_CHOOSE_FUNDERS)
        return []
    if len(funder_ids) > MAX_FUNDERS:
        errors.add("funder_ids", str(MSG_TOO_MANY_FUNDERS) % {"limit": MAX_FUNDERS})
        return []
    found = Organization.objects.in_bulk(funder_ids)
    funders = []
    for pk in funder_ids:
        org = found.get(pk)
        if org is None or not org.is_active or org.org_type not in FUNDER_TYPES:
            errors.add("funder_ids", str(MSG_NOT_A_FUNDER) % {"value": pk}, code="not_a_funder")
        else:
            funders.append(org)
    return funders


# ---- checks on what is offered --------------------------------------------------------------------------------


def _receivable_problem(
    receivable: Receivable, requester: Organization, actor: Any, today: datetime.date
) -> tuple[str, Any] | None:
    """(code, message) of why the requester cannot put this receivable in a request, or None."""
    from finbridge.supplychain.selectors.receivables import receivable_is_visible

    what = invoice_label(receivable)
    if receivable.creditor_id != requester.pk:
        if not receivable_is_visible(actor=actor, receivable=receivable):
            return "not_found", str(NotFound.default_message)
        return "not_creditor", str(MSG_NOT_YOURS) % {"what": what}
    problems = {
        ReceivableStatus.PENDING: ("not_confirmed", MSG_NOT_CONFIRMED),
        ReceivableStatus.DISPUTED: ("disputed", MSG_DISPUTED),
        ReceivableStatus.FINANCED: ("already_financed", MSG_ALREADY_FINANCED),
        ReceivableStatus.FINANCING_REQUESTED: ("in_open_request", MSG_IN_OPEN_REQUEST),
        ReceivableStatus.VOUCHER_ISSUED: ("voucher_issued", MSG_VOUCHER_ISSUED),
    }
    if receivable.status in problems:
        code, message = problems[receivable.status]
        return code, str(message) % {"what": what}
    if receivable.status != ReceivableStatus.CONFIRMED:
        return "invalid_transition", str(MSG_CLOSED_ASSET) % {"what": what, "status": receivable.get_status_display()}
    if receivable.is_overdue or receivable.due_on < today:
        return "overdue", str(MSG_OVERDUE) % {"what": what}
    return None


def _voucher_problem(
    voucher: Voucher, root: Receivable, requester: Organization, today: datetime.date
) -> tuple[str, Any] | None:
    """(code, message) of why the requester cannot put this voucher part in a request, or None."""
    what = voucher.number
    if voucher.holder_id != requester.pk:
        return "not_holder", str(MSG_PART_NOT_YOURS) % {"what": what}
    problems = {
        VoucherStatus.SPLIT: ("voucher_not_held", MSG_PART_NOT_HELD),
        VoucherStatus.FINANCED: ("already_financed", MSG_ALREADY_FINANCED),
        VoucherStatus.FINANCING_REQUESTED: ("in_open_request", MSG_IN_OPEN_REQUEST),
    }
    if voucher.status in problems:
        code, message = problems[voucher.status]
        return code, str(message) % {"what": what}
    if voucher.status != VoucherStatus.HELD:
        return "invalid_transition", str(MSG_CLOSED_ASSET) % {"what": what, "status": voucher.get_status_display()}
    if root.is_overdue or root.due_on < today:
        return "overdue", str(MSG_OVERDUE) % {"what": what}
    return None


def _raise_problems(problems: list[tuple[str, str, str]]) -> None:
    """Raise one error for every problem found: NotFound if only hidden records, else Conflict with the first
    problem's code and every message under its field."""
    if not problems:
        return
    if all(code == "not_found" for code, _f, _m in problems):
        raise NotFound()
    fields: dict[str, list[str]] = {}
    for _code, field_name, message in problems:
        fields.setdefault(field_name, []).append(message)
    code, _field, message = next(p for p in problems if p[0] != "not_found")
    if code in ("not_creditor", "not_holder"):
        raise PermissionDenied(message, code=code, fields=fields)
    raise Conflict(message, code=code, fields=fields)


# ---- request --------------------------------------------------------------------------------------------------


def financing_request_create(
    *,
    actor: Any,
    funder_ids: Any,
    receivable_ids: Any = (),
    voucher_ids: Any = (),
    amount_requested: Any = None,
    note: Any = "",
    respond_by: Any = None,
    organization: Any = None,
) -> FinancingRequest:
    """Send a financing request on confirmed receivables and/or held voucher parts to the chosen funders; each
    gets a pending offer to answer by `respond_by` (default: 5 working days; not after the earliest due date).
    The receivables and parts become "financing requested" until the request is decided.

    Who: a member with supplychain.trade of the creditor / holder (`organization` chooses it when the actor
    has several). Raises PermissionDenied ("not_creditor", "not_holder"), NotFound, ValidationFailed
    ("not_a_funder", "validation_failed"), Conflict ("not_confirmed", "disputed", "already_financed",
    "in_open_request", "voucher_issued", "voucher_not_held", "overdue").
    """
    requester = acting_organization(actor=actor, code=perms.TRADE, org_types=FIRM_TYPES, organization=organization)
    errors = FieldErrors()
    funders = _funders(_ids(funder_ids, "funder_ids", errors), requester, errors)
    receivable_list = _ids(receivable_ids, "receivable_ids", errors)
    voucher_list = _ids(voucher_ids, "voucher_ids", errors)
    if not receivable_list and not voucher_list and "receivable_ids" not in errors.fields:
        errors.add("receivable_ids", MSG_CHOOSE_ASSETS)
    if len(receivable_list) + len(voucher_list) > MAX_ITEMS:
        errors.add("receivable_ids", str(MSG_TOO_MANY_ITEMS) % {"limit": MAX_ITEMS})
    requested = None if blank(amount_requested) else errors.parse("amount_requested", parse_money, amount_requested)
    note_text = errors.parse("note", parse_text(2000), note)
    answer_by = None if blank(respond_by) else errors.parse("respond_by", parse_date, respond_by)
    errors.raise_if_any()
    today = timezone.localdate()
    with transaction.atomic():
        receivables, vouchers = lock_assets(receivable_ids=receivable_list, voucher_ids=voucher_list)
        problems: list[tuple[str, str, str]] = []
        for pk in receivable_list:
            found = receivables.get(pk)
            problem = ("not_found", "", "") if found is None else _receivable_problem(found, requester, actor, today)
            if problem:
                problems.append((problem[0], "receivable_ids", problem[1]))
        for pk in voucher_list:
            part = vouchers.get(pk)
            if part is None or not _voucher_visible(actor, part):
                problems.append(("not_found", "voucher_ids", ""))
                continue
            problem = _voucher_problem(part, receivables[part.receivable_id], requester, today)
            if problem:
                problems.append((problem[0], "voucher_ids", problem[1]))
        _raise_problems(problems)
        assets: list[Receivable | Voucher] = [receivables[pk] for pk in receivable_list] + [
            vouchers[pk] for pk in voucher_list
        ]
        face = sum((a.amount for a in assets), Decimal("0"))
        earliest_due = min(receivables[a.receivable_id].due_on if isinstance(a, Voucher) else a.due_on for a in assets)
        answer_by = _answer_by(answer_by, today, earliest_due, errors)
        if requested is not None and requested > face:
            errors.add(
                "amount_requested",
                str(MSG_AMOUNT_EXCEEDS_FACE) % {"face": amount_param(face)},
                code="amount_exceeds_face",
            )
        errors.raise_if_any()
        now = timezone.now()
        request = FinancingRequest.objects.create(
            requester=requester,
            face_amount=face,
            amount_requested=requested if requested is not None else face,
            note=note_text or "",
            respond_by=answer_by,
            created_by=actor,
            created_at=now,
        )
        FinancingRequestItem.objects.bulk_create(
            [
                FinancingRequestItem(
                    request=request,
                    receivable=None if isinstance(a, Voucher) else a,
                    voucher=a if isinstance(a, Voucher) else None,
                    amount=a.amount,
                )
                for a in assets
            ]
        )
        FinancingOffer.objects.bulk_create([FinancingOffer(request=request, funder=f, created_at=now) for f in funders])
        _set_status(assets, ReceivableStatus.FINANCING_REQUESTED, VoucherStatus.FINANCING_REQUESTED, now)
        log_event(
            actor=actor,
            action="financing_request_create",
            obj=request,
            after={
                **snapshot(request),
                "receivables": receivable_list,
                "vouchers": voucher_list,
                "funders": [f.pk for f in funders],
            },
        )
        _notify(
            request,
            funders,
            notices.FINANCING_REQUESTED,
            requester=requester.name,
            amount=amount_param(request.amount_requested),
            due=answer_by.isoformat(),
        )
    return request


def _voucher_visible(actor: Any, voucher: Voucher) -> bool:
    from finbridge.supplychain.selectors.vouchers import voucher_is_visible

    return voucher_is_visible(actor=actor, voucher=voucher)


def _answer_by(
    value: datetime.date | None, today: datetime.date, earliest_due: datetime.date, errors: FieldErrors
) -> datetime.date:
    latest = earliest_due - datetime.timedelta(days=1)
    if value is None:
        return max(today, min(add_workdays(today, RESPOND_WORKING_DAYS), latest))
    if value < today:
        errors.add("respond_by", MSG_RESPOND_BY_PAST)
    elif value > latest and value > today:
        errors.add("respond_by", str(MSG_RESPOND_BY_AFTER_DUE) % {"date": earliest_due.isoformat()})
    return value


def _set_status(assets: Iterable[Receivable | Voucher], receivable_status: str, voucher_status: str, now: Any) -> None:
    """Move locked receivables and voucher parts to their new status (checked against the tables)."""
    for asset in assets:
        if isinstance(asset, Voucher):
            assert_transition(VoucherStatus, asset.status, voucher_status)
            asset.status = voucher_status
        else:
            assert_transition(ReceivableStatus, asset.status, receivable_status)
            asset.status = receivable_status
        asset.updated_at = now
        asset.save(update_fields=["status", "updated_at"])


def _notify(about: FinancingRequest, organizations: Iterable[Organization], kind: str, /, **params: Any) -> None:
    """Notify the organisations about a request (the notification links to the request's page)."""
    from finbridge.notifications.services import notify_organizations

    notify_organizations(
        organizations=list(organizations),
        kind=kind,
        params={k: str(v) for k, v in params.items()},
        link=link_to(REQUEST_URL, about.pk),
    )


def _request_assets(
    items: list[FinancingRequestItem], receivables: dict[int, Receivable], vouchers: dict[int, Voucher]
) -> list[Receivable | Voucher]:
    return [vouchers[i.voucher_id] if i.voucher_id else receivables[i.receivable_id] for i in items]


def _assert_open(request: FinancingRequest, today: datetime.date | None = None) -> None:
    if request.status != FinancingRequestStatus.OPEN:
        raise Conflict(MSG_REQUEST_CLOSED, code="request_closed", params={"status": request.get_status_display()})
    if today is not None and request.respond_by < today:
        raise Conflict(MSG_REQUEST_EXPIRED, code="request_closed", params={"date": request.respond_by.isoformat()})


def close_request(
    request: FinancingRequest,
    items: list[FinancingRequestItem],
    receivables: dict[int, Receivable],
    vouchers: dict[int, Voucher],
    *,
    status: str,
    actor: Any,
    now: Any,
) -> list[FinancingOffer]:
    """Close a locked open request as `status` (withdrawn or closed): its open offers close, and what it offered
    that is still "financing requested" goes back to confirmed / held. Returns the offers closed."""
    assert_transition(FinancingRequestStatus, request.status, status)
    request.status = status
    request.decided_at = now
    request.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    request.save(update_fields=["status", "decided_at", "decided_by"])
    offers = list(
        FinancingOffer.objects.select_for_update()
        .filter(request=request, status__in=OPEN_OFFER_STATUSES)
        .order_by("pk")
    )
    for offer in offers:
        offer.status = OfferStatus.CLOSED
        offer.decided_at = now
        offer.save(update_fields=["status", "decided_at"])
    waiting = [
        a
        for a in _request_assets(items, receivables, vouchers)
        if a.status in (ReceivableStatus.FINANCING_REQUESTED, VoucherStatus.FINANCING_REQUESTED)
    ]
    _set_status(waiting, ReceivableStatus.CONFIRMED, VoucherStatus.HELD, now)
    log_event(
        actor=actor,
        action=f"financing_request_{status}",
        obj=request,
        before={"status": FinancingRequestStatus.OPEN},
        after={"status": status, "offers_closed": [o.pk for o in offers]},
    )
    return offers


def _requester_request(actor: Any, pk: Any) -> tuple[FinancingRequest, list[FinancingRequestItem], dict, dict]:
    """Lock a request the actor may decide on as its requester; NotFound / PermissionDenied otherwise."""
    request, items, receivables, vouchers = lock_request(pk)
    if member_organization(actor, perms.TRADE, [request.requester_id]) is None:
        if _request_visible(actor, request):
            raise PermissionDenied(MSG_ONLY_REQUESTER, code="not_requester")
        raise NotFound()
    return request, items, receivables, vouchers


def _request_visible(actor: Any, request: FinancingRequest) -> bool:
    scope = trade_scope(actor)
    if scope.sees_all or request.requester_id in scope.org_ids:
        return True
    return FinancingOffer.objects.filter(request=request, funder_id__in=scope.org_ids).exists()


def financing_request_withdraw(*, actor: Any, pk: Any) -> FinancingRequest:
    """Withdraw an open financing request: its open offers close, the receivables and parts go back to
    confirmed / held, and the funders are told.

    Who: a member of the requester with supplychain.trade. Raises NotFound, PermissionDenied "not_requester",
    Conflict "request_closed".
    """
    with transaction.atomic():
        request, items, receivables, vouchers = _requester_request(actor, pk)
        _assert_open(request)
        offers = close_request(
            request,
            items,
            receivables,
            vouchers,
            status=FinancingRequestStatus.WITHDRAWN,
            actor=actor,
            now=timezone.now(),
        )
        _notify(
            request,
            Organization.objects.filter(pk__in=[o.funder_id for o in offers]),
            notices.OFFER_CLOSED,
            request=request.pk,
            requester=request.requester.name,
        )
    return request


def financing_requests_close_expired(*, today: datetime.date | None = None) -> int:
    """Close every open request whose answer date has passed without an accepted offer; the requester and the
    funders still waiting are told. Returns how many were closed.

    Who: the daily task (the system). Raises nothing.
    """
    today = today or timezone.localdate()
    ids = list(
        FinancingRequest.objects.filter(status=FinancingRequestStatus.OPEN, respond_by__lt=today)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    closed = 0
    for request_id in ids:
        with transaction.atomic():
            request, items, receivables, vouchers = lock_request(request_id)
            if request.status != FinancingRequestStatus.OPEN or request.respond_by >= today:
                continue
            offers = close_request(
                request,
                items,
                receivables,
                vouchers,
                status=FinancingRequestStatus.CLOSED,
                actor=None,
                now=timezone.now(),
            )
            _notify(
                request,
                [request.requester],
                notices.REQUEST_EXPIRED,
                request=request.pk,
                due=request.respond_by.isoformat(),
            )
            _notify(
                request,
                Organization.objects.filter(pk__in=[o.funder_id for o in offers]),
                notices.OFFER_CLOSED,
                request=request.pk,
                requester=request.requester.name,
            )
            closed += 1
    return closed


# ---- offers ---------------------------------------------------------------------------------------------------


def _funder_offer(actor: Any, pk: Any) -> tuple[FinancingOffer, FinancingRequest, list, dict, dict]:
    """Lock an offer the actor answers for its funder, after its request and assets."""
    peek = FinancingOffer.objects.filter(pk=parse_pk(pk)).only("pk", "request_id", "funder_id").first()
    if peek is None:
        raise NotFound()
    request, items, receivables, vouchers = lock_request(peek.request_id)
    offer = FinancingOffer.objects.select_for_update().get(pk=peek.pk)
    if member_organization(actor, perms.FUND, [offer.funder_id]) is None:
        scope = trade_scope(actor)
        if scope.sees_all or offer.funder_id in scope.org_ids or request.requester_id in scope.org_ids:
            raise PermissionDenied(MSG_ONLY_FUNDER, code="not_funder")
        raise NotFound()
    return offer, request, items, receivables, vouchers


def _parse_offer(data: Mapping[str, Any], face: Decimal) -> dict[str, Any]:
    errors = FieldErrors()
    if not isinstance(data, Mapping):
        raise ValidationFailed()
    for name in data:
        if name not in OFFER_FIELDS:
            errors.add(name, MSG_UNKNOWN_FIELD)
    amount = (
        None
        if blank(data.get("advance_amount"))
        else errors.parse("advance_amount", parse_money, data.get("advance_amount"))
    )
    ratio = (
        None
        if blank(data.get("advance_ratio"))
        else errors.parse("advance_ratio", _parse_ratio, data.get("advance_ratio"))
    )
    if blank(data.get("advance_amount")) and blank(data.get("advance_ratio")):
        errors.add("advance_amount", MSG_AMOUNT_OR_RATIO)
    values: dict[str, Any] = {}
    for name, parser in (("annual_rate", parse_rate), ("term_days", _parse_term), ("registration_kind", _parse_kind)):
        if blank(data.get(name)):
            errors.add(name, MSG_REQUIRED)
        else:
            values[name] = errors.parse(name, parser, data.get(name))
    values["fees"] = Decimal("0.00") if blank(data.get("fees")) else errors.parse("fees", _parse_fees, data.get("fees"))
    values["note"] = errors.parse("note", parse_text(2000), data.get("note")) or ""
    if amount is not None and ratio is not None and quantize_amount(face * ratio) != amount:
        message = str(MSG_AMOUNT_RATIO_MISMATCH) % {
            "ratio": ratio.normalize(),
            "face": amount_param(face),
            "amount": amount_param(quantize_amount(face * ratio)),
        }
        errors.add("advance_amount", message, code="amount_mismatch")
    if amount is not None and amount > face:
        errors.add("advance_amount", str(MSG_OFFER_EXCEEDS) % {"face": amount_param(face)}, code="offer_amount_exceeds")
    errors.raise_if_any()
    if amount is None:
        amount = quantize_amount(face * ratio)
    if ratio is None:
        ratio = quantize_rate(amount / face)
    return {"advance_amount": amount, "advance_ratio": ratio, **values}


def _parse_ratio(value: Any) -> Decimal:
    try:
        ratio = to_decimal(value)
    except ValueError:
        raise FieldError(MSG_RATIO_RANGE) from None
    if ratio <= 0 or ratio > 1 or ratio != ratio.quantize(Decimal("0.000001")):
        raise FieldError(MSG_RATIO_RANGE)
    return quantize_rate(ratio)


def _parse_term(value: Any) -> int:
    try:
        if isinstance(value, bool):
            raise ValueError(value)
        term = int(str(value).strip())
    except (TypeError, ValueError):
        raise FieldError(MSG_TERM, max=MAX_TERM_DAYS) from None
    if not 1 <= term <= MAX_TERM_DAYS:
        raise FieldError(MSG_TERM, max=MAX_TERM_DAYS)
    return term


def _parse_fees(value: Any) -> Decimal:
    try:
        fees = to_decimal(value)
    except ValueError:
        raise FieldError(MSG_FEES) from None
    if fees < 0 or fees > AMOUNT_MAX or fees != fees.quantize(Decimal("0.01")):
        raise FieldError(MSG_FEES)
    return fees


def _parse_kind(value: Any) -> str:
    if value not in RegistrationKind.values:
        raise FieldError(MSG_KIND)
    return value


def financing_offer_make(*, actor: Any, pk: Any, data: Mapping[str, Any]) -> FinancingOffer:
    """Answer a financing request with an offer (or revise one's offer while the request is open): the amount
    advanced or the advance ratio (the other is derived; both must agree when both are given), annual rate,
    fees, term in days and registration kind (pledge or transfer). The requester is told.

    Who: a member with supplychain.fund of the funder the request was sent to. Raises NotFound,
    PermissionDenied "not_funder", Conflict "request_closed" / "invalid_transition", ValidationFailed
    ("amount_mismatch", "offer_amount_exceeds", "validation_failed").
    """
    with transaction.atomic():
        offer, request, _items, _r, _v = _funder_offer(actor, pk)
        _assert_open(request, timezone.localdate())
        assert_transition(OfferStatus, offer.status, OfferStatus.OFFERED)
        values = _parse_offer(data, request.face_amount)
        before = snapshot(offer)
        for name, value in values.items():
            setattr(offer, name, value)
        offer.status = OfferStatus.OFFERED
        offer.answered_by = actor
        offer.answered_at = timezone.now()
        offer.save()
        log_event(actor=actor, action="financing_offer_make", obj=offer, before=before, after=snapshot(offer))
        _notify(
            request,
            [request.requester],
            notices.OFFER_MADE,
            funder=offer.funder.name,
            amount=amount_param(offer.advance_amount),
            request=request.pk,
        )
    return offer


def financing_offer_refuse(*, actor: Any, pk: Any, reason: Any) -> FinancingOffer:
    """Decline a financing request (before or after making an offer), with a reason; the requester is told. When
    every funder has declined or withdrawn, the request closes and what it offered is free again.

    Who: a member with supplychain.fund of the funder. Raises NotFound, PermissionDenied "not_funder",
    Conflict "request_closed" / "invalid_transition", ValidationFailed (no reason).
    """
    errors = FieldErrors()
    text = errors.parse("reason", parse_text(2000), reason)
    if not text and "reason" not in errors.fields:
        errors.add("reason", MSG_REASON_REQUIRED)
    with transaction.atomic():
        offer, request, items, receivables, vouchers = _funder_offer(actor, pk)
        errors.raise_if_any()
        _assert_open(request)
        assert_transition(OfferStatus, offer.status, OfferStatus.REFUSED)
        before = snapshot(offer)
        offer.status = OfferStatus.REFUSED
        offer.refusal_reason = text
        offer.answered_by = actor
        offer.answered_at = timezone.now()
        offer.save()
        log_event(actor=actor, action="financing_offer_refuse", obj=offer, before=before, after=snapshot(offer))
        _notify(request, [request.requester], notices.OFFER_REFUSED, funder=offer.funder.name, request=request.pk)
        _close_if_unanswerable(request, items, receivables, vouchers, actor)
    return offer


def financing_offer_withdraw(*, actor: Any, pk: Any) -> FinancingOffer:
    """Withdraw one's offer before the requester accepts it; the requester is told. When no funder is left, the
    request closes.

    Who: a member with supplychain.fund of the funder. Raises NotFound, PermissionDenied "not_funder",
    Conflict "request_closed" / "invalid_transition".
    """
    with transaction.atomic():
        offer, request, items, receivables, vouchers = _funder_offer(actor, pk)
        _assert_open(request)
        assert_transition(OfferStatus, offer.status, OfferStatus.WITHDRAWN)
        offer.status = OfferStatus.WITHDRAWN
        offer.decided_at = timezone.now()
        offer.save(update_fields=["status", "decided_at"])
        log_event(
            actor=actor,
            action="financing_offer_withdraw",
            obj=offer,
            before={"status": OfferStatus.OFFERED},
            after={"status": OfferStatus.WITHDRAWN},
        )
        _notify(request, [request.requester], notices.OFFER_WITHDRAWN, funder=offer.funder.name, request=request.pk)
        _close_if_unanswerable(request, items, receivables, vouchers, actor)
    return offer


def _close_if_unanswerable(
    request: FinancingRequest, items: list, receivables: dict, vouchers: dict, actor: Any
) -> None:
    if not FinancingOffer.objects.filter(request=request, status__in=OPEN_OFFER_STATUSES).exists():
        close_request(
            request, items, receivables, vouchers, status=FinancingRequestStatus.CLOSED, actor=actor, now=timezone.now()
        )


def financing_offer_accept(*, actor: Any, pk: Any) -> list[Registration]:
    """Accept one offer: registers the offer's pledge or transfer on every receivable and voucher part of the
    request (the first registration wins), marks them financed, closes the other offers, and tells the funder,
    the other funders and each debtor (who must now pay the funder). Returns the registrations.

    Who: a member of the requester with supplychain.trade. Raises NotFound, PermissionDenied "not_requester",
    Conflict ("request_closed", "offer_not_open", "already_financed", "already_registered", "overdue").
    """
    peek = FinancingOffer.objects.filter(pk=parse_pk(pk)).only("pk", "request_id").first()
    if peek is None:
        raise NotFound()
    with transaction.atomic():
        request, items, receivables, vouchers = _requester_request(actor, peek.request_id)
        _assert_open(request, timezone.localdate())
        offers = list(FinancingOffer.objects.select_for_update().filter(request=request).order_by("pk"))
        offer = next(o for o in offers if o.pk == peek.pk)
        if offer.status != OfferStatus.OFFERED:
            raise Conflict(
                _("This offer is “%(status)s”; only an offer made can be accepted."),
                code="offer_not_open",
                params={"status": offer.get_status_display()},
            )
        registrations = registrations_create(
            actor=actor, offer=offer, request=request, items=items, receivables=receivables, vouchers=vouchers
        )
        now = timezone.now()
        offer.status = OfferStatus.ACCEPTED
        offer.decided_at = now
        offer.save(update_fields=["status", "decided_at"])
        others = [o for o in offers if o.pk != offer.pk and o.status in OPEN_OFFER_STATUSES]
        for other in others:
            other.status = OfferStatus.CLOSED
            other.decided_at = now
            other.save(update_fields=["status", "decided_at"])
        assert_transition(FinancingRequestStatus, request.status, FinancingRequestStatus.ACCEPTED)
        request.status = FinancingRequestStatus.ACCEPTED
        request.decided_at = now
        request.decided_by = actor
        request.save(update_fields=["status", "decided_at", "decided_by"])
        log_event(
            actor=actor,
            action="financing_offer_accept",
            obj=offer,
            before={"status": OfferStatus.OFFERED},
            after={
                "status": OfferStatus.ACCEPTED,
                "registrations": [r.number for r in registrations],
                "offers_closed": [o.pk for o in others],
            },
        )
        _notify(
            request,
            [offer.funder],
            notices.OFFER_ACCEPTED,
            requester=request.requester.name,
            amount=amount_param(offer.advance_amount),
        )
        _notify(
            request,
            Organization.objects.filter(pk__in=[o.funder_id for o in others]),
            notices.OFFER_CLOSED,
            request=request.pk,
            requester=request.requester.name,
        )
        notify_registered(registrations)
    return registrations
