"""The loans-ledger API: loans (/api/v1/loans/), their monthly status reports
(/api/v1/loans/{id}/status-reports/) and spreadsheet imports (/api/v1/loan-imports/).

Views only parse the request, call a selector or service, and serialise. A loan the caller may not see answers
404 for every verb: detail routes resolve it through the selectors before the permission code is checked.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from finbridge.accounts.models import Organization
from finbridge.core.api import HasPermCode
from finbridge.core.errors import ValidationFailed
from finbridge.enterprises import import_files
from finbridge.enterprises.api.views import PARSERS, VisibleObjectFirstMixin, errors, request_fields
from finbridge.enterprises.models import Enterprise
from finbridge.enterprises.validation import InvalidUSCC, normalize_uscc
from finbridge.financing import permissions as perms
from finbridge.financing.api import serializers_loans as s
from finbridge.financing.choices import LoanClassification, LoanSource
from finbridge.financing.models import Demand, Loan, LoanImportRun, Product
from finbridge.financing.selectors import loans as selectors
from finbridge.financing.services import loan_imports
from finbridge.financing.services import loans as services

MSG_CHOOSE_LENDER = _("Choose the lending bank office (id): one you record loans for.")
MSG_CHOOSE_BORROWER = _("Give the borrower's id or its unified social credit code.")
MSG_NO_ENTERPRISE = _("There is no enterprise with this id or credit code in the registry.")
MSG_NO_RECORD = _("There is no record with this id.")
MSG_CHOOSE_OFFICE = _("Choose the bank office you import for.")
XLSX_RESPONSE = {(200, import_files.CONTENT_TYPES[import_files.XLSX]): OpenApiTypes.BINARY}
# Output-only fields a client may send back unchanged: they are ignored.
LOAN_READ_ONLY = frozenset(set(s.LoanSerializer.Meta.fields) - set(s.LoanInputSerializer().fields))


def _field_error(name: str, message: Any) -> ValidationFailed:
    return ValidationFailed(message, fields={name: [str(message)]})


def _one_of(offices: list[Organization], pk: Any, name: str, message: Any) -> Organization:
    """The office with id `pk` among `offices`; the only one when `pk` is missing; ValidationFailed otherwise."""
    if pk in (None, ""):
        if len(offices) == 1:
            return offices[0]
        raise _field_error(name, message)
    number = selectors.parse_id(pk)
    match = [org for org in offices if org.pk == number]
    if not match:
        raise _field_error(name, message)
    return match[0]


def _record(model: Any, name: str, pk: Any) -> Any:
    if pk in (None, ""):
        return None
    number = selectors.parse_id(pk)
    found = model.objects.filter(pk=number).first() if number else None
    if found is None:
        raise _field_error(name, MSG_NO_RECORD)
    return found


def loan_arguments(actor: Any, data: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of loan_record from raw request fields: ids and credit codes resolved to records,
    every other value passed on as given (the service validates it)."""
    lender = _one_of(selectors.recording_offices(actor=actor), data.get("lender"), "lender", MSG_CHOOSE_LENDER)
    borrower = None
    if data.get("borrower") not in (None, ""):
        number = selectors.parse_id(data["borrower"])
        borrower = Enterprise.objects.filter(pk=number).first() if number else None
    elif data.get("borrower_uscc") not in (None, ""):
        try:
            borrower = Enterprise.objects.filter(uscc=normalize_uscc(str(data["borrower_uscc"]))).first()
        except InvalidUSCC as error:
            raise _field_error("borrower_uscc", error.message) from None
    else:
        raise _field_error("borrower", MSG_CHOOSE_BORROWER)
    if borrower is None:
        raise _field_error("borrower", MSG_NO_ENTERPRISE)
    return {
        "lender": lender,
        "borrower": borrower,
        "reference": data.get("reference"),
        "amount": data.get("amount"),
        "disbursed_on": data.get("disbursed_on"),
        "term_months": data.get("term_months"),
        "annual_rate": data.get("annual_rate"),
        "maturity_on": data.get("maturity_on"),
        "is_first_time": data.get("is_first_time"),
        "is_renewal": data.get("is_renewal", False),
        "is_renewal_without_repayment": data.get("is_renewal_without_repayment", False),
        "is_credit": data.get("is_credit", False),
        "demand": _record(Demand, "demand", data.get("demand")),
        "product": _record(Product, "product", data.get("product")),
    }


