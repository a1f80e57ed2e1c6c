"""Pages of financing demands: the list (a firm's own, an institution's inbox of demands shown to it,
government's remit), create / record on a firm's behalf / edit, the detail with its timeline, answers and
action forms, and the district authority's oversight page.

Views parse input, call a selector or service and render. NotFound answers 404, PermissionDenied 403;
ValidationFailed and Conflict show the form again (400) or a message on the detail page.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from finbridge.accounts.selectors import actor_scope
from finbridge.core import pagination
from finbridge.core.errors import DomainError, NotFound, PermissionDenied
from finbridge.core.permissions import has_perm, require_perm
from finbridge.enterprises.validation import InvalidUSCC, normalize_uscc
from finbridge.enterprises.views import registry_page as demand_page
from finbridge.financing import permissions as perms
from finbridge.financing.choices import Collateral, DemandStatus, EngagementStatus, ResponseKind
from finbridge.financing.forms_demands import (
    AnswerForm,
    ApproveForm,
    DeclineForm,
    DemandFilterForm,
    DemandForm,
    DisburseForm,
    add_service_errors,
)
from finbridge.financing.models import Demand, DemandResponse
from finbridge.financing.rates import percent
from finbridge.financing.selectors import demands as selectors
from finbridge.financing.services import demands as demand_services
from finbridge.financing.services import responses as response_services
from finbridge.financing.transitions import DEMAND_TRANSITIONS, ENGAGEMENT_TRANSITIONS, can_transition

PAGE_SIZE = 20
MATCHES_URL_NAME = "financing:matching-demand-matches"


def _detail_url(demand: Demand) -> str:
    return reverse("financing:demands-detail", args=[demand.pk])


def matches_url(demand: Demand) -> str:
    """The URL of the demand's matches panel, or "" while the matching pages are not installed."""
    try:
        return reverse(MATCHES_URL_NAME, args=[demand.pk])
    except NoReverseMatch:
        return ""


def _is_party(request: HttpRequest, demand: Demand) -> bool:
    scope = actor_scope(request.user)
    firm = demand.enterprise.organization_id
    return scope.is_government or (firm is not None and firm in scope.own_organization_ids)


# ---- list ------------------------------------------------------------------------------------------------


@demand_page
@require_http_methods(["GET"])
def demand_list_view(request: HttpRequest) -> HttpResponse:
    """The demands the user may see: a firm's own, an institution's (with its answers), government's remit."""
    require_perm(request.user, perms.VIEW_DEMAND)
    lenders = selectors.lender_organizations(actor=request.user)
    form = DemandFilterForm(request.GET, institution=bool(lenders))
    form.is_valid()
    filters = form.filters()
    if request.GET.get("overdue") == "1" and lenders:
        filters["overdue"] = "true"
    error = ""
    try:
        queryset = selectors.demand_list(actor=request.user, filters=filters)
    except DomainError as exc:
        queryset, error = Demand.objects.none(), exc.message
    page = pagination.CappedPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    answers: dict[int, DemandResponse] = {}
    if lenders:
        rows = DemandResponse.objects.filter(
            demand__in=page.object_list, institution_id__in=[o.pk for o in lenders]
        ).select_related("institution")
        answers = {r.demand_id: r for r in rows}
    counts = dict(
        DemandResponse.objects.filter(demand__in=page.object_list, kind=ResponseKind.TAKE_UP)
        .values_list("demand_id")
        .annotate(n=Count("id"))
    )
    for demand in page.object_list:
        demand.my_answer = answers.get(demand.pk)
        demand.take_up_count = counts.get(demand.pk, 0)
    scope = actor_scope(request.user)
    context = {
        "form": form,
        "page": page,
        "count": min(page.paginator.count, pagination.COUNT_CAP),
        "count_capped": page.paginator.count_capped,
        "page_range": list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)),
        "error": error,
        "is_institution": bool(lenders),
        "is_firm": bool(scope.own_organization_ids),
        "is_government": scope.is_government,
        "overdue_only": "overdue" in filters,
        "overdue_count": selectors.institution_overdue(actor=request.user).count() if lenders else 0,
        "can_post": has_perm(request.user, perms.POST_DEMAND),
        "can_record": has_perm(request.user, perms.RECORD_DEMAND_ON_BEHALF),
        "can_oversee": has_perm(request.user, perms.VIEW_OVERSIGHT),
    }
    return render(request, "financing/demands/list.html", context)


