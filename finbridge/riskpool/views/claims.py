"""Pages of claims: the claims of a pool (a bank sees its own) and of every pool, filing a claim with evidence,
a claim with its documents, timeline, review (approve, approve in part, reject, return — with a preview of the
payout and its arithmetic), the payout breakdown by the loan's rule version, more evidence, resubmission,
withdrawal, recoveries; and what the pool owes banks."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from finbridge.core.errors import Conflict, NotFound, ValidationFailed
from finbridge.core.permissions import require_perm
from finbridge.riskpool import permissions as perms
from finbridge.riskpool.api.claims import document_response
from finbridge.riskpool.choices import ClaimDecision, ClaimStatus
from finbridge.riskpool.forms_claims import (
    ClaimForm,
    DocumentsForm,
    RecoveryForm,
    ResubmitForm,
    ReviewForm,
    WithdrawForm,
)
from finbridge.riskpool.forms_common import add_domain_errors
from finbridge.riskpool.models import Claim
from finbridge.riskpool.selectors import claims as selectors
from finbridge.riskpool.selectors.enrolment import enrolment_get
from finbridge.riskpool.selectors.pools import pool_get
from finbridge.riskpool.services import claims as services
from finbridge.riskpool.services.inputs import Errors, parse_amount
from finbridge.riskpool.services.recoveries import recovery_report
from finbridge.riskpool.sharing import Party, render_steps
from finbridge.riskpool.views.common import page_of, pool_context, riskpool_page, status_of, wants_partial

REVIEW_FIELDS = {"principal": "principal", "interest": "interest", "reason": "reason"}


def _evidence(form: Any) -> list[Any]:
    kind = form.cleaned_data.get("document_kind")
    return [services.evidence_from_upload(kind, upload) for upload in form.cleaned_data.get("documents") or []]


# ---- lists ---------------------------------------------------------------------------------------------


def _status_filter(request: HttpRequest) -> str:
    status = request.GET.get("status") or ""
    return status if status in ClaimStatus.values else ""


@riskpool_page
@require_GET
def claims_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A pool's claims the user may see, filtered by status."""
    pool = pool_get(actor=request.user, pk=pk)
    status = _status_filter(request)
    queryset = selectors.claim_list(actor=request.user, pool=pool, status=status or None)
    context = {
        **pool_context(request, pool, "claims"),
        **page_of(request, queryset),
        "status": status,
        "statuses": ClaimStatus.choices,
        "totals": selectors.claim_totals(actor=request.user, pool=pool),
    }
    if wants_partial(request):
        return render(request, "riskpool/claims/partials/_results.html", context)
    return render(request, "riskpool/claims/list.html", context)


@riskpool_page
@require_GET
def all_claims_view(request: HttpRequest) -> HttpResponse:
    """Claims of every pool the user may see (the authority's review queue, a bank's own claims)."""
    require_perm(request.user, perms.VIEW_POOL)
    status = _status_filter(request)
    queryset = selectors.claim_list(actor=request.user, status=status or None)
    context = {**page_of(request, queryset), "status": status, "statuses": ClaimStatus.choices, "pool": None}
    if wants_partial(request):
        return render(request, "riskpool/claims/partials/_results.html", context)
    return render(request, "riskpool/claims/all.html", context)


# ---- filing ----------------------------------------------------------------------------------------------


