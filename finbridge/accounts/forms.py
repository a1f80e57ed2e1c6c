"""Forms of the accounts pages. They only parse input; the rules live in accounts.services."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.utils.translation import gettext_lazy as _

from finbridge.accounts.choices import BankTier, OrgType, Role
from finbridge.accounts.models import Organization
from finbridge.core.errors import DomainError
from finbridge.reference.models import District, Subdistrict


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Show a service's DomainError on a form: field messages on their fields, the rest on top."""
    placed = False
    for name, messages in error.fields.items():
        for message in messages:
            form.add_error(name if name in form.fields else None, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    new_password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html,
    )
    new_password2 = forms.CharField(
        label=_("New password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("new_password1") and data.get("new_password2") and data["new_password1"] != data["new_password2"]:
            self.add_error("new_password2", _("The two new passwords differ."))
        return data


class InvitationAcceptForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("Letters, digits and @/./+/-/_ only."),
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    display_name = forms.CharField(label=_("Display name"), max_length=100, required=False)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html,
    )
    password2 = forms.CharField(
        label=_("Password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", _("The two passwords differ."))
        return data

    def add_domain_error(self, error: DomainError) -> None:
        """Service field `password` is shown on password1."""
        if "password" in error.fields:
            error.fields["password1"] = error.fields.pop("password")
        add_domain_error(self, error)


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.STAFF)


class MembershipRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class OrganizationFilterForm(forms.Form):
    org_type = forms.ChoiceField(label=_("Type"), choices=[("", _("All types")), *OrgType.choices], required=False)


class OrganizationForm(forms.Form):
    name = forms.CharField(label=_("Name (Chinese)"), max_length=200)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    org_type = forms.ChoiceField(label=_("Type"), choices=[("", "—"), *OrgType.choices])
    bank_tier = forms.ChoiceField(
        label=_("Bank tier"), choices=[("", "—"), *BankTier.choices], required=False, help_text=_("Banks only.")
    )
    parent = forms.ModelChoiceField(
        label=_("Head office"),
        queryset=Organization.objects.filter(org_type=OrgType.BANK, bank_tier=BankTier.HEAD_OFFICE),
        required=False,
        help_text=_("For a bank branch or sci-tech branch: the bank's head office."),
    )
    district = forms.ModelChoiceField(
        label=_("District"),
        queryset=District.objects.all(),
        required=False,
        help_text=_("Empty: the district of your authority."),
    )
    subdistrict = forms.ModelChoiceField(
        label=_("Subdistrict"),
        queryset=Subdistrict.objects.all(),
        required=False,
        help_text=_("For a subdistrict office: the area it manages."),
    )
    industry_sectors = forms.CharField(
        label=_("Industry sectors"),
        required=False,
        help_text=_("For an industry authority: GB/T 4754-2017 codes of its sector, separated by commas, e.g. C, I65."),
    )
