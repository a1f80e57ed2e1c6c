"""Pages of the chain databases: the list (htmx filtering), a listing with its recommendations and summaries,
add / edit / end, recommending a partner to funders and the funders' answers, transaction summaries and their
sharing, and the spreadsheet import (upload, dry-run result, apply, report, templates in both languages).

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
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from finbridge.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from finbridge.core.permissions import require_perm
from finbridge.enterprises import import_files
from finbridge.enterprises.views import registry_page, wants_partial
from finbridge.supplychain import permissions as perms
from finbridge.supplychain.forms_chain import (
    ChainFilterForm,
    ChainImportForm,
    ChainPartnerEditForm,
    ChainPartnerEndForm,
    ChainPartnerForm,
    FunderChoiceForm,
    RecommendationAnswerForm,
    RecommendationForm,
    SummaryForm,
    add_domain_errors,
)
from finbridge.supplychain.models.chain import ChainPartner, RecommendationRecipient, RecommendationStatus
from finbridge.supplychain.selectors import chain as selectors
from finbridge.supplychain.services import chain as services
from finbridge.supplychain.services import chain_import

PAGE_SIZE = 25
RECENT_RUNS = 20
ERRORS_PER_PAGE = 100
TEMPLATE_LANGUAGES = (("zh-hans", "简体中文"), ("en", "English"))
OPEN_STATUSES = (RecommendationStatus.SENT, RecommendationStatus.VIEWED)


def _status_for(error: DomainError) -> int:
    return 409 if isinstance(error, Conflict) else 400


def _funders() -> list[Any]:
    return list(selectors.funder_choices())


# ---- the chain list ---------------------------------------------------------------------------------------


@registry_page
@require_GET
def chain_list_view(request: HttpRequest) -> HttpResponse:
    """The chain rows the user may see, filtered; htmx requests get the results only."""
    require_perm(request.user, perms.VIEW_SUPPLY_CHAIN)
    form = ChainFilterForm(request.GET or None)
    error = ""
    try:
        queryset = selectors.chain_partner_list(actor=request.user, **form.selector_arguments())
    except DomainError as exc:
        queryset, error = ChainPartner.objects.none(), exc.message
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    scope = selectors.chain_scope(actor=request.user)
    context = {
        "form": form,
        "page": page,
        "search_error": error,
        "can_manage": bool(selectors.managing_cores(actor=request.user)),
        "is_funder": bool(scope.funder_ids),
    }
    if wants_partial(request):
        return render(request, "supplychain/chain/partials/_results.html", context)
    return render(request, "supplychain/chain/list.html", context)


@registry_page
@require_http_methods(["GET", "POST"])
def chain_partner_create_view(request: HttpRequest) -> HttpResponse:
    """Add a supplier or distributor to the user's chain database."""
    require_perm(request.user, perms.MANAGE_CHAIN)
    cores = selectors.managing_cores(actor=request.user)
    if not cores:
        raise PermissionDenied()
    form = ChainPartnerForm(request.POST or None, cores=cores)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                partner = services.chain_partner_add(
                    actor=request.user, core=form.selected_core(), data=form.service_data()
                )
            except (ValidationFailed, Conflict) as error:
                add_domain_errors(form, error)
                status = _status_for(error)
            else:
                messages.success(request, _("The partner was added to your chain."))
                return redirect("supplychain:chain-detail", pk=partner.pk)
        else:
            status = 400
    return render(request, "supplychain/chain/form.html", {"form": form, "partner": None}, status=status)


# ---- one listing ------------------------------------------------------------------------------------------


def _detail_context(request: HttpRequest, partner: ChainPartner, **forms: Any) -> dict[str, Any]:
    can_manage = selectors.can_manage_chain_partner(actor=request.user, partner=partner)
    recommendations = list(selectors.recommendation_list(actor=request.user, partner=partner))
    recipients = selectors.recommendation_recipient_list(actor=request.user).filter(
        recommendation__chain_partner=partner
    )
    by_recommendation: dict[int, list[RecommendationRecipient]] = {}
    for recipient in recipients:
        by_recommendation.setdefault(recipient.recommendation_id, []).append(recipient)
    summaries = list(selectors.summary_list(actor=request.user, partner=partner))
    shares = selectors.summary_share_list(actor=request.user).filter(summary__chain_partner=partner)
    by_summary: dict[int, list[Any]] = {}
    for share in shares:
        by_summary.setdefault(share.summary_id, []).append(share)
    return {
        "partner": partner,
        "can_manage": can_manage and partner.is_active(),
        "can_manage_any": can_manage,
        "recommendations": [(r, by_recommendation.get(r.pk, [])) for r in recommendations],
        "summaries": [(s, by_summary.get(s.pk, [])) for s in summaries],
        "end_form": forms.get("end_form") or ChainPartnerEndForm(),
        "open_statuses": OPEN_STATUSES,
    }


