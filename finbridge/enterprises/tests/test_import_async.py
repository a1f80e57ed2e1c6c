"""Large imports in the background (queued -> running -> done or failed) and the bulk update of changed rows.

The background threshold is lowered to two rows here, so that three-row files take the background path.
Background work starts on commit: tests capture the on-commit callbacks to see the queued run, then run
them (CELERY_TASK_ALWAYS_EAGER runs the task in-process).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone, translation

from finbridge.accounts.choices import OrgType, Role
from finbridge.accounts.tests.factories import ClusterFactory, OrganizationFactory, SubdistrictFactory, member_of
from finbridge.audit.models import AuditEvent
from finbridge.core.errors import Conflict, ValidationFailed
from finbridge.enterprises.choices import ImportStatus
from finbridge.enterprises.models import Enterprise, ImportRun
from finbridge.enterprises.selectors_import import import_progress_key
from finbridge.enterprises.services import importing
from finbridge.enterprises.services.enterprises import apply_enterprise_data
from finbridge.enterprises.services.importing import (
    enterprise_import,
    import_run_apply,
    import_run_process,
    import_runs_fail_stale,
)
from finbridge.enterprises.tasks import run_enterprise_import
from finbridge.enterprises.tests.factories import EnterpriseFactory, valid_uscc
from finbridge.enterprises.tests.import_helpers import HEADER, good_row, subdistrict_staff, xlsx_bytes
from finbridge.enterprises.validation import clean_enterprise_data

pytestmark = pytest.mark.django_db

HistoricalEnterprise = Enterprise.history.model
HistoricalClusters = apps.get_model("enterprises", "HistoricalEnterprise_clusters")
URL = "/api/v1/enterprise-imports/"


@pytest.fixture(autouse=True)
def _small_background_threshold(settings):
    settings.FINBRIDGE_IMPORT_BACKGROUND_ROWS = 2


@pytest.fixture
def office():
    """(user, organisation, subdistrict code) of a subdistrict office's staff member."""
    user, org = subdistrict_staff()
    return user, org, org.subdistrict.code


def three_rows(code: str, **changes) -> bytes:
    return xlsx_bytes([good_row(n, code, **changes) for n in (1, 2, 3)])


def queue(office, content: bytes, capture, *, dry_run: bool = False) -> tuple[ImportRun, list]:
    """Upload a file that goes to the background; (the queued run, the callbacks that would start it)."""
    user, org, _code = office
    with capture(execute=False) as callbacks:
        run = enterprise_import(actor=user, organization=org, file_name="big.xlsx", content=content, dry_run=dry_run)
    return run, callbacks


def start(callbacks) -> None:
    for callback in callbacks:
        callback()


def registry_state() -> tuple:
    """What an import may change: records, their values, cluster links, history and their audit events."""
    links = Enterprise.clusters.through.objects.values_list("enterprise_id", "industrialcluster_id")
    return (
        list(Enterprise.objects.order_by("pk").values()),
        sorted(links),
        HistoricalEnterprise.objects.count(),
        HistoricalClusters.objects.count(),
        AuditEvent.objects.filter(object_type="enterprises.enterprise").count(),
    )


# ---- the service: queued -> running -> done ---------------------------------------------------------------


def test_a_small_file_is_still_imported_at_once(office, django_capture_on_commit_callbacks):
    user, org, code = office
    content = xlsx_bytes([good_row(1, code), good_row(2, code)])  # at the threshold

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = enterprise_import(actor=user, organization=org, file_name="a.xlsx", content=content, dry_run=False)

    assert callbacks == []
    assert (run.status, run.background, run.rows_created) == (ImportStatus.DONE, False, 2)
    assert run.started_at is not None and run.finished_at >= run.started_at
    assert ImportRun.objects.filter(pk=run.pk).values_list("upload", flat=True).get() is None
    assert Enterprise.objects.count() == 2


