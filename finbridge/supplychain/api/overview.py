"""The supply-chain overview API: GET /api/v1/supplychain/overview/?start=&end=&debtor=&funder=&organization=.

The view parses the query string, calls selectors.overview.supplychain_overview and serialises the result;
amounts are CNY yuan as decimal strings, average days paid early a decimal string (null without payments).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from finbridge.core.api import HasPermCode
from finbridge.enterprises.api.views import errors
from finbridge.financing.api.serializers_matching import OrganizationRefSerializer
from finbridge.supplychain import permissions as perms
from finbridge.supplychain.selectors.overview import VIEWPOINT_KINDS, supplychain_overview

AMOUNT: dict[str, Any] = {"max_digits": 18, "decimal_places": 2, "coerce_to_string": True}
COUNTS = ("confirmed_count", "requested_count", "financed_count", "settled_count", "voucher_count", "overdue_count")
AMOUNTS = (
    "confirmed_amount",
    "requested_amount",
    "financed_amount",
    "advanced_amount",
    "settled_amount",
    "voucher_amount",
    "overdue_amount",
)

# On the funder side (a bank, or a funder filter) confirmation and voucher volumes are not shown: null.
FUNDER_SIDE_HIDDEN = frozenset({"confirmed_count", "confirmed_amount", "voucher_count", "voucher_amount"})


class FiguresSerializer(serializers.Serializer):
    """The figures of one group (see the endpoint's description)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for name in COUNTS:
            fields[name] = serializers.IntegerField()
        for name in AMOUNTS:
            fields[name] = serializers.DecimalField(**AMOUNT)
        fields["average_days_early"] = serializers.DecimalField(
            max_digits=8, decimal_places=1, coerce_to_string=True, allow_null=True
        )
        return fields

    def to_representation(self, figures: Any) -> dict[str, Any]:
        hidden = FUNDER_SIDE_HIDDEN if self.context.get("funder_side") else ()
        data = {}
        for name, field in self.fields.items():
            value = None if name in hidden else getattr(figures, name)
            data[name] = None if value is None else field.to_representation(value)
        return data


class GroupRowSerializer(serializers.Serializer):
    organization = OrganizationRefSerializer()
    figures = FiguresSerializer()


class TierRowSerializer(serializers.Serializer):
    tier = serializers.IntegerField(help_text="0: receivables financed or paid as such (no voucher); 1, 2, ...: tiers.")
    label = serializers.CharField()
    figures = FiguresSerializer()


class MonthRowSerializer(serializers.Serializer):
    month = serializers.DateField(help_text="The first day of the month.")
    figures = FiguresSerializer()


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()


class ViewpointSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=VIEWPOINT_KINDS)
    organization = OrganizationRefSerializer()


class OverviewSerializer(serializers.Serializer):
    period = PeriodSerializer()
    as_of = serializers.DateField(help_text="The day the overdue amounts are as of (today).")
    viewpoint = ViewpointSerializer()
    debtor = OrganizationRefSerializer(allow_null=True)
    funder = OrganizationRefSerializer(allow_null=True)
    funder_side = serializers.BooleanField(
        help_text="A bank's side or a funder filter: confirmed_* and voucher_* are null (not the funder's to see)."
    )
    totals = FiguresSerializer()
    by_debtor = GroupRowSerializer(many=True)
    other_debtors = FiguresSerializer(allow_null=True, help_text="Debtors beyond the first 100, added up.")
    other_debtors_count = serializers.IntegerField()
    by_funder = GroupRowSerializer(many=True)
    other_funders = FiguresSerializer(allow_null=True, help_text="Funders beyond the first 100, added up.")
    other_funders_count = serializers.IntegerField()
    by_tier = TierRowSerializer(many=True)
    by_month = MonthRowSerializer(many=True)


