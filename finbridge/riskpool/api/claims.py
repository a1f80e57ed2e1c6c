"""The claim API: claims (/api/v1/riskpool/claims/) with evidence, review (approve, approve in part, reject,
return), resubmission and withdrawal, the payout preview, recoveries, and the owed amounts of a pool.

A bank sees only its own claims; a claim the caller may not see answers 404 for every verb.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import FileResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from finbridge.core.api import HasPermCode
from finbridge.core.errors import NotFound
from finbridge.riskpool import permissions as perms
from finbridge.riskpool.api import serializers_claims as s
from finbridge.riskpool.api.common import (
    MAX_ID,
    MSG_NO_LOAN,
    PARSERS,
    VisibleObjectFirstMixin,
    errors,
    field_error,
    object_id,
    own_loan_or_error,
    validated,
)
from finbridge.riskpool.choices import ClaimDocumentKind, ClaimStatus, OwedStatus
from finbridge.riskpool.models import Claim, OwedAmount, Pool, Recovery
from finbridge.riskpool.selectors import claims as selectors
from finbridge.riskpool.selectors.enrolment import enrolment_get
from finbridge.riskpool.selectors.pools import pool_get
from finbridge.riskpool.services import claims as services
from finbridge.riskpool.services.recoveries import recovery_report

UPLOAD_PARSERS = [MultiPartParser, FormParser, *PARSERS]
MULTIPART = "multipart/form-data"


def evidence(data: dict[str, Any]) -> list[Any]:
    """The uploaded files as services.claims.Evidence, all of the kind given (default: other)."""
    kind = data.get("document_kind") or ClaimDocumentKind.OTHER
    return [services.evidence_from_upload(kind, upload) for upload in data.get("documents") or ()]


def claim_detail_context(actor: Any, claim: Claim) -> dict[str, Any]:
    """Documents, timeline, payout, recoveries and allowed actions of a claim the actor sees."""
    return {
        "documents": list(selectors.claim_documents(actor=actor, claim=claim)),
        "events": list(selectors.claim_events(actor=actor, claim=claim)),
        "payout": selectors.claim_payout(actor=actor, claim=claim),
        "recoveries": list(selectors.recovery_list(actor=actor, claim=claim)),
        "actions": selectors.claim_actions(actor=actor, claim=claim),
    }


def _pool_filter(actor: Any, pk: Any) -> Pool | None:
    try:
        return pool_get(actor=actor, pk=pk)
    except NotFound:
        return None


class ClaimFilterSet(django_filters.FilterSet):
    """Parses the list's query parameters; the filtering itself is selectors.claim_list."""

    pool = django_filters.NumberFilter(method="ignore", min_value=1, max_value=MAX_ID, decimal_places=0)
    status = django_filters.ChoiceFilter(method="ignore", choices=ClaimStatus.choices)

    class Meta:
        model = Claim
        fields: list[str] = []

    def ignore(self, queryset: Any, name: str, value: Any) -> Any:
        return queryset

    def filter_queryset(self, queryset: Any) -> Any:
        data = self.form.cleaned_data
        actor = self.request.user
        pool = None
        if data.get("pool"):
            pool = _pool_filter(actor, int(data["pool"]))
            if pool is None:
                return queryset.none()
        return selectors.claim_list(actor=actor, pool=pool, status=data.get("status") or None)


