"""Bulk import of enterprise lists from .xlsx or .csv files, with a dry run, a template and an error report.

An industry authority, subdistrict office or the district authority uploads a list; each row is
validated by `clean_enterprise_data` (the one place enterprise input is validated), checked against the
importing organisation's remit and matched by credit code. Rows of existing records that change
something go through `apply_enterprise_data` (the shared create-or-update step, with its audit and
history), one savepoint each; rows that change nothing are counted as unchanged. New records are
created in bulk, a chunk at a time, writing exactly what `apply_enterprise_data` writes for a new record
(record, clusters, one "+" history version, one audit event; a test compares the two), so that 100,000
rows import in about a minute; if a chunk fails in the database (a record created meanwhile), its rows
go one by one through `apply_enterprise_data`, so one failing row never loses the others.
Bad rows are reported with their line, field, value and reason. A dry run does the same work and rolls it
back chunk by chunk, so its counts are exact and nothing but the ImportRun is written. The whole file
runs in one transaction: a file found unreadable halfway leaves nothing behind.
"""

from __future__ import annotations

import datetime
import hashlib
import operator
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from finbridge.accounts.choices import OrgType
from finbridge.accounts.models import Organization
from finbridge.audit.models import AuditEvent
from finbridge.audit.services import build_event, log_event, snapshot
from finbridge.core.errors import DomainError, PermissionDenied, ValidationFailed
from finbridge.core.permissions import require_perm
from finbridge.enterprises import import_files
from finbridge.enterprises import permissions as perms
from finbridge.enterprises.models import Enterprise, ImportRun
from finbridge.enterprises.selectors_import import import_run_get, importing_organizations
from finbridge.enterprises.services.enterprises import apply_enterprise_data, managing_authority_for
from finbridge.enterprises.sizing import classify
from finbridge.enterprises.validation import (
    ENTERPRISE_FIELDS,
    REQUIRED_FIELDS,
    ReferenceLookup,
    clean_enterprise_data,
    normalize_uscc,
)
from finbridge.reference.models import IndustrialCluster, Subdistrict

# Rows validated, looked up and written together; each chunk is one transaction.
CHUNK_SIZE = 500
STORAGE_PREFIX = "imports"
ACTION_IMPORT = "enterprise_import_run"
ACTION_DRY_RUN = "enterprise_import_dry_run"
ACTION_ROW = "enterprise_import"

# The template's example row carries this (valid but reserved) credit code; such rows are skipped.
EXAMPLE_USCC = "91440300MA5EXAMPLA"


@dataclass(frozen=True)
class ImportColumn:
    """One column of the import file: the input field, its English and Chinese titles, and how to fill it."""

    field: str
    title_en: str
    title_zh: str
    help: Any
    example_en: Any
    example_zh: Any

    def title(self) -> str:
        """The column title in the active language."""
        return self.title_zh if _is_chinese() else self.title_en

    def example(self) -> Any:
        return self.example_zh if _is_chinese() else self.example_en


