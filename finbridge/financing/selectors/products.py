"""Reads of products and of the LPR table, with the row-visibility rules of the catalogue.

Who sees which product:
- everyone signed in who holds financing.view_product sees published products within their validity
  (valid_from, if set, on or before today; valid_until, if set, on or after today);
- members (any role) of the provider, and of the provider's head office, also see its drafts, withdrawn
  products and published products outside their validity.
A product the actor may not see answers NotFound, exactly like a missing one.

Who may change a product (`can_manage_product`): a member whose own role in the provider grants
financing.manage_product (bank and guarantee-agency admins and staff), or such a member of the
provider's head office.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import F, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from finbridge.accounts.choices import OrgType
from finbridge.accounts.models import Organization
from finbridge.accounts.roles import codes_for
from finbridge.core.errors import NotFound
from finbridge.core.money import AMOUNT_MAX, to_decimal
from finbridge.core.permissions import has_perm
from finbridge.financing import permissions as perms
from finbridge.financing.choices import LprTerm, ProductStatus
from finbridge.financing.models import LprRate, Product
from finbridge.financing.rates import lpr_in_force, lpr_rate_on

__all__ = [
    "FILTER_NAMES",
    "PROVIDER_TYPES",
    "can_manage_product",
    "lpr_current",
    "lpr_in_force",
    "lpr_list",
    "lpr_rate_on",
    "manageable_provider_ids",
    "manageable_providers",
    "own_provider_ids",
    "parse_id",
    "product_get",
    "product_list",
    "product_providers",
    "product_visible_queryset",
]

PROVIDER_TYPES = frozenset({OrgType.BANK, OrgType.GUARANTOR})
MAX_ID = 2**63 - 1
FILTER_NAMES = (
    "kind",
    "provider",
    "first_time",
    "renewal_without_repayment",
    "amount",
    "term",
    "label",
    "size_class",
    "status",
    "mine",
)


def parse_id(value: Any) -> int | None:
    """A record id from user input, or None when it cannot be one (never sent to the database)."""
    if isinstance(value, bool):
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


# ---- whose products ------------------------------------------------------------------------------------


def _with_branches(organization_ids: set[int]) -> frozenset[int]:
    if not organization_ids:
        return frozenset()
    children = Organization.objects.filter(parent_id__in=organization_ids, is_active=True).values_list("pk", flat=True)
    return frozenset(organization_ids | set(children))


def own_provider_ids(actor: Any) -> frozenset[int]:
    """Banks and guarantee agencies the actor belongs to (any role), with their branches: the providers
    whose drafts and withdrawn products the actor sees. Cached on the user for the request."""
    if not getattr(actor, "is_authenticated", False):
        return frozenset()
    cached = actor.__dict__.get("_own_provider_ids")
    if cached is None:
        ids = {m.organization_id for m in actor.active_memberships if m.organization.org_type in PROVIDER_TYPES}
        cached = actor.__dict__["_own_provider_ids"] = _with_branches(ids)
    return cached


def manageable_provider_ids(actor: Any) -> frozenset[int]:
    """Providers whose products the actor may create and change: organisations where the actor's own role
    grants financing.manage_product, with their branches. Cached on the user for the request."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return frozenset()
    cached = actor.__dict__.get("_manageable_provider_ids")
    if cached is None:
        ids = {
            m.organization_id
            for m in actor.active_memberships
            if m.organization.org_type in PROVIDER_TYPES
            and perms.MANAGE_PRODUCT in codes_for(m.organization.org_type, m.role)
        }
        cached = actor.__dict__["_manageable_provider_ids"] = _with_branches(ids)
    return cached


def manageable_providers(*, actor: Any) -> QuerySet[Organization]:
    """The organisations the actor may publish products for (see manageable_provider_ids), by name."""
    return Organization.objects.filter(pk__in=manageable_provider_ids(actor), is_active=True).order_by(
        "org_type", "parent_id", "name"
    )


def can_manage_product(actor: Any, product: Product) -> bool:
    """Read-only guard: may the actor edit, publish or withdraw this product?"""
    return has_perm(actor, perms.MANAGE_PRODUCT) and product.provider_id in manageable_provider_ids(actor)


# ---- products ------------------------------------------------------------------------------------------


def _in_validity(day: datetime.date) -> Q:
    return (Q(valid_from__isnull=True) | Q(valid_from__lte=day)) & (
        Q(valid_until__isnull=True) | Q(valid_until__gte=day)
    )


def product_visible_queryset(*, actor: Any) -> QuerySet[Product]:
    """Every product the actor may see (see the module docstring); none without financing.view_product."""
    if not has_perm(actor, perms.VIEW_PRODUCT):
        return Product.objects.none()
    catalogue = Q(status=ProductStatus.PUBLISHED) & _in_validity(timezone.localdate())
    own = own_provider_ids(actor)
    condition = catalogue | Q(provider_id__in=own) if own else catalogue
    return Product.objects.filter(condition)


