"""Pages of the MSME registry: list, detail, history, create, edit, verify, contacts and consents.

Views parse input, call a selector or service and render. Domain errors become pages: NotFound → 404,
PermissionDenied → 403, ValidationFailed and Conflict → the form again with the messages.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from finbridge.accounts.selectors import actor_scope
from finbridge.core import pagination
from finbridge.core.errors import DomainError, NotFound, PermissionDenied
from finbridge.core.permissions import has_perm, require_perm
from finbridge.enterprises import permissions as perms
from finbridge.enterprises import selectors
from finbridge.enterprises.choices import SizeClass
from finbridge.enterprises.forms import (
    ConsentGrantForm,
    ContactForm,
    EnterpriseFilterForm,
    EnterpriseForm,
    FinancialsForm,
    add_domain_errors,
    industry_datalist,
)
from finbridge.enterprises.models import Enterprise
from finbridge.enterprises.services import consents as consent_services
from finbridge.enterprises.services import enterprises as enterprise_services
from finbridge.enterprises.sizing import classification_basis
from finbridge.reference.industries import industry_get

PAGE_SIZE = 20
View = Callable[..., HttpResponse]


def registry_page(view: View) -> View:
    """Sign-in required; NotFound answers 404 and PermissionDenied 403, like Django's own errors."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(exc.message) from exc

    return wrapper


def wants_partial(request: HttpRequest) -> bool:
    """An htmx request that swaps part of the page (not a boosted link or a history restore)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def _detail_url(enterprise: Enterprise) -> str:
    return reverse("enterprises:detail", args=[enterprise.pk])


# ---- list ---------------------------------------------------------------------------------------


@registry_page
@require_http_methods(["GET"])
def enterprise_list_view(request: HttpRequest) -> HttpResponse:
    """The enterprises the user may see, searched and filtered; htmx requests get the results only."""
    require_perm(request.user, perms.VIEW_ENTERPRISE)
    form = EnterpriseFilterForm(request.GET)
    form.is_valid()  # invalid values are left out of cleaned_data, so they are ignored
    query, filters = form.search_arguments()
    search_error = ""
    try:
        queryset = selectors.enterprise_list(actor=request.user, q=query, filters=filters)
    except DomainError as exc:
        queryset, search_error = Enterprise.objects.none(), exc.message
    page = pagination.CappedPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    visible_figures = selectors.financials_visible_ids(actor=request.user, enterprises=page.object_list)
    for enterprise in page.object_list:
        enterprise.show_figures = enterprise.pk in visible_figures
    context = {
        "form": form,
        "page": page,
        "count": min(page.paginator.count, pagination.COUNT_CAP),
        "count_capped": page.paginator.count_capped,
        "page_range": list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)),
        "search_error": search_error,
        "is_filtered": bool(query or filters),
        "can_add": has_perm(request.user, perms.ADD_ENTERPRISE),
        "can_import": has_perm(request.user, perms.IMPORT_ENTERPRISES),
        "industry_codes": industry_datalist(),
    }
    if wants_partial(request):
        response = render(request, "enterprises/partials/_results.html", context)
        response["HX-Push-Url"] = _address_without_blanks(request)
        return response
    return render(request, "enterprises/enterprise_list.html", context)


def _address_without_blanks(request: HttpRequest) -> str:
    """The request's path and query without empty parameters, for the address bar after an htmx search."""
    kept = [(name, value) for name, values in request.GET.lists() for value in values if value.strip()]
    return f"{request.path}?{urlencode(kept)}" if kept else request.path


# ---- detail, history ------------------------------------------------------------------------------


def _contact_block_context(request: HttpRequest, enterprise: Enterprise, form: ContactForm | None = None) -> dict:
    return {
        "enterprise": enterprise,
        "contacts": list(enterprise.contacts.all()),
        "can_edit": has_perm(request.user, perms.CHANGE_ENTERPRISE, enterprise),
        "contact_form": form or ContactForm(auto_id="id_contact_%s"),
    }