_YES_NO = gettext_lazy("Yes or no (also 是/否, Y/N, 1/0, true/false).")
_AMOUNT = gettext_lazy("An amount in CNY yuan (not ten-thousand yuan), from 0 to 10 trillion; separators allowed.")
COLUMNS: tuple[ImportColumn, ...] = (
    ImportColumn(
        "uscc",
        "Unified social credit code",
        "统一社会信用代码",
        gettext_lazy("18 characters (GB 32100-2015). Rows are matched to existing enterprises by this code."),
        EXAMPLE_USCC,
        EXAMPLE_USCC,
    ),
    ImportColumn(
        "name",
        "Name",
        "企业名称",
        gettext_lazy("The registered name, up to 200 characters."),
        "深圳市坪山示例科技有限公司",
        "深圳市坪山示例科技有限公司",
    ),
    ImportColumn(
        "name_en",
        "English name",
        "英文名称",
        gettext_lazy("The English name, up to 200 characters."),
        "Shenzhen Pingshan Example Technology Co., Ltd.",
        "Shenzhen Pingshan Example Technology Co., Ltd.",
    ),
    ImportColumn(
        "legal_representative",
        "Legal representative",
        "法定代表人",
        gettext_lazy("Up to 100 characters."),
        "张三",
        "张三",
    ),
    ImportColumn(
        "established_on",
        "Date established",
        "成立日期",
        gettext_lazy("A date as YYYY-MM-DD or YYYY/M/D (or a spreadsheet date), not before 1900 nor in the future."),
        datetime.date(2018, 6, 30),
        datetime.date(2018, 6, 30),
    ),
    ImportColumn("registered_capital", "Registered capital (CNY)", "注册资本（元）", _AMOUNT, 5000000, 5000000),
    ImportColumn(
        "address",
        "Address",
        "地址",
        gettext_lazy("Up to 255 characters."),
        "深圳市坪山区坪山大道1号",
        "深圳市坪山区坪山大道1号",
    ),
    ImportColumn(
        "subdistrict",
        "Subdistrict code",
        "所属街道代码",
        gettext_lazy("The code of a subdistrict from the list of codes below."),
        "",
        "",
    ),
    ImportColumn(
        "industry_code",
        "Industry code (GB/T 4754-2017)",
        "行业代码（GB/T 4754-2017）",
        gettext_lazy("A code of GB/T 4754-2017 at any level: C, C36, C367 or C3670."),
        "C3670",
        "C3670",
    ),
    ImportColumn(
        "clusters",
        "Industrial clusters",
        "产业集群",
        gettext_lazy("Codes of industrial clusters from the list below, separated by ; or , or 、."),
        "",
        "",
    ),
    ImportColumn(
        "employees",
        "Employees",
        "从业人数",
        gettext_lazy("A whole number from 0 to 5,000,000."),
        120,
        120,
    ),
    ImportColumn("annual_revenue", "Annual revenue (CNY)", "营业收入（元）", _AMOUNT, 36000000, 36000000),
    ImportColumn("total_assets", "Total assets (CNY)", "资产总额（元）", _AMOUNT, 28000000, 28000000),
    ImportColumn("is_high_tech", "National high-tech enterprise", "国家高新技术企业", _YES_NO, "yes", "是"),
    ImportColumn("is_tech_sme", "Tech-based SME", "科技型中小企业", _YES_NO, "yes", "是"),
    ImportColumn("is_srdi", "Provincial SRDI (专精特新)", "专精特新中小企业", _YES_NO, "no", "否"),
    ImportColumn("is_little_giant", "National SRDI little giant", "专精特新“小巨人”企业", _YES_NO, "no", "否"),
    ImportColumn(
        "patents_held",
        "Patents held",
        "有效专利数",
        gettext_lazy("A whole number from 0 to 1,000,000."),
        12,
        12,
    ),
    ImportColumn("has_serious_bad_credit", "Serious bad credit record", "严重失信记录", _YES_NO, "no", "否"),
)
COLUMN_BY_FIELD = {column.field: column for column in COLUMNS}
assert tuple(COLUMN_BY_FIELD) == ENTERPRISE_FIELDS, "import columns must follow ENTERPRISE_FIELDS"
BOOLEAN_FIELDS = ("is_high_tech", "is_tech_sme", "is_srdi", "is_little_giant", "has_serious_bad_credit")


def _is_chinese() -> bool:
    return (translation.get_language() or "zh-hans").startswith("zh")


def _header_key(text: Any) -> str:
    """A header cell reduced for matching: NFKC, no spaces, underscores or asterisks, case-folded."""
    return re.sub(r"[\s_*]", "", unicodedata.normalize("NFKC", str(text))).casefold()


HEADER_ALIASES: dict[str, str] = {
    _header_key(alias): column.field for column in COLUMNS for alias in (column.field, column.title_en, column.title_zh)
}


def column_title(field_name: str) -> str:
    """The title of an import column in the active language (the name itself for anything else)."""
    column = COLUMN_BY_FIELD.get(field_name)
    return column.title() if column else field_name


