"""Credit-code rules and every field rule of clean_enterprise_data()."""

from __future__ import annotations

import copy
import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from finbridge.accounts.tests.factories import ClusterFactory, SubdistrictFactory
from finbridge.core.errors import ValidationFailed
from finbridge.enterprises.models import Enterprise
from finbridge.enterprises.tests.factories import valid_uscc
from finbridge.enterprises.validation import (
    ENTERPRISE_FIELDS,
    InvalidUSCC,
    ReferenceLookup,
    clean_enterprise_data,
    normalize_uscc,
)
from finbridge.reference.models import IndustrialCluster, Subdistrict

GOOD_USCC = valid_uscc(1)  # 91440300000000001 + check character


def _with_last(code: str, last: str) -> str:
    return code[:-1] + last


def _wrong_check_character(code: str) -> str:
    return _with_last(code, "0" if code[-1] != "0" else "1")


# --- credit code ---------------------------------------------------------------------------------------


def test_valid_code_is_returned_unchanged():
    assert normalize_uscc(GOOD_USCC) == GOOD_USCC


@pytest.mark.parametrize(
    "typed",
    [
        f" {GOOD_USCC[:6]} {GOOD_USCC[6:12]} {GOOD_USCC[12:]} ",
        GOOD_USCC.lower(),
        f"\t{GOOD_USCC}\n",
        GOOD_USCC[:9] + "\u3000" + GOOD_USCC[9:],  # full-width space
        "".join(chr(ord(c) + 0xFEE0) for c in GOOD_USCC),  # full-width characters
    ],
)
def test_spaces_lower_case_and_full_width_are_normalised(typed):
    assert normalize_uscc(typed) == GOOD_USCC


def test_real_code_with_letters_is_valid():
    # the example of GB 32100-2015 as used by python-stdnum, typed in lower case
    assert normalize_uscc("91110000600037341l") == "91110000600037341L"


@pytest.mark.parametrize(("typed", "count"), [(GOOD_USCC[:-1], 17), (GOOD_USCC + "0", 19), ("", 0), ("9144", 4)])
def test_wrong_length(typed, count):
    with pytest.raises(InvalidUSCC) as caught:
        normalize_uscc(typed)
    error = caught.value
    assert error.code == "invalid_uscc"
    assert error.reason == "length"
    assert error.message == f"A unified social credit code has 18 characters; this one has {count}."
    assert error.fields == {"uscc": [error.message]}


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_letters_never_used_are_rejected(letter):
    typed = GOOD_USCC[:10] + letter + GOOD_USCC[11:]
    with pytest.raises(InvalidUSCC) as caught:
        normalize_uscc(typed)
    assert caught.value.reason == "format"
    assert "I, O, Z, S and V are never used" in caught.value.message
    assert caught.value.fields == {"uscc": [caught.value.message]}


@pytest.mark.parametrize(
    "typed",
    [
        "A1110000600037341L",  # a letter among the first 8 characters (python-stdnum wants digits there)
        GOOD_USCC[:12] + "#" + GOOD_USCC[13:],
        GOOD_USCC[:12] + "中" + GOOD_USCC[13:],
    ],
)
def test_badly_formed_code_is_rejected(typed):
    with pytest.raises(InvalidUSCC) as caught:
        normalize_uscc(typed)
    assert caught.value.reason == "format"
    assert caught.value.code == "invalid_uscc"


def test_wrong_check_character():
    with pytest.raises(InvalidUSCC) as caught:
        normalize_uscc(_wrong_check_character(GOOD_USCC))
    assert caught.value.reason == "checksum"
    assert caught.value.message == "The check character (the last one) is wrong: check for a typing mistake."
    assert caught.value.code == "invalid_uscc"


def test_each_credit_code_rule_has_its_own_message():
    messages = {}
    for reason, typed in [
        ("length", GOOD_USCC[:-1]),
        ("format", GOOD_USCC[:10] + "O" + GOOD_USCC[11:]),
        ("checksum", _wrong_check_character(GOOD_USCC)),
    ]:
        with pytest.raises(ValidationFailed) as caught:
            normalize_uscc(typed)
        assert caught.value.reason == reason
        messages[reason] = caught.value.message
    assert len(set(messages.values())) == 3


