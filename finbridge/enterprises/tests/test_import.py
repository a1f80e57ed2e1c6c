"""The bulk import service: good, bad and repeated files, dry runs, file checks, template and report."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.db import IntegrityError
from openpyxl import load_workbook

from finbridge.accounts.choices import OrgType, Role
from finbridge.accounts.tests.factories import ClusterFactory, SubdistrictFactory, member_of
from finbridge.audit.models import AuditEvent
from finbridge.core.errors import NotFound, PermissionDenied, ValidationFailed
from finbridge.enterprises import import_files
from finbridge.enterprises.models import Enterprise, ImportRun
from finbridge.enterprises.services import importing
from finbridge.enterprises.services.enterprises import apply_enterprise_data
from finbridge.enterprises.services.importing import (
    EXAMPLE_USCC,
    enterprise_import,
    import_report,
    import_run_apply,
    import_template,
)
from finbridge.enterprises.tests.factories import EnterpriseFactory, valid_uscc
from finbridge.enterprises.tests.import_helpers import (
    HEADER,
    csv_text,
    good_row,
    subdistrict_staff,
    xlsx_bytes,
    xlsx_rows,
)
from finbridge.enterprises.validation import ENTERPRISE_FIELDS, clean_enterprise_data

pytestmark = pytest.mark.django_db

HistoricalEnterprise = Enterprise.history.model


@pytest.fixture
def office():
    """(user, organisation, subdistrict code) of a subdistrict office's staff member."""
    user, org = subdistrict_staff()
    return user, org, org.subdistrict.code


def run_import(office, content: bytes, *, name: str = "list.xlsx", dry_run: bool = False) -> ImportRun:
    user, org, _code = office
    return enterprise_import(actor=user, organization=org, file_name=name, content=content, dry_run=dry_run)


def state() -> tuple[int, int, int, int]:
    """Counts of records, history versions, audit events and runs, to show that nothing changed."""
    return (
        Enterprise.objects.count(),
        HistoricalEnterprise.objects.count(),
        AuditEvent.objects.count(),
        ImportRun.objects.count(),
    )


def errors_by_line(run: ImportRun) -> dict[int, list[dict]]:
    grouped: dict[int, list[dict]] = {}
    for error in run.errors:
        grouped.setdefault(error["line"], []).append(error)
    return grouped


# ---- good files -------------------------------------------------------------------------------------


def test_good_file_creates_every_row_with_history_and_audit(office):
    user, org, code = office
    rows = [good_row(1, code), good_row(2, code, uscc=" " + valid_uscc(2).lower()[:9] + " " + valid_uscc(2)[9:])]

    run = run_import(office, xlsx_bytes(rows))

    assert (run.rows_total, run.rows_created, run.rows_rejected) == (2, 2, 0)
    assert run.errors == [] and run.dry_run is False and run.organization == org and run.created_by == user
    second = Enterprise.objects.get(uscc=valid_uscc(2))
    assert second.subdistrict == org.subdistrict
    assert second.annual_revenue == Decimal("30000000.00")
    assert second.size_class == "small"
    version = HistoricalEnterprise.objects.get(id=second.pk)
    assert (version.history_type, version.history_user) == ("+", user)
    assert version.history_change_reason == "enterprise_import"
    event = AuditEvent.objects.get(action="enterprise_import", object_id=str(second.pk))
    assert event.actor == user and event.before is None and event.after["uscc"] == valid_uscc(2)
    run_event = AuditEvent.objects.get(action="enterprise_import_run")
    assert run_event.object_id == str(run.pk)
    assert run_event.after["rows_created"] == 2 and run_event.after["file_sha256"] == run.file_sha256


