"""The registry API: enterprises (with history, verification, yearly figures, contacts), consents and the
reference lists. Views only parse the request, call a selector or service, and serialise the result.

A record the caller may not see answers 404 for every verb: detail routes resolve the record through the
selectors BEFORE the permission code is checked (a hidden record never answers 403).
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import django_filters
from django.conf import settings
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from finbridge.accounts.models import Organization
from finbridge.core.api import ErrorSerializer, HasPermCode
from finbridge.core.errors import NotFound, ValidationFailed
from finbridge.core.pagination import CappedPageNumberPagination
from finbridge.enterprises import permissions as perms
from finbridge.enterprises import selectors
from finbridge.enterprises.api.serializers import (
    ClusterSerializer,
    ConsentGrantInputSerializer,
    ConsentSerializer,
    ContactSerializer,
    EnterpriseInputSerializer,
    EnterpriseSerializer,
    FinancialsInputSerializer,
    FinancialsSerializer,
    HistoryEntrySerializer,
    IndustrySerializer,
    SubdistrictSerializer,
)
from finbridge.enterprises.choices import ConsentScope, SizeClass, TechLabel, VerificationState
from finbridge.enterprises.models import Consent, Enterprise
from finbridge.enterprises.services import consents as consent_services
from finbridge.enterprises.services import enterprises as enterprise_services
from finbridge.reference.industries import all_industries, normalize_industry_code
from finbridge.reference.models import IndustrialCluster, Subdistrict

# Output-only fields a client may send back unchanged (e.g. PUT of a GET response): they are ignored.
ENTERPRISE_READ_ONLY = frozenset(
    {
        "id",
        "industry_name",
        "size_class",
        "managing_authority",
        "last_verified_at",
        "verification_due_on",
        "verification_state",
        "financials_visible",
        "created_at",
        "updated_at",
    }
)
MSG_NOT_AN_OBJECT = _("Send the fields as a JSON object of names and values.")
MSG_UNKNOWN_GRANTEE = _("There is no organisation with this id.")
MSG_CHOOSE_ENTERPRISE = _("Choose one of your own enterprises.")


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """Schema responses for the given error statuses, all in the {"code","message","fields"} shape."""
    return {code: OpenApiResponse(ErrorSerializer) for code in statuses}


class DecimalJSONParser(JSONParser):
    """JSON whose numbers with a fraction become Decimal, never float (amounts are exact)."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json.load(codecs.getreader(encoding)(stream), parse_float=Decimal, parse_constant=_reject_constant)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


PARSERS = [DecimalJSONParser, FormParser, MultiPartParser]


def request_fields(request: Request) -> dict[str, Any]:
    """The request body as a plain dict (a form's repeated keys become lists); ValidationFailed otherwise."""
    data = request.data
    if isinstance(data, QueryDict):
        return {key: values if len(values) > 1 else values[0] for key, values in data.lists()}
    if not isinstance(data, Mapping):
        raise ValidationFailed(MSG_NOT_AN_OBJECT, code="invalid_body")
    return dict(data)


class VisibleObjectFirstMixin:
    """Detail routes: resolve the record through the selectors (404 if hidden) before the permission check."""

    def check_permissions(self, request: Request) -> None:
        if request.user and request.user.is_authenticated and "pk" in self.kwargs:
            self.get_object()
        super().check_permissions(request)  # type: ignore[misc]

    def get_object(self) -> Any:
        if getattr(self, "_object", None) is None:
            self._object = self.resolve_object(self.kwargs["pk"])
        return self._object

    def resolve_object(self, pk: Any) -> Any:  # pragma: no cover - each view defines it
        raise NotImplementedError


# ---- enterprises -----------------------------------------------------------------------------------------


class EnterpriseFilterSet(django_filters.FilterSet):
    """Parses the list's query parameters; the search itself is selectors.enterprise_list."""

    q = django_filters.CharFilter(
        method="ignore", max_length=200, help_text="Name fragment, or a full 18-character credit code."
    )
    subdistrict = django_filters.CharFilter(method="ignore", help_text="Subdistrict code.")
    cluster = django_filters.CharFilter(method="ignore", help_text="Industrial cluster code.")
    size_class = django_filters.ChoiceFilter(method="ignore", choices=SizeClass.choices)
    label = django_filters.ChoiceFilter(method="ignore", choices=TechLabel.choices, help_text="Technology label.")
    verification = django_filters.ChoiceFilter(method="ignore", choices=VerificationState.choices)
    industry = django_filters.CharFilter(
        method="ignore", max_length=5, help_text="GB/T 4754-2017 code; codes below it match too."
    )
    ordering = django_filters.ChoiceFilter(
        method="ignore",
        choices=[(key, key) for key in selectors.ORDERINGS],
        help_text="Default: name; name searches newest first (-id).",
    )

    class Meta:
        model = Enterprise
        fields: list[str] = []

    def ignore(self, queryset: Any, name: str, value: Any) -> Any:
        return queryset

    def filter_queryset(self, queryset: Any) -> Any:
        data = self.form.cleaned_data
        filters = {name: data[name] for name in selectors.FILTER_NAMES if data.get(name)}
        return selectors.enterprise_list(
            actor=self.request.user, q=data.get("q") or "", filters=filters, ordering=data.get("ordering") or ""
        )