class LoanFilterSet(django_filters.FilterSet):
    """Parses the list's query parameters; the filtering itself is selectors.loan_list."""

    q = django_filters.CharFilter(
        method="ignore", max_length=100, help_text="Contract number or borrower name fragment, or a credit code."
    )
    lender = django_filters.NumberFilter(method="ignore", min_value=1, max_value=selectors.MAX_ID, decimal_places=0)
    bank = django_filters.NumberFilter(method="ignore", min_value=1, max_value=selectors.MAX_ID, decimal_places=0)
    borrower = django_filters.NumberFilter(method="ignore", min_value=1, max_value=selectors.MAX_ID, decimal_places=0)
    disbursed_from = django_filters.DateFilter(method="ignore")
    disbursed_to = django_filters.DateFilter(method="ignore")
    classification = django_filters.ChoiceFilter(method="ignore", choices=LoanClassification.choices)
    source = django_filters.ChoiceFilter(method="ignore", choices=LoanSource.choices)
    first_time = django_filters.BooleanFilter(method="ignore")
    renewal = django_filters.BooleanFilter(method="ignore")
    credit = django_filters.BooleanFilter(method="ignore")
    tech = django_filters.BooleanFilter(method="ignore")
    inclusive = django_filters.BooleanFilter(method="ignore")
    ordering = django_filters.ChoiceFilter(
        method="ignore", choices=[(key, key) for key in selectors.ORDERINGS], help_text="Default: -disbursed_on."
    )

    class Meta:
        model = Loan
        fields: list[str] = []

    def ignore(self, queryset: Any, name: str, value: Any) -> Any:
        return queryset

    def filter_queryset(self, queryset: Any) -> Any:
        data = self.form.cleaned_data
        filters = {name: data[name] for name in selectors.FILTER_NAMES if data.get(name) not in (None, "")}
        return selectors.loan_list(actor=self.request.user, filters=filters, ordering=data.get("ordering") or "")


