"""Journey 3: an industry-authority officer imports a .csv list with one bad row (dry run, apply, report)."""

from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from finbridge.accounts.choices import OrgType, Role
from finbridge.accounts.tests.factories import member_of
from finbridge.enterprises.models import Enterprise
from finbridge.enterprises.tests.factories import valid_uscc

pytestmark = pytest.mark.e2e

GOOD_1 = (valid_uscc(910_001), "深圳市坪山导入一号科技有限公司")
BAD = (valid_uscc(910_002), "深圳市坪山导入二号材料有限公司")
GOOD_2 = (valid_uscc(910_003), "深圳市坪山导入三号电子有限公司")
CSV = "\n".join(
    [
        "uscc,name,industry_code,employees,annual_revenue,total_assets",
        f"{GOOD_1[0]},{GOOD_1[1]},C3670,120,15000000,9000000",
        f"{BAD[0]},{BAD[1]},C2651,60,-500,3000000",
        f"{GOOD_2[0]},{GOOD_2[1]},C3982,30,5000000,2000000",
        "",
    ]
).encode("utf-8-sig")  # with the byte-order mark Excel writes
BAD_LINE = 3  # the header is line 1


@pytest.fixture
def industry_officer():
    return member_of(OrgType.INDUSTRY_AUTHORITY, Role.STAFF, industry_sectors=["C"])


def imported_codes() -> set[str]:
    return set(Enterprise.objects.filter(uscc__in=[GOOD_1[0], BAD[0], GOOD_2[0]]).values_list("uscc", flat=True))


def expect_counts(page: Page, *, total: int, created: int, rejected: int) -> None:
    expect(page.get_by_test_id("count-total")).to_have_text(str(total))
    expect(page.get_by_test_id("count-created")).to_have_text(str(created))
    expect(page.get_by_test_id("count-rejected")).to_have_text(str(rejected))


def expect_bad_row_reported(page: Page) -> None:
    errors = page.get_by_test_id("import-errors").locator("tbody tr")
    expect(errors).to_have_count(1)
    cells = errors.first.locator("td")
    expect(cells.nth(0)).to_have_text(str(BAD_LINE))
    expect(cells.nth(1)).to_contain_text("Annual revenue")
    expect(cells.nth(1)).to_contain_text("annual_revenue")
    expect(cells.nth(2)).to_have_text("-500")
    expect(cells.nth(3)).to_have_text("An amount cannot be negative.")


def test_industry_officer_imports_a_csv_with_one_bad_row(page, industry_officer, login, shoot, tmp_path):
    login(page, industry_officer.username)
    page.locator('#fb-nav a[href="/enterprises/import/"]').click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import enterprises")
    shoot(page, "upload")

    page.locator("#id_file").set_input_files(
        files=[{"name": "pingshan-list.csv", "mimeType": "text/csv", "buffer": CSV}]
    )
    page.get_by_test_id("import-check").click()

    # The dry run: nothing saved, the counts of what would happen, the bad row with line, field and reason.
    expect(page.get_by_role("heading", level=1)).to_have_text("Dry run result")
    expect(page.get_by_test_id("dry-run-notice")).to_be_visible()
    expect_counts(page, total=3, created=2, rejected=1)
    expect_bad_row_reported(page)
    assert imported_codes() == set()
    shoot(page, "dry-run")

    # Apply: the good rows are imported, the bad one is still rejected.
    page.get_by_test_id("import-apply").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import result")
    expect(page.get_by_role("alert")).to_contain_text("The import was applied.")
    expect(page.get_by_test_id("dry-run-notice")).to_have_count(0)
    expect_counts(page, total=3, created=2, rejected=1)
    expect_bad_row_reported(page)
    assert imported_codes() == {GOOD_1[0], GOOD_2[0]}
    organization = industry_officer.memberships.get().organization
    assert set(Enterprise.objects.filter(uscc__in=imported_codes()).values_list("managing_authority", flat=True)) == {
        organization.pk
    }
    shoot(page, "applied")

    # The error report downloads as a spreadsheet with the bad row, its column and the reason.
    with page.expect_download() as download_info:
        page.get_by_test_id("import-report").click()
    download = download_info.value
    assert re.fullmatch(r"enterprise-import-\d+-rejected-rows\.xlsx", download.suggested_filename)
    report = tmp_path / download.suggested_filename
    download.save_as(report)
    rows = list(load_workbook(report, read_only=True).active.iter_rows(values_only=True))
    assert rows[0] == ("Line", "Column", "Value", "Message")
    assert len(rows) == 2
    line, column, value, message = rows[1]
    assert int(line) == BAD_LINE
    assert column == "Annual revenue (CNY)"
    assert str(value) == "-500"
    assert message == "An amount cannot be negative."

    # The imported enterprises are in the registry list.
    page.locator('#fb-nav a[href="/enterprises/"]').click()
    search = page.get_by_role("searchbox")
    search.fill("坪山导入")
    search.press("Enter")
    rows_listed = page.get_by_test_id("enterprise-row")
    expect(rows_listed).to_have_count(2)
    expect(page.locator("#results")).to_contain_text(GOOD_1[1])
    expect(page.locator("#results")).to_contain_text(GOOD_2[1])
    expect(page.locator("#results")).not_to_contain_text(BAD[1])