@extend_schema_view(
    list=extend_schema(summary="Claims you may see", responses={200: s.ClaimSerializer(many=True)}),
    retrieve=extend_schema(
        summary="One claim with its evidence, timeline, payout (with the arithmetic) and recoveries",
        responses={200: s.ClaimDetailSerializer, **errors(404)},
    ),
    create=extend_schema(
        summary="File a claim on a covered, non-performing loan of your bank",
        description=(
            "Multipart: the enrolment (or the loan), the lost principal (at most the loan's outstanding balance), "
            "the lost interest, the day it became non-performing and at least one evidence file (PDF, image, OFD, "
            "Word, Excel or ZIP). 409 when the loan was already compensated or a claim on the default exists."
        ),
        request={MULTIPART: s.ClaimFilingInputSerializer},
        responses={201: s.ClaimDetailSerializer, **errors(400, 403, 409)},
    ),
)
class ClaimViewSet(
    VisibleObjectFirstMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Claims: the pool's authority sees every claim of its pools, a bank its own."""

    queryset = Claim.objects.none()
    serializer_class = s.ClaimSerializer
    permission_classes = [HasPermCode]
    parser_classes = UPLOAD_PARSERS
    filter_backends = [DjangoFilterBackend]
    filterset_class = ClaimFilterSet
    perm_codes = {
        "list": perms.VIEW_POOL,
        "retrieve": perms.VIEW_POOL,
        "create": perms.FILE_CLAIM,
        "add_documents": perms.FILE_CLAIM,
        "document": perms.VIEW_POOL,
        "resubmit": perms.FILE_CLAIM,
        "withdraw": perms.FILE_CLAIM,
        "approve": perms.REVIEW_CLAIM,
        "reject": perms.REVIEW_CLAIM,
        "return_claim": perms.REVIEW_CLAIM,
        "preview": perms.REVIEW_CLAIM,
        "recoveries": perms.VIEW_POOL,
        "report_recovery": perms.REPORT_RECOVERY,
    }

    def get_queryset(self) -> QuerySet[Claim]:
        return selectors.claim_list(actor=self.request.user)

    def resolve_object(self, pk: Any) -> Claim:
        return selectors.claim_get(actor=self.request.user, pk=object_id(pk))

    def _detail(self, claim: Claim, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.claim_get(actor=self.request.user, pk=claim.pk)
        context = {**self.get_serializer_context(), **claim_detail_context(self.request.user, fresh)}
        return Response(s.ClaimDetailSerializer(fresh, context=context).data, status=code)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._detail(self.get_object())

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(s.ClaimFilingInputSerializer, request.data)
        fields = {
            "lost_principal": data["lost_principal"],
            "lost_interest": data.get("lost_interest", 0),
            "defaulted_on": data["defaulted_on"],
            "description": data.get("description", ""),
            "documents": evidence(data),
        }
        if data.get("enrolment"):
            try:
                enrolment = enrolment_get(actor=request.user, pk=data["enrolment"])
            except NotFound:
                raise field_error("enrolment", MSG_NO_LOAN) from None
            claim = services.claim_file(actor=request.user, enrolment=enrolment, **fields)
        else:
            loan = own_loan_or_error(request.user, loan=data.get("loan"))
            claim = services.claim_file_for_loan(actor=request.user, loan=loan, **fields)
        return self._detail(claim, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Attach evidence to a submitted or returned claim",
        request={MULTIPART: s.ClaimDocumentsInputSerializer},
        responses={201: s.ClaimDocumentSerializer(many=True), **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="documents")
    def add_documents(self, request: Request, pk: Any = None) -> Response:
        data = validated(s.ClaimDocumentsInputSerializer, request.data)
        stored = services.claim_document_add(actor=request.user, claim=self.get_object(), documents=evidence(data))
        return Response(s.ClaimDocumentSerializer(stored, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Download an evidence document",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, **errors(404)},
    )
    @action(detail=True, methods=["get"], url_path=r"documents/(?P<document_pk>[0-9]+)", url_name="document")
    def document(self, request: Request, pk: Any = None, document_pk: Any = None) -> FileResponse:
        claim = self.get_object()
        found = selectors.claim_document_get(actor=request.user, pk=object_id(document_pk))
        if found.claim_id != claim.pk:
            raise NotFound()
        return document_response(found)

    @extend_schema(
        summary="Resubmit a returned claim (with changes or more evidence)",
        request={MULTIPART: s.ClaimResubmitInputSerializer},
        responses={200: s.ClaimDetailSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def resubmit(self, request: Request, pk: Any = None) -> Response:
        data = validated(s.ClaimResubmitInputSerializer, request.data)
        changes = {k: data[k] for k in ("lost_principal", "lost_interest", "defaulted_on", "description") if k in data}
        claim = services.claim_resubmit(
            actor=request.user, claim=self.get_object(), documents=evidence(data), **changes
        )
        return self._detail(claim)

    @extend_schema(
        summary="Withdraw a submitted or returned claim",
        request=s.ClaimWithdrawInputSerializer,
        responses={200: s.ClaimDetailSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: Any = None) -> Response:
        data = validated(s.ClaimWithdrawInputSerializer, request.data)
        claim = services.claim_withdraw(actor=request.user, claim=self.get_object(), reason=data.get("reason", ""))
        return self._detail(claim)

    @extend_schema(
        summary="Approve a claim, in full or in part",
        description=(
            "Without amounts the claim is approved in full. With a lower principal and/or interest it is approved "
            "in part and needs a reason. The payout is computed by the loan's rule version; what the pool's cash "
            "cannot pay is owed. A claim is paid at most once: 409 on a second approval."
        ),
        request=s.ClaimApproveInputSerializer,
        responses={200: s.ClaimDetailSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: Any = None) -> Response:
        data = validated(s.ClaimApproveInputSerializer, request.data)
        services.claim_approve(
            actor=request.user,
            claim=self.get_object(),
            principal=data.get("principal"),
            interest=data.get("interest"),
            reason=data.get("reason", ""),
        )
        return self._detail(self.get_object())

    @extend_schema(
        summary="Reject a claim (final), with a reason",
        request=s.ClaimReasonInputSerializer,
        responses={200: s.ClaimDetailSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: Any = None) -> Response:
        data = validated(s.ClaimReasonInputSerializer, request.data)
        claim = services.claim_reject(actor=request.user, claim=self.get_object(), reason=data["reason"])
        return self._detail(claim)

    @extend_schema(
        summary="Return a claim to the bank for more information, with a reason",
        request=s.ClaimReasonInputSerializer,
        responses={200: s.ClaimDetailSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_claim(self, request: Request, pk: Any = None) -> Response:
        data = validated(s.ClaimReasonInputSerializer, request.data)
        claim = services.claim_return(actor=request.user, claim=self.get_object(), reason=data["reason"])
        return self._detail(claim)

    @extend_schema(
        summary="What approving the claim would pay today (reviewers), with the arithmetic",
        parameters=[
            OpenApiParameter("principal", str, description="Accepted lost principal (default: as claimed)."),
            OpenApiParameter("interest", str, description="Accepted lost interest (default: as claimed)."),
        ],
        responses={200: s.PayoutBreakdownSerializer, **errors(400, 403, 404)},
    )
    @action(detail=True, methods=["get"], url_path="payout-preview")
    def preview(self, request: Request, pk: Any = None) -> Response:
        query = {k: v for k in ("principal", "interest") if (v := request.query_params.get(k)) not in (None, "")}
        data = validated(s.ClaimApproveInputSerializer, query)
        breakdown = selectors.claim_payout_preview(
            actor=request.user, claim=self.get_object(), principal=data.get("principal"), interest=data.get("interest")
        )
        from finbridge.riskpool.sharing import render_steps

        return Response(s.breakdown_data(breakdown, render_steps(breakdown.steps)))

    @extend_schema(
        summary="Recoveries reported on a claim",
        responses={200: s.PoolRecoverySerializer(many=True), **errors(404)},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def recoveries(self, request: Request, pk: Any = None) -> Response:
        found = selectors.recovery_list(actor=request.user, claim=self.get_object())
        return Response(s.PoolRecoverySerializer(found, many=True).data)

    @extend_schema(
        summary="Report money recovered after the payout; the pool's share comes back to the pool",
        request=s.PoolRecoveryInputSerializer,
        responses={201: s.PoolRecoverySerializer, **errors(400, 403, 404, 409)},
    )
    @recoveries.mapping.post
    def report_recovery(self, request: Request, pk: Any = None) -> Response:
        data = validated(s.PoolRecoveryInputSerializer, request.data)
        recovery = recovery_report(actor=request.user, claim=self.get_object(), **data)
        return Response(s.PoolRecoverySerializer(recovery).data, status=status.HTTP_201_CREATED)


def document_response(document: Any) -> FileResponse:
    """An evidence document as a download (its original name)."""
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise NotFound() from None
    return FileResponse(handle, as_attachment=True, filename=document.name)


class PoolFilterSet(django_filters.FilterSet):
    pool = django_filters.NumberFilter(method="ignore", min_value=1, max_value=MAX_ID, decimal_places=0)

    class Meta:
        model = Recovery
        fields: list[str] = []

    def ignore(self, queryset: Any, name: str, value: Any) -> Any:
        return queryset

    def pool_of(self) -> tuple[bool, Pool | None]:
        pk = self.form.cleaned_data.get("pool")
        if not pk:
            return True, None
        pool = _pool_filter(self.request.user, int(pk))
        return pool is not None, pool


class RecoveryFilterSet(PoolFilterSet):
    def filter_queryset(self, queryset: Any) -> Any:
        ok, pool = self.pool_of()
        return selectors.recovery_list(actor=self.request.user, pool=pool) if ok else queryset.none()


@extend_schema_view(
    list=extend_schema(summary="Recoveries you may see", responses={200: s.PoolRecoverySerializer(many=True)}),
    retrieve=extend_schema(summary="One recovery", responses={200: s.PoolRecoverySerializer, **errors(404)}),
)
class RecoveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Recoveries of the claims the caller may see."""

    queryset = Recovery.objects.none()
    serializer_class = s.PoolRecoverySerializer
    permission_classes = [HasPermCode]
    filter_backends = [DjangoFilterBackend]
    filterset_class = RecoveryFilterSet
    perm_codes = {"list": perms.VIEW_POOL, "retrieve": perms.VIEW_POOL}

    def get_queryset(self) -> QuerySet[Recovery]:
        return selectors.recovery_list(actor=self.request.user)

    def get_object(self) -> Recovery:
        found = self.get_queryset().filter(pk=object_id(self.kwargs["pk"])).first()
        if found is None:
            raise NotFound()
        return found


class OwedFilterSet(django_filters.FilterSet):
    pool = django_filters.NumberFilter(method="ignore", min_value=1, max_value=MAX_ID, decimal_places=0, required=True)
    status = django_filters.ChoiceFilter(method="ignore", choices=OwedStatus.choices)

    class Meta:
        model = OwedAmount
        fields: list[str] = []

    def ignore(self, queryset: Any, name: str, value: Any) -> Any:
        return queryset

    def filter_queryset(self, queryset: Any) -> Any:
        data = self.form.cleaned_data
        pool = _pool_filter(self.request.user, int(data["pool"]))
        if pool is None:
            return queryset.none()
        wanted = data.get("status") or ""
        qs = selectors.owed_queue(actor=self.request.user, pool=pool, include_settled=wanted != OwedStatus.OPEN)
        return qs.filter(status=wanted) if wanted else qs


@extend_schema_view(
    list=extend_schema(
        summary="What a pool owes banks, in the order it will be settled (oldest first)",
        responses={200: s.OwedAmountSerializer(many=True), 400: OpenApiResponse(description="No pool given.")},
    )
)
class OwedViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Owed amounts of a pool: its authority sees them all, a bank its own."""

    queryset = OwedAmount.objects.none()
    serializer_class = s.OwedAmountSerializer
    permission_classes = [HasPermCode]
    filter_backends = [DjangoFilterBackend]
    filterset_class = OwedFilterSet
    perm_codes = {"list": perms.VIEW_POOL}