def test_a_large_file_is_queued_then_runs_then_is_done(office, django_capture_on_commit_callbacks, monkeypatch):
    user, org, code = office
    content = xlsx_bytes([good_row(1, code), good_row(2, code, employees=-1), good_row(3, code)])
    seen: list[tuple[str, int]] = []
    report_progress = importing._set_progress

    def watch(pk: int, rows_done: int) -> None:
        report_progress(pk, rows_done)
        seen.append((ImportRun.objects.get(pk=pk).status, cache.get(import_progress_key(pk))))

    monkeypatch.setattr(importing, "_set_progress", watch)

    run, callbacks = queue(office, content, django_capture_on_commit_callbacks)

    assert (run.status, run.background, run.rows_total, run.rows_created) == (ImportStatus.QUEUED, True, 3, 0)
    assert run.started_at is None and run.language == "en"
    assert bytes(ImportRun.objects.filter(pk=run.pk).values_list("upload", flat=True).get()) == content
    assert not Enterprise.objects.exists()
    queued_event = AuditEvent.objects.get(action="enterprise_import_queued")
    assert queued_event.object_id == str(run.pk) and queued_event.actor == user
    assert len(callbacks) == 1

    start(callbacks)

    assert seen[0] == (ImportStatus.RUNNING, 0) and seen[-1] == (ImportStatus.RUNNING, 3)
    run.refresh_from_db()
    assert run.status == ImportStatus.DONE and run.finished_at >= run.started_at >= run.created_at
    assert (run.rows_total, run.rows_created, run.rows_updated, run.rows_rejected) == (3, 2, 0, 1)
    assert run.errors == [
        {"line": 3, "field": "employees", "value": "-1", "message": "Enter a whole number from 0 to 5,000,000."}
    ]
    assert ImportRun.objects.filter(pk=run.pk).values_list("upload", flat=True).get() is None
    assert set(Enterprise.objects.values_list("uscc", flat=True)) == {valid_uscc(1), valid_uscc(3)}
    version = HistoricalEnterprise.objects.get(uscc=valid_uscc(1))
    assert (version.history_type, version.history_user, version.history_change_reason) == (
        "+",
        user,
        "enterprise_import",
    )
    done_event = AuditEvent.objects.get(action="enterprise_import_run")
    assert done_event.actor == user and done_event.after["rows_created"] == 2
    assert cache.get(import_progress_key(run.pk)) is None


def test_the_task_runs_a_queued_run_once(office, django_capture_on_commit_callbacks):
    _user, _org, code = office
    run, callbacks = queue(office, three_rows(code), django_capture_on_commit_callbacks)
    start(callbacks)
    before = registry_state()
    events = AuditEvent.objects.count()

    assert run_enterprise_import(run.pk) == ImportStatus.DONE  # delivered twice: nothing more happens
    assert run_enterprise_import(987654) is None

    assert registry_state() == before and AuditEvent.objects.count() == events


def test_the_row_report_of_a_background_run_is_in_the_uploaders_language(office, django_capture_on_commit_callbacks):
    _user, _org, code = office
    with translation.override("zh-hans"):
        run, callbacks = queue(office, three_rows(code, annual_revenue=-500), django_capture_on_commit_callbacks)
    assert run.language == "zh-hans"

    start(callbacks)  # the worker has no request: it takes the language from the run

    run.refresh_from_db()
    assert run.rows_rejected == 3
    assert {error["message"] for error in run.errors} == {"金额不能为负数。"}


