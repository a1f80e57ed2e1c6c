"""Forms of the product and LPR pages. They only parse input: every rule lives in the services.

Pages speak the units people use: amounts in 万元 (ten-thousand yuan), rates in percent, the spread in
percentage points. `service_data()` converts them exactly (Decimal) to what the services take (CNY yuan,
fractions); the services' field errors are put back on the form with `add_domain_errors`.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from finbridge.accounts.choices import OrgType
from finbridge.accounts.models import Organization
from finbridge.core.money import wan_to_yuan
from finbridge.enterprises.choices import SizeClass, TechLabel
from finbridge.enterprises.forms import BootstrapForm, add_domain_errors
from finbridge.financing.choices import (
    GUARANTOR_KINDS,
    Collateral,
    LprTerm,
    ProductKind,
    ProductStatus,
    RateType,
)
from finbridge.financing.models import Product
from finbridge.reference.models import IndustrialCluster, Subdistrict

__all__ = ["LprForm", "ProductFilterForm", "ProductForm", "add_domain_errors"]

HUNDRED = Decimal("100")
MAX_WAN = Decimal("1000000000")  # 10 trillion yuan, the services' plausibility limit, in 万元


def _with_blank(choices: Iterable[tuple[str, Any]], blank_label: Any) -> list[tuple[str, Any]]:
    return [("", blank_label), *choices]


def _percent_text(fraction: Decimal | None) -> str:
    """A fraction as a plain percentage for a form field: 0.038500 -> "3.85"."""
    if fraction is None:
        return ""
    value = (fraction * HUNDRED).normalize()
    return format(value, "f")


def _wan_text(amount: Decimal | None) -> str:
    if amount is None:
        return ""
    value = (amount / Decimal("10000")).normalize()
    return format(value, "f")


def _from_percent(value: Decimal | None) -> Decimal | None:
    return None if value is None else value / HUNDRED


def _number_widget(step: str = "any", **attrs: Any) -> forms.NumberInput:
    return forms.NumberInput(attrs={"step": step, "inputmode": "decimal", **attrs})


# ---- catalogue filters ----------------------------------------------------------------------------------


class ProductFilterForm(BootstrapForm):
    """Search box and filters of the catalogue; all optional, invalid values are ignored."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Product name"), "autocomplete": "off"}),
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    provider = forms.ChoiceField(label=_("Bank or guarantee agency"), required=False)
    amount = forms.DecimalField(
        label=_("Amount (ten-thousand yuan)"),
        required=False,
        min_value=0,
        max_value=MAX_WAN,
        decimal_places=2,
        widget=_number_widget(placeholder=_("e.g. 300")),
    )
    term = forms.IntegerField(
        label=_("Term (months)"), required=False, min_value=1, max_value=360, widget=_number_widget(step="1")
    )
    label = forms.ChoiceField(label=_("For technology label"), required=False)
    size_class = forms.ChoiceField(label=_("Open to size class"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    first_time = forms.BooleanField(label=_("Suits first-time borrowers"), required=False)
    renewal_without_repayment = forms.BooleanField(label=_("Renewal without repaying principal first"), required=False)
    mine = forms.BooleanField(label=_("Only my organisation's products"), required=False)

    BOOLEAN_FIELDS = ("first_time", "renewal_without_repayment", "mine")

    def __init__(self, *args: Any, providers: Iterable[Organization] = (), is_provider: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = _with_blank(ProductKind.choices, _("All kinds"))
        self.fields["provider"].choices = _with_blank(
            [(str(org.pk), org.display_name) for org in providers], _("All providers")
        )
        self.fields["label"].choices = _with_blank(TechLabel.choices, _("Any"))
        self.fields["size_class"].choices = _with_blank(
            [(value, label) for value, label in SizeClass.choices], _("Any size")
        )
        self.fields["status"].choices = _with_blank(ProductStatus.choices, _("Any status"))
        self.is_provider = is_provider
        if not is_provider:
            del self.fields["mine"]
            del self.fields["status"]

    def select_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name != "q" and name not in self.BOOLEAN_FIELDS]

    def check_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.BOOLEAN_FIELDS if name in self.fields]

    def search_arguments(self) -> tuple[str, dict[str, Any]]:
        """(q, filters) for product_list from the valid, non-empty values (amount in yuan); after is_valid()."""
        cleaned = {name: value for name, value in self.cleaned_data.items() if value not in (None, "", False)}
        query = str(cleaned.pop("q", "")).strip()
        if "amount" in cleaned:
            cleaned["amount"] = wan_to_yuan(cleaned["amount"])
        return query, cleaned


# ---- create and edit -------------------------------------------------------------------------------------


class ProductForm(BootstrapForm):
    """Create or edit a product. Values go to the service, which validates them."""

    provider = forms.ChoiceField(label=_("Published by"), required=False)
    name = forms.CharField(label=_("Name (Chinese)"), required=False, max_length=200)
    name_en = forms.CharField(label=_("Name (English)"), required=False, max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    amount_min = forms.DecimalField(
        label=_("Minimum amount (ten-thousand yuan)"),
        required=False,
        max_value=MAX_WAN,
        decimal_places=6,
        widget=_number_widget(),
    )
    amount_max = forms.DecimalField(
        label=_("Maximum amount (ten-thousand yuan)"),
        required=False,
        max_value=MAX_WAN,
        decimal_places=6,
        widget=_number_widget(),
    )
    term_min_months = forms.IntegerField(
        label=_("Shortest term (months)"), required=False, min_value=1, max_value=360, widget=_number_widget(step="1")
    )
    term_max_months = forms.IntegerField(
        label=_("Longest term (months)"), required=False, min_value=1, max_value=360, widget=_number_widget(step="1")
    )
    rate_type = forms.ChoiceField(
        label=_("Rate"), required=False, widget=forms.RadioSelect, choices=RateType.choices, initial=RateType.FIXED
    )
    fixed_rate = forms.DecimalField(
        label=_("Fixed annual rate (%)"),
        required=False,
        max_digits=10,
        decimal_places=4,
        widget=_number_widget(placeholder="3.85"),
    )
    lpr_spread = forms.DecimalField(
        label=_("Spread over the one-year LPR (percentage points)"),
        required=False,
        max_digits=10,
        decimal_places=4,
        help_text=_("May be negative: -0.20 means 20 basis points below the LPR."),
        widget=_number_widget(placeholder="0.45"),
    )
    fee_rate = forms.DecimalField(
        label=_("Fees (percentage of the amount)"),
        required=False,
        max_digits=10,
        decimal_places=4,
        help_text=_("For a guarantee product: the guarantee fee."),
        widget=_number_widget(placeholder="1.00"),
    )
    fees_note = forms.CharField(label=_("About the fees"), required=False, max_length=255)
    collateral_required = forms.MultipleChoiceField(
        label=_("Collateral accepted"),
        required=False,
        choices=Collateral.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked when no collateral is needed."),
    )
    guarantee_required = forms.BooleanField(label=_("Third-party guarantee required"), required=False)
    suits_first_time_borrowers = forms.BooleanField(label=_("Suits first-time borrowers"), required=False)
    allows_renewal_without_repayment = forms.BooleanField(
        label=_("Allows renewal without repaying principal first"), required=False
    )
    msme_exclusive = forms.BooleanField(label=_("Exclusive to MSMEs"), required=False, initial=True)
    eligible_size_classes = forms.MultipleChoiceField(
        label=_("Size classes"),
        required=False,
        choices=SizeClass.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked for any size."),
    )
    required_labels = forms.MultipleChoiceField(
        label=_("Technology labels"),
        required=False,
        choices=TechLabel.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The firm must hold at least one of the ticked labels; none ticked: no label needed."),
    )
    eligible_industries = forms.CharField(
        label=_("Industries"),
        required=False,
        max_length=500,
        help_text=_("GB/T 4754-2017 codes at any level, separated by commas (e.g. C36, I65); empty: any industry."),
        widget=forms.TextInput(attrs={"list": "industry-codes", "autocomplete": "off"}),
    )
    eligible_clusters = forms.MultipleChoiceField(
        label=_("Industrial clusters"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Empty: any cluster."),
    )
    eligible_subdistricts = forms.MultipleChoiceField(
        label=_("Subdistricts"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Empty: the whole district."),
    )
    min_years_in_operation = forms.IntegerField(
        label=_("Minimum years in operation"), required=False, min_value=0, max_value=100, widget=_number_widget("1")
    )
    min_annual_revenue = forms.DecimalField(
        label=_("Minimum annual revenue (ten-thousand yuan)"),
        required=False,
        min_value=0,
        max_value=MAX_WAN,
        decimal_places=6,
        widget=_number_widget(),
    )
    valid_from = forms.CharField(label=_("Valid from"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.CharField(
        label=_("Valid until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    description = forms.CharField(
        label=_("Description (Chinese)"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    description_en = forms.CharField(
        label=_("Description (English)"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )

    SECTIONS = (
        (_("The product"), ("provider", "name", "name_en", "kind", "description", "description_en")),
        (
            _("Amount, term and price"),
            (
                "amount_min",
                "amount_max",
                "term_min_months",
                "term_max_months",
                "rate_type",
                "fixed_rate",
                "lpr_spread",
                "fee_rate",
                "fees_note",
            ),
        ),
        (
            _("Security and features"),
            (
                "collateral_required",
                "guarantee_required",
                "suits_first_time_borrowers",
                "allows_renewal_without_repayment",
            ),
        ),
        (
            _("Who is eligible"),
            (
                "msme_exclusive",
                "eligible_size_classes",
                "required_labels",
                "eligible_industries",
                "eligible_clusters",
                "eligible_subdistricts",
                "min_years_in_operation",
                "min_annual_revenue",
            ),
        ),
        (_("Validity"), ("valid_from", "valid_until")),
    )
    WAN_FIELDS = ("amount_min", "amount_max", "min_annual_revenue")
    PERCENT_FIELDS = ("fixed_rate", "lpr_spread", "fee_rate")

    def __init__(
        self,
        *args: Any,
        product: Product | None = None,
        providers: Iterable[Organization] = (),
        **kwargs: Any,
    ) -> None:
        self.product = product
        self.providers = list(providers)
        if product is not None and not args and "data" not in kwargs:
            kwargs.setdefault("initial", self.initial_from(product))
        super().__init__(*args, **kwargs)
        if product is not None:
            del self.fields["provider"]
            provider_types = {product.provider.org_type}
        else:
            self.fields["provider"].choices = [(str(org.pk), str(org.display_name)) for org in self.providers]
            if len(self.providers) == 1:
                self.fields["provider"].widget = forms.HiddenInput()
                self.fields["provider"].initial = str(self.providers[0].pk)
            provider_types = {org.org_type for org in self.providers}
        self.fields["kind"].choices = _with_blank(self._kind_choices(provider_types), _("Choose a kind"))
        self.fields["eligible_clusters"].choices = [
            (c.code, c.name) for c in IndustrialCluster.objects.order_by("code")
        ]
        self.fields["eligible_subdistricts"].choices = [(s.code, s.name) for s in Subdistrict.objects.order_by("code")]

    @staticmethod
    def _kind_choices(provider_types: set[str]) -> list[tuple[str, Any]]:
        if provider_types == {OrgType.GUARANTOR}:
            return [(k, label) for k, label in ProductKind.choices if k in GUARANTOR_KINDS]
        if provider_types == {OrgType.BANK}:
            return [(k, label) for k, label in ProductKind.choices if k not in GUARANTOR_KINDS]
        return list(ProductKind.choices)

    @staticmethod
    def initial_from(product: Product) -> dict[str, Any]:
        """The form's starting values for an existing product, in the form's units."""
        return {
            "name": product.name,
            "name_en": product.name_en,
            "kind": product.kind,
            "amount_min": _wan_text(product.amount_min),
            "amount_max": _wan_text(product.amount_max),
            "term_min_months": product.term_min_months,
            "term_max_months": product.term_max_months,
            "rate_type": product.rate_type,
            "fixed_rate": _percent_text(product.fixed_rate),
            "lpr_spread": _percent_text(product.lpr_spread),
            "fee_rate": _percent_text(product.fee_rate),
            "fees_note": product.fees_note,
            "collateral_required": list(product.collateral_required or []),
            "guarantee_required": product.guarantee_required,
            "suits_first_time_borrowers": product.suits_first_time_borrowers,
            "allows_renewal_without_repayment": product.allows_renewal_without_repayment,
            "msme_exclusive": product.msme_exclusive,
            "eligible_size_classes": list(product.eligible_size_classes or []),
            "required_labels": list(product.required_labels or []),
            "eligible_industries": ", ".join(product.eligible_industries or []),
            "eligible_clusters": [c.code for c in product.eligible_clusters.all()],
            "eligible_subdistricts": [s.code for s in product.eligible_subdistricts.all()],
            "min_years_in_operation": product.min_years_in_operation,
            "min_annual_revenue": _wan_text(product.min_annual_revenue),
            "valid_from": product.valid_from.isoformat() if product.valid_from else "",
            "valid_until": product.valid_until.isoformat() if product.valid_until else "",
            "description": product.description,
            "description_en": product.description_en,
        }

    def sections(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [(title, [self[name] for name in names if name in self.fields]) for title, names in self.SECTIONS]

    def provider_choice(self) -> Organization | None:
        """The chosen provider among the ones offered (create only); None when none fits."""
        wanted = str(self.cleaned_data.get("provider") or "")
        return next((org for org in self.providers if str(org.pk) == wanted), None)

    def service_data(self) -> dict[str, Any]:
        """The cleaned values in the services' units: CNY yuan and fractions. Only the rate of the chosen
        type is sent (the other input is hidden on the page); call after is_valid()."""
        data = {name: value for name, value in self.cleaned_data.items() if name != "provider"}
        for name in self.WAN_FIELDS:
            data[name] = wan_to_yuan(data[name]) if data.get(name) is not None else None
        for name in self.PERCENT_FIELDS:
            data[name] = _from_percent(data.get(name))
        if data.get("fee_rate") is None:
            data["fee_rate"] = Decimal("0")
        rate_type = data.get("rate_type") or RateType.FIXED
        data["rate_type"] = rate_type
        if rate_type == RateType.FIXED:
            data["lpr_spread"] = None
        else:
            data["fixed_rate"] = None
        for name in ("term_min_months", "term_max_months"):
            if data.get(name) is None:
                data[name] = ""
        if data.get("min_years_in_operation") is None:
            data["min_years_in_operation"] = 0
        return data


# ---- LPR -----------------------------------------------------------------------------------------------------


class LprForm(BootstrapForm):
    """Record an LPR publication (the district authority)."""

    term = forms.ChoiceField(label=_("Term"), choices=LprTerm.choices, initial=LprTerm.ONE_YEAR)
    effective_on = forms.CharField(label=_("Effective from"), widget=forms.DateInput(attrs={"type": "date"}))
    rate = forms.DecimalField(
        label=_("Rate (%)"),
        max_digits=8,
        decimal_places=4,
        min_value=0,
        max_value=100,
        widget=_number_widget(placeholder="3.00"),
    )

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"term": data["term"], "effective_on": data["effective_on"], "rate": data["rate"] / HUNDRED}
