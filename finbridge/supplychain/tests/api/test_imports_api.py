"""The spreadsheet upload API: templates in both languages and formats, an upload keeping good rows and reporting
bad ones, dry runs, the rejected-rows report, and who may see which run."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook

from finbridge.accounts.choices import Role
from finbridge.enterprises.import_files import write_csv_rows
from finbridge.supplychain.choices import ReceivableStatus
from finbridge.supplychain.models import Receivable, ReceivableUploadRun
from finbridge.supplychain.tests.api.conftest import API
from finbridge.supplychain.tests.api.scenario import state
from finbridge.supplychain.tests.setup import next_invoice_number

pytestmark = pytest.mark.django_db

IMPORTS = f"{API}/receivable-imports/"
HEADER = ["Debtor credit code", "Invoice code", "Invoice number", "Amount (CNY)", "Invoice date", "Due date"]


def receivables_csv(chain, *, bad: int = 0, good: int = 2, counterpart: str = "core") -> SimpleUploadedFile:
    today = timezone.localdate()
    issued, due = (today - datetime.timedelta(days=5)).isoformat(), (today + datetime.timedelta(days=90)).isoformat()
    rows = [HEADER]
    rows += [
        [chain.uscc(counterpart), "4403201130", next_invoice_number(), "10000.00", issued, due] for _ in range(good)
    ]
    rows += [
        [chain.uscc("unregistered"), "4403201130", next_invoice_number(), "10000.00", issued, due] for _ in range(bad)
    ]
    return SimpleUploadedFile("receivables.csv", write_csv_rows(rows), content_type="text/csv")


@pytest.mark.parametrize(("lang", "file_format"), [("zh-hans", "xlsx"), ("en", "csv"), ("en", "xlsx")])
def test_templates(as_party, world, lang, file_format):
    for as_debtor in ("false", "true"):
        response = as_party("supplier").get(
            f"{IMPORTS}template/", {"lang": lang, "format": file_format, "as_debtor": as_debtor}
        )
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
    assert as_party("supplier").get(f"{IMPORTS}template/", {"format": "pdf"}).status_code == 400
    assert as_party("bank_a").get(f"{IMPORTS}template/").status_code == 403


def test_upload_keeps_good_rows_and_reports_bad_ones(as_party, world):
    client = as_party("supplier")
    response = client.post(IMPORTS, {"file": receivables_csv(world.chain, bad=1)}, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["rows_total"], body["rows_created"], body["rows_rejected"]) == (3, 2, 1)
    assert body["errors"][0]["line"] == 4 and body["errors"][0]["field"] == "debtor_uscc"
    assert Receivable.objects.filter(upload_run_id=body["id"], status=ReceivableStatus.PENDING).count() == 2
    report = client.get(body["report_url"])
    assert report.status_code == 200
    sheet = load_workbook(io.BytesIO(report.content)).active
    assert sheet.max_row >= 2
    assert client.get(IMPORTS).json()["results"][0]["id"] == body["id"]
    assert client.get(f"{IMPORTS}{body['id']}/").json()["errors"] == body["errors"]
    # Another firm does not see the run.
    assert as_party("outsider").get(f"{IMPORTS}{body['id']}/").status_code == 404
    assert as_party("outsider").get(f"{IMPORTS}{body['id']}/report/").status_code == 404


def test_payables_upload_is_confirmed_and_a_dry_run_saves_nothing(as_party, world):
    rows_before = Receivable.objects.count()
    upload = receivables_csv(world.chain, counterpart="supplier2")
    upload = SimpleUploadedFile("payables.csv", upload.read().replace(b"Debtor credit code", b"Creditor credit code"))
    response = as_party("core").post(
        IMPORTS, {"file": upload, "as_debtor": "true", "dry_run": "true"}, format="multipart"
    )
    assert response.status_code == 201, response.content
    assert response.json()["dry_run"] is True and response.json()["rows_valid"] == 2
    assert Receivable.objects.count() == rows_before
    upload.seek(0)
    response = as_party("core").post(IMPORTS, {"file": upload, "as_debtor": "true"}, format="multipart")
    assert response.status_code == 201
    created = Receivable.objects.filter(upload_run_id=response.json()["id"])
    assert created.count() == 2 and {r.status for r in created} == {ReceivableStatus.CONFIRMED}


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"file": SimpleUploadedFile("x.pdf", b"%PDF-1.4")},
        {"file": SimpleUploadedFile("x.csv", b"what,ever\n1,2\n")},
        {"file": SimpleUploadedFile("x.xlsx", b"not a zip")},
    ],
)
def test_bad_files_answer_400_and_change_nothing(as_party, world, payload):
    before = state()
    response = as_party("supplier").post(IMPORTS, payload, format="multipart")
    assert response.status_code == 400, response.content
    assert set(response.json()) == {"code", "message", "fields"}
    assert state()[:3] == before[:3]  # no receivable, confirmation or document was created


def test_readers_may_not_upload(as_party, world):
    for name, role in (("district", Role.ADMIN), ("supplier", Role.VIEWER), ("bank_a", Role.STAFF)):
        response = as_party(name, role).post(IMPORTS, {"file": receivables_csv(world.chain)}, format="multipart")
        assert response.status_code == 403
    assert ReceivableUploadRun.objects.count() == 0


def test_a_dry_run_is_applied_once_and_keeps_the_good_rows(as_party, world):
    client = as_party("supplier")
    existing = Receivable.objects.count()
    dry = client.post(IMPORTS, {"file": receivables_csv(world.chain, bad=1), "dry_run": "true"}, format="multipart")
    assert dry.status_code == 201 and Receivable.objects.count() == existing
    dry_id = dry.json()["id"]

    applied = client.post(f"{IMPORTS}{dry_id}/apply/")
    assert applied.status_code == 201, applied.content
    body = applied.json()
    assert body["id"] != dry_id and body["dry_run"] is False
    assert (body["rows_total"], body["rows_created"], body["rows_rejected"]) == (3, 2, 1)
    assert Receivable.objects.filter(upload_run_id=body["id"]).count() == 2

    # The real upload cannot be applied again, and the dry run applied twice keeps nothing twice.
    before = state()
    again = client.post(f"{IMPORTS}{body['id']}/apply/")
    assert again.status_code == 409 and again.json()["code"] == "import_already_applied"
    twice = client.post(f"{IMPORTS}{dry_id}/apply/")
    assert twice.status_code == 201 and twice.json()["rows_created"] == 0 and twice.json()["rows_rejected"] == 3
    assert state()[:3] == before[:3]


def test_applying_needs_the_stored_file_and_the_right_to_trade(as_party, world):
    from django.core.files.storage import default_storage

    from finbridge.enterprises.import_files import STORAGE_PREFIX

    existing = Receivable.objects.count()
    dry = as_party("supplier").post(
        IMPORTS, {"file": receivables_csv(world.chain), "dry_run": "true"}, format="multipart"
    )
    dry_id = dry.json()["id"]
    assert as_party("outsider").post(f"{IMPORTS}{dry_id}/apply/").status_code == 404
    assert as_party("supplier", Role.VIEWER).post(f"{IMPORTS}{dry_id}/apply/").status_code == 403
    default_storage.delete(f"{STORAGE_PREFIX}/{dry.json()['file_sha256']}")
    gone = as_party("supplier").post(f"{IMPORTS}{dry_id}/apply/")
    assert gone.status_code == 400 and gone.json()["code"] == "import_file_gone"
    assert Receivable.objects.count() == existing and ReceivableUploadRun.objects.count() == 1