def test_a_background_dry_run_writes_nothing_and_can_then_be_applied(office, django_capture_on_commit_callbacks):
    user, org, code = office
    EnterpriseFactory(uscc=valid_uscc(1), subdistrict=org.subdistrict, employees=50, name="已有企业")
    rows = [good_row(1, code, name="已有企业", employees=80), good_row(2, code), good_row(3, code, industry_code="x")]
    before = registry_state()
    dry, callbacks = queue(office, xlsx_bytes(rows), django_capture_on_commit_callbacks, dry_run=True)

    with pytest.raises(Conflict) as raised:
        import_run_apply(actor=user, pk=dry.pk)  # not checked yet
    assert raised.value.code == "import_not_finished"
    start(callbacks)

    dry.refresh_from_db()
    assert (dry.status, dry.dry_run) == (ImportStatus.DONE, True)
    assert (dry.rows_created, dry.rows_updated, dry.rows_rejected) == (1, 1, 1)
    assert registry_state() == before
    assert AuditEvent.objects.filter(action="enterprise_import_dry_run").count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        applied = import_run_apply(actor=user, pk=dry.pk)

    applied.refresh_from_db()
    assert (applied.status, applied.background, applied.dry_run) == (ImportStatus.DONE, True, False)
    assert (applied.rows_created, applied.rows_updated, applied.rows_rejected) == (1, 1, 1)
    assert Enterprise.objects.get(uscc=valid_uscc(1)).employees == 80


def test_a_file_refused_at_upload_writes_nothing_even_when_large(office, django_capture_on_commit_callbacks):
    _user, _org, code = office
    content = xlsx_bytes([[*good_row(n, code), "x"] for n in (1, 2, 3)], header=[*HEADER, "favourite colour"])

    with pytest.raises(ValidationFailed) as raised, django_capture_on_commit_callbacks(execute=True):
        enterprise_import(actor=office[0], organization=office[1], file_name="a.xlsx", content=content, dry_run=False)

    assert raised.value.code == "import_bad_columns"
    assert not ImportRun.objects.exists() and not AuditEvent.objects.exists()


# ---- failures: the run is failed with a reason and the registry is unchanged ------------------------------


def test_an_error_halfway_fails_the_run_and_changes_nothing(office, django_capture_on_commit_callbacks, monkeypatch):
    _user, org, code = office
    existing = EnterpriseFactory(uscc=valid_uscc(1), subdistrict=org.subdistrict, employees=5)
    monkeypatch.setattr(importing, "CHUNK_SIZE", 2)  # the first chunk is written before the second fails
    write = importing._Importer._write
    calls = []

    def failing_write(importer, rows):
        calls.append(len(rows))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        write(importer, rows)

    monkeypatch.setattr(importing._Importer, "_write", failing_write)
    content = xlsx_bytes([good_row(1, code, employees=9), good_row(2, code), good_row(3, code), good_row(4, code)])
    before = registry_state()
    run, callbacks = queue(office, content, django_capture_on_commit_callbacks)

    start(callbacks)  # no exception escapes: a 500 would be a bug

    run.refresh_from_db()
    assert calls == [2, 2]
    assert run.status == ImportStatus.FAILED and run.finished_at is not None
    assert run.failure_message == "The import stopped because of an unexpected error. Nothing was changed: try again."
    assert (run.rows_created, run.rows_updated, run.errors) == (0, 0, [])
    assert ImportRun.objects.filter(pk=run.pk).values_list("upload", flat=True).get() is None
    assert registry_state() == before
    existing.refresh_from_db()
    assert existing.employees == 5
    failed = AuditEvent.objects.get(action="enterprise_import_failed")
    assert failed.actor is None and failed.after["reason"] == run.failure_message
    assert not AuditEvent.objects.filter(action="enterprise_import_run").exists()


def test_an_uploader_who_lost_the_right_to_import_gets_a_translated_failure(office, django_capture_on_commit_callbacks):
    user, _org, code = office
    with translation.override("zh-hans"):
        run, callbacks = queue(office, three_rows(code), django_capture_on_commit_callbacks)
    user.memberships.all().delete()
    before = registry_state()

    start(callbacks)

    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED
    assert run.failure_message == "您无权执行此操作。"  # "You do not have permission to do this."
    assert registry_state() == before


def test_a_queue_that_refuses_the_task_fails_the_run(office, django_capture_on_commit_callbacks, monkeypatch):
    _user, _org, code = office

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("redis is down")

    monkeypatch.setattr(run_enterprise_import, "delay", broker_down)
    run, callbacks = queue(office, three_rows(code), django_capture_on_commit_callbacks)

    start(callbacks)

    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED and "could not be started" in run.failure_message
    assert not Enterprise.objects.exists()


