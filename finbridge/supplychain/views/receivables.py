"""Pages of receivables: the list (your receivables as creditor, your payables as debtor with "confirm the
selected", or everything you may see), upload one with documents, record a payable, the detail with the
confirmation fingerprint, documents, registrations, voucher and payments, and the actions on it (edit, add a
document, withdraw, confirm, dispute, issue a voucher, record the payment).

Views parse input, call a selector or service and render. NotFound answers 404, PermissionDenied 403;
ValidationFailed and Conflict show the page again with the message (400 / 409) and change nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from finbridge.core.errors import DomainError, NotFound, PermissionDenied
from finbridge.core.permissions import require_perm
from finbridge.supplychain import permissions as perms
from finbridge.supplychain.api.common import id_list
from finbridge.supplychain.choices import ReceivableStatus
from finbridge.supplychain.forms_receivables import (
    DisputeForm,
    DocumentForm,
    ReceivableEditForm,
    ReceivableFilterForm,
    ReceivableForm,
    SettleForm,
    add_domain_errors,
)
from finbridge.supplychain.models import Receivable
from finbridge.supplychain.selectors import financing as financing_selectors
from finbridge.supplychain.selectors import receivables as selectors
from finbridge.supplychain.selectors import vouchers as voucher_selectors
from finbridge.supplychain.services import confirmation as confirmation_services
from finbridge.supplychain.services import receivables as services
from finbridge.supplychain.services import settlement as settlement_services
from finbridge.supplychain.services import vouchers as voucher_services
from finbridge.supplychain.services.confirmation import invoice_label, receivable_fingerprint
from finbridge.supplychain.views._common import error_status, page_context, sc_page, wants_partial
from finbridge.supplychain.views.abilities import receivable_abilities, trade_organizations
from finbridge.supplychain.views.queries import payments_of

SIDES = ("creditor", "debtor", "all")


def detail_url(receivable: Receivable | int) -> str:
    return reverse("supplychain:receivables-detail", args=[getattr(receivable, "pk", receivable)])


# ---- list -------------------------------------------------------------------------------------------------


def _default_side(request: HttpRequest) -> str:
    return "creditor" if trade_organizations(request.user) else "all"


@sc_page
@require_GET
def receivable_list_view(request: HttpRequest) -> HttpResponse:
    """Receivables the user may see, by side (?side=creditor|debtor|all) and filters; htmx gets the results."""
    require_perm(request.user, perms.VIEW_SUPPLY_CHAIN)
    side = request.GET.get("side") if request.GET.get("side") in SIDES else _default_side(request)
    form = ReceivableFilterForm(request.GET or None)
    arguments = form.selector_arguments() if form.is_valid() else {}
    queryset = selectors.receivable_list(actor=request.user, side=None if side == "all" else side, **arguments)
    organizations = trade_organizations(request.user)
    can_trade = bool(organizations)
    context = {
        "form": form,
        "side": side,
        "can_trade": can_trade,
        "organizations": organizations,
        "bulk_confirm": side == "debtor" and can_trade,
        **page_context(request, queryset),
    }
    if wants_partial(request):
        return render(request, "supplychain/receivables/partials/_results.html", context)
    return render(request, "supplychain/receivables/list.html", context)


@sc_page
@require_POST
def receivable_confirm_bulk_view(request: HttpRequest) -> HttpResponse:
    """Confirm every selected receivable as their debtor, all or nothing."""
    require_perm(request.user, perms.TRADE)
    back = f"{reverse('supplychain:receivables-list')}?side=debtor&status={ReceivableStatus.PENDING}"
    try:
        ids = id_list({"ids": request.POST.getlist("ids")}, "ids")
        count = confirmation_services.receivable_confirm_bulk(
            actor=request.user, ids=ids, organization=request.POST.get("organization") or None
        )
    except (NotFound, PermissionDenied):
        raise
    except DomainError as error:
        messages.error(request, error.message)
        for problem in [m for messages_ in error.fields.values() for m in messages_][:20]:
            messages.warning(request, problem)
        return redirect(back)
    messages.success(
        request,
        ngettext("%(count)s receivable was confirmed.", "%(count)s receivables were confirmed.", count)
        % {"count": count},
    )
    return redirect(back)


# ---- upload one / record a payable ---------------------------------------------------------------------------


def _create(request: HttpRequest, *, as_debtor: bool) -> HttpResponse:
    require_perm(request.user, perms.TRADE)
    organizations = trade_organizations(request.user)
    if not organizations:
        raise PermissionDenied()
    form = ReceivableForm(request.POST or None, request.FILES or None, organizations=organizations, as_debtor=as_debtor)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            service = services.payable_create if as_debtor else services.receivable_create
            try:
                receivable = service(actor=request.user, **form.service_arguments())
            except (NotFound, PermissionDenied):
                raise
            except DomainError as error:
                form.add_service_error(error)
                status = error_status(error)
            else:
                message = (
                    _("The payable %(invoice)s was recorded as confirmed; the creditor was told.")
                    if as_debtor
                    else _("The receivable %(invoice)s was uploaded; the debtor was asked to confirm it.")
                )
                messages.success(request, message % {"invoice": invoice_label(receivable)})
                return redirect(detail_url(receivable))
    context = {"form": form, "as_debtor": as_debtor}
    return render(request, "supplychain/receivables/form.html", context, status=status)


@sc_page
@require_http_methods(["GET", "POST"])
def receivable_create_view(request: HttpRequest) -> HttpResponse:
    """A supplier uploads one receivable on a debtor, with its documents."""
    return _create(request, as_debtor=False)


@sc_page
@require_http_methods(["GET", "POST"])
def payable_create_view(request: HttpRequest) -> HttpResponse:
    """A debtor records one of its payables (it counts as confirmed)."""
    return _create(request, as_debtor=True)


# ---- detail and actions ----------------------------------------------------------------------------------------


def _detail_context(request: HttpRequest, receivable: Receivable, **forms: Any) -> dict[str, Any]:
    abilities = receivable_abilities(request.user, receivable)
    registrations = financing_selectors.registration_search(actor=request.user, receivable_ids=[receivable.pk])
    vouchers = voucher_selectors.voucher_list(actor=request.user).filter(receivable=receivable, parent__isnull=True)
    payments = payments_of(actor=request.user, receivable=receivable)
    for payment in payments:
        payment.days_late = -payment.days_early
    return {
        "receivable": receivable,
        "invoice": invoice_label(receivable),
        "confirmation": getattr(receivable, "confirmation", None) if receivable.confirmed_at else None,
        "documents": list(receivable.documents.all()),
        "current_fingerprint": receivable_fingerprint(receivable)
        if receivable.status == ReceivableStatus.PENDING
        else "",
        "registrations": list(registrations),
        "root_vouchers": list(vouchers),
        "payments": payments,
        "document_form": forms.get("document_form") or DocumentForm(auto_id="id_document_%s"),
        "dispute_form": forms.get("dispute_form") or DisputeForm(auto_id="id_dispute_%s"),
        "settle_form": forms.get("settle_form") or SettleForm(auto_id="id_settle_%s"),
        "action_error": forms.get("action_error", ""),
        **abilities,
    }


def _detail(request: HttpRequest, pk: Any, status: int = 200, **forms: Any) -> HttpResponse:
    receivable = selectors.receivable_get(actor=request.user, pk=pk)
    return render(
        request, "supplychain/receivables/detail.html", _detail_context(request, receivable, **forms), status=status
    )


@sc_page
@require_GET
def receivable_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One receivable as the user may see it, with the actions their side allows."""
    require_perm(request.user, perms.VIEW_SUPPLY_CHAIN)
    return _detail(request, pk)