# --- clean_enterprise_data: good input -----------------------------------------------------------------


@pytest.fixture
def subdistrict(db):
    return SubdistrictFactory(code="440310001", name_zh="坪山街道", name_en="Pingshan Subdistrict")


@pytest.fixture
def clusters(db):
    return [ClusterFactory(code="new-energy-vehicles"), ClusterFactory(code="biomedicine")]


@pytest.fixture
def spreadsheet_row(subdistrict, clusters):
    """A row as a CSV gives it: every value a string."""
    return {
        "uscc": " " + GOOD_USCC.lower() + " ",
        "name": "  深圳市坪山  新能源科技有限公司 ",
        "name_en": "Pingshan New Energy Technology Co., Ltd.",
        "legal_representative": "王五",
        "established_on": "2015/6/3",
        "registered_capital": "5,000,000",
        "address": "深圳市坪山区坪山大道 1 号",
        "subdistrict": "440310001",
        "industry_code": "c 3670",
        "clusters": "new-energy-vehicles；biomedicine、new-energy-vehicles",
        "employees": "1,200",
        "annual_revenue": "123,456,789.875",
        "total_assets": "0",
        "is_high_tech": "是",
        "is_tech_sme": "否",
        "is_srdi": "Y",
        "is_little_giant": "no",
        "patents_held": "12",
        "has_serious_bad_credit": "0",
    }


def test_field_names_in_template_order():
    assert ENTERPRISE_FIELDS == (
        "uscc",
        "name",
        "name_en",
        "legal_representative",
        "established_on",
        "registered_capital",
        "address",
        "subdistrict",
        "industry_code",
        "clusters",
        "employees",
        "annual_revenue",
        "total_assets",
        "is_high_tech",
        "is_tech_sme",
        "is_srdi",
        "is_little_giant",
        "patents_held",
        "has_serious_bad_credit",
    )


def test_spreadsheet_row_is_normalised(spreadsheet_row, subdistrict, clusters):
    cleaned = clean_enterprise_data(spreadsheet_row)
    assert cleaned == {
        "uscc": GOOD_USCC,
        "name": "深圳市坪山 新能源科技有限公司",
        "name_en": "Pingshan New Energy Technology Co., Ltd.",
        "legal_representative": "王五",
        "established_on": datetime.date(2015, 6, 3),
        "registered_capital": Decimal("5000000.00"),
        "address": "深圳市坪山区坪山大道 1 号",
        "subdistrict": subdistrict,
        "industry_code": "C3670",
        "clusters": [clusters[0], clusters[1]],
        "employees": 1200,
        "annual_revenue": Decimal("123456789.88"),
        "total_assets": Decimal("0.00"),
        "is_high_tech": True,
        "is_tech_sme": False,
        "is_srdi": True,
        "is_little_giant": False,
        "patents_held": 12,
        "has_serious_bad_credit": False,
    }
    assert isinstance(cleaned["subdistrict"], Subdistrict)
    assert all(isinstance(cluster, IndustrialCluster) for cluster in cleaned["clusters"])


def test_python_values_are_accepted(subdistrict, clusters):
    cleaned = clean_enterprise_data(
        {
            "uscc": GOOD_USCC,
            "name": "测试公司",
            "industry_code": "I65",
            "established_on": datetime.datetime(2020, 1, 2, 0, 0),  # what openpyxl gives for a date cell
            "registered_capital": Decimal("1000000.005"),
            "annual_revenue": 3_000_000,
            "total_assets": 2500000.5,  # a spreadsheet number cell: parsed from its text, never computed as float
            "employees": 50.0,
            "subdistrict": subdistrict,
            "clusters": ["biomedicine", clusters[0]],
            "is_high_tech": True,
            "is_srdi": 1,
            "patents_held": Decimal("3"),
        }
    )
    assert cleaned["established_on"] == datetime.date(2020, 1, 2)
    assert cleaned["registered_capital"] == Decimal("1000000.01")
    assert cleaned["annual_revenue"] == Decimal("3000000.00")
    assert cleaned["total_assets"] == Decimal("2500000.50")
    assert cleaned["employees"] == 50
    assert cleaned["subdistrict"] == subdistrict
    assert cleaned["clusters"] == [clusters[1], clusters[0]]
    assert cleaned["is_high_tech"] is True
    assert cleaned["is_srdi"] is True
    assert cleaned["patents_held"] == 3