@registry_page
@require_GET
def chain_partner_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One listing: the partner, the terms, its recommendations and transaction summaries."""
    partner = selectors.chain_partner_get(actor=request.user, pk=pk)
    return render(request, "supplychain/chain/detail.html", _detail_context(request, partner))


@registry_page
@require_http_methods(["GET", "POST"])
def chain_partner_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a listing's start date, volume and payment terms."""
    partner = selectors.chain_partner_get(actor=request.user, pk=pk)
    if not selectors.can_manage_chain_partner(actor=request.user, partner=partner):
        raise PermissionDenied()
    initial = {
        "since": partner.since.isoformat(),
        "annual_volume": partner.annual_volume,
        "payment_terms_days": "" if partner.payment_terms_days is None else partner.payment_terms_days,
        "payment_terms": partner.payment_terms,
    }
    form = ChainPartnerEditForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.chain_partner_edit(actor=request.user, partner=partner, data=form.service_data())
            except (ValidationFailed, Conflict) as error:
                add_domain_errors(form, error)
                status = _status_for(error)
            else:
                messages.success(request, _("The listing was saved."))
                return redirect("supplychain:chain-detail", pk=partner.pk)
        else:
            status = 400
    return render(request, "supplychain/chain/form.html", {"form": form, "partner": partner}, status=status)


@registry_page
@require_POST
def chain_partner_end_view(request: HttpRequest, pk: int) -> HttpResponse:
    """End a listing (the form sits on the listing's page)."""
    partner = selectors.chain_partner_get(actor=request.user, pk=pk)
    form = ChainPartnerEndForm(request.POST)
    form.is_valid()
    try:
        services.chain_partner_end(
            actor=request.user,
            partner=partner,
            ended_on=form.cleaned_data.get("ended_on"),
            reason=form.cleaned_data.get("reason", ""),
        )
    except (ValidationFailed, Conflict) as error:
        add_domain_errors(form, error)
        context = _detail_context(request, partner, end_form=form)
        return render(request, "supplychain/chain/detail.html", context, status=_status_for(error))
    messages.success(request, _("The listing was ended."))
    return redirect("supplychain:chain-detail", pk=partner.pk)


# ---- recommendations ----------------------------------------------------------------------------------------


@registry_page
@require_http_methods(["GET", "POST"])
def recommendation_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Recommend a partner to chosen funders, with a note."""
    partner = selectors.chain_partner_get(actor=request.user, pk=pk)
    if not selectors.can_manage_chain_partner(actor=request.user, partner=partner):
        raise PermissionDenied()
    form = RecommendationForm(request.POST or None, funders=_funders())
    status = 200
    if request.method == "POST":
        form.is_valid()
        try:
            recommendation = services.recommendation_send(
                actor=request.user,
                partner=partner,
                funders=form.cleaned_data.get("funders", []),
                note=form.cleaned_data.get("note", ""),
            )
        except (ValidationFailed, Conflict) as error:
            add_domain_errors(form, error)
            status = _status_for(error)
        else:
            messages.success(request, _("The recommendation was sent."))
            return redirect("supplychain:chain-recommendation-detail", pk=recommendation.pk)
    context = {"form": form, "partner": partner}
    return render(request, "supplychain/chain/recommend.html", context, status=status)


@registry_page
@require_GET
def recommendation_list_view(request: HttpRequest) -> HttpResponse:
    """Recommendations: a funder's inbox (its own rows), or every visible recommendation with its recipients."""
    require_perm(request.user, perms.VIEW_SUPPLY_CHAIN)
    status = request.GET.get("status", "")
    try:
        rows = selectors.recommendation_recipient_list(actor=request.user, status=status)
    except ValidationFailed:
        rows = selectors.recommendation_recipient_list(actor=request.user)
        status = ""
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "status": status, "statuses": RecommendationStatus.choices}
    return render(request, "supplychain/chain/recommendations.html", context)


def _recommendation_context(request: HttpRequest, recommendation: Any, **extra: Any) -> dict[str, Any]:
    recipients = list(selectors.recommendation_recipient_list(actor=request.user, recommendation=recommendation))
    partner = recommendation.chain_partner
    answerable = {
        recipient.pk
        for recipient in recipients
        if recipient.status in OPEN_STATUSES
        and selectors.acting_funders(actor=request.user, recipient_funder=recipient.funder, code=perms.FUND)
    }
    return {
        "recommendation": recommendation,
        "partner": partner,
        "recipients": recipients,
        "answerable": answerable,
        "can_withdraw": selectors.can_manage_chain_partner(actor=request.user, partner=partner),
        "open_statuses": OPEN_STATUSES,
        "answer_form": extra.get("answer_form") or RecommendationAnswerForm(),
        "blank_answer_form": RecommendationAnswerForm(),
        "answer_error_for": extra.get("answer_error_for"),
    }


