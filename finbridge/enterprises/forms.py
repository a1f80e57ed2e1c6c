"""Forms of the registry pages. They only parse input: every rule lives in validation.py and the services.

A form's fields are plain text, choice and checkbox fields; the raw values go to the service, and the
service's ValidationFailed.fields are put back onto the form with `add_domain_errors`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from finbridge.core.errors import DomainError
from finbridge.enterprises.choices import ConsentScope, SizeClass, TechLabel, VerificationState
from finbridge.enterprises.models import Enterprise
from finbridge.reference.industries import industry_choices
from finbridge.reference.models import IndustrialCluster, Subdistrict

AMOUNT_FIELDS = ("registered_capital", "annual_revenue", "total_assets")
LABEL_FIELDS = tuple(f"is_{label.value}" for label in TechLabel)


def add_domain_errors(form: forms.BaseForm, error: DomainError) -> None:
    """Show a service's error on the form: field messages next to their fields, the rest on top."""
    placed = False
    for name, messages in error.fields.items():
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


def _subdistrict_choices(blank_label: Any) -> list[tuple[str, str]]:
    return [("", blank_label)] + [(s.code, s.name) for s in Subdistrict.objects.order_by("code")]


def _cluster_choices() -> list[tuple[str, str]]:
    return [(c.code, c.name) for c in IndustrialCluster.objects.order_by("code")]


def _with_blank(choices: Iterable[tuple[str, Any]], blank_label: Any) -> list[tuple[str, Any]]:
    return [("", blank_label), *choices]


def style_for_bootstrap(form: forms.BaseForm) -> None:
    """Give every widget its Bootstrap 5 class (form-control, form-select or form-check-input)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, (forms.CheckboxInput, forms.CheckboxSelectMultiple, forms.RadioSelect)):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        elif isinstance(widget, forms.HiddenInput):
            continue
        else:
            css = "form-control"
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class BootstrapForm(forms.Form):
    """A form whose widgets carry Bootstrap classes; invalid fields get `is-invalid`.

    Django itself adds aria-invalid and aria-describedby (`<id>_helptext`, `<id>_error`).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_for_bootstrap(self)

    def full_clean(self) -> None:
        super().full_clean()
        self.mark_invalid_fields()

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        self.mark_invalid_fields()

    def mark_invalid_fields(self) -> None:
        for name in self._errors or {}:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                if "is-invalid" not in attrs.get("class", ""):
                    attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()