def test_all_columns_are_imported_including_clusters_and_labels(office):
    _user, _org, code = office
    cluster_a, cluster_b = ClusterFactory(code="ev"), ClusterFactory(code="ic")
    values = {
        "uscc": valid_uscc(7),
        "name": "深圳市坪山全字段有限公司",
        "name_en": "Full Fields Ltd.",
        "legal_representative": "李四",
        "established_on": "2019/3/8",
        "registered_capital": "1,000,000.50",
        "address": "坪山大道2号",
        "subdistrict": code,
        "industry_code": "c 3670",
        "clusters": "ev；ic",
        "employees": 120,
        "annual_revenue": 1234.56,
        "total_assets": 98765,
        "is_high_tech": "是",
        "is_tech_sme": "yes",
        "is_srdi": "N",
        "is_little_giant": 0,
        "patents_held": 12,
        "has_serious_bad_credit": "否",
    }

    run = run_import(office, xlsx_bytes([[values[name] for name in ENTERPRISE_FIELDS]], header=ENTERPRISE_FIELDS))

    assert run.rows_created == 1, run.errors
    enterprise = Enterprise.objects.get(uscc=valid_uscc(7))
    assert enterprise.established_on.isoformat() == "2019-03-08"
    assert enterprise.registered_capital == Decimal("1000000.50")
    assert enterprise.annual_revenue == Decimal("1234.56")
    assert enterprise.industry_code == "C3670"
    assert set(enterprise.clusters.all()) == {cluster_a, cluster_b}
    assert enterprise.tech_labels == ["high_tech", "tech_sme"]
    assert enterprise.patents_held == 12 and enterprise.has_serious_bad_credit is False
    version = HistoricalEnterprise.objects.get(id=enterprise.pk)
    assert {row.industrialcluster_id for row in version.clusters.all()} == {cluster_a.pk, cluster_b.pk}


def test_bulk_creation_writes_what_apply_enterprise_data_writes(office):
    """The import creates new records in bulk: record, history and audit must match the shared step."""
    user, _org, code = office
    cluster = ClusterFactory(code="bio")
    raw = {
        "name": "对照企业",
        "name_en": "Parity Ltd.",
        "established_on": "2016-05-04",
        "registered_capital": "1,000,000.5",
        "address": "坪山大道3号",
        "subdistrict": code,
        "industry_code": "I6513",
        "clusters": "bio",
        "employees": 8,
        "annual_revenue": "2,500,000",
        "total_assets": "900000.10",
        "is_high_tech": "是",
        "patents_held": 3,
    }
    run_import(office, xlsx_bytes([[valid_uscc(31), *raw.values()]], header=["uscc", *raw]))
    bulk = Enterprise.objects.get(uscc=valid_uscc(31))
    single, _changed = apply_enterprise_data(
        actor=user,
        data=clean_enterprise_data({**raw, "uscc": valid_uscc(32)}),
        existing=None,
        action="enterprise_import",
    )

    ignored = {"id", "uscc", "created_at", "updated_at"}
    bulk_event = AuditEvent.objects.get(action="enterprise_import", object_id=str(bulk.pk))
    single_event = AuditEvent.objects.get(action="enterprise_import", object_id=str(single.pk))
    assert {k: v for k, v in bulk_event.after.items() if k not in ignored} == {
        k: v for k, v in single_event.after.items() if k not in ignored
    }
    assert bulk_event.after["clusters"] == [cluster.pk]
    assert (bulk_event.actor_name, bulk_event.object_type, bulk_event.object_repr) == (
        single_event.actor_name,
        single_event.object_type,
        single_event.object_repr,
    )
    stored = [Enterprise.objects.filter(pk=pk).values().get() for pk in (bulk.pk, single.pk)]
    assert {k: v for k, v in stored[0].items() if k not in ignored} == {
        k: v for k, v in stored[1].items() if k not in ignored
    }
    versions = [HistoricalEnterprise.objects.filter(id=pk).values().get() for pk in (bulk.pk, single.pk)]
    not_compared = ignored | {"history_id", "history_date"}
    assert {k: v for k, v in versions[0].items() if k not in not_compared} == {
        k: v for k, v in versions[1].items() if k not in not_compared
    }
    bulk_versions = list(HistoricalEnterprise.objects.filter(id=bulk.pk))
    single_versions = list(HistoricalEnterprise.objects.filter(id=single.pk))
    assert len(bulk_versions) == len(single_versions) == 1
    compared = ("history_type", "history_user_id", "history_change_reason", "size_class", "managing_authority_id")
    for attribute in compared:
        assert getattr(bulk_versions[0], attribute) == getattr(single_versions[0], attribute)
    assert [c.industrialcluster_id for c in bulk_versions[0].clusters.all()] == [
        c.industrialcluster_id for c in single_versions[0].clusters.all()
    ]