def _json_list_has(field: str, value: str) -> Q:
    """Rows whose JSON list `field` contains the string `value` (containment on PostgreSQL; on SQLite, whose
    JSON has no containment lookup, the quoted value within the list's text)."""
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__contains": [value]})
    return Q(**{f"_{field}_text__contains": f'"{value}"'})


def _annotate_json_text(queryset: QuerySet[Product], *fields: str) -> QuerySet[Product]:
    if connection.vendor == "postgresql":
        return queryset
    return queryset.annotate(**{f"_{field}_text": Cast(field, TextField()) for field in fields})


def _number(value: Any) -> Decimal | None:
    try:
        number = to_decimal(value)
    except ValueError:
        return None
    return number if abs(number) <= AMOUNT_MAX else None


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in {"1", "true", "yes", "on"}


def product_list(*, actor: Any, q: str = "", filters: Mapping[str, Any] | None = None) -> QuerySet[Product]:
    """The products the actor may see, newest publication first, filtered:

    - q: text in the Chinese or English name;
    - kind: a ProductKind value; provider: an organisation id (a head office includes its branches);
    - first_time / renewal_without_repayment: only products that suit first-time borrowers / allow renewal
      without repaying the principal first;
    - amount (CNY, Decimal): the amount lies in the product's range; term (months): likewise;
    - label: the product is aimed at holders of this technology label;
    - size_class: firms of this size class are eligible (products open to every size included);
    - status: a ProductStatus value (others than published only show the actor's own products);
    - mine: only products of the actor's own organisations.
    Unusable filter values (a bad id) match nothing. Anyone may call it; raises nothing.
    """
    filters = dict(filters or {})
    queryset = _annotate_json_text(
        product_visible_queryset(actor=actor), "required_labels", "eligible_size_classes"
    ).select_related("provider", "provider__parent")
    text = " ".join(str(q or "").split())
    if text:
        queryset = queryset.filter(Q(name__icontains=text) | Q(name_en__icontains=text))
    if filters.get("kind"):
        queryset = queryset.filter(kind=filters["kind"])
    if filters.get("provider") not in (None, ""):
        provider_id = parse_id(filters["provider"])
        if provider_id is None:
            return queryset.none()
        queryset = queryset.filter(Q(provider_id=provider_id) | Q(provider__parent_id=provider_id))
    if _truthy(filters.get("first_time")):
        queryset = queryset.filter(suits_first_time_borrowers=True)
    if _truthy(filters.get("renewal_without_repayment")):
        queryset = queryset.filter(allows_renewal_without_repayment=True)
    if filters.get("amount") not in (None, ""):
        amount = _number(filters["amount"])
        if amount is None:
            return queryset.none()
        queryset = queryset.filter(amount_min__lte=amount, amount_max__gte=amount)
    if filters.get("term") not in (None, ""):
        term = _number(filters["term"])
        if term is None or term != term.to_integral_value():
            return queryset.none()
        queryset = queryset.filter(term_min_months__lte=int(term), term_max_months__gte=int(term))
    if filters.get("label"):
        queryset = queryset.filter(_json_list_has("required_labels", str(filters["label"])))
    if filters.get("size_class"):
        queryset = queryset.filter(
            Q(eligible_size_classes=[]) | _json_list_has("eligible_size_classes", str(filters["size_class"]))
        )
    if filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    if _truthy(filters.get("mine")):
        queryset = queryset.filter(provider_id__in=own_provider_ids(actor))
    return queryset.order_by(F("published_at").desc(nulls_last=True), "-id")


def product_get(*, actor: Any, pk: Any) -> Product:
    """One product the actor may see, with its provider, clusters and subdistricts; NotFound otherwise."""
    product_id = parse_id(pk)
    if product_id is None:
        raise NotFound()
    product = (
        product_visible_queryset(actor=actor)
        .select_related("provider", "provider__parent", "created_by")
        .prefetch_related("eligible_clusters", "eligible_subdistricts")
        .filter(pk=product_id)
        .first()
    )
    if product is None:
        raise NotFound()
    return product


def product_providers(*, actor: Any) -> QuerySet[Organization]:
    """Banks and guarantee agencies with a product the actor can see (for the catalogue's provider filter)."""
    provider_ids = product_visible_queryset(actor=actor).values("provider_id")
    return Organization.objects.filter(Q(pk__in=provider_ids)).order_by("org_type", "name")


# ---- LPR -----------------------------------------------------------------------------------------------


def lpr_list(*, actor: Any, term: str = "") -> QuerySet[LprRate]:
    """The recorded LPR publications, newest first (optionally of one term). Anyone holding
    financing.view_product may read them; none otherwise."""
    if not has_perm(actor, perms.VIEW_PRODUCT):
        return LprRate.objects.none()
    queryset = LprRate.objects.order_by("-effective_on", "term")
    return queryset.filter(term=term) if term else queryset


def lpr_current(on: datetime.date | None = None) -> dict[str, LprRate | None]:
    """The row in force on `on` (default today) of each term: {"1y": LprRate | None, "5y": ...}."""
    return {term.value: lpr_in_force(term.value, on) for term in LprTerm}
