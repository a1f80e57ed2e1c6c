"""Enterprise size classes (large, medium, small, micro) from industry, staff, revenue and assets.

The standard shipped is 工信部联企业〔2011〕300号, 《中小企业划型标准规定》 ("miit_2011"), kept as
DATA: one `SizeRule` per industry of the regulation, with its GB/T 4754-2017 code prefixes and its
bounds. Bounds are written as the regulation writes them (people; 万元) and converted once to the units
of our figures (employees; CNY yuan as Decimal).

How a size class follows from a rule (Article 4 of the regulation):

* large: every figure of the rule is at or above its SME ceiling ("SME if below X or Y" means a firm is
  large only when it is below neither);
* medium / small: every figure meets that class's lower bound ("and" rows);
* micro: everything else, i.e. any figure below the small bound ("or" rows);
* "≥" bounds are inclusive (the regulation says 及以上).

A rule needs all its figures: if one is missing the result is "" (not classified).

Mapping an industry code to a rule (the regulation names industries; the statistics bureau's notes to
《统计上大中小微型企业划分办法（2017）》 give their GB/T 4754-2017 ranges):

* the longest matching prefix wins: `K7010` and `K701` are real-estate development, `K7020` and `K702`
  property management, `I65` software, `I63`/`I64` information transmission;
* transport excludes railway: `G53` falls to "other industries", and loading/unloading `G591`
  (装卸搬运, moved from division 58 to division 59 in GB/T 4754-2017) stays with transport, as the
  statistics bureau's note says; warehousing is the rest of `G59`;
* a code coarser than the rules need, which spans several rules, cannot be placed and is sized by the
  "other industries" rule (staff only): e.g. `F` (wholesale or retail), `G`, `G59` (loading or
  warehousing), `H`, `I`, `K`, `K70`. Record the finer code to get the industry's own rule;
* every code no rule names is "other industries", the regulation's catch-all: sections M, N, O, P, Q,
  R, the rest of K70 (agency services K703, other K709; also leasing of own property K704, which the
  statistics bureau's note leaves out of every row) and also J, S and T, for which the regulation has
  no row of its own (financial firms have a separate standard, 银发〔2015〕309号, not implemented here).

Other standards (e.g. the statistics bureau's) are added as further `SizeStandard` entries of
`CLASSIFIERS`; a program chooses its standard by key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from finbridge.core.errors import ValidationFailed
from finbridge.core.money import to_decimal, wan_to_yuan
from finbridge.enterprises.choices import SizeClass
from finbridge.reference.industries import normalize_industry_code

EMPLOYEES = "employees"
REVENUE = "revenue"
ASSETS = "assets"

FIGURE_LABELS: dict[str, Promise] = {
    EMPLOYEES: _("employees"),
    REVENUE: _("annual revenue (CNY)"),
    ASSETS: _("total assets (CNY)"),
}

DEFAULT_STANDARD = "miit_2011"

Figure = int | Decimal
Bounds = Mapping[str, Figure]


@dataclass(frozen=True)
class SizeRule:
    """One industry row of a size standard: which codes it covers and its bounds per figure."""

    key: str
    label: Promise
    prefixes: tuple[str, ...]
    ceiling: Bounds  # large when every figure is at or above these
    medium: Bounds  # medium when every figure is at or above these
    small: Bounds  # small when every figure is at or above these; micro otherwise

    @property
    def figures(self) -> tuple[str, ...]:
        """The figure kinds this rule reads, in the order employees, revenue, assets."""
        return tuple(kind for kind in (EMPLOYEES, REVENUE, ASSETS) if kind in self.ceiling)

    def thresholds(self) -> tuple[tuple[str, Bounds], ...]:
        """(size class, lower bounds) from large to small, for display."""
        return (
            (SizeClass.LARGE.value, self.ceiling),
            (SizeClass.MEDIUM.value, self.medium),
            (SizeClass.SMALL.value, self.small),
        )

    def size_of(self, figures: Mapping[str, Figure]) -> str:
        """The size class of complete figures: the first class all of whose bounds are met, else micro."""
        for size_class, bounds in self.thresholds():
            if all(figures[kind] >= bound for kind, bound in bounds.items()):
                return size_class
        return SizeClass.MICRO.value


def _bounds(staff: int | None = None, revenue_wan: int | None = None, assets_wan: int | None = None) -> Bounds:
    """Bounds as the regulation writes them (people, 万元) in our units (people, CNY yuan)."""
    bounds: dict[str, Figure] = {}
    if staff is not None:
        bounds[EMPLOYEES] = staff
    if revenue_wan is not None:
        bounds[REVENUE] = wan_to_yuan(revenue_wan)
    if assets_wan is not None:
        bounds[ASSETS] = wan_to_yuan(assets_wan)
    return bounds


MIIT_2011_OTHER = "other"

MIIT_2011_RULES: tuple[SizeRule, ...] = (
    SizeRule(
        "agriculture",
        _("Agriculture, forestry, animal husbandry and fishery"),
        ("A",),
        ceiling=_bounds(revenue_wan=20000),
        medium=_bounds(revenue_wan=500),
        small=_bounds(revenue_wan=50),
    ),
    SizeRule(
        "industry",
        _("Industry (mining, manufacturing, utilities)"),
        ("B", "C", "D"),
        ceiling=_bounds(staff=1000, revenue_wan=40000),
        medium=_bounds(staff=300, revenue_wan=2000),
        small=_bounds(staff=20, revenue_wan=300),
    ),
    SizeRule(
        "construction",
        _("Construction"),
        ("E",),
        ceiling=_bounds(revenue_wan=80000, assets_wan=80000),
        medium=_bounds(revenue_wan=6000, assets_wan=5000),
        small=_bounds(revenue_wan=300, assets_wan=300),
    ),
    SizeRule(
        "wholesale",
        _("Wholesale"),
        ("F51",),
        ceiling=_bounds(staff=200, revenue_wan=40000),
        medium=_bounds(staff=20, revenue_wan=5000),
        small=_bounds(staff=5, revenue_wan=1000),
    ),
    SizeRule(
        "retail",
        _("Retail"),
        ("F52",),
        ceiling=_bounds(staff=300, revenue_wan=20000),
        medium=_bounds(staff=50, revenue_wan=500),
        small=_bounds(staff=10, revenue_wan=100),
    ),
    SizeRule(
        "transport",
        _("Transport (except railway)"),
        ("G54", "G55", "G56", "G57", "G58", "G591"),
        ceiling=_bounds(staff=1000, revenue_wan=30000),
        medium=_bounds(staff=300, revenue_wan=3000),
        small=_bounds(staff=20, revenue_wan=200),
    ),
    SizeRule(
        "warehousing",
        _("Warehousing"),
        ("G59",),
        ceiling=_bounds(staff=200, revenue_wan=30000),
        medium=_bounds(staff=100, revenue_wan=1000),
        small=_bounds(staff=20, revenue_wan=100),
    ),
    SizeRule(
        "postal",
        _("Postal services"),
        ("G60",),
        ceiling=_bounds(staff=1000, revenue_wan=30000),
        medium=_bounds(staff=300, revenue_wan=2000),
        small=_bounds(staff=20, revenue_wan=100),
    ),
    SizeRule(
        "accommodation",
        _("Accommodation"),
        ("H61",),
        ceiling=_bounds(staff=300, revenue_wan=10000),
        medium=_bounds(staff=100, revenue_wan=2000),
        small=_bounds(staff=10, revenue_wan=100),
    ),
    SizeRule(
        "catering",
        _("Catering"),
        ("H62",),
        ceiling=_bounds(staff=300, revenue_wan=10000),
        medium=_bounds(staff=100, revenue_wan=2000),
        small=_bounds(staff=10, revenue_wan=100),
    ),
    SizeRule(
        "information_transmission",
        _("Information transmission (telecommunications, internet and related services)"),
        ("I63", "I64"),
        ceiling=_bounds(staff=2000, revenue_wan=100000),
        medium=_bounds(staff=100, revenue_wan=1000),
        small=_bounds(staff=10, revenue_wan=100),
    ),
    SizeRule(
        "software",
        _("Software and information technology services"),
        ("I65",),
        ceiling=_bounds(staff=300, revenue_wan=10000),
        medium=_bounds(staff=100, revenue_wan=1000),
        small=_bounds(staff=10, revenue_wan=50),
    ),
    SizeRule(
        "real_estate_development",
        _("Real-estate development"),
        ("K701",),
        ceiling=_bounds(revenue_wan=200000, assets_wan=10000),
        medium=_bounds(revenue_wan=1000, assets_wan=5000),
        small=_bounds(revenue_wan=100, assets_wan=2000),
    ),
    SizeRule(
        "property_management",
        _("Property management"),
        ("K702",),
        ceiling=_bounds(staff=1000, revenue_wan=5000),
        medium=_bounds(staff=300, revenue_wan=1000),
        small=_bounds(staff=100, revenue_wan=500),
    ),
    SizeRule(
        "leasing_business_services",
        _("Leasing and business services"),
        ("L",),
        ceiling=_bounds(staff=300, assets_wan=120000),
        medium=_bounds(staff=100, assets_wan=8000),
        small=_bounds(staff=10, assets_wan=100),
    ),
    SizeRule(
        MIIT_2011_OTHER,
        _("Other industries not listed"),
        (),
        ceiling=_bounds(staff=300),
        medium=_bounds(staff=100),
        small=_bounds(staff=10),
    ),
)


@dataclass(frozen=True)
class ClassificationBasis:
    """Why an enterprise has its size class: the standard, the rule row, its bounds, the figures."""

    standard: str
    standard_label: Promise
    industry_code: str
    rule_key: str
    rule_label: Promise
    thresholds: tuple[tuple[str, Bounds], ...]  # (size class, lower bounds), large to small
    figures: Mapping[str, Figure | None]  # the figures the rule reads, as given (None = missing)
    missing: tuple[str, ...]  # figure kinds the rule needs that were not given
    result: str  # "large" | "medium" | "small" | "micro" | "" when figures are missing

    @property
    def is_classified(self) -> bool:
        return bool(self.result)


@dataclass(frozen=True)
class SizeStandard:
    """A size standard: its rule rows and the catch-all row for codes no row (or several rows) cover."""

    key: str
    label: Promise
    rules: tuple[SizeRule, ...]
    fallback_key: str

    def rule(self, key: str) -> SizeRule:
        return next(rule for rule in self.rules if rule.key == key)

    def rule_for(self, industry_code: str) -> SizeRule:
        """The rule of the longest prefix matching the code; the fallback when none matches or the code
        is coarser than a prefix of another rule (so that it may belong to either)."""
        code = normalize_industry_code(industry_code or "")
        matches = [(len(p), rule) for rule in self.rules for p in rule.prefixes if code and code.startswith(p)]
        if not matches:
            return self.rule(self.fallback_key)
        best = max(matches, key=lambda match: match[0])[1]
        spans_other_rules = any(
            rule is not best and p.startswith(code) and len(p) > len(code) for rule in self.rules for p in rule.prefixes
        )
        return self.rule(self.fallback_key) if spans_other_rules else best

    def basis(self, *, industry_code: str, employees: int | None, revenue: Any, assets: Any) -> ClassificationBasis:
        """Classify and explain: the rule used, its bounds, the figures read and the result."""
        rule = self.rule_for(industry_code)
        given: dict[str, Figure | None] = {
            EMPLOYEES: employees,
            REVENUE: None if revenue is None else to_decimal(revenue),
            ASSETS: None if assets is None else to_decimal(assets),
        }
        figures = {kind: given[kind] for kind in rule.figures}
        known = {kind: value for kind, value in figures.items() if value is not None}
        missing = tuple(kind for kind in figures if kind not in known)
        return ClassificationBasis(
            standard=self.key,
            standard_label=self.label,
            industry_code=normalize_industry_code(industry_code or ""),
            rule_key=rule.key,
            rule_label=rule.label,
            thresholds=rule.thresholds(),
            figures=figures,
            missing=missing,
            result="" if missing else rule.size_of(known),
        )


CLASSIFIERS: dict[str, SizeStandard] = {
    DEFAULT_STANDARD: SizeStandard(
        key=DEFAULT_STANDARD,
        label=_("MIIT 2011 SME classification (工信部联企业〔2011〕300号)"),
        rules=MIIT_2011_RULES,
        fallback_key=MIIT_2011_OTHER,
    ),
}


def standard_choices() -> list[tuple[str, Promise]]:
    """(key, label) of every size standard, for a program's choice of standard."""
    return [(key, standard.label) for key, standard in CLASSIFIERS.items()]