# ---- the import -------------------------------------------------------------------------------------


@dataclass
class _Row:
    line: int
    raw: dict[str, Any]
    cleaned: dict[str, Any]


@dataclass
class _Outcome:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, line: int, problems: Iterable[tuple[str, Any, str]]) -> None:
        """Count a rejected row and record each (field, value, message) of it."""
        self.rejected += 1
        for field_name, value, message in problems:
            self.errors.append(
                {"line": line, "field": field_name, "value": import_files.display_value(value), "message": message}
            )


class _Importer:
    """The row-by-row work of one import: validate, check remit, create or update, count."""

    def __init__(self, *, actor: Any, organization: Organization, dry_run: bool) -> None:
        self.actor = actor
        self.organization = organization
        self.dry_run = dry_run
        self.outcome = _Outcome()
        self.references = ReferenceLookup()
        self.first_line: dict[str, int] = {}
        self.authority_ids: dict[str, int | None] = {}

    def run(self, rows: Iterator[tuple[int, dict[str, Any]]]) -> _Outcome:
        while chunk := list(islice(rows, CHUNK_SIZE)):
            prepared = [row for row in (self._prepare(line, raw) for line, raw in chunk) if row is not None]
            self._write(prepared)
        return self.outcome

    # -- validation, without the database except reference tables --

    def _prepare(self, line: int, raw: dict[str, Any]) -> _Row | None:
        self.outcome.total += 1
        try:
            cleaned = clean_enterprise_data(raw, references=self.references)
        except ValidationFailed as error:
            uscc = None if "uscc" in error.fields else _normalized_or_none(raw.get("uscc"))
            if not self._is_repeat(line, uscc, raw):
                self.outcome.reject(line, _problems(error, raw))
            return None
        if self._is_repeat(line, cleaned["uscc"], raw):
            return None
        return _Row(line=line, raw=raw, cleaned=cleaned)

    def _is_repeat(self, line: int, uscc: str | None, raw: dict[str, Any]) -> bool:
        """Reject the row if its credit code appeared on an earlier line; otherwise remember the code."""
        if uscc is None:
            return False
        first = self.first_line.setdefault(uscc, line)
        if first == line:
            return False
        message = _("The credit code %(uscc)s already appears on line %(line)s of this file.") % {
            "uscc": uscc,
            "line": first,
        }
        self.outcome.reject(line, [("uscc", raw.get("uscc"), message)])
        return True

    # -- writing: one transaction per chunk; new records in bulk, others one savepoint per row --

    def _write(self, rows: Sequence[_Row]) -> None:
        if not rows:
            return
        existing = _existing_by_uscc([row.cleaned["uscc"] for row in rows])
        cluster_ids = _cluster_ids_of([enterprise.pk for enterprise in existing.values()])
        new_rows: list[_Row] = []
        changed_rows: list[tuple[_Row, Enterprise]] = []
        for row in rows:
            current = existing.get(row.cleaned["uscc"])
            if not self._in_remit(row, current):
                self._reject_outside_remit(row)
            elif current is None:
                new_rows.append(row)
            elif _differs(current, row.cleaned, cluster_ids.get(current.pk, set())):
                changed_rows.append((row, current))
            else:
                self.outcome.unchanged += 1
        with transaction.atomic():
            self._create_all(new_rows)
            for row, current in changed_rows:
                self._apply_one(row, current)
            if self.dry_run:
                transaction.set_rollback(True)

    def _reject_outside_remit(self, row: _Row) -> None:
        remit_field = "industry_code" if self.organization.org_type == OrgType.INDUSTRY_AUTHORITY else "subdistrict"
        message = _("This enterprise is outside your organisation's remit.")
        self.outcome.reject(row.line, [(remit_field, row.raw.get(remit_field), message)])

    def _create_all(self, rows: Sequence[_Row]) -> None:
        """Create the new records together; if that fails (a record made meanwhile by someone else), create
        them one by one so that only the failing rows are rejected."""
        if not rows:
            return
        try:
            with transaction.atomic():
                _create_in_bulk(actor=self.actor, data=[row.cleaned for row in rows], authority_id=self._authority_id)
        except DatabaseError:
            for row in rows:
                self._apply_one(row, None)
        else:
            self.outcome.created += len(rows)

    def _apply_one(self, row: _Row, current: Enterprise | None) -> None:
        """Create or update one record through apply_enterprise_data, in its own savepoint."""
        try:
            with transaction.atomic():
                _enterprise, changed = apply_enterprise_data(
                    actor=self.actor, data=row.cleaned, existing=current, action=ACTION_ROW
                )
        except DomainError as error:
            self.outcome.reject(row.line, _problems(error, row.raw))
            return
        except DatabaseError:
            message = _("The row could not be saved; it may have been changed at the same time. Import it again.")
            self.outcome.reject(row.line, [("uscc", row.raw.get("uscc"), message)])
            return
        if current is None:
            self.outcome.created += 1
        elif changed:
            self.outcome.updated += 1
        else:
            self.outcome.unchanged += 1

    def _in_remit(self, row: _Row, current: Enterprise | None) -> bool:
        """The enterprise, before and after the row, is in the importing organisation's remit."""
        org = self.organization
        if org.org_type == OrgType.DISTRICT_AUTHORITY:
            return True
        if org.org_type == OrgType.INDUSTRY_AUTHORITY:
            before = current is None or current.managing_authority_id == org.pk
            return before and self._authority_id(row.cleaned["industry_code"]) == org.pk
        if org.org_type == OrgType.SUBDISTRICT_OFFICE:
            before = current is None or current.subdistrict_id == org.subdistrict_id
            if "subdistrict" in row.cleaned:
                after = row.cleaned["subdistrict"].pk if row.cleaned["subdistrict"] else None
            else:
                after = current.subdistrict_id if current else None
            return before and after is not None and after == org.subdistrict_id
        return False

    def _authority_id(self, industry_code: str) -> int | None:
        if industry_code not in self.authority_ids:
            authority = managing_authority_for(industry_code)
            self.authority_ids[industry_code] = authority.pk if authority else None
        return self.authority_ids[industry_code]