@extend_schema_view(
    list=extend_schema(summary="Loans you may see", responses={200: s.LoanSerializer, **errors(400, 403)}),
    retrieve=extend_schema(summary="One loan", responses={200: s.LoanSerializer, **errors(403, 404)}),
    create=extend_schema(
        summary="Record a loan",
        description=(
            "The bank, maturity (when left out), first-time (when null), technology, size class, total credit and "
            "inclusive figures are derived. The borrower must have given the bank a consent in force, or the loan "
            "must fund a demand of the borrower the bank took up. 409 when the bank already has the contract number."
        ),
        request=s.LoanInputSerializer,
        responses={201: s.LoanSerializer, **errors(400, 403, 409)},
    ),
)
class LoanViewSet(VisibleObjectFirstMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The loans ledger. Rows: a bank office its loans (a head office those of its branches too), a firm its
    borrowings, government the loans of enterprises in its remit, the district authority all."""

    queryset = Loan.objects.none()
    lookup_value_regex = "[^/]+"
    serializer_class = s.LoanSerializer
    permission_classes = [HasPermCode]
    parser_classes = PARSERS
    filter_backends = [DjangoFilterBackend]
    filterset_class = LoanFilterSet
    perm_codes = {
        "list": perms.VIEW_LOAN,
        "retrieve": perms.VIEW_LOAN,
        "create": perms.RECORD_LOAN,
        "status_reports": perms.VIEW_LOAN,
        "report_status": perms.RECORD_LOAN,
    }

    def get_queryset(self) -> Any:
        return selectors.loan_visible_queryset(actor=self.request.user)

    def resolve_object(self, pk: Any) -> Loan:
        return selectors.loan_get(actor=self.request.user, pk=pk)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = {k: v for k, v in request_fields(request).items() if k not in LOAN_READ_ONLY}
        loan = services.loan_record(actor=request.user, **loan_arguments(request.user, data))
        fresh = selectors.loan_get(actor=request.user, pk=loan.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Monthly status reports of a loan, newest first",
        responses={200: s.StatusReportSerializer(many=True), **errors(403, 404)},
    )
    @action(detail=True, methods=["get"], url_path="status-reports", pagination_class=None, filter_backends=[])
    def status_reports(self, request: Request, pk: Any = None) -> Response:
        reports = selectors.status_report_list(actor=request.user, loan=self.get_object())
        return Response(s.StatusReportSerializer(reports, many=True).data)

    @extend_schema(
        summary="Report a loan's status for one month",
        description="One report per loan and month: a second report for the same month answers 409.",
        request=s.StatusReportInputSerializer,
        responses={201: s.StatusReportSerializer, **errors(400, 403, 404, 409)},
    )
    @status_reports.mapping.post
    def report_status(self, request: Request, pk: Any = None) -> Response:
        data = request_fields(request)
        report = services.loan_status_report(
            actor=request.user,
            loan=self.get_object(),
            month=data.get("month"),
            outstanding_balance=data.get("outstanding_balance"),
            classification=data.get("classification"),
        )
        return Response(s.StatusReportSerializer(report).data, status=status.HTTP_201_CREATED)


# ---- imports ------------------------------------------------------------------------------------------------------


def _download(content: bytes, file_name: str, file_format: str) -> HttpResponse:
    response = HttpResponse(content, content_type=import_files.CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


@extend_schema_view(
    list=extend_schema(
        summary="Loan import runs of your offices", responses={200: s.LoanImportRunSerializer(many=True)}
    ),
    retrieve=extend_schema(
        summary="One loan import run with the rows not imported",
        responses={200: s.LoanImportRunDetailSerializer, **errors(403, 404)},
    ),
)
class LoanImportViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Spreadsheet import of loans and monthly statuses. Every action needs financing.record_loan."""

    permission_classes = [HasPermCode]
    perm_codes = dict.fromkeys(("list", "retrieve", "create", "apply", "report", "template"), perms.RECORD_LOAN)
    serializer_class = s.LoanImportRunSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self) -> Any:
        return selectors.loan_import_run_list(actor=self.request.user)

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # Download routes answer with files and errors with JSON: `?format=` names the file format there.
        if {"report", "template"} & set(getattr(self, "action_map", {}).values()):
            renderer = self.get_renderers()[0]
            return renderer, renderer.media_type
        return super().perform_content_negotiation(request, force)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        run = selectors.loan_import_run_get(actor=request.user, pk=pk)
        return Response(s.LoanImportRunDetailSerializer(run, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Upload loans or monthly statuses",
        description=(
            "Multipart upload of an .xlsx or .csv file; kind is loans (default) or statuses. With dry_run (the "
            "default) nothing is saved and the run reports what would be created, already recorded and rejected; "
            "apply it later with POST /loan-imports/{id}/apply/. Loans are matched by contract number within the "
            "bank, statuses by contract number and month: importing a file twice creates nothing the second time."
        ),
        request={"multipart/form-data": s.LoanImportUploadSerializer},
        responses={201: s.LoanImportRunDetailSerializer, **errors(400, 403)},
    )
    def create(self, request: Request) -> Response:
        upload = s.LoanImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        office = _one_of(
            selectors.recording_offices(actor=request.user), data.get("organization"), "organization", MSG_CHOOSE_OFFICE
        )
        run = loan_imports.loan_import(
            actor=request.user,
            organization=office,
            kind=data["kind"],
            file_name=data["file"].name,
            content=data["file"].read(settings.FINBRIDGE_IMPORT_MAX_BYTES + 1),
            dry_run=data["dry_run"],
        )
        return self._created(run)

    def _created(self, run: LoanImportRun) -> Response:
        run = selectors.loan_import_run_get(actor=self.request.user, pk=run.pk)
        data = s.LoanImportRunDetailSerializer(run, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Apply the file of a dry run",
        request=None,
        responses={201: s.LoanImportRunDetailSerializer, **errors(400, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def apply(self, request: Request, pk: str | None = None) -> Response:
        return self._created(loan_imports.loan_import_run_apply(actor=request.user, pk=pk))

    @extend_schema(summary="Download the rows not imported (.xlsx)", responses={**XLSX_RESPONSE, **errors(403, 404)})
    @action(detail=True, methods=["get"])
    def report(self, request: Request, pk: str | None = None) -> HttpResponse:
        run = selectors.loan_import_run_get(actor=request.user, pk=pk)
        return _download(loan_imports.import_report(run), f"loan-import-{run.pk}-rows-not-imported.xlsx", "xlsx")

    @extend_schema(
        summary="Download an import template",
        parameters=[
            OpenApiParameter("kind", str, enum=list(loan_imports.KINDS), description="loans (default) or statuses."),
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
        default_language = "zh-hans" if (get_language() or "zh-hans").startswith("zh") else "en"
        file_format = request.query_params.get("format", import_files.XLSX)
        content, file_name = loan_imports.import_template(
            kind=request.query_params.get("kind", loan_imports.KIND_LOANS),
            language=request.query_params.get("lang", default_language),
            file_format=file_format,
        )
        return _download(content, file_name, file_format)
