"""Pages of the pool's money and risk: the statement (pool, bank, period; CSV or .xlsx), the per-bank risk
table with suspensions and their history, and the stress test (parameters, run, payout distribution and
run-out probability charted with ECharts, sensitivity to the pool's share)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRefresh

from finbridge.accounts.models import Organization
from finbridge.core.errors import NotFound, PermissionDenied, ValidationFailed
from finbridge.core.money import to_decimal
from finbridge.core.permissions import require_perm
from finbridge.riskpool import permissions as perms
from finbridge.riskpool.api.ledger import own_bank_in
from finbridge.riskpool.choices import Account, EntryKind, MemberRole, StressRunStatus
from finbridge.riskpool.forms_common import add_domain_errors, percent
from finbridge.riskpool.forms_ledger import StatementForm, StressForm
from finbridge.riskpool.models import MemberSuspension, Pool, PoolAlert, StressRun
from finbridge.riskpool.selectors import ledger as ledger_selectors
from finbridge.riskpool.selectors import stress as stress_selectors
from finbridge.riskpool.selectors.pools import pool_get, visible_institution_ids
from finbridge.riskpool.selectors.risk import bank_risk_table
from finbridge.riskpool.services import stress as stress_services
from finbridge.riskpool.sharing import Category
from finbridge.riskpool.views.common import pool_context, riskpool_page, wants_partial
from finbridge.riskpool.views.exports import EXPORT_FORMATS, statement_export

STATEMENT_ROWS = 500
STRESS_FIELDS = {"correlation": "correlation_percent"}


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _accounts() -> list[tuple[str, Any]]:
    return list(Account.choices)


# ---- statement -------------------------------------------------------------------------------------------


def _bank_choices(pool: Pool) -> list[Organization]:
    ids = pool.members.filter(role=MemberRole.BANK).values_list("organization_id", flat=True)
    return list(Organization.objects.filter(pk__in=ids).order_by("name"))


@riskpool_page
@require_GET
def statement_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The pool's statement (government; or one bank's) or a bank's own, over a period; ?export=csv|xlsx."""
    pool = pool_get(actor=request.user, pk=pk)
    require_perm(request.user, perms.VIEW_LEDGER)
    context = pool_context(request, pool, "statement")
    government = context["is_government"]
    form = StatementForm(request.GET or None, banks=_bank_choices(pool) if government else None)
    valid = form.is_valid() if request.GET else True
    data = form.cleaned_data if request.GET and valid else {}
    bank = None
    if government and data.get("bank"):
        bank = Organization.objects.filter(pk=data["bank"]).first()
    elif not government:
        bank = own_bank_in(request.user, pool)
        if bank is None:
            raise NotFound()
    export = request.GET.get("export", "")
    arguments = {"date_from": data.get("date_from"), "date_to": data.get("date_to")}
    if export in EXPORT_FORMATS and valid:
        statement = _statement(request, pool, bank, arguments, None)
        content, content_type, name = statement_export(statement, export)
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    statement = _statement(request, pool, bank, arguments, STATEMENT_ROWS) if valid else None
    context.update(
        {
            "form": form,
            "statement": statement,
            "bank": bank,
            "accounts": _accounts(),
            "kinds": dict(EntryKind.choices),
            "export_query": request.GET.urlencode(),
        }
    )
    return render(request, "riskpool/ledger/statement.html", context, status=200 if valid else 400)


def _statement(request: HttpRequest, pool: Pool, bank: Any, arguments: dict[str, Any], limit: int | None) -> Any:
    if bank is None:
        return ledger_selectors.pool_statement(actor=request.user, pool=pool, limit=limit, **arguments)
    return ledger_selectors.bank_statement(actor=request.user, pool=pool, bank=bank, limit=limit, **arguments)


# ---- risk control ----------------------------------------------------------------------------------------


@riskpool_page
@require_GET
def risk_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Per bank: covered balance, non-performing ratio against the threshold, claims, compensation; suspension
    status and history; the pool's alerts (government)."""
    pool = pool_get(actor=request.user, pk=pk)
    context = pool_context(request, pool, "risk")
    history = MemberSuspension.objects.filter(member__pool=pool).select_related("member__organization")
    if not context["is_government"]:
        history = history.filter(member__organization_id__in=visible_institution_ids(request.user))
    context.update(
        {
            "rows": bank_risk_table(actor=request.user, pool=pool),
            "history": history.order_by("-created_at", "-id")[:100],
            "alerts": PoolAlert.objects.filter(pool=pool).order_by("-raised_at")[:20]
            if context["is_government"]
            else [],
        }
    )
    return render(request, "riskpool/ledger/risk.html", context)


# ---- stress test -----------------------------------------------------------------------------------------


def _stress_categories(pool: Pool) -> list[str]:
    return stress_selectors.covered_categories(pool=pool) or [Category.DIRECT]


def _stress_initial(pool: Pool, categories: list[str]) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    for category, risk in stress_selectors.stress_suggested_risks(pool=pool, categories=categories).items():
        initial[f"pd_{category}"] = percent(risk.probability_of_default)
        initial[f"loss_rate_{category}"] = percent(risk.loss_rate)
    return initial


def _require_government(context: dict[str, Any]) -> None:
    if not context["is_government"]:
        raise NotFound()


