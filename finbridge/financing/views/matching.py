"""Pages of matching: a demand's ranked matches (an htmx partial, or a whole page), refreshing them on request,
and the institution inbox.

Views parse input, call a selector or service and render. NotFound answers 404, PermissionDenied 403; a
refresh of a closed demand (Conflict) comes back as a message.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from finbridge.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from finbridge.enterprises.views import wants_partial
from finbridge.financing.models import Demand, DemandMatch
from finbridge.financing.selectors import matching as selectors
from finbridge.financing.services import matching as services

FITS_SHOWN = 50
NEAR_MISSES_SHOWN = 20
INBOX_PAGE_SIZE = 20
View = Callable[..., HttpResponse]


def matching_page(view: View) -> View:
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


def demand_url(demand_id: int) -> str:
    """The demand's own page (demands area), or its matches page while that page does not exist."""
    try:
        return reverse("financing:demands-detail", args=[demand_id])
    except NoReverseMatch:
        return reverse("financing:matching-demand-matches", args=[demand_id])


def product_url(product_id: int) -> str:
    try:
        return reverse("financing:products-detail", args=[product_id])
    except NoReverseMatch:
        return ""


# ---- a demand's matches ----------------------------------------------------------------------------------------


def _matches_context(request: HttpRequest, access: selectors.MatchAccess, *, refreshed: bool = False) -> dict:
    demand: Demand = access.demand
    matches = selectors.demand_matches(actor=request.user, demand=demand, access=access)
    with selectors.nested_loop_planning():
        fits = list(matches.filter(fits=True)[:FITS_SHOWN])
        near = list(matches.filter(fits=False)[:NEAR_MISSES_SHOWN])
        fits_count = len(fits) if len(fits) < FITS_SHOWN else matches.filter(fits=True).count()
        near_count = len(near) if len(near) < NEAR_MISSES_SHOWN else matches.filter(fits=False).count()
    last = max((m.computed_at for m in fits + near), default=None)
    is_open = selectors.demand_is_open(demand)
    return {
        "demand": demand,
        "demand_url": demand_url(demand.pk),
        "fits": _with_links(selectors.match_views(fits, show_figures=access.show_figures)),
        "near_misses": _with_links(selectors.match_views(near, show_figures=access.show_figures)),
        "fits_count": fits_count,
        "near_count": near_count,
        "fits_hidden": max(0, fits_count - len(fits)),
        "near_hidden": max(0, near_count - len(near)),
        "own_products_only": not access.all_products,
        "computed_at": last,
        "is_open": is_open,
        "can_refresh": is_open and selectors.can_refresh_matches(actor=request.user, demand=demand),
        "refreshed": refreshed,
    }


def _with_links(views: list[selectors.MatchView]) -> list[dict[str, Any]]:
    return [{"view": view, "match": view.match, "product_url": product_url(view.match.product_id)} for view in views]


def _render_matches(request: HttpRequest, context: dict) -> HttpResponse:
    if wants_partial(request):
        return render(request, "financing/matching/partials/_matches.html", context)
    return render(request, "financing/matching/demand_matches.html", context)


@matching_page
@require_GET
def demand_matches_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The demand's matching products, ranked, each reason a ✓ line, and its near misses with ✗ lines.
    htmx requests (the demand page embeds it) get the list only."""
    access = selectors.match_access(actor=request.user, pk=pk)
    selectors.demand_matches(actor=request.user, demand=access.demand, access=access)  # checks the permission code
    return _render_matches(request, _matches_context(request, access))


@matching_page
@require_POST
def demand_matches_refresh_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Recompute the demand's matches now (the firm, or government staff in remit), then show them."""
    access = selectors.match_access(actor=request.user, pk=pk)
    refreshed = False
    try:
        services.matches_refresh_on_request(actor=request.user, demand=access.demand)
        refreshed = True
    except Conflict as exc:
        messages.error(request, exc.message)
    if wants_partial(request):
        return render(
            request, "financing/matching/partials/_matches.html", _matches_context(request, access, refreshed=refreshed)
        )
    if refreshed:
        messages.success(request, _("Matches recomputed."))
    return redirect("financing:matching-demand-matches", pk=access.demand.pk)


# ---- the institution inbox ---------------------------------------------------------------------------------------

YES_NO_ANY = [("", gettext_lazy("Any")), ("true", gettext_lazy("Yes")), ("false", gettext_lazy("No"))]


class InboxFilterForm(forms.Form):
    """Parses the inbox filters; the filtering itself is selectors.institution_inbox."""

    fast_track = forms.ChoiceField(
        label=gettext_lazy("Fast track"),
        choices=YES_NO_ANY,
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    overdue = forms.ChoiceField(
        label=gettext_lazy("Answer overdue"),
        choices=YES_NO_ANY,
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    product = forms.TypedChoiceField(
        label=gettext_lazy("Product"),
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args: Any, products: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [("", _("All my products"))] + [(p.pk, p.display_name) for p in products]

    def selector_filters(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            name: data.get(name) for name in ("fast_track", "overdue", "product") if data.get(name) not in (None, "")
        }


@matching_page
@require_GET
def inbox_view(request: HttpRequest) -> HttpResponse:
    """The institution inbox: open demands shown to the user's bank or guarantor that fit its products and that
    it has not answered, fast track first, then by score, with the answer deadline. htmx: the table only."""
    products = list(selectors.inbox_products(actor=request.user))
    form = InboxFilterForm(request.GET, products=products)
    filters = form.selector_filters()
    error = ""
    try:
        queryset = selectors.institution_inbox(actor=request.user, filters=filters)
    except DomainError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        queryset, error = DemandMatch.objects.none(), exc.message
    with selectors.nested_loop_planning():
        page = selectors.InboxPaginator(queryset, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
        rows = [
            {"match": match, "demand_url": demand_url(match.demand_id), "matches_url": _matches_url(match.demand_id)}
            for match in page.object_list
        ]
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "count": min(page.paginator.count, selectors.INBOX_COUNT_CAP),
        "count_capped": page.paginator.count_capped,
        "page_range": list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)),
        "is_filtered": bool(filters),
        "error": error,
        "has_products": bool(products),
    }
    if wants_partial(request):
        return render(request, "financing/matching/partials/_inbox_results.html", context)
    return render(request, "financing/matching/inbox.html", context)


def _matches_url(demand_id: int) -> str:
    return reverse("financing:matching-demand-matches", args=[demand_id])
