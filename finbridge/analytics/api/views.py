"""The league-table API: GET /api/v1/league-table/?start=&end=&level=bank|branch&sort=&order=."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from finbridge.analytics import selectors
from finbridge.analytics.api.serializers import LeagueTableSerializer
from finbridge.core.api import HasPermCode
from finbridge.core.errors import ValidationFailed
from finbridge.enterprises.api.views import errors
from finbridge.financing import permissions as perms

MSG_ORDER = _("Choose the order asc or desc.")


class LeagueTableView(APIView):
    """Every bank (or bank office) ranked over a period. A public comparison: every holder of
    financing.view_league_table (government and bank staff) sees every row."""

    permission_classes = [HasPermCode]
    perm_codes = {"get": perms.VIEW_LEAGUE_TABLE}

    @extend_schema(
        summary="The bank league table",
        description=(
            "Figures of every bank (level=bank) or bank office (level=branch) over [start, end] (dates, inclusive; "
            "default: the last twelve months), ranked by `sort` (default inclusive_balance_end), best first unless "
            "order=asc|desc. Amounts are CNY yuan as decimal strings, ratios fractions (0.0394 = 3.94%), null when "
            "their denominator is 0. See docs/performance-league.md for the definitions."
        ),
        parameters=[
            OpenApiParameter("start", str, description="YYYY-MM-DD"),
            OpenApiParameter("end", str, description="YYYY-MM-DD, not after today"),
            OpenApiParameter("level", str, enum=list(selectors.LEVELS)),
            OpenApiParameter("sort", str, enum=list(selectors.METRIC_BY_KEY)),
            OpenApiParameter("order", str, enum=["asc", "desc"]),
        ],
        responses={200: LeagueTableSerializer, **errors(400, 403)},
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        default = selectors.default_period()
        table = selectors.league_table(
            actor=request.user,
            start=params.get("start") or default.start,
            end=params.get("end") or default.end,
            level=params.get("level") or selectors.BANK,
        )
        sort = params.get("sort") or selectors.DEFAULT_SORT
        order = params.get("order") or ""
        if order not in ("", "asc", "desc"):
            message = str(MSG_ORDER)
            raise ValidationFailed(message, code="invalid_sort", fields={"order": [message]})
        rows = selectors.ranked(table.rows, sort, descending=None if not order else order == "desc")
        data: dict[str, Any] = {"period": table.period, "level": table.level, "sort": sort, "rows": rows}
        data["totals"] = table.totals
        return Response(LeagueTableSerializer(data).data)
