"""The debtor's confirmation or dispute of receivables, singly or in bulk.

Confirmation is irrevocable: it records who confirmed, when, and exactly what — the canonical content of the
receivable (parties, invoice, amount, dates, contract reference, document hashes) and its SHA-256 fingerprint —
in a ReceivableConfirmation that is never changed. A debtor's own upload of a payable is confirmed the same
way (method "debtor_upload"). Bulk confirmation is set-based: one transaction and a handful of queries,
however many receivables; it confirms all of them or, if any cannot be confirmed, none.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from itertools import islice
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.accounts.models import Organization
from finbridge.audit.models import AuditEvent
from finbridge.audit.services import build_event, log_event
from finbridge.core.errors import Conflict, ValidationFailed
from finbridge.supplychain import notices
from finbridge.supplychain import permissions as perms
from finbridge.supplychain.choices import ConfirmationMethod, ReceivableStatus
from finbridge.supplychain.models import Receivable, ReceivableConfirmation, ReceivableDocument
from finbridge.supplychain.services._common import (
    FIRM_TYPES,
    RECEIVABLE_URL,
    FieldErrors,
    acting_organization,
    amount_param,
    link_to,
    lock_receivable,
    parse_text,
)
from finbridge.supplychain.transitions import assert_status, assert_transition

CONTENT_VERSION = 1
BULK_LIMIT = 50_000
CHUNK = 2_000
REPORT_LIMIT = 200

MSG_CONTENT_CHANGED = _("The receivable changed since you opened it; check it again before confirming.")
MSG_NO_IDS = _("Choose at least one receivable.")
MSG_TOO_MANY = _("At most %(limit)s receivables can be confirmed at once.")
MSG_BAD_ID = _("%(value)s is not a receivable number.")
MSG_BULK_REJECTED = _("%(count)s of the chosen receivables cannot be confirmed; nothing was confirmed.")
MSG_ROW_NOT_FOUND = _("Receivable %(id)s: not found.")
MSG_ROW_NOT_DEBTOR = _("Receivable %(id)s: only its debtor can confirm it.")
MSG_ROW_STATUS = _("Receivable %(id)s: it is “%(status)s”, not pending confirmation.")
MSG_REASON_REQUIRED = _("Say why you dispute this receivable.")


# ---- content and fingerprint ----------------------------------------------------------------------------


def content_of(
    *,
    creditor_id: int,
    debtor_id: int,
    invoice_code: str,
    invoice_number: str,
    amount: Decimal,
    issued_on: Any,
    due_on: Any,
    contract_reference: str,
    document_hashes: Iterable[str],
) -> dict[str, Any]:
    """The canonical content a confirmation covers (JSON-safe, stable)."""
    return {
        "v": CONTENT_VERSION,
        "creditor": creditor_id,
        "debtor": debtor_id,
        "invoice_code": invoice_code,
        "invoice_number": invoice_number,
        "amount": f"{Decimal(amount):.2f}",
        "issued_on": issued_on.isoformat(),
        "due_on": due_on.isoformat(),
        "contract_reference": contract_reference,
        "documents": sorted(document_hashes),
    }


def receivable_content(receivable: Receivable) -> dict[str, Any]:
    """The canonical content of a receivable as it stands (reads its document hashes)."""
    hashes = ReceivableDocument.objects.filter(receivable_id=receivable.pk).values_list("sha256", flat=True)
    return content_of(
        creditor_id=receivable.creditor_id,
        debtor_id=receivable.debtor_id,
        invoice_code=receivable.invoice_code,
        invoice_number=receivable.invoice_number,
        amount=receivable.amount,
        issued_on=receivable.issued_on,
        due_on=receivable.due_on,
        contract_reference=receivable.contract_reference,
        document_hashes=list(hashes),
    )


def fingerprint_of(content: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of `content`: sorted keys, no spaces, UTF-8."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def receivable_fingerprint(receivable: Receivable) -> str:
    """The fingerprint of the receivable's current content (what a debtor would confirm now)."""
    return fingerprint_of(receivable_content(receivable))