def test_chinese_headers_and_loose_spelling_are_recognised(office):
    _user, _org, code = office
    header = [" 统一社会信用代码 ", "企业名称", "所属 街道代码", "行业代码(GB/T 4754-2017)", "从业人数"]
    content = xlsx_bytes([[valid_uscc(3), "中文表头公司", code, "C3670", 30]], header=header)

    run = run_import(office, content)

    assert run.rows_created == 1, run.errors
    assert Enterprise.objects.get(uscc=valid_uscc(3)).employees == 30


def test_english_titles_and_case_are_recognised(office):
    _user, _org, code = office
    header = ["USCC", "Name", "Subdistrict code", "Industry_Code", "annual revenue (cny)"]

    run = run_import(office, xlsx_bytes([[valid_uscc(4), "Case Co", code, "C3670", "2,000,000"]], header=header))

    assert run.rows_created == 1, run.errors
    assert Enterprise.objects.get(uscc=valid_uscc(4)).annual_revenue == Decimal("2000000.00")


def test_csv_utf8_with_bom_is_imported(office):
    _user, _org, code = office
    content = csv_text([good_row(5, code, name="带BOM的企业")]).encode("utf-8-sig")

    run = run_import(office, content, name="list.CSV")

    assert run.rows_created == 1, run.errors
    assert Enterprise.objects.get(uscc=valid_uscc(5)).name == "带BOM的企业"


def test_csv_gb18030_with_chinese_headers_is_imported(office):
    _user, _org, code = office
    header = ["统一社会信用代码", "企业名称", "所属街道代码", "行业代码（GB/T 4754-2017）", "从业人数"]
    content = csv_text([[valid_uscc(6), "国标编码企业", code, "C3670", "15"]], header=header).encode("gb18030")

    run = run_import(office, content, name="名单.csv")

    assert run.rows_created == 1, run.errors
    assert Enterprise.objects.get(uscc=valid_uscc(6)).name == "国标编码企业"


def test_blank_rows_are_skipped_and_lines_stay_those_of_the_sheet(office):
    _user, _org, code = office
    rows = [good_row(1, code), [None] * len(HEADER), good_row(2, code, employees=-5)]

    run = run_import(office, xlsx_bytes(rows))

    assert (run.rows_total, run.rows_created, run.rows_rejected) == (2, 1, 1)
    assert [error["line"] for error in run.errors] == [4]


# ---- bad rows ----------------------------------------------------------------------------------------


BAD_ROWS = [
    ("uscc", "91440300123", "18 characters"),
    ("uscc", valid_uscc(9)[:-3] + "IOZ", "badly formed"),
    ("uscc", valid_uscc(9)[:-1] + ("0" if valid_uscc(9)[-1] != "0" else "1"), "check character"),
    ("annual_revenue", "-1", "cannot be negative"),
    ("total_assets", "99999999999999999", "not plausible"),
    ("employees", "9999999999", "whole number from 0"),
    ("industry_code", "Z9999", "not a code of the industry classification"),
    ("subdistrict", "999999999", "no subdistrict with the code"),
    ("name", "", "required"),
]


@pytest.mark.parametrize(("field", "value", "reason"), BAD_ROWS, ids=[f"{f}-{r}" for f, _v, r in BAD_ROWS])
def test_bad_row_is_reported_and_the_good_rows_kept(office, field, value, reason):
    _user, _org, code = office
    bad = good_row(9, code, **{field: value or None})
    rows = [good_row(1, code), bad, good_row(2, code)]

    run = run_import(office, xlsx_bytes(rows))

    assert (run.rows_total, run.rows_created, run.rows_rejected) == (3, 2, 1)
    [error] = run.errors
    assert error["line"] == 3 and error["field"] == field
    assert error["value"] == (value or "")
    assert reason in error["message"]
    assert set(Enterprise.objects.values_list("uscc", flat=True)) == {valid_uscc(1), valid_uscc(2)}


