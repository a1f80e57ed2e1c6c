"""Writes of the stress test: run a Monte Carlo stress test of a pool and store it (riskpool.StressRun).

Rules:
- Only members of the pool's district authority holding riskpool.run_stress_test run stress tests.
- The authority sets, per loan category of the covered loans, the probability of default over one policy
  year and the loss rate (share of the exposure lost on default), or takes them from the pool's own history
  (selectors.stress.stress_history) for the categories it leaves blank. A category of the covered loans with
  neither is refused, naming the field (pd_<category>, loss_rate_<category>).
- Scenarios: 1 to 100,000 (default 10,000); seed: a whole number from 0 (drawn when not given, and stored, so
  a run can be repeated); correlation: 0 up to 1 (exclusive); scales of the pool share to compare: up to 8
  numbers from 0 to 5 (1 is always included); lost interest: 0 to 12 months of interest.
- Bad input: ValidationFailed with every field's message, nothing stored.
- The run reads the covered portfolio as it stands when it runs (selectors.stress.stress_portfolio), simulates
  (riskpool/stress.py: model and approximations in its docstring) and stores parameters and results with the
  audit event "riskpool.stress_test_run" (a failure: "riskpool.stress_test_failed"). `execute=False` stores a
  pending run for a background task, which calls `stress_test_execute`. The page and the API call `stress_test_start`: a run estimated to take more than
  a second (estimated_seconds) goes to a background worker, the rest run at once.
"""

from __future__ import annotations

import datetime
import logging
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from finbridge.audit.services import log_event
from finbridge.core.errors import Conflict
from finbridge.core.money import quantize_rate, to_decimal
from finbridge.riskpool import permissions as perms
from finbridge.riskpool.choices import StressRunStatus
from finbridge.riskpool.models import Pool, StressRun
from finbridge.riskpool.selectors.stress import (
    DEFAULT_INTEREST_MONTHS,
    covered_loans_by_category,
    stress_history,
    stress_portfolio,
)
from finbridge.riskpool.services.alerts import require_pool_authority
from finbridge.riskpool.services.inputs import Errors, parse_rate
from finbridge.riskpool.stress import (
    DEFAULT_CORRELATION,
    DEFAULT_SCENARIOS,
    DEFAULT_SHARE_SCALES,
    ENGINE_VERSION,
    MAX_SCENARIOS,
    MAX_SHARE_SCALE,
    MAX_SHARE_SCALES,
    CategoryRisk,
    StressParameters,
    simulate,
    validate_parameters,
)

logger = logging.getLogger(__name__)

ACTION_RUN = "riskpool.stress_test_run"
ACTION_FAILED = "riskpool.stress_test_failed"
MAX_SEED = 2**63 - 1
MAX_INTEREST_MONTHS = 12
MSG_SCENARIOS = _("Enter a whole number of scenarios from 1 to %(max)s.")
MSG_SEED = _("Enter a whole number from 0 upwards, or leave it blank for a random seed.")
MSG_CORRELATION = _("Enter a fraction from 0 up to but not including 1, with at most six decimals.")
MSG_SCALES = _("Enter up to %(count)s numbers from 0 to %(max)s, such as 0.5, 1, 1.5.")
MSG_INTEREST_MONTHS = _("Enter a whole number of months from 0 to %(max)s.")
MSG_NO_HISTORY = _("The pool has no history for this category yet: enter a value.")
MSG_NOT_PENDING = _("This stress test has already run.")
# Stored untranslated in StressRun.error; pages translate them for their reader.
MSG_NOT_STARTED = gettext_noop("The stress test could not be started. Try again later.")
MSG_STALE = gettext_noop("The stress test did not finish in time and was stopped. Run it again.")
# Default of settings.FINBRIDGE_STRESS_STALE_MINUTES: the largest run allowed (100,000 scenarios over 200,000
# loans) takes well under ten minutes.
STALE_MINUTES = 30
# What a run costs, measured by bench.riskpool (docs/performance.md, "Risk-sharing pool"): reading the portfolio
# about 4.5 µs per covered loan, simulating about 1.9 ns per loan and scenario (10,000 scenarios over 200,000
# loans: 0.9 s + 3.7 s). Runs estimated above BACKGROUND_ABOVE_SECONDS go to a background worker.
READ_SECONDS_PER_LOAN = 4.5e-6
SIMULATION_SECONDS_PER_LOAN_YEAR = 1.9e-9
BACKGROUND_ABOVE_SECONDS = 1.0


