"""Pages of enrolments: the covered loans of a pool (a bank sees its own), enrolling loans from the bank's
ledger one by one or in bulk (ticked in the list, or listed by contract number) with every eligibility reason
per refusal, an enrolment with its claims, and its release."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from finbridge.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from finbridge.core.permissions import has_perm, require_perm
from finbridge.financing.choices import NON_PERFORMING
from finbridge.financing.models import Loan
from finbridge.financing.selectors.loans import parse_id
from finbridge.riskpool import permissions as perms
from finbridge.riskpool.api.common import own_loan_or_error
from finbridge.riskpool.api.enrolments import loan_eligibility
from finbridge.riskpool.choices import ClaimStatus, EnrolmentStatus
from finbridge.riskpool.forms_common import add_domain_errors
from finbridge.riskpool.forms_enrolments import EnrolTermsForm, ReferenceListForm, ReleaseForm, SelectedLoansForm
from finbridge.riskpool.models import Enrolment, Pool
from finbridge.riskpool.selectors import enrolment as selectors
from finbridge.riskpool.selectors.claims import claim_actions, claim_list
from finbridge.riskpool.selectors.enrolment import Reason
from finbridge.riskpool.selectors.pools import pool_get, visible_institution_ids
from finbridge.riskpool.services import enrolment as services
from finbridge.riskpool.sharing import flag_label
from finbridge.riskpool.views.common import page_of, pool_context, riskpool_page, status_of, wants_partial

LOANS_PER_PAGE = 50


def _reasons(error: DomainError) -> list[Any]:
    found = getattr(error, "reasons", None)
    return list(found) if found else [Reason(error.code, error.message)]


# ---- lists -------------------------------------------------------------------------------------------------


@riskpool_page
@require_GET
def enrolments_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A pool's enrolments the user may see (a bank: its own), filtered by status."""
    pool = pool_get(actor=request.user, pk=pk)
    status = request.GET.get("status") or ""
    status = status if status in EnrolmentStatus.values else ""
    queryset = selectors.enrolment_list(actor=request.user, pool=pool, status=status or None)
    context = {
        **pool_context(request, pool, "enrolments"),
        **page_of(request, queryset),
        "status": status,
        "statuses": EnrolmentStatus.choices,
    }
    if wants_partial(request):
        return render(request, "riskpool/enrolments/partials/_results.html", context)
    return render(request, "riskpool/enrolments/list.html", context)


# ---- enrol -------------------------------------------------------------------------------------------------


def _enrol_context(request: HttpRequest, pool: Pool, **forms: Any) -> dict[str, Any]:
    context = pool_context(request, pool, "enrolments")
    loans = selectors.enrolable_loans(actor=request.user, pool=pool)
    paged = page_of(request, loans, LOANS_PER_PAGE)
    context.update(paged)
    context["terms_form"] = forms.get("terms_form") or EnrolTermsForm(pool=pool, prefix="terms")
    context["list_form"] = forms.get("list_form") or ReferenceListForm(pool=pool, prefix="list")
    context["result"] = forms.get("result")
    context["one"] = forms.get("one")
    return context


def _require_enrol(request: HttpRequest, pool: Pool) -> dict[str, Any]:
    context = pool_context(request, pool, "enrolments")
    require_perm(request.user, perms.ENROL_LOAN)
    if not context["can_enrol"]:
        raise PermissionDenied()
    return context