@riskpool_page
@require_http_methods(["GET", "POST"])
def claim_file_view(request: HttpRequest, enrolment_pk: int) -> HttpResponse:
    """File a claim on a covered loan of the user's bank, with evidence documents."""
    enrolment = enrolment_get(actor=request.user, pk=enrolment_pk)
    require_perm(request.user, perms.FILE_CLAIM)
    context = pool_context(request, enrolment.pool, "claims")
    form = ClaimForm(
        request.POST or None,
        request.FILES or None,
        initial={"lost_principal": enrolment.loan.outstanding_balance, "lost_interest": "0"},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                claim = services.claim_file(
                    actor=request.user,
                    enrolment=enrolment,
                    lost_principal=data["lost_principal"],
                    lost_interest=data["lost_interest"] or 0,
                    defaulted_on=data["defaulted_on"],
                    description=data["description"],
                    documents=_evidence(form),
                )
            except (ValidationFailed, Conflict) as error:
                add_domain_errors(form, error)
                status = status_of(error)
            else:
                messages.success(request, _("Claim %(reference)s was filed.") % {"reference": claim.reference})
                return redirect("riskpool:claim-detail", claim_pk=claim.pk)
    context.update({"enrolment": enrolment, "loan": enrolment.loan, "form": form})
    return render(request, "riskpool/claims/file.html", context, status=status)


# ---- one claim -------------------------------------------------------------------------------------------


def _party(code: str) -> str:
    try:
        return str(Party(code).label)
    except ValueError:
        return code


def _breakdown_rows(breakdown: Any) -> list[dict[str, Any]]:
    """Per party: its share and the amount it bears (parties with nothing hidden)."""
    return [
        {"party": _party(party), "code": party, "share": breakdown.shares.get(party), "amount": amount}
        for party, amount in breakdown.amounts.items()
        if amount or breakdown.shares.get(party)
    ]


def _claim_context(request: HttpRequest, claim: Claim, **forms: Any) -> dict[str, Any]:
    actor = request.user
    context = pool_context(request, claim.pool, "claims")
    actions = selectors.claim_actions(actor=actor, claim=claim)
    payout = selectors.claim_payout(actor=actor, claim=claim)
    preview = None
    if "approve" in actions:
        try:
            preview = selectors.claim_payout_preview(actor=actor, claim=claim)
        except (ValidationFailed, Conflict) as error:
            preview = None
            context["preview_error"] = error.message
    context.update(
        {
            "claim": claim,
            "enrolment": claim.enrolment,
            "loan": claim.enrolment.loan,
            "actions": actions,
            "documents": selectors.claim_documents(actor=actor, claim=claim),
            "events": selectors.claim_events(actor=actor, claim=claim),
            "payout": payout,
            "payout_rows": _breakdown_rows(payout.breakdown) if payout else [],
            "preview": preview,
            "preview_steps": render_steps(preview.steps) if preview else [],
            "preview_rows": _breakdown_rows(preview) if preview else [],
            "recoveries": [
                (recovery, selectors.recovery_steps(recovery))
                for recovery in selectors.recovery_list(actor=actor, claim=claim)
            ],
            "review_form": forms.get("review_form")
            or ReviewForm(initial={"principal": claim.lost_principal, "interest": claim.lost_interest}),
            "documents_form": forms.get("documents_form") or DocumentsForm(prefix="more"),
            "resubmit_form": forms.get("resubmit_form")
            or ResubmitForm(
                prefix="again",
                initial={
                    "lost_principal": claim.lost_principal,
                    "lost_interest": claim.lost_interest,
                    "defaulted_on": claim.defaulted_on.isoformat(),
                    "description": claim.description,
                },
            ),
            "withdraw_form": forms.get("withdraw_form") or WithdrawForm(prefix="withdraw"),
            "recovery_form": forms.get("recovery_form")
            or RecoveryForm(initial={"recovered_on": timezone.localdate().isoformat()}),
        }
    )
    return context


def _claim(request: HttpRequest, claim_pk: int) -> Claim:
    return selectors.claim_get(actor=request.user, pk=claim_pk)


def _render_claim(request: HttpRequest, claim_pk: int, status: int = 200, **forms: Any) -> HttpResponse:
    claim = _claim(request, claim_pk)
    return render(request, "riskpool/claims/detail.html", _claim_context(request, claim, **forms), status=status)


@riskpool_page
@require_GET
def claim_detail_view(request: HttpRequest, claim_pk: int) -> HttpResponse:
    """A claim: the loss, evidence, timeline, the review (authority), the payout with its arithmetic, recoveries."""
    return _render_claim(request, claim_pk)


@riskpool_page
@require_POST
def claim_review_view(request: HttpRequest, claim_pk: int) -> HttpResponse:
    """The authority's decision: approve, approve in part (with amounts and a reason), reject or return."""
    claim = _claim(request, claim_pk)
    require_perm(request.user, perms.REVIEW_CLAIM)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return _render_claim(request, claim_pk, 400, review_form=form)
    data = form.cleaned_data
    decision = data["decision"]
    try:
        if decision in (ClaimDecision.APPROVE, ClaimDecision.APPROVE_IN_PART):
            whole = decision == ClaimDecision.APPROVE
            payout = services.claim_approve(
                actor=request.user,
                claim=claim,
                principal=None if whole else (data["principal"] or None),
                interest=None if whole else (data["interest"] or None),
                reason=data["reason"],
            )
            done = _("The claim was approved: the pool grants %(amount)s CNY.") % {"amount": f"{payout.amount:,.2f}"}
        elif decision == ClaimDecision.REJECT:
            services.claim_reject(actor=request.user, claim=claim, reason=data["reason"])
            done = _("The claim was rejected.")
        else:
            services.claim_return(actor=request.user, claim=claim, reason=data["reason"])
            done = _("The claim was returned to the bank for more information.")
    except (ValidationFailed, Conflict) as error:
        add_domain_errors(form, error, REVIEW_FIELDS)
        return _render_claim(request, claim_pk, status_of(error), review_form=form)
    messages.success(request, done)
    return redirect("riskpool:claim-detail", claim_pk=claim.pk)


@riskpool_page
@require_GET
def claim_preview_view(request: HttpRequest, claim_pk: int) -> HttpResponse:
    """htmx: what approving with the amounts typed would pay, with the arithmetic."""
    claim = _claim(request, claim_pk)
    require_perm(request.user, perms.REVIEW_CLAIM)
    context: dict[str, Any] = {"claim": claim}
    try:
        errors = Errors()
        principal = parse_amount(errors, "principal", request.GET.get("principal"), required=False)
        interest = parse_amount(errors, "interest", request.GET.get("interest"), required=False, positive=False)
        errors.raise_if_any()
        preview = selectors.claim_payout_preview(
            actor=request.user, claim=claim, principal=principal, interest=interest
        )
        context.update(
            {"preview": preview, "preview_steps": render_steps(preview.steps), "preview_rows": _breakdown_rows(preview)}
        )
        status = 200
    except (ValidationFailed, Conflict) as error:
        context["preview_error"] = error.message
        status = 400
    return render(request, "riskpool/claims/partials/_preview.html", context, status=status)


@riskpool_page
@require_POST
def claim_documents_view(request: HttpRequest, claim_pk: int) -> HttpResponse:
    """Attach more evidence to a submitted or returned claim."""
    claim = _claim(request, claim_pk)
    form = DocumentsForm(request.POST, request.FILES, prefix="more")
    if not form.is_valid():
        return _render_claim(request, claim_pk, 400, documents_form=form)
    try:
        stored = services.claim_document_add(actor=request.user, claim=claim, documents=_evidence(form))
    except (ValidationFailed, Conflict) as error:
        add_domain_errors(form, error)
        return _render_claim(request, claim_pk, status_of(error), documents_form=form)
    messages.success(request, _("%(count)s documents were attached.") % {"count": len(stored)})
    return redirect("riskpool:claim-detail", claim_pk=claim.pk)


@riskpool_page
@require_GET
def claim_document_view(request: HttpRequest, claim_pk: int, document_pk: int) -> FileResponse:
    """Download an evidence document of a claim the user may see."""
    claim = _claim(request, claim_pk)
    document = selectors.claim_document_get(actor=request.user, pk=document_pk)
    if document.claim_id != claim.pk:
        raise NotFound()
    return document_response(document)


@riskpool_page
@require_POST
def claim_resubmit_view(request: HttpRequest, claim_pk: int) -> HttpResponse:
    """Resubmit a returned claim with changes and more evidence."""
    claim = _claim(request, claim_pk)
    form = ResubmitForm(request.POST, request.FILES, prefix="again")
    if not form.is_valid():
        return _render_claim(request, claim_pk, 400, resubmit_form=form)
    data = form.cleaned_data
    try:
        services.claim_resubmit(
            actor=request.user,
            claim=claim,
            lost_principal=data["lost_principal"],
            lost_interest=data["lost_interest"],
            defaulted_on=data["defaulted_on"],
            description=data["description"],
            documents=_evidence(form),
        )
    except (ValidationFailed, Conflict) as error:
        add_domain_errors(form, error)
        return _render_claim(request, claim_pk, status_of(error), resubmit_form=form)
    messages.success(request, _("The claim was resubmitted."))
    return redirect("riskpool:claim-detail", claim_pk=claim.pk)


@riskpool_page
@require_POST
def claim_withdraw_view(request: HttpRequest, claim_pk: int) -> HttpResponse:
    """Withdraw a submitted or returned claim."""
    claim = _claim(request, claim_pk)
    form = WithdrawForm(request.POST, prefix="withdraw")
    form.is_valid()
    try:
        services.claim_withdraw(actor=request.user, claim=claim, reason=form.cleaned_data.get("reason", ""))
    except (ValidationFailed, Conflict) as error:
        add_domain_errors(form, error)
        return _render_claim(request, claim_pk, status_of(error), withdraw_form=form)
    messages.success(request, _("The claim was withdrawn."))
    return redirect("riskpool:claim-detail", claim_pk=claim.pk)


@riskpool_page
@require_POST
def claim_recovery_view(request: HttpRequest, claim_pk: int) -> HttpResponse:
    """Report money recovered after the payout; the pool's share comes back to the pool."""
    claim = _claim(request, claim_pk)
    form = RecoveryForm(request.POST)
    if not form.is_valid():
        return _render_claim(request, claim_pk, 400, recovery_form=form)
    data = form.cleaned_data
    try:
        recovery = recovery_report(
            actor=request.user,
            claim=claim,
            recovered_amount=data["recovered_amount"],
            recovered_on=data["recovered_on"],
            reference=data["reference"],
            note=data["note"],
        )
    except (ValidationFailed, Conflict) as error:
        add_domain_errors(form, error)
        return _render_claim(request, claim_pk, status_of(error), recovery_form=form)
    messages.success(
        request,
        _("The recovery was recorded: %(amount)s CNY comes back to the pool.")
        % {"amount": f"{recovery.pool_amount:,.2f}"},
    )
    return redirect("riskpool:claim-detail", claim_pk=claim.pk)


# ---- owed amounts and recoveries of a pool -----------------------------------------------------------------


@riskpool_page
@require_GET
def owed_view(request: HttpRequest, pk: int) -> HttpResponse:
    """What the pool owes banks, in the order it settles them, and the recoveries shared back."""
    pool = pool_get(actor=request.user, pk=pk)
    context = pool_context(request, pool, "owed")
    context.update(
        {
            "queue": list(selectors.owed_queue(actor=request.user, pool=pool)),
            "settled": list(
                selectors.owed_queue(actor=request.user, pool=pool, include_settled=True)
                .exclude(status="open")
                .order_by("-settled_at", "-id")[:50]
            ),
            "recoveries": list(selectors.recovery_list(actor=request.user, pool=pool)[:100]),
        }
    )
    return render(request, "riskpool/claims/owed.html", context)