@registry_page
@require_GET
def recommendation_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One recommendation. When a member of a recipient funder opens it, it is marked viewed for that funder."""
    recommendation = selectors.recommendation_get(actor=request.user, pk=pk)
    for recipient in selectors.recommendation_recipient_list(actor=request.user, recommendation=recommendation):
        if recipient.status == RecommendationStatus.SENT and selectors.acting_funders(
            actor=request.user, recipient_funder=recipient.funder, code=perms.VIEW_SUPPLY_CHAIN
        ):
            services.recommendation_mark_viewed(actor=request.user, recipient=recipient)
    context = _recommendation_context(request, recommendation)
    return render(request, "supplychain/chain/recommendation_detail.html", context)


@registry_page
@require_POST
def recommendation_answer_view(request: HttpRequest, pk: int, verb: str) -> HttpResponse:
    """A funder acts on or declines a recommendation; the core withdraws it from one funder."""
    recipient = selectors.recommendation_recipient_get(actor=request.user, pk=pk)
    form = RecommendationAnswerForm(request.POST)
    form.is_valid()
    note = form.cleaned_data.get("note", "")
    try:
        if verb == "act":
            services.recommendation_act(actor=request.user, recipient=recipient, note=note)
        elif verb == "decline":
            services.recommendation_decline(actor=request.user, recipient=recipient, note=note)
        elif verb == "withdraw":
            services.recommendation_withdraw(actor=request.user, recipient=recipient)
        else:
            raise NotFound()
    except (ValidationFailed, Conflict) as error:
        add_domain_errors(form, error)
        context = _recommendation_context(
            request, recipient.recommendation, answer_form=form, answer_error_for=recipient.pk
        )
        return render(request, "supplychain/chain/recommendation_detail.html", context, status=_status_for(error))
    messages.success(request, _("Your answer was recorded."))
    return redirect("supplychain:chain-recommendation-detail", pk=recipient.recommendation_id)


# ---- transaction summaries ----------------------------------------------------------------------------------


@registry_page
@require_http_methods(["GET", "POST"])
def summary_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a transaction summary about a partner, and share it at once with funders the partner consented to."""
    partner = selectors.chain_partner_get(actor=request.user, pk=pk)
    if not selectors.can_manage_chain_partner(actor=request.user, partner=partner):
        raise PermissionDenied()
    form = SummaryForm(request.POST or None, funders=_funders())
    status = 200
    if request.method == "POST":
        form.is_valid()
        try:
            summary = services.summary_create(
                actor=request.user,
                partner=partner,
                data=form.service_data(),
                funders=form.cleaned_data.get("funders") or None,
            )
        except (ValidationFailed, Conflict) as error:
            add_domain_errors(form, error)
            status = _status_for(error)
        else:
            messages.success(request, _("The transaction summary was saved."))
            return redirect("supplychain:chain-summary-detail", pk=summary.pk)
    context = {"form": form, "partner": partner}
    return render(request, "supplychain/chain/summary_form.html", context, status=status)


