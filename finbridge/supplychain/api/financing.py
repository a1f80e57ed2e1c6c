"""The financing API: financing requests (/api/v1/supplychain/financing-requests/), the funders' offers
(/offers/) and the registrations (/registrations/, with the registration search).

The creditor (or voucher holder) sends a request on confirmed receivables or held parts to banks it chooses;
each bank sees the request, the confirmations and the registration search, and answers with an offer or a
refusal; the requester accepts one, which registers the pledge or transfer. A record the caller may not see
answers 404 for every verb.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from finbridge.supplychain import permissions as perms
from finbridge.supplychain.api import serializers_financing as s
from finbridge.supplychain.api.common import (
    ID_PATH,
    PARSERS,
    SupplyChainPerm,
    VisibleObjectFirstMixin,
    errors,
    fields_of,
    id_list,
)
from finbridge.supplychain.choices import FinancingRequestStatus, OfferStatus, RegistrationStatus
from finbridge.supplychain.models import FinancingOffer, FinancingRequest, Registration
from finbridge.supplychain.selectors import financing as selectors
from finbridge.supplychain.services import financing as services
from finbridge.supplychain.services import registration as registration_services

REQUEST_FIELDS = frozenset(
    {"funders", "receivables", "vouchers", "amount_requested", "note", "respond_by", "organization"}
)
OFFER_FIELDS = frozenset(
    {"advance_amount", "advance_ratio", "annual_rate", "fees", "term_days", "registration_kind", "note"}
)


def _optional(value: Any) -> Any:
    return None if value in (None, "") else value


def _query_ids(values: list[str]) -> list[str]:
    """Ids from repeated query parameters, each possibly a comma-separated list."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _status_filter(raw: Any, values: list[str]) -> str | None:
    return raw if raw in values else (None if raw in (None, "") else "__none__")


