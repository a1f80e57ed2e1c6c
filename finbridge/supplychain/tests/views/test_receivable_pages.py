"""Pages of receivables: the list by side with "confirm the selected", upload with documents, record a payable,
the detail with its fingerprint and actions (confirm, dispute, correct, withdraw, attach, issue a voucher, record
the payment), and the spreadsheet upload; hidden receivables answer 404, bad input shows translated errors and
changes nothing, both languages render."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from finbridge.accounts.choices import Role
from finbridge.enterprises.import_files import write_csv_rows
from finbridge.supplychain.choices import ReceivableStatus
from finbridge.supplychain.models import Receivable, ReceivableUploadRun, Voucher
from finbridge.supplychain.services.confirmation import receivable_fingerprint
from finbridge.supplychain.tests.api.scenario import pdf, state, terms
from finbridge.supplychain.tests.setup import make_receivable, next_invoice_number

pytestmark = pytest.mark.django_db

LIST = reverse("supplychain:receivables-list")
CREATE = reverse("supplychain:receivables-create")
PAYABLE = reverse("supplychain:payables-create")
BULK = reverse("supplychain:receivables-confirm-bulk")
IMPORT = reverse("supplychain:receivables-import")


def url(name: str, receivable, *extra) -> str:
    return reverse(f"supplychain:receivables-{name}", args=[receivable.pk, *extra])


def form_data(chain, **overrides):
    data = {**terms(), "counterparty_uscc": chain.uscc("core")}
    data.update(overrides)
    return data


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    for target in (LIST, CREATE, url("detail", world.pending), IMPORT):
        response = client.get(target)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("name", "role", "status"),
    [
        ("supplier", Role.STAFF, 200),
        ("core", Role.VIEWER, 200),
        ("bank_a", Role.STAFF, 200),
        ("district", Role.VIEWER, 200),
        ("guarantor", Role.ADMIN, 403),
        ("ia", Role.STAFF, 403),
    ],
)
def test_the_list_page_permission_matrix(page_as, name, role, status):
    assert page_as(name, role).get(LIST).status_code == status


def test_each_side_and_the_htmx_results(page_as, world):
    client = page_as("core")
    html = client.get(LIST, {"side": "debtor"}).content.decode()
    assert f'data-receivable="{world.pending.pk}"' in html
    assert 'data-testid="bulk-confirm-form"' in html and 'data-testid="select-receivable"' in html
    owed = client.get(LIST, {"side": "creditor"}).content.decode()
    assert f'data-receivable="{world.pending.pk}"' not in owed
    partial = client.get(LIST, {"side": "debtor", "status": "pending"}, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    outsider = page_as("outsider").get(LIST, {"side": "all"}).content.decode()
    assert 'data-testid="no-results"' in outsider


def test_both_languages_render(page_as, world):
    for language in ("en", "zh-hans"):
        for target in (LIST, url("detail", world.pending), CREATE, PAYABLE, IMPORT):
            response = page_as("supplier").get(target, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200, target
            assert f'lang="{language}"' in response.content.decode()
        zh = page_as("core").get(url("detail", world.pending), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert "万元" in zh


def test_upload_a_receivable_with_documents(page_as, world):
    client = page_as("supplier")
    data = {**form_data(world.chain), "documents": [pdf("a.pdf"), pdf("b.pdf")]}
    response = client.post(CREATE, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    receivable = Receivable.objects.get(invoice_number=data["invoice_number"])
    assert response["Location"] == url("detail", receivable)
    assert receivable.status == ReceivableStatus.PENDING and receivable.documents.count() == 2
    assert receivable.amount == 125000


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"counterparty_uscc": "unregistered"}, "counterparty_uscc"),
        ({"counterparty_uscc": ""}, "counterparty_uscc"),
        ({"due_on": "2020-01-01"}, "due_on"),
        ({"amount": "abc"}, "amount"),
        ({"invoice_number": "12"}, "invoice_number"),
    ],
)
def test_bad_uploads_show_errors_and_change_nothing(page_as, world, overrides, field):
    if overrides.get("counterparty_uscc") == "unregistered":
        overrides = {"counterparty_uscc": world.chain.uscc("unregistered")}
    before = state()
    response = page_as("supplier").post(CREATE, form_data(world.chain, **overrides))
    assert response.status_code == 400
    assert f'data-testid="error-{field}"' in response.content.decode()
    assert state() == before


def test_a_duplicate_shows_its_error(page_as, world):
    before = state()
    data = form_data(world.chain, invoice_number=world.confirmed.invoice_number)
    response = page_as("supplier").post(CREATE, data)
    assert response.status_code == 400 and 'data-testid="error-invoice_number"' in response.content.decode()
    assert state() == before


def test_record_a_payable(page_as, world):
    data = form_data(world.chain, counterparty_uscc=world.chain.uscc("supplier2"))
    response = page_as("core").post(PAYABLE, data)
    assert response.status_code == 302
    payable = Receivable.objects.get(invoice_number=data["invoice_number"])
    assert payable.status == ReceivableStatus.CONFIRMED and payable.creditor == world.chain.supplier2
    assert payable.confirmation.method == "debtor_upload"


@pytest.mark.parametrize(
    ("name", "role"), [("bank_a", Role.STAFF), ("district", Role.ADMIN), ("supplier", Role.VIEWER)]
)
def test_readers_may_not_upload(page_as, world, name, role):
    client = page_as(name, role)
    assert client.get(CREATE).status_code == 403
    before = state()
    assert client.post(CREATE, form_data(world.chain)).status_code == 403
    assert state() == before


def test_the_debtor_sees_the_fingerprint_and_confirms(page_as, world):
    client = page_as("core")
    html = client.get(url("detail", world.pending)).content.decode()
    fingerprint = receivable_fingerprint(world.pending)
    assert 'data-testid="confirm-panel"' in html and fingerprint in html
    assert 'data-testid="edit"' not in html
    response = client.post(url("confirm", world.pending), {"fingerprint": fingerprint})
    assert response.status_code == 302
    world.pending.refresh_from_db()
    assert world.pending.status == ReceivableStatus.CONFIRMED
    html = client.get(url("detail", world.pending)).content.decode()
    assert 'data-testid="confirmation"' in html and world.pending.confirmation.fingerprint in html


def test_a_stale_fingerprint_confirms_nothing(page_as, world):
    before = state()
    response = page_as("core").post(url("confirm", world.pending), {"fingerprint": "0" * 64})
    assert response.status_code == 409 and 'data-testid="action-error"' in response.content.decode()
    assert state() == before


def test_only_the_debtor_confirms_and_hidden_answers_404(page_as, world):
    before = state()
    assert page_as("supplier").post(url("confirm", world.pending)).status_code == 403
    assert page_as("outsider").post(url("confirm", world.pending)).status_code == 404
    assert page_as("outsider").get(url("detail", world.pending)).status_code == 404
    assert page_as("bank_c").get(url("detail", world.requested)).status_code == 404
    assert page_as("district", Role.ADMIN).post(url("confirm", world.pending)).status_code == 403
    document = world.pending.documents.get()
    assert page_as("outsider").get(url("document", world.pending, document.pk)).status_code == 404
    assert state() == before


def test_download_a_document(page_as, world):
    document = world.pending.documents.get()
    response = page_as("core").get(url("document", world.pending, document.pk))
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    assert page_as("core").get(url("document", world.pending, 999999)).status_code == 404


def test_dispute_then_correct(page_as, world):
    before = state()
    response = page_as("core").post(url("dispute", world.pending), {"reason": ""})
    assert response.status_code == 400 and 'data-testid="error-reason"' in response.content.decode()
    assert state() == before
    assert page_as("core").post(url("dispute", world.pending), {"reason": "数量不符"}).status_code == 302
    world.pending.refresh_from_db()
    assert world.pending.status == ReceivableStatus.DISPUTED
    edit = page_as("supplier").get(url("edit", world.pending))
    assert edit.status_code == 200 and "数量不符" in edit.content.decode()
    bad = page_as("supplier").post(url("edit", world.pending), {"amount": "-5", "due_on": world.pending.due_on})
    assert bad.status_code == 400
    response = page_as("supplier").post(
        url("edit", world.pending),
        {
            "amount": "110000.00",
            "issued_on": world.pending.issued_on.isoformat(),
            "due_on": world.pending.due_on.isoformat(),
            "contract_reference": world.pending.contract_reference,
            "description": world.pending.description,
        },
    )
    assert response.status_code == 302
    world.pending.refresh_from_db()
    assert world.pending.status == ReceivableStatus.PENDING and world.pending.amount == 110000
    assert page_as("core").get(url("edit", world.pending)).status_code == 403


def test_attach_and_withdraw(page_as, world):
    client = page_as("supplier")
    assert client.post(url("document-add", world.pending), {"file": pdf("po.pdf")}).status_code == 302
    assert world.pending.documents.count() == 2
    before = state()
    empty = client.post(url("document-add", world.pending), {})
    assert empty.status_code == 400
    late = client.post(url("document-add", world.confirmed), {"file": pdf()})
    assert late.status_code == 409
    assert state() == before
    assert client.post(url("withdraw", world.pending)).status_code == 302
    world.pending.refresh_from_db()
    assert world.pending.status == ReceivableStatus.WITHDRAWN


def test_bulk_confirmation_from_the_list(page_as, world):
    chain = world.chain
    mine = [make_receivable(chain, status=ReceivableStatus.PENDING) for _ in range(2)]
    foreign = make_receivable(chain, debtor="core2", status=ReceivableStatus.PENDING)
    before = state()
    response = page_as("core").post(BULK, {"ids": [r.pk for r in mine] + [foreign.pk]}, follow=True)
    assert response.status_code == 200 and "nothing was confirmed" in response.content.decode()
    assert page_as("core").post(BULK, {"ids": ["x"]}).status_code == 302
    assert page_as("core").post(BULK, {}).status_code == 302
    assert state() == before
    response = page_as("core").post(BULK, {"ids": [r.pk for r in mine]}, follow=True)
    assert "2 receivables were confirmed" in response.content.decode()
    assert {r.status for r in Receivable.objects.filter(pk__in=[r.pk for r in mine])} == {ReceivableStatus.CONFIRMED}
    assert page_as("bank_a").post(BULK, {"ids": [foreign.pk]}).status_code == 403


def test_issue_a_voucher_and_record_the_payment(page_as, world):
    receivable = make_receivable(world.chain, status=ReceivableStatus.CONFIRMED, amount="70000.00")
    html = page_as("core").get(url("detail", receivable)).content.decode()
    assert 'data-testid="issue-voucher"' in html and 'data-testid="settle-panel"' in html
    assert page_as("supplier").post(url("issue-voucher", receivable)).status_code == 403
    response = page_as("core").post(url("issue-voucher", receivable))
    voucher = Voucher.objects.get(receivable=receivable)
    assert response.status_code == 302 and response["Location"] == reverse(
        "supplychain:vouchers-detail", args=[voucher.pk]
    )
    before = state()
    bad = page_as("core").post(url("settle", receivable), {"paid_on": "soon"})
    assert bad.status_code == 400
    assert state() == before
    paid = page_as("core").post(
        url("settle", receivable), {"paid_on": timezone.localdate().isoformat(), "reference": "P1"}
    )
    assert paid.status_code == 302
    receivable.refresh_from_db()
    assert receivable.status == ReceivableStatus.SETTLED
    html = page_as("supplier").get(url("detail", receivable)).content.decode()
    assert 'data-testid="payment-row"' in html


def test_overdue_is_flagged(page_as, world):
    due = timezone.localdate() - datetime.timedelta(days=2)
    overdue = make_receivable(
        world.chain,
        status=ReceivableStatus.CONFIRMED,
        due_on=due,
        issued_on=due - datetime.timedelta(days=30),
        is_overdue=True,
    )
    html = page_as("supplier").get(LIST, {"side": "creditor", "overdue": "true"}).content.decode()
    assert f'data-receivable="{overdue.pk}"' in html and 'data-testid="overdue"' in html
    detail = page_as("supplier").get(url("detail", overdue)).content.decode()
    assert 'data-testid="request-financing"' not in detail


# ---- spreadsheet upload ---------------------------------------------------------------------------------------


def _csv(chain, bad: int = 1):
    today = timezone.localdate()
    issued, due = (today - datetime.timedelta(days=3)).isoformat(), (today + datetime.timedelta(days=30)).isoformat()
    header = ["Debtor credit code", "Invoice number", "Amount (CNY)", "Invoice date", "Due date"]
    rows = [header, [chain.uscc("core"), next_invoice_number(), "5000", issued, due]]
    rows += [[chain.uscc("core"), "12", "5000", issued, due] for _ in range(bad)]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("r.csv", write_csv_rows(rows), content_type="text/csv")


def test_spreadsheet_upload_and_its_result(page_as, world):
    client = page_as("supplier")
    page = client.get(IMPORT).content.decode()
    assert 'data-testid="template-receivables-zh-hans-xlsx"' in page
    template = client.get(reverse("supplychain:receivables-import-template"), {"lang": "en", "format": "csv"})
    assert template.status_code == 200
    assert client.get(reverse("supplychain:receivables-import-template"), {"format": "doc"}).status_code == 400
    response = client.post(IMPORT, {"as_debtor": "0", "file": _csv(world.chain), "dry_run": "0"})
    run = ReceivableUploadRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "supplychain:receivables-import-run", args=[run.pk]
    )
    html = client.get(response["Location"]).content.decode()
    assert 'data-testid="import-error"' in html and 'data-testid="import-report"' in html
    report = client.get(reverse("supplychain:receivables-import-report", args=[run.pk]))
    assert report.status_code == 200
    assert page_as("outsider").get(reverse("supplychain:receivables-import-run", args=[run.pk])).status_code == 404


def test_a_dry_run_is_saved_from_its_result_page(page_as, world):
    client = page_as("supplier")
    existing = Receivable.objects.count()
    response = client.post(IMPORT, {"as_debtor": "0", "file": _csv(world.chain), "dry_run": "1"})
    dry = ReceivableUploadRun.objects.get()
    html = client.get(response["Location"]).content.decode()
    assert 'data-testid="dry-run-notice"' in html and 'data-testid="import-apply"' in html
    assert Receivable.objects.count() == existing

    applied = client.post(reverse("supplychain:receivables-import-run", args=[dry.pk]))
    run = ReceivableUploadRun.objects.exclude(pk=dry.pk).get()
    assert applied.status_code == 302 and applied["Location"] == reverse(
        "supplychain:receivables-import-run", args=[run.pk]
    )
    assert not run.dry_run and Receivable.objects.filter(upload_run=run).count() == 1
    html = client.get(applied["Location"]).content.decode()
    assert 'data-testid="import-apply"' not in html
    assert page_as("outsider").post(reverse("supplychain:receivables-import-run", args=[dry.pk])).status_code == 404
    assert Receivable.objects.count() == existing + 1


def test_a_bad_file_shows_the_reason(page_as, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = state()
    response = page_as("supplier").post(
        IMPORT, {"as_debtor": "0", "file": SimpleUploadedFile("x.csv", b"a,b\n1,2\n"), "dry_run": "0"}
    )
    assert response.status_code == 400 and 'data-testid="error-file"' in response.content.decode()
    assert state()[:3] == before[:3]
    assert page_as("bank_a").get(IMPORT).status_code == 403


def test_a_person_in_two_firms_chooses_on_the_form(client, world):
    from finbridge.accounts.models import User
    from finbridge.accounts.tests.factories import MembershipFactory

    MembershipFactory(user=world.user("supplier"), organization=world.chain.supplier2, role=Role.STAFF)
    client.force_login(User.objects.get(pk=world.user("supplier").pk))
    page = client.get(CREATE).content.decode()
    assert 'name="organization"' in page
    before = state()
    assert client.post(CREATE, form_data(world.chain)).status_code == 400
    assert state() == before
    data = form_data(world.chain, organization=str(world.chain.supplier2.pk))
    assert client.post(CREATE, data).status_code == 302
    assert Receivable.objects.get(invoice_number=data["invoice_number"]).creditor == world.chain.supplier2