def _normalized_or_none(raw: Any) -> str | None:
    try:
        return normalize_uscc(raw)
    except ValidationFailed:
        return None


def _problems(error: DomainError, raw: dict[str, Any]) -> list[tuple[str, Any, str]]:
    """(field, value, message) for every message of a domain error about one row."""
    problems = [(name, raw.get(name), message) for name, messages in error.fields.items() for message in messages]
    return problems or [("", "", error.message)]


def _differs(current: Enterprise, cleaned: dict[str, Any], cluster_ids: set[int]) -> bool:
    """Whether a row would change the stored record (a quick check on prefetched data: rows it passes
    are counted unchanged; the others go to apply_enterprise_data, which has the last word)."""
    for name, value in cleaned.items():
        if name == "clusters":
            stored: Any = cluster_ids
            value = {cluster.pk for cluster in value}
        elif name == "subdistrict":
            stored, value = current.subdistrict_id, (value.pk if value is not None else None)
        else:
            stored = getattr(current, name)
        if stored != value:
            return True
    return _size_class(current) != current.size_class


def _size_class(enterprise: Enterprise) -> str:
    return classify(
        industry_code=enterprise.industry_code,
        employees=enterprise.employees,
        revenue=enterprise.annual_revenue,
        assets=enterprise.total_assets,
    )


