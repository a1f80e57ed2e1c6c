"""The products and LPR API. Views only parse the request, call a selector or service, and serialise.

A product the caller may not see answers 404 for every verb: detail routes resolve it through the selectors
before the permission code is checked (a hidden product never answers 403).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.request import Request
from rest_framework.response import Response

from finbridge.accounts.models import Organization
from finbridge.core.api import HasPermCode
from finbridge.core.errors import ValidationFailed
from finbridge.enterprises.api.views import PARSERS, VisibleObjectFirstMixin, errors, request_fields
from finbridge.enterprises.choices import SizeClass, TechLabel
from finbridge.financing import permissions as perms
from finbridge.financing.api.serializers_products import (
    LprRateInputSerializer,
    LprRateSerializer,
    ProductInputSerializer,
    ProductPatchSerializer,
    ProductSerializer,
)
from finbridge.financing.choices import LprTerm, ProductKind, ProductStatus
from finbridge.financing.models import LprRate, Product
from finbridge.financing.rates import effective_rates, lpr_rate_on
from finbridge.financing.selectors import products as selectors
from finbridge.financing.services import lpr as lpr_services
from finbridge.financing.services import products as product_services

# Output-only fields a client may send back unchanged (e.g. PATCH of a GET response): they are ignored.
PRODUCT_READ_ONLY = frozenset(
    {
        "id",
        "provider",
        "provider_name",
        "status",
        "effective_rate",
        "rate_description",
        "published_at",
        "withdrawn_at",
        "created_at",
        "updated_at",
        "can_manage",
    }
)


class UnroutedMethodMixin:
    """A signed-in caller using a method the route does not offer gets 405, not the 403 that the permission
    class would answer for an action it does not know."""

    def check_permissions(self, request: Request) -> None:
        method = request.method.lower()
        if request.user and request.user.is_authenticated and not hasattr(self, method):
            raise MethodNotAllowed(request.method)
        super().check_permissions(request)  # type: ignore[misc]


MSG_CHOOSE_PROVIDER = _("Choose the bank or guarantee agency (id) the product is published by: one you manage.")


class ProductFilterSet(django_filters.FilterSet):
    """Parses the list's query parameters; the filtering itself is selectors.product_list."""

    q = django_filters.CharFilter(method="ignore", max_length=200, help_text="Text in the Chinese or English name.")
    kind = django_filters.ChoiceFilter(method="ignore", choices=ProductKind.choices)
    provider = django_filters.NumberFilter(
        method="ignore",
        min_value=1,
        max_value=selectors.MAX_ID,
        decimal_places=0,
        help_text="Organisation id of the provider; a head office includes its branches.",
    )
    first_time = django_filters.BooleanFilter(method="ignore", help_text="Only products suiting first-time borrowers.")
    renewal_without_repayment = django_filters.BooleanFilter(
        method="ignore", help_text="Only products allowing renewal without repaying the principal first."
    )
    amount = django_filters.NumberFilter(
        method="ignore", min_value=0, max_digits=18, decimal_places=2, help_text="CNY; within the product's range."
    )
    term = django_filters.NumberFilter(
        method="ignore", min_value=1, max_value=360, decimal_places=0, help_text="Months; within the product's range."
    )
    label = django_filters.ChoiceFilter(method="ignore", choices=TechLabel.choices, help_text="Aimed at this label.")
    size_class = django_filters.ChoiceFilter(
        method="ignore", choices=SizeClass.choices, help_text="Open to firms of this size class."
    )
    status = django_filters.ChoiceFilter(method="ignore", choices=ProductStatus.choices)
    mine = django_filters.BooleanFilter(method="ignore", help_text="Only products of your own organisations.")

    class Meta:
        model = Product
        fields: list[str] = []

    def ignore(self, queryset: Any, name: str, value: Any) -> Any:
        return queryset

    def filter_queryset(self, queryset: Any) -> Any:
        data = self.form.cleaned_data
        filters = {
            name: data[name] for name in selectors.FILTER_NAMES if data.get(name) is not None and data[name] != ""
        }
        for name in ("first_time", "renewal_without_repayment", "mine"):
            if filters.get(name) is False:
                filters.pop(name)
        return selectors.product_list(actor=self.request.user, q=data.get("q") or "", filters=filters)