def test_every_bad_field_of_a_row_is_reported(office):
    _user, _org, code = office
    rows = [good_row(1, code, employees="many", annual_revenue="-3", industry_code="ZZ")]

    run = run_import(office, xlsx_bytes(rows))

    assert run.rows_rejected == 1
    assert {error["field"] for error in run.errors} == {"employees", "annual_revenue", "industry_code"}
    assert {error["line"] for error in run.errors} == {2}


def test_repeated_credit_codes_in_one_file_are_rejected_with_the_first_line(office):
    _user, _org, code = office
    first = valid_uscc(1)
    rows = [good_row(1, code), good_row(2, code), good_row(3, code, uscc=first.lower()), good_row(4, code, uscc=first)]

    run = run_import(office, xlsx_bytes(rows))

    assert (run.rows_created, run.rows_rejected) == (2, 2)
    grouped = errors_by_line(run)
    assert sorted(grouped) == [4, 5]
    for line in (4, 5):
        [error] = grouped[line]
        assert error["field"] == "uscc" and "line 2" in error["message"]
    assert Enterprise.objects.filter(uscc=first).count() == 1
    assert Enterprise.objects.get(uscc=first).name == "深圳市坪山导入测试有限公司1"


def test_rows_outside_the_remit_are_rejected(office):
    _user, _org, code = office
    elsewhere = SubdistrictFactory()
    hidden = EnterpriseFactory(uscc=valid_uscc(50), subdistrict=elsewhere, employees=7)
    rows = [
        good_row(1, code),
        good_row(2, elsewhere.code),  # a new record in another subdistrict
        good_row(50, code, employees=99),  # an existing record of another subdistrict
        [valid_uscc(3), "无街道企业", None, "C3670", 5, None, None],  # no subdistrict at all
    ]

    run = run_import(office, xlsx_bytes(rows))

    assert (run.rows_created, run.rows_rejected) == (1, 3)
    grouped = errors_by_line(run)
    assert sorted(grouped) == [3, 4, 5]
    messages = {grouped[line][0]["message"] for line in (3, 4, 5)}
    assert messages == {"This enterprise is outside your organisation's remit."}
    hidden.refresh_from_db()
    assert hidden.employees == 7 and hidden.subdistrict == elsewhere
    assert not Enterprise.objects.filter(uscc__in=[valid_uscc(2), valid_uscc(3)]).exists()


def test_industry_authority_imports_only_its_sectors():
    user = member_of(OrgType.INDUSTRY_AUTHORITY, Role.STAFF, industry_sectors=["C36"])
    org = user.memberships.get().organization
    code = SubdistrictFactory().code
    rows = [good_row(1, code, industry_code="C3670"), good_row(2, code, industry_code="I6513")]

    run = enterprise_import(actor=user, organization=org, file_name="a.xlsx", content=xlsx_bytes(rows), dry_run=False)

    assert (run.rows_created, run.rows_rejected) == (1, 1)
    assert run.errors[0]["line"] == 3 and run.errors[0]["field"] == "industry_code"
    assert Enterprise.objects.get().managing_authority == org


def test_district_authority_imports_anywhere():
    user = member_of(OrgType.DISTRICT_AUTHORITY, Role.ADMIN)
    org = user.memberships.get().organization
    rows = [good_row(1, SubdistrictFactory().code), good_row(2, SubdistrictFactory().code, industry_code="K7010")]

    run = enterprise_import(actor=user, organization=org, file_name="a.xlsx", content=xlsx_bytes(rows), dry_run=False)

    assert (run.rows_created, run.rows_rejected) == (2, 0)


