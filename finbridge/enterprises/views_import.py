"""Pages of the bulk import: upload (dry run first), the result of a run, the error report, the template.

The flow works without JavaScript: upload → the dry-run result with counts and every bad row → "Apply
import" re-submits the stored file by run id → the applied result with a link to the error report.
A large file runs in the background: its result page shows the progress, polled by htmx every two seconds
(or refreshed by the browser every five without JavaScript), and turns into the report when the run ends.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRefresh

from finbridge.accounts.models import Organization
from finbridge.core.errors import Conflict, PermissionDenied, ValidationFailed
from finbridge.core.permissions import require_perm
from finbridge.enterprises import import_files
from finbridge.enterprises import permissions as perms
from finbridge.enterprises.choices import ImportStatus
from finbridge.enterprises.models import ImportRun
from finbridge.enterprises.selectors_import import (
    import_run_get,
    import_run_list,
    import_run_rows_done,
    importing_organizations,
)
from finbridge.enterprises.services import importing
from finbridge.enterprises.views import registry_page, wants_partial

RECENT_RUNS = 20
ERRORS_PER_PAGE = 100
TEMPLATE_LANGUAGES = (("zh-hans", "简体中文"), ("en", "English"))


class ImportUploadForm(forms.Form):
    """The upload: which organisation imports (when the user has several) and the file."""

    organization = forms.TypedChoiceField(label=gettext_lazy("Import for"), coerce=int)
    file = forms.FileField(
        label=gettext_lazy("Enterprise list (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv", "class": "form-control"}),
    )

    def __init__(self, *args: Any, organizations: list[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organizations = {org.pk: org for org in organizations}
        if len(organizations) == 1:
            del self.fields["organization"]
            return
        field = self.fields["organization"]
        field.choices = [(org.pk, org.display_name) for org in organizations]
        field.widget.attrs["class"] = "form-select"

    def selected_organization(self) -> Organization:
        if "organization" not in self.fields:
            return next(iter(self.organizations.values()))
        return self.organizations[self.cleaned_data["organization"]]


def _importing_organizations(request: HttpRequest) -> list[Organization]:
    require_perm(request.user, perms.IMPORT_ENTERPRISES)
    organizations = importing_organizations(actor=request.user)
    if not organizations:
        raise PermissionDenied()
    return organizations


def _read_upload(upload: Any) -> bytes:
    """At most one byte more than the limit: enough for the service to refuse an oversized file."""
    return upload.read(settings.FINBRIDGE_IMPORT_MAX_BYTES + 1)


@registry_page
@require_http_methods(["GET", "POST"])
def import_view(request: HttpRequest) -> HttpResponse:
    """Upload a list (checked by a dry run unless the user imports at once); recent runs; templates."""
    organizations = _importing_organizations(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None, organizations=organizations)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                run = importing.enterprise_import(
                    actor=request.user,
                    organization=form.selected_organization(),
                    file_name=upload.name,
                    content=_read_upload(upload),
                    dry_run=request.POST.get("dry_run", "1") != "0",
                )
            except ValidationFailed as error:
                form.add_error("file", error.message)
            else:
                return redirect("enterprises:import_run", pk=run.pk)
        status = 400
    context = {
        "form": form,
        "runs": import_run_list(actor=request.user)[:RECENT_RUNS],
        "template_languages": TEMPLATE_LANGUAGES,
        "max_megabytes": settings.FINBRIDGE_IMPORT_MAX_BYTES // (1024 * 1024),
        "columns": importing.COLUMNS,
        "required_fields": importing.REQUIRED_FIELDS,
    }
    return render(request, "enterprises/import.html", context, status=status)


@registry_page
@require_http_methods(["GET", "POST"])
def import_run_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The result of one run with every bad row (its progress while it runs in the background); POST applies
    the run's stored file for real."""
    _importing_organizations(request)
    if request.method == "POST":
        try:
            applied = importing.import_run_apply(actor=request.user, pk=pk)
        except (ValidationFailed, Conflict) as error:
            messages.error(request, error.message)
            return redirect("enterprises:import_run", pk=pk)
        if applied.status == ImportStatus.DONE:
            messages.success(request, _("The import was applied."))
        return redirect("enterprises:import_run", pk=applied.pk)
    run = import_run_get(actor=request.user, pk=pk)
    context: dict[str, Any] = {"run": run, "in_progress": _in_progress(run)}
    if context["in_progress"]:
        context["progress"] = _progress(run)
    else:
        page = Paginator(run.errors, ERRORS_PER_PAGE).get_page(request.GET.get("page"))
        context["page"] = page
        context["error_rows"] = [
            {**error, "column": importing.column_title(error["field"])} for error in page.object_list
        ]
        context["can_apply"] = run.dry_run and run.status == ImportStatus.DONE and import_files.stored_file_exists(run)
    return render(request, "enterprises/import_run.html", context)


@registry_page
@require_GET
def import_run_progress_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress box of a run in the background, polled by its page; once the run has ended, htmx is
    told to reload the page (which then shows the report) and a plain request is sent to it."""
    _importing_organizations(request)
    run = import_run_get(actor=request.user, pk=pk)
    if not _in_progress(run):
        if wants_partial(request):
            return HttpResponseClientRefresh()
        return redirect("enterprises:import_run", pk=run.pk)
    return render(request, "enterprises/partials/_import_progress.html", {"run": run, "progress": _progress(run)})


def _in_progress(run: ImportRun) -> bool:
    return run.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)


def _progress(run: ImportRun) -> dict[str, int]:
    done = import_run_rows_done(run)
    percent = done * 100 // run.rows_total if run.rows_total else 0
    return {"done": done, "total": run.rows_total, "percent": percent}


@registry_page
@require_GET
def import_report_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The bad rows of a run as an .xlsx download."""
    _importing_organizations(request)
    run = import_run_get(actor=request.user, pk=pk)
    return _download(importing.import_report(run), report_file_name(run), import_files.XLSX)


def report_file_name(run: ImportRun) -> str:
    return f"enterprise-import-{run.pk}-rejected-rows.xlsx"


@registry_page
@require_GET
def import_template_view(request: HttpRequest) -> HttpResponse:
    """The template to fill in, in the chosen language (?lang=zh-hans|en) and format (?format=xlsx|csv)."""
    _importing_organizations(request)
    default_language = "zh-hans" if (get_language() or "zh-hans").startswith("zh") else "en"
    file_format = request.GET.get("format", import_files.XLSX)
    try:
        content, file_name = importing.import_template(
            language=request.GET.get("lang", default_language), file_format=file_format
        )
    except ValidationFailed as error:
        return HttpResponseBadRequest(error.message)
    return _download(content, file_name, file_format)


def _download(content: bytes, file_name: str, file_format: str) -> HttpResponse:
    response = HttpResponse(content, content_type=import_files.CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response