def _financials_block_context(
    request: HttpRequest, enterprise: Enterprise, *, show_figures: bool, form: FinancialsForm | None = None
) -> dict:
    return {
        "enterprise": enterprise,
        "show_figures": show_figures,
        "financials": list(enterprise.financials.all()) if show_figures else [],
        "can_edit_figures": show_figures and has_perm(request.user, perms.CHANGE_ENTERPRISE, enterprise),
        "financials_form": form or FinancialsForm(auto_id="id_financials_%s"),
    }


def _verification_block_context(request: HttpRequest, enterprise: Enterprise) -> dict:
    return {
        "enterprise": enterprise,
        "verification_state": enterprise.verification_state(),
        "can_verify": has_perm(request.user, perms.VERIFY_ENTERPRISE, enterprise),
    }


def size_basis_table(enterprise: Enterprise) -> dict[str, Any]:
    """The "why this size class" panel: the rule row used, its bounds per class and the enterprise's figures."""
    basis = classification_basis(
        industry_code=enterprise.industry_code,
        employees=enterprise.employees,
        revenue=enterprise.annual_revenue,
        assets=enterprise.total_assets,
    )
    kinds = list(basis.figures)
    rows = [
        {
            "size_class": size_class,
            "label": SizeClass(size_class).label,
            "cells": [(kind, bounds.get(kind)) for kind in kinds],
            "applies": size_class == basis.result,
        }
        for size_class, bounds in basis.thresholds
    ]
    return {
        "basis": basis,
        "kinds": kinds,
        "rows": rows,
        "micro_applies": basis.result == SizeClass.MICRO,
        "figures": [(kind, basis.figures[kind]) for kind in kinds],
        "missing": list(basis.missing),
    }


@registry_page
@require_http_methods(["GET"])
def enterprise_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One enterprise: profile, figures (when shared), contacts, verification and size-class basis."""
    enterprise = selectors.enterprise_get(actor=request.user, pk=pk)
    show_figures = selectors.can_see_financials(actor=request.user, enterprise=enterprise)
    context = {
        **_contact_block_context(request, enterprise),
        **_verification_block_context(request, enterprise),
        **_financials_block_context(request, enterprise, show_figures=show_figures),
        "size_basis": size_basis_table(enterprise) if show_figures else None,
        "industry": industry_get(enterprise.industry_code),
        "clusters": list(enterprise.clusters.all()),
        "can_view_history": has_perm(request.user, perms.VIEW_HISTORY, enterprise),
    }
    return render(request, "enterprises/enterprise_detail.html", context)


@registry_page
@require_http_methods(["GET"])
def enterprise_history_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Every change of one record: when, who, and each changed field old → new."""
    enterprise = selectors.enterprise_get(actor=request.user, pk=pk)
    require_perm(request.user, perms.VIEW_HISTORY, enterprise)
    entries = selectors.enterprise_history(actor=request.user, enterprise=enterprise)
    return render(request, "enterprises/enterprise_history.html", {"enterprise": enterprise, "entries": entries})


# ---- create, edit, verify -------------------------------------------------------------------------


def _form_page(request: HttpRequest, form: EnterpriseForm, *, status: int = 200) -> HttpResponse:
    context = {"form": form, "enterprise": form.enterprise, "industry_codes": industry_datalist()}
    return render(request, "enterprises/enterprise_form.html", context, status=status)


@registry_page
@require_http_methods(["GET", "POST"])
def enterprise_create_view(request: HttpRequest) -> HttpResponse:
    """Add an enterprise to the registry (government users with add permission)."""
    require_perm(request.user, perms.ADD_ENTERPRISE)
    if request.method != "POST":
        return _form_page(request, EnterpriseForm())
    form = EnterpriseForm(request.POST)
    if form.is_valid():
        try:
            enterprise = enterprise_services.enterprise_create(actor=request.user, data=form.service_data())
        except (PermissionDenied, NotFound):
            raise
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("%(name)s was added to the registry.") % {"name": enterprise.name})
            return redirect(_detail_url(enterprise))
    return _form_page(request, form, status=400)