@riskpool_page
@require_http_methods(["GET", "POST"])
def enrol_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Enrol loans of the bank: tick them in the list (or press Enrol on one), or list contract numbers."""
    pool = pool_get(actor=request.user, pk=pk)
    _require_enrol(request, pool)
    if request.method == "GET":
        return render(request, "riskpool/enrolments/enrol.html", _enrol_context(request, pool))
    if request.POST.get("mode") == "list":
        return _enrol_listed(request, pool)
    return _enrol_selected(request, pool)


def _enrol_selected(request: HttpRequest, pool: Pool) -> HttpResponse:
    """Enrol one loan (the row's Enrol button) or the ticked ones, with the terms of the form."""
    one = parse_id(request.POST.get("one"))
    ids = [one] if one else [n for n in (parse_id(v) for v in request.POST.getlist("terms-loans")) if n]
    data = request.POST.copy()
    data.setlist("terms-loans", [str(n) for n in ids])
    form = SelectedLoansForm(data, pool=pool, prefix="terms", loan_ids=ids)
    if not form.is_valid():
        context = _enrol_context(request, pool, terms_form=form)
        return render(request, "riskpool/enrolments/enrol.html", context, status=400)
    terms = form.terms()
    if one:
        return _enrol_one(request, pool, one, terms, form)
    items = [{"loan": loan_id, **terms} for loan_id in form.cleaned_data["loans"]]
    result = services.enrolment_bulk(actor=request.user, pool=pool, items=items)
    _bulk_message(request, result)
    context = _enrol_context(request, pool, terms_form=form, result=result)
    return render(request, "riskpool/enrolments/enrol.html", context, status=200 if result.enrolled else 400)


def _enrol_one(request: HttpRequest, pool: Pool, loan_id: int, terms: dict[str, Any], form: Any) -> HttpResponse:
    loan = _own_loan(request, loan_id)
    try:
        enrolment = services.enrolment_create(actor=request.user, pool=pool, loan=loan, **terms)
    except (ValidationFailed, Conflict) as error:
        one = {"loan": loan, "reasons": _reasons(error)}
        context = _enrol_context(request, pool, terms_form=form, one=one)
        return render(request, "riskpool/enrolments/enrol.html", context, status=status_of(error))
    messages.success(request, _("Loan %(reference)s is now covered by the pool.") % {"reference": loan.reference})
    return redirect("riskpool:enrolment-detail", enrolment_pk=enrolment.pk)


def _own_loan(request: HttpRequest, loan_id: int) -> Loan:
    try:
        return own_loan_or_error(request.user, loan=loan_id)
    except ValidationFailed:
        raise NotFound() from None


def _enrol_listed(request: HttpRequest, pool: Pool) -> HttpResponse:
    """Enrol the loans listed by contract number (typed, pasted or in a file)."""
    form = ReferenceListForm(request.POST, request.FILES, pool=pool, prefix="list")
    if not form.is_valid():
        context = _enrol_context(request, pool, list_form=form)
        return render(request, "riskpool/enrolments/enrol.html", context, status=400)
    terms = form.terms()
    items = [{"reference": reference, **terms} for reference in form.cleaned_data["reference_list"]]
    result = services.enrolment_bulk(actor=request.user, pool=pool, items=items)
    _bulk_message(request, result)
    context = _enrol_context(request, pool, list_form=form, result=result)
    return render(request, "riskpool/enrolments/enrol.html", context, status=200 if result.enrolled else 400)


def _bulk_message(request: HttpRequest, result: Any) -> None:
    if result.enrolled:
        messages.success(request, _("%(count)s loans are now covered by the pool.") % {"count": len(result.enrolled)})


@riskpool_page
@require_GET
def eligibility_view(request: HttpRequest, pk: int, loan_pk: int) -> HttpResponse:
    """htmx: whether one loan can be enrolled with the terms on the form, with every reason it cannot."""
    pool = pool_get(actor=request.user, pk=pk)
    _require_enrol(request, pool)
    loan = _own_loan(request, loan_pk)
    form = EnrolTermsForm(request.GET, pool=pool, prefix="terms")
    if form.is_valid():
        reasons = loan_eligibility(pool=pool, loan=loan, terms=form.terms())
    else:
        reasons = [Reason("invalid", str(message)) for found in form.errors.values() for message in found]
    context = {"loan": loan, "reasons": reasons, "checked": True}
    return render(request, "riskpool/enrolments/partials/_eligibility.html", context)


# ---- one enrolment -----------------------------------------------------------------------------------------


def _enrolment_context(request: HttpRequest, enrolment: Enrolment, release_form: Any = None) -> dict[str, Any]:
    pool = enrolment.pool
    context = pool_context(request, pool, "enrolments")
    claims = list(claim_list(actor=request.user, pool=pool).filter(enrolment=enrolment))
    mine = enrolment.bank_id in visible_institution_ids(request.user)
    open_claim = any(c.status != ClaimStatus.WITHDRAWN for c in claims)
    context.update(
        {
            "enrolment": enrolment,
            "loan": enrolment.loan,
            "flag_labels": [flag_label(flag) for flag in enrolment.flags or []],
            "claims": [(claim, claim_actions(actor=request.user, claim=claim)) for claim in claims],
            "release_form": release_form or ReleaseForm(),
            "can_release": enrolment.status == EnrolmentStatus.ACTIVE
            and (context["can_manage"] or (mine and context["can_enrol"])),
            "can_claim": enrolment.status == EnrolmentStatus.ACTIVE
            and mine
            and has_perm(request.user, perms.FILE_CLAIM)
            and enrolment.loan.classification in NON_PERFORMING
            and not open_claim,
        }
    )
    return context


@riskpool_page
@require_GET
def enrolment_detail_view(request: HttpRequest, enrolment_pk: int) -> HttpResponse:
    """One enrolment: the loan, its terms and rule version, the amounts covered, its claims."""
    enrolment = selectors.enrolment_get(actor=request.user, pk=enrolment_pk)
    return render(request, "riskpool/enrolments/detail.html", _enrolment_context(request, enrolment))


@riskpool_page
@require_POST
def enrolment_release_view(request: HttpRequest, enrolment_pk: int) -> HttpResponse:
    """Release a covered loan (its bank or the pool's authority)."""
    enrolment = selectors.enrolment_get(actor=request.user, pk=enrolment_pk)
    form = ReleaseForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.enrolment_release(actor=request.user, enrolment=enrolment, reason=form.cleaned_data["reason"])
        except (ValidationFailed, Conflict) as error:
            add_domain_errors(form, error)
            status = status_of(error)
        else:
            messages.success(request, _("The loan was released from the pool."))
            return redirect("riskpool:enrolment-detail", enrolment_pk=enrolment.pk)
    enrolment = selectors.enrolment_get(actor=request.user, pk=enrolment_pk)
    context = _enrolment_context(request, enrolment, release_form=form)
    return render(request, "riskpool/enrolments/detail.html", context, status=status)