def _create_in_bulk(*, actor: Any, data: Sequence[dict[str, Any]], authority_id: Any) -> list[Enterprise]:
    """Create many enterprises from validated data with a few statements, writing what apply_enterprise_data
    writes for a new record: the record (managing authority and size class derived), its clusters, one
    history version ("+", the actor, the action as reason) with its clusters, and one audit event."""
    enterprises = []
    for values in data:
        enterprise = Enterprise(**{name: value for name, value in values.items() if name != "clusters"})
        enterprise.managing_authority_id = authority_id(enterprise.industry_code)
        enterprise.size_class = _size_class(enterprise)
        enterprises.append(enterprise)
    _insert_all(Enterprise, enterprises)
    through = Enterprise.clusters.through
    links = [
        through(enterprise_id=enterprise.pk, industrialcluster_id=cluster.pk)
        for enterprise, values in zip(enterprises, data, strict=True)
        for cluster in values.get("clusters") or []
    ]
    _insert_all(through, links)
    _record_history(actor, enterprises, links)
    events = [
        build_event(
            actor=actor,
            action=ACTION_ROW,
            obj=enterprise,
            before=None,
            after=_snapshot_without_query(enterprise, values.get("clusters") or []),
        )
        for enterprise, values in zip(enterprises, data, strict=True)
    ]
    _insert_all(AuditEvent, events)
    return enterprises


def _record_history(actor: Any, enterprises: Sequence[Enterprise], links: Sequence[Any]) -> None:
    """One "+" history version per new record, with its cluster rows, as django-simple-history stores them."""
    version_model = Enterprise.history.model
    now = timezone.now()
    user = actor if getattr(actor, "is_authenticated", False) else None
    versions = [
        version_model(
            history_date=now,
            history_user=user,
            history_change_reason=ACTION_ROW,
            history_type="+",
            **{field.attname: getattr(enterprise, field.attname) for field in version_model.tracked_fields},
        )
        for enterprise in enterprises
    ]
    _insert_all(version_model, versions)
    version_of = {version.id: version for version in versions}
    cluster_version_model = apps.get_model("enterprises", "HistoricalEnterprise_clusters")
    _insert_all(
        cluster_version_model,
        [
            cluster_version_model(
                history=version_of[link.enterprise_id],
                id=link.pk,
                enterprise_id=link.enterprise_id,
                industrialcluster_id=link.industrialcluster_id,
            )
            for link in links
        ],
    )


def _insert_all(model: Any, records: Sequence[Any]) -> None:
    """Insert new records and set their ids: COPY on PostgreSQL (ids drawn from the table's sequence first;
    several times faster than INSERT for large files), bulk_create elsewhere."""
    if not records:
        return
    database = connections[DEFAULT_DB_ALIAS]  # the connection itself, not the thread-local proxy (hot loop)
    if database.vendor != "postgresql":
        model.objects.bulk_create(records)
        return
    meta = model._meta
    fields = meta.local_concrete_fields
    table = database.ops.quote_name(meta.db_table)
    columns = ", ".join(database.ops.quote_name(field.column) for field in fields)
    with database.wrap_database_errors, database.cursor() as cursor:
        if records[0].pk is None:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(records)],
            )
            for record, (pk,) in zip(records, cursor.fetchall(), strict=True):
                record.pk = pk
        values = [_copy_value(field, database) for field in fields]
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for record in records:
                copy.write_row([value(record) for value in values])
    for record in records:
        record._state.adding = False
        record._state.db = database.alias


def _copy_value(field: Any, database: Any) -> Any:
    """How to read one column of a record for COPY: psycopg adapts plain Python values itself, so only
    fields that Django computes on save (auto_now dates) or wraps for the driver (JSON) take the slow way."""
    if (
        getattr(field, "auto_now", False)
        or getattr(field, "auto_now_add", False)
        or field.get_internal_type() == "JSONField"
    ):
        return lambda record: field.get_db_prep_save(field.pre_save(record, True), database)
    return operator.attrgetter(field.attname)


def _snapshot_without_query(enterprise: Enterprise, clusters: Sequence[IndustrialCluster]) -> dict[str, Any]:
    """snapshot(enterprise) for a record just created, with its clusters given instead of queried."""
    names = [field.name for field in Enterprise._meta.concrete_fields]
    ordered = sorted(clusters, key=lambda cluster: cluster.code)
    return {**snapshot(enterprise, fields=names), "clusters": [cluster.pk for cluster in ordered]}