def stress_test_run(*, actor: Any, pool: Pool, execute: bool = True, **arguments: Any) -> StressRun:
    """Run a stress test of `pool` and store it (the pool's authority, riskpool.run_stress_test).

    Arguments (all optional): scenarios, seed, correlation, share_scales, interest_months, and `risks`:
    {category: {"probability_of_default": ..., "loss_rate": ...}} (strings, Decimals or numbers; blank values are
    taken from the pool's history when `use_history`). Returns the stored run: done, with its results, or pending
    when `execute` is False. Raises PermissionDenied, ValidationFailed; nothing stored on error."""
    prepared = _prepare(actor, pool, **arguments)
    return _run_now(actor, pool, prepared) if execute else _store(actor, pool, prepared)


def stress_test_start(*, actor: Any, pool: Pool, **arguments: Any) -> StressRun:
    """Start a stress test of `pool` as the page and the API do: one estimated to take at most
    BACKGROUND_ABOVE_SECONDS (estimated_seconds) runs at once and is returned done; a larger one is stored
    pending and handed to a background worker once committed (riskpool.run_stress_test), and is returned
    pending. If the queue cannot take it, the run is marked failed with a reason. Arguments, rules and errors
    as stress_test_run; nothing stored or queued on error."""
    prepared = _prepare(actor, pool, **arguments)
    if estimated_seconds(loans=prepared.loans, scenarios=prepared.parameters.scenarios) <= BACKGROUND_ABOVE_SECONDS:
        return _run_now(actor, pool, prepared)
    run = _store(actor, pool, prepared)
    transaction.on_commit(partial(_start_in_background, run.pk))
    return run


def stress_test_execute(*, run_id: int) -> StressRun:
    """Run a pending stress test (for a background task; no actor: the parameters were checked when it was
    stored). Marks it running, then done with its results or failed with the error (and re-raises).
    Raises StressRun.DoesNotExist, Conflict ("stress_run_not_pending") when it is not pending."""
    with transaction.atomic():
        run = StressRun.objects.select_for_update().select_related("pool").get(pk=run_id)
        if run.status != StressRunStatus.PENDING:
            raise Conflict(MSG_NOT_PENDING, code="stress_run_not_pending")
        run.status = StressRunStatus.RUNNING
        run.save(update_fields=["status"])
    try:
        stored = run.parameters
        loaded = stress_portfolio(pool=run.pool, interest_months=int(stored["interest_months"]))
        settings = {"scenarios": run.scenarios, "seed": run.seed, **stored}
        parameters = _engine_parameters(settings, stored["risks"])
        results = _simulate(loaded, parameters)
    except Exception as exc:
        logger.exception("stress test %s failed", run.pk)
        _mark_failed(StressRun.objects.filter(pk=run.pk), str(exc)[:2000])
        raise
    # A run marked stale meanwhile (stress_runs_fail_stale) that does finish keeps its result.
    run.status, run.results, run.error, run.finished_at = StressRunStatus.DONE, results, "", timezone.now()
    with transaction.atomic():
        run.save(update_fields=["status", "results", "error", "finished_at"])
        log_event(actor=None, action=ACTION_RUN, obj=run, after={"status": run.status, **_headline(results)})
    return run


def stress_runs_fail_stale(*, now: datetime.datetime | None = None) -> int:
    """Mark failed the runs waiting or running for longer than FINBRIDGE_STRESS_STALE_MINUTES since they were
    started (a worker that died or a task that was lost), so their pages stop waiting. Returns how many. Who:
    the periodic task and operators (no actor). Raises nothing."""
    minutes = int(getattr(django_settings, "FINBRIDGE_STRESS_STALE_MINUTES", STALE_MINUTES))
    cutoff = (now or timezone.now()) - datetime.timedelta(minutes=minutes)
    stale = StressRun.objects.filter(
        status__in=(StressRunStatus.PENDING, StressRunStatus.RUNNING), created_at__lt=cutoff
    )
    return _mark_failed(stale, MSG_STALE)


def _mark_failed(runs: QuerySet[StressRun], error: str) -> int:
    """Mark `runs` failed with `error` (no actor: the platform) and audit each; returns how many."""
    failed = 0
    with transaction.atomic():
        for run in runs.select_for_update():
            run.status, run.error, run.finished_at = StressRunStatus.FAILED, error, timezone.now()
            run.save(update_fields=["status", "error", "finished_at"])
            log_event(actor=None, action=ACTION_FAILED, obj=run, after={"status": run.status, "error": error})
            failed += 1
    return failed