@extend_schema_view(
    list=extend_schema(
        summary="The product catalogue (published products; your own in every status)",
        responses={200: ProductSerializer, **errors(400, 403)},
    ),
    retrieve=extend_schema(summary="One product", responses={200: ProductSerializer, **errors(403, 404)}),
    create=extend_schema(
        summary="Create a draft product",
        request=ProductInputSerializer,
        responses={201: ProductSerializer, **errors(400, 403)},
    ),
    partial_update=extend_schema(
        summary="Change some fields of a product (a published one stays published)",
        request=ProductPatchSerializer,
        responses={200: ProductSerializer, **errors(400, 403, 404)},
    ),
)
class ProductViewSet(
    UnroutedMethodMixin,
    VisibleObjectFirstMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Loan products of banks and guarantee products of guarantee agencies."""

    queryset = Product.objects.none()
    lookup_value_regex = "[^/]+"
    serializer_class = ProductSerializer
    permission_classes = [HasPermCode]
    parser_classes = PARSERS
    filter_backends = [DjangoFilterBackend]
    filterset_class = ProductFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]
    perm_codes = {
        "list": perms.VIEW_PRODUCT,
        "retrieve": perms.VIEW_PRODUCT,
        "create": perms.MANAGE_PRODUCT,
        "partial_update": perms.MANAGE_PRODUCT,
        "publish": perms.MANAGE_PRODUCT,
        "withdraw": perms.MANAGE_PRODUCT,
    }

    def get_queryset(self) -> Any:
        return selectors.product_visible_queryset(actor=self.request.user)

    def resolve_object(self, pk: Any) -> Product:
        return selectors.product_get(actor=self.request.user, pk=pk)

    def _render(self, product: Product, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.product_get(actor=self.request.user, pk=product.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset()).prefetch_related(
            "eligible_clusters", "eligible_subdistricts"
        )
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        context = {
            **self.get_serializer_context(),
            "effective_rates": effective_rates(rows),
            "lpr": lpr_rate_on(LprTerm.ONE_YEAR),
        }
        data = ProductSerializer(rows, many=True, context=context).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def _product_data(self) -> dict[str, Any]:
        return {k: v for k, v in request_fields(self.request).items() if k not in PRODUCT_READ_ONLY}

    def _provider(self, raw: Any) -> Organization:
        own = selectors.manageable_providers(actor=self.request.user)
        if raw in (None, ""):
            candidates = list(own[:2])
            if len(candidates) == 1:
                return candidates[0]
        else:
            provider_id = selectors.parse_id(raw)
            found = own.filter(pk=provider_id).first() if provider_id is not None else None
            if found is not None:
                return found
        raise ValidationFailed(MSG_CHOOSE_PROVIDER, fields={"provider": [str(MSG_CHOOSE_PROVIDER)]})

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = request_fields(request)
        provider = self._provider(data.pop("provider", None))
        data = {k: v for k, v in data.items() if k not in PRODUCT_READ_ONLY}
        product = product_services.product_create(actor=request.user, provider=provider, data=data)
        return self._render(product, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        product = product_services.product_update(
            actor=request.user, product=self.get_object(), data=self._product_data()
        )
        return self._render(product)

    @extend_schema(
        summary="Publish a draft or withdrawn product",
        request=None,
        responses={200: ProductSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def publish(self, request: Request, pk: Any = None) -> Response:
        product = product_services.product_publish(actor=request.user, product=self.get_object())
        return self._render(product)

    @extend_schema(
        summary="Withdraw a published product",
        request=None,
        responses={200: ProductSerializer, **errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def withdraw(self, request: Request, pk: Any = None) -> Response:
        product = product_services.product_withdraw(actor=request.user, product=self.get_object())
        return self._render(product)


# ---- LPR ----------------------------------------------------------------------------------------------


class LprRateFilterSet(django_filters.FilterSet):
    term = django_filters.ChoiceFilter(field_name="term", choices=LprTerm.choices)

    class Meta:
        model = LprRate
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(
        summary="Loan Prime Rate publications, newest first", responses={200: LprRateSerializer, **errors(400, 403)}
    ),
    create=extend_schema(
        summary="Record (or correct) the LPR of a term from a date (district authority)",
        request=LprRateInputSerializer,
        responses={201: LprRateSerializer, 200: LprRateSerializer, **errors(400, 403)},
    ),
)
class LprRateViewSet(UnroutedMethodMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The dated one-year and five-year LPR. Anyone signed in reads it; the district authority records it."""

    queryset = LprRate.objects.none()
    serializer_class = LprRateSerializer
    permission_classes = [HasPermCode]
    parser_classes = PARSERS
    filter_backends = [DjangoFilterBackend]
    filterset_class = LprRateFilterSet
    perm_codes = {"list": perms.VIEW_PRODUCT, "create": perms.MANAGE_LPR}

    def get_queryset(self) -> Any:
        return selectors.lpr_list(actor=self.request.user)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = request_fields(request)
        unknown = sorted(set(data) - {"term", "effective_on", "rate"})
        if unknown:
            raise ValidationFailed(fields={name: [str(_("Unknown field."))] for name in unknown})
        row, created = lpr_services.lpr_set(
            actor=request.user, term=data.get("term"), effective_on=data.get("effective_on"), rate=data.get("rate")
        )
        return Response(LprRateSerializer(row).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
