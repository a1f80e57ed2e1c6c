"""Spreadsheet import of chain databases: good, bad and repeated rows, dry runs, templates and the report."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.utils import translation
from openpyxl import Workbook, load_workbook

from finbridge.accounts.choices import Role
from finbridge.audit.models import AuditEvent
from finbridge.core.errors import NotFound, PermissionDenied, ValidationFailed
from finbridge.enterprises import import_files
from finbridge.enterprises.tests.factories import valid_uscc
from finbridge.supplychain.models.chain import ChainImportRun, ChainPartner, ChainPartnerStatus
from finbridge.supplychain.selectors.chain import chain_import_run_get, chain_import_run_list
from finbridge.supplychain.services import chain_import
from finbridge.supplychain.tests.test_chain_setup import build_world, listing

pytestmark = pytest.mark.django_db

HEADER = ["partner_uscc", "direction", "since", "annual_volume", "payment_terms_days", "payment_terms"]


@pytest.fixture
def world():
    return build_world()


def csv_bytes(rows, header=HEADER) -> bytes:
    return import_files.write_csv_rows([header, *rows])


def xlsx_bytes(rows, header) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run_import(world, content, *, name="chain.csv", dry_run=False, actor=None):
    return chain_import.chain_import(
        actor=actor or world.member("core"), core=world.core, file_name=name, content=content, dry_run=dry_run
    )


def errors_by_line(run):
    result = {}
    for error in run.errors:
        result.setdefault(error["line"], []).append(error)
    return result


def test_good_rows_are_imported_and_a_second_import_changes_nothing(world):
    rows = [
        [world.supplier.uscc, "upstream", "2019-03-01", "12,000,000", 60, "月结"],
        [world.distributor.uscc, "downstream", "2020-07-15", "8000000.50", "", ""],
        [world.plain.uscc, "上游", "2021-01-01", 300000, 30, ""],
    ]
    run = run_import(world, csv_bytes(rows))
    assert (run.rows_total, run.rows_created, run.rows_rejected, run.errors) == (3, 3, 0, [])
    assert not run.dry_run and run.core == world.core
    distributor = ChainPartner.objects.get(enterprise=world.distributor)
    assert distributor.annual_volume == Decimal("8000000.50") and distributor.payment_terms_days is None
    assert AuditEvent.objects.filter(action="chain_partner_add").count() == 3
    assert AuditEvent.objects.filter(action="chain_import_run", object_id=str(run.pk)).exists()
    again = run_import(world, csv_bytes(rows))
    assert (again.rows_created, again.rows_updated, again.rows_unchanged) == (0, 0, 3)
    rows[0][3] = "13000000"
    changed = run_import(world, csv_bytes(rows))
    assert (changed.rows_updated, changed.rows_unchanged) == (1, 2)
    assert ChainPartner.objects.get(enterprise=world.supplier).annual_volume == Decimal("13000000.00")


def test_bad_rows_are_reported_with_line_column_value_and_reason_and_good_rows_kept(world):
    rows = [
        [world.supplier.uscc, "upstream", "2019-03-01", "12000000", 60, ""],  # line 2: good
        [valid_uscc(77), "upstream", "2019-03-01", "1", "", ""],  # line 3: not in the registry
        [world.distributor.uscc, "sideways", "2019-02-30", "-1", "", ""],  # line 4: three bad fields
        ["12345", "downstream", "2019-03-01", "1", "", ""],  # line 5: bad credit code
        [world.supplier.uscc, "upstream", "2020-01-01", "5", "", ""],  # line 6: repeats line 2
        [world.supplier.uscc, "downstream", "2010-01-01", "5", "", ""],  # line 7: before it was established
        [world.core_enterprise.uscc, "downstream", "2020-01-01", "5", "", ""],  # line 8: the core itself
        ["", "downstream", "", "", "", ""],  # line 9: required fields missing
        [world.plain.uscc, "downstream", "2020-01-01", "5", "9999", ""],  # line 10: terms too long
    ]
    run = run_import(world, csv_bytes(rows))
    assert (run.rows_total, run.rows_created, run.rows_rejected) == (9, 1, 8)
    errors = errors_by_line(run)
    assert set(errors) == {3, 4, 5, 6, 7, 8, 9, 10}
    assert errors[3][0]["field"] == "partner_uscc" and "registry" in errors[3][0]["message"]
    assert {e["field"] for e in errors[4]} == {"direction", "since", "annual_volume"}
    assert {e["value"] for e in errors[4]} == {"sideways", "2019-02-30", "-1"}
    assert errors[5][0]["value"] == "12345"
    assert "line 2" in errors[6][0]["message"]
    assert errors[7][0]["field"] == "since"
    assert errors[8][0]["field"] == "partner_uscc"
    assert {e["field"] for e in errors[9]} == {"partner_uscc", "since", "annual_volume"}
    assert errors[10][0]["field"] == "payment_terms_days"
    assert ChainPartner.objects.get().enterprise == world.supplier


def test_an_ended_partner_in_the_file_is_listed_again(world):
    listing(world, status=ChainPartnerStatus.ENDED, ended_on="2024-12-31")
    run = run_import(world, csv_bytes([[world.supplier.uscc, "upstream", "2019-03-01", "12000000", 60, ""]]))
    assert run.rows_updated == 1
    assert ChainPartner.objects.get().status == ChainPartnerStatus.ACTIVE


def test_a_dry_run_writes_only_its_run_and_can_then_be_applied(world):
    content = csv_bytes([[world.supplier.uscc, "upstream", "2019-03-01", "12000000", 60, ""]])
    dry = run_import(world, content, dry_run=True)
    assert dry.dry_run and dry.rows_created == 1
    assert not ChainPartner.objects.exists()
    assert not AuditEvent.objects.filter(action="chain_partner_add").exists()
    assert import_files.stored_file_exists(dry)
    applied = chain_import.chain_import_run_apply(actor=world.member("core"), pk=dry.pk)
    assert not applied.dry_run and applied.rows_created == 1 and ChainPartner.objects.count() == 1
    with pytest.raises(NotFound):
        chain_import.chain_import_run_apply(actor=world.member("other_core"), pk=dry.pk)


def test_an_xlsx_with_chinese_headers_and_spreadsheet_dates(world):
    import datetime

    header = [column.title_zh for column in chain_import.COLUMNS]
    rows = [[world.supplier.uscc, "供应商甲", "上游", datetime.datetime(2019, 3, 1), 12000000.5, 60, "月结"]]
    run = run_import(world, xlsx_bytes(rows, header), name="chain.xlsx")
    assert run.rows_created == 1, run.errors
    partner = ChainPartner.objects.get()
    assert partner.since == datetime.date(2019, 3, 1) and partner.annual_volume == Decimal("12000000.50")


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("chain.csv", b"", "import_empty_file"),
        ("chain.txt", b"a,b", "import_wrong_file_type"),
        ("chain.csv", b"partner_uscc,colour\n1,2\n", "import_bad_columns"),
        ("chain.csv", ",".join(HEADER).encode() + b"\n", "import_no_rows"),
    ],
)
def test_files_that_cannot_be_imported_change_nothing(world, name, content, code):
    with pytest.raises(ValidationFailed) as caught:
        run_import(world, content, name=name)
    assert caught.value.code == code
    assert not ChainImportRun.objects.exists() and not ChainPartner.objects.exists()


def test_too_many_rows_are_refused(world, monkeypatch):
    monkeypatch.setattr(chain_import, "MAX_ROWS", 2)
    rows = [[valid_uscc(n), "upstream", "2019-03-01", "1", "", ""] for n in range(1, 4)]
    with pytest.raises(ValidationFailed) as caught:
        run_import(world, csv_bytes(rows))
    assert caught.value.code == "import_too_many_rows"


@pytest.mark.parametrize(("who", "role"), [("core", Role.VIEWER), ("head", Role.STAFF), ("other_core", Role.ADMIN)])
def test_only_managers_of_the_core_import(world, who, role):
    content = csv_bytes([[world.supplier.uscc, "upstream", "2019-03-01", "1", "", ""]])
    with pytest.raises(PermissionDenied):
        run_import(world, content, actor=world.member(who, role))
    assert not ChainImportRun.objects.exists()


def test_runs_are_seen_by_the_managers_of_their_core_only(world):
    run = run_import(world, csv_bytes([[world.supplier.uscc, "upstream", "2019-03-01", "1", "", ""]]))
    assert chain_import_run_get(actor=world.member("core", Role.ADMIN), pk=run.pk) == run
    assert list(chain_import_run_list(actor=world.member("core"))) == [run]
    for who in ("other_core", "district", "supplier_org"):
        with pytest.raises(NotFound):
            chain_import_run_get(actor=world.member(who), pk=run.pk)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_templates_in_both_languages_read_back_with_their_example_row_skipped(world, language, file_format):
    content, name = chain_import.chain_import_template(language=language, file_format=file_format)
    assert name == f"chain-partners-import-template-{language}.{file_format}"
    rows = list(import_files.read_rows(file_format, content))
    if language == "zh-hans":
        assert rows[0][1][0] == "合作企业统一社会信用代码" and rows[1][1][2] == "上游"
    else:
        assert rows[0][1][0] == "partner_uscc" and rows[1][1][2] == "upstream"
    with pytest.raises(ValidationFailed) as caught:
        run_import(world, content, name=name)
    assert caught.value.code == "import_no_rows"  # only the example row
    if file_format == "xlsx":
        workbook = load_workbook(io.BytesIO(content))
        assert len(workbook.sheetnames) == 2


def test_a_bad_template_request_is_refused():
    with pytest.raises(ValidationFailed):
        chain_import.chain_import_template(language="fr", file_format="xlsx")
    with pytest.raises(ValidationFailed):
        chain_import.chain_import_template(language="en", file_format="pdf")


def test_the_report_lists_every_bad_row_in_the_readers_language(world):
    run = run_import(world, csv_bytes([[valid_uscc(77), "upstream", "2019-03-01", "1", "", ""]]))
    with translation.override("zh-hans"):
        report = chain_import.chain_import_report(run)
    rows = list(import_files.read_rows("xlsx", report))
    assert rows[1][1][0] == 2 and rows[1][1][1] == "合作企业统一社会信用代码" and rows[1][1][2] == valid_uscc(77)
    with translation.override("en"):
        english = list(import_files.read_rows("xlsx", chain_import.chain_import_report(run)))
    assert english[0][1] == ["Line", "Column", "Value", "Message"] and english[1][1][1] == "Partner credit code"