def test_stale_runs_are_failed_and_a_late_worker_then_does_nothing(office, django_capture_on_commit_callbacks):
    _user, _org, code = office
    old, callbacks = queue(office, three_rows(code), django_capture_on_commit_callbacks)
    recent, _recent_callbacks = queue(office, three_rows(code), django_capture_on_commit_callbacks)
    running, _running_callbacks = queue(office, three_rows(code), django_capture_on_commit_callbacks)
    long_ago = timezone.now() - datetime.timedelta(hours=3)
    ImportRun.objects.filter(pk=old.pk).update(created_at=long_ago)
    ImportRun.objects.filter(pk=running.pk).update(status=ImportStatus.RUNNING, started_at=long_ago)

    assert import_runs_fail_stale() == 2

    statuses = dict(ImportRun.objects.values_list("pk", "status"))
    assert statuses == {old.pk: "failed", recent.pk: "queued", running.pk: "failed"}
    assert "did not finish in time" in ImportRun.objects.get(pk=old.pk).failure_message
    start(callbacks)  # the lost task turns up after all
    assert import_run_process(pk=old.pk).status == ImportStatus.FAILED
    assert not Enterprise.objects.exists()


def test_a_run_failed_while_it_ran_rolls_its_import_back(office, django_capture_on_commit_callbacks, monkeypatch):
    """The stale check may fail a run that was in fact still working: its import then leaves nothing."""
    _user, _org, code = office
    run, callbacks = queue(office, three_rows(code), django_capture_on_commit_callbacks)
    report_progress = importing._set_progress

    def reaper_strikes(pk: int, rows_done: int) -> None:
        report_progress(pk, rows_done)
        if rows_done:  # (on PostgreSQL the reaper's own transaction would keep its reason; see the next test)
            ImportRun.objects.filter(pk=pk).update(status=ImportStatus.FAILED)

    monkeypatch.setattr(importing, "_set_progress", reaper_strikes)

    start(callbacks)

    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED and "stopped before it finished" in run.failure_message
    assert not Enterprise.objects.exists() and run.rows_created == 0


def test_an_ended_run_keeps_its_first_reason(office, django_capture_on_commit_callbacks):
    _user, _org, code = office
    run, _callbacks = queue(office, three_rows(code), django_capture_on_commit_callbacks)

    assert importing._fail(run.pk, "first reason") is True
    assert importing._fail(run.pk, "second reason") is False

    run.refresh_from_db()
    assert run.failure_message == "first reason"
    assert AuditEvent.objects.filter(action="enterprise_import_failed").count() == 1


# ---- pages: progress polled by htmx, then the report -----------------------------------------------------


@pytest.fixture
def signed_in(client, office):
    client.force_login(office[0])
    return client


