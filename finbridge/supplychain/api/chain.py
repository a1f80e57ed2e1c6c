"""The chain-database API (/api/v1/supplychain/chain/…).

A core enterprise lists its suppliers (upstream) and distributors (downstream), one by one or by spreadsheet
(`imports/`: dry run, apply, rejected-rows report, templates in both languages); it recommends a partner to banks
it chooses (`partners/{id}/recommendations/`) and records transaction summaries about a partner
(`partners/{id}/summaries/`), which it may share with banks the partner gave its consent to. A bank lists the
recommendations sent to it (`recommendation-recipients/?as_funder=true`), marks them viewed, acts on them or
declines them; the core withdraws them. A bank lists the summaries shared with it (`summaries/`,
`summary-shares/`) while the partner's consent is live.

Views parse the request and call one service or selector of services/chain.py, services/chain_import.py and
selectors/chain.py, where every rule lives. A record the caller may not see answers 404 for every verb (detail
routes resolve it through the selectors before the permission code is checked); bad input answers 400 with
{"code", "message", "fields"} and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from finbridge.accounts.models import Organization
from finbridge.core.errors import PermissionDenied, ValidationFailed
from finbridge.enterprises import import_files
from finbridge.enterprises.selectors import parse_id
from finbridge.supplychain import permissions as perms
from finbridge.supplychain.api import serializers_chain as s
from finbridge.supplychain.api.common import (
    ID_PATH,
    PARSERS,
    SupplyChainPerm,
    VisibleObjectFirstMixin,
    errors,
    fields_of,
    id_list,
)
from finbridge.supplychain.api.receivables import download, template_language
from finbridge.supplychain.models.chain import (
    ChainDirection,
    ChainImportRun,
    ChainPartner,
    ChainPartnerStatus,
    FinancingRecommendation,
    RecommendationRecipient,
    RecommendationStatus,
    SummaryShare,
    TransactionSummary,
)
from finbridge.supplychain.selectors import chain as selectors
from finbridge.supplychain.services import chain as services
from finbridge.supplychain.services import chain_import

PARTNER_FIELDS = frozenset({*services.PARTNER_FIELDS, "core"})
SUMMARY_FIELDS = frozenset({*services.SUMMARY_FIELDS, "funders"})
MSG_CHOOSE_CORE = _("Choose the organisation you act for.")
MSG_BAD_FILTER = _("%(value)s is not an accepted value.")
XLSX = {(200, import_files.CONTENT_TYPES[import_files.XLSX]): OpenApiTypes.BINARY}
CHAIN_PARTNER_PARAMETER = OpenApiParameter("chain_partner", OpenApiTypes.INT, description="Only about this chain row.")


# ---- parsing helpers --------------------------------------------------------------------------------------------


def _flag(value: Any) -> bool:
    return str(value or "").strip().lower() in ("true", "1", "yes")


def _filter_id(request: Request, name: str) -> int | None:
    """An id from the query string, None when absent; ValidationFailed (code bad_filter) when it cannot be one."""
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    record_id = parse_id(raw)
    if record_id is None:
        message = str(MSG_BAD_FILTER) % {"value": str(raw)[:50]}
        raise ValidationFailed(message, code="bad_filter", fields={name: [message]})
    return record_id


def managed_core(actor: Any, raw: Any) -> Organization:
    """The core enterprise the caller acts for: the one given (an id of a core whose chain it manages) or its only
    one. ValidationFailed (organization_required) when it manages several and named none or gave a bad id;
    PermissionDenied (not_your_core) for a core it does not manage."""
    cores = selectors.managing_cores(actor=actor)
    if raw in (None, ""):
        if len(cores) == 1:
            return cores[0]
        if not cores:
            raise PermissionDenied(services.MSG_NOT_YOUR_CORE, code="not_your_core")
        raise ValidationFailed(MSG_CHOOSE_CORE, code="organization_required", fields={"core": [str(MSG_CHOOSE_CORE)]})
    core_id = parse_id(raw)
    if core_id is None:
        raise ValidationFailed(MSG_CHOOSE_CORE, code="organization_required", fields={"core": [str(MSG_CHOOSE_CORE)]})
    for core in cores:
        if core.pk == core_id:
            return core
    raise PermissionDenied(services.MSG_NOT_YOUR_CORE, code="not_your_core")


def _funder_ids(data: dict[str, Any]) -> list[Any]:
    return id_list(data, "funders")


def _group(rows: Any, key: str) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = {}
    for row in rows:
        grouped.setdefault(getattr(row, key), []).append(row)
    return grouped


def recipients_by_recommendation(actor: Any, recommendations: list[FinancingRecommendation]) -> dict[int, list[Any]]:
    """The recipient rows the caller may see of these recommendations, in one query."""
    ids = [recommendation.pk for recommendation in recommendations]
    rows = selectors.recommendation_recipient_list(actor=actor).filter(recommendation_id__in=ids)
    return _group(rows, "recommendation_id")


def shares_by_summary(actor: Any, summaries: list[TransactionSummary]) -> dict[int, list[Any]]:
    """The shares the caller may see of these summaries, in one query."""
    rows = selectors.summary_share_list(actor=actor).filter(summary_id__in=[summary.pk for summary in summaries])
    return _group(rows, "summary_id")


class _ChainViewSet(VisibleObjectFirstMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    lookup_value_regex = ID_PATH
    permission_classes = [SupplyChainPerm]
    parser_classes = PARSERS
    http_method_names = ["get", "post", "patch", "head", "options"]


# ---- chain partners ---------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Chain partners you may see: your core enterprise's chain, the rows listing your firm, all for the "
        "district authority (banks see partners only through recommendations and summaries)",
        parameters=[
            OpenApiParameter("core", OpenApiTypes.INT, description="Only the chain of this core enterprise."),
            OpenApiParameter("direction", str, enum=list(ChainDirection.values)),
            OpenApiParameter("status", str, enum=list(ChainPartnerStatus.values)),
            OpenApiParameter("q", str, description="Part of the partner's name, or its full credit code."),
        ],
        responses={200: s.ChainPartnerSerializer, **errors(400, 403)},
    ),
    retrieve=extend_schema(summary="One chain partner", responses={200: s.ChainPartnerSerializer, **errors(403, 404)}),
    create=extend_schema(
        summary="List a supplier (upstream) or distributor (downstream) in your chain database",
        description="The partner must be in the MSME registry (by credit code). A partner listed before and ended "
        "is listed again with the new values; one already active in that direction answers 409 "
        "chain_partner_exists.",
        request=s.ChainPartnerInputSerializer,
        responses={201: s.ChainPartnerSerializer, **errors(400, 403, 409)},
    ),
    partial_update=extend_schema(
        summary="Change an active listing's start date, annual volume or payment terms",
        request=s.ChainPartnerPatchSerializer,
        responses={200: s.ChainPartnerSerializer, **errors(400, 403, 404, 409)},
    ),
)
class ChainPartnerViewSet(_ChainViewSet):
    """The chain rows. Rows: selectors/chain.py (core, the partner itself, the district authority)."""

    queryset = ChainPartner.objects.none()
    serializer_class = s.ChainPartnerSerializer
    perm_codes = {
        "list": perms.VIEW_SUPPLY_CHAIN,
        "retrieve": perms.VIEW_SUPPLY_CHAIN,
        "create": perms.MANAGE_CHAIN,
        "partial_update": perms.MANAGE_CHAIN,
        "end": perms.MANAGE_CHAIN,
        "recommend": perms.MANAGE_CHAIN,
        "summarise": perms.MANAGE_CHAIN,
    }

    def get_queryset(self) -> Any:
        params = self.request.query_params
        return selectors.chain_partner_list(
            actor=self.request.user,
            core=params.get("core") or None,
            direction=params.get("direction") or "",
            status=params.get("status") or "",
            q=params.get("q") or "",
        )

    def resolve_object(self, pk: Any) -> ChainPartner:
        return selectors.chain_partner_get(actor=self.request.user, pk=pk)

    def _render(self, pk: Any, status_code: int = status.HTTP_200_OK) -> Response:
        partner = selectors.chain_partner_get(actor=self.request.user, pk=pk)
        return Response(self.get_serializer(partner).data, status=status_code)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = fields_of(request, PARTNER_FIELDS)
        core = managed_core(request.user, data.pop("core", None))
        partner = services.chain_partner_add(actor=request.user, core=core, data=data)
        return self._render(partner.pk, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = fields_of(request, frozenset(services.PARTNER_FIELDS))
        partner = services.chain_partner_edit(actor=request.user, partner=self.get_object(), data=data)
        return self._render(partner.pk)

    @extend_schema(
        summary="End an active listing (its recommendations and summaries are kept)",
        request=s.ChainPartnerEndInputSerializer,
        responses={200: s.ChainPartnerSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: Any = None) -> Response:
        data = fields_of(request, {"ended_on", "reason"})
        partner = services.chain_partner_end(
            actor=request.user,
            partner=self.get_object(),
            ended_on=data.get("ended_on"),
            reason=data.get("reason", ""),
        )
        return self._render(partner.pk)

    @extend_schema(
        summary="Recommend this partner for financing to banks you choose, with a note",
        description="Each bank is told and sees the recommendation (not who else received it).",
        request=s.RecommendationInputSerializer,
        responses={201: s.RecommendationSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="recommendations")
    def recommend(self, request: Request, pk: Any = None) -> Response:
        data = fields_of(request, {"funders", "note"})
        recommendation = services.recommendation_send(
            actor=request.user, partner=self.get_object(), funders=_funder_ids(data), note=data.get("note")
        )
        return render_recommendation(request, recommendation.pk, self.get_serializer_context(), status.HTTP_201_CREATED)

    @extend_schema(
        summary="Record a transaction summary about this partner; optionally share it at once with banks",
        description="Sharing needs, for every bank, the partner's live consent covering its figures (to the bank or "
        "its head office); otherwise 400 consent_required with one reason per bank, and nothing is saved.",
        request=s.TransactionSummaryInputSerializer,
        responses={201: s.TransactionSummarySerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="summaries")
    def summarise(self, request: Request, pk: Any = None) -> Response:
        data = fields_of(request, SUMMARY_FIELDS)
        funders = _funder_ids(data)
        data.pop("funders", None)
        summary = services.summary_create(
            actor=request.user, partner=self.get_object(), data=data, funders=funders or None
        )
        return render_summary(request, summary.pk, self.get_serializer_context(), status.HTTP_201_CREATED)


# ---- recommendations --------------------------------------------------------------------------------------------


def render_recommendation(
    request: Request, pk: Any, context: Mapping[str, Any], status_code: int = status.HTTP_200_OK
) -> Response:
    recommendation = selectors.recommendation_get(actor=request.user, pk=pk)
    context = {**context, "recipients": recipients_by_recommendation(request.user, [recommendation])}
    return Response(s.RecommendationSerializer(recommendation, context=context).data, status=status_code)


@extend_schema_view(
    list=extend_schema(
        summary="Financing recommendations you may see: your core's, those about your firm, those sent to your bank "
        "(with only your bank's copy), all for the district authority",
        parameters=[CHAIN_PARTNER_PARAMETER],
        responses={200: s.RecommendationSerializer, **errors(400, 403)},
    ),
    retrieve=extend_schema(
        summary="One recommendation with the recipients you may see (reading it does not mark it viewed)",
        responses={200: s.RecommendationSerializer, **errors(403, 404)},
    ),
)
class RecommendationViewSet(_ChainViewSet):
    queryset = FinancingRecommendation.objects.none()
    serializer_class = s.RecommendationSerializer
    perm_codes = {"list": perms.VIEW_SUPPLY_CHAIN, "retrieve": perms.VIEW_SUPPLY_CHAIN}

    def get_queryset(self) -> Any:
        queryset = selectors.recommendation_list(actor=self.request.user)
        partner_id = _filter_id(self.request, "chain_partner")
        return queryset if partner_id is None else queryset.filter(chain_partner_id=partner_id)

    def resolve_object(self, pk: Any) -> FinancingRecommendation:
        return selectors.recommendation_get(actor=self.request.user, pk=pk)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = list(self.paginate_queryset(self.get_queryset()) or [])
        context = {**self.get_serializer_context(), "recipients": recipients_by_recommendation(request.user, page)}
        return self.get_paginated_response(s.RecommendationSerializer(page, many=True, context=context).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return render_recommendation(request, self.get_object().pk, self.get_serializer_context())


@extend_schema_view(
    list=extend_schema(
        summary="Each bank's copy of the recommendations you may see; as_funder=true: your bank's inbox",
        parameters=[
            OpenApiParameter("status", str, enum=list(RecommendationStatus.values)),
            OpenApiParameter("as_funder", bool, description="true: only those sent to your bank (or its head office)."),
        ],
        responses={200: s.RecommendationInboxRowSerializer, **errors(400, 403)},
    ),
    retrieve=extend_schema(
        summary="One bank's copy of a recommendation",
        responses={200: s.RecommendationInboxRowSerializer, **errors(403, 404)},
    ),
)
class RecipientViewSet(_ChainViewSet):
    """One row per recommendation and bank: the bank marks it viewed, acts on it or declines it; the core withdraws
    it while the bank has not answered."""

    queryset = RecommendationRecipient.objects.none()
    serializer_class = s.RecommendationInboxRowSerializer
    perm_codes = {
        "list": perms.VIEW_SUPPLY_CHAIN,
        "retrieve": perms.VIEW_SUPPLY_CHAIN,
        "mark_viewed": perms.VIEW_SUPPLY_CHAIN,
        "act": perms.FUND,
        "decline": perms.FUND,
        "withdraw": perms.MANAGE_CHAIN,
    }

    def get_queryset(self) -> Any:
        params = self.request.query_params
        status_filter = params.get("status") or ""
        if _flag(params.get("as_funder")):
            return selectors.recommendation_inbox(actor=self.request.user, status=status_filter)
        return selectors.recommendation_recipient_list(actor=self.request.user, status=status_filter)

    def resolve_object(self, pk: Any) -> RecommendationRecipient:
        return selectors.recommendation_recipient_get(actor=self.request.user, pk=pk)

    def _render(self, pk: Any) -> Response:
        recipient = selectors.recommendation_recipient_get(actor=self.request.user, pk=pk)
        return Response(self.get_serializer(recipient).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        summary="Mark the recommendation viewed (your bank; the first view is recorded, later ones change nothing)",
        request=None,
        responses={200: s.RecommendationInboxRowSerializer, **errors(403, 404)},
    )
    @action(detail=True, methods=["post"], url_path="view")
    def mark_viewed(self, request: Request, pk: Any = None) -> Response:
        services.recommendation_mark_viewed(actor=request.user, recipient=self.get_object())
        return self._render(pk)

    @extend_schema(
        summary="Take the recommendation up (your bank), with an optional note; the core enterprise is told",
        request=s.RecommendationAnswerInputSerializer,
        responses={200: s.RecommendationInboxRowSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def act(self, request: Request, pk: Any = None) -> Response:
        data = fields_of(request, {"note"})
        services.recommendation_act(actor=request.user, recipient=self.get_object(), note=data.get("note", ""))
        return self._render(pk)

    @extend_schema(
        summary="Decline the recommendation (your bank), saying why; the core enterprise is told",
        request=s.RecommendationAnswerInputSerializer,
        responses={200: s.RecommendationInboxRowSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: Any = None) -> Response:
        data = fields_of(request, {"note"})
        services.recommendation_decline(actor=request.user, recipient=self.get_object(), note=data.get("note"))
        return self._render(pk)

    @extend_schema(
        summary="Withdraw the recommendation from this bank (the core enterprise, before the bank answers)",
        request=None,
        responses={200: s.RecommendationInboxRowSerializer, **errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: Any = None) -> Response:
        services.recommendation_withdraw(actor=request.user, recipient=self.get_object())
        return self._render(pk)


# ---- transaction summaries -------------------------------------------------------------------------------------


def render_summary(
    request: Request, pk: Any, context: Mapping[str, Any], status_code: int = status.HTTP_200_OK
) -> Response:
    summary = selectors.summary_get(actor=request.user, pk=pk)
    context = {**context, "shares": shares_by_summary(request.user, [summary])}
    return Response(s.TransactionSummarySerializer(summary, context=context).data, status=status_code)


@extend_schema_view(
    list=extend_schema(
        summary="Transaction summaries you may see: your core's, those about your firm, those shared with your bank "
        "while the partner's consent is live, all for the district authority",
        parameters=[CHAIN_PARTNER_PARAMETER],
        responses={200: s.TransactionSummarySerializer, **errors(400, 403)},
    ),
    retrieve=extend_schema(
        summary="One transaction summary with the shares you may see",
        responses={200: s.TransactionSummarySerializer, **errors(403, 404)},
    ),
)
class SummaryViewSet(_ChainViewSet):
    queryset = TransactionSummary.objects.none()
    serializer_class = s.TransactionSummarySerializer
    perm_codes = {"list": perms.VIEW_SUPPLY_CHAIN, "retrieve": perms.VIEW_SUPPLY_CHAIN, "share": perms.MANAGE_CHAIN}

    def get_queryset(self) -> Any:
        queryset = selectors.summary_list(actor=self.request.user)
        partner_id = _filter_id(self.request, "chain_partner")
        return queryset if partner_id is None else queryset.filter(chain_partner_id=partner_id)

    def resolve_object(self, pk: Any) -> TransactionSummary:
        return selectors.summary_get(actor=self.request.user, pk=pk)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = list(self.paginate_queryset(self.get_queryset()) or [])
        context = {**self.get_serializer_context(), "shares": shares_by_summary(request.user, page)}
        return self.get_paginated_response(s.TransactionSummarySerializer(page, many=True, context=context).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return render_summary(request, self.get_object().pk, self.get_serializer_context())

    @extend_schema(
        summary="Share the summary with more banks (each needs the partner's live consent covering its figures)",
        description="All or nothing: when a bank lacks the consent, the answer is 400 consent_required with one "
        "reason per bank in fields.funders, and nothing is shared. Banks already holding a live share keep it.",
        request=s.SummaryShareInputSerializer,
        responses={200: s.TransactionSummarySerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def share(self, request: Request, pk: Any = None) -> Response:
        data = fields_of(request, {"funders"})
        services.summary_share(actor=request.user, summary=self.get_object(), funders=_funder_ids(data))
        return render_summary(request, pk, self.get_serializer_context())


@extend_schema_view(
    list=extend_schema(
        summary="Shares of transaction summaries: your bank's (what was shared with it, while the partner's consent "
        "is live); every share, withdrawn ones too, of your core's summaries or those about your firm",
        parameters=[OpenApiParameter("summary", OpenApiTypes.INT, description="Only the shares of this summary.")],
        responses={200: s.SummaryShareRowSerializer, **errors(400, 403)},
    ),
    retrieve=extend_schema(summary="One share", responses={200: s.SummaryShareRowSerializer, **errors(403, 404)}),
)
class SummaryShareViewSet(_ChainViewSet):
    queryset = SummaryShare.objects.none()
    serializer_class = s.SummaryShareRowSerializer
    perm_codes = {"list": perms.VIEW_SUPPLY_CHAIN, "retrieve": perms.VIEW_SUPPLY_CHAIN, "withdraw": perms.MANAGE_CHAIN}

    def get_queryset(self) -> Any:
        queryset = selectors.summary_share_list(actor=self.request.user).select_related("summary__chain_partner__core")
        summary_id = _filter_id(self.request, "summary")
        return queryset if summary_id is None else queryset.filter(summary_id=summary_id)

    def resolve_object(self, pk: Any) -> SummaryShare:
        return selectors.summary_share_get(actor=self.request.user, pk=pk)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        summary="Stop sharing the summary with this bank (the core enterprise)",
        request=None,
        responses={200: s.SummaryShareRowSerializer, **errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: Any = None) -> Response:
        services.summary_unshare(actor=request.user, share=self.get_object())
        return Response(self.get_serializer(selectors.summary_share_get(actor=request.user, pk=pk)).data)


# ---- spreadsheet import ----------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Chain imports of the core enterprises whose chain you manage",
        responses={200: s.ChainImportRunSerializer, **errors(403)},
    ),
    retrieve=extend_schema(
        summary="One import with every rejected row",
        responses={200: s.ChainImportRunDetailSerializer, **errors(403, 404)},
    ),
)
class ChainImportViewSet(_ChainViewSet):
    """Spreadsheet imports of a chain database: upload (a dry run unless dry_run=false), apply, report, templates."""

    queryset = ChainImportRun.objects.none()
    serializer_class = s.ChainImportRunSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    http_method_names = ["get", "post", "head", "options"]
    perm_codes = dict.fromkeys(("list", "retrieve", "create", "apply", "report", "template"), perms.MANAGE_CHAIN)

    def get_queryset(self) -> Any:
        return selectors.chain_import_run_list(actor=self.request.user)

    def resolve_object(self, pk: Any) -> ChainImportRun:
        return selectors.chain_import_run_get(actor=self.request.user, pk=pk)

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # Download routes answer with files and errors with JSON: `?format=` names the file format there.
        if {"report", "template"} & set(getattr(self, "action_map", {}).values()):
            renderer = self.get_renderers()[0]
            return renderer, renderer.media_type
        return super().perform_content_negotiation(request, force)

    def _detail(self, run: ChainImportRun, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(
            s.ChainImportRunDetailSerializer(run, context=self.get_serializer_context()).data, status=status_code
        )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._detail(self.get_object())

    @extend_schema(
        summary="Upload a list of suppliers and distributors (.xlsx or .csv) — a dry run unless dry_run=false",
        description="Rows are matched by credit code and direction: new partners are created, listed ones updated "
        "(or listed again), unchanged ones counted; every bad row is reported (line, column, value, reason). A file "
        "that cannot be read at all answers 400 and nothing is written.",
        request={"multipart/form-data": s.ChainImportInputSerializer},
        responses={201: s.ChainImportRunDetailSerializer, **errors(400, 403)},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        upload = s.ChainImportInputSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        run = chain_import.chain_import(
            actor=request.user,
            core=managed_core(request.user, data.get("core")),
            file_name=data["file"].name,
            content=data["file"].read(settings.FINBRIDGE_IMPORT_MAX_BYTES + 1),
            dry_run=data["dry_run"],
        )
        return self._detail(selectors.chain_import_run_get(actor=request.user, pk=run.pk), status.HTTP_201_CREATED)

    @extend_schema(
        summary="Apply the file of an earlier run (normally a dry run) for real; answers the new run",
        request=None,
        responses={201: s.ChainImportRunDetailSerializer, **errors(400, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def apply(self, request: Request, pk: Any = None) -> Response:
        run = chain_import.chain_import_run_apply(actor=request.user, pk=self.get_object().pk)
        return self._detail(selectors.chain_import_run_get(actor=request.user, pk=run.pk), status.HTTP_201_CREATED)

    @extend_schema(summary="Download the rejected rows (.xlsx)", responses={**XLSX, **errors(403, 404)})
    @action(detail=True, methods=["get"])
    def report(self, request: Request, pk: Any = None) -> HttpResponse:
        run = self.get_object()
        return download(chain_import.chain_import_report(run), f"chain-import-{run.pk}-rejected-rows.xlsx", "xlsx")

    @extend_schema(
        summary="Download an import template, with column titles in Chinese or English",
        parameters=[
            OpenApiParameter("lang", str, enum=["zh-hans", "en"], description="Default: the request's language."),
            OpenApiParameter("format", str, enum=list(import_files.FORMATS), description="Default: xlsx."),
        ],
        responses={
            **XLSX,
            (200, import_files.CONTENT_TYPES[import_files.CSV]): OpenApiTypes.BINARY,
            **errors(400, 403),
        },
    )
    @action(detail=False, methods=["get"])
    def template(self, request: Request) -> HttpResponse:
        file_format = request.query_params.get("format") or import_files.XLSX
        # An unknown language or format is refused by the service (400), not replaced by the default.
        language = request.query_params.get("lang") or template_language(None)
        content, file_name = chain_import.chain_import_template(language=language, file_format=file_format)
        return download(content, file_name, file_format)
