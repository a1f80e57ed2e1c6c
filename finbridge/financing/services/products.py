"""Writes of products: create, update, publish, withdraw (and publish again).

Who: members whose role in the provider grants financing.manage_product (bank and guarantee-agency admins
and staff), or such members of the provider's head office (selectors.products.can_manage_product). A
product the actor may not see answers NotFound; one the actor may see but not change, PermissionDenied.

Rules (checked on every create and update, and again on publish, against the product as it would be):
- a bank publishes loan products (every kind but "guarantee"); a guarantee agency only kinds in
  GUARANTOR_KINDS; no other organisation publishes products;
- 0 < amount_min <= amount_max; 1 <= term_min_months <= term_max_months <= MAX_TERM_MONTHS;
- a loan's rate is fixed (fixed_rate set, lpr_spread empty) or the one-year LPR plus a spread (lpr_spread
  set, fixed_rate empty), and the effective rate today lies in (0, 36%]; a guarantee product carries no
  interest rate (both empty, type fixed): its price is fee_rate;
- fee_rate in [0, 36%]; valid_from <= valid_until; size classes, technology labels and collateral are
  values of their choices ("none" alone); industries are GB/T 4754-2017 codes (any level, normalised);
  clusters and subdistricts are codes of existing ones; a product exclusive to MSMEs is not open to large
  firms; a credit loan asks for neither collateral nor a guarantee.
- publishing also needs a description (in either language) and a validity that has not ended.

Every write runs in one transaction, re-reads the product with select_for_update, checks the status change
against transitions.PRODUCT_TRANSITIONS, records an audit event with before/after snapshots and a history
version carrying the actor, and, when a published product changes (publish, withdraw, edit while
published), asks the matching module to recompute the product's matches once the transaction commits.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.accounts.choices import OrgType
from finbridge.accounts.models import Organization
from finbridge.audit.services import log_event, snapshot
from finbridge.core.errors import NotFound, PermissionDenied, ValidationFailed
from finbridge.core.money import quantize_rate, to_decimal
from finbridge.core.permissions import require_perm
from finbridge.enterprises.choices import SizeClass, TechLabel
from finbridge.enterprises.validation import (
    MSG_BAD_DATE,
    MSG_NOT_TEXT,
    MSG_NOT_WHOLE,
    MSG_OUT_OF_RANGE,
    MSG_REQUIRED,
    MSG_TOO_LONG,
    MSG_UNKNOWN_FIELD,
    FieldError,
    _amount,
    _boolean,
    _is_blank,
    _limited_text,
    _parse_date,
)
from finbridge.financing import permissions as perms
from finbridge.financing.choices import GUARANTOR_KINDS, Collateral, LprTerm, ProductKind, ProductStatus, RateType
from finbridge.financing.models import Product
from finbridge.financing.rates import effective_rate_with, lpr_rate_on, percent
from finbridge.financing.selectors.products import can_manage_product, manageable_provider_ids, product_get
from finbridge.financing.transitions import assert_product_transition
from finbridge.reference.industries import industry_get, normalize_industry_code
from finbridge.reference.models import IndustrialCluster, Subdistrict

PRODUCT_FIELDS: tuple[str, ...] = (
    "name",
    "name_en",
    "kind",
    "suits_first_time_borrowers",
    "allows_renewal_without_repayment",
    "amount_min",
    "amount_max",
    "term_min_months",
    "term_max_months",
    "rate_type",
    "fixed_rate",
    "lpr_spread",
    "fee_rate",
    "fees_note",
    "collateral_required",
    "guarantee_required",
    "eligible_size_classes",
    "eligible_industries",
    "eligible_clusters",
    "required_labels",
    "eligible_subdistricts",
    "min_years_in_operation",
    "min_annual_revenue",
    "msme_exclusive",
    "valid_from",
    "valid_until",
    "description",
    "description_en",
)
REQUIRED_FIELDS: tuple[str, ...] = (
    "name",
    "kind",
    "amount_min",
    "amount_max",
    "term_min_months",
    "term_max_months",
)
M2M_FIELDS = ("eligible_clusters", "eligible_subdistricts")
MAX_TERM_MONTHS = 360
MAX_YEARS_IN_OPERATION = 100
MAX_RATE = Decimal("0.36")  # the judicial ceiling of private lending is lower; 36% is the outer bound
MAX_SPREAD = Decimal("0.36")
MAX_DESCRIPTION = 5000
EARLIEST_VALIDITY = datetime.date(2000, 1, 1)
LATEST_VALIDITY = datetime.date(2100, 12, 31)

MSG_NOT_A_RATE = _("Enter a rate as a fraction, such as 0.0385 for 3.85%.")
MSG_RATE_RANGE = _("Enter a rate from %(min)s to %(max)s.")
MSG_BAD_CHOICE = _("“%(value)s” is not one of the available choices.")
MSG_BAD_LIST = _("Enter a list of values.")
MSG_UNKNOWN_INDUSTRY = _("%(code)s is not a code of the industry classification GB/T 4754-2017.")
MSG_UNKNOWN_CLUSTERS = _("There is no industrial cluster with the code(s) %(codes)s.")
MSG_UNKNOWN_SUBDISTRICTS = _("There is no subdistrict with the code(s) %(codes)s.")
MSG_POSITIVE_AMOUNT = _("Enter an amount above zero.")
MSG_AMOUNT_ORDER = _("The maximum amount must not be below the minimum amount.")
MSG_TERM_ORDER = _("The longest term must not be shorter than the shortest term.")
MSG_FIXED_REQUIRED = _("Enter the fixed annual rate.")
MSG_SPREAD_REQUIRED = _("Enter the spread over the one-year LPR.")
MSG_FIXED_NOT_ALLOWED = _("Leave the fixed rate empty: this product's rate is the LPR plus a spread.")
MSG_SPREAD_NOT_ALLOWED = _("Leave the spread empty: this product has a fixed rate.")
MSG_NO_LPR = _("No one-year LPR is recorded for today, so a rate over the LPR cannot be checked yet.")
MSG_EFFECTIVE_RANGE = _("The effective annual rate would be %(rate)s; it must be above 0%% and at most %(max)s.")
MSG_GUARANTEE_NO_RATE = _("A guarantee product has no interest rate: leave the rates empty and state its fee.")
MSG_GUARANTEE_RATE_TYPE = _("A guarantee product has no interest rate: choose the fixed type and leave it empty.")
MSG_GUARANTOR_KIND = _("A guarantee agency publishes guarantee products only.")
MSG_BANK_KIND = _("A bank publishes loan products; guarantee products are published by guarantee agencies.")
MSG_NOT_A_PROVIDER = _("Only banks and guarantee agencies publish products.")
MSG_VALIDITY_ORDER = _("The end of validity must not be before its start.")
MSG_VALIDITY_RANGE = _("Enter a date from %(min)s to %(max)s.")
MSG_LARGE_NOT_MSME = _("A product exclusive to MSMEs cannot be open to large enterprises.")
MSG_NONE_WITH_OTHERS = _("“None (credit)” cannot be combined with other collateral.")
MSG_CREDIT_COLLATERAL = _("A credit loan needs no collateral: leave the collateral empty or choose “None (credit)”.")
MSG_CREDIT_GUARANTEE = _("A credit loan needs no third-party guarantee.")
MSG_DESCRIPTION_NEEDED = _("Describe the product (in Chinese or English) before publishing it.")
MSG_VALIDITY_ENDED = _("The product's validity ended on %(date)s: change the dates before publishing it.")
MSG_NOT_YOUR_PROVIDER = _("You may publish products only for your own bank or guarantee agency (or its branches).")


# ---- field cleaners -------------------------------------------------------------------------------------


def _choice(choices: Iterable[str]) -> Callable[[Any], str]:
    allowed = frozenset(choices)

    def clean(value: Any) -> str:
        text = "" if value is None else str(value).strip()
        if text not in allowed:
            raise FieldError(MSG_BAD_CHOICE, value=text[:40])
        return text

    return clean


def _rate(*, minimum: Decimal, maximum: Decimal, blank: Any = None) -> Callable[[Any], Any]:
    """A rate as a fraction, rounded to six places, within [minimum, maximum]."""

    def clean(value: Any) -> Any:
        if _is_blank(value):
            return blank
        if isinstance(value, bool):
            raise FieldError(MSG_NOT_A_RATE)
        try:
            rate = to_decimal(value)
        except ValueError:
            raise FieldError(MSG_NOT_A_RATE) from None
        if not minimum <= rate <= maximum:
            raise FieldError(MSG_RATE_RANGE, min=percent(minimum), max=percent(maximum))
        return quantize_rate(rate)

    return clean


def _items(value: Any) -> list[Any]:
    """A list from a list, tuple or set, or from text separated by commas, semicolons or 、."""
    if _is_blank(value):
        return []
    if isinstance(value, str):
        for separator in ("；", "，", "、", ";"):
            value = value.replace(separator, ",")
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple | set):
        return list(value)
    raise FieldError(MSG_BAD_LIST)


def _choice_list(choices: Iterable[str]) -> Callable[[Any], list[str]]:
    allowed = frozenset(choices)

    def clean(value: Any) -> list[str]:
        values = [str(item).strip() if item is not None else "" for item in _items(value)]
        for item in values:
            if item not in allowed:
                raise FieldError(MSG_BAD_CHOICE, value=item[:40])
        return list(dict.fromkeys(values))

    return clean


def _collateral(value: Any) -> list[str]:
    values = _choice_list(Collateral.values)(value)
    if Collateral.NONE in values and len(values) > 1:
        raise FieldError(MSG_NONE_WITH_OTHERS)
    return values


def _industries(value: Any) -> list[str]:
    codes = []
    for item in _items(value):
        if not isinstance(item, str):
            raise FieldError(MSG_BAD_LIST)
        code = normalize_industry_code(item)
        if industry_get(code) is None:
            raise FieldError(MSG_UNKNOWN_INDUSTRY, code=code[:10])
        codes.append(code)
    return list(dict.fromkeys(codes))


def _codes(value: Any, model: Any, message: Any) -> list[Any]:
    codes = []
    for item in _items(value):
        if isinstance(item, model):
            codes.append(item.code)
        elif isinstance(item, str | int) and not isinstance(item, bool):
            codes.append(str(item).strip())
        else:
            raise FieldError(MSG_BAD_LIST)
    codes = list(dict.fromkeys(code for code in codes if code))
    found = {obj.code: obj for obj in model.objects.filter(code__in=codes)}
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise FieldError(message, codes=", ".join(code[:40] for code in unknown[:5]))
    return [found[code] for code in codes]


def _clusters(value: Any) -> list[IndustrialCluster]:
    return _codes(value, IndustrialCluster, MSG_UNKNOWN_CLUSTERS)


def _subdistricts(value: Any) -> list[Subdistrict]:
    return _codes(value, Subdistrict, MSG_UNKNOWN_SUBDISTRICTS)


def _positive_amount(value: Any) -> Decimal | None:
    amount = _amount(value)
    if amount is not None and amount <= 0:
        raise FieldError(MSG_POSITIVE_AMOUNT)
    return amount


def _whole(value: Any, *, minimum: int, maximum: int) -> int:
    if isinstance(value, bool):
        raise FieldError(MSG_NOT_WHOLE)
    try:
        number = to_decimal(value)
    except ValueError:
        raise FieldError(MSG_NOT_WHOLE) from None
    if number != number.to_integral_value():
        raise FieldError(MSG_NOT_WHOLE)
    if not minimum <= number <= maximum:
        raise FieldError(MSG_OUT_OF_RANGE, min=minimum, max=maximum)
    return int(number)


def _term(value: Any) -> int | None:
    return None if _is_blank(value) else _whole(value, minimum=1, maximum=MAX_TERM_MONTHS)


def _years(value: Any) -> int:
    return 0 if _is_blank(value) else _whole(value, minimum=0, maximum=MAX_YEARS_IN_OPERATION)


def _validity_date(value: Any) -> datetime.date | None:
    if _is_blank(value):
        return None
    if isinstance(value, datetime.datetime):
        day = value.date()
    elif isinstance(value, datetime.date):
        day = value
    elif isinstance(value, str):
        day = _parse_date(value.strip())
    else:
        raise FieldError(MSG_BAD_DATE)
    if not EARLIEST_VALIDITY <= day <= LATEST_VALIDITY:
        raise FieldError(MSG_VALIDITY_RANGE, min=EARLIEST_VALIDITY.isoformat(), max=LATEST_VALIDITY.isoformat())
    return day


def _description(value: Any) -> str:
    if _is_blank(value):
        return ""
    if not isinstance(value, str):
        raise FieldError(MSG_NOT_TEXT)
    text = value.strip().replace("\r\n", "\n")
    if len(text) > MAX_DESCRIPTION:
        raise FieldError(MSG_TOO_LONG, limit=MAX_DESCRIPTION, count=len(text))
    return text


CLEANERS: dict[str, Callable[[Any], Any]] = {
    "name": _limited_text(200),
    "name_en": _limited_text(200),
    "kind": _choice(ProductKind.values),
    "suits_first_time_borrowers": _boolean,
    "allows_renewal_without_repayment": _boolean,
    "amount_min": _positive_amount,
    "amount_max": _positive_amount,
    "term_min_months": _term,
    "term_max_months": _term,
    "rate_type": _choice(RateType.values),
    "fixed_rate": _rate(minimum=Decimal("0"), maximum=MAX_RATE),
    "lpr_spread": _rate(minimum=-MAX_SPREAD, maximum=MAX_SPREAD),
    "fee_rate": _rate(minimum=Decimal("0"), maximum=MAX_RATE, blank=Decimal("0")),
    "fees_note": _limited_text(255),
    "collateral_required": _collateral,
    "guarantee_required": _boolean,
    "eligible_size_classes": _choice_list(SizeClass.values),
    "eligible_industries": _industries,
    "eligible_clusters": _clusters,
    "required_labels": _choice_list(TechLabel.values),
    "eligible_subdistricts": _subdistricts,
    "min_years_in_operation": _years,
    "min_annual_revenue": _amount,
    "msme_exclusive": _boolean,
    "valid_from": _validity_date,
    "valid_until": _validity_date,
    "description": _description,
    "description_en": _description,
}


def clean_product_data(data: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Validate and normalise product input field by field; return model-ready values of the fields given.

    With partial=False the fields of REQUIRED_FIELDS must be given; in every mode they may not be blank.
    Rules between fields are checked by `check_product_rules`. Raises one ValidationFailed listing every
    bad field, unknown keys included. Pure: anyone may call it, nothing is written.
    """
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    if not isinstance(data, Mapping):
        raise ValidationFailed(_("Send the fields as a JSON object of names and values."), code="invalid_body")
    for key in data:
        if key not in PRODUCT_FIELDS:
            errors[str(key)] = [str(MSG_UNKNOWN_FIELD)]
    for name in REQUIRED_FIELDS:
        if (name in data and _is_blank(data[name])) or (name not in data and not partial):
            errors[name] = [str(MSG_REQUIRED)]
    for name in PRODUCT_FIELDS:
        if name not in data or name in errors:
            continue
        try:
            cleaned[name] = CLEANERS[name](data[name])
        except FieldError as error:
            errors[name] = [error.message]
    if errors:
        raise _failed(errors)
    return cleaned