# ---- create, record, edit -----------------------------------------------------------------------------------


def _form_page(request: HttpRequest, form: DemandForm, *, mode: str, status: int = 200, **extra: Any) -> HttpResponse:
    context = {"form": form, "mode": mode, "demand": form.demand, **extra}
    return render(request, "financing/demands/form.html", context, status=status)


def _save_and_maybe_publish(request: HttpRequest, demand: Demand) -> HttpResponse:
    if request.POST.get("publish"):
        try:
            demand_services.demand_publish(actor=request.user, demand=demand)
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(_detail_url(demand))
        messages.success(request, _("The demand was published to institutions."))
    else:
        messages.success(request, _("The demand was saved as a draft."))
    return redirect(_detail_url(demand))


@demand_page
@require_http_methods(["GET", "POST"])
def demand_create_view(request: HttpRequest) -> HttpResponse:
    """A firm posts a demand for its own enterprise (amount in 万元)."""
    require_perm(request.user, perms.POST_DEMAND)
    enterprises = list(
        selectors.enterprises_for_demands(actor=request.user).filter(
            organization_id__in=actor_scope(request.user).own_organization_ids
        )[:2]
    )
    if not enterprises:
        messages.error(request, _("Your organisation has no enterprise record yet."))
        return redirect("financing:demands-list")
    enterprise = enterprises[0]
    if request.method != "POST":
        return _form_page(request, DemandForm(), mode="create", enterprise=enterprise)
    form = DemandForm(request.POST)
    if form.is_valid():
        try:
            demand = demand_services.demand_create(actor=request.user, enterprise=enterprise, data=form.service_data())
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            add_service_errors(form, exc)
        else:
            return _save_and_maybe_publish(request, demand)
    return _form_page(request, form, mode="create", enterprise=enterprise, status=400)


@demand_page
@require_http_methods(["GET", "POST"])
def demand_record_view(request: HttpRequest) -> HttpResponse:
    """Government staff record a demand on a firm's behalf (after a visit or an event)."""
    require_perm(request.user, perms.RECORD_DEMAND_ON_BEHALF)
    if request.method != "POST":
        initial = {}
        preset = selectors.enterprises_for_demands(actor=request.user).filter(pk=request.GET.get("enterprise") or 0)
        if request.GET.get("enterprise", "").isdigit() and preset.exists():
            initial["enterprise"] = preset.first().uscc
        return _form_page(request, DemandForm(initial=initial, on_behalf=True, ask_enterprise=True), mode="record")
    form = DemandForm(request.POST, on_behalf=True, ask_enterprise=True)
    if form.is_valid():
        enterprise = None
        try:
            code = normalize_uscc(form.cleaned_data["enterprise"])
        except InvalidUSCC as exc:
            form.add_error("enterprise", exc.message)
        else:
            enterprise = selectors.enterprises_for_demands(actor=request.user).filter(uscc=code).first()
            if enterprise is None:
                form.add_error("enterprise", _("There is no enterprise with this code in your remit."))
        if enterprise is not None:
            try:
                demand = demand_services.demand_create(
                    actor=request.user, enterprise=enterprise, data=form.service_data()
                )
            except DomainError as exc:
                add_service_errors(form, exc)
            else:
                return _save_and_maybe_publish(request, demand)
    return _form_page(request, form, mode="record", status=400)


