"""The matching API: a demand's ranked matches with their reasons, refreshing them on request, and the
institution inbox. Views only parse the request, call a selector or service, and serialise.

A demand the caller may not see answers 404 for every verb (the selectors resolve it before anything else).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from finbridge.core.api import HasPermCode
from finbridge.core.pagination import CappedPageNumberPagination
from finbridge.enterprises.api.views import errors
from finbridge.financing import permissions as perms
from finbridge.financing.api.serializers_matching import DemandMatchSerializer, InboxItemSerializer
from finbridge.financing.models import DemandMatch
from finbridge.financing.selectors import matching as selectors
from finbridge.financing.services import matching as services

PAGINATION_PARAMS = frozenset({"page", "page_size"})
# Every verb needs financing.view_demand; what else is allowed is decided by the selectors and services, and
# verbs a view does not offer answer 405.
VIEW_DEMAND_CODES = dict.fromkeys(("get", "head", "post", "put", "patch", "delete"), perms.VIEW_DEMAND)


class _MatchesBase(GenericAPIView):
    """Shared by the matches routes: the demand's matches the caller may see, as one page."""

    queryset = DemandMatch.objects.none()
    serializer_class = DemandMatchSerializer
    permission_classes = [HasPermCode]
    pagination_class = CappedPageNumberPagination
    filter_backends: list = []
    perm_codes = VIEW_DEMAND_CODES

    def matches_response(self, request: Request, pk: Any) -> Response:
        access = selectors.match_access(actor=request.user, pk=pk)
        # a demand has its fits and at most MAX_NEAR_MISSES near misses: one query for all of them is cheaper
        # than a page query plus a count query
        rows = selectors.demand_match_values(actor=request.user, demand=access.demand, access=access)
        page = self.paginate_queryset(rows)
        context = {**self.get_serializer_context(), "show_figures": access.show_figures}
        data = DemandMatchSerializer(page, many=True, context=context).data
        return self.get_paginated_response(data)


class DemandMatchesView(_MatchesBase):
    """A demand's matches: fits first by score, then near misses (one or two criteria failed). The firm and
    government see every product's match; a bank or guarantor only those of its own products."""

    @extend_schema(
        summary="A demand's matching products, with reasons and near misses",
        responses={200: DemandMatchSerializer(many=True), **errors(401, 403, 404)},
    )
    def get(self, request: Request, pk: Any) -> Response:
        return self.matches_response(request, pk)


class DemandMatchesRefreshView(_MatchesBase):
    """Recompute a demand's matches now and return them (the firm, or government staff in whose remit the
    firm is). 409 when the demand is not open."""

    @extend_schema(
        summary="Recompute a demand's matches now",
        request=None,
        responses={200: DemandMatchSerializer(many=True), **errors(401, 403, 404, 409)},
    )
    def post(self, request: Request, pk: Any) -> Response:
        access = selectors.match_access(actor=request.user, pk=pk)
        services.matches_refresh_on_request(actor=request.user, demand=access.demand)
        return self.matches_response(request, pk)


class InboxPagination(CappedPageNumberPagination):
    """Page-number pagination whose count stops at selectors.INBOX_COUNT_CAP (`count_capped` beyond)."""

    django_paginator_class = selectors.InboxPaginator

    def get_paginated_response(self, data: Any) -> Response:
        paginator = self.page.paginator
        return Response(
            {
                "count": min(paginator.count, selectors.INBOX_COUNT_CAP),
                "count_capped": paginator.count_capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )


class InboxView(GenericAPIView):
    """The institution inbox: open demands shown to the caller's bank or guarantor that fit one of its products
    and that it has not answered yet, fast track first, then by score; `overdue` when the answer was due."""

    queryset = DemandMatch.objects.none()
    serializer_class = InboxItemSerializer
    permission_classes = [HasPermCode]
    pagination_class = InboxPagination
    filter_backends: list = []
    perm_codes = VIEW_DEMAND_CODES

    @extend_schema(
        summary="The institution inbox of fitting demands",
        parameters=[
            OpenApiParameter("fast_track", OpenApiTypes.BOOL, description="Only (or no) technology firms."),
            OpenApiParameter("overdue", OpenApiTypes.BOOL, description="Only demands whose answer is (not) overdue."),
            OpenApiParameter("product", OpenApiTypes.INT, description="Only demands this product of yours fits."),
        ],
        responses={200: InboxItemSerializer(many=True), **errors(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        filters = {k: v for k, v in request.query_params.items() if k not in PAGINATION_PARAMS}
        queryset = selectors.institution_inbox(actor=request.user, filters=filters)
        with selectors.nested_loop_planning():
            page = self.paginate_queryset(queryset)
            data = self.get_serializer(page, many=True).data
        return self.get_paginated_response(data)