@pytest.mark.django_db
def test_empty_optional_values_mean_none():
    cleaned = clean_enterprise_data(
        {
            "uscc": GOOD_USCC,
            "name": "测试公司",
            "industry_code": "C",
            "name_en": None,
            "established_on": "",
            "registered_capital": " ",
            "subdistrict": "",
            "clusters": "",
            "employees": None,
            "annual_revenue": "",
            "total_assets": None,
            "is_high_tech": "",
            "patents_held": "",
        }
    )
    assert cleaned == {
        "uscc": GOOD_USCC,
        "name": "测试公司",
        "industry_code": "C",
        "name_en": "",
        "established_on": None,
        "registered_capital": None,
        "subdistrict": None,
        "clusters": [],
        "employees": None,
        "annual_revenue": None,
        "total_assets": None,
        "is_high_tech": False,
        "patents_held": 0,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        ("yes", True),
        ("Yes", True),
        ("1", True),
        ("是", True),
        ("Y", True),
        ("y", True),
        ("false", False),
        ("no", False),
        ("0", False),
        ("否", False),
        ("N", False),
        (" n ", False),
        (True, True),
        (False, False),
        (0, False),
        (1.0, True),
    ],
)
def test_boolean_words(word, expected):
    cleaned = clean_enterprise_data({"is_tech_sme": word}, partial=True)
    assert cleaned == {"is_tech_sme": expected}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("C", "C"),
        ("c36", "C36"),
        ("C3670", "C3670"),
        ("i65", "I65"),
        ("K7010", "K7010"),
        ("A01", "A01"),
        ("E47", "E47"),
        ("F51", "F51"),
        ("F52", "F52"),
        ("G53", "G53"),
        ("G54", "G54"),
        ("G59", "G59"),
        ("G60", "G60"),
        ("H61", "H61"),
        ("H62", "H62"),
        ("I63", "I63"),
        ("I64", "I64"),
        ("K7020", "K7020"),
        ("L72", "L72"),
    ],
)
def test_known_industry_codes(typed, expected):
    assert clean_enterprise_data({"industry_code": typed}, partial=True) == {"industry_code": expected}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "day"), [("2015-06-30", (2015, 6, 30)), ("2015/6/3", (2015, 6, 3)), ("1900-01-01", (1900, 1, 1))]
)
def test_date_formats(typed, day):
    assert clean_enterprise_data({"established_on": typed}, partial=True) == {"established_on": datetime.date(*day)}


@pytest.mark.django_db
def test_today_is_not_in_the_future():
    today = timezone.localdate()
    assert clean_enterprise_data({"established_on": today}, partial=True) == {"established_on": today}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("employees", "5,000,000", 5_000_000),
        ("employees", 0, 0),
        ("patents_held", "1,000,000", 1_000_000),
        ("annual_revenue", "10,000,000,000,000", Decimal("10000000000000.00")),
        ("total_assets", "9,999,999,999,999.995", Decimal("10000000000000.00")),
        ("registered_capital", "1，234", Decimal("1234.00")),
        ("name", "名" * 200, "名" * 200),
    ],
)
def test_limits_are_inclusive(field, value, expected):
    assert clean_enterprise_data({field: value}, partial=True) == {field: expected}


# --- clean_enterprise_data: bad input ------------------------------------------------------------------


