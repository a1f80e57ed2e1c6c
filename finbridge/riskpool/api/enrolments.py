"""The enrolment API: covered loans (/api/v1/riskpool/enrolments/), one by one or in bulk, their release, the
eligibility of a loan and the loans a bank may still enrol.

A bank sees only its own enrolments; an enrolment the caller may not see answers 404 for every verb.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from finbridge.core.api import HasPermCode
from finbridge.riskpool import permissions as perms
from finbridge.riskpool.api import serializers_enrolments as s
from finbridge.riskpool.api.common import (
    MAX_ID,
    PARSERS,
    VisibleObjectFirstMixin,
    errors,
    object_id,
    organization_or_error,
    own_loan_or_error,
    validated,
    visible_pool_or_error,
)
from finbridge.riskpool.choices import EnrolmentStatus, LoanCategory, MemberRole
from finbridge.riskpool.models import Enrolment, Pool
from finbridge.riskpool.selectors import enrolment as selectors
from finbridge.riskpool.selectors.enrolment import EnrolmentRequest, enrolment_eligibility
from finbridge.riskpool.selectors.pools import member_of, pool_get
from finbridge.riskpool.services import enrolment as services


def enrolment_terms(data: dict[str, Any]) -> dict[str, Any]:
    """The service keyword arguments of the declared terms (organisations resolved)."""
    return {
        "category": data.get("category") or LoanCategory.DIRECT,
        "guarantor": organization_or_error(data.get("guarantor"), "guarantor"),
        "insurer": organization_or_error(data.get("insurer"), "insurer"),
        "flags": list(data.get("flags") or ()),
        "purpose": data.get("purpose") or "",
    }


def loan_eligibility(*, pool: Pool, loan: Any, terms: dict[str, Any]) -> list[Any]:
    """Every reason the loan cannot be enrolled in the pool today with these terms (empty: eligible)."""
    request = EnrolmentRequest(
        loan=loan,
        category=terms["category"],
        guarantor=terms["guarantor"] if terms["category"] == LoanCategory.GUARANTEED else None,
        insurer=terms["insurer"] if terms["category"] == LoanCategory.INSURED else None,
        flags=tuple(terms["flags"]),
        purpose=terms["purpose"],
    )
    member = member_of(pool=pool, organization=loan.bank, role=MemberRole.BANK)
    return enrolment_eligibility(pool=pool, request=request, member=member)


class EnrolmentFilterSet(django_filters.FilterSet):
    """Parses the list's query parameters; the filtering itself is selectors.enrolment_list."""

    pool = django_filters.NumberFilter(method="ignore", min_value=1, max_value=MAX_ID, decimal_places=0)
    bank = django_filters.NumberFilter(method="ignore", min_value=1, max_value=MAX_ID, decimal_places=0)
    status = django_filters.ChoiceFilter(method="ignore", choices=EnrolmentStatus.choices)

    class Meta:
        model = Enrolment
        fields: list[str] = []

    def ignore(self, queryset: Any, name: str, value: Any) -> Any:
        return queryset

    def filter_queryset(self, queryset: Any) -> Any:
        data = self.form.cleaned_data
        actor = self.request.user
        pool = None
        if data.get("pool"):
            pool = Pool.objects.filter(pk=int(data["pool"])).first()
            if pool is None:
                return queryset.none()
        qs = selectors.enrolment_list(actor=actor, pool=pool, status=data.get("status") or None)
        if data.get("bank"):
            qs = qs.filter(bank_id=int(data["bank"]))
        return qs


