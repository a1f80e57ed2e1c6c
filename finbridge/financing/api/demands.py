"""The demands API: a firm's financing demands, institutions' answers and engagements, the timeline, and the
district authority's oversight lists. Views only parse the request, call a selector or service, and
serialise the result.

A demand the caller may not see answers 404 for every verb: detail routes resolve the demand through the
selectors BEFORE the permission code is checked (a hidden demand never answers 403).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from finbridge.accounts.models import Organization
from finbridge.core.api import HasPermCode
from finbridge.core.errors import NotFound, ValidationFailed
from finbridge.core.permissions import has_perm
from finbridge.enterprises.api.views import PARSERS, VisibleObjectFirstMixin, errors, request_fields
from finbridge.enterprises.models import Enterprise
from finbridge.enterprises.selectors import parse_id
from finbridge.financing import permissions as perms
from finbridge.financing.api import serializers_demands as ser
from finbridge.financing.choices import DemandPurpose, DemandStatus
from finbridge.financing.models import Demand, DemandResponse
from finbridge.financing.selectors import demands as selectors
from finbridge.financing.services import demands as demand_services
from finbridge.financing.services import responses as response_services

MSG_CHOOSE_ENTERPRISE = _("Choose the enterprise the demand is for.")
MSG_UNKNOWN_FIELD = _("Unknown field.")
MANAGE = (perms.POST_DEMAND, perms.RECORD_DEMAND_ON_BEHALF)
ID_PATH = r"[^/]+"


class HasAnyPermCode(HasPermCode):
    """HasPermCode whose `perm_codes[action]` may be a tuple: any one of the codes is enough."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if getattr(view, "action", None) is None:
            return True  # a method the view does not offer: let it answer 405
        code = self._code(view)
        if isinstance(code, tuple):
            return any(has_perm(request.user, c) for c in code)
        return code is not None and has_perm(request.user, code)


class DemandFilterSet(django_filters.FilterSet):
    """Parses the list's query parameters; the filtering itself is selectors.demand_list."""

    status = django_filters.CharFilter(method="ignore", help_text="A status, or several separated by commas.")
    purpose = django_filters.ChoiceFilter(method="ignore", choices=DemandPurpose.choices)
    enterprise = django_filters.CharFilter(method="ignore", help_text="Enterprise id.")
    q = django_filters.CharFilter(method="ignore", max_length=200, help_text="A part of the enterprise's name.")
    answered = django_filters.BooleanFilter(method="ignore", help_text="Institutions: whether you answered.")
    overdue = django_filters.BooleanFilter(method="ignore", help_text="Institutions: your answer is overdue.")
    recorded_on_behalf = django_filters.BooleanFilter(method="ignore")

    class Meta:
        model = Demand
        fields: list[str] = []

    def ignore(self, queryset: Any, name: str, value: Any) -> Any:
        return queryset

    def filter_queryset(self, queryset: Any) -> Any:
        data = self.form.cleaned_data
        filters: dict[str, Any] = {}
        for name in ("status", "purpose", "enterprise", "q"):
            if data.get(name):
                filters[name] = data[name]
        for name in ("answered", "overdue", "recorded_on_behalf"):
            if data.get(name) is not None:
                filters[name] = "true" if data[name] else "false"
        return selectors.demand_list(actor=self.request.user, filters=filters)


def _status_check(value: Any) -> None:
    for item in str(value or "").split(","):
        if item.strip() and item.strip() not in DemandStatus.values:
            message = str(selectors.MSG_BAD_FILTER) % {"value": item.strip()}
            raise ValidationFailed(message, code="invalid_filter", fields={"status": [message]})