def test_a_row_failing_in_the_database_loses_no_other_row(office, monkeypatch):
    """When the bulk insert fails (a record created meanwhile), rows are retried one by one."""
    _user, _org, code = office
    real_apply = importing.apply_enterprise_data

    def flaky_bulk(**kwargs):
        raise IntegrityError("simulated concurrent insert")

    def flaky_apply(**kwargs):
        if kwargs["data"]["uscc"] == valid_uscc(2):
            Enterprise.objects.create(uscc=valid_uscc(2), name="half-written", industry_code="C")
            raise IntegrityError("simulated")
        return real_apply(**kwargs)

    monkeypatch.setattr(importing, "_create_in_bulk", flaky_bulk)
    monkeypatch.setattr(importing, "apply_enterprise_data", flaky_apply)

    run = run_import(office, xlsx_bytes([good_row(1, code), good_row(2, code), good_row(3, code)]))

    assert (run.rows_created, run.rows_rejected) == (2, 1)
    assert run.errors[0]["line"] == 3 and run.errors[0]["field"] == "uscc"
    assert set(Enterprise.objects.values_list("uscc", flat=True)) == {valid_uscc(1), valid_uscc(3)}


# ---- updates, repeats and dry runs -------------------------------------------------------------------


def test_existing_records_are_updated_and_empty_cells_keep_values(office):
    _user, org, code = office
    existing = EnterpriseFactory(
        uscc=valid_uscc(1), subdistrict=org.subdistrict, employees=50, legal_representative="王五"
    )
    rows = [[valid_uscc(1), "新名称有限公司", None, "C3670", 400, None, None]]

    run = run_import(office, xlsx_bytes(rows))

    assert (run.rows_updated, run.rows_created, run.rows_unchanged) == (1, 0, 0)
    existing.refresh_from_db()
    assert existing.name == "新名称有限公司" and existing.employees == 400
    assert existing.subdistrict.code == code and existing.legal_representative == "王五"
    version = HistoricalEnterprise.objects.filter(id=existing.pk).latest("history_date")
    assert version.history_type == "~" and version.history_change_reason == "enterprise_import"
    event = AuditEvent.objects.get(action="enterprise_import", object_id=str(existing.pk))
    assert event.before["employees"] == 50 and event.after["employees"] == 400


def test_repeating_a_file_creates_no_duplicates_and_changes_nothing(office):
    _user, _org, code = office
    ClusterFactory(code="ev")
    header = [*HEADER, "clusters", "is_srdi"]
    content = xlsx_bytes([[*good_row(n, code), "ev", "是"] for n in (1, 2, 3)], header=header)
    first = run_import(office, content)
    before = state()

    again = run_import(office, content)

    assert (first.rows_created, first.rows_unchanged) == (3, 0)
    assert (again.rows_created, again.rows_updated, again.rows_unchanged, again.rows_rejected) == (0, 0, 3, 0)
    records, versions, events, runs = state()
    assert (records, versions) == before[:2]
    assert events == before[2] + 1  # only the second run's own audit event
    assert runs == before[3] + 1


def test_dry_run_writes_nothing_but_the_run_and_counts_exactly(office):
    _user, org, code = office
    EnterpriseFactory(uscc=valid_uscc(1), subdistrict=org.subdistrict, employees=50, name="已有企业")
    run_import(office, xlsx_bytes([good_row(2, code)]))
    rows = [
        good_row(1, code, name="已有企业", employees=80),  # update
        good_row(2, code),  # unchanged
        good_row(3, code),  # new
        good_row(4, code, industry_code="nope"),  # rejected
    ]
    before = state()
    snapshot_before = list(Enterprise.objects.order_by("pk").values())

    run = run_import(office, xlsx_bytes(rows), dry_run=True)

    assert run.dry_run is True
    counts = (run.rows_total, run.rows_created, run.rows_updated, run.rows_unchanged, run.rows_rejected)
    assert counts == (4, 1, 1, 1, 1)
    assert run.errors[0]["line"] == 5
    records, versions, events, runs = state()
    assert (records, versions, runs) == (before[0], before[1], before[3] + 1)
    assert events == before[2] + 1
    assert AuditEvent.objects.latest("id").action == "enterprise_import_dry_run"
    assert list(Enterprise.objects.order_by("pk").values()) == snapshot_before

    applied = import_run_apply(actor=office[0], pk=run.pk)

    assert applied.dry_run is False and applied.file_sha256 == run.file_sha256
    assert (applied.rows_created, applied.rows_updated, applied.rows_unchanged, applied.rows_rejected) == (1, 1, 1, 1)
    assert Enterprise.objects.get(uscc=valid_uscc(1)).employees == 80