DESCRIPTION = (
    "Volumes of supply-chain finance over [start, end] (dates, inclusive; default the last twelve months), from the "
    "side of one of your organisations (`organization`; default: the district authority, else your firm, else your "
    "bank): the district authority sees everything, a core enterprise the receivables it owes, a bank what it was "
    "asked to fund and what it (or its branches) financed. `debtor` (a firm's id) and `funder` (a bank's id) narrow "
    "it further. confirmed: receivables confirmed in the period; requested: face amount of items in financing "
    "requests sent in the period (per funder: sent to that funder); financed: registrations made in the period at "
    "face amount, and the amount advanced; settled: payments in the period, average_days_early = due date minus "
    "payment date weighted by amount; voucher: amount reaching each tier in the period; overdue: unpaid after the "
    "due date as of today (for a funder, the face amount of its active registrations on them). On the funder side "
    "(a bank, or a funder filter) requested counts once per funder asked, and confirmed_* and voucher_* are null. "
    "Debtors and funders "
    "are sorted by volume; beyond 100 rows the rest is added up in other_debtors / other_funders."
)


def _figures(figures: Any, hidden: frozenset[str]) -> dict[str, Any]:
    """FiguresSerializer's output, written directly (a year's overview has a few hundred groups): the selector
    rounds amounts to 0.01 and days to 0.1, so their text is the decimal string."""
    data: dict[str, Any] = {name: getattr(figures, name) for name in COUNTS}
    data.update({name: str(getattr(figures, name)) for name in AMOUNTS})
    days = figures.average_days_early
    data["average_days_early"] = None if days is None else str(days)
    for name in hidden:
        data[name] = None
    return data


def _organization(org: Any) -> dict[str, Any] | None:
    return None if org is None else {"id": org.pk, "name": org.name, "name_en": org.name_en}


def overview_data(overview: Any) -> dict[str, Any]:
    """The response body, in OverviewSerializer's shape."""
    hidden = FUNDER_SIDE_HIDDEN if overview.funder_side else frozenset()

    def groups(rows: Any) -> list[dict[str, Any]]:
        return [{"organization": _organization(r.organization), "figures": _figures(r.figures, hidden)} for r in rows]

    def others(figures: Any) -> dict[str, Any] | None:
        return None if figures is None else _figures(figures, hidden)

    return {
        "period": {"start": overview.period.start.isoformat(), "end": overview.period.end.isoformat()},
        "as_of": overview.as_of.isoformat(),
        "viewpoint": {"kind": overview.viewpoint.kind, "organization": _organization(overview.viewpoint.organization)},
        "debtor": _organization(overview.debtor),
        "funder": _organization(overview.funder),
        "funder_side": overview.funder_side,
        "totals": _figures(overview.totals, hidden),
        "by_debtor": groups(overview.by_debtor),
        "other_debtors": others(overview.other_debtors),
        "other_debtors_count": overview.other_debtors_count,
        "by_funder": groups(overview.by_funder),
        "other_funders": others(overview.other_funders),
        "other_funders_count": overview.other_funders_count,
        "by_tier": [
            {"tier": r.tier, "label": r.label, "figures": _figures(r.figures, hidden)} for r in overview.by_tier
        ],
        "by_month": [{"month": r.month.isoformat(), "figures": _figures(r.figures, hidden)} for r in overview.by_month],
    }


class OverviewView(APIView):
    """The supply-chain overview (holders of supplychain.view_overview)."""

    permission_classes = [HasPermCode]
    perm_codes = {"get": perms.VIEW_OVERVIEW}

    @extend_schema(
        summary="Supply-chain finance overview",
        description=DESCRIPTION,
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, description="YYYY-MM-DD"),
            OpenApiParameter("end", OpenApiTypes.DATE, description="YYYY-MM-DD, not after today"),
            OpenApiParameter("debtor", OpenApiTypes.INT, description="Only receivables owed by this firm."),
            OpenApiParameter("funder", OpenApiTypes.INT, description="Only what this bank was asked for or financed."),
            OpenApiParameter("organization", OpenApiTypes.INT, description="The organisation whose side to show."),
        ],
        responses={200: OverviewSerializer, **errors(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        overview = supplychain_overview(
            actor=request.user,
            start=params.get("start"),
            end=params.get("end"),
            debtor=params.get("debtor"),
            funder=params.get("funder"),
            organization=params.get("organization"),
        )
        return Response(overview_data(overview))
