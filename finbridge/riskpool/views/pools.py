"""Pages of pools: the list, creating and editing a pool, its overview (summary, alerts, capacity, money paid
in or out), activation and closing; members (admission, agreement dates, suspension and its history); rule
versions (from a preset or by hand) and each version's rules."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from finbridge.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from finbridge.core.permissions import has_perm, require_perm
from finbridge.enterprises.choices import SizeClass
from finbridge.financing.selectors.loans import parse_id
from finbridge.riskpool import permissions as perms
from finbridge.riskpool.choices import MemberRole, PoolStatus
from finbridge.riskpool.forms_common import add_domain_errors
from finbridge.riskpool.forms_pools import (
    POOL_FIELD_NAMES,
    MemberDatesForm,
    MemberForm,
    MoneyForm,
    PoolForm,
    SuspensionForm,
    admissible_organizations,
)
from finbridge.riskpool.forms_rules import PresetVersionForm, RuleVersionForm
from finbridge.riskpool.models import MemberSuspension, Pool, PoolAlert, PoolMember
from finbridge.riskpool.presets import preset_get, preset_list
from finbridge.riskpool.selectors import pools as selectors
from finbridge.riskpool.selectors.claims import claim_list
from finbridge.riskpool.selectors.risk import bank_risk_table
from finbridge.riskpool.services import members as member_services
from finbridge.riskpool.services import pools as services
from finbridge.riskpool.services import rules as rule_services
from finbridge.riskpool.views.common import page_of, pool_context, riskpool_page, status_of, wants_partial
from finbridge.riskpool.views.rules_display import rule_set_display

MONEY_SERVICES = {
    MoneyForm.CAPITAL: (services.pool_capital_contribute, _("The capital was recorded.")),
    MoneyForm.INTEREST: (services.pool_interest_record, _("The interest was recorded.")),
    MoneyForm.WITHDRAWAL: (services.pool_capital_withdraw, _("The capital returned was recorded.")),
}


def _pool(request: HttpRequest, pk: int) -> Pool:
    return selectors.pool_get(actor=request.user, pk=pk)


# ---- list, create, edit --------------------------------------------------------------------------------


@riskpool_page
@require_GET
def pool_list_view(request: HttpRequest) -> HttpResponse:
    """The pools the user may see, with their capacity at a glance."""
    require_perm(request.user, perms.VIEW_POOL)
    pools = selectors.pool_list(actor=request.user)
    context = {
        **page_of(request, pools),
        "can_create": has_perm(request.user, perms.MANAGE_POOL) and bool(selectors.authority_ids(request.user)),
    }
    return render(request, "riskpool/pools/list.html", context)


@riskpool_page
@require_http_methods(["GET", "POST"])
def pool_create_view(request: HttpRequest) -> HttpResponse:
    """Create a draft pool run by the user's district authority."""
    require_perm(request.user, perms.MANAGE_POOL)
    form = PoolForm(request.POST or None, initial=PoolForm.initial_for(None))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                pool = services.pool_create(actor=request.user, **form.service_arguments())
            except (ValidationFailed, Conflict) as error:
                add_domain_errors(form, error, POOL_FIELD_NAMES)
                status = status_of(error)
            else:
                messages.success(request, _("The pool was created as a draft."))
                return redirect("riskpool:pool-detail", pk=pool.pk)
    return render(request, "riskpool/pools/form.html", {"form": form, "pool": None}, status=status)


@riskpool_page
@require_http_methods(["GET", "POST"])
def pool_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a pool's settings (its authority)."""
    pool = _pool(request, pk)
    context = pool_context(request, pool, "overview")
    if not context["can_manage"]:
        raise PermissionDenied()  # 403 for everyone else who sees the pool
    form = PoolForm(request.POST or None, initial=PoolForm.initial_for(pool))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.pool_update(actor=request.user, pool=pool, **form.service_arguments())
            except (ValidationFailed, Conflict) as error:
                add_domain_errors(form, error, POOL_FIELD_NAMES)
                status = status_of(error)
            else:
                messages.success(request, _("The pool's settings were saved."))
                return redirect("riskpool:pool-detail", pk=pool.pk)
    return render(request, "riskpool/pools/form.html", {**context, "form": form}, status=status)


# ---- overview ------------------------------------------------------------------------------------------