def _failed(errors: Mapping[str, list[str]]) -> ValidationFailed:
    messages = [message for field_messages in errors.values() for message in field_messages]
    return ValidationFailed(messages[0] if len(messages) == 1 else None, fields=dict(errors))


# ---- rules between fields -------------------------------------------------------------------------------


def current_values(product: Product) -> dict[str, Any]:
    """The product's values of every input field (related clusters and subdistricts as lists)."""
    values = {name: getattr(product, name) for name in PRODUCT_FIELDS if name not in M2M_FIELDS}
    if product.pk is None:
        values.update(eligible_clusters=[], eligible_subdistricts=[])
    else:
        values["eligible_clusters"] = list(product.eligible_clusters.all())
        values["eligible_subdistricts"] = list(product.eligible_subdistricts.all())
    return values


def _merge(current: Mapping[str, Any], cleaned: Mapping[str, Any]) -> dict[str, Any]:
    """The values the product would have. Changing the rate type without sending the other type's rate
    clears that rate (a PATCH of {"rate_type": "fixed", "fixed_rate": ...} needs no "lpr_spread": null)."""
    values = {**current, **cleaned}
    if "rate_type" in cleaned and cleaned["rate_type"] != current.get("rate_type"):
        if cleaned["rate_type"] == RateType.FIXED and "lpr_spread" not in cleaned:
            values["lpr_spread"] = None
        if cleaned["rate_type"] == RateType.LPR_SPREAD and "fixed_rate" not in cleaned:
            values["fixed_rate"] = None
    if "kind" in cleaned and cleaned["kind"] in GUARANTOR_KINDS and current.get("kind") not in GUARANTOR_KINDS:
        for name in ("fixed_rate", "lpr_spread"):
            if name not in cleaned:
                values[name] = None
        if "rate_type" not in cleaned:
            values["rate_type"] = RateType.FIXED
    return values