class EnterpriseFilterForm(BootstrapForm):
    """The search box and filters of the enterprise list (all optional; invalid values are ignored)."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        help_text=_("A part of the name, or the full 18-character credit code."),
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Name or credit code"),
                "autocomplete": "off",
            }
        ),
    )
    subdistrict = forms.ChoiceField(label=_("Subdistrict"), required=False)
    cluster = forms.ChoiceField(label=_("Industrial cluster"), required=False)
    size_class = forms.ChoiceField(label=_("Size class"), required=False)
    label = forms.ChoiceField(label=_("Technology label"), required=False)
    verification = forms.ChoiceField(label=_("Verification"), required=False)
    industry = forms.CharField(
        label=_("Industry code"),
        required=False,
        max_length=5,
        widget=forms.TextInput(attrs={"list": "industry-codes", "placeholder": _("e.g. C36 or I65")}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subdistrict"].choices = _subdistrict_choices(_("All subdistricts"))
        self.fields["cluster"].choices = _with_blank(_cluster_choices(), _("All clusters"))
        self.fields["size_class"].choices = _with_blank(SizeClass.choices, _("All sizes"))
        self.fields["label"].choices = _with_blank(TechLabel.choices, _("Any label"))
        self.fields["verification"].choices = _with_blank(VerificationState.choices, _("Any state"))

    def search_arguments(self) -> tuple[str, dict[str, str]]:
        """(q, filters) for enterprise_list from the valid, non-empty values; call after is_valid()."""
        cleaned = {name: value for name, value in self.cleaned_data.items() if value}
        query = cleaned.pop("q", "").strip()
        return query, cleaned


class EnterpriseForm(BootstrapForm):
    """Create or edit an enterprise. Values are passed raw to the service, which validates them."""

    uscc = forms.CharField(
        label=_("Unified social credit code"),
        required=False,
        max_length=30,
        help_text=_("18 characters, as on the business licence."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    name = forms.CharField(label=_("Name"), required=False, max_length=250)
    name_en = forms.CharField(label=_("English name"), required=False, max_length=250)
    legal_representative = forms.CharField(label=_("Legal representative"), required=False, max_length=120)
    established_on = forms.CharField(
        label=_("Date established"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    registered_capital = forms.CharField(
        label=_("Registered capital (CNY)"),
        required=False,
        help_text=_("In yuan, e.g. 5000000."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    address = forms.CharField(label=_("Address"), required=False, max_length=300)
    subdistrict = forms.ChoiceField(label=_("Subdistrict"), required=False)
    industry_code = forms.CharField(
        label=_("Industry code (GB/T 4754-2017)"),
        required=False,
        max_length=10,
        help_text=_("Any level: C, C36, C367 or C3670."),
        widget=forms.TextInput(attrs={"list": "industry-codes", "autocomplete": "off"}),
    )
    clusters = forms.MultipleChoiceField(
        label=_("Industrial clusters"), required=False, widget=forms.CheckboxSelectMultiple
    )
    employees = forms.CharField(
        label=_("Employees"), required=False, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    annual_revenue = forms.CharField(
        label=_("Annual revenue (CNY)"),
        required=False,
        help_text=_("In yuan, for the last full year."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    total_assets = forms.CharField(
        label=_("Total assets (CNY)"),
        required=False,
        help_text=_("In yuan, at the end of the last full year."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    is_high_tech = forms.BooleanField(label=TechLabel.HIGH_TECH.label, required=False)
    is_tech_sme = forms.BooleanField(label=TechLabel.TECH_SME.label, required=False)
    is_srdi = forms.BooleanField(label=TechLabel.SRDI.label, required=False)
    is_little_giant = forms.BooleanField(label=TechLabel.LITTLE_GIANT.label, required=False)
    patents_held = forms.CharField(
        label=_("Patents held"), required=False, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    has_serious_bad_credit = forms.BooleanField(label=_("Serious bad credit record"), required=False)

    def __init__(
        self,
        *args: Any,
        enterprise: Enterprise | None = None,
        editable: Iterable[str] | None = None,
        **kwargs: Any,
    ) -> None:
        if enterprise is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(enterprise)
        super().__init__(*args, **kwargs)
        self.enterprise = enterprise
        self.fields["subdistrict"].choices = _subdistrict_choices(_("(none)"))
        self.fields["clusters"].choices = _cluster_choices()
        if editable is not None:
            for name, field in self.fields.items():
                if name not in editable:
                    field.disabled = True

    @property
    def has_locked_fields(self) -> bool:
        return any(field.disabled for field in self.fields.values())

    @staticmethod
    def initial_from(enterprise: Enterprise) -> dict[str, Any]:
        """The form's starting values for an existing record."""
        initial: dict[str, Any] = {
            name: getattr(enterprise, name)
            for name in (
                "uscc",
                "name",
                "name_en",
                "legal_representative",
                "address",
                "industry_code",
                "employees",
                "patents_held",
                "has_serious_bad_credit",
                *AMOUNT_FIELDS,
                *LABEL_FIELDS,
            )
        }
        initial["established_on"] = enterprise.established_on.isoformat() if enterprise.established_on else ""
        initial["subdistrict"] = enterprise.subdistrict.code if enterprise.subdistrict_id else ""
        initial["clusters"] = [c.code for c in enterprise.clusters.all()]
        for name in (*AMOUNT_FIELDS, "employees"):
            initial[name] = "" if initial[name] is None else str(initial[name])
        return initial

    def service_data(self) -> dict[str, Any]:
        """The raw values for enterprise_create (every field) or enterprise_update (changed fields only)."""
        names = self.changed_data if self.enterprise is not None else list(self.fields)
        data = {name: self.cleaned_data[name] for name in names if name in self.cleaned_data}
        for name, value in list(data.items()):
            if isinstance(value, str):
                data[name] = value.strip()
            if data[name] == "" and name in ("subdistrict", "established_on", "employees", *AMOUNT_FIELDS):
                data[name] = None
        return data

    def group(self, *names: str) -> list[forms.BoundField]:
        """Bound fields by name, for laying the form out in sections."""
        return [self[name] for name in names]

    @property
    def identity_fields(self) -> list[forms.BoundField]:
        return self.group("uscc", "name", "name_en", "legal_representative", "established_on", "registered_capital")

    @property
    def location_fields(self) -> list[forms.BoundField]:
        return self.group("address", "subdistrict", "industry_code")

    @property
    def figure_fields(self) -> list[forms.BoundField]:
        return self.group("employees", "annual_revenue", "total_assets", "patents_held")

    @property
    def label_fields(self) -> list[forms.BoundField]:
        return self.group(*LABEL_FIELDS, "has_serious_bad_credit")


