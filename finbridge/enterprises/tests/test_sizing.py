"""The 2011 MIIT size standard (工信部联企业〔2011〕300号) for every industry row of the regulation.

Expected values are written from the regulation's table (DESIGN.md §4), in CNY yuan: a bound of
X 万元 is X × 10,000 yuan; "one unit below" is one person or 0.01 CNY.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finbridge.core.errors import ValidationFailed
from finbridge.enterprises.sizing import CLASSIFIERS, classification_basis, classify, standard_choices
from finbridge.reference.industries import industry_get

ORDER = {"micro": 0, "small": 1, "medium": 2, "large": 3}

# (industry code, employees, annual revenue CNY, total assets CNY, expected class).
# Per row: each class's bounds exactly met and one unit below each; one figure at the large ceiling with
# the other only at a lower class's bound (both bounds needed); either figure below the small bound (micro).
# None marks a figure the row does not read.
BOUNDARY_CASES = [
    # Agriculture (A): revenue 20000 / 500 / 50 万元
    ("A01", None, "200000000.00", None, "large"),
    ("A01", None, "199999999.99", None, "medium"),
    ("A01", None, "5000000.00", None, "medium"),
    ("A01", None, "4999999.99", None, "small"),
    ("A01", None, "500000.00", None, "small"),
    ("A01", None, "499999.99", None, "micro"),
    ("A01", None, "0.00", None, "micro"),
    # Industry (B, C, D): staff 1000 / 300 / 20; revenue 40000 / 2000 / 300 万元
    ("C3670", 1000, "400000000.00", None, "large"),
    ("C3670", 999, "400000000.00", None, "medium"),
    ("C3670", 1000, "399999999.99", None, "medium"),
    ("C3670", 300, "20000000.00", None, "medium"),
    ("C3670", 299, "20000000.00", None, "small"),
    ("C3670", 300, "19999999.99", None, "small"),
    ("C3670", 20, "3000000.00", None, "small"),
    ("C3670", 19, "3000000.00", None, "micro"),
    ("C3670", 20, "2999999.99", None, "micro"),
    ("C3670", 1000, "3000000.00", None, "small"),
    ("C3670", 20, "400000000.00", None, "small"),
    ("C3670", 1000, "20000000.00", None, "medium"),
    ("C3670", 1000, "2999999.99", None, "micro"),
    ("C3670", 19, "400000000.00", None, "micro"),
    # Construction (E): revenue 80000 / 6000 / 300; assets 80000 / 5000 / 300 万元
    ("E47", None, "800000000.00", "800000000.00", "large"),
    ("E47", None, "799999999.99", "800000000.00", "medium"),
    ("E47", None, "800000000.00", "799999999.99", "medium"),
    ("E47", None, "60000000.00", "50000000.00", "medium"),
    ("E47", None, "59999999.99", "50000000.00", "small"),
    ("E47", None, "60000000.00", "49999999.99", "small"),
    ("E47", None, "3000000.00", "3000000.00", "small"),
    ("E47", None, "2999999.99", "3000000.00", "micro"),
    ("E47", None, "3000000.00", "2999999.99", "micro"),
    ("E47", None, "800000000.00", "3000000.00", "small"),
    ("E47", None, "3000000.00", "800000000.00", "small"),
    ("E47", None, "800000000.00", "50000000.00", "medium"),
    ("E47", None, "800000000.00", "2999999.99", "micro"),
    ("E47", None, "2999999.99", "800000000.00", "micro"),
    # Wholesale (F51): staff 200 / 20 / 5; revenue 40000 / 5000 / 1000 万元
    ("F51", 200, "400000000.00", None, "large"),
    ("F51", 199, "400000000.00", None, "medium"),
    ("F51", 200, "399999999.99", None, "medium"),
    ("F51", 20, "50000000.00", None, "medium"),
    ("F51", 19, "50000000.00", None, "small"),
    ("F51", 20, "49999999.99", None, "small"),
    ("F51", 5, "10000000.00", None, "small"),
    ("F51", 4, "10000000.00", None, "micro"),
    ("F51", 5, "9999999.99", None, "micro"),
    ("F51", 200, "10000000.00", None, "small"),
    ("F51", 5, "400000000.00", None, "small"),
    ("F51", 200, "50000000.00", None, "medium"),
    ("F51", 200, "9999999.99", None, "micro"),
    ("F51", 4, "400000000.00", None, "micro"),
    # Retail (F52): staff 300 / 50 / 10; revenue 20000 / 500 / 100 万元
    ("F52", 300, "200000000.00", None, "large"),
    ("F52", 299, "200000000.00", None, "medium"),
    ("F52", 300, "199999999.99", None, "medium"),
    ("F52", 50, "5000000.00", None, "medium"),
    ("F52", 49, "5000000.00", None, "small"),
    ("F52", 50, "4999999.99", None, "small"),
    ("F52", 10, "1000000.00", None, "small"),
    ("F52", 9, "1000000.00", None, "micro"),
    ("F52", 10, "999999.99", None, "micro"),
    ("F52", 300, "1000000.00", None, "small"),
    ("F52", 10, "200000000.00", None, "small"),
    ("F52", 300, "5000000.00", None, "medium"),
    ("F52", 300, "999999.99", None, "micro"),
    ("F52", 9, "200000000.00", None, "micro"),
    # Transport (G54-G58, G591): staff 1000 / 300 / 20; revenue 30000 / 3000 / 200 万元
    ("G54", 1000, "300000000.00", None, "large"),
    ("G54", 999, "300000000.00", None, "medium"),
    ("G54", 1000, "299999999.99", None, "medium"),
    ("G54", 300, "30000000.00", None, "medium"),
    ("G54", 299, "30000000.00", None, "small"),
    ("G54", 300, "29999999.99", None, "small"),
    ("G54", 20, "2000000.00", None, "small"),
    ("G54", 19, "2000000.00", None, "micro"),
    ("G54", 20, "1999999.99", None, "micro"),
    ("G54", 1000, "2000000.00", None, "small"),
    ("G54", 20, "300000000.00", None, "small"),
    ("G54", 1000, "30000000.00", None, "medium"),
    ("G54", 1000, "1999999.99", None, "micro"),
    ("G54", 19, "300000000.00", None, "micro"),
    # Warehousing (G59 except G591): staff 200 / 100 / 20; revenue 30000 / 1000 / 100 万元
    ("G5920", 200, "300000000.00", None, "large"),
    ("G5920", 199, "300000000.00", None, "medium"),
    ("G5920", 200, "299999999.99", None, "medium"),
    ("G5920", 100, "10000000.00", None, "medium"),
    ("G5920", 99, "10000000.00", None, "small"),
    ("G5920", 100, "9999999.99", None, "small"),
    ("G5920", 20, "1000000.00", None, "small"),
    ("G5920", 19, "1000000.00", None, "micro"),
    ("G5920", 20, "999999.99", None, "micro"),
    ("G5920", 200, "1000000.00", None, "small"),
    ("G5920", 20, "300000000.00", None, "small"),
    ("G5920", 200, "10000000.00", None, "medium"),
    ("G5920", 200, "999999.99", None, "micro"),
    ("G5920", 19, "300000000.00", None, "micro"),
    # Postal (G60): staff 1000 / 300 / 20; revenue 30000 / 2000 / 100 万元
    ("G60", 1000, "300000000.00", None, "large"),
    ("G60", 999, "300000000.00", None, "medium"),
    ("G60", 1000, "299999999.99", None, "medium"),
    ("G60", 300, "20000000.00", None, "medium"),
    ("G60", 299, "20000000.00", None, "small"),
    ("G60", 300, "19999999.99", None, "small"),
    ("G60", 20, "1000000.00", None, "small"),
    ("G60", 19, "1000000.00", None, "micro"),
    ("G60", 20, "999999.99", None, "micro"),
    ("G60", 1000, "1000000.00", None, "small"),
    ("G60", 20, "300000000.00", None, "small"),
    ("G60", 1000, "20000000.00", None, "medium"),
    ("G60", 1000, "999999.99", None, "micro"),
    ("G60", 19, "300000000.00", None, "micro"),
    # Accommodation (H61): staff 300 / 100 / 10; revenue 10000 / 2000 / 100 万元
    ("H61", 300, "100000000.00", None, "large"),
    ("H61", 299, "100000000.00", None, "medium"),
    ("H61", 300, "99999999.99", None, "medium"),
    ("H61", 100, "20000000.00", None, "medium"),
    ("H61", 99, "20000000.00", None, "small"),
    ("H61", 100, "19999999.99", None, "small"),
    ("H61", 10, "1000000.00", None, "small"),
    ("H61", 9, "1000000.00", None, "micro"),
    ("H61", 10, "999999.99", None, "micro"),
    ("H61", 300, "1000000.00", None, "small"),
    ("H61", 10, "100000000.00", None, "small"),
    ("H61", 300, "20000000.00", None, "medium"),
    ("H61", 300, "999999.99", None, "micro"),
    ("H61", 9, "100000000.00", None, "micro"),
    # Catering (H62): staff 300 / 100 / 10; revenue 10000 / 2000 / 100 万元
    ("H62", 300, "100000000.00", None, "large"),
    ("H62", 299, "100000000.00", None, "medium"),
    ("H62", 300, "99999999.99", None, "medium"),
    ("H62", 100, "20000000.00", None, "medium"),
    ("H62", 99, "20000000.00", None, "small"),
    ("H62", 100, "19999999.99", None, "small"),
    ("H62", 10, "1000000.00", None, "small"),
    ("H62", 9, "1000000.00", None, "micro"),
    ("H62", 10, "999999.99", None, "micro"),
    ("H62", 300, "1000000.00", None, "small"),
    ("H62", 10, "100000000.00", None, "small"),
    ("H62", 300, "20000000.00", None, "medium"),
    ("H62", 300, "999999.99", None, "micro"),
    ("H62", 9, "100000000.00", None, "micro"),
    # Information transmission (I63, I64): staff 2000 / 100 / 10; revenue 100000 / 1000 / 100 万元
    ("I63", 2000, "1000000000.00", None, "large"),
    ("I63", 1999, "1000000000.00", None, "medium"),
    ("I63", 2000, "999999999.99", None, "medium"),
    ("I63", 100, "10000000.00", None, "medium"),
    ("I63", 99, "10000000.00", None, "small"),
    ("I63", 100, "9999999.99", None, "small"),
    ("I63", 10, "1000000.00", None, "small"),
    ("I63", 9, "1000000.00", None, "micro"),
    ("I63", 10, "999999.99", None, "micro"),
    ("I63", 2000, "1000000.00", None, "small"),
    ("I63", 10, "1000000000.00", None, "small"),
    ("I63", 2000, "10000000.00", None, "medium"),
    ("I63", 2000, "999999.99", None, "micro"),
    ("I63", 9, "1000000000.00", None, "micro"),
    # Software and IT services (I65): staff 300 / 100 / 10; revenue 10000 / 1000 / 50 万元
    ("I65", 300, "100000000.00", None, "large"),
    ("I65", 299, "100000000.00", None, "medium"),
    ("I65", 300, "99999999.99", None, "medium"),
    ("I65", 100, "10000000.00", None, "medium"),
    ("I65", 99, "10000000.00", None, "small"),
    ("I65", 100, "9999999.99", None, "small"),
    ("I65", 10, "500000.00", None, "small"),
    ("I65", 9, "500000.00", None, "micro"),
    ("I65", 10, "499999.99", None, "micro"),
    ("I65", 300, "500000.00", None, "small"),
    ("I65", 10, "100000000.00", None, "small"),
    ("I65", 300, "10000000.00", None, "medium"),
    ("I65", 300, "499999.99", None, "micro"),
    ("I65", 9, "100000000.00", None, "micro"),
    # Real-estate development (K7010): revenue 200000 / 1000 / 100; assets 10000 / 5000 / 2000 万元
    ("K7010", None, "2000000000.00", "100000000.00", "large"),
    ("K7010", None, "1999999999.99", "100000000.00", "medium"),
    ("K7010", None, "2000000000.00", "99999999.99", "medium"),
    ("K7010", None, "10000000.00", "50000000.00", "medium"),
    ("K7010", None, "9999999.99", "50000000.00", "small"),
    ("K7010", None, "10000000.00", "49999999.99", "small"),
    ("K7010", None, "1000000.00", "20000000.00", "small"),
    ("K7010", None, "999999.99", "20000000.00", "micro"),
    ("K7010", None, "1000000.00", "19999999.99", "micro"),
    ("K7010", None, "2000000000.00", "20000000.00", "small"),
    ("K7010", None, "1000000.00", "100000000.00", "small"),
    ("K7010", None, "2000000000.00", "50000000.00", "medium"),
    ("K7010", None, "2000000000.00", "19999999.99", "micro"),
    ("K7010", None, "999999.99", "100000000.00", "micro"),
    # Property management (K7020): staff 1000 / 300 / 100; revenue 5000 / 1000 / 500 万元
    ("K7020", 1000, "50000000.00", None, "large"),
    ("K7020", 999, "50000000.00", None, "medium"),
    ("K7020", 1000, "49999999.99", None, "medium"),
    ("K7020", 300, "10000000.00", None, "medium"),
    ("K7020", 299, "10000000.00", None, "small"),
    ("K7020", 300, "9999999.99", None, "small"),
    ("K7020", 100, "5000000.00", None, "small"),
    ("K7020", 99, "5000000.00", None, "micro"),
    ("K7020", 100, "4999999.99", None, "micro"),
    ("K7020", 1000, "5000000.00", None, "small"),
    ("K7020", 100, "50000000.00", None, "small"),
    ("K7020", 1000, "10000000.00", None, "medium"),
    ("K7020", 1000, "4999999.99", None, "micro"),
    ("K7020", 99, "50000000.00", None, "micro"),
    # Leasing and business services (L): staff 300 / 100 / 10; assets 120000 / 8000 / 100 万元
    ("L72", 300, None, "1200000000.00", "large"),
    ("L72", 299, None, "1200000000.00", "medium"),
    ("L72", 300, None, "1199999999.99", "medium"),
    ("L72", 100, None, "80000000.00", "medium"),
    ("L72", 99, None, "80000000.00", "small"),
    ("L72", 100, None, "79999999.99", "small"),
    ("L72", 10, None, "1000000.00", "small"),
    ("L72", 9, None, "1000000.00", "micro"),
    ("L72", 10, None, "999999.99", "micro"),
    ("L72", 300, None, "1000000.00", "small"),
    ("L72", 10, None, "1200000000.00", "small"),
    ("L72", 300, None, "80000000.00", "medium"),
    ("L72", 300, None, "999999.99", "micro"),
    ("L72", 9, None, "1200000000.00", "micro"),
    # Other industries not listed: staff 300 / 100 / 10
    ("M73", 300, None, None, "large"),
    ("M73", 299, None, None, "medium"),
    ("M73", 100, None, None, "medium"),
    ("M73", 99, None, None, "small"),
    ("M73", 10, None, None, "small"),
    ("M73", 9, None, None, "micro"),
    ("M73", 0, None, None, "micro"),
]


def _amount(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


@pytest.mark.parametrize(("code", "employees", "revenue", "assets", "expected"), BOUNDARY_CASES)
def test_class_boundaries_of_every_row(code, employees, revenue, assets, expected):
    assert (
        classify(industry_code=code, employees=employees, revenue=_amount(revenue), assets=_amount(assets)) == expected
    )


@pytest.mark.parametrize(("code", "employees", "revenue", "assets", "expected"), BOUNDARY_CASES)
@pytest.mark.parametrize(("unused_staff", "unused_amount"), [(0, Decimal("0.00")), (10**6, Decimal("10") ** 12)])
def test_figures_a_row_does_not_read_change_nothing(
    code, employees, revenue, assets, expected, unused_staff, unused_amount
):
    result = classify(
        industry_code=code,
        employees=unused_staff if employees is None else employees,
        revenue=unused_amount if revenue is None else Decimal(revenue),
        assets=unused_amount if assets is None else Decimal(assets),
    )
    assert result == expected


# Code -> rule row. The regulation's industries mapped to GB/T 4754-2017 (statistics bureau's notes):
# railway G53 is not transport; loading/unloading G591 is transport; a code spanning several rows is "other".
MAPPING_CASES = [
    ("A", "agriculture"),
    ("A05", "agriculture"),
    ("B", "industry"),
    ("B06", "industry"),
    ("C", "industry"),
    ("C36", "industry"),
    ("C3670", "industry"),
    ("D", "industry"),
    ("D44", "industry"),
    ("E", "construction"),
    ("E47", "construction"),
    ("F", "other"),
    ("F51", "wholesale"),
    ("F5111", "wholesale"),
    ("F52", "retail"),
    ("F5211", "retail"),
    ("G", "other"),
    ("G53", "other"),
    ("G5311", "other"),
    ("G54", "transport"),
    ("G5411", "transport"),
    ("G55", "transport"),
    ("G56", "transport"),
    ("G57", "transport"),
    ("G58", "transport"),
    ("G5810", "transport"),
    ("G59", "other"),
    ("G591", "transport"),
    ("G5910", "transport"),
    ("G592", "warehousing"),
    ("G5990", "warehousing"),
    ("G60", "postal"),
    ("G6020", "postal"),
    ("H", "other"),
    ("H61", "accommodation"),
    ("H6110", "accommodation"),
    ("H62", "catering"),
    ("H6210", "catering"),
    ("I", "other"),
    ("I63", "information_transmission"),
    ("I6311", "information_transmission"),
    ("I64", "information_transmission"),
    ("I6410", "information_transmission"),
    ("I65", "software"),
    ("I651", "software"),
    ("J", "other"),
    ("K", "other"),
    ("K70", "other"),
    ("K701", "real_estate_development"),
    ("K7010", "real_estate_development"),
    ("K702", "property_management"),
    ("K7020", "property_management"),
    ("K7030", "other"),
    ("K7040", "other"),
    ("K7090", "other"),
    ("L", "leasing_business_services"),
    ("L7111", "leasing_business_services"),
    ("L72", "leasing_business_services"),
    ("M", "other"),
    ("M73", "other"),
    ("N", "other"),
    ("O", "other"),
    ("P", "other"),
    ("Q", "other"),
    ("R", "other"),
    ("S", "other"),
    ("T", "other"),
    ("k7010", "real_estate_development"),
    (" c 3670 ", "industry"),
]


@pytest.mark.parametrize(("code", "rule_key"), MAPPING_CASES)
def test_code_maps_to_its_rule_row(code, rule_key):
    basis = classification_basis(industry_code=code, employees=1, revenue=Decimal(1), assets=Decimal(1))
    assert basis.rule_key == rule_key


@pytest.mark.parametrize(("code", "rule_key"), MAPPING_CASES)
def test_mapping_cases_are_real_codes(code, rule_key):
    assert industry_get(code) is not None


@pytest.mark.parametrize(
    ("code_a", "code_b", "employees", "revenue", "assets", "class_a", "class_b"),
    [
        # railway is sized as "other" (staff only), road transport by staff and revenue
        ("G53", "G54", 500, "50000000.00", None, "large", "medium"),
        # software needs revenue 50 万元 for small, information transmission 100 万元
        ("I65", "I64", 50, "600000.00", None, "small", "micro"),
        # real-estate development reads revenue and assets, property management staff and revenue
        ("K7010", "K7020", 50, "6000000.00", "30000000.00", "small", "micro"),
        # K70 spans both rows: "other" (staff 50 -> small)
        ("K70", "K7020", 50, "6000000.00", "30000000.00", "small", "micro"),
        # loading/unloading is transport, general warehousing is warehousing
        ("G5910", "G5920", 150, "20000000.00", None, "small", "medium"),
    ],
)
def test_same_figures_differ_by_row(code_a, code_b, employees, revenue, assets, class_a, class_b):
    figures = {"employees": employees, "revenue": Decimal(revenue), "assets": _amount(assets)}
    assert classify(industry_code=code_a, **figures) == class_a
    assert classify(industry_code=code_b, **figures) == class_b


@pytest.mark.parametrize(
    ("code", "employees", "revenue", "assets"),
    [
        ("A01", 10, None, Decimal("1000000.00")),
        ("C3670", None, Decimal("3000000.00"), None),
        ("C3670", 20, None, None),
        ("C3670", None, None, None),
        ("E47", 5, None, Decimal("3000000.00")),
        ("E47", 5, Decimal("3000000.00"), None),
        ("F51", None, Decimal("10000000.00"), None),
        ("F51", 5, None, None),
        ("F52", None, Decimal("1000000.00"), None),
        ("F52", 10, None, None),
        ("G54", None, Decimal("2000000.00"), None),
        ("G54", 20, None, None),
        ("G5920", None, Decimal("1000000.00"), None),
        ("G5920", 20, None, None),
        ("G60", None, Decimal("1000000.00"), None),
        ("G60", 20, None, None),
        ("H61", None, Decimal("1000000.00"), None),
        ("H61", 10, None, None),
        ("H62", None, Decimal("1000000.00"), None),
        ("H62", 10, None, None),
        ("I63", None, Decimal("1000000.00"), None),
        ("I63", 10, None, None),
        ("I65", None, Decimal("500000.00"), None),
        ("I65", 10, None, None),
        ("K7010", 10, Decimal("1000000.00"), None),
        ("K7010", 10, None, Decimal("20000000.00")),
        ("K7020", None, Decimal("5000000.00"), None),
        ("K7020", 100, None, None),
        ("L72", None, Decimal("1000000.00"), Decimal("1000000.00")),
        ("L72", 10, Decimal("1000000.00"), None),
        ("M73", None, Decimal("1000000.00"), Decimal("1000000.00")),
        # even a figure below the small bound does not classify while another needed one is missing
        ("C3670", 3, None, None),
    ],
)
def test_missing_figure_the_row_needs_gives_no_class(code, employees, revenue, assets):
    assert classify(industry_code=code, employees=employees, revenue=revenue, assets=assets) == ""


def test_basis_explains_the_class():
    basis = classification_basis(
        industry_code="c3670", employees=299, revenue=Decimal("20000000.00"), assets=Decimal("5.00")
    )
    assert basis.standard == "miit_2011"
    assert basis.industry_code == "C3670"
    assert basis.rule_key == "industry"
    assert str(basis.rule_label) == "Industry (mining, manufacturing, utilities)"
    assert basis.thresholds == (
        ("large", {"employees": 1000, "revenue": Decimal("400000000")}),
        ("medium", {"employees": 300, "revenue": Decimal("20000000")}),
        ("small", {"employees": 20, "revenue": Decimal("3000000")}),
    )
    assert basis.figures == {"employees": 299, "revenue": Decimal("20000000.00")}
    assert basis.missing == ()
    assert basis.result == "small"
    assert basis.is_classified


def test_basis_names_the_missing_figures():
    basis = classification_basis(industry_code="E47", employees=None, revenue=None, assets=Decimal("3000000.00"))
    assert basis.rule_key == "construction"
    assert basis.figures == {"revenue": None, "assets": Decimal("3000000.00")}
    assert basis.missing == ("revenue",)
    assert basis.result == ""
    assert not basis.is_classified


def test_amounts_may_be_given_as_integers():
    assert classify(industry_code="A01", employees=None, revenue=500000, assets=None) == "small"


def test_registry_ships_the_miit_2011_standard():
    assert "miit_2011" in CLASSIFIERS
    assert ("miit_2011", CLASSIFIERS["miit_2011"].label) in standard_choices()
    keys = [rule.key for rule in CLASSIFIERS["miit_2011"].rules]
    assert keys == [
        "agriculture",
        "industry",
        "construction",
        "wholesale",
        "retail",
        "transport",
        "warehousing",
        "postal",
        "accommodation",
        "catering",
        "information_transmission",
        "software",
        "real_estate_development",
        "property_management",
        "leasing_business_services",
        "other",
    ]


def test_unknown_standard_is_a_validation_error():
    with pytest.raises(ValidationFailed) as caught:
        classify(industry_code="C", employees=1, revenue=Decimal(1), assets=None, standard="nbs_1999")
    assert caught.value.code == "unknown_size_standard"
    assert "nbs_1999" in caught.value.message


@pytest.mark.parametrize("rule", CLASSIFIERS["miit_2011"].rules, ids=lambda rule: rule.key)
def test_rule_data_is_consistent(rule):
    """Every prefix is a real GB/T 4754-2017 code and each class's bounds lie within the class above."""
    assert all(industry_get(prefix) is not None for prefix in rule.prefixes)
    assert set(rule.ceiling) == set(rule.medium) == set(rule.small) == set(rule.figures)
    for kind in rule.figures:
        assert rule.ceiling[kind] > rule.medium[kind] > rule.small[kind] > 0