@extend_schema_view(
    list=extend_schema(
        summary="Financing requests you sent, or that were sent to your bank",
        parameters=[OpenApiParameter("status", str, enum=list(FinancingRequestStatus.values))],
        responses={200: s.RequestSerializer, **errors(403)},
    ),
    retrieve=extend_schema(
        summary="One financing request with its items and the offers you may see",
        responses={200: s.RequestSerializer, **errors(403, 404)},
    ),
    create=extend_schema(
        summary="Request financing on confirmed receivables or held voucher parts from chosen banks",
        description="Items must be confirmed (or held), not overdue, not due before today, in no other open "
        "request and not registered. Each chosen bank gets an offer to answer.",
        request=s.RequestInputSerializer,
        responses={201: s.RequestSerializer, **errors(400, 403)},
    ),
)
class FinancingRequestViewSet(
    VisibleObjectFirstMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = FinancingRequest.objects.none()
    lookup_value_regex = ID_PATH
    serializer_class = s.RequestSerializer
    permission_classes = [SupplyChainPerm]
    parser_classes = PARSERS
    perm_codes = {
        "list": perms.VIEW_SUPPLY_CHAIN,
        "retrieve": perms.VIEW_SUPPLY_CHAIN,
        "create": perms.TRADE,
        "withdraw": perms.TRADE,
    }

    def get_queryset(self) -> Any:
        raw = self.request.query_params.get("status")
        return selectors.financing_request_list(
            actor=self.request.user, status=_status_filter(raw, FinancingRequestStatus.values)
        )

    def resolve_object(self, pk: Any) -> FinancingRequest:
        return selectors.financing_request_get(actor=self.request.user, pk=pk)

    def _render(self, pk: Any, status_code: int = status.HTTP_200_OK) -> Response:
        found = selectors.financing_request_get(actor=self.request.user, pk=pk)
        return Response(s.RequestSerializer(found, context=self.get_serializer_context()).data, status=status_code)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._render(self.get_object().pk)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = fields_of(request, REQUEST_FIELDS)
        created = services.financing_request_create(
            actor=request.user,
            funder_ids=id_list(data, "funders"),
            receivable_ids=id_list(data, "receivables"),
            voucher_ids=id_list(data, "vouchers"),
            amount_requested=_optional(data.get("amount_requested")),
            note=data.get("note") or "",
            respond_by=data.get("respond_by") or None,
            organization=data.get("organization") or None,
        )
        return self._render(created.pk, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Withdraw an open request (its offers close and the items are free again)",
        request=None,
        responses={200: s.RequestSerializer, **errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: Any = None) -> Response:
        return self._render(services.financing_request_withdraw(actor=request.user, pk=self.get_object().pk).pk)


@extend_schema_view(
    list=extend_schema(
        summary="Offers: a bank's inbox of requests to answer and its answers; a requester's offers received",
        parameters=[
            OpenApiParameter("status", str, enum=list(OfferStatus.values)),
            OpenApiParameter("as_funder", bool, description="true: only the offers asked of your bank (its inbox)."),
        ],
        responses={200: s.OfferSerializer, **errors(403)},
    ),
    retrieve=extend_schema(
        summary="One offer with the request, its items and their confirmations",
        responses={200: s.OfferDetailSerializer, **errors(403, 404)},
    ),
)
class OfferViewSet(VisibleObjectFirstMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = FinancingOffer.objects.none()
    lookup_value_regex = ID_PATH
    serializer_class = s.OfferSerializer
    permission_classes = [SupplyChainPerm]
    parser_classes = PARSERS
    perm_codes = {
        "list": perms.VIEW_SUPPLY_CHAIN,
        "retrieve": perms.VIEW_SUPPLY_CHAIN,
        "registrations": perms.VIEW_SUPPLY_CHAIN,
        "make": perms.FUND,
        "refuse": perms.FUND,
        "withdraw": perms.FUND,
        "accept": perms.TRADE,
    }

    def get_queryset(self) -> Any:
        params = self.request.query_params
        return selectors.financing_offer_list(
            actor=self.request.user,
            status=_status_filter(params.get("status"), OfferStatus.values),
            as_funder=str(params.get("as_funder", "")).lower() in ("true", "1"),
        )

    def resolve_object(self, pk: Any) -> FinancingOffer:
        return selectors.financing_offer_get(actor=self.request.user, pk=pk)

    def _render(self, pk: Any) -> Response:
        found = selectors.financing_offer_get(actor=self.request.user, pk=pk)
        return Response(s.OfferDetailSerializer(found, context=self.get_serializer_context()).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._render(self.get_object().pk)

    @extend_schema(
        summary="The registration search on the request's items: every registration, active or released, on them, "
        "their receivables and the parts above them",
        responses={200: s.RegistrationSerializer(many=True), **errors(403, 404)},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def registrations(self, request: Request, pk: Any = None) -> Response:
        offer = self.get_object()
        found = selectors.financing_request_registration_search(actor=request.user, pk=offer.request_id)
        return Response(s.RegistrationSerializer(found, many=True, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Make an offer (the bank): amount or advance ratio, rate, fees, term, pledge or transfer",
        request=s.OfferInputSerializer,
        responses={200: s.OfferDetailSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def make(self, request: Request, pk: Any = None) -> Response:
        data = fields_of(request, OFFER_FIELDS)
        services.financing_offer_make(actor=request.user, pk=self.get_object().pk, data=data)
        return self._render(pk)

    @extend_schema(
        summary="Refuse to finance (the bank), with a reason",
        request=s.RefuseInputSerializer,
        responses={200: s.OfferDetailSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def refuse(self, request: Request, pk: Any = None) -> Response:
        data = fields_of(request, {"reason"})
        services.financing_offer_refuse(actor=request.user, pk=self.get_object().pk, reason=data.get("reason"))
        return self._render(pk)

    @extend_schema(
        summary="Withdraw an offer before it is accepted (the bank)",
        request=None,
        responses={200: s.OfferDetailSerializer, **errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: Any = None) -> Response:
        services.financing_offer_withdraw(actor=request.user, pk=self.get_object().pk)
        return self._render(pk)

    @extend_schema(
        summary="Accept an offer (the requester): registers every item to the bank and closes the other offers",
        description="A receivable is financed at most once: when another registration got there first, nothing "
        "is registered and the answer is 409 already_registered.",
        request=None,
        responses={200: s.AcceptResultSerializer, **errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: Any = None) -> Response:
        registrations = services.financing_offer_accept(actor=request.user, pk=self.get_object().pk)
        offer = selectors.financing_offer_get(actor=request.user, pk=pk)
        context = self.get_serializer_context()
        return Response(
            {
                "offer": s.OfferSerializer(offer, context=context).data,
                "registrations": s.RegistrationSerializer(registrations, many=True, context=context).data,
            }
        )


@extend_schema_view(
    list=extend_schema(
        summary="Registrations you may see: your bank's, those on your receivables and parts, all for the authority",
        parameters=[OpenApiParameter("status", str, enum=list(RegistrationStatus.values))],
        responses={200: s.RegistrationSerializer, **errors(403)},
    ),
    retrieve=extend_schema(summary="One registration", responses={200: s.RegistrationSerializer, **errors(403, 404)}),
)
class RegistrationViewSet(
    VisibleObjectFirstMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = Registration.objects.none()
    lookup_value_regex = ID_PATH
    serializer_class = s.RegistrationSerializer
    permission_classes = [SupplyChainPerm]
    parser_classes = PARSERS
    perm_codes = {
        "list": perms.VIEW_SUPPLY_CHAIN,
        "retrieve": perms.VIEW_SUPPLY_CHAIN,
        "search": perms.VIEW_SUPPLY_CHAIN,
        "release": perms.FUND,
    }

    def get_queryset(self) -> Any:
        raw = self.request.query_params.get("status")
        return selectors.registration_list(
            actor=self.request.user, status=_status_filter(raw, RegistrationStatus.values)
        )

    def resolve_object(self, pk: Any) -> Registration:
        return selectors.registration_get(actor=self.request.user, pk=pk)

    @extend_schema(
        summary="Search the registrations on receivables and voucher parts you may see",
        parameters=[
            OpenApiParameter(
                "receivable", int, many=True, description="Receivable ids (repeat or separate by commas)."
            ),
            OpenApiParameter("voucher", int, many=True, description="Voucher part ids."),
        ],
        responses={200: s.RegistrationSerializer(many=True), **errors(400, 403)},
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def search(self, request: Request) -> Response:
        params = request.query_params
        found = selectors.registration_search(
            actor=request.user,
            receivable_ids=_query_ids(params.getlist("receivable")),
            voucher_ids=_query_ids(params.getlist("voucher")),
        )
        return Response(s.RegistrationSerializer(found, many=True, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Release a registration after the financing was repaid (the bank)",
        request=None,
        responses={200: s.RegistrationSerializer, **errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def release(self, request: Request, pk: Any = None) -> Response:
        registration_services.registration_release(actor=request.user, pk=self.get_object().pk)
        fresh = self.resolve_object(pk)
        return Response(s.RegistrationSerializer(fresh, context=self.get_serializer_context()).data)
