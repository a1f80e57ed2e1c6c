"""Forms of the rule-version pages: a version from a preset, or by hand with per-category shares, uplifts and
caps. Shares and cap shares are typed in per cent, uplifts in percentage points, caps in CNY; the sharing
engine checks the result and its messages come back next to the fields they are about."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from finbridge.core.errors import DomainError
from finbridge.core.money import to_decimal
from finbridge.enterprises.forms import style_for_bootstrap
from finbridge.riskpool.forms_common import DATE_WIDGET, BootstrapForm, fraction, percent
from finbridge.riskpool.presets import preset_choices
from finbridge.riskpool.sharing import Category, Flag, Party

CATEGORIES: tuple[str, ...] = tuple(Category.values)
PARTIES: tuple[str, ...] = tuple(Party.values)
FLAGS: tuple[str, ...] = tuple(Flag.values)
NUMBER = {"required": False, "widget": forms.TextInput(attrs={"inputmode": "decimal", "class": "text-end"})}
GLOBAL_PERCENT = ("cap_rate", "cap_guarantee_rate", "min_bank_share")
GLOBAL_AMOUNT = ("per_bank_year_cap", "pool_cap")
ENGINE_FIELD = re.compile(r"^categories\.(\d+)(?:\.(\w+)(?:\.(\w+))?)?$")
DATE_CONFLICTS = frozenset({"rule_version_order", "rule_version_past"})


def _plain(value: Any) -> str:
    """A stored number without trailing zeros ("10.0000" → "10"); blank for None."""
    if value in (None, ""):
        return ""
    try:
        return format(to_decimal(value).normalize(), "f")
    except ValueError:
        return str(value)


class PresetVersionForm(BootstrapForm):
    """A new rule version copied from a preset model."""

    preset = forms.ChoiceField(label=_("Preset"))
    effective_from = forms.CharField(label=_("Effective from"), required=False, **DATE_WIDGET)
    label = forms.CharField(label=_("Label"), max_length=200, required=False, help_text=_("Empty: the preset's name."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["preset"].choices = preset_choices()


class RuleVersionForm(BootstrapForm):
    """A rule version by hand: one block per loan category, then the caps across loans."""

    effective_from = forms.CharField(label=_("Effective from"), required=False, **DATE_WIDGET)
    label = forms.CharField(label=_("Label"), max_length=200, required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    per_bank_year_cap = forms.CharField(label=_("Cap per bank and year (CNY)"), **NUMBER)
    pool_cap = forms.CharField(label=_("Cap of the whole pool (CNY)"), **NUMBER)
    cap_rate = forms.CharField(label=_("Portfolio cap rate (%)"), **NUMBER)
    cap_guarantee_rate = forms.CharField(label=_("Guarantee rate of the cap (%)"), **NUMBER)
    min_bank_share = forms.CharField(label=_("Least share the bank bears (%)"), **NUMBER)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for category in CATEGORIES:
            self.fields[f"{category}_enabled"] = forms.BooleanField(label=_("Covered"), required=False)
            for party in PARTIES:
                self.fields[f"{category}_{party}"] = forms.CharField(label=Party(party).label, **NUMBER)
            for flag in FLAGS:
                self.fields[f"{category}_uplift_{flag}"] = forms.CharField(label=Flag(flag).label, **NUMBER)
            self.fields[f"{category}_uplift_max"] = forms.CharField(label=_("Uplifts at most (points)"), **NUMBER)
            self.fields[f"{category}_principal_cap"] = forms.CharField(
                label=_("At most this share of the lost principal (%)"), **NUMBER
            )
            self.fields[f"{category}_loan_cap"] = forms.CharField(label=_("Cap per loan (CNY)"), **NUMBER)
            self.fields[f"{category}_interest"] = forms.BooleanField(label=_("Lost interest counts"), required=False)
        # Messages of the engine about a category as a whole (shares not adding up, uplifts too high).
        self.category_errors: dict[str, list[str]] = {category: [] for category in CATEGORIES}
        style_for_bootstrap(self)
        for field in self.fields.values():  # the declared fields were styled once already
            css = field.widget.attrs.get("class", "")
            field.widget.attrs["class"] = " ".join(dict.fromkeys(css.split()))

    # ---- reading and writing rule sets -------------------------------------------------------------

    @staticmethod
    def initial_from_rules(rules: dict[str, Any]) -> dict[str, Any]:
        """Form values from a stored rule set (RuleSet.to_dict())."""
        initial: dict[str, Any] = {}
        for rule in rules.get("categories") or []:
            category = rule.get("category")
            if category not in CATEGORIES:
                continue
            initial[f"{category}_enabled"] = True
            for party, share in (rule.get("shares") or {}).items():
                initial[f"{category}_{party}"] = percent(share)
            for flag, points in (rule.get("uplifts") or {}).items():
                initial[f"{category}_uplift_{flag}"] = _plain(points)
            initial[f"{category}_uplift_max"] = _plain(rule.get("uplift_max_points"))
            initial[f"{category}_principal_cap"] = percent(rule.get("principal_cap_share")) or ""
            initial[f"{category}_loan_cap"] = _plain(rule.get("per_loan_cap"))
            initial[f"{category}_interest"] = bool(rule.get("covers_interest"))
        for name in GLOBAL_AMOUNT:
            initial[name] = _plain(rules.get(name))
        for name in GLOBAL_PERCENT:
            value = rules.get(name)
            initial[name] = percent(value) if value not in (None, "", "0") else ""
        return initial

    def enabled_categories(self) -> list[str]:
        return [c for c in CATEGORIES if self.cleaned_data.get(f"{c}_enabled")]

    def rules(self) -> dict[str, Any]:
        """The rule set as data for rule_version_create (shares as fractions); call after is_valid()."""
        data = self.cleaned_data
        categories = []
        for category in self.enabled_categories():
            uplifts = {
                flag: data[f"{category}_uplift_{flag}"].strip()
                for flag in FLAGS
                if data[f"{category}_uplift_{flag}"].strip()
            }
            categories.append(
                {
                    "category": category,
                    "shares": {party: fraction(data[f"{category}_{party}"]) or "0" for party in PARTIES},
                    "uplifts": uplifts,
                    "uplift_max_points": data[f"{category}_uplift_max"].strip() or None,
                    "principal_cap_share": fraction(data[f"{category}_principal_cap"]),
                    "per_loan_cap": data[f"{category}_loan_cap"].strip() or None,
                    "covers_interest": bool(data[f"{category}_interest"]),
                }
            )
        rules: dict[str, Any] = {"categories": categories}
        for name in GLOBAL_AMOUNT:
            rules[name] = data[name].strip() or None
        for name in GLOBAL_PERCENT:
            rules[name] = fraction(data[name])
        return rules

    def add_service_error(self, error: DomainError) -> None:
        """Put the engine's or the service's messages next to the fields (or category blocks) they concern."""
        order = self.enabled_categories() if hasattr(self, "cleaned_data") else []
        placed = False
        for name, messages in error.fields.items():
            target, category = self._target(name, order)
            for message in messages:
                if category is not None:
                    self.category_errors[category].append(message)
                else:
                    self.add_error(target, message)
                placed = True
        if not placed:
            self.add_error("effective_from" if error.code in DATE_CONFLICTS else None, error.message)
        elif any(self.category_errors.values()) and not self.errors:
            self.add_error(None, error.message)

    def _target(self, name: str, order: list[str]) -> tuple[str | None, str | None]:
        """(form field, None) or (None, category block) for an engine field name."""
        if name in self.fields:
            return name, None
        match = ENGINE_FIELD.match(name)
        if not match or int(match.group(1)) >= len(order):
            return None, None
        category, part, key = order[int(match.group(1))], match.group(2), match.group(3)
        fields = {
            ("shares", key): f"{category}_{key}",
            ("uplifts", key): f"{category}_uplift_{key}",
            ("uplift_max_points", None): f"{category}_uplift_max",
            ("principal_cap_share", None): f"{category}_principal_cap",
            ("per_loan_cap", None): f"{category}_loan_cap",
            ("covers_interest", None): f"{category}_interest",
        }
        field = fields.get((part or "", key))
        if field and field in self.fields:
            return field, None
        return None, category

    def blocks(self) -> list[dict[str, Any]]:
        """The category blocks for the template: the category, its fields and its block-level messages."""
        return [
            {
                "category": category,
                "label": Category(category).label,
                "enabled": self[f"{category}_enabled"],
                "shares": [self[f"{category}_{party}"] for party in PARTIES],
                "uplifts": [self[f"{category}_uplift_{flag}"] for flag in FLAGS],
                "uplift_max": self[f"{category}_uplift_max"],
                "principal_cap": self[f"{category}_principal_cap"],
                "loan_cap": self[f"{category}_loan_cap"],
                "interest": self[f"{category}_interest"],
                "errors": self.category_errors[category],
            }
            for category in CATEGORIES
        ]