# Property tests over every row: one representative code per rule, including fallbacks.
ROW_CODES = ["A01", "C3670", "E47", "F51", "F52", "G54", "G5910", "G5920", "G60", "H61", "H62", "I63", "I65"]
ROW_CODES += ["K7010", "K7020", "L72", "M73", "G53", "K70", "I"]
staff = st.integers(min_value=0, max_value=1_000_000)
amounts = st.decimals(min_value=0, max_value=Decimal("100000000000"), places=2, allow_nan=False, allow_infinity=False)


@given(code=st.sampled_from(ROW_CODES), employees=staff, revenue=amounts, assets=amounts)
def test_all_figures_give_one_of_the_four_classes(code, employees, revenue, assets):
    assert classify(industry_code=code, employees=employees, revenue=revenue, assets=assets) in ORDER


@given(
    code=st.sampled_from(ROW_CODES),
    employees=staff,
    revenue=amounts,
    assets=amounts,
    raised=st.sampled_from(["employees", "revenue", "assets"]),
    extra_staff=st.integers(min_value=0, max_value=100_000),
    extra_amount=amounts,
)
def test_raising_a_figure_never_lowers_the_class(code, employees, revenue, assets, raised, extra_staff, extra_amount):
    before = {"employees": employees, "revenue": revenue, "assets": assets}
    after = dict(before)
    after[raised] += extra_staff if raised == "employees" else extra_amount
    assert ORDER[classify(industry_code=code, **after)] >= ORDER[classify(industry_code=code, **before)]