@registry_page
@require_GET
def summary_list_view(request: HttpRequest) -> HttpResponse:
    """Transaction summaries the user may see (a funder: those shared with it while the partner consents)."""
    require_perm(request.user, perms.VIEW_SUPPLY_CHAIN)
    page = Paginator(selectors.summary_list(actor=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "supplychain/chain/summaries.html", {"page": page})


def _summary_context(request: HttpRequest, summary: Any, share_form: FunderChoiceForm | None = None) -> dict[str, Any]:
    partner = summary.chain_partner
    can_share = selectors.can_manage_chain_partner(actor=request.user, partner=partner) and partner.is_active()
    return {
        "summary": summary,
        "partner": partner,
        "shares": list(selectors.summary_share_list(actor=request.user, summary=summary)),
        "can_share": can_share,
        "can_unshare": selectors.can_manage_chain_partner(actor=request.user, partner=partner),
        "share_form": share_form or FunderChoiceForm(funders=_funders()),
    }


@registry_page
@require_GET
def summary_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One transaction summary and whom it is shared with."""
    summary = selectors.summary_get(actor=request.user, pk=pk)
    return render(request, "supplychain/chain/summary_detail.html", _summary_context(request, summary))


@registry_page
@require_POST
def summary_share_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Share a summary with more funders (each needs the partner's live consent)."""
    summary = selectors.summary_get(actor=request.user, pk=pk)
    form = FunderChoiceForm(request.POST, funders=_funders())
    form.is_valid()
    try:
        services.summary_share(actor=request.user, summary=summary, funders=form.cleaned_data.get("funders", []))
    except (ValidationFailed, Conflict) as error:
        add_domain_errors(form, error)
        context = _summary_context(request, summary, share_form=form)
        return render(request, "supplychain/chain/summary_detail.html", context, status=_status_for(error))
    messages.success(request, _("The summary was shared."))
    return redirect("supplychain:chain-summary-detail", pk=summary.pk)


@registry_page
@require_POST
def summary_unshare_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Stop sharing a summary with one funder."""
    share = selectors.summary_share_get(actor=request.user, pk=pk)
    try:
        services.summary_unshare(actor=request.user, share=share)
    except Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The summary is no longer shared with that funder."))
    return redirect("supplychain:chain-summary-detail", pk=share.summary_id)


# ---- import -------------------------------------------------------------------------------------------------


def _importing_cores(request: HttpRequest) -> list[Any]:
    require_perm(request.user, perms.MANAGE_CHAIN)
    cores = selectors.managing_cores(actor=request.user)
    if not cores:
        raise PermissionDenied()
    return cores


@registry_page
@require_http_methods(["GET", "POST"])
def chain_import_view(request: HttpRequest) -> HttpResponse:
    """Upload a partner list (checked by a dry run unless imported at once); recent runs; templates."""
    cores = _importing_cores(request)
    form = ChainImportForm(request.POST or None, request.FILES or None, cores=cores)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                run = chain_import.chain_import(
                    actor=request.user,
                    core=form.selected_core(),
                    file_name=upload.name,
                    content=upload.read(settings.FINBRIDGE_IMPORT_MAX_BYTES + 1),
                    dry_run=request.POST.get("dry_run", "1") != "0",
                )
            except ValidationFailed as error:
                form.add_error("file", error.message)
            else:
                return redirect("supplychain:chain-import-run", pk=run.pk)
        status = 400
    context = {
        "form": form,
        "runs": selectors.chain_import_run_list(actor=request.user)[:RECENT_RUNS],
        "template_languages": TEMPLATE_LANGUAGES,
        "max_rows": chain_import.MAX_ROWS,
        "columns": chain_import.COLUMNS,
    }
    return render(request, "supplychain/chain/import.html", context, status=status)


@registry_page
@require_http_methods(["GET", "POST"])
def chain_import_run_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The result of one run with every bad row; POST applies the run's stored file for real."""
    _importing_cores(request)
    if request.method == "POST":
        try:
            applied = chain_import.chain_import_run_apply(actor=request.user, pk=pk)
        except ValidationFailed as error:
            messages.error(request, error.message)
            return redirect("supplychain:chain-import-run", pk=pk)
        messages.success(request, _("The import was applied."))
        return redirect("supplychain:chain-import-run", pk=applied.pk)
    run = selectors.chain_import_run_get(actor=request.user, pk=pk)
    page = Paginator(run.errors, ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "run": run,
        "page": page,
        "error_rows": [{**error, "column": chain_import.column_title(error["field"])} for error in page.object_list],
        "can_apply": run.dry_run and import_files.stored_file_exists(run),
    }
    return render(request, "supplychain/chain/import_run.html", context)


@registry_page
@require_GET
def chain_import_report_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The rejected rows of a run as an .xlsx download."""
    _importing_cores(request)
    run = selectors.chain_import_run_get(actor=request.user, pk=pk)
    return _download(chain_import.chain_import_report(run), f"chain-import-{run.pk}-rejected-rows.xlsx", "xlsx")


@registry_page
@require_GET
def chain_import_template_view(request: HttpRequest) -> HttpResponse:
    """The template in the chosen language (?lang=zh-hans|en) and format (?format=xlsx|csv)."""
    _importing_cores(request)
    default_language = "zh-hans" if (get_language() or "zh-hans").startswith("zh") else "en"
    file_format = request.GET.get("format", import_files.XLSX)
    try:
        content, file_name = chain_import.chain_import_template(
            language=request.GET.get("lang", default_language), file_format=file_format
        )
    except ValidationFailed as error:
        return HttpResponseBadRequest(error.message)
    return _download(content, file_name, file_format)


def _download(content: bytes, file_name: str, file_format: str) -> HttpResponse:
    response = HttpResponse(content, content_type=import_files.CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response
