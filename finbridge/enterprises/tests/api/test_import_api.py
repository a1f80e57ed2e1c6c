"""The bulk import API: /api/v1/enterprise-imports/ upload, runs, apply, report and template."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from finbridge.accounts.choices import OrgType, Role
from finbridge.accounts.tests.factories import member_of
from finbridge.enterprises.models import Enterprise, ImportRun
from finbridge.enterprises.tests.factories import valid_uscc
from finbridge.enterprises.tests.import_helpers import good_row, subdistrict_staff, xlsx_bytes, xlsx_rows

pytestmark = pytest.mark.django_db

URL = "/api/v1/enterprise-imports/"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def office():
    user, org = subdistrict_staff()
    return user, org, org.subdistrict.code


def upload(client, content: bytes, name: str = "list.xlsx", **data):
    return client.post(URL, {"file": SimpleUploadedFile(name, content), **data}, format="multipart")


def signed_in(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def test_upload_is_a_dry_run_by_default(api_client, office):
    user, org, code = office
    content = xlsx_bytes([good_row(1, code), good_row(2, code, employees=-1)])

    response = upload(signed_in(api_client, user), content)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["dry_run"] is True and body["organization"] == org.pk
    assert (body["rows_total"], body["rows_created"], body["rows_rejected"]) == (2, 1, 1)
    assert body["errors"] == [
        {"line": 3, "field": "employees", "value": "-1", "message": "Enter a whole number from 0 to 5,000,000."}
    ]
    assert body["report_url"].endswith(f"/api/v1/enterprise-imports/{body['id']}/report/")
    assert not Enterprise.objects.exists()


def test_upload_applied_then_repeated_creates_no_duplicates(api_client, office):
    user, _org, code = office
    client = signed_in(api_client, user)
    content = xlsx_bytes([good_row(1, code), good_row(2, code)])

    first = upload(client, content, dry_run="false").json()
    again = upload(client, content, dry_run="false").json()

    assert (first["rows_created"], first["dry_run"], first["report_url"]) == (2, False, None)
    assert (again["rows_created"], again["rows_unchanged"]) == (0, 2)
    assert Enterprise.objects.count() == 2


def test_dry_run_then_apply(api_client, office):
    user, _org, code = office
    client = signed_in(api_client, user)
    dry = upload(client, xlsx_bytes([good_row(1, code)])).json()
    assert not Enterprise.objects.exists()

    response = client.post(f"{URL}{dry['id']}/apply/")

    assert response.status_code == 201, response.content
    assert response.json()["dry_run"] is False and response.json()["rows_created"] == 1
    assert Enterprise.objects.get().uscc == valid_uscc(1)


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("list.txt", b"uscc,name\n", "import_wrong_file_type"),
        ("list.xlsx", b"not a zip", "import_wrong_file_type"),
        ("list.csv", b"", "import_empty_file"),
        ("list.csv", "uscc,名称\n1,2\n".encode(), "import_bad_columns"),
    ],
)
def test_files_that_cannot_be_imported_answer_400(api_client, office, name, content, code):
    user, _org, _code = office

    response = upload(signed_in(api_client, user), content, name=name)

    assert response.status_code == 400
    assert response.json()["code"] == code and response.json()["message"]
    assert not ImportRun.objects.exists()


def test_an_oversized_upload_answers_400(api_client, office, settings):
    user, _org, code = office
    settings.FINBRIDGE_IMPORT_MAX_BYTES = 100

    response = upload(signed_in(api_client, user), xlsx_bytes([good_row(1, code)]))

    assert response.status_code == 400 and response.json()["code"] == "import_file_too_large"
    assert not ImportRun.objects.exists()


def test_a_missing_file_answers_400(api_client, office):
    response = signed_in(api_client, office[0]).post(URL, {"dry_run": "true"}, format="multipart")

    assert response.status_code == 400 and "file" in response.json()["fields"]


def test_organisation_must_be_chosen_when_several(api_client, office):
    user, org, code = office
    second = member_of(OrgType.DISTRICT_AUTHORITY, Role.STAFF).memberships.get().organization
    user.memberships.create(organization=second, role=Role.STAFF)
    client = signed_in(api_client, user)

    missing = upload(client, xlsx_bytes([good_row(1, code)]))
    chosen = upload(client, xlsx_bytes([good_row(1, code)]), organization=second.pk)

    assert missing.status_code == 400 and missing.json()["code"] == "organization_required"
    assert chosen.status_code == 201 and chosen.json()["organization"] == second.pk


def test_list_shows_only_runs_of_ones_organisations(api_client, office):
    user, _org, code = office
    stranger, _stranger_org = subdistrict_staff()
    upload(signed_in(api_client, stranger), xlsx_bytes([good_row(9, code)]))
    mine = upload(signed_in(api_client, user), xlsx_bytes([good_row(1, code)])).json()

    response = api_client.get(URL)

    assert response.status_code == 200
    assert [run["id"] for run in response.json()["results"]] == [mine["id"]]
    assert "errors" not in response.json()["results"][0]


def test_another_organisations_run_is_not_found(api_client, office):
    user, _org, code = office
    stranger, _stranger_org = subdistrict_staff()
    theirs = upload(signed_in(api_client, stranger), xlsx_bytes([good_row(9, code, employees=-1)])).json()
    client = signed_in(api_client, user)

    assert client.get(f"{URL}{theirs['id']}/").status_code == 404
    assert client.get(f"{URL}{theirs['id']}/report/").status_code == 404
    assert client.post(f"{URL}{theirs['id']}/apply/").status_code == 404
    assert client.get(f"{URL}999999/").status_code == 404
    assert ImportRun.objects.count() == 1


def test_detail_and_report(api_client, office):
    user, _org, code = office
    client = signed_in(api_client, user)
    run = upload(client, xlsx_bytes([good_row(1, code, uscc="X"), good_row(2, code, industry_code="Q99999")])).json()

    detail = client.get(f"{URL}{run['id']}/")
    report = client.get(f"{URL}{run['id']}/report/")

    assert detail.status_code == 200 and len(detail.json()["errors"]) == 2
    assert report.status_code == 200 and report["Content-Type"] == XLSX_TYPE
    assert "attachment" in report["Content-Disposition"]
    rows = xlsx_rows(report.content)
    assert rows[0] == ("Line", "Column", "Value", "Message")
    assert [row[0] for row in rows[1:]] == [2, 3]


@pytest.mark.parametrize(("lang", "first_title"), [("zh-hans", "统一社会信用代码"), ("en", "uscc")])
def test_template_download(api_client, office, lang, first_title):
    client = signed_in(api_client, office[0])

    xlsx = client.get(f"{URL}template/", {"lang": lang, "format": "xlsx"})
    csv = client.get(f"{URL}template/", {"lang": lang, "format": "csv"})

    assert xlsx.status_code == 200 and xlsx["Content-Type"] == XLSX_TYPE
    assert f"enterprise-import-template-{lang}.xlsx" in xlsx["Content-Disposition"]
    assert load_workbook(io.BytesIO(xlsx.content)).worksheets[0]["A1"].value == first_title
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    assert csv.content.decode("utf-8-sig").startswith(first_title + ",")


def test_template_with_a_bad_language_answers_400_in_json(api_client, office):
    response = signed_in(api_client, office[0]).get(f"{URL}template/", {"lang": "fr", "format": "xlsx"})

    assert response.status_code == 400 and response.json()["code"] == "bad_template"


@pytest.mark.parametrize(
    ("org_type", "role"),
    [
        (OrgType.BANK, Role.ADMIN),
        (OrgType.MSME, Role.ADMIN),
        (OrgType.SUBDISTRICT_OFFICE, Role.VIEWER),
        (OrgType.INDUSTRY_AUTHORITY, Role.REVIEWER),
        (OrgType.GUARANTOR, Role.STAFF),
    ],
)
def test_who_may_not_import_gets_403_everywhere(api_client, office, org_type, role):
    _user, _org, code = office
    run = upload(signed_in(api_client, office[0]), xlsx_bytes([good_row(1, code)])).json()
    client = signed_in(api_client, member_of(org_type, role))

    assert upload(client, xlsx_bytes([good_row(2, code)]), dry_run="false").status_code == 403
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}{run['id']}/").status_code == 403
    assert client.post(f"{URL}{run['id']}/apply/").status_code == 403
    assert client.get(f"{URL}{run['id']}/report/").status_code == 403
    assert client.get(f"{URL}template/").status_code == 403
    assert not Enterprise.objects.exists() and ImportRun.objects.count() == 1


def test_anonymous_callers_are_refused(api_client):
    assert api_client.get(URL).status_code in (401, 403)
    assert api_client.post(URL, {}, format="multipart").status_code in (401, 403)


def test_schema_documents_the_import_endpoints(api_client, office):
    response = signed_in(api_client, office[0]).get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/enterprise-imports/" in paths
    assert "multipart/form-data" in paths["/api/v1/enterprise-imports/"]["post"]["requestBody"]["content"]
    assert XLSX_TYPE in paths["/api/v1/enterprise-imports/{id}/report/"]["get"]["responses"]["200"]["content"]