@extend_schema_view(
    list=extend_schema(
        summary="List and search enterprises", responses={200: EnterpriseSerializer, **errors(400, 403)}
    ),
    retrieve=extend_schema(summary="One enterprise", responses={200: EnterpriseSerializer, **errors(403, 404)}),
    create=extend_schema(
        summary="Add an enterprise",
        request=EnterpriseInputSerializer,
        responses={201: EnterpriseSerializer, **errors(400, 403, 409)},
    ),
    update=extend_schema(
        summary="Change an enterprise (uscc, name and industry_code required; fields left out keep their values)",
        request=EnterpriseInputSerializer,
        responses={200: EnterpriseSerializer, **errors(400, 403, 404, 409)},
    ),
    partial_update=extend_schema(
        summary="Change some fields of an enterprise",
        request=EnterpriseInputSerializer,
        responses={200: EnterpriseSerializer, **errors(400, 403, 404, 409)},
    ),
)
class EnterpriseViewSet(
    VisibleObjectFirstMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The MSME registry. Rows: what the caller may see. Figures: null unless shared with the caller."""

    queryset = Enterprise.objects.none()
    lookup_value_regex = "[^/]+"
    serializer_class = EnterpriseSerializer
    permission_classes = [HasPermCode]
    parser_classes = PARSERS
    filter_backends = [DjangoFilterBackend]
    filterset_class = EnterpriseFilterSet
    perm_codes = {
        "list": perms.VIEW_ENTERPRISE,
        "retrieve": perms.VIEW_ENTERPRISE,
        "create": perms.ADD_ENTERPRISE,
        "update": perms.CHANGE_ENTERPRISE,
        "partial_update": perms.CHANGE_ENTERPRISE,
        "history": perms.VIEW_HISTORY,
        "verify": perms.VERIFY_ENTERPRISE,
        "financials": perms.VIEW_ENTERPRISE,
        "upsert_financials": perms.CHANGE_ENTERPRISE,
        "delete_financials": perms.CHANGE_ENTERPRISE,
        "contacts": perms.VIEW_ENTERPRISE,
        "add_contact": perms.CHANGE_ENTERPRISE,
        "remove_contact": perms.CHANGE_ENTERPRISE,
    }

    def get_queryset(self) -> Any:
        return selectors.enterprise_visible_queryset(actor=self.request.user)

    def resolve_object(self, pk: Any) -> Enterprise:
        return selectors.enterprise_get(actor=self.request.user, pk=pk)

    def _render(self, enterprise: Enterprise, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.enterprise_get(actor=self.request.user, pk=enterprise.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)

    def _enterprise_data(self) -> dict[str, Any]:
        return {k: v for k, v in request_fields(self.request).items() if k not in ENTERPRISE_READ_ONLY}

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        context = {
            **self.get_serializer_context(),
            "financials_visible_ids": selectors.financials_visible_ids(actor=request.user, enterprises=rows),
        }
        data = EnterpriseSerializer(rows, many=True, context=context).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        enterprise = enterprise_services.enterprise_create(actor=request.user, data=self._enterprise_data())
        return self._render(enterprise, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        enterprise = enterprise_services.enterprise_update(
            actor=request.user, enterprise=self.get_object(), data=self._enterprise_data(), partial=partial
        )
        return self._render(enterprise)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(
        summary="Change history of an enterprise",
        responses={200: HistoryEntrySerializer(many=True), **errors(403, 404)},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request: Request, pk: Any = None) -> Response:
        entries = selectors.enterprise_history(actor=request.user, enterprise=self.get_object())
        return Response(HistoryEntrySerializer(entries, many=True).data)

    @extend_schema(
        summary="Mark an enterprise's record as verified",
        request=None,
        responses={200: EnterpriseSerializer, **errors(403, 404)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def verify(self, request: Request, pk: Any = None) -> Response:
        enterprise = enterprise_services.enterprise_verify(actor=request.user, enterprise=self.get_object())
        return self._render(enterprise)

    @extend_schema(
        summary="Yearly figures of an enterprise",
        responses={200: FinancialsSerializer(many=True), **errors(403, 404)},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def financials(self, request: Request, pk: Any = None) -> Response:
        rows = selectors.financials_list(actor=request.user, enterprise=self.get_object())
        return Response(FinancialsSerializer(rows, many=True).data)

    @extend_schema(
        summary="Record or change the figures of one year",
        request=FinancialsInputSerializer,
        responses={200: FinancialsSerializer, **errors(400, 403, 404)},
    )
    @financials.mapping.post
    def upsert_financials(self, request: Request, pk: Any = None) -> Response:
        data = request_fields(request)
        year = data.pop("year", None)
        if year is None:
            raise ValidationFailed(fields={"year": [str(enterprise_services.MSG_REQUIRED)]})
        row = enterprise_services.financials_upsert(
            actor=request.user, enterprise=self.get_object(), year=year, data=data
        )
        return Response(FinancialsSerializer(row).data)

    @extend_schema(
        summary="Delete the figures of one year",
        parameters=[OpenApiParameter("year", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={204: None, **errors(403, 404)},
    )
    @action(detail=True, methods=["delete"], url_path=r"financials/(?P<year>[^/]+)", filter_backends=[])
    def delete_financials(self, request: Request, pk: Any = None, year: str = "") -> Response:
        enterprise = self.get_object()
        rows = selectors.financials_list(actor=request.user, enterprise=enterprise)
        row = rows.filter(year=int(year)).first() if year.isascii() and year.isdigit() and len(year) <= 4 else None
        if row is None:
            raise NotFound()
        enterprise_services.financials_delete(actor=request.user, financials=row)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Contact people of an enterprise", responses={200: ContactSerializer(many=True), **errors(403, 404)}
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def contacts(self, request: Request, pk: Any = None) -> Response:
        return Response(ContactSerializer(self.get_object().contacts.all(), many=True).data)

    @extend_schema(
        summary="Add a contact person",
        request=ContactSerializer,
        responses={201: ContactSerializer, **errors(400, 403, 404)},
    )
    @contacts.mapping.post
    def add_contact(self, request: Request, pk: Any = None) -> Response:
        contact = enterprise_services.contact_add(
            actor=request.user, enterprise=self.get_object(), data=request_fields(request)
        )
        return Response(ContactSerializer(contact).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Remove a contact person",
        parameters=[OpenApiParameter("contact_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={204: None, **errors(403, 404)},
    )
    @action(detail=True, methods=["delete"], url_path=r"contacts/(?P<contact_id>[^/]+)", filter_backends=[])
    def remove_contact(self, request: Request, pk: Any = None, contact_id: str = "") -> Response:
        enterprise = self.get_object()
        contact = selectors.contact_get(actor=request.user, pk=contact_id)
        if contact.enterprise_id != enterprise.pk:
            raise NotFound()
        enterprise_services.contact_remove(actor=request.user, contact=contact)
        return Response(status=status.HTTP_204_NO_CONTENT)


# ---- consents ---------------------------------------------------------------------------------------------


class ConsentFilterSet(django_filters.FilterSet):
    enterprise = django_filters.NumberFilter(
        field_name="enterprise_id",
        min_value=1,
        max_value=selectors.MAX_ID,
        decimal_places=0,
        help_text="Enterprise id.",
    )
    grantee = django_filters.NumberFilter(
        field_name="grantee_id",
        min_value=1,
        max_value=selectors.MAX_ID,
        decimal_places=0,
        help_text="Organisation id of the grantee.",
    )
    state = django_filters.ChoiceFilter(
        method="filter_state", choices=[("active", "active"), ("expired", "expired"), ("revoked", "revoked")]
    )

    class Meta:
        model = Consent
        fields: list[str] = []

    def filter_state(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(selectors.consent_state_filter(value))


@extend_schema_view(
    list=extend_schema(
        summary="Consents the caller granted or received", responses={200: ConsentSerializer, **errors(400, 403)}
    ),
    retrieve=extend_schema(summary="One consent", responses={200: ConsentSerializer, **errors(403, 404)}),
)
class ConsentViewSet(
    VisibleObjectFirstMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """An MSME sees the consents it granted; an institution the live consents it (or its head office)
    received; government users those of the enterprises in their remit."""

    queryset = Consent.objects.none()
    lookup_value_regex = "[^/]+"
    serializer_class = ConsentSerializer
    permission_classes = [HasPermCode]
    parser_classes = PARSERS
    filter_backends = [DjangoFilterBackend]
    filterset_class = ConsentFilterSet
    perm_codes = {
        "list": perms.VIEW_ENTERPRISE,
        "retrieve": perms.VIEW_ENTERPRISE,
        "create": perms.MANAGE_CONSENT,
        "revoke": perms.MANAGE_CONSENT,
    }

    def get_queryset(self) -> Any:
        return selectors.consent_list(actor=self.request.user)

    def resolve_object(self, pk: Any) -> Consent:
        return selectors.consent_get(actor=self.request.user, pk=pk)

    def _enterprise(self, raw: Any) -> Enterprise:
        own = selectors.own_enterprises(actor=self.request.user)
        if raw in (None, ""):
            candidates = list(own[:2])
            if len(candidates) == 1:
                return candidates[0]
        else:
            record_id = selectors.parse_id(raw)
            found = own.filter(pk=record_id).first() if record_id is not None else None
            if found is not None:
                return found
        raise ValidationFailed(MSG_CHOOSE_ENTERPRISE, fields={"enterprise": [str(MSG_CHOOSE_ENTERPRISE)]})

    @staticmethod
    def _grantee(raw: Any) -> Organization:
        record_id = selectors.parse_id(raw)
        grantee = Organization.objects.filter(pk=record_id).first() if record_id is not None else None
        if grantee is None:
            raise ValidationFailed(MSG_UNKNOWN_GRANTEE, fields={"grantee": [str(MSG_UNKNOWN_GRANTEE)]})
        return grantee

    @extend_schema(
        summary="Grant consent to an institution",
        request=ConsentGrantInputSerializer,
        responses={201: ConsentSerializer, **errors(400, 403)},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = request_fields(request)
        unknown = sorted(set(data) - {"enterprise", "grantee", "scope", "expires_on"})
        if unknown:
            raise ValidationFailed(fields={name: [str(_("Unknown field."))] for name in unknown})
        consent = consent_services.consent_grant(
            actor=request.user,
            enterprise=self._enterprise(data.get("enterprise")),
            grantee=self._grantee(data.get("grantee")),
            scope=data.get("scope") or ConsentScope.PROFILE,
            expires_on=data.get("expires_on"),
        )
        return Response(ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Revoke a consent now", request=None, responses={200: ConsentSerializer, **errors(403, 404, 409)}
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def revoke(self, request: Request, pk: Any = None) -> Response:
        consent = consent_services.consent_revoke(actor=request.user, consent=self.get_object())
        return Response(ConsentSerializer(consent).data)


# ---- reference lists ---------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Subdistricts", responses={200: SubdistrictSerializer(many=True), **errors(403)})
)
class SubdistrictViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Every subdistrict (code and names). Any signed-in user."""

    queryset = Subdistrict.objects.order_by("code")
    serializer_class = SubdistrictSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = None
    filter_backends: list[Any] = []


@extend_schema_view(
    list=extend_schema(summary="Industrial clusters", responses={200: ClusterSerializer(many=True), **errors(403)})
)
class ClusterViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Every industrial cluster (code and names). Any signed-in user."""

    queryset = IndustrialCluster.objects.order_by("code")
    serializer_class = ClusterSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = None
    filter_backends: list[Any] = []


INDUSTRY_LEVELS = ("section", "division", "group", "class")


def industry_search(q: str, level: str = "") -> list[Any]:
    """Categories of GB/T 4754-2017 whose code starts with `q` or whose Chinese/English name contains it."""
    text = " ".join(str(q or "").split())
    code = normalize_industry_code(text)
    needle = text.casefold()
    rows = []
    for industry in all_industries().values():
        if level and industry.level != level:
            continue
        if text and not (
            industry.code.startswith(code)
            or needle in industry.name_zh.casefold()
            or needle in industry.name_en.casefold()
        ):
            continue
        rows.append(industry)
    return rows


class IndustryViewSet(viewsets.GenericViewSet):
    """The industry classification GB/T 4754-2017, searchable by code prefix or name. Any signed-in user."""

    serializer_class = IndustrySerializer
    permission_classes = [IsAuthenticated]
    pagination_class = CappedPageNumberPagination
    filter_backends: list[Any] = []

    @extend_schema(
        summary="Industry categories (GB/T 4754-2017)",
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="Code prefix (C36) or a part of the name."),
            OpenApiParameter("level", OpenApiTypes.STR, enum=list(INDUSTRY_LEVELS)),
        ],
        responses={200: IndustrySerializer(many=True), **errors(400, 403)},
    )
    def list(self, request: Request) -> Response:
        level = request.query_params.get("level", "")
        if level and level not in INDUSTRY_LEVELS:
            message = str(selectors.MSG_BAD_FILTER) % {"value": level}
            raise ValidationFailed(message, code="invalid_filter", fields={"level": [message]})
        q = request.query_params.get("q", "")[: selectors.QUERY_MAX_LENGTH]
        page = self.paginate_queryset(industry_search(q, level))
        return self.get_paginated_response(IndustrySerializer(page, many=True).data)