def test_applying_a_run_whose_file_is_gone_is_refused(office):
    _user, _org, code = office
    run = run_import(office, xlsx_bytes([good_row(1, code)]), dry_run=True)
    from django.core.files.storage import default_storage

    default_storage.delete(f"imports/{run.file_sha256}")
    before = state()

    with pytest.raises(ValidationFailed) as raised:
        import_run_apply(actor=office[0], pk=run.pk)

    assert raised.value.code == "import_file_gone"
    assert state() == before


def test_another_organisations_run_cannot_be_applied(office):
    _user, _org, code = office
    run = run_import(office, xlsx_bytes([good_row(1, code)]), dry_run=True)
    stranger, _stranger_org = subdistrict_staff()

    with pytest.raises(NotFound):
        import_run_apply(actor=stranger, pk=run.pk)
    assert not Enterprise.objects.exists()


# ---- files that cannot be imported -------------------------------------------------------------------


def _assert_refused(office, content: bytes, name: str, code: str) -> ValidationFailed:
    before = state()
    with pytest.raises(ValidationFailed) as raised:
        run_import(office, content, name=name)
    assert raised.value.code == code
    assert state() == before
    return raised.value


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("list.txt", b"uscc,name\n"),
        ("list.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64),
        ("list.xlsx", b"uscc,name,industry_code\n1,2,3\n"),
        ("list.csv", b"PK\x03\x04 not really a zip"),
        ("list.csv", b"uscc\x00name\x00"),
        ("list", b"uscc,name\n"),
    ],
)
def test_wrong_file_types_are_refused(office, name, content):
    error = _assert_refused(office, content, name, "import_wrong_file_type")
    assert "file" in error.fields


def test_a_corrupt_xlsx_is_refused(office):
    _assert_refused(office, b"PK\x03\x04" + b"\x00" * 100, "list.xlsx", "import_unreadable_file")


def test_undecodable_csv_is_refused(office):
    _assert_refused(office, b"uscc,name\n\xff\xfe\xfa\xfb\x81", "list.csv", "import_unreadable_file")


def test_an_empty_file_is_refused(office):
    error = _assert_refused(office, b"", "list.xlsx", "import_empty_file")
    assert "empty" in error.message


def test_a_file_over_the_size_limit_is_refused(office, settings):
    _user, _org, code = office
    content = xlsx_bytes([good_row(1, code)])
    settings.FINBRIDGE_IMPORT_MAX_BYTES = len(content) - 1

    error = _assert_refused(office, content, "list.xlsx", "import_file_too_large")

    assert "larger than the limit" in error.message


def test_a_file_with_a_header_and_no_rows_is_refused(office):
    _assert_refused(office, xlsx_bytes([]), "list.xlsx", "import_no_rows")


def test_missing_required_columns_are_listed(office):
    content = xlsx_bytes([[valid_uscc(1), "缺列企业"]], header=["uscc", "name"])

    error = _assert_refused(office, content, "list.xlsx", "import_bad_columns")

    assert "Required columns are missing" in error.message
    assert "Industry code (GB/T 4754-2017)" in error.message


def test_unknown_and_repeated_columns_are_listed(office):
    _user, _org, code = office
    header = [*HEADER, "favourite colour", "企业名称"]
    content = xlsx_bytes([[*good_row(1, code), "blue", "x"]], header=header)

    error = _assert_refused(office, content, "list.xlsx", "import_bad_columns")

    assert "favourite colour" in error.message
    assert "appear more than once: 企业名称" in error.message
    assert len(error.fields["columns"]) == 2