def _add(errors: dict[str, list[str]], name: str, message: Any, **params: Any) -> None:
    errors.setdefault(name, []).append(str(message) % params if params else str(message))


def _check_rate(values: Mapping[str, Any], errors: dict[str, list[str]], today: datetime.date) -> None:
    rate_type, fixed, spread = values.get("rate_type"), values.get("fixed_rate"), values.get("lpr_spread")
    if values.get("kind") in GUARANTOR_KINDS:
        if rate_type != RateType.FIXED:
            _add(errors, "rate_type", MSG_GUARANTEE_RATE_TYPE)
        if fixed is not None:
            _add(errors, "fixed_rate", MSG_GUARANTEE_NO_RATE)
        if spread is not None:
            _add(errors, "lpr_spread", MSG_GUARANTEE_NO_RATE)
        return
    if rate_type == RateType.FIXED:
        if fixed is None:
            _add(errors, "fixed_rate", MSG_FIXED_REQUIRED)
        if spread is not None:
            _add(errors, "lpr_spread", MSG_SPREAD_NOT_ALLOWED)
        lpr = None
        field = "fixed_rate"
    else:
        if spread is None:
            _add(errors, "lpr_spread", MSG_SPREAD_REQUIRED)
        if fixed is not None:
            _add(errors, "fixed_rate", MSG_FIXED_NOT_ALLOWED)
        lpr = lpr_rate_on(LprTerm.ONE_YEAR, today)
        field = "lpr_spread"
        if lpr is None and spread is not None:
            _add(errors, field, MSG_NO_LPR)
            return
    if field in errors:
        return
    rate = effective_rate_with(rate_type=str(rate_type), fixed_rate=fixed, lpr_spread=spread, lpr=lpr)
    if rate is not None and not Decimal("0") < rate <= MAX_RATE:
        _add(errors, field, MSG_EFFECTIVE_RANGE, rate=percent(rate), max=percent(MAX_RATE))


