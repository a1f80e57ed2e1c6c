"""Spreadsheet upload of receivables (by a creditor) or payables (by a debtor, counting as confirmed), as .xlsx
or .csv, with a template in either language and a report of every rejected row.

The file machinery is the registry import's (finbridge.enterprises.import_files: checks, reads and writes files;
ImportColumn and header matching from enterprises.services.importing). Each row is checked by the same parser
as a single upload (services.receivables.ReceivableParser), so a row is accepted on exactly the same rules.
Good rows are kept and every bad one is reported with its line, column, value and reason; a row repeating an
invoice of an earlier line, or one already on the platform, is rejected. The import is set-based: the other
parties are looked up in one query, existing invoices in a few, and the rows, confirmations (payables) and audit
events are inserted in batches, in one transaction. A dry run checks everything and writes only the run.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from finbridge.accounts.models import Organization
from finbridge.audit.models import AuditEvent
from finbridge.audit.services import build_event, log_event
from finbridge.core.errors import Conflict, ValidationFailed
from finbridge.enterprises import import_files
from finbridge.enterprises.services.importing import ImportColumn, ImportOutcome
from finbridge.supplychain import notices
from finbridge.supplychain import permissions as perms
from finbridge.supplychain.choices import ConfirmationMethod, ReceivableSource, ReceivableStatus
from finbridge.supplychain.models import Receivable, ReceivableConfirmation, ReceivableUploadRun
from finbridge.supplychain.selectors.receivables import upload_run_get
from finbridge.supplychain.services._common import FIRM_TYPES, acting_organization, amount_param
from finbridge.supplychain.services.confirmation import content_of, fingerprint_of
from finbridge.supplychain.services.receivables import CounterpartyResolver, ReceivableParser

EXAMPLE_NUMBER = "00000000"
CHUNK = 2000
MAX_ROWS = 50_000

_DATE = gettext_lazy("A date as YYYY-MM-DD or YYYY/M/D (or a spreadsheet date).")
COMMON_COLUMNS: tuple[ImportColumn, ...] = (
    ImportColumn(
        "invoice_code",
        "Invoice code",
        "发票代码",
        gettext_lazy("10 or 12 digits; empty for a fully digital invoice."),
        "4403201130",
        "4403201130",
    ),
    ImportColumn(
        "invoice_number",
        "Invoice number",
        "发票号码",
        gettext_lazy("8 digits, or 20 for a fully digital invoice. Store it as text to keep leading zeros."),
        EXAMPLE_NUMBER,
        EXAMPLE_NUMBER,
    ),
    ImportColumn(
        "amount",
        "Amount (CNY)",
        "金额（元）",
        gettext_lazy("An amount in CNY yuan (not ten-thousand yuan); separators allowed."),
        250000,
        250000,
    ),
    ImportColumn("issued_on", "Invoice date", "开票日期", _DATE, "2026-03-01", "2026-03-01"),
    ImportColumn("due_on", "Due date", "到期日期", _DATE, "2026-06-30", "2026-06-30"),
    ImportColumn(
        "contract_reference", "Contract reference", "合同编号", gettext_lazy("Up to 64 characters."), "HT-001", "HT-001"
    ),
    ImportColumn("description", "Description", "说明", gettext_lazy("Optional; up to 500 characters."), "", ""),
)
DEBTOR_COLUMN = ImportColumn(
    "debtor_uscc",
    "Debtor credit code",
    "债务人统一社会信用代码",
    gettext_lazy("The unified social credit code of the debtor, which must be registered on the platform."),
    "91440300MA5EXAMPLA",
    "91440300MA5EXAMPLA",
)
CREDITOR_COLUMN = ImportColumn(
    "creditor_uscc",
    "Creditor credit code",
    "债权人统一社会信用代码",
    gettext_lazy("The unified social credit code of the supplier you owe, which must be registered on the platform."),
    "91440300MA5EXAMPLA",
    "91440300MA5EXAMPLA",
)
REQUIRED = ("invoice_number", "amount", "issued_on", "due_on")


def columns_for(as_debtor: bool) -> tuple[ImportColumn, ...]:
    """The columns of a receivables file (creditor's) or payables file (debtor's)."""
    return ((CREDITOR_COLUMN if as_debtor else DEBTOR_COLUMN), *COMMON_COLUMNS)


def column_title(field_name: str, as_debtor: bool = False) -> str:
    """The title of a column in the active language (the name itself for anything else)."""
    for column in columns_for(as_debtor):
        if column.field == field_name:
            return column.title()
    return field_name


@dataclass
class _Outcome(ImportOutcome):
    """An upload's outcome, with the good rows kept for writing."""

    good: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


