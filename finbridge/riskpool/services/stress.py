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
  audit event "riskpool.stress_test_run". `execute=False` stores a pending run for a background task, which
  calls `stress_test_execute`.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.audit.services import log_event
from finbridge.core.errors import Conflict
from finbridge.core.money import quantize_rate, to_decimal
from finbridge.riskpool import permissions as perms
from finbridge.riskpool.choices import StressRunStatus
from finbridge.riskpool.models import Pool, StressRun
from finbridge.riskpool.selectors.stress import DEFAULT_INTEREST_MONTHS, stress_history, stress_portfolio
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
MAX_SEED = 2**63 - 1
MAX_INTEREST_MONTHS = 12
MSG_SCENARIOS = _("Enter a whole number of scenarios from 1 to %(max)s.")
MSG_SEED = _("Enter a whole number from 0 upwards, or leave it blank for a random seed.")
MSG_CORRELATION = _("Enter a fraction from 0 up to but not including 1, with at most six decimals.")
MSG_SCALES = _("Enter up to %(count)s numbers from 0 to %(max)s, such as 0.5, 1, 1.5.")
MSG_INTEREST_MONTHS = _("Enter a whole number of months from 0 to %(max)s.")
MSG_NO_HISTORY = _("The pool has no history for this category yet: enter a value.")
MSG_NOT_PENDING = _("This stress test has already run.")


def stress_test_run(
    *,
    actor: Any,
    pool: Pool,
    scenarios: Any = DEFAULT_SCENARIOS,
    seed: Any = None,
    correlation: Any = DEFAULT_CORRELATION,
    risks: Mapping[str, Mapping[str, Any]] | None = None,
    use_history: bool = False,
    share_scales: Any = DEFAULT_SHARE_SCALES,
    interest_months: Any = DEFAULT_INTEREST_MONTHS,
    execute: bool = True,
) -> StressRun:
    """Run a stress test of `pool` and store it (the pool's authority, riskpool.run_stress_test).

    `risks`: {category: {"probability_of_default": ..., "loss_rate": ...}} (strings, Decimals or numbers;
    blank values are taken from the pool's history when `use_history`). Returns the stored run: done, with its
    results, or pending when `execute` is False. Raises PermissionDenied, ValidationFailed; nothing stored on
    error."""
    require_pool_authority(actor, pool, perms.RUN_STRESS_TEST)
    settings = _parse(scenarios, seed, correlation, share_scales, interest_months)
    loaded = stress_portfolio(pool=pool, interest_months=settings["interest_months"])
    categories = sorted({group.category for group in loaded.portfolio.groups})
    resolved = _resolve_risks(pool, risks or {}, categories, use_history=bool(use_history))
    parameters = _engine_parameters(settings, resolved)
    validate_parameters(parameters, categories=categories)
    stored = _stored_parameters(settings, resolved, use_history=bool(use_history))
    if not execute:
        with transaction.atomic():
            run = StressRun.objects.create(
                pool=pool,
                scenarios=parameters.scenarios,
                seed=parameters.seed,
                parameters=stored,
                created_by=actor,
            )
            log_event(actor=actor, action=ACTION_RUN, obj=run, after={"status": run.status, **stored})
        return run
    started_at = timezone.now()
    results = _simulate(loaded, parameters)
    with transaction.atomic():
        run = StressRun.objects.create(
            pool=pool,
            status=StressRunStatus.DONE,
            scenarios=parameters.scenarios,
            seed=parameters.seed,
            parameters=stored,
            results=results,
            created_by=actor,
            created_at=started_at,
            finished_at=timezone.now(),
        )
        log_event(actor=actor, action=ACTION_RUN, obj=run, after={"status": run.status, **stored, **_headline(results)})
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
        StressRun.objects.filter(pk=run.pk).update(
            status=StressRunStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    run.status, run.results, run.finished_at = StressRunStatus.DONE, results, timezone.now()
    with transaction.atomic():
        run.save(update_fields=["status", "results", "finished_at"])
        log_event(actor=None, action=ACTION_RUN, obj=run, after={"status": run.status, **_headline(results)})
    return run


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