@riskpool_page
@require_http_methods(["GET", "POST"])
def stress_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The stress-test form (starting values from the pool's history), the latest result and earlier runs."""
    pool = pool_get(actor=request.user, pk=pk)
    context = pool_context(request, pool, "stress")
    _require_government(context)
    categories = _stress_categories(pool)
    status = 200
    if request.method == "POST":
        if not context["can_stress"]:
            raise PermissionDenied()
        form = StressForm(request.POST, categories=categories)
        status = 400
        if form.is_valid():
            try:
                run = stress_services.stress_test_start(actor=request.user, pool=pool, **form.service_arguments())
            except ValidationFailed as error:
                add_domain_errors(form, error, STRESS_FIELDS)
            else:
                _say_started(request, run)
                return redirect("riskpool:stress-run", pk=pool.pk, run_pk=run.pk)
    else:
        form = StressForm(initial=_stress_initial(pool, categories), categories=categories)
    runs = stress_selectors.stress_run_list(actor=request.user, pool=pool)
    latest = runs.first()
    context.update(
        {
            "form": form,
            "runs": runs[:20],
            "run": latest,
            "result": stress_display(latest) if latest else None,
            "history": [
                (_label(Category, code), item) for code, item in stress_selectors.stress_history(pool=pool).items()
            ],
        }
    )
    return render(request, "riskpool/ledger/stress.html", context, status=status)


def _say_started(request: HttpRequest, run: StressRun) -> None:
    run.refresh_from_db(fields=["status"])  # a background run may have ended already (tasks run eagerly)
    if run.status == StressRunStatus.DONE:
        messages.success(request, _("The stress test ran."))
    elif run.status != StressRunStatus.FAILED:
        messages.info(
            request, _("The stress test is running in the background; this page shows its result when it is ready.")
        )


@riskpool_page
@require_GET
def stress_run_view(request: HttpRequest, pk: int, run_pk: int) -> HttpResponse:
    """One stress test: parameters, the payout distribution, run-out probability and the sensitivity table;
    while it runs in the background, a progress box that reloads the page when it ends."""
    pool = pool_get(actor=request.user, pk=pk)
    context = pool_context(request, pool, "stress")
    _require_government(context)
    run = stress_selectors.stress_run_get(actor=request.user, pool=pool, pk=run_pk)
    context.update({"run": run, "result": stress_display(run), "runs": []})
    return render(request, "riskpool/ledger/stress_run.html", context)


@riskpool_page
@require_GET
def stress_run_progress_view(request: HttpRequest, pk: int, run_pk: int) -> HttpResponse:
    """The progress box of a stress test in the background, polled by its page; once the run has ended, htmx
    is told to reload the page (which then shows the result) and a plain request is sent to it."""
    pool = pool_get(actor=request.user, pk=pk)
    _require_government(pool_context(request, pool, "stress"))
    run = stress_selectors.stress_run_get(actor=request.user, pool=pool, pk=run_pk)
    if not run.in_progress:
        if wants_partial(request):
            return HttpResponseClientRefresh()
        return redirect("riskpool:stress-run", pk=pool.pk, run_pk=run.pk)
    return render(request, "riskpool/ledger/_stress_progress.html", {"pool": pool, "run": run})


def _number(value: Any) -> Decimal:
    try:
        return to_decimal(value)
    except (ValueError, TypeError):
        return Decimal(0)


def _percentile(key: str) -> str:
    """ "p99_5" → "99.5%"."""
    return key.lstrip("p").replace("_", ".") + "%"


def stress_display(run: Any) -> dict[str, Any] | None:
    """A stored run's results for the page: headline figures, percentiles, the histogram and the sensitivity
    rows as the chart script needs them (amounts in 万元 for the axes)."""
    results = run.results or {}
    base = results.get("base")
    if not base:
        return None
    histogram = base.get("histogram") or {}
    edges = [_number(e) for e in histogram.get("edges") or []]
    counts = histogram.get("counts") or []
    scenarios = max(1, int(results.get("scenarios") or 1))
    bars = [
        {
            "label": f"{(edges[i] / 10000):,.0f}–{(edges[i + 1] / 10000):,.0f}",
            "share": round(count * 100 / scenarios, 3),
        }
        for i, count in enumerate(counts)
        if i + 1 < len(edges)
    ]
    sensitivity = [
        {
            "scale": row.get("share_scale"),
            "mean": _number(row.get("mean")),
            "p99": _number((row.get("percentiles") or {}).get("p99")),
            "run_out": Decimal(str(row.get("run_out_probability") or 0)) * 100,
            "shortfall": _number(row.get("expected_shortfall")),
            "tail": _number(row.get("tail_mean_99")),
        }
        for row in results.get("sensitivity") or []
    ]
    return {
        "scenarios": results.get("scenarios"),
        "loans": results.get("loans"),
        "covered_balance": _number(results.get("covered_balance")),
        "free_balance": _number(results.get("free_balance")),
        "defaults_mean": results.get("defaults_mean"),
        "mean": _number(base.get("mean")),
        "std": _number(base.get("std")),
        "max": _number(base.get("max")),
        "run_out": Decimal(str(base.get("run_out_probability") or 0)) * 100,
        "shortfall": _number(base.get("expected_shortfall")),
        "tail": _number(base.get("tail_mean_99")),
        "percentiles": [(_percentile(key), _number(value)) for key, value in (base.get("percentiles") or {}).items()],
        "sensitivity": sensitivity,
        "chart": {
            "labels": [bar["label"] for bar in bars],
            "shares": [bar["share"] for bar in bars],
            "free_balance_wan": float(_number(results.get("free_balance")) / 10000),
            "scales": [float(row["scale"] or 0) for row in sensitivity],
            "run_out": [float(row["run_out"]) for row in sensitivity],
            "means_wan": [float(row["mean"] / 10000) for row in sensitivity],
        },
        "parameters": run.parameters or {},
        "simulation_ms": results.get("simulation_ms"),
    }