def _columns_of(header: Sequence[Any], as_debtor: bool) -> list[str | None]:
    aliases = {
        import_files.header_key(alias): c.field
        for c in columns_for(as_debtor)
        for alias in (c.field, c.title_en, c.title_zh)
    }
    columns: list[str | None] = []
    unknown, repeated = [], []
    for cell in header:
        name = None if cell is None else aliases.get(import_files.header_key(cell))
        if cell is not None and name is None:
            unknown.append(str(cell))
        elif name is not None and name in columns:
            repeated.append(str(cell))
        columns.append(name)
    counterpart = "creditor_uscc" if as_debtor else "debtor_uscc"
    missing = [column_title(n, as_debtor) for n in (counterpart, *REQUIRED) if n not in columns]
    problems = []
    if missing:
        problems.append(_("Required columns are missing: %(columns)s.") % {"columns": ", ".join(missing)})
    if unknown:
        problems.append(_("These columns are not known: %(columns)s.") % {"columns": ", ".join(unknown)})
    if repeated:
        problems.append(_("These columns appear more than once: %(columns)s.") % {"columns": ", ".join(repeated)})
    if problems:
        message = _("The header row does not match the template. %(problems)s") % {"problems": " ".join(problems)}
        raise ValidationFailed(message, code="import_bad_columns", fields={"columns": problems})
    return columns


def _mapped_rows(rows: Iterator[import_files.NumberedRow], as_debtor: bool) -> list[tuple[int, dict[str, Any]]]:
    for _line, header in rows:
        if not import_files.is_blank(header):
            columns = _columns_of(header, as_debtor)
            break
    else:
        raise ValidationFailed(_("The file has no header row."), code="import_no_header")
    mapped = []
    for line, values in rows:
        raw = {name: value for name, value in zip(columns, values, strict=False) if name and value is not None}
        if not raw or str(raw.get("invoice_number", "")).strip() == EXAMPLE_NUMBER:
            continue
        mapped.append((line, raw))
        if len(mapped) > MAX_ROWS:
            message = _("A file can hold at most %(limit)s rows.") % {"limit": f"{MAX_ROWS:,}"}
            raise ValidationFailed(message, code="import_too_many_rows", fields={"file": [message]})
    if not mapped:
        message = _("The file contains no rows under its header.")
        raise ValidationFailed(message, code="import_no_rows", fields={"file": [message]})
    return mapped


def _check_rows(rows: list[tuple[int, dict[str, Any]]], own: Organization, as_debtor: bool) -> _Outcome:
    counterpart = "creditor_uscc" if as_debtor else "debtor_uscc"
    resolver = CounterpartyResolver()
    resolver.prefetch(str(raw.get(counterpart, "")) for _line, raw in rows)
    parser = ReceivableParser(own=own, as_debtor=as_debtor, resolver=resolver)
    outcome = _Outcome(total=len(rows))
    first_line: dict[tuple[int, int, str, str], int] = {}
    for line, raw in rows:
        try:
            fields = parser.parse(raw)
        except ValidationFailed as error:
            outcome.reject(
                line, [(n, raw.get(n), m) for n, ms in error.fields.items() for m in ms] or [("", "", error.message)]
            )
            continue
        key = (fields["creditor"].pk, fields["debtor"].pk, fields["invoice_code"], fields["invoice_number"])
        if key in first_line:
            message = _("The same invoice is already on line %(line)s of this file.") % {"line": first_line[key]}
            outcome.reject(line, [("invoice_number", raw.get("invoice_number"), message)])
            continue
        first_line[key] = line
        outcome.good.append((line, fields))
    _reject_existing(outcome, own, as_debtor)
    return outcome


