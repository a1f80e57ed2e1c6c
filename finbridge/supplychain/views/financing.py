"""Pages of supply-chain financing: the requester's requests (new request on confirmed receivables or held
voucher parts to chosen banks, the request with its offers, accept one, withdraw), the bank's inbox of offers to
answer (the request, the confirmations and the registration search, make an offer or refuse, withdraw), and the
registrations (release after repayment).

Views parse input, call a selector or service and render. NotFound answers 404, PermissionDenied 403;
ValidationFailed and Conflict show the page again with the message (400 / 409) and change nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from finbridge.core.errors import DomainError, NotFound, PermissionDenied
from finbridge.core.permissions import require_perm
from finbridge.financing.rates import percent
from finbridge.supplychain import permissions as perms
from finbridge.supplychain.choices import FinancingRequestStatus, OfferStatus, RegistrationStatus
from finbridge.supplychain.forms_financing import OfferForm, RefuseForm, RequestForm, add_service_errors
from finbridge.supplychain.models import FinancingOffer, FinancingRequest
from finbridge.supplychain.selectors import financing as selectors
from finbridge.supplychain.services import financing as services
from finbridge.supplychain.services import registration as registration_services
from finbridge.supplychain.views._common import error_status, page_context, sc_page, wants_partial
from finbridge.supplychain.views.abilities import (
    fund_ids,
    offer_abilities,
    registration_abilities,
    request_abilities,
    trade_organizations,
)
from finbridge.supplychain.views.queries import financeable_receivables, financeable_vouchers, funder_choices


def request_url(pk: int) -> str:
    return reverse("supplychain:requests-detail", args=[pk])


def offer_url(pk: int) -> str:
    return reverse("supplychain:offers-detail", args=[pk])


def with_labels(offer: FinancingOffer) -> FinancingOffer:
    """The offer with its rate and advance ratio as percentages for the active language."""
    offer.rate_label = percent(offer.annual_rate)
    offer.ratio_label = percent(offer.advance_ratio)
    return offer


def _status_arg(raw: Any, values: list[str]) -> str | None:
    return raw if raw in values else None


# ---- the requester's side ---------------------------------------------------------------------------------------


@sc_page
@require_GET
def request_list_view(request: HttpRequest) -> HttpResponse:
    """Financing requests the user may see (a firm: those it sent), by status."""
    require_perm(request.user, perms.VIEW_SUPPLY_CHAIN)
    status = _status_arg(request.GET.get("status"), FinancingRequestStatus.values)
    queryset = selectors.financing_request_list(actor=request.user, status=status)
    context = {
        "status": status or "",
        "statuses": FinancingRequestStatus.choices,
        "can_request": bool(trade_organizations(request.user)),
        **page_context(request, queryset),
    }
    if wants_partial(request):
        return render(request, "supplychain/financing/partials/_requests.html", context)
    return render(request, "supplychain/financing/requests.html", context)


@sc_page
@require_http_methods(["GET", "POST"])
def request_create_view(request: HttpRequest) -> HttpResponse:
    """Ask chosen banks to finance confirmed receivables or held voucher parts (?receivable= / ?voucher=
    preselect one)."""
    require_perm(request.user, perms.TRADE)
    organizations = trade_organizations(request.user)
    if not organizations:
        raise PermissionDenied()
    initial = {"receivables": request.GET.getlist("receivable"), "vouchers": request.GET.getlist("voucher")}
    form = RequestForm(
        request.POST or None,
        initial=initial,
        organizations=organizations,
        receivables=financeable_receivables(actor=request.user),
        vouchers=financeable_vouchers(actor=request.user),
        funders=funder_choices(),
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                created = services.financing_request_create(actor=request.user, **form.service_arguments())
            except (NotFound, PermissionDenied):
                raise
            except DomainError as error:
                add_service_errors(form, error)
                status = error_status(error)
            else:
                messages.success(request, _("The financing request was sent to the banks you chose."))
                return redirect(request_url(created.pk))
    return render(request, "supplychain/financing/request_form.html", {"form": form}, status=status)


def _request_context(request: HttpRequest, found: FinancingRequest, error: str = "") -> dict[str, Any]:
    offers = selectors.financing_request_offers(actor=request.user, request=found)
    for offer in offers:
        offer.abilities = offer_abilities(request.user, with_labels(offer))
    items = list(
        found.items.select_related(
            "receivable", "receivable__debtor", "receivable__confirmation", "voucher", "voucher__receivable__debtor"
        )
    )
    for item in items:
        item.root = item.receivable if item.receivable_id else item.voucher.receivable
    return {
        "financing_request": found,
        "items": items,
        "offers": offers,
        "action_error": error,
        **request_abilities(request.user, found),
    }


def _request_page(request: HttpRequest, pk: Any, status: int = 200, error: str = "") -> HttpResponse:
    found = selectors.financing_request_get(actor=request.user, pk=pk)
    return render(
        request, "supplychain/financing/request_detail.html", _request_context(request, found, error), status=status
    )


@sc_page
@require_GET
def request_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm(request.user, perms.VIEW_SUPPLY_CHAIN)
    return _request_page(request, pk)


@sc_page
@require_POST
def request_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    selectors.financing_request_get(actor=request.user, pk=pk)
    require_perm(request.user, perms.TRADE)
    try:
        services.financing_request_withdraw(actor=request.user, pk=pk)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as error:
        return _request_page(request, pk, error_status(error), error.message)
    messages.success(request, _("The financing request was withdrawn; its receivables are free again."))
    return redirect(request_url(pk))


# ---- the bank's side ----------------------------------------------------------------------------------------------


@sc_page
@require_GET
def offer_list_view(request: HttpRequest) -> HttpResponse:
    """A bank's inbox: requests sent to it, to answer, and its answers (?status=)."""
    require_perm(request.user, perms.VIEW_SUPPLY_CHAIN)
    status = _status_arg(request.GET.get("status"), OfferStatus.values)
    is_funder = bool(fund_ids(request.user))
    queryset = selectors.financing_offer_list(actor=request.user, status=status, as_funder=is_funder)
    context = {
        "status": status or "",
        "statuses": OfferStatus.choices,
        "is_funder": is_funder,
        **page_context(request, queryset),
    }
    if wants_partial(request):
        return render(request, "supplychain/financing/partials/_offers.html", context)
    return render(request, "supplychain/financing/offers.html", context)


