"""Pages of the loans ledger: the list with filters, a loan with its monthly status history and a report form,
recording a loan, and the spreadsheet import (upload, dry-run result, apply, report, template).

Views parse input, call a selector or service and render. NotFound answers 404, PermissionDenied 403;
ValidationFailed and Conflict come back as messages on the form (status 400 / 409).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from finbridge.core import pagination
from finbridge.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from finbridge.core.permissions import has_perm, require_perm
from finbridge.enterprises import import_files
from finbridge.enterprises.choices import SizeClass
from finbridge.enterprises.models import Enterprise
from finbridge.enterprises.validation import InvalidUSCC, normalize_uscc
from finbridge.enterprises.views import registry_page, wants_partial
from finbridge.financing import permissions as perms
from finbridge.financing.forms_loans import (
    LoanFilterForm,
    LoanForm,
    LoanImportForm,
    StatusReportForm,
    add_domain_errors,
)
from finbridge.financing.models import Loan
from finbridge.financing.selectors import loans as selectors
from finbridge.financing.services import loan_imports
from finbridge.financing.services import loans as services

PAGE_SIZE = 25
RECENT_RUNS = 20
ERRORS_PER_PAGE = 100
TEMPLATE_LANGUAGES = (("zh-hans", "简体中文"), ("en", "English"))


def _detail_url(loan: Loan) -> str:
    return reverse("financing:loans-detail", args=[loan.pk])


# ---- list -----------------------------------------------------------------------------------------------


@registry_page
@require_GET
def loan_list_view(request: HttpRequest) -> HttpResponse:
    """The loans the user may see, filtered; htmx requests get the results only."""
    require_perm(request.user, perms.VIEW_LOAN)
    form = LoanFilterForm(request.GET or None, lenders=list(selectors.lender_choices(actor=request.user)))
    filters, ordering = form.selector_arguments() if form.is_valid() else ({}, "")
    error = ""
    try:
        queryset = selectors.loan_list(actor=request.user, filters=filters, ordering=ordering)
    except DomainError as exc:
        queryset, error = Loan.objects.none(), exc.message
    page = pagination.CappedPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "count": min(page.paginator.count, pagination.COUNT_CAP),
        "count_capped": page.paginator.count_capped,
        "page_range": list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)),
        "search_error": error,
        "can_record": bool(selectors.recording_offices(actor=request.user)),
        "can_view_league": has_perm(request.user, perms.VIEW_LEAGUE_TABLE),
    }
    if wants_partial(request):
        return render(request, "financing/loans/partials/_results.html", context)
    return render(request, "financing/loans/list.html", context)


# ---- detail and monthly status ---------------------------------------------------------------------------


def _status_context(request: HttpRequest, loan: Loan, form: StatusReportForm | None = None) -> dict[str, Any]:
    """Everything the loan page and its status panel show."""
    size_labels = dict(SizeClass.choices)
    return {
        "loan": loan,
        "rate_percent": loan.annual_rate * 100,
        "size_label": size_labels.get(loan.borrower_size_class, ""),
        "inclusive_limit": services.INCLUSIVE_CREDIT_LIMIT,
        "reports": list(selectors.status_report_list(actor=request.user, loan=loan)),
        "can_report": has_perm(request.user, perms.RECORD_LOAN)
        and selectors.can_record_for(actor=request.user, lender=loan.lender),
        "status_form": form or StatusReportForm(auto_id="id_status_%s"),
    }


@registry_page
@require_GET
def loan_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One loan: its terms and flags, its current status and its monthly status history."""
    loan = selectors.loan_get(actor=request.user, pk=pk)
    return render(request, "financing/loans/detail.html", _status_context(request, loan))


@registry_page
@require_POST
def loan_report_status_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Report a month's status; htmx requests get the status panel back, others a redirect or the page."""
    loan = selectors.loan_get(actor=request.user, pk=pk)
    form = StatusReportForm(request.POST, auto_id="id_status_%s")
    status = 200
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.loan_status_report(
                actor=request.user,
                loan=loan,
                month=data["month"],
                outstanding_balance=data["outstanding_balance"],
                classification=data["classification"],
            )
        except (ValidationFailed, Conflict) as error:
            add_domain_errors(form, error)
            status = 409 if isinstance(error, Conflict) else 400
        else:
            messages.success(request, _("The monthly status was reported."))
            if not wants_partial(request):
                return redirect(_detail_url(loan))
            form = None
    else:
        status = 400
    loan = selectors.loan_get(actor=request.user, pk=pk)
    context = _status_context(request, loan, form)
    if wants_partial(request):
        return render(request, "financing/loans/partials/_status.html", context, status=status)
    return render(request, "financing/loans/detail.html", context, status=status)


# ---- record a loan --------------------------------------------------------------------------------------


def _recording_offices(request: HttpRequest) -> list:
    require_perm(request.user, perms.RECORD_LOAN)
    offices = selectors.recording_offices(actor=request.user)
    if not offices:
        raise PermissionDenied()
    return offices