def _standard(key: str) -> SizeStandard:
    try:
        return CLASSIFIERS[key]
    except KeyError:
        raise ValidationFailed(
            _("There is no size standard called %(standard)s."),
            code="unknown_size_standard",
            params={"standard": key},
        ) from None


def classification_basis(
    *,
    industry_code: str,
    employees: int | None,
    revenue: Decimal | None,
    assets: Decimal | None,
    standard: str = DEFAULT_STANDARD,
) -> ClassificationBasis:
    """The size class of an enterprise with the reasons for it ("why this class" on the detail page).

    Raises ValidationFailed (code "unknown_size_standard") for a standard not in CLASSIFIERS.
    """
    return _standard(standard).basis(industry_code=industry_code, employees=employees, revenue=revenue, assets=assets)


def classify(
    *,
    industry_code: str,
    employees: int | None,
    revenue: Decimal | None,
    assets: Decimal | None,
    standard: str = DEFAULT_STANDARD,
) -> str:
    """ "large", "medium", "small" or "micro"; "" when a figure the industry's rule needs is missing.

    Revenue and assets are CNY yuan. Raises ValidationFailed for an unknown standard.
    """
    return classification_basis(
        industry_code=industry_code, employees=employees, revenue=revenue, assets=assets, standard=standard
    ).result
