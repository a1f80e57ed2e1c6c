"""Pages of the spreadsheet upload of receivables (creditors) and payables (debtors): the upload form with the
templates and recent uploads, the result of one upload with every rejected row, and the downloads (rejected rows
as .xlsx, templates in both languages as .xlsx or .csv)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from finbridge.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from finbridge.core.permissions import require_perm
from finbridge.enterprises import import_files
from finbridge.supplychain import permissions as perms
from finbridge.supplychain.forms_receivables import ReceivableImportForm
from finbridge.supplychain.selectors import receivables as selectors
from finbridge.supplychain.services import receivable_imports as import_services
from finbridge.supplychain.views._common import sc_page, xlsx_download
from finbridge.supplychain.views.abilities import trade_organizations

RECENT_RUNS = 20
ERRORS_PER_PAGE = 100
TEMPLATE_LANGUAGES = (("zh-hans", "简体中文"), ("en", "English"))


def _organizations(request: HttpRequest) -> list:
    require_perm(request.user, perms.TRADE)
    organizations = trade_organizations(request.user)
    if not organizations:
        raise PermissionDenied()
    return organizations


@sc_page
@require_http_methods(["GET", "POST"])
def receivable_import_view(request: HttpRequest) -> HttpResponse:
    """Upload receivables or payables from a spreadsheet (a dry run checks without saving); recent uploads."""
    organizations = _organizations(request)
    form = ReceivableImportForm(request.POST or None, request.FILES or None, organizations=organizations)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                run = import_services.receivable_import(
                    actor=request.user,
                    file_name=upload.name,
                    content=upload.read(settings.FINBRIDGE_IMPORT_MAX_BYTES + 1),
                    as_debtor=form.cleaned_data["as_debtor"],
                    dry_run=request.POST.get("dry_run") == "1",
                    organization=form.cleaned_data.get("organization"),
                )
            except (NotFound, PermissionDenied):
                raise
            except ValidationFailed as error:
                form.add_error("file", error.message)
            else:
                return redirect("supplychain:receivables-import-run", pk=run.pk)
    context = {
        "form": form,
        "runs": selectors.upload_run_list(actor=request.user).order_by("-created_at", "-id")[:RECENT_RUNS],
        "template_languages": TEMPLATE_LANGUAGES,
        "max_megabytes": settings.FINBRIDGE_IMPORT_MAX_BYTES // (1024 * 1024),
    }
    return render(request, "supplychain/receivables/import.html", context, status=status)


@sc_page
@require_http_methods(["GET", "POST"])
def receivable_import_run_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The result of one upload with every rejected row (line, column, value, reason); POST uploads the file of
    a dry run for real."""
    require_perm(request.user, perms.VIEW_SUPPLY_CHAIN)
    if request.method == "POST":
        _organizations(request)
        try:
            applied = import_services.receivable_import_run_apply(actor=request.user, pk=pk)
        except (ValidationFailed, Conflict) as error:
            messages.error(request, error.message)
            return redirect("supplychain:receivables-import-run", pk=pk)
        messages.success(request, _("The file was uploaded for real."))
        return redirect("supplychain:receivables-import-run", pk=applied.pk)
    run = selectors.upload_run_get(actor=request.user, pk=pk)
    page = Paginator(run.errors or [], ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        {**error, "column": import_services.column_title(error.get("field", ""), run.as_debtor)}
        for error in page.object_list
    ]
    return render(
        request,
        "supplychain/receivables/import_run.html",
        {
            "run": run,
            "page": page,
            "error_rows": rows,
            "rows_valid": max(run.rows_total - run.rows_rejected, 0),
            "can_apply": run.dry_run and import_files.stored_file_exists(run),
        },
    )


@sc_page
@require_GET
def receivable_import_report_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The rejected rows of an upload as .xlsx."""
    require_perm(request.user, perms.VIEW_SUPPLY_CHAIN)
    run = selectors.upload_run_get(actor=request.user, pk=pk)
    content = import_services.receivable_import_report(run)
    return xlsx_download(content, f"receivable-upload-{run.pk}-rejected-rows.xlsx")


@sc_page
@require_GET
def receivable_import_template_view(request: HttpRequest) -> HttpResponse:
    """A template (?as_debtor=1 for payables, ?lang=zh-hans|en, ?format=xlsx|csv)."""
    _organizations(request)
    default_language = "zh-hans" if (get_language() or "zh-hans").startswith("zh") else "en"
    file_format = request.GET.get("format", import_files.XLSX)
    try:
        content, file_name = import_services.receivable_import_template(
            as_debtor=request.GET.get("as_debtor") == "1",
            language=request.GET.get("lang", default_language),
            file_format=file_format,
        )
    except ValidationFailed as error:
        return HttpResponseBadRequest(error.message)
    return xlsx_download(content, file_name, file_format)