def _overview_context(request: HttpRequest, pool: Pool, money_form: MoneyForm | None = None) -> dict[str, Any]:
    context = pool_context(request, pool, "overview")
    actor = request.user
    today = timezone.localdate()
    version = selectors.rule_version_in_force(pool=pool, on=today)
    context.update(
        {
            "version": version,
            "summary": selectors.pool_summary(pool=pool) if context["is_government"] else None,
            "alerts": list(PoolAlert.objects.filter(pool=pool, cleared_at__isnull=True))
            if context["is_government"]
            else [],
            "bank_rows": bank_risk_table(actor=actor, pool=pool) if context["is_institution"] else [],
            "own_members": list(
                pool.members.filter(organization_id__in=selectors.visible_institution_ids(actor)).select_related(
                    "organization"
                )
            ),
            "waiting_claims": claim_list(actor=actor, pool=pool, status="submitted").count()
            if context["can_review"]
            else None,
            "money_form": money_form or MoneyForm(initial={"kind": MoneyForm.CAPITAL}),
            "utilisation_percent": _utilisation(pool),
            "size_labels": [
                str(label) for value, label in SizeClass.choices if value in (pool.eligible_size_classes or [])
            ],
            "can_activate": context["can_manage"] and pool.status == PoolStatus.DRAFT,
            "can_close": context["can_manage"] and pool.status != PoolStatus.CLOSED,
        }
    )
    return context


def _utilisation(pool: Pool) -> int:
    capacity = pool.max_covered_balance
    if not capacity:
        return 0
    return min(100, int(pool.covered_balance * 100 / capacity))


@riskpool_page
@require_GET
def pool_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A pool's overview: status, period, capacity, summary and alerts (government), own figures (banks)."""
    pool = _pool(request, pk)
    return render(request, "riskpool/pools/detail.html", _overview_context(request, pool))


@riskpool_page
@require_POST
def pool_money_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Record capital, a top-up, interest or capital returned; htmx gets the money panel back."""
    pool = _pool(request, pk)
    form = MoneyForm(request.POST)
    status = 400
    if form.is_valid():
        service, done = MONEY_SERVICES[form.cleaned_data["kind"]]
        try:
            service(
                actor=request.user,
                pool=pool,
                amount=form.cleaned_data["amount"],
                value_date=form.cleaned_data["value_date"] or None,
                memo=form.cleaned_data["memo"],
            )
        except (ValidationFailed, Conflict) as error:
            add_domain_errors(form, error)
            status = status_of(error)
        else:
            messages.success(request, done)
            if not wants_partial(request):
                return redirect("riskpool:pool-detail", pk=pool.pk)
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse("riskpool:pool-detail", args=[pool.pk])
            return response
    context = _overview_context(request, _pool(request, pk), form)
    if wants_partial(request):
        return render(request, "riskpool/pools/partials/_money.html", context, status=status)
    return render(request, "riskpool/pools/detail.html", context, status=status)


def _transition(request: HttpRequest, pk: int, service: Any, done: str) -> HttpResponse:
    pool = _pool(request, pk)
    try:
        service(actor=request.user, pool=pool)
    except (ValidationFailed, Conflict) as error:
        messages.error(request, error.message)
        return render(
            request,
            "riskpool/pools/detail.html",
            _overview_context(request, _pool(request, pk)),
            status=status_of(error),
        )
    messages.success(request, done)
    return redirect("riskpool:pool-detail", pk=pool.pk)


@riskpool_page
@require_POST
def pool_activate_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, services.pool_activate, _("The pool is active: banks can enrol loans."))


@riskpool_page
@require_POST
def pool_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, services.pool_close, _("The pool is closed."))


# ---- members -------------------------------------------------------------------------------------------


def _members_context(request: HttpRequest, pool: Pool, form: MemberForm | None = None) -> dict[str, Any]:
    context = pool_context(request, pool, "members")
    members = list(selectors.member_list(actor=request.user, pool=pool))
    if context["can_manage"] and form is None:
        form = MemberForm(organizations=admissible_organizations(pool), initial={"agreement_signed_on": ""})
    context.update(
        {
            "members": members,
            "form": form,
            "history": MemberSuspension.objects.filter(member__pool=pool)
            .select_related("member__organization")
            .order_by("-created_at", "-id")[:50],
        }
    )
    return context


@riskpool_page
@require_http_methods(["GET", "POST"])
def members_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The pool's members with their agreements and suspension; the authority admits institutions here."""
    pool = _pool(request, pk)
    if request.method == "GET":
        return render(request, "riskpool/members/list.html", _members_context(request, pool))
    if not pool_context(request, pool, "members")["can_manage"]:
        raise PermissionDenied()
    form = MemberForm(request.POST, organizations=admissible_organizations(pool))
    status = 400
    if form.is_valid():
        organization, role = form.selected()
        try:
            member_services.member_admit(
                actor=request.user,
                pool=pool,
                organization=organization,
                role=role,
                agreement_signed_on=form.cleaned_data["agreement_signed_on"],
                agreement_ends_on=form.cleaned_data["agreement_ends_on"] or None,
            )
        except (ValidationFailed, Conflict) as error:
            add_domain_errors(form, error, {"role": "organization"})
            status = status_of(error)
        else:
            messages.success(request, _("%(name)s was admitted.") % {"name": organization.display_name})
            return redirect("riskpool:members", pk=pool.pk)
    return render(request, "riskpool/members/list.html", _members_context(request, pool, form), status=status)