def confirmation_record(
    *, receivable: Receivable, organization: Organization, actor: Any, method: str, at: Any
) -> ReceivableConfirmation:
    """Write the confirmation of a receivable already saved (used by receivable_confirm and payable_create)."""
    content = receivable_content(receivable)
    return ReceivableConfirmation.objects.create(
        receivable=receivable,
        method=method,
        organization=organization,
        confirmed_by=actor if getattr(actor, "is_authenticated", False) else None,
        confirmed_by_name=_name(actor),
        confirmed_at=at,
        content=content,
        fingerprint=fingerprint_of(content),
    )


def _name(actor: Any) -> str:
    if not getattr(actor, "is_authenticated", False):
        return "system"
    return (str(actor) or actor.get_username())[:150]


# ---- single ---------------------------------------------------------------------------------------------


def receivable_confirm(*, actor: Any, pk: Any, fingerprint: str | None = None) -> ReceivableConfirmation:
    """Confirm one receivable as its debtor. `fingerprint`, when given, must be the fingerprint of the content
    the debtor saw (receivable_fingerprint), so a receivable corrected meanwhile is not confirmed blind.

    Who: a member of the debtor organisation with supplychain.trade. Raises NotFound (cannot see it),
    PermissionDenied "not_debtor", Conflict "invalid_transition" (not pending) or "content_changed".
    """
    with transaction.atomic():
        receivable, organization = lock_receivable(actor=actor, pk=pk, side="debtor")
        assert_status(ReceivableStatus, receivable.status, {ReceivableStatus.PENDING})
        assert_transition(ReceivableStatus, receivable.status, ReceivableStatus.CONFIRMED)
        if fingerprint is not None and str(fingerprint).strip().lower() != receivable_fingerprint(receivable):
            raise Conflict(MSG_CONTENT_CHANGED, code="content_changed")
        now = timezone.now()
        confirmation = confirmation_record(
            receivable=receivable, organization=organization, actor=actor, method=ConfirmationMethod.CONFIRMED, at=now
        )
        before = {"status": receivable.status}
        receivable.status = ReceivableStatus.CONFIRMED
        receivable.confirmed_at = now
        receivable.updated_at = now
        receivable.save(update_fields=["status", "confirmed_at", "updated_at"])
        log_event(
            actor=actor,
            action="receivable_confirm",
            obj=receivable,
            before=before,
            after={"status": receivable.status, "fingerprint": confirmation.fingerprint},
        )
        creditor = receivable.creditor
        _notify_confirmed({creditor.pk: (1, receivable.amount)}, debtor=organization)
    return confirmation


def receivable_dispute(*, actor: Any, pk: Any, reason: Any) -> Receivable:
    """Dispute a receivable pending confirmation, with a reason; the creditor may then correct (receivable_update)
    or withdraw it.

    Who: a member of the debtor organisation with supplychain.trade. Raises ValidationFailed (no reason),
    NotFound, PermissionDenied "not_debtor", Conflict "invalid_transition".
    """
    errors = FieldErrors()
    text = errors.parse("reason", parse_text(2000), reason)
    if not text and "reason" not in errors.fields:
        errors.add("reason", MSG_REASON_REQUIRED)
    with transaction.atomic():
        receivable, organization = lock_receivable(actor=actor, pk=pk, side="debtor")
        errors.raise_if_any()
        assert_transition(ReceivableStatus, receivable.status, ReceivableStatus.DISPUTED)
        now = timezone.now()
        before = {"status": receivable.status}
        receivable.status = ReceivableStatus.DISPUTED
        receivable.disputed_at = now
        receivable.disputed_by = actor
        receivable.dispute_reason = text
        receivable.updated_at = now
        receivable.save(update_fields=["status", "disputed_at", "disputed_by", "dispute_reason", "updated_at"])
        log_event(
            actor=actor,
            action="receivable_dispute",
            obj=receivable,
            before=before,
            after={"status": receivable.status, "reason": text},
        )
        from finbridge.notifications.services import notify_organizations

        notify_organizations(
            organizations=[receivable.creditor],
            kind=notices.RECEIVABLE_DISPUTED,
            link=link_to(RECEIVABLE_URL, receivable.pk),
            params={"debtor": organization.name, "invoice": invoice_label(receivable), "reason": text},
        )
    return receivable