@demand_page
@require_http_methods(["GET", "POST"])
def demand_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a draft or published demand (the firm, or the office that recorded it)."""
    demand = selectors.demand_get(actor=request.user, pk=pk)
    if not selectors.can_manage_demand(actor=request.user, demand=demand):
        raise PermissionDenied()
    if demand.status not in (DemandStatus.DRAFT, DemandStatus.PUBLISHED):
        messages.error(request, _("Only a draft or published demand can be edited."))
        return redirect(_detail_url(demand))
    on_behalf = demand.recorded_on_behalf
    if request.method != "POST":
        return _form_page(request, DemandForm(demand=demand, on_behalf=on_behalf), mode="edit")
    form = DemandForm(request.POST, demand=demand, on_behalf=on_behalf)
    if form.is_valid():
        try:
            demand_services.demand_update(actor=request.user, demand=demand, data=form.service_data())
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect(_detail_url(demand))
    return _form_page(request, form, mode="edit", status=400)


# ---- detail -------------------------------------------------------------------------------------------------


def _answering_institutions(request: HttpRequest, demand: Demand) -> list:
    if demand.status not in selectors.OPEN_STATUSES:
        return []
    organizations = selectors.acting_organizations(
        actor=request.user, code=perms.RESPOND_DEMAND, org_types=selectors.LENDER_TYPES
    )
    answered = set(DemandResponse.objects.filter(demand=demand).values_list("institution_id", flat=True))
    return [
        o for o in organizations if o.pk not in answered and selectors.can_institution_see(demand=demand, institution=o)
    ]


def _own_engagement(request: HttpRequest, demand: Demand) -> DemandResponse | None:
    """The take-up of an institution the user reviews for (financing.review_demand there)."""
    reviewing = {
        o.pk
        for o in selectors.acting_organizations(
            actor=request.user, code=perms.REVIEW_DEMAND, org_types=selectors.LENDER_TYPES
        )
    }
    if not reviewing:
        return None
    return (
        DemandResponse.objects.filter(demand=demand, institution_id__in=reviewing, kind=ResponseKind.TAKE_UP)
        .select_related("institution", "institution__parent", "demand")
        .first()
    )


def detail_context(request: HttpRequest, demand: Demand, **forms: Any) -> dict[str, Any]:
    """Everything the detail page shows the user, with the action forms they may use."""
    can_manage = selectors.can_manage_demand(actor=request.user, demand=demand)
    answering = _answering_institutions(request, demand)
    engagement = _own_engagement(request, demand)
    steps: dict[str, bool] = {}
    if engagement is not None:
        for name, target in (
            ("review", EngagementStatus.UNDER_REVIEW),
            ("approve", EngagementStatus.APPROVED),
            ("decline", EngagementStatus.DECLINED),
            ("disburse", EngagementStatus.DISBURSED),
        ):
            steps[name] = can_transition(ENGAGEMENT_TRANSITIONS, engagement.status, target)
        steps["disburse"] = steps["disburse"] and engagement.institution.org_type == "bank"
    is_party = _is_party(request, demand)
    responses = list(selectors.responses_visible(actor=request.user, demand=demand))
    for response in responses:
        response.rate_percent = percent(response.approved_rate) if response.approved_rate is not None else ""
    return {
        "demand": demand,
        "collateral_labels": [Collateral(c).label for c in demand.collateral_offered if c in Collateral.values],
        "max_rate": percent(demand.max_annual_rate) if demand.max_annual_rate is not None else _("Any rate"),
        "response_days": settings.FINBRIDGE_RESPONSE_WORKING_DAYS,
        "summary": selectors.enterprise_summary(demand.enterprise),
        "responses": responses,
        "timeline": [
            (event, selectors.event_label(event.action))
            for event in selectors.demand_timeline(actor=request.user, demand=demand)
        ],
        "chosen": list(demand.chosen_institutions.order_by("name")) if is_party else [],
        "is_party": is_party,
        "can_manage": can_manage,
        "can_edit": can_manage and demand.status in (DemandStatus.DRAFT, DemandStatus.PUBLISHED),
        "can_publish": can_manage and demand.status == DemandStatus.DRAFT,
        "can_withdraw": can_manage and can_transition(DEMAND_TRANSITIONS, demand.status, DemandStatus.WITHDRAWN),
        "can_republish": can_manage and demand.status == DemandStatus.DECLINED,
        "answer_form": forms.get("answer_form") or (AnswerForm(institutions=answering) if answering else None),
        "engagement": engagement,
        "steps": steps,
        "approve_form": forms.get("approve_form") or ApproveForm(engagement=engagement, auto_id="id_approve_%s"),
        "decline_form": forms.get("decline_form") or DeclineForm(auto_id="id_decline_%s"),
        "disburse_form": forms.get("disburse_form") or DisburseForm(auto_id="id_disburse_%s"),
        "own_response": selectors.own_response(actor=request.user, demand=demand),
        "matches_url": matches_url(demand) if is_party else "",
    }


@demand_page
@require_http_methods(["GET"])
def demand_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One demand: status, firm summary, details, timeline, answers, and the user's actions."""
    demand = selectors.demand_get(actor=request.user, pk=pk)
    return render(request, "financing/demands/detail.html", detail_context(request, demand))