def _existing_by_uscc(usccs: Sequence[str]) -> dict[str, Enterprise]:
    """The stored enterprises with these credit codes, by code."""
    return {enterprise.uscc: enterprise for enterprise in Enterprise.objects.filter(uscc__in=usccs)}


def _cluster_ids_of(enterprise_ids: Sequence[int]) -> dict[int, set[int]]:
    """The cluster ids of each of these enterprises (read from the link table, without cluster records)."""
    links = Enterprise.clusters.through.objects.filter(enterprise_id__in=enterprise_ids)
    cluster_ids: dict[int, set[int]] = {}
    for enterprise_id, cluster_id in links.values_list("enterprise_id", "industrialcluster_id"):
        cluster_ids.setdefault(enterprise_id, set()).add(cluster_id)
    return cluster_ids


def _mapped_rows(rows: Iterator[import_files.NumberedRow]) -> tuple[list[str | None], Iterator[tuple[int, dict]]]:
    """The field of each column (from the first non-empty row) and the data rows as {field: value}."""
    for _line, header in rows:
        if not import_files.is_blank(header):
            columns = _columns_of(header)
            return columns, _data_rows(columns, rows)
    raise ValidationFailed(_("The file has no header row."), code="import_no_header")


def _columns_of(header: Sequence[Any]) -> list[str | None]:
    """Map header cells to fields; ValidationFailed listing missing required and unknown columns."""
    columns: list[str | None] = []
    unknown: list[str] = []
    repeated: list[str] = []
    for cell in header:
        if cell is None:
            columns.append(None)
            continue
        field_name = HEADER_ALIASES.get(_header_key(cell))
        if field_name is None:
            unknown.append(str(cell))
        elif field_name in columns:
            repeated.append(str(cell))
        columns.append(field_name)
    missing = [column_title(name) for name in REQUIRED_FIELDS if name not in columns]
    problems = []
    if missing:
        problems.append(_("Required columns are missing: %(columns)s.") % {"columns": ", ".join(missing)})
    if unknown:
        problems.append(_("These columns are not known: %(columns)s.") % {"columns": ", ".join(unknown)})
    if repeated:
        problems.append(_("These columns appear more than once: %(columns)s.") % {"columns": ", ".join(repeated)})
    if problems:
        message = " ".join(problems)
        raise ValidationFailed(
            _("The header row does not match the template. %(problems)s") % {"problems": message},
            code="import_bad_columns",
            fields={"columns": problems},
        )
    return columns


def _data_rows(columns: list[str | None], rows: Iterator[import_files.NumberedRow]) -> Iterator[tuple[int, dict]]:
    """Non-empty rows as {field: value} (empty cells left out), skipping the template's example row."""
    for line, values in rows:
        raw = {name: value for name, value in zip(columns, values, strict=False) if name and value is not None}
        if not raw or str(raw.get("uscc", "")).upper() == EXAMPLE_USCC:
            continue
        yield line, raw


def _require_importing_organization(actor: Any, organization: Organization) -> None:
    require_perm(actor, perms.IMPORT_ENTERPRISES)
    if organization.pk not in {org.pk for org in importing_organizations(actor=actor)}:
        raise PermissionDenied(_("You cannot import enterprises for this organisation."))


def _store_file(sha256: str, content: bytes) -> None:
    name = f"{STORAGE_PREFIX}/{sha256}"
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(content))


def _stored_name(run: ImportRun) -> str:
    return f"{STORAGE_PREFIX}/{run.file_sha256}"


def stored_file_exists(run: ImportRun) -> bool:
    """Whether the uploaded file of a run is still kept (so that a dry run can be applied)."""
    return default_storage.exists(_stored_name(run))


def stored_file(run: ImportRun) -> bytes | None:
    """The uploaded bytes of an import run, or None when the stored file is gone (or altered)."""
    name = _stored_name(run)
    if not default_storage.exists(name):
        return None
    with default_storage.open(name, "rb") as handle:
        content = handle.read()
    return content if hashlib.sha256(content).hexdigest() == run.file_sha256 else None


