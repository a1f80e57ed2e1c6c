"""Pages of the product catalogue and the LPR table: browse and filter, detail, create, edit, publish,
withdraw; the LPR history with an add form for the district authority.

Views parse input, call a selector or service and render. NotFound answers 404, PermissionDenied 403;
ValidationFailed and Conflict come back as messages on the form (or, for publish/withdraw, on the page).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from babel.numbers import format_decimal
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from finbridge.core import pagination
from finbridge.core.errors import DomainError, NotFound, PermissionDenied
from finbridge.core.money import yuan_to_wan
from finbridge.core.permissions import has_perm, require_perm
from finbridge.enterprises.choices import SizeClass, TechLabel
from finbridge.enterprises.forms import industry_datalist
from finbridge.enterprises.views import wants_partial
from finbridge.financing import permissions as perms
from finbridge.financing.choices import GUARANTOR_KINDS, Collateral, LprTerm, ProductStatus
from finbridge.financing.forms_products import LprForm, ProductFilterForm, ProductForm, add_domain_errors
from finbridge.financing.models import Product
from finbridge.financing.rates import effective_rates, lpr_rate_on, percent, rate_description
from finbridge.financing.selectors import products as selectors
from finbridge.financing.services import lpr as lpr_services
from finbridge.financing.services import products as product_services
from finbridge.financing.transitions import PRODUCT_TRANSITIONS, can_transition
from finbridge.reference.industries import industry_get

PAGE_SIZE = 12
View = Callable[..., HttpResponse]


def financing_page(view: View) -> View:
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


def _detail_url(product: Product) -> str:
    return reverse("financing:products-detail", args=[product.pk])


# ---- presentation helpers --------------------------------------------------------------------------------


def _wan(amount: Any) -> str:
    """An amount in yuan as 万元 for the active language, without trailing zero decimals (50, 12.5)."""
    return format_decimal(yuan_to_wan(amount), format="#,##0.##", locale=_babel_locale())


def _babel_locale() -> str:
    return "zh_Hans_CN" if (get_language() or "zh-hans").startswith("zh") else "en"


def amount_range(product: Product) -> str:
    """ "50 to 1,000 ten-thousand yuan" in the active language (the unit printed once)."""
    if product.amount_min == product.amount_max:
        return _("%(amount)s ten-thousand yuan") % {"amount": _wan(product.amount_min)}
    return _("%(low)s to %(high)s ten-thousand yuan") % {
        "low": _wan(product.amount_min),
        "high": _wan(product.amount_max),
    }


def term_range(product: Product) -> str:
    if product.term_min_months == product.term_max_months:
        return _("%(months)s months") % {"months": product.term_min_months}
    return _("%(low)s to %(high)s months") % {"low": product.term_min_months, "high": product.term_max_months}


def _labels(values: list[str], choices: Any) -> list[str]:
    known = dict(choices)
    return [str(known.get(value, value)) for value in values]


def _join(items: list[str]) -> str:
    return _(", ").join(items)


def eligibility_lines(product: Product) -> list[str]:
    """Who may apply, in plain words, one line per rule (an empty list never: "any firm" is said)."""
    lines: list[str] = []
    if product.msme_exclusive:
        lines.append(_("Only for micro, small and medium enterprises."))
    if product.eligible_size_classes:
        lines.append(
            _("Size class: %(classes)s.")
            % {"classes": _join(_labels(product.eligible_size_classes, SizeClass.choices))}
        )
    if product.eligible_industries:
        names = []
        for code in product.eligible_industries:
            industry = industry_get(code)
            names.append(f"{code} {industry.name}" if industry else code)
        lines.append(_("Industries: %(industries)s.") % {"industries": _join(names)})
    clusters = [c.name for c in product.eligible_clusters.all()]
    if clusters:
        lines.append(_("Industrial clusters: %(clusters)s.") % {"clusters": _join(clusters)})
    subdistricts = [s.name for s in product.eligible_subdistricts.all()]
    if subdistricts:
        lines.append(_("Registered in the subdistricts %(subdistricts)s.") % {"subdistricts": _join(subdistricts)})
    if product.required_labels:
        lines.append(
            _("The firm holds at least one of: %(labels)s.")
            % {"labels": _join(_labels(product.required_labels, TechLabel.choices))}
        )
    if product.min_years_in_operation:
        lines.append(_("In operation for at least %(years)s years.") % {"years": product.min_years_in_operation})
    if product.min_annual_revenue:
        revenue = _("%(amount)s ten-thousand yuan") % {"amount": _wan(product.min_annual_revenue)}
        lines.append(_("Annual revenue of at least %(amount)s.") % {"amount": revenue})
    if not lines:
        lines.append(_("Any enterprise may apply."))
    return lines


def security_lines(product: Product) -> list[str]:
    """Collateral, guarantee and features in plain words."""
    lines = []
    collateral = [c for c in product.collateral_required or [] if c != Collateral.NONE]
    if collateral:
        lines.append(_("Collateral accepted: %(items)s.") % {"items": _join(_labels(collateral, Collateral.choices))})
    elif product.kind not in GUARANTOR_KINDS:
        lines.append(_("No collateral needed."))
    if product.guarantee_required:
        lines.append(_("A third-party guarantee is required."))
    if product.suits_first_time_borrowers:
        lines.append(_("Suits firms borrowing from a bank for the first time."))
    if product.allows_renewal_without_repayment:
        lines.append(_("Can be renewed without repaying the principal first."))
    return lines


def lpr_banner() -> list[dict[str, str]]:
    """The LPR of each term in force today, as words for a one-line banner."""
    return [
        {"term": str(row.get_term_display()), "rate": percent(row.rate), "date": row.effective_on.isoformat()}
        for row in selectors.lpr_current().values()
        if row is not None
    ]


@dataclass
class ProductView:
    """A product with what its card and page show."""

    product: Product
    effective_rate: Decimal | None
    rate_percent: str
    headline: str  # the price in one figure: the annual rate of a loan, the fee of a guarantee
    headline_caption: str
    rate_text: str
    amount_text: str
    term_text: str
    can_manage: bool
    in_validity: bool

    @property
    def status_class(self) -> str:
        return {
            ProductStatus.PUBLISHED: "text-bg-success",
            ProductStatus.DRAFT: "text-bg-secondary",
            ProductStatus.WITHDRAWN: "text-bg-warning",
        }.get(self.product.status, "text-bg-light")


def _in_validity(product: Product, today: datetime.date) -> bool:
    return (product.valid_from is None or product.valid_from <= today) and (
        product.valid_until is None or product.valid_until >= today
    )


def _headline(product: Product, rate: Decimal | None) -> str:
    if product.kind in GUARANTOR_KINDS:
        return percent(product.fee_rate or 0)
    return percent(rate) if rate is not None else ""


def validity_text(product: Product) -> str:
    """The validity dates in words ("" when the product has none)."""
    start, end = product.valid_from, product.valid_until
    if start and end:
        return _("%(start)s to %(end)s") % {"start": start.isoformat(), "end": end.isoformat()}
    if start:
        return _("from %(start)s") % {"start": start.isoformat()}
    if end:
        return _("until %(end)s") % {"end": end.isoformat()}
    return ""


def present(request: HttpRequest, products: list[Product]) -> list[ProductView]:
    """Views of products with today's effective rate (one LPR query for all of them)."""
    today = timezone.localdate()
    rates = effective_rates(products, today)
    lpr = lpr_rate_on(LprTerm.ONE_YEAR, today)
    return [
        ProductView(
            product=p,
            effective_rate=rates.get(p.pk),
            rate_percent=percent(rates.get(p.pk)) if rates.get(p.pk) is not None else "",
            headline=_headline(p, rates.get(p.pk)),
            headline_caption=_("guarantee fee") if p.kind in GUARANTOR_KINDS else _("a year"),
            rate_text=rate_description(p, today, lpr=lpr),
            amount_text=amount_range(p),
            term_text=term_range(p),
            can_manage=selectors.can_manage_product(request.user, p),
            in_validity=_in_validity(p, today),
        )
        for p in products
    ]