def _detail_with_errors(request: HttpRequest, demand: Demand, **forms: Any) -> HttpResponse:
    fresh = selectors.demand_get(actor=request.user, pk=demand.pk)
    return render(request, "financing/demands/detail.html", detail_context(request, fresh, **forms), status=400)


def _run(request: HttpRequest, demand: Demand, call: Any, success: str) -> HttpResponse:
    """Run a simple action; a refused one shows its message on the detail page."""
    try:
        call()
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect(_detail_url(demand))


# ---- the firm's actions ------------------------------------------------------------------------------------


@demand_page
@require_POST
def demand_publish_view(request: HttpRequest, pk: int) -> HttpResponse:
    demand = selectors.demand_get(actor=request.user, pk=pk)
    return _run(
        request,
        demand,
        lambda: demand_services.demand_publish(actor=request.user, demand=demand),
        _("The demand was published to institutions."),
    )


@demand_page
@require_POST
def demand_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    demand = selectors.demand_get(actor=request.user, pk=pk)
    return _run(
        request,
        demand,
        lambda: demand_services.demand_withdraw(actor=request.user, demand=demand, note=request.POST.get("note", "")),
        _("The demand was withdrawn."),
    )


@demand_page
@require_POST
def demand_republish_view(request: HttpRequest, pk: int) -> HttpResponse:
    demand = selectors.demand_get(actor=request.user, pk=pk)
    return _run(
        request,
        demand,
        lambda: demand_services.demand_republish(actor=request.user, demand=demand),
        _("The demand was published again."),
    )


# ---- institutions' actions -----------------------------------------------------------------------------------


def _answer_view(request: HttpRequest, pk: int, *, kind: str) -> HttpResponse:
    demand = selectors.demand_get(actor=request.user, pk=pk)
    form = AnswerForm(request.POST, institutions=_answering_institutions(request, demand))
    if not form.is_valid():
        return _detail_with_errors(request, demand, answer_form=form)
    call = response_services.demand_take_up if kind == ResponseKind.TAKE_UP else response_services.demand_pass
    try:
        call(
            actor=request.user,
            demand=demand,
            institution=form.cleaned_data.get("institution"),
            note=form.cleaned_data.get("note", ""),
        )
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        if exc.fields:
            add_service_errors(form, exc)
            return _detail_with_errors(request, demand, answer_form=form)
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("You took up this demand: the firm was told.")
            if kind == ResponseKind.TAKE_UP
            else _("You passed on this demand."),
        )
    return redirect(_detail_url(demand))


@demand_page
@require_POST
def demand_take_up_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _answer_view(request, pk, kind=ResponseKind.TAKE_UP)


@demand_page
@require_POST
def demand_pass_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _answer_view(request, pk, kind=ResponseKind.PASS)