def _reject_existing(outcome: _Outcome, own: Organization, as_debtor: bool) -> None:
    """Reject the rows whose invoice is already on the platform (a few queries, by invoice number)."""
    numbers = sorted({f["invoice_number"] for _line, f in outcome.good})
    own_side = "debtor" if as_debtor else "creditor"
    existing: set[tuple[int, int, str, str]] = set()
    for start in range(0, len(numbers), CHUNK):
        existing.update(
            Receivable.objects.filter(**{own_side: own}, invoice_number__in=numbers[start : start + CHUNK]).values_list(
                "creditor_id", "debtor_id", "invoice_code", "invoice_number"
            )
        )
    kept = []
    message = str(_("This invoice is already on the platform for these two parties."))
    for line, fields in outcome.good:
        key = (fields["creditor"].pk, fields["debtor"].pk, fields["invoice_code"], fields["invoice_number"])
        if key in existing:
            outcome.reject(line, [("invoice_number", fields["invoice_number"], message)])
        else:
            kept.append((line, fields))
    outcome.good = kept
    outcome.errors.sort(key=lambda e: e["line"])


def receivable_import(
    *,
    actor: Any,
    file_name: str,
    content: bytes,
    as_debtor: bool = False,
    dry_run: bool = False,
    organization: Any = None,
) -> ReceivableUploadRun:
    """Upload receivables (creditor) or payables (`as_debtor`: created confirmed) from an .xlsx or .csv file;
    good rows are kept, every bad row reported in the run's errors; the other parties are told on commit.

    Who: a member with supplychain.trade of an MSME or core enterprise. Raises PermissionDenied, ValidationFailed
    for a file that cannot be imported at all (empty, too large, wrong type, unreadable, bad header, no rows),
    Conflict "import_conflict" when another upload of the same invoices won meanwhile — nothing written then.
    """
    own = acting_organization(actor=actor, code=perms.TRADE, org_types=FIRM_TYPES, organization=organization)
    file_format = import_files.check_upload(file_name, content)
    rows = _mapped_rows(import_files.read_rows(file_format, content), as_debtor)
    outcome = _check_rows(rows, own, as_debtor)
    now = timezone.now()
    with transaction.atomic():
        run = ReceivableUploadRun.objects.create(
            organization=own,
            as_debtor=as_debtor,
            created_by=actor,
            created_at=now,
            file_name=(file_name or "")[:255],
            file_sha256=hashlib.sha256(content).hexdigest(),
            dry_run=dry_run,
            rows_total=outcome.total,
            rows_created=0 if dry_run else len(outcome.good),
            rows_rejected=outcome.rejected,
            errors=outcome.errors,
        )
        if not dry_run and outcome.good:
            _write(outcome.good, run, own, as_debtor, actor, now)
        log_event(
            actor=actor,
            action="receivable_import_dry_run" if dry_run else "receivable_import",
            obj=run,
            after={
                "organization": own.pk,
                "as_debtor": as_debtor,
                "file_name": run.file_name,
                "rows_total": run.rows_total,
                "rows_created": run.rows_created,
                "rows_rejected": run.rows_rejected,
            },
        )
    import_files.store_file(run.file_sha256, content)
    return run


def receivable_import_run_apply(*, actor: Any, pk: Any) -> ReceivableUploadRun:
    """Upload for real the file of an earlier dry run; returns the new run (the dry run stays as it was).

    Who: as receivable_import, for a run of an organisation the actor trades for (NotFound for a run it
    cannot see). Raises Conflict "import_already_applied" for a run that was not a dry run, ValidationFailed
    "import_file_gone" when the stored file is no longer available; nothing is written then.
    """
    run = upload_run_get(actor=actor, pk=pk)
    if not run.dry_run:
        raise Conflict(_("This upload was saved already; it was not a dry run."), code="import_already_applied")
    content = import_files.stored_file_required(run)
    return receivable_import(
        actor=actor,
        file_name=run.file_name,
        content=content,
        as_debtor=run.as_debtor,
        dry_run=False,
        organization=run.organization,
    )