# ---- catalogue -------------------------------------------------------------------------------------------


@financing_page
@require_http_methods(["GET"])
def product_list_view(request: HttpRequest) -> HttpResponse:
    """The product catalogue, searched and filtered; htmx requests get the results only."""
    require_perm(request.user, perms.VIEW_PRODUCT)
    is_provider = bool(selectors.own_provider_ids(request.user))
    form = ProductFilterForm(
        request.GET, providers=selectors.product_providers(actor=request.user), is_provider=is_provider
    )
    form.is_valid()  # invalid values are left out of cleaned_data, so they are ignored
    query, filters = form.search_arguments()
    queryset = selectors.product_list(actor=request.user, q=query, filters=filters).prefetch_related(
        "eligible_clusters", "eligible_subdistricts"
    )
    page = pagination.CappedPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = present(request, list(page.object_list))
    context = {
        "form": form,
        "page": page,
        "count": min(page.paginator.count, pagination.COUNT_CAP),
        "count_capped": page.paginator.count_capped,
        "page_range": list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)),
        "is_filtered": bool(query or filters),
        "can_create": has_perm(request.user, perms.MANAGE_PRODUCT)
        and bool(selectors.manageable_provider_ids(request.user)),
        "lpr_banner": lpr_banner(),
    }
    if wants_partial(request):
        return render(request, "financing/products/partials/_results.html", context)
    return render(request, "financing/products/list.html", context)