def invoice_label(receivable: Receivable) -> str:
    """Invoice code and number as people write them (code-number, or the number alone)."""
    if receivable.invoice_code:
        return f"{receivable.invoice_code}-{receivable.invoice_number}"
    return receivable.invoice_number


# ---- bulk -----------------------------------------------------------------------------------------------


def _parse_ids(ids: Any) -> list[int]:
    if isinstance(ids, (str, bytes)) or not isinstance(ids, Iterable):
        raise ValidationFailed(MSG_NO_IDS, fields={"ids": [str(MSG_NO_IDS)]})
    result: list[int] = []
    seen: set[int] = set()
    errors = FieldErrors()
    for value in ids:
        try:
            if isinstance(value, bool):
                raise ValueError(value)
            number = int(value)
            if number <= 0:
                raise ValueError(value)
        except (TypeError, ValueError):
            errors.add("ids", str(MSG_BAD_ID) % {"value": str(value)[:40]})
            continue
        if number not in seen:
            seen.add(number)
            result.append(number)
    errors.raise_if_any()
    if not result:
        raise ValidationFailed(MSG_NO_IDS, fields={"ids": [str(MSG_NO_IDS)]})
    if len(result) > BULK_LIMIT:
        message = str(MSG_TOO_MANY) % {"limit": f"{BULK_LIMIT:,}"}
        raise ValidationFailed(message, fields={"ids": [message]})
    return sorted(result)


def _chunks(values: Sequence[int], size: int = CHUNK) -> Iterable[list[int]]:
    iterator = iter(values)
    while chunk := list(islice(iterator, size)):
        yield chunk


_ROW_FIELDS = (
    "pk",
    "creditor_id",
    "debtor_id",
    "invoice_code",
    "invoice_number",
    "amount",
    "issued_on",
    "due_on",
    "contract_reference",
    "status",
)


def _locked_rows(ids: list[int]) -> dict[int, dict[str, Any]]:
    rows: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(ids):
        qs = Receivable.objects.select_for_update().filter(pk__in=chunk).order_by("pk").values(*_ROW_FIELDS)
        rows.update({row["pk"]: row for row in qs})
    return rows


def _bulk_problems(ids: list[int], rows: dict[int, dict[str, Any]], debtor_id: int, actor: Any) -> list[str]:
    from finbridge.supplychain.selectors.receivables import receivable_queryset

    problems: list[str] = []
    foreign = [pk for pk in ids if pk in rows and rows[pk]["debtor_id"] != debtor_id]
    visible = set(receivable_queryset(actor=actor).filter(pk__in=foreign).values_list("pk", flat=True))
    for pk in ids:
        row = rows.get(pk)
        if row is None or (row["debtor_id"] != debtor_id and pk not in visible):
            problems.append(str(MSG_ROW_NOT_FOUND) % {"id": pk})
        elif row["debtor_id"] != debtor_id:
            problems.append(str(MSG_ROW_NOT_DEBTOR) % {"id": pk})
        elif row["status"] != ReceivableStatus.PENDING:
            label = str(ReceivableStatus(row["status"]).label)
            problems.append(str(MSG_ROW_STATUS) % {"id": pk, "status": label})
    return problems