# ---- input ------------------------------------------------------------------------------------------------


def _parse(scenarios: Any, seed: Any, correlation: Any, share_scales: Any, interest_months: Any) -> dict[str, Any]:
    errors = Errors()
    clean = {
        "scenarios": _whole(
            errors, "scenarios", scenarios, 1, MAX_SCENARIOS, MSG_SCENARIOS, {"max": f"{MAX_SCENARIOS:,}"}
        ),
        "seed": secrets.randbelow(2**31) if _blank(seed) else _whole(errors, "seed", seed, 0, MAX_SEED, MSG_SEED, {}),
        "correlation": _correlation(errors, correlation),
        "share_scales": _scales(errors, share_scales),
        "interest_months": _whole(
            errors,
            "interest_months",
            interest_months,
            0,
            MAX_INTEREST_MONTHS,
            MSG_INTEREST_MONTHS,
            {"max": MAX_INTEREST_MONTHS},
        ),
    }
    errors.raise_if_any()
    return clean


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _whole(errors: Errors, name: str, value: Any, low: int, high: int, message: Any, params: dict[str, Any]) -> int:
    number = None
    if not isinstance(value, bool) and not _blank(value):
        try:
            parsed = to_decimal(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed == parsed.to_integral_value():
            number = int(parsed)
    if number is None or not low <= number <= high:
        errors.add(name, message, **params)
        return low
    return number


def _correlation(errors: Errors, value: Any) -> Decimal:
    rate = parse_rate(errors, "correlation", value) if not _blank(value) else Decimal(str(DEFAULT_CORRELATION))
    if rate is not None and rate >= 1:
        errors.add("correlation", MSG_CORRELATION)
    return rate if rate is not None and rate < 1 else Decimal(0)


def _scales(errors: Errors, value: Any) -> list[Decimal]:
    items: Iterable[Any] = value.replace("，", ",").split(",") if isinstance(value, str) else (value or ())
    scales: list[Decimal] = []
    ok = True
    for item in items:
        if _blank(item):
            continue
        try:
            scale = to_decimal(item) if not isinstance(item, bool) else None
        except ValueError:
            scale = None
        if scale is None or not 0 <= scale <= Decimal(str(MAX_SHARE_SCALE)):
            ok = False
            continue
        scales.append(quantize_rate(scale))
    unique = sorted(set(scales) | {Decimal("1.000000")})
    if not ok or len(unique) > MAX_SHARE_SCALES:
        errors.add("share_scales", MSG_SCALES, count=MAX_SHARE_SCALES - 1, max=f"{MAX_SHARE_SCALE:g}")
    return unique


def _resolve_risks(
    pool: Pool, given: Mapping[str, Mapping[str, Any]], categories: list[str], *, use_history: bool
) -> dict[str, dict[str, Any]]:
    """Per category: probability of default and loss rate (Decimal) and where each came from."""
    errors = Errors()
    history = stress_history(pool=pool) if use_history else {}
    resolved: dict[str, dict[str, Any]] = {}
    for category in sorted(set(categories) | set(given)):
        values = given.get(category) or {}
        if not isinstance(values, Mapping):
            values = {}
        known = history.get(category)
        entry: dict[str, Any] = {}
        for key, field, estimate in (
            (
                "probability_of_default",
                f"pd_{category}",
                known.probability_of_default if known and known.defaults else None,
            ),
            ("loss_rate", f"loss_rate_{category}", known.loss_rate if known else None),
        ):
            raw = values.get(key)
            if not _blank(raw):
                entry[key], entry[f"{key}_source"] = parse_rate(errors, field, raw), "authority"
            elif estimate is not None:
                entry[key], entry[f"{key}_source"] = estimate, "history"
            else:
                errors.add(field, MSG_NO_HISTORY if use_history else _("This field is required."))
        resolved[category] = entry
    errors.raise_if_any()
    return resolved


def _engine_parameters(settings: Mapping[str, Any], risks: Mapping[str, Mapping[str, Any]]) -> StressParameters:
    return StressParameters(
        risks={
            category: CategoryRisk(float(values["probability_of_default"]), float(values["loss_rate"]))
            for category, values in risks.items()
        },
        scenarios=settings["scenarios"],
        seed=settings["seed"],
        correlation=float(settings["correlation"]),
        share_scales=tuple(float(scale) for scale in settings["share_scales"]),
    )


def _stored_parameters(
    settings: Mapping[str, Any], risks: Mapping[str, Mapping[str, Any]], *, use_history: bool
) -> dict[str, Any]:
    return {
        "engine_version": ENGINE_VERSION,
        "risks": {
            category: {key: str(value) if isinstance(value, Decimal) else value for key, value in values.items()}
            for category, values in risks.items()
        },
        "correlation": str(settings["correlation"]),
        "share_scales": [str(scale) for scale in settings["share_scales"]],
        "interest_months": settings["interest_months"],
        "use_history": use_history,
    }


# ---- running ----------------------------------------------------------------------------------------------


def _simulate(loaded: Any, parameters: StressParameters) -> dict[str, Any]:
    started = time.perf_counter()
    result = simulate(loaded.portfolio, parameters)
    results = result.as_dict()
    results["portfolio"] = loaded.summary()
    results["simulation_ms"] = round((time.perf_counter() - started) * 1000)
    return results


def _headline(results: Mapping[str, Any]) -> dict[str, Any]:
    base = results.get("base", {})
    return {
        "loans": results.get("loans"),
        "mean": base.get("mean"),
        "p99": base.get("percentiles", {}).get("p99"),
        "run_out_probability": base.get("run_out_probability"),
    }


def estimated_seconds(*, loans: int, scenarios: int) -> float:
    """How long a stress test of `scenarios` years over `loans` covered loans takes on the benchmark machine."""
    return loans * (READ_SECONDS_PER_LOAN + scenarios * SIMULATION_SECONDS_PER_LOAN_YEAR)


@dataclass(frozen=True)
class _Prepared:
    """A checked stress test: how many loans it covers, the engine's parameters and what is stored of them."""

    loans: int
    interest_months: int
    parameters: StressParameters
    stored: dict[str, Any]


def _prepare(
    actor: Any,
    pool: Pool,
    *,
    scenarios: Any = DEFAULT_SCENARIOS,
    seed: Any = None,
    correlation: Any = DEFAULT_CORRELATION,
    risks: Mapping[str, Mapping[str, Any]] | None = None,
    use_history: bool = False,
    share_scales: Any = DEFAULT_SHARE_SCALES,
    interest_months: Any = DEFAULT_INTEREST_MONTHS,
) -> _Prepared:
    """Check the actor and the input against the covered loans' categories, without reading the loans."""
    require_pool_authority(actor, pool, perms.RUN_STRESS_TEST)
    settings = _parse(scenarios, seed, correlation, share_scales, interest_months)
    covered = covered_loans_by_category(pool=pool)
    categories = sorted(covered)
    resolved = _resolve_risks(pool, risks or {}, categories, use_history=bool(use_history))
    parameters = _engine_parameters(settings, resolved)
    validate_parameters(parameters, categories=categories)
    stored = _stored_parameters(settings, resolved, use_history=bool(use_history))
    return _Prepared(sum(covered.values()), settings["interest_months"], parameters, stored)


def _store(
    actor: Any, pool: Pool, prepared: _Prepared, results: dict[str, Any] | None = None, **times: Any
) -> StressRun:
    """Store a run, done with its `results` (and `created_at`, `finished_at`) or pending without, and audit it."""
    done = {"status": StressRunStatus.DONE, "results": results, **times} if results is not None else {}
    with transaction.atomic():
        run = StressRun.objects.create(
            pool=pool,
            scenarios=prepared.parameters.scenarios,
            seed=prepared.parameters.seed,
            parameters=prepared.stored,
            created_by=actor,
            **done,
        )
        headline = _headline(results) if results is not None else {}
        log_event(actor=actor, action=ACTION_RUN, obj=run, after={"status": run.status, **prepared.stored, **headline})
    return run


def _run_now(actor: Any, pool: Pool, prepared: _Prepared) -> StressRun:
    started_at = timezone.now()
    results = _simulate(stress_portfolio(pool=pool, interest_months=prepared.interest_months), prepared.parameters)
    return _store(actor, pool, prepared, results, created_at=started_at, finished_at=timezone.now())


def _start_in_background(pk: int) -> None:
    """Send a pending run to the task queue (or run it here when tasks run eagerly). A run the queue cannot
    take fails at once rather than waiting for ever; a run whose simulation fails is marked failed by
    stress_test_execute. Never raises: the request that started it has already been answered."""
    from finbridge.riskpool.tasks import run_stress_test

    try:
        run_stress_test.delay(pk)
    except Exception:
        logger.exception("stress test %s could not be run in the background", pk)
        _mark_failed(StressRun.objects.filter(pk=pk, status=StressRunStatus.PENDING), MSG_NOT_STARTED)
