"""Forms of the statement and stress-test pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from finbridge.riskpool.forms_common import DATE_WIDGET, BootstrapForm, fraction
from finbridge.riskpool.sharing import Category

PERCENT = {"required": False, "widget": forms.TextInput(attrs={"inputmode": "decimal"})}


class StatementForm(BootstrapForm):
    """Whose statement and which period (all optional)."""

    bank = forms.TypedChoiceField(label=_("Bank"), coerce=int, empty_value=None, required=False)
    date_from = forms.DateField(label=_("From"), required=False, **DATE_WIDGET)
    date_to = forms.DateField(label=_("Until"), required=False, **DATE_WIDGET)

    def __init__(self, *args: Any, banks: list[Any] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if banks is None:
            del self.fields["bank"]
        else:
            self.fields["bank"].choices = [("", _("The whole pool"))] + [(b.pk, b.display_name) for b in banks]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("The end of the period must be on or after its start."))
        return data


class StressForm(BootstrapForm):
    """A stress test: per loan category the probability of default and the loss rate (in per cent), the number of
    scenarios, the seed, the correlation, the pool-share scales to compare and months of interest lost."""

    use_history = forms.BooleanField(
        label=_("Take missing values from the pool's own history"), required=False, initial=True
    )
    scenarios = forms.CharField(label=_("Scenarios"), initial="10000", required=False)
    seed = forms.CharField(label=_("Random seed"), required=False, help_text=_("Empty: a new random seed."))
    correlation_percent = forms.CharField(
        label=_("Default correlation (%)"),
        initial="12",
        help_text=_("Basel asset correlation; 0: independent."),
        **PERCENT,
    )
    share_scales = forms.CharField(
        label=_("Pool shares to compare (× today's)"), initial="0.5, 0.75, 1, 1.25, 1.5", required=False
    )
    interest_months = forms.CharField(label=_("Months of interest lost on a default"), initial="3", required=False)

    def __init__(self, *args: Any, categories: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.categories = categories
        from finbridge.enterprises.forms import style_for_bootstrap

        for category in categories:
            label = Category(category).label
            self.fields[f"pd_{category}"] = forms.CharField(
                label=_("%(category)s: probability of default in a year (%%)") % {"category": label}, **PERCENT
            )
            self.fields[f"loss_rate_{category}"] = forms.CharField(
                label=_("%(category)s: loss rate on default (%%)") % {"category": label}, **PERCENT
            )
        extra = forms.Form()
        extra.fields = {name: self.fields[name] for name in self.fields if name.startswith(("pd_", "loss_rate_"))}
        style_for_bootstrap(extra)

    def category_rows(self) -> list[tuple[Any, Any, Any]]:
        return [(Category(c).label, self[f"pd_{c}"], self[f"loss_rate_{c}"]) for c in self.categories]

    def service_arguments(self) -> dict[str, Any]:
        """Keyword arguments of stress_test_run; call after is_valid()."""
        data = self.cleaned_data
        return {
            "scenarios": data["scenarios"],
            "seed": data["seed"],
            "correlation": fraction(data["correlation_percent"]),
            "share_scales": data["share_scales"],
            "interest_months": data["interest_months"],
            "use_history": data["use_history"],
            "risks": {
                c: {
                    "probability_of_default": fraction(data.get(f"pd_{c}")),
                    "loss_rate": fraction(data.get(f"loss_rate_{c}")),
                }
                for c in self.categories
            },
        }