def _engagement(request: HttpRequest, pk: int, engagement_id: int) -> tuple[Demand, DemandResponse]:
    demand = selectors.demand_get(actor=request.user, pk=pk)
    return demand, selectors.engagement_get(actor=request.user, demand=demand, pk=engagement_id)


@demand_page
@require_POST
def engagement_review_view(request: HttpRequest, pk: int, engagement_id: int) -> HttpResponse:
    demand, engagement = _engagement(request, pk, engagement_id)
    return _run(
        request,
        demand,
        lambda: response_services.engagement_start_review(actor=request.user, engagement=engagement),
        _("The review has started."),
    )


def _form_action(
    request: HttpRequest, pk: int, engagement_id: int, *, form_class: Any, form_key: str, call: Any, success: str
) -> HttpResponse:
    demand, engagement = _engagement(request, pk, engagement_id)
    kwargs: dict[str, Any] = {"auto_id": f"id_{form_key.split('_')[0]}_%s"}
    if form_class is ApproveForm:
        kwargs["engagement"] = engagement
    form = form_class(request.POST, **kwargs)
    if form.is_valid():
        try:
            call(engagement, form)
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            if not exc.fields:
                messages.error(request, exc.message)
                return redirect(_detail_url(demand))
            add_service_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect(_detail_url(demand))
    return _detail_with_errors(request, demand, **{form_key: form})


@demand_page
@require_POST
def engagement_approve_view(request: HttpRequest, pk: int, engagement_id: int) -> HttpResponse:
    def call(engagement: DemandResponse, form: ApproveForm) -> None:
        data = form.cleaned_data
        response_services.engagement_approve(
            actor=request.user,
            engagement=engagement,
            amount=data.get("amount_wan"),
            annual_rate=data.get("rate_percent"),
            product=data.get("product"),
            note=data.get("note", ""),
        )

    return _form_action(
        request,
        pk,
        engagement_id,
        form_class=ApproveForm,
        form_key="approve_form",
        call=call,
        success=_("Approved: the firm was told."),
    )


@demand_page
@require_POST
def engagement_decline_view(request: HttpRequest, pk: int, engagement_id: int) -> HttpResponse:
    def call(engagement: DemandResponse, form: DeclineForm) -> None:
        response_services.engagement_decline(
            actor=request.user,
            engagement=engagement,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data.get("note", ""),
        )

    return _form_action(
        request,
        pk,
        engagement_id,
        form_class=DeclineForm,
        form_key="decline_form",
        call=call,
        success=_("Declined: the firm was told."),
    )


@demand_page
@require_POST
def engagement_disburse_view(request: HttpRequest, pk: int, engagement_id: int) -> HttpResponse:
    def call(engagement: DemandResponse, form: DisburseForm) -> None:
        response_services.engagement_disburse(actor=request.user, engagement=engagement, loan=form.loan_data())

    return _form_action(
        request,
        pk,
        engagement_id,
        form_class=DisburseForm,
        form_key="disburse_form",
        call=call,
        success=_("The loan was recorded and the demand is disbursed."),
    )


# ---- oversight ------------------------------------------------------------------------------------------------


@demand_page
@require_http_methods(["GET"])
def demand_oversight_view(request: HttpRequest) -> HttpResponse:
    """District authority: open demands with overdue answers (and who is overdue), and escalated demands."""
    overdue_page = pagination.CappedPaginator(selectors.oversight_overdue(actor=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    overdue = list(overdue_page.object_list)
    flagged = selectors.overdue_institutions(overdue)
    escalated = list(selectors.oversight_escalated(actor=request.user)[:100])
    context = {
        "overdue": [(demand, flagged.get(demand.pk, [])) for demand in overdue],
        "overdue_page": overdue_page,
        "overdue_count": min(overdue_page.paginator.count, pagination.COUNT_CAP),
        "escalated": escalated,
    }
    return render(request, "financing/demands/oversight.html", context)