def _editable_fields(request: HttpRequest) -> frozenset[str] | None:
    """None (every field) for government editors; an enterprise editing itself gets its own fields only."""
    return None if actor_scope(request.user).is_government else enterprise_services.MSME_EDITABLE_FIELDS


@registry_page
@require_http_methods(["GET", "POST"])
def enterprise_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Change an enterprise's record (its managing authorities, or the enterprise itself)."""
    enterprise = selectors.enterprise_get(actor=request.user, pk=pk)
    require_perm(request.user, perms.CHANGE_ENTERPRISE, enterprise)
    editable = _editable_fields(request)
    if request.method != "POST":
        return _form_page(request, EnterpriseForm(enterprise=enterprise, editable=editable))
    form = EnterpriseForm(request.POST, enterprise=enterprise, editable=editable)
    if form.is_valid():
        try:
            enterprise_services.enterprise_update(actor=request.user, enterprise=enterprise, data=form.service_data())
        except NotFound:
            raise
        except PermissionDenied as exc:
            if not exc.fields:
                raise
            add_domain_errors(form, exc)
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect(_detail_url(enterprise))
    return _form_page(request, form, status=400)


@registry_page
@require_POST
def enterprise_verify_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm a record is current; htmx swaps the verification block, others go back to the page."""
    enterprise = selectors.enterprise_get(actor=request.user, pk=pk)
    enterprise = enterprise_services.enterprise_verify(actor=request.user, enterprise=enterprise)
    if wants_partial(request):
        context = {**_verification_block_context(request, enterprise), "just_verified": True}
        return render(request, "enterprises/partials/_verification.html", context)
    messages.success(request, _("The record was marked as verified."))
    return redirect(_detail_url(enterprise))


# ---- contacts -----------------------------------------------------------------------------------


def _contacts_response(request: HttpRequest, enterprise: Enterprise, form: ContactForm | None = None) -> HttpResponse:
    fresh = selectors.enterprise_get(actor=request.user, pk=enterprise.pk)
    return render(request, "enterprises/partials/_contacts.html", _contact_block_context(request, fresh, form))


@registry_page
@require_POST
def contact_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a contact person (editors of the record). Errors are shown next to the fields."""
    enterprise = selectors.enterprise_get(actor=request.user, pk=pk)
    form = ContactForm(request.POST, auto_id="id_contact_%s")
    if form.is_valid():
        try:
            enterprise_services.contact_add(actor=request.user, enterprise=enterprise, data=form.service_data())
        except (PermissionDenied, NotFound):
            raise
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            if wants_partial(request):
                return _contacts_response(request, enterprise)
            messages.success(request, _("The contact was added."))
            return redirect(_detail_url(enterprise) + "#contacts")
    if wants_partial(request):
        return _contacts_response(request, enterprise, form)
    for message in _form_messages(form):
        messages.error(request, message)
    return redirect(_detail_url(enterprise) + "#contacts")


@registry_page
@require_POST
def contact_remove_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a contact person of a record the user may edit."""
    contact = selectors.contact_get(actor=request.user, pk=pk)
    enterprise = contact.enterprise
    enterprise_services.contact_remove(actor=request.user, contact=contact)
    if wants_partial(request):
        return _contacts_response(request, enterprise)
    messages.success(request, _("The contact was removed."))
    return redirect(_detail_url(enterprise) + "#contacts")


# ---- yearly figures -------------------------------------------------------------------------------


def _financials_response(
    request: HttpRequest, enterprise: Enterprise, form: FinancialsForm | None = None
) -> HttpResponse:
    fresh = selectors.enterprise_get(actor=request.user, pk=enterprise.pk)
    context = _financials_block_context(request, fresh, show_figures=True, form=form)
    return render(request, "enterprises/partials/_financials.html", context)


@registry_page
@require_POST
def financials_save_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Record or change one year's figures (editors of a record whose figures they may see)."""
    enterprise = selectors.enterprise_get(actor=request.user, pk=pk)
    selectors.financials_list(actor=request.user, enterprise=enterprise)  # NotFound / PermissionDenied
    form = FinancialsForm(request.POST, auto_id="id_financials_%s")
    if form.is_valid():
        year, figures = form.service_arguments()
        try:
            enterprise_services.financials_upsert(actor=request.user, enterprise=enterprise, year=year, data=figures)
        except (PermissionDenied, NotFound):
            raise
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            if wants_partial(request):
                return _financials_response(request, enterprise)
            messages.success(request, _("The figures for %(year)s were saved.") % {"year": year})
            return redirect(_detail_url(enterprise) + "#financials")
    if wants_partial(request):
        return _financials_response(request, enterprise, form)
    for message in _form_messages(form):
        messages.error(request, message)
    return redirect(_detail_url(enterprise) + "#financials")


