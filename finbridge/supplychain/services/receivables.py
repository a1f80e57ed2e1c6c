"""Writes of receivables: the creditor's upload (single), the debtor's upload of its payable (counts as
confirmed), the creditor's correction after a dispute, documents, and withdrawal.

Who: a member, with supplychain.trade, of the creditor (receivables) or the debtor (payables) organisation —
an MSME or core enterprise. The other party must be an active MSME or core enterprise on the platform, given
by organisation id or by unified social credit code (looked up through the registry's Enterprise.organization).
Every write runs in one transaction, is audited, and raises ValidationFailed with every field's messages and
changes nothing on bad input. The parsing here is shared with the spreadsheet import (receivable_imports.py).
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import PurePath
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.accounts.models import Organization
from finbridge.audit.services import log_event, snapshot
from finbridge.core.errors import ValidationFailed
from finbridge.enterprises.models import Enterprise
from finbridge.enterprises.validation import InvalidUSCC, normalize_uscc
from finbridge.supplychain import notices
from finbridge.supplychain import permissions as perms
from finbridge.supplychain.choices import ConfirmationMethod, ReceivableSource, ReceivableStatus
from finbridge.supplychain.models import Receivable, ReceivableDocument
from finbridge.supplychain.services._common import (
    FIRM_TYPES,
    RECEIVABLE_URL,
    FieldError,
    FieldErrors,
    acting_organization,
    amount_param,
    blank,
    link_to,
    lock_receivable,
    parse_date,
    parse_money,
    parse_text,
)
from finbridge.supplychain.services.confirmation import confirmation_record, invoice_label
from finbridge.supplychain.transitions import assert_status, assert_transition

INVOICE_CODE_RE = re.compile(r"^(\d{10}|\d{12})$")
INVOICE_NUMBER_RE = re.compile(r"^(\d{8}|\d{20})$")
DOCUMENT_EXTENSIONS = frozenset({"pdf", "ofd", "xml", "jpg", "jpeg", "png"})
DOCUMENT_MAX_BYTES = 20 * 1024 * 1024
DOCUMENTS_MAX = 20
EDITABLE_FIELDS = ("amount", "issued_on", "due_on", "contract_reference", "description")
INPUT_FIELDS = ("invoice_code", "invoice_number", *EDITABLE_FIELDS)
# Before the debtor confirms, the creditor may still correct the receivable and add documents.
EDITABLE_STATUSES = frozenset({ReceivableStatus.PENDING, ReceivableStatus.DISPUTED})

MSG_REQUIRED = _("This field is required.")
MSG_UNKNOWN_FIELD = _("Unknown field.")
MSG_NOT_CHANGEABLE = _("The invoice and the parties cannot be changed; withdraw the receivable and upload it again.")
MSG_INVOICE_CODE = _("An invoice code has 10 or 12 digits (leave it empty for a fully digital invoice).")
MSG_INVOICE_NUMBER = _("An invoice number has 8 digits, or 20 for a fully digital invoice.")
MSG_ISSUED_FUTURE = _("The invoice date cannot be in the future.")
MSG_DUE_PAST = _("The due date %(date)s is in the past.")
MSG_DUE_BEFORE_ISSUE = _("The due date cannot be before the invoice date.")
MSG_DEBTOR_NOT_REGISTERED = _("The debtor is not an organisation registered on the platform.")
MSG_CREDITOR_NOT_REGISTERED = _("The creditor is not an organisation registered on the platform.")
MSG_SAME_PARTY = _("The creditor and the debtor cannot be the same organisation.")
MSG_DUPLICATE = _("This invoice is already on the platform for these two parties.")
MSG_DOCUMENT_TYPE = _("Documents can be PDF, OFD, XML, JPEG or PNG files.")
MSG_DOCUMENT_SIZE = _("A document can be at most %(limit)s MB.")
MSG_DOCUMENT_EMPTY = _("The document is empty.")
MSG_TOO_MANY_DOCUMENTS = _("At most %(limit)s documents can be attached to a receivable.")
MSG_NO_CHANGE = _("Give at least one field to change.")


# ---- parsing ----------------------------------------------------------------------------------------------


def _digits(value: Any) -> str:
    """Invoice code or number as text: spaces removed; a spreadsheet number becomes its digits."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise FieldError(MSG_INVOICE_NUMBER)
    return "".join(str(value).split())