def check_product_rules(
    values: Mapping[str, Any], *, provider: Organization, today: datetime.date | None = None
) -> dict[str, list[str]]:
    """The rules between fields (module docstring) for the values a product would have, as field errors
    ({} when all hold). The rate is checked against the one-year LPR in force on `today`."""
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    kind = values.get("kind")
    if provider.org_type == OrgType.GUARANTOR and kind not in GUARANTOR_KINDS:
        _add(errors, "kind", MSG_GUARANTOR_KIND)
    elif provider.org_type == OrgType.BANK and kind in GUARANTOR_KINDS:
        _add(errors, "kind", MSG_BANK_KIND)
    elif provider.org_type not in (OrgType.BANK, OrgType.GUARANTOR):
        _add(errors, "provider", MSG_NOT_A_PROVIDER)
    amount_min, amount_max = values.get("amount_min"), values.get("amount_max")
    if amount_min is not None and amount_max is not None and amount_max < amount_min:
        _add(errors, "amount_max", MSG_AMOUNT_ORDER)
    term_min, term_max = values.get("term_min_months"), values.get("term_max_months")
    if term_min is not None and term_max is not None and term_max < term_min:
        _add(errors, "term_max_months", MSG_TERM_ORDER)
    _check_rate(values, errors, today)
    valid_from, valid_until = values.get("valid_from"), values.get("valid_until")
    if valid_from is not None and valid_until is not None and valid_until < valid_from:
        _add(errors, "valid_until", MSG_VALIDITY_ORDER)
    if values.get("msme_exclusive") and SizeClass.LARGE in (values.get("eligible_size_classes") or []):
        _add(errors, "eligible_size_classes", MSG_LARGE_NOT_MSME)
    if kind == ProductKind.CREDIT_LOAN:
        if [c for c in values.get("collateral_required") or [] if c != Collateral.NONE]:
            _add(errors, "collateral_required", MSG_CREDIT_COLLATERAL)
        if values.get("guarantee_required"):
            _add(errors, "guarantee_required", MSG_CREDIT_GUARANTEE)
    return errors