# ---- permissions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("org_type", "role"),
    [
        (OrgType.BANK, Role.ADMIN),
        (OrgType.MSME, Role.ADMIN),
        (OrgType.SUBDISTRICT_OFFICE, Role.VIEWER),
        (OrgType.SUBDISTRICT_OFFICE, Role.REVIEWER),
        (OrgType.CORE_ENTERPRISE, Role.STAFF),
    ],
)
def test_only_government_staff_may_import(org_type, role):
    user = member_of(org_type, role)
    org = user.memberships.get().organization
    content = xlsx_bytes([good_row(1, SubdistrictFactory().code)])
    before = state()

    with pytest.raises(PermissionDenied):
        enterprise_import(actor=user, organization=org, file_name="a.xlsx", content=content, dry_run=False)

    assert state() == before


def test_importing_for_someone_elses_organisation_is_refused(office):
    _user, _org, code = office
    _stranger, stranger_org = subdistrict_staff()
    before = state()

    with pytest.raises(PermissionDenied):
        enterprise_import(
            actor=office[0],
            organization=stranger_org,
            file_name="a.xlsx",
            content=xlsx_bytes([good_row(1, code)]),
            dry_run=False,
        )

    assert state() == before


# ---- template and report ---------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_xlsx_template_round_trip(office, language):
    _user, _org, code = office
    content, file_name = import_template(language=language, file_format="xlsx")
    assert file_name == f"enterprise-import-template-{language}.xlsx"
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert header[0] == ("统一社会信用代码" if language == "zh-hans" else "uscc")
    assert len(header) == len(ENTERPRISE_FIELDS)
    assert sheet["A1"].comment is not None and "uscc" in sheet["A1"].comment.text
    assert sheet["A2"].value == EXAMPLE_USCC
    assert len(workbook.worksheets) == 2
    instructions = [row[0] for row in workbook.worksheets[1].iter_rows(values_only=True) if row[0]]
    assert any(code_title in instructions for code_title in ("所属街道代码", "Subdistrict code"))

    fields = [importing.HEADER_ALIASES[import_files.header_key(title)] for title in header]
    for n in (1, 2):
        values = dict(zip(HEADER, good_row(n, code), strict=True))
        sheet.append([values.get(name) for name in fields])
    buffer = io.BytesIO()
    workbook.save(buffer)
    run = run_import(office, buffer.getvalue(), name=file_name)

    assert (run.rows_total, run.rows_created, run.rows_rejected) == (2, 2, 0), run.errors
    assert not Enterprise.objects.filter(uscc=EXAMPLE_USCC).exists()


def test_csv_template_round_trip(office):
    _user, _org, code = office
    content, file_name = import_template(language="zh-hans", file_format="csv")
    assert content.startswith(b"\xef\xbb\xbf") and file_name.endswith(".csv")
    text = content.decode("utf-8-sig")
    header_line = text.splitlines()[0]
    assert header_line.split(",")[:2] == ["统一社会信用代码", "企业名称"]
    filled = text + ",".join([valid_uscc(1), "模板企业", "", "", "", "", "", code, "C3670"] + [""] * 10) + "\r\n"

    run = run_import(office, filled.encode("utf-8-sig"), name=file_name)

    assert (run.rows_total, run.rows_created) == (1, 1), run.errors


def test_template_rejects_unknown_language_or_format():
    with pytest.raises(ValidationFailed):
        import_template(language="fr", file_format="xlsx")
    with pytest.raises(ValidationFailed):
        import_template(language="en", file_format="ods")


def test_report_lists_every_bad_row_with_translated_headers(office):
    _user, _org, code = office
    rows = [
        good_row(1, code),
        good_row(2, code, employees=-1),
        good_row(3, code, uscc="bad"),
    ]
    run = run_import(office, xlsx_bytes(rows))

    report = xlsx_rows(import_report(run))

    assert report[0] == ("Line", "Column", "Value", "Message")
    assert [(row[0], row[1]) for row in report[1:]] == [(3, "Employees"), (4, "Unified social credit code")]
    assert report[2][2] == "bad"
    assert len(report) - 1 == len(run.errors) == run.rows_rejected