def _act(request: HttpRequest, pk: int, call: Any, success: str, **failed_forms: Any) -> HttpResponse:
    """Run `call()` (a service) for the receivable page; success → redirect with a message, a domain error →
    the page again with the message (the form, if any, marked)."""
    selectors.receivable_get(actor=request.user, pk=pk)  # 404 first, as in the API
    require_perm(request.user, perms.TRADE)
    try:
        result = call()
    except (NotFound, PermissionDenied):
        raise
    except DomainError as error:
        form = next(iter(failed_forms.values()), None)
        if form is not None:
            add_domain_errors(form, error)
        return _detail(request, pk, error_status(error), action_error=error.message, **failed_forms)
    messages.success(request, success)
    return redirect(result if isinstance(result, str) else detail_url(pk))


@sc_page
@require_POST
def receivable_confirm_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, as the debtor, exactly the content shown (its fingerprint comes with the form)."""
    fingerprint = request.POST.get("fingerprint") or None

    def call() -> None:
        confirmation_services.receivable_confirm(actor=request.user, pk=pk, fingerprint=fingerprint)

    return _act(request, pk, call, _("The receivable was confirmed. The confirmation cannot be revoked."))


@sc_page
@require_POST
def receivable_dispute_view(request: HttpRequest, pk: int) -> HttpResponse:
    form = DisputeForm(request.POST, auto_id="id_dispute_%s")
    form.is_valid()

    def call() -> None:
        confirmation_services.receivable_dispute(
            actor=request.user, pk=pk, reason=form.cleaned_data.get("reason", request.POST.get("reason"))
        )

    return _act(request, pk, call, _("The receivable was disputed; the creditor was told."), dispute_form=form)


@sc_page
@require_POST
def receivable_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    def call() -> None:
        services.receivable_withdraw(actor=request.user, pk=pk)

    return _act(request, pk, call, _("The receivable was withdrawn."))


@sc_page
@require_POST
def receivable_document_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    form = DocumentForm(request.POST, request.FILES, auto_id="id_document_%s")
    form.is_valid()

    def call() -> None:
        services.receivable_document_add(actor=request.user, pk=pk, file=form.cleaned_data.get("file"))

    return _act(request, pk, call, _("The document was added."), document_form=form)


@sc_page
@require_POST
def receivable_issue_voucher_view(request: HttpRequest, pk: int) -> HttpResponse:
    def call() -> str:
        voucher = voucher_services.voucher_issue(actor=request.user, receivable_id=pk)
        return reverse("supplychain:vouchers-detail", args=[voucher.pk])

    return _act(request, pk, call, _("The payment voucher was issued to the creditor."))


@sc_page
@require_POST
def receivable_settle_view(request: HttpRequest, pk: int) -> HttpResponse:
    form = SettleForm(request.POST, auto_id="id_settle_%s")
    form.is_valid()
    data = getattr(form, "cleaned_data", {})

    def call() -> None:
        settlement_services.receivable_settle(
            actor=request.user, pk=pk, paid_on=data.get("paid_on") or None, reference=data.get("reference") or ""
        )

    return _act(request, pk, call, _("The payment was recorded."), settle_form=form)


@sc_page
@require_http_methods(["GET", "POST"])
def receivable_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a receivable pending confirmation or disputed (a disputed one goes back to the debtor)."""
    receivable = selectors.receivable_get(actor=request.user, pk=pk)
    if not receivable_abilities(request.user, receivable)["can_edit"]:
        require_perm(request.user, perms.TRADE)
        raise PermissionDenied()
    initial = {
        "amount": f"{receivable.amount:.2f}",
        "issued_on": receivable.issued_on.isoformat(),
        "due_on": receivable.due_on.isoformat(),
        "contract_reference": receivable.contract_reference,
        "description": receivable.description,
    }
    form = ReceivableEditForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.receivable_update(actor=request.user, pk=pk, data=form.changes(receivable))
            except (NotFound, PermissionDenied):
                raise
            except DomainError as error:
                add_domain_errors(form, error)
                status = error_status(error)
            else:
                messages.success(request, _("The receivable was corrected; the debtor was asked to confirm it."))
                return redirect(detail_url(pk))
    context = {"form": form, "receivable": receivable, "invoice": invoice_label(receivable)}
    return render(request, "supplychain/receivables/edit.html", context, status=status)


@sc_page
@require_GET
def receivable_document_view(request: HttpRequest, pk: int, document_pk: int) -> FileResponse:
    """Download a document of a receivable the user may see."""
    receivable = selectors.receivable_get(actor=request.user, pk=pk)
    document = next((d for d in receivable.documents.all() if d.pk == document_pk), None)
    if document is None:
        raise Http404()
    try:
        handle = document.file.open("rb")
    except OSError:
        raise Http404() from None
    return FileResponse(handle, as_attachment=True, filename=document.name)