def validate_new_product(
    *, provider: Organization, data: Mapping[str, Any], today: datetime.date | None = None
) -> dict[str, Any]:
    """The values a new product of `provider` would have from raw `data` (defaults filled in), checked
    field by field and by the rules between fields. Raises ValidationFailed. Pure: nothing is written."""
    cleaned = clean_product_data(data, partial=False)
    values = _merge(current_values(Product(provider=provider)), cleaned)
    errors = check_product_rules(values, provider=provider, today=today)
    if errors:
        raise _failed(errors)
    return values


def _publish_errors(values: Mapping[str, Any], *, provider: Organization, today: datetime.date) -> dict:
    errors = check_product_rules(values, provider=provider, today=today)
    for name in REQUIRED_FIELDS:
        if _is_blank(values.get(name)):
            _add(errors, name, MSG_REQUIRED)
    if not (values.get("description") or values.get("description_en")):
        _add(errors, "description", MSG_DESCRIPTION_NEEDED)
    valid_until = values.get("valid_until")
    if valid_until is not None and valid_until < today:
        _add(errors, "valid_until", MSG_VALIDITY_ENDED, date=valid_until.isoformat())
    return errors


# ---- permission helpers ---------------------------------------------------------------------------------


def _require_manage(actor: Any, product: Product) -> None:
    """NotFound unless the actor sees the product; PermissionDenied unless the actor may change it."""
    if product.pk is None:
        raise NotFound()
    product_get(actor=actor, pk=product.pk)
    require_perm(actor, perms.MANAGE_PRODUCT)
    if not can_manage_product(actor, product):
        raise PermissionDenied()


