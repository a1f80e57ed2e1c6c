"""The bulk import pages: upload with a dry run first, the result with every bad row, apply, report, template."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from finbridge.accounts.choices import OrgType, Role
from finbridge.accounts.tests.factories import member_of
from finbridge.enterprises.models import Enterprise, ImportRun
from finbridge.enterprises.tests.factories import valid_uscc
from finbridge.enterprises.tests.import_helpers import good_row, subdistrict_staff, xlsx_bytes, xlsx_rows

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("enterprises:import")


@pytest.fixture
def office(client):
    """(signed-in client, organisation, subdistrict code) of a subdistrict office's staff member."""
    user, org = subdistrict_staff()
    client.force_login(user)
    return client, org, org.subdistrict.code


def post_file(client, content: bytes, name: str = "list.xlsx", dry_run: str = "1"):
    return client.post(IMPORT_URL, {"file": SimpleUploadedFile(name, content), "dry_run": dry_run})


def test_import_page_shows_form_templates_and_recent_runs(office):
    client, _org, code = office
    post_file(client, xlsx_bytes([good_row(1, code)]))

    response = client.get(IMPORT_URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="import-form"' in page and 'enctype="multipart/form-data"' in page
    assert reverse("enterprises:import_template") + "?lang=zh-hans&amp;format=xlsx" in page
    assert reverse("enterprises:import_template") + "?lang=en&amp;format=csv" in page
    assert "list.xlsx" in page and reverse("enterprises:import_run", args=[ImportRun.objects.get().pk]) in page


def test_dry_run_then_apply_without_javascript(office):
    client, _org, code = office
    content = xlsx_bytes([good_row(1, code), good_row(2, code, employees=-1), good_row(3, code)])

    response = post_file(client, content)

    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("enterprises:import_run", args=[run.pk])
    assert run.dry_run and not Enterprise.objects.exists()
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="dry-run-notice"' in html and 'data-testid="import-apply"' in html
    assert page.context["run"].rows_created == 2 and page.context["run"].rows_rejected == 1
    assert page.context["error_rows"] == [
        {
            "line": 3,
            "field": "employees",
            "column": "Employees",
            "value": "-1",
            "message": "Enter a whole number from 0 to 5,000,000.",
        }
    ]
    assert "Enter a whole number from 0 to 5,000,000." in html

    applied = client.post(reverse("enterprises:import_run", args=[run.pk]))

    new_run = ImportRun.objects.exclude(pk=run.pk).get()
    assert applied.status_code == 302 and applied["Location"] == reverse("enterprises:import_run", args=[new_run.pk])
    assert new_run.dry_run is False and new_run.rows_created == 2
    assert set(Enterprise.objects.values_list("uscc", flat=True)) == {valid_uscc(1), valid_uscc(3)}
    result = client.get(applied["Location"]).content.decode()
    assert reverse("enterprises:import_report", args=[new_run.pk]) in result
    assert 'data-testid="import-apply"' not in result


def test_import_at_once(office):
    client, _org, code = office

    response = post_file(client, xlsx_bytes([good_row(1, code)]), dry_run="0")

    assert response.status_code == 302
    assert ImportRun.objects.get().dry_run is False and Enterprise.objects.count() == 1


def test_a_file_that_cannot_be_imported_shows_the_reason_and_changes_nothing(office):
    client, _org, _code = office

    response = post_file(client, b"name;uscc\n", name="list.txt")

    assert response.status_code == 400
    assert "Only .xlsx and .csv files can be imported." in response.content.decode()
    assert not ImportRun.objects.exists() and not Enterprise.objects.exists()


def test_missing_columns_are_listed_on_the_page(office):
    client, _org, _code = office

    response = post_file(client, xlsx_bytes([["x"]], header=["uscc"]))

    assert response.status_code == 400
    html = response.content.decode()
    assert "Required columns are missing" in html and "Industry code (GB/T 4754-2017)" in html


def test_an_upload_without_a_file_is_refused(office):
    client, _org, _code = office

    response = client.post(IMPORT_URL, {"dry_run": "1"})

    assert response.status_code == 400 and response.context["form"].errors["file"]


def test_many_bad_rows_are_paginated(office):
    client, _org, code = office
    rows = [good_row(n, code, employees=-1) for n in range(1, 151)]
    post_file(client, xlsx_bytes(rows), dry_run="0")
    run = ImportRun.objects.get()
    url = reverse("enterprises:import_run", args=[run.pk])

    first, second = client.get(url), client.get(url, {"page": 2})

    assert len(first.context["error_rows"]) == 100 and len(second.context["error_rows"]) == 50
    assert second.context["error_rows"][-1]["line"] == 151


def test_report_download_lists_every_bad_row(office):
    client, _org, code = office
    post_file(client, xlsx_bytes([good_row(1, code, uscc="short"), good_row(2, code, industry_code="Z1")]))
    run = ImportRun.objects.get()

    response = client.get(reverse("enterprises:import_report", args=[run.pk]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f"enterprise-import-{run.pk}-rejected-rows.xlsx" in response["Content-Disposition"]
    rows = xlsx_rows(response.content)
    assert [row[:2] for row in rows[1:]] == [(2, "Unified social credit code"), (3, "Industry code (GB/T 4754-2017)")]


def test_report_is_translated(office):
    client, _org, code = office
    post_file(client, xlsx_bytes([good_row(1, code, employees=-1)]))
    run = ImportRun.objects.get()
    client.post(reverse("set_language"), {"language": "zh-hans"})

    response = client.get(reverse("enterprises:import_report", args=[run.pk]))

    rows = xlsx_rows(response.content)
    assert rows[1][1] == "从业人数"


@pytest.mark.parametrize(("lang", "first_title"), [("zh-hans", "统一社会信用代码"), ("en", "uscc")])
def test_template_download_in_both_languages(office, lang, first_title):
    client, _org, _code = office

    xlsx = client.get(reverse("enterprises:import_template"), {"lang": lang, "format": "xlsx"})
    csv = client.get(reverse("enterprises:import_template"), {"lang": lang, "format": "csv"})

    assert xlsx.status_code == 200 and "attachment" in xlsx["Content-Disposition"]
    assert load_workbook(io.BytesIO(xlsx.content)).worksheets[0]["A1"].value == first_title
    assert csv.status_code == 200 and csv.content.decode("utf-8-sig").startswith(first_title)


def test_template_with_unknown_format_is_a_bad_request(office):
    client, _org, _code = office

    response = client.get(reverse("enterprises:import_template"), {"format": "pdf"})

    assert response.status_code == 400


def test_another_organisations_run_is_not_found(office):
    client, _org, code = office
    stranger, _stranger_org = subdistrict_staff()
    client.force_login(stranger)
    post_file(client, xlsx_bytes([good_row(1, code)]))
    theirs = ImportRun.objects.get()
    user, _org2 = subdistrict_staff()
    client.force_login(user)

    assert client.get(reverse("enterprises:import_run", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("enterprises:import_run", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("enterprises:import_report", args=[theirs.pk])).status_code == 404
    assert ImportRun.objects.count() == 1 and not Enterprise.objects.exists()


@pytest.mark.parametrize(
    ("org_type", "role"),
    [
        (OrgType.BANK, Role.ADMIN),
        (OrgType.MSME, Role.ADMIN),
        (OrgType.SUBDISTRICT_OFFICE, Role.VIEWER),
        (OrgType.INDUSTRY_AUTHORITY, Role.REVIEWER),
        (OrgType.INSURER, Role.STAFF),
    ],
)
def test_who_may_not_import_gets_403(client, org_type, role):
    owner, org = subdistrict_staff()
    client.force_login(owner)
    post_file(client, xlsx_bytes([good_row(1, org.subdistrict.code)]))
    run = ImportRun.objects.get()
    client.force_login(member_of(org_type, role))

    assert client.get(IMPORT_URL).status_code == 403
    assert post_file(client, xlsx_bytes([good_row(2, org.subdistrict.code)]), dry_run="0").status_code == 403
    assert client.get(reverse("enterprises:import_run", args=[run.pk])).status_code == 403
    assert client.post(reverse("enterprises:import_run", args=[run.pk])).status_code == 403
    assert client.get(reverse("enterprises:import_report", args=[run.pk])).status_code == 403
    assert client.get(reverse("enterprises:import_template")).status_code == 403
    assert ImportRun.objects.count() == 1 and not Enterprise.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(IMPORT_URL)

    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_import_page_in_chinese(office):
    client, _org, _code = office
    client.post(reverse("set_language"), {"language": "zh-hans"})

    response = client.get(IMPORT_URL)

    assert response.status_code == 200
    assert "统一社会信用代码" in response.content.decode()


def test_a_person_in_two_importing_organisations_chooses_one(office):
    client, org, code = office
    user = org.memberships.get().user
    district = member_of(OrgType.DISTRICT_AUTHORITY, Role.STAFF).memberships.get().organization
    user.memberships.create(organization=district, role=Role.STAFF)
    content = xlsx_bytes([good_row(1, code)])

    page = client.get(IMPORT_URL)
    missing = client.post(IMPORT_URL, {"file": SimpleUploadedFile("a.xlsx", content)})
    chosen = client.post(IMPORT_URL, {"file": SimpleUploadedFile("a.xlsx", content), "organization": district.pk})

    assert 'name="organization"' in page.content.decode()
    assert missing.status_code == 400 and "organization" in missing.context["form"].errors
    assert chosen.status_code == 302 and ImportRun.objects.get().organization == district


def test_a_dry_run_whose_file_is_gone_offers_no_apply_and_refuses_it(office):
    from django.core.files.storage import default_storage

    client, _org, code = office
    post_file(client, xlsx_bytes([good_row(1, code)]))
    run = ImportRun.objects.get()
    default_storage.delete(f"imports/{run.file_sha256}")
    url = reverse("enterprises:import_run", args=[run.pk])

    page = client.get(url).content.decode()
    response = client.post(url, follow=True)

    assert 'data-testid="import-apply"' not in page and "no longer available" in page
    assert "no longer available" in response.content.decode()
    assert ImportRun.objects.count() == 1 and not Enterprise.objects.exists()