def parse_invoice_code(value: Any) -> str:
    text = _digits(value)
    if text and not INVOICE_CODE_RE.match(text):
        raise FieldError(MSG_INVOICE_CODE)
    return text


def parse_invoice_number(value: Any) -> str:
    text = _digits(value)
    if not INVOICE_NUMBER_RE.match(text):
        raise FieldError(MSG_INVOICE_NUMBER)
    return text


class CounterpartyResolver:
    """Finds the other party of a receivable by organisation id or by credit code (cached, so an import of
    many rows on the same debtor asks the database once)."""

    def __init__(self) -> None:
        self._by_uscc: dict[str, Organization | None] = {}

    def prefetch(self, usccs: Iterable[str]) -> None:
        """Look up many credit codes in one query."""
        normalized = set()
        for raw in usccs:
            try:
                normalized.add(normalize_uscc(raw))
            except InvalidUSCC:
                continue
        missing = [code for code in normalized if code not in self._by_uscc]
        if not missing:
            return
        found = {
            e.uscc: e.organization
            for e in Enterprise.objects.filter(uscc__in=missing, organization__isnull=False).select_related(
                "organization"
            )
        }
        for code in missing:
            self._by_uscc[code] = found.get(code)

    def by_uscc(self, raw: Any) -> Organization | None:
        code = normalize_uscc(raw)  # InvalidUSCC is a ValidationFailed with the reason
        if code not in self._by_uscc:
            self.prefetch([code])
        return self._by_uscc.get(code)

    @staticmethod
    def by_id(raw: Any) -> Organization | None:
        if isinstance(raw, Organization):
            return raw
        try:
            return Organization.objects.filter(pk=int(raw)).first()
        except (TypeError, ValueError):
            return None


