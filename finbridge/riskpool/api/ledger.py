"""The ledger, risk and stress-test API of a pool: statements (/pools/{id}/statement/, also as CSV or .xlsx),
entries, the per-bank risk table, and stress tests (/pools/{id}/stress-runs/).

Government sees a pool's whole ledger and every bank's row; a bank only its own statement, entries and row.
Stress tests are for government (the pool's authority runs them).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from finbridge.accounts.selectors import actor_scope
from finbridge.core.api import HasPermCode
from finbridge.core.errors import ValidationFailed
from finbridge.riskpool import permissions as perms
from finbridge.riskpool.api import serializers_ledger as s
from finbridge.riskpool.api.common import (
    PARSERS,
    VisibleObjectFirstMixin,
    errors,
    object_id,
    organization_or_error,
    validated,
)
from finbridge.riskpool.api.serializers_pools import JournalEntrySerializer
from finbridge.riskpool.choices import EntryKind
from finbridge.riskpool.models import Pool
from finbridge.riskpool.selectors import ledger as ledger_selectors
from finbridge.riskpool.selectors import risk as risk_selectors
from finbridge.riskpool.selectors import stress as stress_selectors
from finbridge.riskpool.selectors.pools import pool_get, visible_institution_ids
from finbridge.riskpool.services import stress as stress_services
from finbridge.riskpool.views.exports import EXPORT_FORMATS, statement_export

STATEMENT_LIMIT = 5000
MSG_PERIOD = _("The end of the period must be on or after its start.")


def statement_for(actor: Any, pool: Pool, query: dict[str, Any], *, limit: int | None = STATEMENT_LIMIT) -> Any:
    """The pool's statement (government) or a bank's: the bank asked for, or the caller's own bank."""
    bank = organization_or_error(query.get("bank"), "bank")
    common = {"date_from": query.get("date_from"), "date_to": query.get("date_to"), "limit": limit}
    if common["date_from"] and common["date_to"] and common["date_to"] < common["date_from"]:
        raise ValidationFailed(MSG_PERIOD, fields={"date_to": [str(MSG_PERIOD)]})
    if bank is None and not actor_scope(actor).is_government:
        bank = own_bank_in(actor, pool)
    if bank is None:
        return ledger_selectors.pool_statement(actor=actor, pool=pool, **common)
    return ledger_selectors.bank_statement(actor=actor, pool=pool, bank=bank, **common)


def own_bank_in(actor: Any, pool: Pool) -> Any:
    """The caller's bank (head office) among the pool's members, or its own first institution."""
    ids = visible_institution_ids(actor)
    member = pool.members.filter(organization_id__in=ids).select_related("organization").order_by("id").first()
    if member is not None:
        return member.organization
    from finbridge.accounts.models import Organization

    return Organization.objects.filter(pk__in=ids).order_by("id").first()


