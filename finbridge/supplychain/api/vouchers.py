"""The vouchers API (/api/v1/supplychain/vouchers/): the debtor issues a confirmed payable as a payment voucher;
its holder splits it and passes parts to its own suppliers; every part traces back to the confirmation, and
the debtor and the district authority see the whole tree. A part the caller may not see answers 404."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from finbridge.core.errors import ValidationFailed
from finbridge.supplychain import permissions as perms
from finbridge.supplychain.api import serializers_vouchers as s
from finbridge.supplychain.api.common import (
    ID_PATH,
    PARSERS,
    SupplyChainPerm,
    VisibleObjectFirstMixin,
    errors,
    fields_of,
)
from finbridge.supplychain.choices import VoucherStatus
from finbridge.supplychain.models import ReceivableConfirmation, Voucher
from finbridge.supplychain.selectors import vouchers as selectors
from finbridge.supplychain.services import vouchers as services
from finbridge.supplychain.views.queries import organization_for_uscc

PARTS = "parts"
MSG_REQUIRED = _("This field is required.")


def recipient_id(data: dict[str, Any], field: str = "recipient") -> Any:
    """The recipient as given (`recipient`: organisation id), or found by `recipient_uscc`; None when neither."""
    if data.get(field) not in (None, ""):
        return data[field]
    if data.get(f"{field}_uscc") not in (None, ""):
        return organization_for_uscc(data[f"{field}_uscc"], f"{field}_uscc")
    return None


def split_parts(raw: Any) -> Any:
    """The parts of a split with `recipient_uscc` resolved to ids; anything else is passed on for the service."""
    if not isinstance(raw, list):
        return raw
    parts = []
    for part in raw:
        if isinstance(part, dict) and "recipient_uscc" in part:
            part = {**{k: v for k, v in part.items() if k != "recipient_uscc"}, "recipient": recipient_id(part)}
        parts.append(part)
    return parts


def tree_of(parts: list[Voucher]) -> list[dict[str, Any]]:
    """Nested nodes {"part", "children"} from a flat list of the parts of one voucher (roots first)."""
    nodes = {part.pk: {"part": part, "children": []} for part in parts}
    roots = []
    for part in parts:
        parent = nodes.get(part.parent_id) if part.parent_id else None
        (parent["children"] if parent else roots).append(nodes[part.pk])
    return roots


@extend_schema_view(
    list=extend_schema(
        summary="Voucher parts you may see: those you hold or passed on, your vouchers as debtor, those offered to "
        "your bank; all for the district authority",
        parameters=[
            OpenApiParameter("status", str, enum=list(VoucherStatus.values)),
            OpenApiParameter("live", bool, description="true: parts not split; false: parts split or passed on."),
        ],
        responses={200: s.VoucherSerializer, **errors(403)},
    ),
    retrieve=extend_schema(summary="One voucher part", responses={200: s.VoucherSerializer, **errors(403, 404)}),
    create=extend_schema(
        summary="Issue a confirmed payable as a payment voucher (the debtor; the creditor holds it, tier 1)",
        request=s.IssueInputSerializer,
        responses={201: s.VoucherSerializer, **errors(400, 403, 404, 409)},
    ),
)
class VoucherViewSet(
    VisibleObjectFirstMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = Voucher.objects.none()
    lookup_value_regex = ID_PATH
    serializer_class = s.VoucherSerializer
    permission_classes = [SupplyChainPerm]
    parser_classes = PARSERS
    perm_codes = {
        "list": perms.VIEW_SUPPLY_CHAIN,
        "retrieve": perms.VIEW_SUPPLY_CHAIN,
        "trace_back": perms.VIEW_SUPPLY_CHAIN,
        "tree": perms.VIEW_SUPPLY_CHAIN,
        "create": perms.TRADE,
        "split": perms.TRADE,
        "transfer": perms.TRADE,
    }

    def get_queryset(self) -> Any:
        params = self.request.query_params
        live = {"true": True, "false": False}.get(str(params.get("live", "")).lower())
        raw_status = params.get("status") or None
        return selectors.voucher_list(actor=self.request.user, status=raw_status, live=live)

    def resolve_object(self, pk: Any) -> Voucher:
        return selectors.voucher_get(actor=self.request.user, pk=pk)

    def _many(self, parts: list[Voucher], status_code: int = status.HTTP_200_OK) -> Response:
        return Response(s.VoucherSerializer(parts, many=True, context=self.get_serializer_context()).data, status_code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = fields_of(request, {"receivable"})
        if data.get("receivable") in (None, ""):
            raise ValidationFailed(MSG_REQUIRED, fields={"receivable": [str(MSG_REQUIRED)]})
        voucher = services.voucher_issue(actor=request.user, receivable_id=data["receivable"])
        fresh = selectors.voucher_get(actor=request.user, pk=voucher.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Split a part you hold: pass amounts to suppliers (tier + 1) or keep them; the rest is kept",
        description="Each part: amount and recipient (organisation id) or recipient_uscc; no recipient keeps it. "
        "The parts may not add up to more than the part holds (400 split_exceeds_amount).",
        request=s.SplitInputSerializer,
        responses={201: s.VoucherSerializer(many=True), **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def split(self, request: Request, pk: Any = None) -> Response:
        data = fields_of(request, {PARTS})
        children = services.voucher_split(
            actor=request.user, pk=self.get_object().pk, parts=split_parts(data.get(PARTS))
        )
        return self._many(children, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Pass a whole part you hold to a supplier (tier + 1)",
        request=s.TransferInputSerializer,
        responses={201: s.VoucherSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def transfer(self, request: Request, pk: Any = None) -> Response:
        data = fields_of(request, {"recipient", "recipient_uscc"})
        child = services.voucher_transfer(actor=request.user, pk=self.get_object().pk, recipient=recipient_id(data))
        return Response(
            s.VoucherSerializer(child, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Trace a part back to the issued voucher and the debtor's confirmation",
        responses={200: s.TraceSerializer, **errors(403, 404)},
    )
    @action(detail=True, methods=["get"], url_path="trace", url_name="trace", pagination_class=None, filter_backends=[])
    def trace_back(self, request: Request, pk: Any = None) -> Response:
        # Not named `trace`: DRF would take it for the handler of the HTTP TRACE method.
        parts = selectors.voucher_trace(actor=request.user, pk=self.get_object().pk)
        confirmation = ReceivableConfirmation.objects.filter(receivable_id=parts[0].receivable_id).first()
        body = s.TraceSerializer(
            {"parts": parts, "confirmation": confirmation}, context=self.get_serializer_context()
        ).data
        return Response(body)

    @extend_schema(
        summary="The whole tree of the voucher (the debtor that issued it and the district authority)",
        responses={200: s.TreeNodeSerializer(many=True), **errors(403, 404)},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def tree(self, request: Request, pk: Any = None) -> Response:
        parts = selectors.voucher_tree(actor=request.user, pk=self.get_object().pk)
        return Response(s.TreeNodeSerializer(tree_of(parts), many=True, context=self.get_serializer_context()).data)
