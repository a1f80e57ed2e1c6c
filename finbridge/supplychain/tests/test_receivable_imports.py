"""Bulk upload of receivables and payables from spreadsheets, with a per-row report."""

from __future__ import annotations

import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from finbridge.core.errors import PermissionDenied, ValidationFailed
from finbridge.notifications.models import Notification
from finbridge.supplychain import notices
from finbridge.supplychain.choices import ReceivableStatus
from finbridge.supplychain.models import Receivable, ReceivableConfirmation, ReceivableUploadRun
from finbridge.supplychain.services.confirmation import receivable_fingerprint
from finbridge.supplychain.services.receivable_imports import (
    receivable_import,
    receivable_import_report,
    receivable_import_template,
)
from finbridge.supplychain.tests.setup import build_chain, make_receivable

pytestmark = pytest.mark.django_db
HEADER = ["debtor_uscc", "invoice_code", "invoice_number", "amount", "issued_on", "due_on", "contract_reference"]


@pytest.fixture
def chain():
    chain = build_chain()
    chain.user("core")
    chain.user("core2")
    return chain


def csv_bytes(rows, header=HEADER):
    lines = [",".join(header)] + [",".join(str(v) for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def row(chain, number, debtor="core", amount="1000.00", due_days=60, code="4403201130"):
    today = timezone.localdate()
    return [
        chain.uscc(debtor),
        code,
        number,
        amount,
        (today - datetime.timedelta(days=5)).isoformat(),
        (today + datetime.timedelta(days=due_days)).isoformat(),
        "HT-1",
    ]


def test_good_rows_are_kept_and_every_bad_one_is_reported(chain, django_capture_on_commit_callbacks):
    make_receivable(chain, invoice_number="55555555")
    rows = [
        row(chain, "11111111"),
        row(chain, "22222222", debtor="core2", amount="2500.50"),
        row(chain, "33333333", debtor="unregistered"),
        row(chain, "44444444", due_days=-3),
        row(chain, "11111111"),  # repeats line 2
        row(chain, "55555555"),  # already on the platform
        row(chain, "66666666", amount="abc"),
        row(chain, "1234"),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        run = receivable_import(actor=chain.user("supplier"), file_name="r.csv", content=csv_bytes(rows))
    assert (run.rows_total, run.rows_created, run.rows_rejected) == (8, 2, 6)
    assert sorted({e["line"] for e in run.errors}) == [4, 5, 6, 7, 8, 9]
    by_line = {e["line"]: e for e in run.errors}
    assert by_line[4]["field"] == "debtor_uscc" and "not an organisation registered" in by_line[4]["message"]
    assert by_line[5]["field"] == "due_on"
    assert "line 2" in by_line[6]["message"]
    assert "already on the platform" in by_line[7]["message"]
    created = Receivable.objects.filter(upload_run=run)
    assert set(created.values_list("invoice_number", "status")) == {
        ("11111111", ReceivableStatus.PENDING),
        ("22222222", ReceivableStatus.PENDING),
    }
    assert Notification.objects.filter(kind=notices.RECEIVABLE_UPLOADED).count() == 2
    report = load_workbook(io.BytesIO(receivable_import_report(run))).active
    assert report.max_row == 1 + len(run.errors)


def test_a_dry_run_writes_only_the_run(chain):
    run = receivable_import(
        actor=chain.user("supplier"), file_name="r.csv", content=csv_bytes([row(chain, "11111111")]), dry_run=True
    )
    assert (run.dry_run, run.rows_created, run.rows_rejected) == (True, 0, 0)
    assert not Receivable.objects.exists()


def test_payables_uploaded_by_the_debtor_are_confirmed(chain):
    header = ["creditor_uscc", *HEADER[1:]]
    content = csv_bytes([row(chain, "11111111", debtor="supplier"), row(chain, "22222222", debtor="supplier2")], header)
    run = receivable_import(actor=chain.user("core"), file_name="p.csv", content=content, as_debtor=True)
    assert run.rows_created == 2
    for receivable in Receivable.objects.all():
        assert receivable.status == ReceivableStatus.CONFIRMED and receivable.debtor == chain.core
        assert receivable.confirmation.fingerprint == receivable_fingerprint(receivable)
    assert ReceivableConfirmation.objects.count() == 2


def test_xlsx_with_chinese_headers(chain):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["债务人统一社会信用代码", "发票代码", "发票号码", "金额（元）", "开票日期", "到期日期"])
    today = timezone.localdate()
    sheet.append([chain.uscc("core"), "4403201130", "01234567", 1500, today, today + datetime.timedelta(days=30)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    run = receivable_import(actor=chain.user("supplier"), file_name="r.xlsx", content=buffer.getvalue())
    assert run.rows_created == 1, run.errors
    assert Receivable.objects.get().invoice_number == "01234567"


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("r.csv", b"", "import_empty_file"),
        ("r.txt", b"a,b", "import_wrong_file_type"),
        ("r.csv", b"colour,size\nred,1\n", "import_bad_columns"),
        ("r.csv", (",".join(HEADER) + "\n").encode(), "import_no_rows"),
    ],
)
def test_files_that_cannot_be_imported(chain, name, content, code):
    with pytest.raises(ValidationFailed) as caught:
        receivable_import(actor=chain.user("supplier"), file_name=name, content=content)
    assert caught.value.code == code
    assert not ReceivableUploadRun.objects.exists()


def test_only_firms_upload(chain):
    with pytest.raises(PermissionDenied):
        receivable_import(actor=chain.user("bank_a"), file_name="r.csv", content=csv_bytes([row(chain, "11111111")]))


@pytest.mark.parametrize("as_debtor", [False, True])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_templates(chain, as_debtor, language, file_format):
    content, name = receivable_import_template(as_debtor=as_debtor, language=language, file_format=file_format)
    assert name.endswith(file_format) and content
    # the example row is skipped: a template uploaded as it is has no rows
    with pytest.raises(ValidationFailed) as caught:
        receivable_import(
            actor=chain.user("core" if as_debtor else "supplier"), file_name=name, content=content, as_debtor=as_debtor
        )
    assert caught.value.code == "import_no_rows"