def test_the_run_page_polls_until_done_then_shows_the_report(signed_in, office, django_capture_on_commit_callbacks):
    _user, _org, code = office
    content = xlsx_bytes([good_row(1, code), good_row(2, code, employees=-1), good_row(3, code)])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = signed_in.post(
            reverse("enterprises:import"), {"file": SimpleUploadedFile("big.xlsx", content), "dry_run": "0"}
        )
    run = ImportRun.objects.get()
    page_url = reverse("enterprises:import_run", args=[run.pk])
    progress_url = reverse("enterprises:import_run_progress", args=[run.pk])
    assert response.status_code == 302 and response["Location"] == page_url

    waiting = signed_in.get(page_url).content.decode()
    assert 'data-testid="import-progress"' in waiting and 'hx-trigger="every 2s"' in waiting
    assert f'hx-get="{progress_url}"' in waiting and '<meta http-equiv="refresh" content="5">' in waiting
    assert "Waiting for a background worker" in waiting and 'data-testid="import-counts"' not in waiting
    listed = signed_in.get(reverse("enterprises:import")).content.decode()
    assert 'data-testid="run-status"' in listed and "Queued" in listed

    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.RUNNING, started_at=timezone.now())
    cache.set(import_progress_key(run.pk), 2)
    partial = signed_in.get(progress_url, headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "HX-Refresh" not in partial
    html = partial.content.decode()
    assert "<html" not in html and 'hx-trigger="every 2s"' in html
    assert "2 of 3 rows processed." in html and 'aria-valuenow="66"' in html and "Importing" in html
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.QUEUED, started_at=None)

    start(callbacks)

    finished = signed_in.get(progress_url, headers={"HX-Request": "true"})
    assert finished.status_code == 200 and finished["HX-Refresh"] == "true"
    plain = signed_in.get(progress_url)
    assert plain.status_code == 302 and plain["Location"] == page_url
    report = signed_in.get(page_url)
    html = report.content.decode()
    assert 'data-testid="import-progress"' not in html and "every 2s" not in html and 'http-equiv="refresh"' not in html
    assert report.context["run"].rows_created == 2 and 'data-testid="count-created"' in html
    assert [row["line"] for row in report.context["error_rows"]] == [3]
    assert reverse("enterprises:import_report", args=[run.pk]) in html


def test_a_failed_run_shows_its_reason(signed_in, office, django_capture_on_commit_callbacks):
    _user, _org, code = office
    run, _callbacks = queue(office, three_rows(code), django_capture_on_commit_callbacks)
    importing._fail(run.pk, "The import did not finish in time and was stopped. Nothing was changed: try again.")

    html = signed_in.get(reverse("enterprises:import_run", args=[run.pk])).content.decode()

    assert 'data-testid="import-failed"' in html and "did not finish in time" in html
    assert 'data-testid="import-progress"' not in html and 'data-testid="import-apply"' not in html


def test_a_background_dry_run_offers_apply_only_once_done(signed_in, office, django_capture_on_commit_callbacks):
    _user, _org, code = office
    run, callbacks = queue(office, three_rows(code), django_capture_on_commit_callbacks, dry_run=True)
    url = reverse("enterprises:import_run", args=[run.pk])

    assert 'data-testid="import-apply"' not in signed_in.get(url).content.decode()
    refused = signed_in.post(url, follow=True)
    assert "Wait until this file has been checked" in refused.content.decode()
    assert ImportRun.objects.count() == 1

    start(callbacks)

    assert 'data-testid="import-apply"' in signed_in.get(url).content.decode()


def test_the_progress_page_in_chinese(signed_in, office, django_capture_on_commit_callbacks):
    _user, _org, code = office
    run, _callbacks = queue(office, three_rows(code), django_capture_on_commit_callbacks)
    signed_in.post(reverse("set_language"), {"language": "zh-hans"})

    response = signed_in.get(reverse("enterprises:import_run", args=[run.pk]))

    html = response.content.decode()
    assert response.status_code == 200 and '<html lang="zh-hans">' in html
    assert "导入结果" in html and "返回导入" in html and 'data-testid="import-progress"' in html


# ---- API: 202 and the run's status ------------------------------------------------------------------------


def test_api_answers_202_then_the_run_reports_its_status(api_client, office, django_capture_on_commit_callbacks):
    user, org, code = office
    api_client.force_authenticate(user)
    content = xlsx_bytes([good_row(1, code), good_row(2, code, employees=-1), good_row(3, code)])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api_client.post(
            URL, {"file": SimpleUploadedFile("big.xlsx", content), "dry_run": "false"}, format="multipart"
        )

    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["status"], body["background"], body["organization"]) == ("queued", True, org.pk)
    assert (body["rows_total"], body["rows_processed"], body["rows_created"], body["errors"]) == (3, 0, 0, [])
    detail_url = f"{URL}{body['id']}/"
    assert api_client.get(detail_url).json()["status"] == "queued"
    assert api_client.post(f"{detail_url}apply/").status_code == 409

    start(callbacks)

    done = api_client.get(detail_url).json()
    assert (done["status"], done["rows_processed"], done["rows_created"], done["rows_rejected"]) == ("done", 3, 2, 1)
    assert done["started_at"] and done["finished_at"] and done["failure_message"] == ""
    assert [error["line"] for error in done["errors"]] == [3]
    listed = api_client.get(URL).json()["results"]
    assert [(run["id"], run["status"]) for run in listed] == [(body["id"], "done")]