def _write(
    good: list[tuple[int, dict[str, Any]]],
    run: ReceivableUploadRun,
    own: Organization,
    as_debtor: bool,
    actor: Any,
    now: Any,
) -> None:
    receivables = [
        Receivable(
            **fields,
            status=ReceivableStatus.CONFIRMED if as_debtor else ReceivableStatus.PENDING,
            source=ReceivableSource.DEBTOR if as_debtor else ReceivableSource.CREDITOR,
            confirmed_at=now if as_debtor else None,
            upload_run=run,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        for _line, fields in good
    ]
    try:
        with transaction.atomic():
            created = Receivable.objects.bulk_create(receivables, batch_size=1000)
    except IntegrityError:
        raise Conflict(
            _("Some of these invoices were uploaded meanwhile; upload the file again to see which."),
            code="import_conflict",
        ) from None
    if not created or created[0].pk is None:  # databases that do not return ids
        created = list(Receivable.objects.filter(upload_run=run).order_by("pk"))
    events = [
        build_event(
            actor=actor,
            action="payable_create" if as_debtor else "receivable_create",
            object_type="supplychain.receivable",
            object_id=str(r.pk),
            object_repr=str(r),
            after={"upload_run": run.pk, "amount": r.amount, "creditor": r.creditor_id, "debtor": r.debtor_id},
        )
        for r in created
    ]
    if as_debtor:
        ReceivableConfirmation.objects.bulk_create(
            [_confirmation(r, own, actor, now) for r in created], batch_size=1000
        )
    AuditEvent.objects.bulk_create(events, batch_size=1000)
    totals: dict[int, tuple[int, Decimal]] = defaultdict(lambda: (0, Decimal("0")))
    for r in created:
        other = r.creditor_id if as_debtor else r.debtor_id
        count, amount = totals[other]
        totals[other] = (count + 1, amount + r.amount)
    transaction.on_commit(lambda: _notify(dict(totals), own, as_debtor))


def _confirmation(receivable: Receivable, debtor: Organization, actor: Any, now: Any) -> ReceivableConfirmation:
    content = content_of(
        creditor_id=receivable.creditor_id,
        debtor_id=receivable.debtor_id,
        invoice_code=receivable.invoice_code,
        invoice_number=receivable.invoice_number,
        amount=receivable.amount,
        issued_on=receivable.issued_on,
        due_on=receivable.due_on,
        contract_reference=receivable.contract_reference,
        document_hashes=(),
    )
    return ReceivableConfirmation(
        receivable=receivable,
        method=ConfirmationMethod.DEBTOR_UPLOAD,
        organization=debtor,
        confirmed_by=actor,
        confirmed_by_name=str(actor)[:150],
        confirmed_at=now,
        content=content,
        fingerprint=fingerprint_of(content),
    )


def _notify(totals: dict[int, tuple[int, Decimal]], own: Organization, as_debtor: bool) -> None:
    from finbridge.notifications.services import notify_organizations

    others = Organization.objects.in_bulk(list(totals))
    for org_id, (count, amount) in totals.items():
        if org_id not in others:
            continue
        if as_debtor:
            kind, params = (
                notices.RECEIVABLE_CONFIRMED,
                {"debtor": own.name, "count": str(count), "amount": amount_param(amount)},
            )
        else:
            kind, params = (
                notices.RECEIVABLE_UPLOADED,
                {"creditor": own.name, "count": str(count), "amount": amount_param(amount)},
            )
        notify_organizations(organizations=[others[org_id]], kind=kind, params=params)


# ---- template and report --------------------------------------------------------------------------------------


def receivable_import_template(*, as_debtor: bool, language: str, file_format: str) -> tuple[bytes, str]:
    """A template to fill in (receivables, or payables when `as_debtor`), titled in `language` ("zh-hans" or
    "en"), as .xlsx or .csv: (bytes, file name). Raises ValidationFailed for an unknown language or format."""
    if language not in ("zh-hans", "en") or file_format not in import_files.FORMATS:
        raise ValidationFailed(_("Choose the language zh-hans or en and the format xlsx or csv."), code="bad_template")
    columns = columns_for(as_debtor)
    kind = "payables" if as_debtor else "receivables"
    with translation.override(language):
        header = [c.title() for c in columns]
        example = [c.example() for c in columns]
        name = f"supplychain-{kind}-template-{language}.{file_format}"
        if file_format == import_files.CSV:
            return import_files.write_csv_rows([header, example]), name
        return import_files.write_xlsx_rows(_("Payables") if as_debtor else _("Receivables"), header, [example]), name


def receivable_import_report(run: ReceivableUploadRun) -> bytes:
    """The rejected rows of a run as an .xlsx (line, column, value, reason) in the active language. The caller
    fetched `run` through selectors.receivables.upload_run_get."""
    header = [_("Line"), _("Column"), _("Value"), _("Reason")]
    rows = (
        [error["line"], column_title(error["field"], run.as_debtor), error["value"], error["message"]]
        for error in run.errors
    )
    return import_files.write_xlsx_rows(_("Rows not imported"), header, rows)