@registry_page
@require_POST
def financials_delete_view(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    """Delete one year's figures (editors of the record)."""
    enterprise = selectors.enterprise_get(actor=request.user, pk=pk)
    row = selectors.financials_list(actor=request.user, enterprise=enterprise).filter(year=year).first()
    if row is None:
        raise NotFound()
    enterprise_services.financials_delete(actor=request.user, financials=row)
    if wants_partial(request):
        return _financials_response(request, enterprise)
    messages.success(request, _("The figures for %(year)s were deleted.") % {"year": year})
    return redirect(_detail_url(enterprise) + "#financials")


def _form_messages(form: Any) -> list[str]:
    """Every error of a form as "Field: message" (for pages that cannot show the form again)."""
    return [
        _("%(field)s: %(message)s") % {"field": form[name].label, "message": message}
        if name in form.fields
        else message
        for name, messages_ in form.errors.items()
        for message in messages_
    ]


# ---- consents -------------------------------------------------------------------------------------


def _consent_page(request: HttpRequest, form: ConsentGrantForm, *, status: int = 200) -> HttpResponse:
    own_ids = list(form.enterprise_map)
    context = {
        "form": form,
        "consents": list(selectors.consent_list(actor=request.user).filter(enterprise_id__in=own_ids)),
        "has_enterprise": bool(form.enterprise_map),
        "consents_multi_enterprise": len(form.enterprise_map) > 1,
    }
    return render(request, "enterprises/consents.html", context, status=status)


def _grant_form(request: HttpRequest, data: Any = None) -> ConsentGrantForm:
    return ConsentGrantForm(
        data,
        enterprises=selectors.own_enterprises(actor=request.user),
        grantees=selectors.grantee_choices(actor=request.user),
    )


@registry_page
@require_http_methods(["GET", "POST"])
def consents_view(request: HttpRequest) -> HttpResponse:
    """The MSME's consents: grant one to an institution, see them all, revoke them."""
    require_perm(request.user, perms.MANAGE_CONSENT)
    if request.method != "POST":
        return _consent_page(request, _grant_form(request))
    form = _grant_form(request, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            consent = consent_services.consent_grant(
                actor=request.user,
                enterprise=data["enterprise"],
                grantee=data["grantee"],
                scope=data["scope"] or form.fields["scope"].initial,
                expires_on=data["expires_on"],
            )
        except (PermissionDenied, NotFound):
            raise
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(
                request, _("%(institution)s may now see your data.") % {"institution": consent.grantee.display_name}
            )
            return redirect("enterprises:consents")
    return _consent_page(request, form, status=400)


@registry_page
@require_POST
def consent_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke a consent at once; the institution loses access on its next request."""
    require_perm(request.user, perms.MANAGE_CONSENT)
    consent = selectors.consent_get(actor=request.user, pk=pk)
    try:
        consent = consent_services.consent_revoke(actor=request.user, consent=consent)
    except (PermissionDenied, NotFound):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Consent revoked: %(institution)s can no longer see your data.")
            % {"institution": consent.grantee.display_name},
        )
    if wants_partial(request):
        return HttpResponseClientRedirect(reverse("enterprises:consents"))
    return redirect("enterprises:consents")