def enterprise_import(
    *, actor: Any, organization: Organization, file_name: str, content: bytes, dry_run: bool
) -> ImportRun:
    """Import an enterprise list (.xlsx or .csv) for `organization`, or check it with a dry run.

    Who: a member whose role grants enterprises.import_enterprises in a government organisation; the
    rows must fall inside that organisation's remit. Good rows are created or updated by credit code
    (unchanged ones counted as such), bad rows are reported in the run's errors; a dry run writes
    nothing but the ImportRun. Raises PermissionDenied, or ValidationFailed for a file that cannot be
    imported at all (empty, too large, wrong type, unreadable, bad header, no rows) with nothing written.
    """
    _require_importing_organization(actor, organization)
    file_format = import_files.check_upload(file_name, content)
    _columns, rows = _mapped_rows(import_files.read_rows(file_format, content))
    # One transaction for the file (a file found unreadable halfway leaves nothing behind); each chunk
    # and each row inside it has its own savepoint.
    with transaction.atomic():
        outcome = _Importer(actor=actor, organization=organization, dry_run=dry_run).run(rows)
        if outcome.total == 0:
            message = _("The file contains no enterprise rows under its header.")
            raise ValidationFailed(message, code="import_no_rows", fields={"file": [message]})
        sha256 = hashlib.sha256(content).hexdigest()
        run = _record_run(actor, organization, file_name, sha256, dry_run, outcome)
    _store_file(sha256, content)
    return run


def _record_run(
    actor: Any, organization: Organization, file_name: str, sha256: str, dry_run: bool, outcome: _Outcome
) -> ImportRun:
    run = ImportRun.objects.create(
        organization=organization,
        created_by=actor,
        file_name=file_name[:255],
        file_sha256=sha256,
        dry_run=dry_run,
        rows_total=outcome.total,
        rows_created=outcome.created,
        rows_updated=outcome.updated,
        rows_unchanged=outcome.unchanged,
        rows_rejected=outcome.rejected,
        errors=outcome.errors,
    )
    log_event(
        actor=actor,
        action=ACTION_DRY_RUN if dry_run else ACTION_IMPORT,
        obj=run,
        after={
            "organization": organization.pk,
            "file_name": run.file_name,
            "file_sha256": sha256,
            "dry_run": dry_run,
            "rows_total": outcome.total,
            "rows_created": outcome.created,
            "rows_updated": outcome.updated,
            "rows_unchanged": outcome.unchanged,
            "rows_rejected": outcome.rejected,
        },
    )
    return run


def import_run_apply(*, actor: Any, pk: Any) -> ImportRun:
    """Apply the file of an earlier run (normally a dry run) for real; returns the new run.

    Who: as enterprise_import, for a run of an organisation the actor imports for (NotFound otherwise).
    Raises ValidationFailed when the stored file is no longer available.
    """
    run = import_run_get(actor=actor, pk=pk)
    content = stored_file(run)
    if content is None:
        raise ValidationFailed(_("The uploaded file is no longer available: upload it again."), code="import_file_gone")
    return enterprise_import(
        actor=actor, organization=run.organization, file_name=run.file_name, content=content, dry_run=False
    )


# ---- template and report -----------------------------------------------------------------------------


def import_template(*, language: str, file_format: str) -> tuple[bytes, str]:
    """A template to fill in (.xlsx with explanations, or .csv), titled in `language`; (bytes, file name).

    Anyone allowed to import may download it; reads only reference data. Raises ValidationFailed for an
    unknown language or format.
    """
    languages = {"zh-hans", "en"}
    if language not in languages or file_format not in import_files.FORMATS:
        raise ValidationFailed(_("Choose the language zh-hans or en and the format xlsx or csv."), code="bad_template")
    with translation.override(language):
        header = [column.title_zh if language == "zh-hans" else column.field for column in COLUMNS]
        example = [_example_value(column) for column in COLUMNS]
        filename = f"enterprise-import-template-{language}.{file_format}"
        if file_format == import_files.CSV:
            return import_files.write_csv_rows([header, example]), filename
        return _template_workbook(header, example), filename