def _field_errors(data, *, partial=False):
    """The field errors of clean_enterprise_data, checking that the input was left untouched."""
    before = copy.deepcopy(data)
    with pytest.raises(ValidationFailed) as caught:
        clean_enterprise_data(data, partial=partial)
    assert data == before
    assert caught.value.code == "validation_failed"
    return caught.value.fields


def _one_error(field, value):
    errors = _field_errors({field: value}, partial=True)
    assert list(errors) == [field]
    assert len(errors[field]) == 1
    return errors[field][0]


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["registered_capital", "annual_revenue", "total_assets"])
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-0.01", "An amount cannot be negative."),
        (Decimal("-5"), "An amount cannot be negative."),
        (-1, "An amount cannot be negative."),
        (
            "10,000,000,000,000.01",
            "10,000,000,000,000.01 CNY is not plausible: amounts above 10,000,000,000,000 CNY are not accepted.",
        ),
        (
            Decimal("1e20"),
            "100,000,000,000,000,000,000 CNY is not plausible: amounts above 10,000,000,000,000 CNY are not accepted.",
        ),
        ("abc", "Enter an amount in CNY, such as 1,250,000.00."),
        ("NaN", "Enter an amount in CNY, such as 1,250,000.00."),
        ("Infinity", "Enter an amount in CNY, such as 1,250,000.00."),
        ("12万", "Enter an amount in CNY, such as 1,250,000.00."),
        (True, "Enter an amount in CNY, such as 1,250,000.00."),
    ],
)
def test_bad_amounts(field, value, message):
    assert _one_error(field, value) == message


@pytest.mark.django_db
def test_astronomical_amount_is_refused_without_crashing():
    assert "is not plausible" in _one_error("annual_revenue", "1e999999")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("employees", -1, "Enter a whole number from 0 to 5,000,000."),
        ("employees", "5,000,001", "Enter a whole number from 0 to 5,000,000."),
        ("employees", "12.5", "Enter a whole number, such as 120."),
        ("employees", "many", "Enter a whole number, such as 120."),
        ("employees", True, "Enter a whole number, such as 120."),
        ("patents_held", "1000001", "Enter a whole number from 0 to 1,000,000."),
        ("patents_held", -3, "Enter a whole number from 0 to 1,000,000."),
    ],
)
def test_bad_whole_numbers(field, value, message):
    assert _one_error(field, value) == message


@pytest.mark.django_db
def test_future_date_is_refused():
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert _one_error("established_on", tomorrow) == f"{tomorrow.isoformat()} is in the future."
    assert _one_error("established_on", tomorrow.isoformat()) == f"{tomorrow.isoformat()} is in the future."


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1899-12-31", "1899-12-31 is too early: dates before 1900-01-01 are not accepted."),
        ("2020-02-30", "Enter a date as YYYY-MM-DD, such as 2015-06-30."),
        ("30/06/2020", "Enter a date as YYYY-MM-DD, such as 2015-06-30."),
        ("yesterday", "Enter a date as YYYY-MM-DD, such as 2015-06-30."),
        (20200101, "Enter a date as YYYY-MM-DD, such as 2015-06-30."),
    ],
)
def test_bad_dates(value, message):
    assert _one_error("established_on", value) == message


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["maybe", "2", "T", 5])
def test_bad_booleans(value):
    assert _one_error("is_srdi", value) == "Enter yes or no (also accepted: true/false, 1/0, 是/否, Y/N)."


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "shown"), [("C99", "C99"), ("z1", "Z1"), ("X", "X"), ("C36701", "C36701"), ("36", "36")]
)
def test_unknown_industry_code(typed, shown):
    assert _one_error("industry_code", typed) == f"{shown} is not a code of the industry classification GB/T 4754-2017."


@pytest.mark.django_db
def test_unknown_subdistrict(subdistrict):
    assert _one_error("subdistrict", "440310999") == "There is no subdistrict with the code 440310999."


@pytest.mark.django_db
def test_unknown_clusters_are_all_named(clusters):
    message = _one_error("clusters", "biomedicine; robots, drones")
    assert message == "There is no industrial cluster with the code(s) robots, drones."