def _lock(product: Product) -> Product:
    try:
        return Product.objects.select_for_update().select_related("provider").get(pk=product.pk)
    except Product.DoesNotExist:
        raise NotFound() from None


def _mark_history(product: Any, *, actor: Any, reason: str) -> None:
    product._history_user = actor if getattr(actor, "is_authenticated", False) else None
    product._change_reason = reason


def _queue_matching(product_id: int) -> None:
    """Ask the matching module to recompute one product's matches (called on commit)."""
    from finbridge.financing import tasks_matching

    tasks_matching.queue_product_matching(product_id)


def _on_commit_queue(product: Product) -> None:
    product_id = product.pk
    transaction.on_commit(lambda: _queue_matching(product_id))


def _assign(product: Product, values: Mapping[str, Any]) -> list[str]:
    """Set the plain fields; return the names that changed (related lists are set after saving)."""
    changed = []
    for name, value in values.items():
        if name in M2M_FIELDS:
            continue
        if product.pk is None or getattr(product, name) != value:
            setattr(product, name, value)
            changed.append(name)
    return changed


def _set_related(product: Product, values: Mapping[str, Any]) -> list[str]:
    changed = []
    for name in M2M_FIELDS:
        if name not in values:
            continue
        wanted = {obj.pk for obj in values[name]}
        manager = getattr(product, name)
        if wanted != set(manager.values_list("pk", flat=True)):
            manager.set(list(values[name]))
            changed.append(name)
    return changed


# ---- services ---------------------------------------------------------------------------------------------