def test_report_headers_follow_the_language(office):
    from django.utils import translation

    _user, _org, code = office
    run = run_import(office, xlsx_bytes([good_row(1, code, employees=-1)]))

    with translation.override("zh-hans"):
        report = xlsx_rows(import_report(run))

    assert report[1][1] == "从业人数"


def test_report_never_turns_values_into_formulas(office):
    _user, _org, code = office
    run = run_import(office, csv_text([good_row(1, code, employees="=1+1")]).encode(), name="list.csv")

    workbook = load_workbook(io.BytesIO(import_report(run)))
    cell = workbook.worksheets[0]["C2"]

    assert cell.value == "=1+1" and cell.data_type == "s"


def test_a_change_of_clusters_alone_is_an_update(office):
    _user, org, code = office
    old, new = ClusterFactory(code="old"), ClusterFactory(code="new")
    existing = EnterpriseFactory(uscc=valid_uscc(1), subdistrict=org.subdistrict)
    existing.clusters.add(old)

    run = run_import(
        office,
        xlsx_bytes(
            [[valid_uscc(1), existing.name, "C3670", "new"]], header=["uscc", "name", "industry_code", "clusters"]
        ),
    )

    assert (run.rows_updated, run.rows_unchanged) == (1, 0)
    assert list(existing.clusters.all()) == [new]


def test_the_same_values_written_differently_are_unchanged(office):
    _user, org, code = office
    EnterpriseFactory(
        uscc=valid_uscc(1),
        name="格式企业",
        subdistrict=org.subdistrict,
        industry_code="C3670",
        employees=50,
        annual_revenue=Decimal("30000000.00"),
        total_assets=Decimal("20000000.00"),
        size_class="small",
    )
    row = [valid_uscc(1).lower(), " 格式企业 ", code, "c3670", "50", "30,000,000.00", "20000000"]

    run = run_import(office, csv_text([row]).encode(), name="list.csv")

    assert (run.rows_updated, run.rows_unchanged, run.rows_rejected) == (0, 1, 0)


def test_a_record_created_meanwhile_rejects_only_its_row(office, monkeypatch):
    """The bulk insert meets a credit code stored after the file was checked: the other rows are kept."""
    _user, org, code = office
    EnterpriseFactory(uscc=valid_uscc(2), subdistrict=org.subdistrict, name="先到的企业")
    monkeypatch.setattr(importing, "_existing_by_uscc", lambda usccs: {})

    run = run_import(office, xlsx_bytes([good_row(1, code), good_row(2, code), good_row(3, code)]))

    assert (run.rows_created, run.rows_rejected) == (2, 1)
    [error] = run.errors
    assert error["line"] == 3 and error["field"] == "uscc" and "already in the registry" in error["message"]
    assert Enterprise.objects.get(uscc=valid_uscc(2)).name == "先到的企业"
    assert Enterprise.objects.count() == 3
    assert HistoricalEnterprise.objects.filter(history_change_reason="enterprise_import").count() == 2


def test_a_repeat_of_a_rejected_row_is_still_a_repeat(office):
    _user, _org, code = office
    rows = [good_row(1, code, employees=-1), good_row(1, code)]

    run = run_import(office, xlsx_bytes(rows))

    assert (run.rows_created, run.rows_rejected) == (0, 2)
    assert [(e["line"], e["field"]) for e in run.errors] == [(2, "employees"), (3, "uscc")]
    assert "line 2" in run.errors[1]["message"]
    assert not Enterprise.objects.exists()


def test_a_workbook_cut_off_halfway_is_refused_and_nothing_is_written(office):
    """More rows than one chunk, then the sheet's XML ends in the middle: the whole file is refused."""
    import zipfile

    _user, _org, code = office
    content = xlsx_bytes([good_row(n, code) for n in range(1, importing.CHUNK_SIZE + 50)])
    source = zipfile.ZipFile(io.BytesIO(content))
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            target.writestr(item, data)

    _assert_refused(office, broken.getvalue(), "list.xlsx", "import_unreadable_file")