def _member(request: HttpRequest, pk: int, member_pk: int) -> tuple[Pool, PoolMember]:
    pool = _pool(request, pk)
    member = pool.members.select_related("organization").filter(pk=member_pk).first()
    if member is None:
        raise NotFound()
    return pool, member


def _member_context(
    request: HttpRequest, pool: Pool, member: PoolMember, dates_form: Any = None, note_form: Any = None
) -> dict[str, Any]:
    context = pool_context(request, pool, "members")
    context.update(
        {
            "member": member,
            "history": member.suspensions.order_by("-created_at", "-id"),
            "dates_form": dates_form
            or MemberDatesForm(
                initial={
                    "agreement_signed_on": member.agreement_signed_on.isoformat(),
                    "agreement_ends_on": member.agreement_ends_on.isoformat() if member.agreement_ends_on else "",
                }
            ),
            "note_form": note_form or SuspensionForm(),
            "is_bank": member.role == MemberRole.BANK,
        }
    )
    return context


@riskpool_page
@require_http_methods(["GET", "POST"])
def member_detail_view(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    """One member: agreement (the authority changes its dates here), suspension state and history."""
    pool, member = _member(request, pk, member_pk)
    if request.method == "GET":
        return render(request, "riskpool/members/detail.html", _member_context(request, pool, member))
    form = MemberDatesForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            member_services.member_update(
                actor=request.user,
                member=member,
                agreement_signed_on=form.cleaned_data["agreement_signed_on"],
                agreement_ends_on=form.cleaned_data["agreement_ends_on"] or None,
            )
        except (ValidationFailed, Conflict) as error:
            add_domain_errors(form, error)
            status = status_of(error)
        else:
            messages.success(request, _("The agreement dates were saved."))
            return redirect("riskpool:member-detail", pk=pool.pk, member_pk=member.pk)
    context = _member_context(request, pool, member, dates_form=form)
    return render(request, "riskpool/members/detail.html", context, status=status)


MEMBER_ACTIONS = {
    "suspend": (member_services.member_suspend, _("The bank is suspended from new enrolments.")),
    "resume": (member_services.member_resume, _("The bank may enrol loans again.")),
    "end": (member_services.member_end, _("The agreement has ended.")),
}


@riskpool_page
@require_POST
def member_action_view(request: HttpRequest, pk: int, member_pk: int, action: str) -> HttpResponse:
    """Suspend, resume or end a member (the authority)."""
    if action not in MEMBER_ACTIONS:
        raise NotFound()
    pool, member = _member(request, pk, member_pk)
    service, done = MEMBER_ACTIONS[action]
    form = SuspensionForm(request.POST)
    form.is_valid()
    try:
        if action == "end":
            service(actor=request.user, member=member)
        else:
            service(actor=request.user, member=member, note=form.cleaned_data.get("note", ""))
    except (ValidationFailed, Conflict) as error:
        add_domain_errors(form, error)
        context = _member_context(request, pool, member, note_form=form)
        return render(request, "riskpool/members/detail.html", context, status=status_of(error))
    messages.success(request, done)
    return redirect("riskpool:member-detail", pk=pool.pk, member_pk=member.pk)


# ---- rule versions ---------------------------------------------------------------------------------------


def _rules_context(request: HttpRequest, pool: Pool, preset_form: PresetVersionForm | None = None) -> dict[str, Any]:
    context = pool_context(request, pool, "rules")
    today = timezone.localdate()
    in_force = selectors.rule_version_in_force(pool=pool, on=today)
    context.update(
        {
            "versions": list(selectors.rule_version_list(actor=request.user, pool=pool)),
            "in_force": in_force,
            "preset_form": preset_form or PresetVersionForm(initial={"effective_from": today.isoformat()}),
            "presets": preset_list(),
        }
    )
    return context


@riskpool_page
@require_http_methods(["GET", "POST"])
def rules_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The pool's rule versions; the authority adds one from a preset here."""
    pool = _pool(request, pk)
    if request.method == "GET":
        return render(request, "riskpool/rules/list.html", _rules_context(request, pool))
    form = PresetVersionForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            version = rule_services.rule_version_from_preset(
                actor=request.user,
                pool=pool,
                preset=form.cleaned_data["preset"],
                effective_from=form.cleaned_data["effective_from"],
                label=form.cleaned_data["label"],
            )
        except (ValidationFailed, Conflict, NotFound) as error:
            add_domain_errors(form, error)
            if isinstance(error, Conflict) and not error.fields:
                form.errors.pop("__all__", None)
                form.add_error("effective_from", error.message)
            status = 400 if isinstance(error, NotFound) else status_of(error)
        else:
            messages.success(request, _("Rule version %(number)s was added.") % {"number": version.number})
            return redirect("riskpool:rule-version", pk=pool.pk, version_pk=version.pk)
    return render(request, "riskpool/rules/list.html", _rules_context(request, pool, form), status=status)


def _starting_rules(request: HttpRequest, pool: Pool) -> dict[str, Any]:
    """The rules a new version starts from: ?preset=<code>, ?from=<version id>, or the version in force."""
    code = request.GET.get("preset")
    if code:
        try:
            return preset_get(code).rules.to_dict()
        except NotFound:
            pass
    source = None
    if request.GET.get("from"):
        source = pool.rule_versions.filter(pk=parse_id(request.GET["from"])).first()
    source = source or selectors.rule_version_in_force(pool=pool, on=timezone.localdate())
    source = source or pool.rule_versions.order_by("-effective_from").first()
    return dict(source.rules) if source is not None else {"categories": []}


@riskpool_page
@require_http_methods(["GET", "POST"])
def rule_version_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A new rule version by hand, starting from the version in force, another version or a preset."""
    pool = _pool(request, pk)
    context = pool_context(request, pool, "rules")
    if not context["can_manage"]:
        raise PermissionDenied()
    status = 200
    if request.method == "POST":
        form = RuleVersionForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                version = rule_services.rule_version_create(
                    actor=request.user,
                    pool=pool,
                    effective_from=form.cleaned_data["effective_from"],
                    rules=form.rules(),
                    label=form.cleaned_data["label"],
                    notes=form.cleaned_data["notes"],
                )
            except (ValidationFailed, Conflict) as error:
                form.add_service_error(error)
                status = status_of(error)
            else:
                messages.success(request, _("Rule version %(number)s was added.") % {"number": version.number})
                return redirect("riskpool:rule-version", pk=pool.pk, version_pk=version.pk)
    else:
        initial = RuleVersionForm.initial_from_rules(_starting_rules(request, pool))
        initial["effective_from"] = timezone.localdate().isoformat()
        form = RuleVersionForm(initial=initial)
    context.update({"form": form, "presets": preset_list()})
    return render(request, "riskpool/rules/form.html", context, status=status)


@riskpool_page
@require_GET
def rule_version_view(request: HttpRequest, pk: int, version_pk: int) -> HttpResponse:
    """One rule version: per category the shares, uplifts and caps, and the caps across loans."""
    pool = _pool(request, pk)
    version = pool.rule_versions.filter(pk=version_pk).first()
    if version is None:
        raise NotFound()
    context = pool_context(request, pool, "rules")
    context.update(
        {
            "version": version,
            "display": rule_set_display(version.rules),
            "enrolled": version.enrolments.count(),
            "is_in_force": selectors.rule_version_in_force(pool=pool, on=timezone.localdate()) == version,
        }
    )
    return render(request, "riskpool/rules/detail.html", context)
