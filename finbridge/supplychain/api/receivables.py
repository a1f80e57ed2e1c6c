"""The receivables API (/api/v1/supplychain/receivables/, /payables/, /receivable-imports/).

A supplier uploads receivables on a debtor (singly, with documents, or by spreadsheet); the debtor confirms or
disputes them (singly or all at once), uploads its own payables, issues a confirmed payable as a voucher and
records the payment. A receivable the caller may not see answers 404 for every verb: detail routes resolve it
through the selectors before the permission code is checked.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import FileResponse, HttpResponse
from django.utils.translation import get_language
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from finbridge.core.errors import NotFound
from finbridge.enterprises import import_files
from finbridge.supplychain import permissions as perms
from finbridge.supplychain.api import serializers_receivables as s
from finbridge.supplychain.api.common import (
    ID_PATH,
    PARSERS,
    SupplyChainPerm,
    VisibleObjectFirstMixin,
    errors,
    fields_of,
    id_list,
    request_fields,
)
from finbridge.supplychain.api.serializers_vouchers import VoucherSerializer
from finbridge.supplychain.choices import ReceivableStatus
from finbridge.supplychain.models import Receivable
from finbridge.supplychain.selectors import receivables as selectors
from finbridge.supplychain.services import confirmation as confirmation_services
from finbridge.supplychain.services import receivable_imports as import_services
from finbridge.supplychain.services import receivables as services
from finbridge.supplychain.services import settlement as settlement_services
from finbridge.supplychain.services import vouchers as voucher_services
from finbridge.supplychain.views.queries import payments_of

TERMS = frozenset(
    {"invoice_code", "invoice_number", "amount", "issued_on", "due_on", "contract_reference", "description"}
)
RECEIVABLE_FIELDS = TERMS | {"debtor", "debtor_uscc", "organization", "documents"}
PAYABLE_FIELDS = TERMS | {"creditor", "creditor_uscc", "organization", "documents"}
XLSX_RESPONSE = {(200, import_files.CONTENT_TYPES[import_files.XLSX]): OpenApiTypes.BINARY}
LIST_PARAMETERS = [
    OpenApiParameter("side", str, enum=list(selectors.SIDES), description="Your side: creditor or debtor."),
    OpenApiParameter("status", str, enum=list(ReceivableStatus.values)),
    OpenApiParameter("overdue", bool),
    OpenApiParameter("q", str, description="Invoice number, contract reference or a party's name."),
]


def _flag(value: Any) -> bool | None:
    text = str(value or "").strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    return None


def _documents(request: Request) -> list[Any]:
    return list(request.FILES.getlist("documents")) if hasattr(request, "FILES") else []


def _upload_arguments(request: Request, allowed: frozenset[str]) -> dict[str, Any]:
    data = fields_of(request, allowed)
    data.pop("documents", None)
    organization = data.pop("organization", None)
    return {"data": data, "documents": _documents(request), "organization": organization or None}


@extend_schema_view(
    list=extend_schema(
        summary="Receivables you may see: yours as creditor or debtor, those offered to your bank, all for the "
        "district authority",
        parameters=LIST_PARAMETERS,
        responses={200: s.ReceivableSerializer, **errors(403)},
    ),
    retrieve=extend_schema(
        summary="One receivable with its documents, confirmation and payments",
        responses={200: s.ReceivableDetailSerializer, **errors(403, 404)},
    ),
    create=extend_schema(
        summary="Upload a receivable on a debtor (it waits for the debtor's confirmation)",
        description="JSON, or multipart with `documents` files. The debtor must be an MSME or core enterprise on "
        "the platform, given by organisation id or credit code; the invoice must be new for the two parties.",
        request={"application/json": s.ReceivableInputSerializer, "multipart/form-data": s.ReceivableInputSerializer},
        responses={201: s.ReceivableDetailSerializer, **errors(400, 403)},
    ),
    partial_update=extend_schema(
        summary="Correct a receivable pending confirmation or disputed (a disputed one goes back to pending)",
        request=s.ReceivablePatchSerializer,
        responses={200: s.ReceivableDetailSerializer, **errors(400, 403, 404, 409)},
    ),
)
class ReceivableViewSet(
    VisibleObjectFirstMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Receivables. Rows: the selectors' visibility (creditor, debtor, funders asked, holders, authority)."""

    queryset = Receivable.objects.none()
    lookup_value_regex = ID_PATH
    serializer_class = s.ReceivableSerializer
    permission_classes = [SupplyChainPerm]
    parser_classes = PARSERS
    http_method_names = ["get", "post", "patch", "head", "options"]
    perm_codes = {
        "list": perms.VIEW_SUPPLY_CHAIN,
        "retrieve": perms.VIEW_SUPPLY_CHAIN,
        "document": perms.VIEW_SUPPLY_CHAIN,
        "create": perms.TRADE,
        "partial_update": perms.TRADE,
        "add_document": perms.TRADE,
        "withdraw": perms.TRADE,
        "confirm": perms.TRADE,
        "confirm_bulk": perms.TRADE,
        "dispute": perms.TRADE,
        "issue_voucher": perms.TRADE,
        "settle": perms.TRADE,
    }

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The document download answers with the file, whatever the client accepts.
        if getattr(self, "action_map", {}).get("get") == "document":
            renderer = self.get_renderers()[0]
            return renderer, renderer.media_type
        return super().perform_content_negotiation(request, force)

    def get_queryset(self) -> Any:
        params = self.request.query_params
        return selectors.receivable_list(
            actor=self.request.user,
            side=params.get("side") or None,
            status=params.get("status") or None,
            overdue=_flag(params.get("overdue")),
            search=(params.get("q") or "")[:100] or None,
        )

    def resolve_object(self, pk: Any) -> Receivable:
        return selectors.receivable_get(actor=self.request.user, pk=pk)

    def _render(self, pk: Any, status_code: int = status.HTTP_200_OK) -> Response:
        receivable = selectors.receivable_get(actor=self.request.user, pk=pk)
        context = {
            **self.get_serializer_context(),
            "payments": payments_of(actor=self.request.user, receivable=receivable),
        }
        return Response(s.ReceivableDetailSerializer(receivable, context=context).data, status=status_code)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._render(self.get_object().pk)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        receivable = services.receivable_create(actor=request.user, **_upload_arguments(request, RECEIVABLE_FIELDS))
        return self._render(receivable.pk, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        receivable = services.receivable_update(
            actor=request.user, pk=self.get_object().pk, data=request_fields(request)
        )
        return self._render(receivable.pk)

    @extend_schema(
        summary="Attach a document before the debtor confirms",
        request={"multipart/form-data": s.DocumentInputSerializer},
        responses={201: s.DocumentSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="documents", parser_classes=[MultiPartParser, FormParser])
    def add_document(self, request: Request, pk: Any = None) -> Response:
        document = services.receivable_document_add(
            actor=request.user, pk=self.get_object().pk, file=request.FILES.get("file")
        )
        return Response(
            s.DocumentSerializer(document, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Download one document of the receivable",
        parameters=[OpenApiParameter("document_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, **errors(403, 404)},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=rf"documents/(?P<document_id>{ID_PATH})",
        url_name="document",
        filter_backends=[],
    )
    def document(self, request: Request, pk: Any = None, document_id: str = "") -> FileResponse:
        receivable = self.get_object()
        found = next((d for d in receivable.documents.all() if str(d.pk) == str(document_id)), None)
        if found is None:
            raise NotFound()
        try:
            handle = found.file.open("rb")
        except OSError:
            raise NotFound() from None
        return FileResponse(handle, as_attachment=True, filename=found.name)

    @extend_schema(
        summary="Withdraw a receivable pending confirmation or disputed",
        request=None,
        responses={200: s.ReceivableDetailSerializer, **errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: Any = None) -> Response:
        return self._render(services.receivable_withdraw(actor=request.user, pk=self.get_object().pk).pk)

    @extend_schema(
        summary="Confirm a receivable as its debtor (irrevocable; records who, when and the content's fingerprint)",
        request=s.ConfirmInputSerializer,
        responses={200: s.ReceivableDetailSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: Any = None) -> Response:
        data = fields_of(request, {"fingerprint"})
        fingerprint = data.get("fingerprint")
        confirmation_services.receivable_confirm(
            actor=request.user, pk=self.get_object().pk, fingerprint=None if fingerprint in (None, "") else fingerprint
        )
        return self._render(pk)

    @extend_schema(
        summary="Confirm many receivables as their debtor, all or nothing",
        operation_id="supplychain_receivables_confirm_bulk",
        request=s.BulkConfirmInputSerializer,
        responses={200: s.BulkConfirmResultSerializer, **errors(400, 403)},
    )
    @action(detail=False, methods=["post"], url_path="confirm", url_name="confirm-bulk")
    def confirm_bulk(self, request: Request) -> Response:
        data = fields_of(request, {"ids", "organization"})
        count = confirmation_services.receivable_confirm_bulk(
            actor=request.user, ids=id_list(data, "ids"), organization=data.get("organization") or None
        )
        return Response({"confirmed": count})

    @extend_schema(
        summary="Dispute a receivable pending confirmation, with a reason",
        request=s.DisputeInputSerializer,
        responses={200: s.ReceivableDetailSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def dispute(self, request: Request, pk: Any = None) -> Response:
        data = fields_of(request, {"reason"})
        confirmation_services.receivable_dispute(actor=request.user, pk=self.get_object().pk, reason=data.get("reason"))
        return self._render(pk)

    @extend_schema(
        summary="Issue a confirmed payable as a transferable payment voucher (the debtor; held by the creditor)",
        request=None,
        responses={201: VoucherSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="issue-voucher")
    def issue_voucher(self, request: Request, pk: Any = None) -> Response:
        voucher = voucher_services.voucher_issue(actor=request.user, receivable_id=self.get_object().pk)
        return Response(
            VoucherSerializer(voucher, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Record the debtor's payment: to the funder of a financed receivable or part, else to its holder",
        request=s.SettleInputSerializer,
        responses={200: s.ReceivableDetailSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def settle(self, request: Request, pk: Any = None) -> Response:
        data = fields_of(request, {"paid_on", "reference"})
        settlement_services.receivable_settle(
            actor=request.user,
            pk=self.get_object().pk,
            paid_on=data.get("paid_on") or None,
            reference=data.get("reference") or "",
        )
        return self._render(pk)


class PayableView(APIView):
    """POST /payables/: a debtor records what it owes (created confirmed)."""

    permission_classes = [SupplyChainPerm]
    parser_classes = PARSERS
    perm_codes = {"post": perms.TRADE}

    @extend_schema(
        summary="Record, as the debtor, a payable to a creditor (it counts as confirmed)",
        request={"application/json": s.PayableInputSerializer, "multipart/form-data": s.PayableInputSerializer},
        responses={201: s.ReceivableDetailSerializer, **errors(400, 403)},
    )
    def post(self, request: Request) -> Response:
        receivable = services.payable_create(actor=request.user, **_upload_arguments(request, PAYABLE_FIELDS))
        fresh = selectors.receivable_get(actor=request.user, pk=receivable.pk)
        context = {"request": request, "payments": []}
        return Response(s.ReceivableDetailSerializer(fresh, context=context).data, status=status.HTTP_201_CREATED)


# ---- spreadsheet uploads --------------------------------------------------------------------------------------


def download(content: bytes, file_name: str, file_format: str) -> HttpResponse:
    response = HttpResponse(content, content_type=import_files.CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


def template_language(raw: Any) -> str:
    if raw in ("zh-hans", "en"):
        return raw
    return "zh-hans" if (get_language() or "zh-hans").startswith("zh") else "en"


@extend_schema_view(
    list=extend_schema(
        summary="Receivable and payable uploads of your organisations", responses={200: s.UploadRunSerializer}
    ),
    retrieve=extend_schema(
        summary="One upload with every rejected row", responses={200: s.UploadRunDetailSerializer, **errors(403, 404)}
    ),
)
class ReceivableImportViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Spreadsheet uploads of receivables (creditor) or payables (debtor, as_debtor)."""

    permission_classes = [SupplyChainPerm]
    perm_codes = {
        "list": perms.VIEW_SUPPLY_CHAIN,
        "retrieve": perms.VIEW_SUPPLY_CHAIN,
        "report": perms.VIEW_SUPPLY_CHAIN,
        "create": perms.TRADE,
        "apply": perms.TRADE,
        "template": perms.TRADE,
    }
    serializer_class = s.UploadRunSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self) -> Any:
        return selectors.upload_run_list(actor=self.request.user).order_by("-created_at", "-id")

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # Download routes answer with files and errors with JSON: `?format=` names the file format there.
        if {"report", "template"} & set(getattr(self, "action_map", {}).values()):
            renderer = self.get_renderers()[0]
            return renderer, renderer.media_type
        return super().perform_content_negotiation(request, force)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        run = selectors.upload_run_get(actor=request.user, pk=pk)
        return Response(s.UploadRunDetailSerializer(run, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Upload receivables (or, as_debtor, payables) from a spreadsheet",
        description="Multipart .xlsx or .csv with the template's columns. Good rows are kept and every bad one is "
        "reported (line, column, value, reason); duplicates of invoices in the file or already on the platform "
        "are rejected rows. With dry_run nothing is saved.",
        request={"multipart/form-data": s.UploadInputSerializer},
        responses={201: s.UploadRunDetailSerializer, **errors(400, 403)},
    )
    def create(self, request: Request) -> Response:
        upload = s.UploadInputSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        run = import_services.receivable_import(
            actor=request.user,
            file_name=data["file"].name,
            content=data["file"].read(settings.FINBRIDGE_IMPORT_MAX_BYTES + 1),
            as_debtor=data["as_debtor"],
            dry_run=data["dry_run"],
            organization=data.get("organization"),
        )
        fresh = selectors.upload_run_get(actor=request.user, pk=run.pk)
        body = s.UploadRunDetailSerializer(fresh, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Upload for real the file of an earlier dry run; answers the new run",
        request=None,
        responses={201: s.UploadRunDetailSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def apply(self, request: Request, pk: str | None = None) -> Response:
        run = import_services.receivable_import_run_apply(actor=request.user, pk=pk)
        fresh = selectors.upload_run_get(actor=request.user, pk=run.pk)
        body = s.UploadRunDetailSerializer(fresh, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Download the rejected rows (.xlsx)", responses={**XLSX_RESPONSE, **errors(403, 404)})
    @action(detail=True, methods=["get"])
    def report(self, request: Request, pk: str | None = None) -> HttpResponse:
        run = selectors.upload_run_get(actor=request.user, pk=pk)
        content = import_services.receivable_import_report(run)
        return download(content, f"receivable-upload-{run.pk}-rejected-rows.xlsx", import_files.XLSX)

    @extend_schema(
        summary="Download an upload template",
        parameters=[
            OpenApiParameter("as_debtor", bool, description="A template of payables (for debtors)."),
            OpenApiParameter("lang", str, enum=["zh-hans", "en"], description="Language of the column titles."),
            OpenApiParameter("format", str, enum=list(import_files.FORMATS), description="File format."),
        ],
        responses={
            **XLSX_RESPONSE,
            (200, import_files.CONTENT_TYPES[import_files.CSV]): OpenApiTypes.BINARY,
            **errors(400, 403),
        },
    )
    @action(detail=False, methods=["get"])
    def template(self, request: Request) -> HttpResponse:
        file_format = request.query_params.get("format", import_files.XLSX)
        content, file_name = import_services.receivable_import_template(
            as_debtor=bool(_flag(request.query_params.get("as_debtor"))),
            language=template_language(request.query_params.get("lang")),
            file_format=file_format,
        )
        return download(content, file_name, file_format if file_format in import_files.FORMATS else import_files.XLSX)