def test_api_small_files_are_still_answered_201(api_client, office):
    user, _org, code = office
    api_client.force_authenticate(user)

    response = api_client.post(URL, {"file": SimpleUploadedFile("a.xlsx", xlsx_bytes([good_row(1, code)]))})

    assert response.status_code == 201 and response.json()["status"] == "done"
    assert response.json()["background"] is False and response.json()["rows_processed"] == 1


def test_api_apply_of_a_large_dry_run_answers_202(api_client, office, django_capture_on_commit_callbacks):
    user, _org, code = office
    api_client.force_authenticate(user)
    with django_capture_on_commit_callbacks(execute=True):
        dry = api_client.post(URL, {"file": SimpleUploadedFile("big.xlsx", three_rows(code))}).json()

    with django_capture_on_commit_callbacks(execute=True):
        applied = api_client.post(f"{URL}{dry['id']}/apply/")

    assert dry["status"] == "queued"  # answered before the worker started
    assert applied.status_code == 202 and applied.json()["dry_run"] is False
    assert api_client.get(f"{URL}{applied.json()['id']}/").json()["rows_created"] == 3


def test_the_schema_documents_202(api_client, office):
    api_client.force_authenticate(office[0])

    paths = api_client.get("/api/schema/", {"format": "json"}).json()["paths"]

    assert {"201", "202"} <= set(paths["/api/v1/enterprise-imports/"]["post"]["responses"])
    assert {"202", "409"} <= set(paths["/api/v1/enterprise-imports/{id}/apply/"]["post"]["responses"])


# ---- who sees a run -------------------------------------------------------------------------------------


def test_only_the_uploaders_organisation_sees_its_runs(client, api_client, office, django_capture_on_commit_callbacks):
    user, org, code = office
    run, _callbacks = queue(office, three_rows(code), django_capture_on_commit_callbacks)
    colleague = member_of(OrgType.SUBDISTRICT_OFFICE, Role.STAFF, organization=org)
    stranger, _stranger_org = subdistrict_staff()
    district = member_of(OrgType.DISTRICT_AUTHORITY, Role.STAFF)
    page = reverse("enterprises:import_run", args=[run.pk])
    progress = reverse("enterprises:import_run_progress", args=[run.pk])

    client.force_login(colleague)
    assert client.get(page).status_code == 200 and client.get(progress).status_code == 200
    api_client.force_authenticate(colleague)
    assert api_client.get(f"{URL}{run.pk}/").status_code == 200
    for outsider in (stranger, district):
        client.force_login(outsider)
        assert client.get(page).status_code == 404
        assert client.get(progress).status_code == 404
        assert client.post(page).status_code == 404
        api_client.force_authenticate(outsider)
        assert api_client.get(f"{URL}{run.pk}/").status_code == 404
        assert api_client.post(f"{URL}{run.pk}/apply/").status_code == 404
        assert [r["id"] for r in api_client.get(URL).json()["results"]] == []
    client.force_login(member_of(OrgType.BANK, Role.ADMIN))
    assert client.get(progress).status_code == 403
    assert ImportRun.objects.count() == 1 and ImportRun.objects.get().status == ImportStatus.QUEUED


# ---- the bulk update writes what apply_enterprise_data writes ---------------------------------------------


def _compared(values: dict, ignored: set[str]) -> dict:
    return {key: value for key, value in values.items() if key not in ignored}