def _example_value(column: ImportColumn) -> Any:
    if column.field == "subdistrict":
        first = Subdistrict.objects.order_by("code").first()
        return first.code if first else ""
    if column.field == "clusters":
        first = IndustrialCluster.objects.order_by("code").first()
        return first.code if first else ""
    return column.example()


def _template_workbook(header: list[str], example: list[Any]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Enterprises")[:31]
    sheet.append(header)
    sheet.append(example)
    header_font, header_fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="0B5CAD")
    example_font = Font(italic=True, color="667085")
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font, cell.fill = header_font, header_fill
        cell.comment = Comment(_column_note(column), "FinBridge", width=320, height=140)
        sheet.cell(row=2, column=index).font = example_font
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = max(14, min(40, len(str(header[index - 1])) * 2 + 4))
        if column.field == "uscc":
            sheet.column_dimensions[letter].number_format = "@"
            sheet.cell(row=2, column=index).number_format = "@"
        if column.field == "established_on":
            sheet.cell(row=2, column=index).number_format = "yyyy-mm-dd"
        if column.field in BOOLEAN_FIELDS:
            choices = '"是,否"' if _is_chinese() else '"yes,no"'
            validation = DataValidation(type="list", formula1=choices, allow_blank=True)
            sheet.add_data_validation(validation)
            validation.add(f"{letter}2:{letter}100001")
    sheet.freeze_panes = "A2"
    _instructions_sheet(workbook.create_sheet(_("Instructions")[:31]))
    return import_files.workbook_bytes(workbook)


def _column_note(column: ImportColumn) -> str:
    required = _("Required.") if column.field in REQUIRED_FIELDS else _("Optional.")
    return f"{column.title()} ({column.field})\n{required} {column.help}"


def _instructions_sheet(sheet: Any) -> None:
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    notes = [
        _("Fill in one enterprise per row of the first sheet, under its header row; keep the column titles."),
        _("Rows are matched by credit code: an existing enterprise is updated, a new one is created."),
        _("Empty cells leave the stored value unchanged; a new enterprise simply has no value there."),
        _("The example row (credit code %(uscc)s) is skipped on import: replace it with your data.")
        % {"uscc": EXAMPLE_USCC},
        _("Only enterprises in your organisation's remit (sector or subdistrict) can be imported."),
    ]
    sheet.append([_("How to fill in this template")])
    sheet["A1"].font = Font(bold=True, size=13)
    for note in notes:
        sheet.append([note])
    sheet.append([])
    sheet.append([_("Column"), _("Field name"), _("Required"), _("Accepted values"), _("Example")])
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for column in COLUMNS:
        required = _("yes") if column.field in REQUIRED_FIELDS else _("no")
        example = column.example()
        sheet.append([column.title(), column.field, required, str(column.help), import_files.display_value(example)])
    _code_list(sheet, _("Subdistrict codes"), Subdistrict.objects.order_by("code"))
    _code_list(sheet, _("Industrial cluster codes"), IndustrialCluster.objects.order_by("code"))
    for letter, width in zip("ABCDE", (34, 24, 10, 70, 30), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap


def _code_list(sheet: Any, title: str, records: Iterable[Any]) -> None:
    sheet.append([])
    sheet.append([title])
    sheet[f"A{sheet.max_row}"].font = Font(bold=True)
    sheet.append([_("Code"), _("Name")])
    for record in records:
        sheet.append([record.code, record.name])


def import_report(run: ImportRun) -> bytes:
    """The bad rows of an import run as an .xlsx (line, column, value, message), titled in the active language.

    The caller has already fetched `run` through import_run_get (visibility is checked there).
    """
    header = [_("Line"), _("Column"), _("Value"), _("Message")]
    rows = ([error["line"], column_title(error["field"]), error["value"], error["message"]] for error in run.errors)
    return import_files.write_xlsx_rows(_("Rejected rows"), header, rows)