def receivable_confirm_bulk(*, actor: Any, ids: Any, organization: Any = None) -> int:
    """Confirm many receivables pending confirmation at once as their debtor; returns how many were confirmed.

    All or nothing: if any id is unknown, not visible, owed by another organisation or not pending, nothing is
    confirmed and ValidationFailed "bulk_confirm_rejected" lists every such id (fields["ids"], the first 200).
    Set-based: rows are locked in id order, confirmations and audit events are inserted in batches, statuses
    change in one UPDATE per 2,000 ids; creditors are told on commit (one notification per creditor).

    Who: a member of the debtor organisation with supplychain.trade (`organization` chooses it when the actor
    has several). Raises ValidationFailed, PermissionDenied.
    """
    debtor = acting_organization(actor=actor, code=perms.TRADE, org_types=FIRM_TYPES, organization=organization)
    wanted = _parse_ids(ids)
    with transaction.atomic():
        rows = _locked_rows(wanted)
        problems = _bulk_problems(wanted, rows, debtor.pk, actor)
        if problems:
            message = str(MSG_BULK_REJECTED) % {"count": len(problems)}
            raise ValidationFailed(message, code="bulk_confirm_rejected", fields={"ids": problems[:REPORT_LIMIT]})
        now = timezone.now()
        confirmations, events = _bulk_records(wanted, rows, debtor, actor, now)
        ReceivableConfirmation.objects.bulk_create(confirmations, batch_size=1000)
        for chunk in _chunks(wanted):
            Receivable.objects.filter(pk__in=chunk, status=ReceivableStatus.PENDING).update(
                status=ReceivableStatus.CONFIRMED, confirmed_at=now, updated_at=now
            )
        AuditEvent.objects.bulk_create(events, batch_size=1000)
        totals: dict[int, tuple[int, Decimal]] = defaultdict(lambda: (0, Decimal("0")))
        for row in rows.values():
            count, amount = totals[row["creditor_id"]]
            totals[row["creditor_id"]] = (count + 1, amount + row["amount"])
        transaction.on_commit(lambda: _notify_confirmed(dict(totals), debtor=debtor))
    return len(wanted)


def _bulk_records(
    ids: list[int], rows: dict[int, dict[str, Any]], debtor: Organization, actor: Any, now: Any
) -> tuple[list[ReceivableConfirmation], list[AuditEvent]]:
    hashes: dict[int, list[str]] = defaultdict(list)
    for chunk in _chunks(ids):
        for receivable_id, sha in ReceivableDocument.objects.filter(receivable_id__in=chunk).values_list(
            "receivable_id", "sha256"
        ):
            hashes[receivable_id].append(sha)
    user = actor if getattr(actor, "is_authenticated", False) else None
    name = _name(actor)
    confirmations: list[ReceivableConfirmation] = []
    events: list[AuditEvent] = []
    for pk in ids:
        row = rows[pk]
        content = content_of(
            creditor_id=row["creditor_id"],
            debtor_id=row["debtor_id"],
            invoice_code=row["invoice_code"],
            invoice_number=row["invoice_number"],
            amount=row["amount"],
            issued_on=row["issued_on"],
            due_on=row["due_on"],
            contract_reference=row["contract_reference"],
            document_hashes=hashes.get(pk, ()),
        )
        fingerprint = fingerprint_of(content)
        confirmations.append(
            ReceivableConfirmation(
                receivable_id=pk,
                method=ConfirmationMethod.CONFIRMED,
                organization=debtor,
                confirmed_by=user,
                confirmed_by_name=name,
                confirmed_at=now,
                content=content,
                fingerprint=fingerprint,
            )
        )
        events.append(
            build_event(
                actor=actor,
                action="receivable_confirm",
                object_type="supplychain.receivable",
                object_id=str(pk),
                object_repr=f"{row['invoice_number']} · {row['amount']}",
                before={"status": row["status"]},
                after={"status": ReceivableStatus.CONFIRMED, "fingerprint": fingerprint, "bulk": True},
            )
        )
    return confirmations, events


def _notify_confirmed(totals: Mapping[int, tuple[int, Decimal]], *, debtor: Organization) -> None:
    """Tell each creditor how many of its receivables the debtor confirmed (and for how much)."""
    from finbridge.notifications.services import notify_organizations

    creditors = Organization.objects.in_bulk(list(totals))
    for creditor_id, (count, amount) in totals.items():
        creditor = creditors.get(creditor_id)
        if creditor is not None:
            notify_organizations(
                organizations=[creditor],
                kind=notices.RECEIVABLE_CONFIRMED,
                params={"debtor": debtor.name, "count": str(count), "amount": amount_param(amount)},
            )


__all__ = [
    "confirmation_record",
    "content_of",
    "fingerprint_of",
    "invoice_label",
    "receivable_confirm",
    "receivable_confirm_bulk",
    "receivable_content",
    "receivable_dispute",
    "receivable_fingerprint",
]