class PoolLedgerViewSet(VisibleObjectFirstMixin, viewsets.GenericViewSet):
    """Per pool: statement, entries, risk table and stress tests."""

    queryset = Pool.objects.none()
    permission_classes = [HasPermCode]
    parser_classes = PARSERS
    filter_backends: list[Any] = []
    perm_codes = {
        "statement": perms.VIEW_LEDGER,
        "entries": perms.VIEW_LEDGER,
        "risk": perms.VIEW_POOL,
        "stress_runs": perms.VIEW_POOL,
        "run_stress": perms.RUN_STRESS_TEST,
        "stress_run": perms.VIEW_POOL,
    }

    def resolve_object(self, pk: Any) -> Pool:
        return pool_get(actor=self.request.user, pk=object_id(pk))

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # `?format=csv|xlsx` on the statement names a file, not a renderer.
        if getattr(self, "action", None) == "statement":
            renderer = self.get_renderers()[0]
            return renderer, renderer.media_type
        return super().perform_content_negotiation(request, force)

    @extend_schema(
        summary="Statement of the pool, or of one bank in it, over a period",
        description=(
            "Government gets the pool's statement (or a bank's with `bank`); a bank gets its own. Balances on each "
            "account's normal side. `export=csv` or `export=xlsx` downloads it as a file."
        ),
        parameters=[
            OpenApiParameter("bank", int),
            OpenApiParameter("date_from", OpenApiTypes.DATE),
            OpenApiParameter("date_to", OpenApiTypes.DATE),
            OpenApiParameter("export", str, enum=list(EXPORT_FORMATS)),
        ],
        responses={200: s.PoolStatementSerializer, **errors(400, 403, 404)},
    )
    @action(detail=True, methods=["get"])
    def statement(self, request: Request, pk: Any = None) -> Any:
        query = validated(s.PoolStatementQuerySerializer, request.query_params)
        export = request.query_params.get("export", "")
        if export and export not in EXPORT_FORMATS:
            raise ValidationFailed(fields={"export": ["csv, xlsx"]})
        pool = self.get_object()
        statement = statement_for(request.user, pool, query, limit=None if export else STATEMENT_LIMIT)
        if export:
            content, content_type, name = statement_export(statement, export)
            response = HttpResponse(content, content_type=content_type)
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        return Response(s.PoolStatementSerializer(statement).data)

    @extend_schema(
        summary="Ledger entries of the pool, newest first (a bank: its own)",
        parameters=[OpenApiParameter("kind", str, enum=list(EntryKind.values))],
        responses={200: JournalEntrySerializer(many=True), **errors(400, 403, 404)},
    )
    @action(detail=True, methods=["get"])
    def entries(self, request: Request, pk: Any = None) -> Response:
        kind = request.query_params.get("kind") or None
        if kind and kind not in EntryKind.values:
            raise ValidationFailed(fields={"kind": [", ".join(EntryKind.values)]})
        qs = ledger_selectors.entry_list(actor=request.user, pool=self.get_object(), kind=kind)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(JournalEntrySerializer(page, many=True).data)

    @extend_schema(
        summary="Per-bank risk table: covered balance, non-performing ratio, claims, compensation",
        description="Government gets every bank of the pool; a bank its own row.",
        responses={200: s.BankRiskRowSerializer(many=True), **errors(403, 404)},
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def risk(self, request: Request, pk: Any = None) -> Response:
        rows = risk_selectors.bank_risk_table(actor=request.user, pool=self.get_object())
        return Response(s.BankRiskRowSerializer(rows, many=True).data)

    @extend_schema(
        summary="Stress tests of the pool, newest first (government)",
        responses={200: s.StressRunSerializer(many=True), **errors(403, 404)},
    )
    @action(detail=True, methods=["get"], url_path="stress-runs")
    def stress_runs(self, request: Request, pk: Any = None) -> Response:
        runs = stress_selectors.stress_run_list(actor=request.user, pool=self.get_object())
        page = self.paginate_queryset(runs)
        return self.get_paginated_response(s.StressRunSerializer(page, many=True).data)

    @extend_schema(
        summary="Run a stress test of the pool's covered portfolio (its authority)",
        description=(
            "Monte Carlo over one policy year: the distribution of the pool's payouts, the probability it runs out, "
            "and the same for the pool shares scaled by `share_scales`. A run estimated to take up to a second "
            "(10,000 scenarios over up to about 40,000 covered loans) runs at once: 201 with the run done. A "
            "larger one goes to a background worker: 202 with the run `pending` or `running`; poll "
            "`stress-runs/{run_pk}/` until it is `done` (or `failed`, with `error`)."
        ),
        request=s.StressTestInputSerializer,
        responses={201: s.StressRunSerializer, 202: s.StressRunSerializer, **errors(400, 403, 404)},
    )
    @stress_runs.mapping.post
    def run_stress(self, request: Request, pk: Any = None) -> Response:
        data = validated(s.StressTestInputSerializer, request.data)
        arguments = {key: data[key] for key in ("scenarios", "use_history", "interest_months") if key in data}
        for key in ("seed", "correlation", "share_scales"):
            if data.get(key) is not None:
                arguments[key] = data[key]
        risks = {
            category: {k: v for k, v in values.items() if v is not None}
            for category, values in (data.get("risks") or {}).items()
        }
        run = stress_services.stress_test_start(actor=request.user, pool=self.get_object(), risks=risks, **arguments)
        run.refresh_from_db()  # a background run may have ended already (tasks run eagerly)
        answer = status.HTTP_202_ACCEPTED if run.in_progress else status.HTTP_201_CREATED
        return Response(s.StressRunSerializer(run).data, status=answer)

    @extend_schema(
        summary="One stress test of the pool",
        responses={200: s.StressRunSerializer, **errors(404)},
    )
    @action(detail=True, methods=["get"], url_path=r"stress-runs/(?P<run_pk>[^/.]+)")
    def stress_run(self, request: Request, pk: Any = None, run_pk: Any = None) -> Response:
        run = stress_selectors.stress_run_get(actor=request.user, pool=self.get_object(), pk=object_id(run_pk))
        return Response(s.StressRunSerializer(run).data)