def _offer_context(request: HttpRequest, offer: FinancingOffer, **forms: Any) -> dict[str, Any]:
    found = offer.request
    items = _request_context(request, found)["items"]
    registrations = selectors.financing_request_registration_search(actor=request.user, pk=found.pk)
    return {
        "offer": with_labels(offer),
        "financing_request": found,
        "items": items,
        "registrations": list(registrations),
        "offer_form": forms.get("offer_form") or OfferForm(auto_id="id_offer_%s"),
        "refuse_form": forms.get("refuse_form") or RefuseForm(auto_id="id_refuse_%s"),
        "action_error": forms.get("action_error", ""),
        **offer_abilities(request.user, offer),
    }


def _offer_page(request: HttpRequest, pk: Any, status: int = 200, **forms: Any) -> HttpResponse:
    offer = selectors.financing_offer_get(actor=request.user, pk=pk)
    return render(
        request, "supplychain/financing/offer_detail.html", _offer_context(request, offer, **forms), status=status
    )


@sc_page
@require_GET
def offer_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The bank's view of one request sent to it: items, confirmations, registration search, its answer."""
    require_perm(request.user, perms.VIEW_SUPPLY_CHAIN)
    return _offer_page(request, pk)


def _offer_action(
    request: HttpRequest, pk: int, code: str, call: Callable[[], Any], success: str, **forms: Any
) -> HttpResponse:
    selectors.financing_offer_get(actor=request.user, pk=pk)  # 404 first
    require_perm(request.user, code)
    try:
        result = call()
    except (NotFound, PermissionDenied):
        raise
    except DomainError as error:
        for form in forms.values():
            add_service_errors(form, error)
        return _offer_page(request, pk, error_status(error), action_error=error.message, **forms)
    messages.success(request, success)
    return redirect(result if isinstance(result, str) else offer_url(pk))


@sc_page
@require_POST
def offer_make_view(request: HttpRequest, pk: int) -> HttpResponse:
    form = OfferForm(request.POST, auto_id="id_offer_%s")
    if not form.is_valid():
        offer = selectors.financing_offer_get(actor=request.user, pk=pk)
        require_perm(request.user, perms.FUND)
        return render(
            request,
            "supplychain/financing/offer_detail.html",
            _offer_context(request, offer, offer_form=form),
            status=400,
        )

    def call() -> None:
        services.financing_offer_make(actor=request.user, pk=pk, data=form.service_data())

    return _offer_action(request, pk, perms.FUND, call, _("Your offer was sent to the requester."), offer_form=form)


@sc_page
@require_POST
def offer_refuse_view(request: HttpRequest, pk: int) -> HttpResponse:
    form = RefuseForm(request.POST, auto_id="id_refuse_%s")
    form.is_valid()

    def call() -> None:
        services.financing_offer_refuse(actor=request.user, pk=pk, reason=form.cleaned_data.get("reason", ""))

    return _offer_action(request, pk, perms.FUND, call, _("You refused the request."), refuse_form=form)


@sc_page
@require_POST
def offer_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    def call() -> None:
        services.financing_offer_withdraw(actor=request.user, pk=pk)

    return _offer_action(request, pk, perms.FUND, call, _("Your offer was withdrawn."))


@sc_page
@require_POST
def offer_accept_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The requester accepts an offer: the items are registered to the bank, the other offers close."""
    offer = selectors.financing_offer_get(actor=request.user, pk=pk)
    require_perm(request.user, perms.TRADE)
    try:
        services.financing_offer_accept(actor=request.user, pk=pk)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as error:
        return _request_page(request, offer.request_id, error_status(error), error.message)
    messages.success(request, _("You accepted the offer; the financing was registered and the other banks were told."))
    return redirect(request_url(offer.request_id))


# ---- registrations ------------------------------------------------------------------------------------------------


@sc_page
@require_GET
def registration_list_view(request: HttpRequest) -> HttpResponse:
    """Registrations the user may see (a bank: its own; a firm: those on its receivables and parts)."""
    require_perm(request.user, perms.VIEW_SUPPLY_CHAIN)
    status = _status_arg(request.GET.get("status"), RegistrationStatus.values)
    queryset = selectors.registration_list(actor=request.user, status=status)
    context = {"status": status or "", "statuses": RegistrationStatus.choices, **page_context(request, queryset)}
    for registration in context["page"].object_list:
        registration.abilities = registration_abilities(request.user, registration)
    context["can_release_any"] = bool(fund_ids(request.user))
    if wants_partial(request):
        return render(request, "supplychain/financing/partials/_registrations.html", context)
    return render(request, "supplychain/financing/registrations.html", context)


@sc_page
@require_POST
def registration_release_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The bank releases a registration after the financing was repaid."""
    back = reverse("supplychain:registrations-list")
    selectors.registration_get(actor=request.user, pk=pk)
    require_perm(request.user, perms.FUND)
    try:
        registration_services.registration_release(actor=request.user, pk=pk)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(back)
    messages.success(request, _("The registration was released."))
    return redirect(back)