def product_create(*, actor: Any, provider: Organization, data: Mapping[str, Any]) -> Product:
    """Create a draft product of `provider` from raw input (see PRODUCT_FIELDS; rates are fractions,
    amounts CNY yuan, industries/clusters/subdistricts codes).

    Who: members whose role in `provider` (or its head office) grants financing.manage_product. Raises
    PermissionDenied (not such a member), ValidationFailed (bad fields or rules; nothing is written).
    """
    require_perm(actor, perms.MANAGE_PRODUCT)
    if not isinstance(provider, Organization) or provider.pk not in manageable_provider_ids(actor):
        raise PermissionDenied(MSG_NOT_YOUR_PROVIDER)
    values = validate_new_product(provider=provider, data=data)
    with transaction.atomic():
        product = Product(provider=provider, created_by=actor, status=ProductStatus.DRAFT)
        _assign(product, values)
        _mark_history(product, actor=actor, reason="product_create")
        product.save()
        _set_related(product, values)
        log_event(actor=actor, action="product_create", obj=product, before=None, after=snapshot(product))
    return product


def product_update(*, actor: Any, product: Product, data: Mapping[str, Any]) -> Product:
    """Change the given fields of a product (any status; fields left out keep their values).

    A published product stays published and its matches are recomputed after the change. Who: as
    product_create, for the product's provider. Raises NotFound (not visible), PermissionDenied,
    ValidationFailed (bad fields or rules on the changed product; nothing is written).
    """
    _require_manage(actor, product)
    cleaned = clean_product_data(data, partial=True)
    with transaction.atomic():
        locked = _lock(product)
        current = current_values(locked)
        values = _merge(current, cleaned)
        errors = check_product_rules(values, provider=locked.provider)
        if errors:
            raise _failed(errors)
        before = snapshot(locked)
        changed = [name for name, value in values.items() if name in M2M_FIELDS or current.get(name) != value]
        changed_plain = _assign(locked, {k: v for k, v in values.items() if k in changed})
        if changed_plain:
            _mark_history(locked, actor=actor, reason="product_update")
            locked.save()
        changed_related = _set_related(locked, values)
        if changed_plain or changed_related:
            log_event(actor=actor, action="product_update", obj=locked, before=before, after=snapshot(locked))
            if locked.status == ProductStatus.PUBLISHED:
                _on_commit_queue(locked)
    return locked


def product_publish(*, actor: Any, product: Product) -> Product:
    """Publish a draft or withdrawn product: it enters the catalogue (within its validity) and matching.

    Who: as product_update. Raises NotFound, PermissionDenied, Conflict (already published; code
    "invalid_transition"), ValidationFailed (the product breaks a rule today, has no description, or its
    validity has ended).
    """
    _require_manage(actor, product)
    with transaction.atomic():
        locked = _lock(product)
        assert_product_transition(locked.status, ProductStatus.PUBLISHED)
        today = timezone.localdate()
        errors = _publish_errors(current_values(locked), provider=locked.provider, today=today)
        if errors:
            raise _failed(errors)
        before = snapshot(locked)
        locked.status = ProductStatus.PUBLISHED
        locked.published_at = timezone.now()
        locked.withdrawn_at = None
        _mark_history(locked, actor=actor, reason="product_publish")
        locked.save()
        log_event(actor=actor, action="product_publish", obj=locked, before=before, after=snapshot(locked))
        _on_commit_queue(locked)
    return locked


def product_withdraw(*, actor: Any, product: Product) -> Product:
    """Withdraw a published product: it leaves the catalogue and matching; it may be published again.

    Who: as product_update. Raises NotFound, PermissionDenied, Conflict (not published; code
    "invalid_transition").
    """
    _require_manage(actor, product)
    with transaction.atomic():
        locked = _lock(product)
        assert_product_transition(locked.status, ProductStatus.WITHDRAWN)
        before = snapshot(locked)
        locked.status = ProductStatus.WITHDRAWN
        locked.withdrawn_at = timezone.now()
        _mark_history(locked, actor=actor, reason="product_withdraw")
        locked.save()
        log_event(actor=actor, action="product_withdraw", obj=locked, before=before, after=snapshot(locked))
        _on_commit_queue(locked)
    return locked