@extend_schema_view(
    list=extend_schema(summary="Enrolments you may see", responses={200: s.EnrolmentSerializer(many=True)}),
    retrieve=extend_schema(summary="One enrolment", responses={200: s.EnrolmentSerializer, **errors(404)}),
    create=extend_schema(
        summary="Enrol a loan of your bank",
        description=(
            "The loan is checked against the pool's eligibility: when it fails, 400 with code `ineligible` and one "
            "message per reason in fields.eligibility (GET /riskpool/pools/{id}/eligibility/ gives the codes). 409 "
            "when it is already enrolled (`already_enrolled`) or the pool is at capacity (`pool_at_capacity`)."
        ),
        request=s.EnrolmentCreateInputSerializer,
        responses={201: s.EnrolmentSerializer, **errors(400, 403, 409)},
    ),
)
class EnrolmentViewSet(
    VisibleObjectFirstMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Enrolments: government sees those of the pools it sees; a bank only its own loans'."""

    queryset = Enrolment.objects.none()
    serializer_class = s.EnrolmentSerializer
    permission_classes = [HasPermCode]
    parser_classes = PARSERS
    filter_backends = [DjangoFilterBackend]
    filterset_class = EnrolmentFilterSet
    perm_codes = {
        "list": perms.VIEW_POOL,
        "retrieve": perms.VIEW_POOL,
        "create": perms.ENROL_LOAN,
        "bulk": perms.ENROL_LOAN,
        "release": perms.VIEW_POOL,  # the bank (enrol_loan) or the authority (manage_pool): the service decides
    }

    def get_queryset(self) -> QuerySet[Enrolment]:
        return selectors.enrolment_list(actor=self.request.user)

    def resolve_object(self, pk: Any) -> Enrolment:
        return selectors.enrolment_get(actor=self.request.user, pk=object_id(pk))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(s.EnrolmentCreateInputSerializer, request.data)
        pool = visible_pool_or_error(request.user, data["pool"])
        loan = own_loan_or_error(request.user, loan=data.get("loan"), reference=data.get("reference"))
        enrolment = services.enrolment_create(actor=request.user, pool=pool, loan=loan, **enrolment_terms(data))
        fresh = selectors.enrolment_get(actor=request.user, pk=enrolment.pk)
        return Response(s.EnrolmentSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Enrol many loans of your bank",
        description=(
            "Each item names a loan by id (`loan`) or contract number (`reference`) with its terms; each is enrolled "
            "on its own. The answer lists the enrolments made and, per refused item, its index and every reason."
        ),
        request=s.EnrolmentBulkInputSerializer,
        responses={200: s.EnrolmentBulkResultSerializer, **errors(400, 403)},
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def bulk(self, request: Request) -> Response:
        data = validated(s.EnrolmentBulkInputSerializer, request.data)
        pool = visible_pool_or_error(request.user, data["pool"])
        items = []
        for item in data["items"]:
            terms = {**item, "guarantor": item.get("guarantor"), "insurer": item.get("insurer")}
            items.append(
                {
                    "loan": item.get("loan"),
                    "reference": item.get("reference"),
                    **enrolment_terms(terms),
                }
            )
        result = services.enrolment_bulk(actor=request.user, pool=pool, items=items)
        payload = {
            "enrolled": s.EnrolmentSerializer(result.enrolled, many=True).data,
            "rejected": [
                {
                    "index": r.index,
                    "loan": r.loan.pk if r.loan is not None else None,
                    "reference": r.label,
                    "reasons": s.reasons_data(r.reasons),
                }
                for r in result.rejected
            ],
        }
        return Response(payload)

    @extend_schema(
        summary="Release a covered loan (repaid, matured, withdrawn, enrolled in error)",
        request=s.EnrolmentReleaseInputSerializer,
        responses={200: s.EnrolmentSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def release(self, request: Request, pk: Any = None) -> Response:
        data = validated(s.EnrolmentReleaseInputSerializer, request.data)
        enrolment = services.enrolment_release(actor=request.user, enrolment=self.get_object(), reason=data["reason"])
        return Response(s.EnrolmentSerializer(selectors.enrolment_get(actor=request.user, pk=enrolment.pk)).data)


class PoolLoansViewSet(VisibleObjectFirstMixin, viewsets.GenericViewSet):
    """Per pool: the loans a bank may still enrol, and the eligibility of one of them."""

    queryset = Pool.objects.none()
    permission_classes = [HasPermCode]
    filter_backends: list[Any] = []
    perm_codes = {"enrolable": perms.ENROL_LOAN, "eligibility": perms.ENROL_LOAN}

    def resolve_object(self, pk: Any) -> Pool:
        return pool_get(actor=self.request.user, pk=object_id(pk))

    @extend_schema(
        summary="Loans of your bank not yet enrolled, performing and with a balance",
        responses={200: s.EnrolableLoanSerializer(many=True), **errors(403, 404)},
    )
    @action(detail=True, methods=["get"], url_path="enrolable-loans")
    def enrolable(self, request: Request, pk: Any = None) -> Response:
        loans = selectors.enrolable_loans(actor=request.user, pool=self.get_object())
        page = self.paginate_queryset(loans)
        return self.get_paginated_response(s.EnrolableLoanSerializer(page, many=True).data)

    @extend_schema(
        summary="Whether a loan of your bank can be enrolled today, with every reason it cannot",
        parameters=[
            OpenApiParameter("loan", int, required=True, description="The loan (id)."),
            OpenApiParameter("category", str, enum=list(LoanCategory.values)),
            OpenApiParameter("guarantor", int),
            OpenApiParameter("insurer", int),
            OpenApiParameter("flags", str, many=True),
            OpenApiParameter("purpose", str),
        ],
        responses={200: s.EnrolmentEligibilitySerializer, **errors(400, 403, 404)},
    )
    @action(detail=True, methods=["get"])
    def eligibility(self, request: Request, pk: Any = None) -> Response:
        pool = self.get_object()
        params = {key: request.query_params.get(key) for key in ("category", "guarantor", "insurer", "purpose")}
        query = {k: v for k, v in params.items() if v not in (None, "")}
        flags = request.query_params.getlist("flags")
        if flags:
            query["flags"] = flags
        data = validated(s.EnrolmentTermsInputSerializer, query)
        loan = own_loan_or_error(request.user, loan=request.query_params.get("loan"))
        reasons = loan_eligibility(pool=pool, loan=loan, terms=enrolment_terms(data))
        return Response({"loan": loan.pk, "eligible": not reasons, "reasons": s.reasons_data(reasons)})