@pytest.mark.parametrize("with_clusters", [True, False], ids=["clusters-change", "clusters-kept"])
def test_bulk_update_writes_what_apply_enterprise_data_writes(office, monkeypatch, settings, with_clusters):
    settings.FINBRIDGE_IMPORT_BACKGROUND_ROWS = 5_000
    user, org, code = office
    software = OrganizationFactory(org_type=OrgType.INDUSTRY_AUTHORITY, industry_sectors=["I65"])
    keep, drop, add = ClusterFactory(code="ic"), ClusterFactory(code="bio"), ClusterFactory(code="ev")
    twins = []
    for n in (41, 42):
        twin = EnterpriseFactory(
            uscc=valid_uscc(n),
            name="孪生企业",
            name_en="Twin Ltd.",
            subdistrict=org.subdistrict,
            industry_code="C3670",
            employees=50,
            annual_revenue=Decimal("30000000.00"),
            size_class="small",
        )
        twin.clusters.set([keep, drop])
        twins.append(twin)
    raw = {
        "name": "改名后的企业",
        "legal_representative": "赵六",
        "industry_code": "I6513",
        "employees": 200,
        "annual_revenue": "120,000,000",
        "is_srdi": "是",
    }
    if with_clusters:
        raw["clusters"] = "ev、ic"
    bulk, single = twins

    def no_row_path(**kwargs):
        raise AssertionError("the bulk update fell back to apply_enterprise_data")

    monkeypatch.setattr(importing, "apply_enterprise_data", no_row_path)
    run = enterprise_import(
        actor=user,
        organization=org,
        file_name="a.xlsx",
        content=xlsx_bytes([[bulk.uscc, *raw.values()]], header=["uscc", *raw]),
        dry_run=False,
    )
    monkeypatch.undo()
    _record, changed = apply_enterprise_data(
        actor=user,
        data=clean_enterprise_data({**raw, "uscc": single.uscc}),
        existing=single,
        action="enterprise_import",
    )

    assert (run.rows_updated, run.rows_rejected, changed) == (1, 0, True)
    ignored = {"id", "uscc", "created_at", "updated_at"}
    stored = [Enterprise.objects.filter(pk=twin.pk).values().get() for twin in twins]
    assert _compared(stored[0], ignored) == _compared(stored[1], ignored)
    assert (stored[0]["size_class"], stored[0]["managing_authority_id"]) == ("medium", software.pk)
    clusters = [set(twin.clusters.values_list("code", flat=True)) for twin in twins]
    assert clusters[0] == clusters[1] == ({"ev", "ic"} if with_clusters else {"ic", "bio"})
    events = [AuditEvent.objects.get(action="enterprise_import", object_id=str(twin.pk)) for twin in twins]
    for side in ("before", "after"):
        assert _compared(getattr(events[0], side), ignored) == _compared(getattr(events[1], side), ignored)
    assert events[0].after["updated_at"] == stored[0]["updated_at"].isoformat()
    assert events[0].before["employees"] == 50 and events[0].after["employees"] == 200
    assert events[0].after["clusters"] == ([add.pk, keep.pk] if with_clusters else [drop.pk, keep.pk])
    for attribute in ("actor_id", "actor_name", "object_type", "object_repr"):
        assert getattr(events[0], attribute) == getattr(events[1], attribute)
    versions = [HistoricalEnterprise.objects.filter(id=twin.pk).order_by("history_id") for twin in twins]
    assert [v.history_type for v in versions[0]] == [v.history_type for v in versions[1]]
    latest = [list(v)[-1] for v in versions]
    not_compared = ignored | {"history_id", "history_date"}
    assert _compared(vars_of(latest[0]), not_compared) == _compared(vars_of(latest[1]), not_compared)
    assert (latest[0].history_type, latest[0].history_user, latest[0].history_change_reason) == (
        "~",
        user,
        "enterprise_import",
    )
    cluster_rows = [
        sorted(HistoricalClusters.objects.filter(history=v).values_list("industrialcluster_id", flat=True))
        for v in latest
    ]
    assert cluster_rows[0] == cluster_rows[1] and len(cluster_rows[0]) == 2
    links = dict(Enterprise.clusters.through.objects.filter(enterprise=bulk).values_list("industrialcluster_id", "id"))
    assert dict(HistoricalClusters.objects.filter(history=latest[0]).values_list("industrialcluster_id", "id")) == links


