"""Stress tests too large to run in the request: stored pending and handed to a background worker after the
commit (services.stress.stress_test_start), shown running on the page and as 202 in the API, and failing
cleanly (a translated reason, nothing else changed) when the queue cannot take them or the simulation fails."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from finbridge.audit.models import AuditEvent
from finbridge.core.errors import ValidationFailed
from finbridge.riskpool import tasks
from finbridge.riskpool.choices import StressRunStatus
from finbridge.riskpool.models import StressRun
from finbridge.riskpool.services import stress as stress_services
from finbridge.riskpool.services.stress import stress_test_execute, stress_test_run, stress_test_start
from finbridge.riskpool.tests.setup import build_pool_scenario

pytestmark = pytest.mark.django_db

RISKS = {"direct": {"probability_of_default": "0.2", "loss_rate": "0.6"}}
FORM = {
    "scenarios": "400",
    "seed": "11",
    "pd_direct": "20",
    "loss_rate_direct": "60",
    "correlation_percent": "10",
    "share_scales": "0.5",
    "interest_months": "3",
}
API = "/api/v1/riskpool/pools/{pool}/stress-runs/"
NOT_STARTED_ZH = "压力测试未能启动"


@pytest.fixture
def scenario():
    s = build_pool_scenario()
    for amount in ("1000000.00", "2500000.00", "400000.00"):
        s.enrol(s.make_loan(amount=D(amount)))
    return s


@pytest.fixture
def large(monkeypatch):
    """Every run over at least one loan counts as large."""
    monkeypatch.setattr(stress_services, "BACKGROUND_ABOVE_SECONDS", 0)


def refuse(*args, **kwargs):
    """A task queue that cannot be reached."""
    raise ConnectionError("broker down")


def _comparable(results: dict) -> dict:
    return {key: value for key, value in results.items() if key != "simulation_ms"}


# ---- the service ------------------------------------------------------------------------------------------


def test_runs_over_tens_of_thousands_of_loans_go_to_the_background():
    limit = stress_services.BACKGROUND_ABOVE_SECONDS
    assert stress_services.estimated_seconds(loans=5_000, scenarios=10_000) < limit
    assert stress_services.estimated_seconds(loans=200_000, scenarios=10_000) > limit  # the benchmark pool
    assert stress_services.estimated_seconds(loans=250_000, scenarios=1) > limit  # reading 250,000 loans alone
    assert (
        stress_services.estimated_seconds(loans=40_000, scenarios=10_000)
        < limit
        < (stress_services.estimated_seconds(loans=45_000, scenarios=10_000))
    )


def test_a_small_run_runs_at_once_without_the_queue(scenario, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = stress_test_start(actor=scenario.authority, pool=scenario.pool, risks=RISKS, scenarios=400, seed=11)
    assert run.status == StressRunStatus.DONE and run.results["base"]["histogram"]["counts"]
    assert callbacks == []


def test_a_large_run_is_queued_after_the_commit_and_gives_the_same_result(
    scenario, large, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = stress_test_start(actor=scenario.authority, pool=scenario.pool, risks=RISKS, scenarios=400, seed=11)
    assert run.status == StressRunStatus.PENDING and run.results == {}
    assert len(callbacks) == 1
    assert AuditEvent.objects.filter(action="riskpool.stress_test_run", object_id=str(run.pk)).count() == 1
    callbacks[0]()  # the commit: tasks run eagerly in tests
    run.refresh_from_db()
    assert run.status == StressRunStatus.DONE and run.finished_at is not None
    at_once = stress_test_run(actor=scenario.authority, pool=scenario.pool, risks=RISKS, scenarios=400, seed=11)
    assert _comparable(run.results) == _comparable(at_once.results)


def test_a_run_the_queue_cannot_take_fails_at_once(scenario, large, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(tasks.run_stress_test, "delay", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        run = stress_test_start(actor=scenario.authority, pool=scenario.pool, risks=RISKS, scenarios=400, seed=11)
    run.refresh_from_db()
    assert run.status == StressRunStatus.FAILED and run.results == {}
    assert run.error == stress_services.MSG_NOT_STARTED and run.finished_at is not None
    failed = AuditEvent.objects.get(action="riskpool.stress_test_failed", object_id=str(run.pk))
    assert failed.actor is None and failed.after == {"status": "failed", "error": stress_services.MSG_NOT_STARTED}


def test_a_simulation_that_fails_in_the_background_is_recorded_not_raised(
    scenario, large, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(*args, **kwargs):
        raise FloatingPointError("overflow in the engine")

    monkeypatch.setattr(stress_services, "_simulate", broken)
    with django_capture_on_commit_callbacks(execute=True):
        run = stress_test_start(actor=scenario.authority, pool=scenario.pool, risks=RISKS, scenarios=400, seed=11)
    run.refresh_from_db()
    assert run.status == StressRunStatus.FAILED and run.results == {}
    assert "overflow in the engine" in run.error
    assert AuditEvent.objects.filter(action="riskpool.stress_test_failed", object_id=str(run.pk)).count() == 1


def test_bad_input_stores_and_queues_nothing(scenario, large, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks, pytest.raises(ValidationFailed) as raised:
        stress_test_start(actor=scenario.authority, pool=scenario.pool, risks=RISKS, scenarios=0)
    assert "scenarios" in raised.value.fields
    assert callbacks == [] and not StressRun.objects.exists()


def test_runs_left_waiting_or_running_too_long_are_failed(scenario, large, django_capture_on_commit_callbacks):
    def queued(minutes_ago: int, status: str = StressRunStatus.PENDING) -> StressRun:
        with django_capture_on_commit_callbacks(execute=False):
            run = stress_test_start(actor=scenario.authority, pool=scenario.pool, risks=RISKS, scenarios=400)
        StressRun.objects.filter(pk=run.pk).update(
            status=status, created_at=timezone.now() - datetime.timedelta(minutes=minutes_ago)
        )
        return run

    lost, dead, recent = queued(31), queued(45, StressRunStatus.RUNNING), queued(10)
    finished = stress_test_run(actor=scenario.authority, pool=scenario.pool, risks=RISKS, scenarios=50)
    StressRun.objects.filter(pk=finished.pk).update(created_at=timezone.now() - datetime.timedelta(hours=3))
    assert stress_services.stress_runs_fail_stale() == 2
    statuses = dict(StressRun.objects.values_list("pk", "status"))
    assert statuses == {
        lost.pk: StressRunStatus.FAILED,
        dead.pk: StressRunStatus.FAILED,
        recent.pk: StressRunStatus.PENDING,
        finished.pk: StressRunStatus.DONE,
    }
    assert StressRun.objects.get(pk=lost.pk).error == stress_services.MSG_STALE
    assert StressRun.objects.get(pk=finished.pk).results["base"]  # untouched
    audited = AuditEvent.objects.filter(action="riskpool.stress_test_failed").values_list("object_id", flat=True)
    assert sorted(audited) == sorted([str(lost.pk), str(dead.pk)])
    assert tasks.fail_stale_stress_runs() == 0  # nothing left to fail


def test_a_run_failed_as_stale_that_finishes_keeps_its_result(scenario, large, monkeypatch):
    run = stress_test_run(actor=scenario.authority, pool=scenario.pool, risks=RISKS, scenarios=400, execute=False)
    simulate = stress_services._simulate

    def slow(*args, **kwargs):
        assert stress_services.stress_runs_fail_stale(now=timezone.now() + datetime.timedelta(hours=1)) == 1
        return simulate(*args, **kwargs)

    monkeypatch.setattr(stress_services, "_simulate", slow)
    stress_test_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == StressRunStatus.DONE and run.error == "" and run.results["base"]


# ---- the page ---------------------------------------------------------------------------------------------


def test_the_page_shows_a_background_run_until_it_ends(client, scenario, large, django_capture_on_commit_callbacks):
    client.force_login(scenario.authority)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("riskpool:stress", args=[scenario.pool.pk]), FORM, follow=True)
    run = StressRun.objects.get()
    assert response.redirect_chain[-1][0] == reverse("riskpool:stress-run", args=[scenario.pool.pk, run.pk])
    page = response.content.decode()
    progress_url = reverse("riskpool:stress-run-progress", args=[scenario.pool.pk, run.pk])
    assert 'data-testid="stress-progress"' in page and f'hx-get="{progress_url}"' in page
    assert "等待后台任务" in page and "后台运行" in page  # status and the message, in Chinese
    assert 'data-testid="chart-histogram"' not in page
    overview = client.get(reverse("riskpool:stress", args=[scenario.pool.pk])).content.decode()
    assert 'data-testid="stress-progress"' in overview  # the latest run, still running

    polled = client.get(progress_url, HTTP_HX_REQUEST="true")
    assert polled.status_code == 200 and 'data-status="pending"' in polled.content.decode()

    stress_test_execute(run_id=run.pk)
    ended = client.get(progress_url, HTTP_HX_REQUEST="true")
    assert ended.status_code == 200 and ended.headers["HX-Refresh"] == "true"
    plain = client.get(progress_url)
    assert plain.status_code == 302 and plain.url == reverse("riskpool:stress-run", args=[scenario.pool.pk, run.pk])
    result = client.get(plain.url).content.decode()
    assert 'data-testid="chart-histogram"' in result and 'data-testid="stress-progress"' not in result


def test_the_page_says_in_the_readers_language_why_a_run_did_not_start(
    client, scenario, large, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(tasks.run_stress_test, "delay", refuse)
    client.force_login(scenario.authority)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("riskpool:stress", args=[scenario.pool.pk]), FORM)
    run = StressRun.objects.get()
    url = reverse("riskpool:stress-run", args=[scenario.pool.pk, run.pk])
    assert "could not be started" in client.get(url).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get(url).content.decode()
    assert NOT_STARTED_ZH in page and 'data-testid="stress-progress"' not in page


def test_only_government_polls_a_run(client, scenario, large, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        run = stress_test_start(actor=scenario.authority, pool=scenario.pool, risks=RISKS, scenarios=400, seed=11)
    client.force_login(scenario.head_user)
    assert client.get(reverse("riskpool:stress-run-progress", args=[scenario.pool.pk, run.pk])).status_code == 404


# ---- the API ----------------------------------------------------------------------------------------------


def test_the_api_answers_202_for_a_background_run(api_client, scenario, large, django_capture_on_commit_callbacks):
    api_client.force_authenticate(scenario.authority)
    url = API.format(pool=scenario.pool.pk)
    with django_capture_on_commit_callbacks(execute=False):
        queued = api_client.post(url, {"scenarios": 400, "seed": 11, "risks": RISKS}, format="json")
    assert queued.status_code == 202, queued.json()
    assert queued.json()["status"] == "pending" and queued.json()["results"] == {}
    run_url = f"{url}{queued.json()['id']}/"
    assert api_client.get(run_url).json()["status"] == "pending"
    stress_test_execute(run_id=queued.json()["id"])
    done = api_client.get(run_url).json()
    assert done["status"] == "done" and done["results"]["base"]["histogram"]["counts"]


@pytest.mark.django_db(transaction=True)
def test_with_tasks_run_eagerly_a_background_run_is_done_before_the_answer(api_client, scenario, large):
    """Outside a test transaction the commit hands the run to the (eager) task at once, as `make run` does."""
    api_client.force_authenticate(scenario.authority)
    answer = api_client.post(
        API.format(pool=scenario.pool.pk), {"scenarios": 400, "seed": 11, "risks": RISKS}, format="json"
    )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["status"] == "done" and answer.json()["results"]["base"]["histogram"]["counts"]


def test_the_api_gives_the_failure_in_the_readers_language(
    api_client, scenario, large, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(tasks.run_stress_test, "delay", refuse)
    api_client.force_authenticate(scenario.authority)
    url = API.format(pool=scenario.pool.pk)
    with django_capture_on_commit_callbacks(execute=True):
        answer = api_client.post(url, {"scenarios": 400, "risks": RISKS}, format="json")
    assert answer.status_code == 202 and answer.json()["status"] == "pending"
    run_url = f"{url}{answer.json()['id']}/"
    chinese = api_client.get(run_url, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert chinese["status"] == "failed" and NOT_STARTED_ZH in chinese["error"]
    english = api_client.get(run_url, HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["error"] == "The stress test could not be started. Try again later."