def _actions_context(request: HttpRequest, view: ProductView) -> dict[str, Any]:
    status = view.product.status
    return {
        "view": view,
        "product": view.product,
        "can_publish": view.can_manage and can_transition(PRODUCT_TRANSITIONS, status, ProductStatus.PUBLISHED),
        "can_withdraw": view.can_manage and can_transition(PRODUCT_TRANSITIONS, status, ProductStatus.WITHDRAWN),
        "validity": validity_text(view.product),
    }


@financing_page
@require_http_methods(["GET"])
def product_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One product: price, amounts, terms, security, eligibility in plain words, both descriptions."""
    product = selectors.product_get(actor=request.user, pk=pk)
    view = present(request, [product])[0]
    return render(request, "financing/products/detail.html", _detail_context(request, view))


def _detail_context(request: HttpRequest, view: ProductView) -> dict[str, Any]:
    product = view.product
    english_first = not (getattr(request, "LANGUAGE_CODE", "") or "").startswith("zh")
    descriptions = [
        ("en", _("English"), product.description_en),
        ("zh-hans", _("Chinese"), product.description),
    ]
    if not english_first:
        descriptions.reverse()
    return {
        **_actions_context(request, view),
        "eligibility": eligibility_lines(product),
        "security": security_lines(product),
        "descriptions": [d for d in descriptions if d[2]],
        "fee_percent": percent(product.fee_rate or 0),
    }


# ---- create and edit -------------------------------------------------------------------------------------


def _form_page(request: HttpRequest, form: ProductForm, *, status: int = 200) -> HttpResponse:
    context = {
        "form": form,
        "product": form.product,
        "industry_codes": industry_datalist(),
        "lpr_banner": lpr_banner(),
    }
    return render(request, "financing/products/form.html", context, status=status)


@financing_page
@require_http_methods(["GET", "POST"])
def product_create_view(request: HttpRequest) -> HttpResponse:
    """A new draft product for one of the banks or guarantee agencies the user manages products for."""
    require_perm(request.user, perms.MANAGE_PRODUCT)
    providers = list(selectors.manageable_providers(actor=request.user))
    if not providers:
        raise PermissionDenied()
    if request.method != "POST":
        return _form_page(request, ProductForm(providers=providers))
    form = ProductForm(request.POST, providers=providers)
    if form.is_valid():
        provider = form.provider_choice()
        if provider is None:
            form.add_error("provider", _("Choose the bank or guarantee agency that offers the product."))
        else:
            try:
                product = product_services.product_create(
                    actor=request.user, provider=provider, data=form.service_data()
                )
            except (PermissionDenied, NotFound):
                raise
            except DomainError as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("%(name)s was saved as a draft. Publish it when it is ready.") % {"name": product.display_name},
                )
                return redirect(_detail_url(product))
    return _form_page(request, form, status=400)


@financing_page
@require_http_methods(["GET", "POST"])
def product_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a product (its provider's product managers); a published product stays published."""
    product = selectors.product_get(actor=request.user, pk=pk)
    require_perm(request.user, perms.MANAGE_PRODUCT)
    if not selectors.can_manage_product(request.user, product):
        raise PermissionDenied()
    if request.method != "POST":
        return _form_page(request, ProductForm(product=product))
    form = ProductForm(request.POST, product=product)
    if form.is_valid():
        try:
            product_services.product_update(actor=request.user, product=product, data=form.service_data())
        except (PermissionDenied, NotFound):
            raise
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect(_detail_url(product))
    return _form_page(request, form, status=400)


# ---- publish and withdraw ----------------------------------------------------------------------------------