def vars_of(version) -> dict:
    return HistoricalEnterprise.objects.filter(history_id=version.history_id).values().get()


def test_bulk_update_checks_the_remit_again_under_lock(office, monkeypatch, settings):
    """A record moved out of the office's subdistrict after the file was read is rejected, the others kept."""
    settings.FINBRIDGE_IMPORT_BACKGROUND_ROWS = 5_000
    user, org, code = office
    first = EnterpriseFactory(uscc=valid_uscc(1), subdistrict=org.subdistrict, employees=5)
    moved = EnterpriseFactory(uscc=valid_uscc(2), subdistrict=org.subdistrict, employees=5)
    read = importing._existing_by_uscc

    def read_then_someone_moves_it(usccs):
        found = read(usccs)
        Enterprise.objects.filter(pk=moved.pk).update(subdistrict=SubdistrictFactory())
        return found

    monkeypatch.setattr(importing, "_existing_by_uscc", read_then_someone_moves_it)
    content = xlsx_bytes([good_row(1, code, employees=7), good_row(2, code, employees=7)])

    run = enterprise_import(actor=user, organization=org, file_name="a.xlsx", content=content, dry_run=False)

    assert (run.rows_updated, run.rows_rejected) == (1, 1)
    [error] = run.errors
    assert error["line"] == 3 and error["message"] == "This enterprise is outside your remit."
    first.refresh_from_db()
    moved.refresh_from_db()
    assert (first.employees, moved.employees) == (7, 5)
    assert not AuditEvent.objects.filter(action="enterprise_import", object_id=str(moved.pk)).exists()


def test_a_failing_batch_falls_back_to_one_row_at_a_time(office, monkeypatch, settings):
    settings.FINBRIDGE_IMPORT_BACKGROUND_ROWS = 5_000
    user, org, code = office
    for n in (1, 2):
        EnterpriseFactory(uscc=valid_uscc(n), subdistrict=org.subdistrict, employees=5)

    def broken_batch(*args, **kwargs):
        raise DatabaseError("deadlock detected")

    monkeypatch.setattr(importing, "_write_updates", broken_batch)
    content = xlsx_bytes([good_row(1, code, employees=7), good_row(2, code, employees=8)])

    run = enterprise_import(actor=user, organization=org, file_name="a.xlsx", content=content, dry_run=False)

    assert (run.rows_updated, run.rows_rejected) == (2, 0)
    assert sorted(Enterprise.objects.values_list("employees", flat=True)) == [7, 8]
    assert HistoricalEnterprise.objects.filter(history_type="~", history_change_reason="enterprise_import").count() == 2
    assert AuditEvent.objects.filter(action="enterprise_import").count() == 2


def test_a_large_re_import_updates_every_row_in_the_background(office, django_capture_on_commit_callbacks, monkeypatch):
    """Several chunks of changed rows: every record updated once, with one version and one event each."""
    _user, org, code = office
    monkeypatch.setattr(importing, "CHUNK_SIZE", 3)
    for n in range(1, 8):
        EnterpriseFactory(uscc=valid_uscc(n), subdistrict=org.subdistrict, employees=5)
    content = xlsx_bytes([good_row(n, code, employees=5 + n) for n in range(1, 8)])
    run, callbacks = queue(office, content, django_capture_on_commit_callbacks)

    start(callbacks)

    run.refresh_from_db()
    assert (run.status, run.rows_updated, run.rows_unchanged) == (ImportStatus.DONE, 7, 0)
    assert dict(Enterprise.objects.values_list("uscc", "employees")) == {valid_uscc(n): 5 + n for n in range(1, 8)}
    assert HistoricalEnterprise.objects.filter(history_type="~").count() == 7
    assert AuditEvent.objects.filter(action="enterprise_import").count() == 7