@pytest.mark.django_db
def test_name_too_long():
    assert _one_error("name", "名" * 201) == "At most 200 characters are allowed; this has 201."


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "limit"), [("name_en", 200), ("legal_representative", 100), ("address", 255)])
def test_text_limits(field, limit):
    assert clean_enterprise_data({field: "a" * limit}, partial=True) == {field: "a" * limit}
    assert _one_error(field, "a" * (limit + 1)) == f"At most {limit} characters are allowed; this has {limit + 1}."


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (GOOD_USCC[:-1], "A unified social credit code has 18 characters; this one has 17."),
        (_wrong_check_character(GOOD_USCC), "The check character (the last one) is wrong: check for a typing mistake."),
    ],
)
def test_bad_credit_code_in_data(typed, message):
    assert _one_error("uscc", typed) == message


@pytest.mark.django_db
def test_unknown_keys_are_rejected():
    errors = _field_errors({"uscc": GOOD_USCC, "name": "公司", "industry_code": "C", "size_class": "micro", "foo": 1})
    assert errors == {"size_class": ["Unknown field."], "foo": ["Unknown field."]}


@pytest.mark.django_db
def test_required_fields_when_creating():
    assert _field_errors({}) == {
        "uscc": ["This field is required."],
        "name": ["This field is required."],
        "industry_code": ["This field is required."],
    }


@pytest.mark.django_db
def test_partial_mode_needs_no_required_field_but_refuses_blanking_one():
    assert clean_enterprise_data({"employees": "7"}, partial=True) == {"employees": 7}
    assert clean_enterprise_data({}, partial=True) == {}
    assert _field_errors({"name": "  ", "uscc": None}, partial=True) == {
        "name": ["This field is required."],
        "uscc": ["This field is required."],
    }


@pytest.mark.django_db
def test_every_error_of_every_field_is_reported_at_once(subdistrict):
    data = {
        "uscc": GOOD_USCC[:-1],
        "name": "",
        "established_on": "2999-01-01",
        "registered_capital": "-1",
        "subdistrict": "nowhere",
        "industry_code": "C99",
        "clusters": "robots",
        "employees": "-5",
        "annual_revenue": "99999999999999",
        "total_assets": "lots",
        "is_high_tech": "perhaps",
        "patents_held": "1.5",
        "colour": "blue",
    }
    with pytest.raises(ValidationFailed) as caught:
        clean_enterprise_data(data)
    error = caught.value
    assert set(error.fields) == {
        "uscc",
        "name",
        "established_on",
        "registered_capital",
        "subdistrict",
        "industry_code",
        "clusters",
        "employees",
        "annual_revenue",
        "total_assets",
        "is_high_tech",
        "patents_held",
        "colour",
    }
    assert all(len(messages) == 1 for messages in error.fields.values())
    assert error.message == "Some fields are not valid."
    assert error.as_dict()["fields"]["colour"] == ["Unknown field."]
    assert Enterprise.objects.count() == 0
    assert list(Subdistrict.objects.all()) == [subdistrict]
    assert not IndustrialCluster.objects.exists()


@pytest.mark.django_db
def test_single_error_becomes_the_message():
    with pytest.raises(ValidationFailed) as caught:
        clean_enterprise_data({"uscc": GOOD_USCC, "name": "公司", "industry_code": "Z1"})
    assert caught.value.message == "Z1 is not a code of the industry classification GB/T 4754-2017."
    assert caught.value.fields == {"industry_code": [caught.value.message]}


def test_reference_lookup_reads_each_table_once(subdistrict, clusters, django_assert_num_queries):
    references = ReferenceLookup()
    row = {"subdistrict": "440310001", "clusters": "biomedicine"}
    with django_assert_num_queries(2):
        first = clean_enterprise_data(row, partial=True, references=references)
    with django_assert_num_queries(0):
        second = clean_enterprise_data(row, partial=True, references=references)
    assert first == second == {"subdistrict": subdistrict, "clusters": [clusters[1]]}