def _status_change(request: HttpRequest, pk: int, service: Callable[..., Product], done: str) -> HttpResponse:
    product = selectors.product_get(actor=request.user, pk=pk)
    error = ""
    try:
        product = service(actor=request.user, product=product)
    except (PermissionDenied, NotFound):
        raise
    except DomainError as exc:
        error = exc.message
        details = [m for name, ms in exc.fields.items() for m in ms if m != exc.message]
        if details:
            error = " ".join([exc.message, *details]) if exc.message else " ".join(details)
    if wants_partial(request):
        fresh = selectors.product_get(actor=request.user, pk=product.pk)
        context = {
            **_actions_context(request, present(request, [fresh])[0]),
            "error": error,
            "done": "" if error else done,
        }
        return render(request, "financing/products/partials/_actions.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    return redirect(_detail_url(product))


@financing_page
@require_POST
def product_publish_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish a draft or withdrawn product; htmx swaps the status block, others go back to the page."""
    return _status_change(
        request, pk, product_services.product_publish, _("The product is published and appears in the catalogue.")
    )


@financing_page
@require_POST
def product_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw a published product from the catalogue (it can be published again)."""
    return _status_change(
        request, pk, product_services.product_withdraw, _("The product was withdrawn from the catalogue.")
    )


# ---- LPR ------------------------------------------------------------------------------------------------------


def _lpr_page(request: HttpRequest, form: LprForm | None, *, status: int = 200) -> HttpResponse:
    rows = list(selectors.lpr_list(actor=request.user))
    for row in rows:
        row.percent = percent(row.rate)
    dates = sorted({row.effective_on for row in rows}, reverse=True)
    by_key = {(row.term, row.effective_on): row for row in rows}
    current = {
        term: by_key.get((term, row.effective_on)) if row else None for term, row in selectors.lpr_current().items()
    }
    table = [
        {
            "date": day,
            "one_year": by_key.get((LprTerm.ONE_YEAR, day)),
            "five_year": by_key.get((LprTerm.FIVE_YEAR, day)),
        }
        for day in dates
    ]
    context = {
        "form": form,
        "table": table,
        "current_one_year": current[LprTerm.ONE_YEAR],
        "current_five_year": current[LprTerm.FIVE_YEAR],
        "current_ids": {row.pk for row in current.values() if row is not None},
    }
    return render(request, "financing/lpr/list.html", context, status=status)


@financing_page
@require_http_methods(["GET", "POST"])
def lpr_list_view(request: HttpRequest) -> HttpResponse:
    """The LPR history (1-year and 5-year) with the rates in force today; the district authority adds rows."""
    require_perm(request.user, perms.VIEW_PRODUCT)
    can_add = has_perm(request.user, perms.MANAGE_LPR)
    if request.method != "POST":
        return _lpr_page(request, LprForm() if can_add else None)
    require_perm(request.user, perms.MANAGE_LPR)
    form = LprForm(request.POST)
    if form.is_valid():
        try:
            row, created = lpr_services.lpr_set(actor=request.user, **form.service_data())
        except (PermissionDenied, NotFound):
            raise
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            values = {"term": row.get_term_display(), "date": row.effective_on.isoformat(), "rate": percent(row.rate)}
            if created:
                messages.success(request, _("%(term)s of %(rate)s from %(date)s was recorded.") % values)
            else:
                messages.success(request, _("%(term)s from %(date)s is now %(rate)s.") % values)
            return redirect("financing:lpr-list")
    return _lpr_page(request, form, status=400)


# ---- home page panel ---------------------------------------------------------------------------------------

PANEL_ROWS = 5


def products_home_panel(actor: Any) -> dict[str, Any] | None:
    """A panel for the home page (accounts/dashboard.py PANEL_BUILDERS): for members of a bank or guarantee
    agency, their products by status with links; for everyone else, the newest products of the catalogue.
    None for someone who may not view products."""
    if not has_perm(actor, perms.VIEW_PRODUCT):
        return None
    list_url = reverse("financing:products-list")
    own = selectors.own_provider_ids(actor)
    if own:
        counts = dict(
            Product.objects.filter(provider_id__in=own)
            .order_by()
            .values("status")
            .annotate(count=Count("id"))
            .values_list("status", "count")
        )
        return {
            "template": "financing/products/partials/_panel_products.html",
            "title": _("Your products"),
            "statuses": [
                {
                    "label": status.label,
                    "count": counts.get(status.value, 0),
                    "url": f"{list_url}?{urlencode({'mine': 'on', 'status': status.value})}",
                }
                for status in ProductStatus
            ],
            "can_create": has_perm(actor, perms.MANAGE_PRODUCT) and bool(selectors.manageable_provider_ids(actor)),
            "list_url": list_url,
        }
    newest = list(selectors.product_list(actor=actor).select_related("provider")[:PANEL_ROWS])
    today = timezone.localdate()
    rates = effective_rates(newest, today)
    return {
        "template": "financing/products/partials/_panel_products.html",
        "title": _("New financing products"),
        "products": [
            {"product": p, "headline": _headline(p, rates.get(p.pk)), "amount": amount_range(p)} for p in newest
        ],
        "list_url": list_url,
    }