@extend_schema_view(
    list=extend_schema(
        summary="Financing demands the caller may see", responses={200: ser.DemandSerializer, **errors(400, 403)}
    ),
    retrieve=extend_schema(
        summary="One financing demand, with the answers the caller may see",
        responses={200: ser.DemandSerializer, **errors(403, 404)},
    ),
    create=extend_schema(
        summary="Create a draft demand (a firm for itself, or government staff on a firm's behalf)",
        request=ser.DemandInputSerializer,
        responses={201: ser.DemandSerializer, **errors(400, 403, 404)},
    ),
    partial_update=extend_schema(
        summary="Change some fields of a draft or published demand",
        request=ser.DemandPatchSerializer,
        responses={200: ser.DemandSerializer, **errors(400, 403, 404, 409)},
    ),
)
class DemandViewSet(VisibleObjectFirstMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Financing demands. Rows: the firm's own; government: its remit; banks and guarantors: published
    demands shown to them."""

    queryset = Demand.objects.none()
    lookup_value_regex = ID_PATH
    serializer_class = ser.DemandSerializer
    permission_classes = [HasAnyPermCode]
    parser_classes = PARSERS
    filter_backends = [DjangoFilterBackend]
    filterset_class = DemandFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]
    perm_codes: dict[str, Any] = {
        "list": perms.VIEW_DEMAND,
        "retrieve": perms.VIEW_DEMAND,
        "timeline": perms.VIEW_DEMAND,
        "overdue": perms.VIEW_DEMAND,
        "oversight_overdue": perms.VIEW_OVERSIGHT,
        "oversight_escalated": perms.VIEW_OVERSIGHT,
        "create": MANAGE,
        "partial_update": MANAGE,
        "publish": MANAGE,
        "withdraw": MANAGE,
        "republish": MANAGE,
        "take_up": perms.RESPOND_DEMAND,
        "pass_": perms.RESPOND_DEMAND,
        "review": perms.REVIEW_DEMAND,
        "approve": perms.REVIEW_DEMAND,
        "decline": perms.REVIEW_DEMAND,
        "disburse": perms.REVIEW_DEMAND,
    }

    def get_queryset(self) -> Any:
        return selectors.demand_visible_queryset(actor=self.request.user)

    def check_permissions(self, request: Request) -> None:
        # An engagement the caller may not see answers 404 like the demand, before the permission check.
        if request.user and request.user.is_authenticated and "engagement_id" in self.kwargs:
            self._engagement(self.kwargs["engagement_id"])
        super().check_permissions(request)

    def resolve_object(self, pk: Any) -> Demand:
        return selectors.demand_get(actor=self.request.user, pk=pk)

    def _render(self, demand: Demand, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.demand_get(actor=self.request.user, pk=demand.pk)
        context = {**self.get_serializer_context(), "include_responses": True}
        return Response(ser.DemandSerializer(fresh, context=context).data, status=status_code)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _status_check(request.query_params.get("status"))
        return super().list(request, *args, **kwargs)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._render(self.get_object())

    def _enterprise(self, raw: Any) -> Enterprise:
        candidates = selectors.enterprises_for_demands(actor=self.request.user)
        if raw in (None, ""):
            first_two = list(candidates[:2])
            if len(first_two) == 1:
                return first_two[0]
            raise ValidationFailed(MSG_CHOOSE_ENTERPRISE, fields={"enterprise": [str(MSG_CHOOSE_ENTERPRISE)]})
        record_id = parse_id(raw)
        found = Enterprise.objects.filter(pk=record_id).first() if record_id is not None else None
        if found is None:
            raise NotFound()
        return found  # the service decides: NotFound when hidden, PermissionDenied when not allowed

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = request_fields(request)
        enterprise = self._enterprise(data.pop("enterprise", None))
        demand = demand_services.demand_create(actor=request.user, enterprise=enterprise, data=data)
        return self._render(demand, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        demand = demand_services.demand_update(
            actor=request.user, demand=self.get_object(), data=request_fields(request)
        )
        return self._render(demand)

    # ---- the firm's actions ----

    @extend_schema(
        summary="Publish a draft demand to institutions",
        request=None,
        responses={200: ser.DemandSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def publish(self, request: Request, pk: Any = None) -> Response:
        return self._render(demand_services.demand_publish(actor=request.user, demand=self.get_object()))

    @extend_schema(
        summary="Withdraw a demand (running engagements are closed)",
        request=ser.NoteInputSerializer,
        responses={200: ser.DemandSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def withdraw(self, request: Request, pk: Any = None) -> Response:
        data = _only(request_fields(request), {"note"})
        demand = demand_services.demand_withdraw(
            actor=request.user, demand=self.get_object(), note=data.get("note") or ""
        )
        return self._render(demand)

    @extend_schema(
        summary="Publish a declined demand again (optionally with changed fields)",
        request=ser.RepublishInputSerializer,
        responses={200: ser.DemandSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def republish(self, request: Request, pk: Any = None) -> Response:
        demand = demand_services.demand_republish(
            actor=request.user, demand=self.get_object(), data=request_fields(request) or None
        )
        return self._render(demand)

    # ---- institutions' answers ----

    def _answer_args(self, request: Request) -> dict[str, Any]:
        data = _only(request_fields(request), {"note", "institution"})
        institution = None
        if data.get("institution") not in (None, ""):
            record_id = parse_id(data["institution"])
            institution = Organization.objects.filter(pk=record_id).first() if record_id is not None else None
            if institution is None:
                institution = Organization(pk=0)  # not one of the caller's: PermissionDenied
        return {"institution": institution, "note": data.get("note") or ""}

    @extend_schema(
        summary="Take the demand up (your institution starts an engagement)",
        request=ser.AnswerInputSerializer,
        responses={201: ser.ResponseSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="take-up", filter_backends=[])
    def take_up(self, request: Request, pk: Any = None) -> Response:
        response = response_services.demand_take_up(
            actor=request.user, demand=self.get_object(), **self._answer_args(request)
        )
        return Response(ser.ResponseSerializer(response).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Pass on the demand",
        request=ser.AnswerInputSerializer,
        responses={201: ser.ResponseSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="pass", url_name="pass", filter_backends=[])
    def pass_(self, request: Request, pk: Any = None) -> Response:
        response = response_services.demand_pass(
            actor=request.user, demand=self.get_object(), **self._answer_args(request)
        )
        return Response(ser.ResponseSerializer(response).data, status=status.HTTP_201_CREATED)

    def _engagement(self, engagement_id: str) -> DemandResponse:
        if getattr(self, "_engagement_object", None) is None:
            self._engagement_object = selectors.engagement_get(
                actor=self.request.user, demand=self.get_object(), pk=engagement_id
            )
        return self._engagement_object

    @extend_schema(
        summary="Start reviewing a demand your institution took up",
        request=ser.NoteInputSerializer,
        parameters=[OpenApiParameter("engagement_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={200: ser.ResponseSerializer, **errors(400, 403, 404, 409)},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=rf"engagements/(?P<engagement_id>{ID_PATH})/review",
        url_name="engagement-review",
        filter_backends=[],
    )
    def review(self, request: Request, pk: Any = None, engagement_id: str = "") -> Response:
        data = _only(request_fields(request), {"note"})
        engagement = response_services.engagement_start_review(
            actor=request.user, engagement=self._engagement(engagement_id), note=data.get("note") or ""
        )
        return Response(ser.ResponseSerializer(engagement).data)

    @extend_schema(
        summary="Approve the demand under review",
        request=ser.ApproveInputSerializer,
        parameters=[OpenApiParameter("engagement_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={200: ser.ResponseSerializer, **errors(400, 403, 404, 409)},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=rf"engagements/(?P<engagement_id>{ID_PATH})/approve",
        url_name="engagement-approve",
        filter_backends=[],
    )
    def approve(self, request: Request, pk: Any = None, engagement_id: str = "") -> Response:
        data = _only(request_fields(request), {"amount", "annual_rate", "product", "note"})
        engagement = response_services.engagement_approve(
            actor=request.user,
            engagement=self._engagement(engagement_id),
            amount=data.get("amount"),
            annual_rate=data.get("annual_rate"),
            product=data.get("product"),
            note=data.get("note") or "",
        )
        return Response(ser.ResponseSerializer(engagement).data)

    @extend_schema(
        summary="Decline the demand your institution took up",
        request=ser.DeclineInputSerializer,
        parameters=[OpenApiParameter("engagement_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={200: ser.ResponseSerializer, **errors(400, 403, 404, 409)},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=rf"engagements/(?P<engagement_id>{ID_PATH})/decline",
        url_name="engagement-decline",
        filter_backends=[],
    )
    def decline(self, request: Request, pk: Any = None, engagement_id: str = "") -> Response:
        data = _only(request_fields(request), {"reason", "note"})
        engagement = response_services.engagement_decline(
            actor=request.user,
            engagement=self._engagement(engagement_id),
            reason=data.get("reason"),
            note=data.get("note") or "",
        )
        return Response(ser.ResponseSerializer(engagement).data)

    @extend_schema(
        summary="Record the disbursed loan (the demand is disbursed, other engagements closed)",
        request=ser.DisburseInputSerializer,
        parameters=[OpenApiParameter("engagement_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={200: ser.ResponseSerializer, **errors(400, 403, 404, 409)},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=rf"engagements/(?P<engagement_id>{ID_PATH})/disburse",
        url_name="engagement-disburse",
        filter_backends=[],
    )
    def disburse(self, request: Request, pk: Any = None, engagement_id: str = "") -> Response:
        engagement = response_services.engagement_disburse(
            actor=request.user, engagement=self._engagement(engagement_id), loan=request_fields(request)
        )
        data = ser.ResponseSerializer(engagement).data
        data["loan"] = engagement.loan.pk
        return Response(data)

    # ---- reads ----

    @extend_schema(
        summary="The demand's timeline",
        responses={200: ser.TimelineEventSerializer(many=True), **errors(403, 404)},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def timeline(self, request: Request, pk: Any = None) -> Response:
        events = selectors.demand_timeline(actor=request.user, demand=self.get_object())
        return Response(ser.TimelineEventSerializer(events, many=True).data)

    @extend_schema(
        summary="Institutions: open demands your answer to is overdue",
        responses={200: ser.DemandSerializer(many=True), **errors(403)},
    )
    @action(detail=False, methods=["get"], filter_backends=[])
    def overdue(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.institution_overdue(actor=request.user))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def _oversight(self, queryset: Any) -> Response:
        page = self.paginate_queryset(queryset)
        context = {**self.get_serializer_context(), "overdue_institutions": selectors.overdue_institutions(page)}
        return self.get_paginated_response(ser.OverdueDemandSerializer(page, many=True, context=context).data)

    @extend_schema(
        summary="District authority: open demands with overdue answers, and the institutions overdue",
        responses={200: ser.OverdueDemandSerializer(many=True), **errors(403)},
    )
    @action(detail=False, methods=["get"], url_path="oversight/overdue", filter_backends=[])
    def oversight_overdue(self, request: Request) -> Response:
        return self._oversight(selectors.oversight_overdue(actor=request.user))

    @extend_schema(
        summary="District authority: escalated demands still open",
        responses={200: ser.OverdueDemandSerializer(many=True), **errors(403)},
    )
    @action(detail=False, methods=["get"], url_path="oversight/escalated", filter_backends=[])
    def oversight_escalated(self, request: Request) -> Response:
        return self._oversight(selectors.oversight_escalated(actor=request.user))


def _only(data: dict[str, Any], allowed: set[str]) -> dict[str, Any]:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationFailed(str(MSG_UNKNOWN_FIELD), fields={name: [str(MSG_UNKNOWN_FIELD)] for name in unknown})
    return data