class ContactForm(BootstrapForm):
    """Add a contact person to an enterprise."""

    name = forms.CharField(label=_("Name"), required=False, max_length=120)
    title = forms.CharField(label=_("Position"), required=False, max_length=120)
    phone = forms.CharField(
        label=_("Phone"), required=False, max_length=60, widget=forms.TextInput(attrs={"type": "tel"})
    )
    email = forms.CharField(
        label=_("Email"), required=False, max_length=254, widget=forms.TextInput(attrs={"type": "email"})
    )
    is_primary = forms.BooleanField(label=_("Primary contact"), required=False)

    def service_data(self) -> dict[str, Any]:
        return {name: (value.strip() if isinstance(value, str) else value) for name, value in self.cleaned_data.items()}


class FinancialsForm(BootstrapForm):
    """Record or change an enterprise's figures for one year (amounts in yuan; an empty field clears it)."""

    year = forms.CharField(
        label=_("Year"), required=False, max_length=4, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    revenue = forms.CharField(label=_("Revenue (CNY)"), required=False, max_length=40)
    total_assets = forms.CharField(label=_("Total assets (CNY)"), required=False, max_length=40)
    net_profit = forms.CharField(
        label=_("Net profit (CNY)"), required=False, max_length=40, help_text=_("May be negative.")
    )
    rd_expense = forms.CharField(label=_("R&D expense (CNY)"), required=False, max_length=40)
    employees = forms.CharField(
        label=_("Employees"), required=False, max_length=10, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )

    def service_arguments(self) -> tuple[str, dict[str, Any]]:
        """(year, figures) for financials_upsert: text as typed, blanks as None (clearing the figure)."""
        data = {name: (value.strip() or None) for name, value in self.cleaned_data.items()}
        return data.pop("year") or "", data


class ConsentGrantForm(BootstrapForm):
    """An MSME grants an institution consent to see its profile (and figures) until an optional date."""

    enterprise = forms.ChoiceField(label=_("Enterprise"), required=False)
    grantee = forms.ChoiceField(label=_("Institution"), required=False)
    scope = forms.ChoiceField(
        label=_("What they may see"),
        required=False,
        choices=ConsentScope.choices,
        initial=ConsentScope.PROFILE,
        widget=forms.RadioSelect,
    )
    expires_on = forms.CharField(
        label=_("Valid until"),
        required=False,
        help_text=_("Last day of validity; leave empty for no end date."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, enterprises: Iterable[Enterprise], grantees: Iterable[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.enterprise_map = {str(e.pk): e for e in enterprises}
        self.grantee_map = {str(g.pk): g for g in grantees}
        self.fields["enterprise"].choices = [(pk, e.name) for pk, e in self.enterprise_map.items()]
        self.fields["grantee"].choices = _with_blank(
            [(pk, f"{g.display_name} · {g.get_org_type_display()}") for pk, g in self.grantee_map.items()],
            _("Choose an institution"),
        )
        if len(self.enterprise_map) == 1:
            self.fields["enterprise"].initial = next(iter(self.enterprise_map))
            self.fields["enterprise"].widget = forms.HiddenInput()

    def clean_enterprise(self) -> Enterprise:
        value = self.cleaned_data.get("enterprise") or ""
        if value not in self.enterprise_map:
            raise forms.ValidationError(_("Choose one of your enterprises."))
        return self.enterprise_map[value]

    def clean_grantee(self) -> Any:
        value = self.cleaned_data.get("grantee") or ""
        if value not in self.grantee_map:
            raise forms.ValidationError(_("Choose an institution from the list."))
        return self.grantee_map[value]


def industry_datalist() -> list[tuple[str, str]]:
    """Sections and divisions of GB/T 4754-2017 for the industry code suggestions."""
    return industry_choices(("section", "division"))