class ReceivableParser:
    """Validates the input of one receivable for the organisation `own` (creditor, or debtor when `as_debtor`)
    and returns the model fields. Used by the single upload and by the import, row by row."""

    def __init__(self, *, own: Organization, as_debtor: bool, resolver: CounterpartyResolver | None = None) -> None:
        self.own = own
        self.as_debtor = as_debtor
        self.other = "creditor" if as_debtor else "debtor"
        self.resolver = resolver or CounterpartyResolver()
        self.today = timezone.localdate()

    @property
    def known_fields(self) -> frozenset[str]:
        return frozenset({*INPUT_FIELDS, self.other, f"{self.other}_uscc"})

    def parse(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Model fields of a new receivable; ValidationFailed (every field's messages) otherwise. The code is
        "debtor_not_registered" / "creditor_not_registered" or "same_party" when that is the problem."""
        errors = FieldErrors()
        for name in data:
            if name not in self.known_fields:
                errors.add(name, MSG_UNKNOWN_FIELD)
        counterparty = self._counterparty(data, errors)
        values = {
            "invoice_code": errors.parse("invoice_code", parse_invoice_code, data.get("invoice_code")),
            "invoice_number": errors.parse("invoice_number", parse_invoice_number, data.get("invoice_number")),
        }
        values.update(parse_terms(data, errors, required=True, today=self.today))
        errors.raise_if_any()
        creditor, debtor = (counterparty, self.own) if self.as_debtor else (self.own, counterparty)
        return {"creditor": creditor, "debtor": debtor, **values}

    def _counterparty(self, data: Mapping[str, Any], errors: FieldErrors) -> Organization | None:
        key_id, key_uscc = self.other, f"{self.other}_uscc"
        raw_id, raw_uscc = data.get(key_id), data.get(key_uscc)
        if blank(raw_id) and blank(raw_uscc):
            errors.add(key_uscc if key_uscc in data else key_id, MSG_REQUIRED)
            return None
        field_name = key_id if not blank(raw_id) else key_uscc
        if not blank(raw_id):
            organization = self.resolver.by_id(raw_id)
        else:
            try:
                organization = self.resolver.by_uscc(raw_uscc)
            except InvalidUSCC as error:
                errors.add(key_uscc, error.message)
                return None
        if organization is None or not organization.is_active or organization.org_type not in FIRM_TYPES:
            message = MSG_CREDITOR_NOT_REGISTERED if self.as_debtor else MSG_DEBTOR_NOT_REGISTERED
            errors.add(field_name, message, code=f"{self.other}_not_registered")
            return None
        if organization.pk == self.own.pk:
            errors.add(field_name, MSG_SAME_PARTY, code="same_party")
            return None
        return organization


def parse_terms(
    data: Mapping[str, Any], errors: FieldErrors, *, required: bool, today: datetime.date, current: Any = None
) -> dict[str, Any]:
    """Amount, dates, contract reference and description from `data` (all required when `required`; else only
    those given, checked together with the `current` receivable's other dates)."""
    parsers: dict[str, Callable[[Any], Any]] = {
        "amount": parse_money,
        "issued_on": parse_date,
        "due_on": parse_date,
        "contract_reference": parse_text(64),
        "description": parse_text(500),
    }
    values: dict[str, Any] = {}
    for name, parser in parsers.items():
        if name not in data and not required:
            continue
        raw = data.get(name)
        if name in ("amount", "issued_on", "due_on") and blank(raw):
            errors.add(name, MSG_REQUIRED)
            continue
        parsed = errors.parse(name, parser, raw)
        if parsed is not None:
            values[name] = parsed
    issued = values.get("issued_on", getattr(current, "issued_on", None))
    due = values.get("due_on", getattr(current, "due_on", None))
    if "issued_on" in values and issued > today:
        errors.add("issued_on", MSG_ISSUED_FUTURE)
    if "due_on" in values and due < today:
        errors.add("due_on", str(MSG_DUE_PAST) % {"date": due.isoformat()}, code="due_date_past")
    elif issued is not None and due is not None and due < issued and ("issued_on" in values or "due_on" in values):
        errors.add("due_on", MSG_DUE_BEFORE_ISSUE)
    return values


def duplicate_error() -> ValidationFailed:
    return ValidationFailed(MSG_DUPLICATE, code="duplicate_invoice", fields={"invoice_number": [str(MSG_DUPLICATE)]})


def is_duplicate(fields: Mapping[str, Any]) -> bool:
    return Receivable.objects.filter(
        creditor=fields["creditor"],
        debtor=fields["debtor"],
        invoice_code=fields["invoice_code"],
        invoice_number=fields["invoice_number"],
    ).exists()


# ---- documents ------------------------------------------------------------------------------------------------


def _check_documents(documents: Iterable[Any], already: int = 0) -> list[Any]:
    files = list(documents or ())
    errors = FieldErrors()
    if len(files) + already > DOCUMENTS_MAX:
        errors.add("documents", str(MSG_TOO_MANY_DOCUMENTS) % {"limit": DOCUMENTS_MAX})
    for upload in files:
        extension = PurePath(getattr(upload, "name", "") or "").suffix.lower().lstrip(".")
        size = getattr(upload, "size", None) or 0
        if extension not in DOCUMENT_EXTENSIONS:
            errors.add("documents", MSG_DOCUMENT_TYPE)
        elif size <= 0:
            errors.add("documents", MSG_DOCUMENT_EMPTY)
        elif size > DOCUMENT_MAX_BYTES:
            errors.add("documents", str(MSG_DOCUMENT_SIZE) % {"limit": DOCUMENT_MAX_BYTES // (1024 * 1024)})
    errors.raise_if_any()
    return files


def _save_documents(receivable: Receivable, files: list[Any], actor: Any) -> list[ReceivableDocument]:
    saved = []
    for upload in files:
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        saved.append(
            ReceivableDocument.objects.create(
                receivable=receivable,
                file=upload,
                name=PurePath(upload.name).name[:255],
                sha256=digest.hexdigest(),
                size=upload.size,
                uploaded_by=actor,
            )
        )
    return saved


# ---- services -------------------------------------------------------------------------------------------------


def _create(
    *, actor: Any, data: Mapping[str, Any], documents: Iterable[Any], organization: Any, as_debtor: bool
) -> Receivable:
    own = acting_organization(actor=actor, code=perms.TRADE, org_types=FIRM_TYPES, organization=organization)
    if not isinstance(data, Mapping):
        raise ValidationFailed()
    fields = ReceivableParser(own=own, as_debtor=as_debtor).parse(data)
    files = _check_documents(documents)
    now = timezone.now()
    with transaction.atomic():
        if is_duplicate(fields):
            raise duplicate_error()
        try:
            with transaction.atomic():
                receivable = Receivable.objects.create(
                    **fields,
                    status=ReceivableStatus.CONFIRMED if as_debtor else ReceivableStatus.PENDING,
                    source=ReceivableSource.DEBTOR if as_debtor else ReceivableSource.CREDITOR,
                    confirmed_at=now if as_debtor else None,
                    created_by=actor,
                    created_at=now,
                    updated_at=now,
                )
        except IntegrityError:
            raise duplicate_error() from None
        _save_documents(receivable, files, actor)
        after = snapshot(receivable)
        if as_debtor:
            confirmation = confirmation_record(
                receivable=receivable, organization=own, actor=actor, method=ConfirmationMethod.DEBTOR_UPLOAD, at=now
            )
            after["fingerprint"] = confirmation.fingerprint
        log_event(
            actor=actor, action="payable_create" if as_debtor else "receivable_create", obj=receivable, after=after
        )
        _notify_created(receivable, as_debtor=as_debtor)
    return receivable


def _notify_created(receivable: Receivable, *, as_debtor: bool) -> None:
    from finbridge.notifications.services import notify_organizations

    if as_debtor:
        notify_organizations(
            organizations=[receivable.creditor],
            kind=notices.PAYABLE_RECORDED,
            link=link_to(RECEIVABLE_URL, receivable.pk),
            params={
                "debtor": receivable.debtor.name,
                "invoice": invoice_label(receivable),
                "amount": amount_param(receivable.amount),
            },
        )
    else:
        notify_organizations(
            organizations=[receivable.debtor],
            kind=notices.RECEIVABLE_UPLOADED,
            link=link_to(RECEIVABLE_URL, receivable.pk),
            params={"creditor": receivable.creditor.name, "count": "1", "amount": amount_param(receivable.amount)},
        )


def receivable_create(
    *, actor: Any, data: Mapping[str, Any], documents: Iterable[Any] = (), organization: Any = None
) -> Receivable:
    """Upload a receivable on a debtor, pending the debtor's confirmation; the debtor is told.

    data: `debtor` (organisation id) or `debtor_uscc`, `invoice_code` (10/12 digits or empty),
    `invoice_number` (8 or 20 digits), `amount`, `issued_on` (not in the future), `due_on` (not in the past, not
    before the invoice date), `contract_reference`, `description`. documents: uploaded files (PDF, OFD, XML,
    JPEG, PNG; 20 MB each, 20 at most).

    Who: a member with supplychain.trade of an MSME or core enterprise (the creditor; `organization` chooses
    it when the actor has several). Raises PermissionDenied, ValidationFailed ("debtor_not_registered",
    "same_party", "due_date_past", "duplicate_invoice", "organization_required", "validation_failed").
    """
    return _create(actor=actor, data=data, documents=documents, organization=organization, as_debtor=False)


def payable_create(
    *, actor: Any, data: Mapping[str, Any], documents: Iterable[Any] = (), organization: Any = None
) -> Receivable:
    """Record, as the debtor, what it owes a creditor: the receivable is created confirmed (method
    "debtor_upload", with its fingerprint) and the creditor is told.

    data as receivable_create with `creditor` or `creditor_uscc` instead of the debtor. Who: a member with
    supplychain.trade of an MSME or core enterprise (the debtor). Raises as receivable_create
    ("creditor_not_registered" instead of "debtor_not_registered").
    """
    return _create(actor=actor, data=data, documents=documents, organization=organization, as_debtor=True)


def receivable_update(*, actor: Any, pk: Any, data: Mapping[str, Any]) -> Receivable:
    """Correct a receivable pending confirmation or disputed: amount, dates, contract reference, description
    (the invoice and the parties cannot change). A disputed receivable goes back to pending confirmation and
    the debtor is told again.

    Who: a member of the creditor with supplychain.trade. Raises NotFound, PermissionDenied "not_creditor",
    Conflict "invalid_transition", ValidationFailed.
    """
    errors = FieldErrors()
    if not isinstance(data, Mapping) or not data:
        raise ValidationFailed(MSG_NO_CHANGE)
    for name in data:
        if name not in EDITABLE_FIELDS:
            errors.add(
                name, MSG_NOT_CHANGEABLE if name in ("invoice_code", "invoice_number", "debtor") else MSG_UNKNOWN_FIELD
            )
    with transaction.atomic():
        receivable, _org = lock_receivable(actor=actor, pk=pk, side="creditor")
        assert_status(ReceivableStatus, receivable.status, EDITABLE_STATUSES)
        values = parse_terms(data, errors, required=False, today=timezone.localdate(), current=receivable)
        errors.raise_if_any()
        before = snapshot(receivable)
        for name, value in values.items():
            setattr(receivable, name, value)
        receivable.status = ReceivableStatus.PENDING
        receivable.disputed_at = None
        receivable.disputed_by = None
        receivable.dispute_reason = ""
        receivable.updated_at = timezone.now()
        receivable.save()
        log_event(actor=actor, action="receivable_update", obj=receivable, before=before, after=snapshot(receivable))
        _notify_created(receivable, as_debtor=False)
    return receivable


def receivable_document_add(*, actor: Any, pk: Any, file: Any) -> ReceivableDocument:
    """Attach a document to a receivable before it is confirmed (pending or disputed); its hash becomes part of
    what the debtor confirms.

    Who: a member of the creditor with supplychain.trade. Raises NotFound, PermissionDenied "not_creditor",
    Conflict "invalid_transition", ValidationFailed (type, size, count).
    """
    with transaction.atomic():
        receivable, _org = lock_receivable(actor=actor, pk=pk, side="creditor")
        assert_status(ReceivableStatus, receivable.status, EDITABLE_STATUSES)
        files = _check_documents([file] if file is not None else [], already=receivable.documents.count())
        if not files:
            raise ValidationFailed(MSG_REQUIRED, fields={"file": [str(MSG_REQUIRED)]})
        (document,) = _save_documents(receivable, files, actor)
        receivable.updated_at = timezone.now()
        receivable.save(update_fields=["updated_at"])
        log_event(
            actor=actor,
            action="receivable_document_add",
            obj=receivable,
            after={"document": document.pk, "name": document.name, "sha256": document.sha256},
        )
    return document


def receivable_withdraw(*, actor: Any, pk: Any) -> Receivable:
    """Withdraw a receivable that is pending confirmation or disputed (it stays on record as withdrawn).

    Who: a member of the creditor with supplychain.trade. Raises NotFound, PermissionDenied "not_creditor",
    Conflict "invalid_transition".
    """
    with transaction.atomic():
        receivable, _org = lock_receivable(actor=actor, pk=pk, side="creditor")
        assert_transition(ReceivableStatus, receivable.status, ReceivableStatus.WITHDRAWN)
        before = {"status": receivable.status}
        receivable.status = ReceivableStatus.WITHDRAWN
        receivable.updated_at = timezone.now()
        receivable.save(update_fields=["status", "updated_at"])
        log_event(
            actor=actor,
            action="receivable_withdraw",
            obj=receivable,
            before=before,
            after={"status": receivable.status},
        )
    return receivable