def _borrower(form: LoanForm) -> Enterprise | None:
    code = form.cleaned_data.get("borrower_uscc") or ""
    if not code.strip():
        form.add_error("borrower_uscc", _("Enter the borrower's unified social credit code."))
        return None
    try:
        borrower = Enterprise.objects.filter(uscc=normalize_uscc(code)).first()
    except InvalidUSCC as error:
        form.add_error("borrower_uscc", error.message)
        return None
    if borrower is None:
        form.add_error("borrower_uscc", _("No enterprise with this credit code is in the registry."))
    return borrower


@registry_page
@require_http_methods(["GET", "POST"])
def loan_create_view(request: HttpRequest) -> HttpResponse:
    """Record a loan for one of the user's offices."""
    offices = _recording_offices(request)
    form = LoanForm(request.POST or None, offices=offices)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and (borrower := _borrower(form)) is not None:
            try:
                loan = services.loan_record(actor=request.user, borrower=borrower, **form.service_arguments())
            except (ValidationFailed, Conflict) as error:
                add_domain_errors(form, error)
                status = 409 if isinstance(error, Conflict) else 400
            else:
                messages.success(request, _("The loan %(reference)s was recorded.") % {"reference": loan.reference})
                return redirect(_detail_url(loan))
    return render(request, "financing/loans/form.html", {"form": form}, status=status)


# ---- import ------------------------------------------------------------------------------------------------


@registry_page
@require_http_methods(["GET", "POST"])
def loan_import_view(request: HttpRequest) -> HttpResponse:
    """Upload loans or monthly statuses (checked by a dry run unless imported at once); recent runs; templates."""
    offices = _recording_offices(request)
    form = LoanImportForm(request.POST or None, request.FILES or None, offices=offices)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                run = loan_imports.loan_import(
                    actor=request.user,
                    organization=form.selected_office(),
                    kind=form.cleaned_data["kind"],
                    file_name=upload.name,
                    content=upload.read(settings.FINBRIDGE_IMPORT_MAX_BYTES + 1),
                    dry_run=request.POST.get("dry_run", "1") != "0",
                )
            except ValidationFailed as error:
                form.add_error("file", error.message)
            else:
                return redirect("financing:loans-import-run", pk=run.pk)
    context = {
        "form": form,
        "runs": selectors.loan_import_run_list(actor=request.user)[:RECENT_RUNS],
        "template_languages": TEMPLATE_LANGUAGES,
        "kinds": [(kind, loan_imports.KIND_LABELS[kind]) for kind in loan_imports.KINDS],
        "columns": {kind: loan_imports.COLUMNS[kind] for kind in loan_imports.KINDS},
        "required": loan_imports.REQUIRED,
        "max_megabytes": settings.FINBRIDGE_IMPORT_MAX_BYTES // (1024 * 1024),
    }
    return render(request, "financing/loans/import.html", context, status=status)


@registry_page
@require_http_methods(["GET", "POST"])
def loan_import_run_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The result of one run with every row not imported; POST applies the run's stored file for real."""
    _recording_offices(request)
    if request.method == "POST":
        try:
            applied = loan_imports.loan_import_run_apply(actor=request.user, pk=pk)
        except ValidationFailed as error:
            messages.error(request, error.message)
            return redirect("financing:loans-import-run", pk=pk)
        messages.success(request, _("The import was applied."))
        return redirect("financing:loans-import-run", pk=applied.pk)
    run = selectors.loan_import_run_get(actor=request.user, pk=pk)
    page = Paginator(run.errors, ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "run": run,
        "kind_label": loan_imports.KIND_LABELS.get(run.kind, run.kind),
        "page": page,
        "error_rows": [
            {**error, "column": loan_imports.column_title(error["field"], run.kind)} for error in page.object_list
        ],
        "can_apply": run.dry_run and import_files.stored_file_exists(run),
    }
    return render(request, "financing/loans/import_run.html", context)


@registry_page
@require_GET
def loan_import_report_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The rows of a run that were not imported, as an .xlsx download."""
    _recording_offices(request)
    run = selectors.loan_import_run_get(actor=request.user, pk=pk)
    return _download(loan_imports.import_report(run), f"loan-import-{run.pk}-rows-not-imported.xlsx", "xlsx")


@registry_page
@require_GET
def loan_import_template_view(request: HttpRequest) -> HttpResponse:
    """A template (?kind=loans|statuses, ?lang=zh-hans|en, ?format=xlsx|csv)."""
    _recording_offices(request)
    default_language = "zh-hans" if (get_language() or "zh-hans").startswith("zh") else "en"
    file_format = request.GET.get("format", import_files.XLSX)
    try:
        content, file_name = loan_imports.import_template(
            kind=request.GET.get("kind", loan_imports.KIND_LOANS),
            language=request.GET.get("lang", default_language),
            file_format=file_format,
        )
    except ValidationFailed as error:
        return HttpResponseBadRequest(error.message)
    return _download(content, file_name, file_format)


def _download(content: bytes, file_name: str, file_format: str) -> HttpResponse:
    response = HttpResponse(content, content_type=import_files.CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response
