"""Validation and normalisation of enterprise input, shared by the pages, the API and the bulk import.

`clean_enterprise_data()` checks every given field, collects every error of every field and raises one
ValidationFailed with `fields={name: [messages]}`; otherwise it returns model-ready values. Only the
fields given are returned (a partial update changes only those); an empty value means "none": None for
optional figures and dates, "" for text, False for labels, 0 patents and no clusters.
Uniqueness of the credit code is checked by the services against the database, not here.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_errors
from stdnum.cn import uscc as stdnum_uscc

from finbridge.core.errors import ValidationFailed
from finbridge.core.money import quantize_amount, to_decimal
from finbridge.reference.industries import industry_get, normalize_industry_code
from finbridge.reference.models import IndustrialCluster, Subdistrict

ENTERPRISE_FIELDS: tuple[str, ...] = (
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
REQUIRED_FIELDS: tuple[str, ...] = ("uscc", "name", "industry_code")

USCC_LENGTH = 18
MAX_EMPLOYEES = 5_000_000
MAX_PATENTS = 1_000_000
MAX_AMOUNT = Decimal("10000000000000")  # ten trillion CNY: anything above is a typing mistake
EARLIEST_ESTABLISHED = datetime.date(1900, 1, 1)
TEXT_LIMITS = {"name": 200, "name_en": 200, "legal_representative": 100, "address": 255}

MSG_USCC_LENGTH = _("A unified social credit code has 18 characters; this one has %(count)d.")
MSG_USCC_FORMAT = _(
    "This unified social credit code is badly formed: the first 8 characters are digits, and the letters "
    "I, O, Z, S and V are never used."
)
MSG_USCC_CHECKSUM = _("The check character (the last one) is wrong: check for a typing mistake.")
MSG_REQUIRED = _("This field is required.")
MSG_UNKNOWN_FIELD = _("Unknown field.")
MSG_TOO_LONG = _("At most %(limit)d characters are allowed; this has %(count)d.")
MSG_NOT_A_NUMBER = _("Enter an amount in CNY, such as 1,250,000.00.")
MSG_NEGATIVE_AMOUNT = _("An amount cannot be negative.")
MSG_ABSURD_AMOUNT = _("%(value)s CNY is not plausible: amounts above %(limit)s CNY are not accepted.")
MSG_NOT_WHOLE = _("Enter a whole number, such as 120.")
MSG_OUT_OF_RANGE = _("Enter a whole number from %(min)s to %(max)s.")
MSG_BAD_DATE = _("Enter a date as YYYY-MM-DD, such as 2015-06-30.")
MSG_FUTURE_DATE = _("%(date)s is in the future.")
MSG_EARLY_DATE = _("%(date)s is too early: dates before %(earliest)s are not accepted.")
MSG_BAD_BOOLEAN = _("Enter yes or no (also accepted: true/false, 1/0, 是/否, Y/N).")
MSG_UNKNOWN_INDUSTRY = _("%(code)s is not a code of the industry classification GB/T 4754-2017.")
MSG_UNKNOWN_SUBDISTRICT = _("There is no subdistrict with the code %(code)s.")
MSG_UNKNOWN_CLUSTERS = _("There is no industrial cluster with the code(s) %(codes)s.")
MSG_NOT_TEXT = _("Enter text.")

TRUE_WORDS = frozenset({"true", "yes", "y", "1", "是"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "否"})
CLUSTER_SEPARATORS = re.compile(r"[;,；，、]")
DATE_PATTERN = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")


class FieldError(ValueError):
    """One bad field value: the translated message, already formatted."""

    def __init__(self, message: Any, **params: Any) -> None:
        self.message = str(message) % params if params else str(message)
        super().__init__(self.message)


class InvalidUSCC(ValidationFailed):
    """A bad credit code. `code` is "invalid_uscc"; `reason` tells which rule: length, format, checksum."""

    def __init__(self, message: str, *, reason: str) -> None:
        self.reason = reason
        super().__init__(message, code="invalid_uscc", fields={"uscc": [message]})


def normalize_uscc(raw: str) -> str:
    """The credit code without spaces, upper-cased, full-width characters made ASCII, checked by GB 32100-2015.

    Raises InvalidUSCC (a ValidationFailed, code "invalid_uscc") with a distinct message and `reason`
    for a wrong length, badly formed characters (I, O, Z, S, V are never used) and a wrong check character.
    """
    text = "".join(unicodedata.normalize("NFKC", str(raw or "")).split()).upper()
    try:
        return stdnum_uscc.validate(text)
    except stdnum_errors.InvalidLength:
        raise InvalidUSCC(str(MSG_USCC_LENGTH) % {"count": len(text)}, reason="length") from None
    except stdnum_errors.InvalidChecksum:
        raise InvalidUSCC(str(MSG_USCC_CHECKSUM), reason="checksum") from None
    except stdnum_errors.ValidationError:
        raise InvalidUSCC(str(MSG_USCC_FORMAT), reason="format") from None


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    if isinstance(value, bool | dict | list | tuple | set):
        raise FieldError(MSG_NOT_TEXT)
    return "" if value is None else " ".join(str(value).split())


def _limited_text(limit: int) -> Callable[[Any], str]:
    def clean(value: Any) -> str:
        text = _text(value)
        if len(text) > limit:
            raise FieldError(MSG_TOO_LONG, limit=limit, count=len(text))
        return text

    return clean


def _uscc(value: Any) -> str:
    try:
        return normalize_uscc(_text(value))
    except InvalidUSCC as error:
        raise FieldError(error.message) from None


def _amount(value: Any, *, allow_negative: bool = False) -> Decimal | None:
    """A CNY amount in yuan, parsed without float arithmetic and rounded to the fen.

    Negative amounts (a loss) only with allow_negative; the plausibility limit applies either way."""
    if _is_blank(value):
        return None
    if isinstance(value, bool):
        raise FieldError(MSG_NOT_A_NUMBER)
    try:
        amount = to_decimal(value)
    except ValueError:
        raise FieldError(MSG_NOT_A_NUMBER) from None
    if amount < 0 and not allow_negative:
        raise FieldError(MSG_NEGATIVE_AMOUNT)
    if abs(amount) > MAX_AMOUNT:
        raise FieldError(MSG_ABSURD_AMOUNT, value=_plain(amount), limit=f"{MAX_AMOUNT:,}")
    return quantize_amount(amount)


def _plain(number: Decimal) -> str:
    """A number for a message: with thousands separators when it is of a sensible size."""
    return f"{number:,f}" if number.adjusted() < 40 else str(number)


def _whole_number(value: Any, *, maximum: int) -> int:
    if isinstance(value, bool):
        raise FieldError(MSG_NOT_WHOLE)
    try:
        number = to_decimal(value)
    except ValueError:
        raise FieldError(MSG_NOT_WHOLE) from None
    if number != number.to_integral_value():
        raise FieldError(MSG_NOT_WHOLE)
    if not 0 <= number <= maximum:
        raise FieldError(MSG_OUT_OF_RANGE, min=0, max=f"{maximum:,}")
    return int(number)


def _employees(value: Any) -> int | None:
    return None if _is_blank(value) else _whole_number(value, maximum=MAX_EMPLOYEES)


def _patents(value: Any) -> int:
    return 0 if _is_blank(value) else _whole_number(value, maximum=MAX_PATENTS)


def _date(value: Any) -> datetime.date | None:
    """A date from a date, a datetime (spreadsheet cells) or `YYYY-MM-DD` / `YYYY/M/D` text."""
    if _is_blank(value):
        return None
    if isinstance(value, datetime.datetime):
        day = value.date()
    elif isinstance(value, datetime.date):
        day = value
    else:
        day = _parse_date(str(value).strip())
    if day > timezone.localdate():
        raise FieldError(MSG_FUTURE_DATE, date=day.isoformat())
    if day < EARLIEST_ESTABLISHED:
        raise FieldError(MSG_EARLY_DATE, date=day.isoformat(), earliest=EARLIEST_ESTABLISHED.isoformat())
    return day


def _parse_date(text: str) -> datetime.date:
    match = DATE_PATTERN.match(text)
    if not match:
        raise FieldError(MSG_BAD_DATE)
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        raise FieldError(MSG_BAD_DATE) from None


def _boolean(value: Any) -> bool:
    if _is_blank(value):
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal) and value in (0, 1):
        return bool(value)
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise FieldError(MSG_BAD_BOOLEAN)


def _industry_code(value: Any) -> str:
    code = normalize_industry_code(_text(value))
    if industry_get(code) is None:
        raise FieldError(MSG_UNKNOWN_INDUSTRY, code=code)
    return code


class ReferenceLookup:
    """Subdistricts and clusters by code, read once per instance.

    `clean_enterprise_data` makes one per call; a bulk import passes one instance for all its rows
    (`references=`) so that the reference tables are read once per file, not once per row.
    """

    def __init__(self) -> None:
        self._subdistricts: dict[str, Subdistrict] | None = None
        self._clusters: dict[str, IndustrialCluster] | None = None

    def subdistrict(self, code: str) -> Subdistrict | None:
        if self._subdistricts is None:
            self._subdistricts = {s.code: s for s in Subdistrict.objects.all()}
        return self._subdistricts.get(code)

    def clusters(self, codes: Iterable[str]) -> tuple[list[IndustrialCluster], list[str]]:
        """(clusters found, codes not found), in the order given."""
        if self._clusters is None:
            self._clusters = {c.code: c for c in IndustrialCluster.objects.all()}
        found = [self._clusters[code] for code in codes if code in self._clusters]
        unknown = [code for code in codes if code not in self._clusters]
        return found, unknown


def _subdistrict(value: Any, references: ReferenceLookup) -> Subdistrict | None:
    if isinstance(value, Subdistrict):
        return value
    if _is_blank(value):
        return None
    code = _text(value)
    subdistrict = references.subdistrict(code)
    if subdistrict is None:
        raise FieldError(MSG_UNKNOWN_SUBDISTRICT, code=code)
    return subdistrict


def _cluster_codes(value: Any) -> list[str]:
    """Codes from a list (of codes or clusters) or from text separated by ; , ； ， or 、, without repeats."""
    if _is_blank(value):
        return []
    if isinstance(value, str):
        parts: Iterable[Any] = CLUSTER_SEPARATORS.split(value)
    elif isinstance(value, list | tuple | set):
        parts = value
    else:
        raise FieldError(MSG_UNKNOWN_CLUSTERS, codes=_text(value))
    codes = (part.code if isinstance(part, IndustrialCluster) else _text(part) for part in parts)
    return list(dict.fromkeys(code for code in codes if code))


def _clusters(value: Any, references: ReferenceLookup) -> list[IndustrialCluster]:
    found, unknown = references.clusters(_cluster_codes(value))
    if unknown:
        raise FieldError(MSG_UNKNOWN_CLUSTERS, codes=", ".join(unknown))
    return found


CLEANERS: dict[str, Callable[[Any], Any]] = {
    "uscc": _uscc,
    **{name: _limited_text(limit) for name, limit in TEXT_LIMITS.items()},
    "established_on": _date,
    "registered_capital": _amount,
    "industry_code": _industry_code,
    "employees": _employees,
    "annual_revenue": _amount,
    "total_assets": _amount,
    "is_high_tech": _boolean,
    "is_tech_sme": _boolean,
    "is_srdi": _boolean,
    "is_little_giant": _boolean,
    "patents_held": _patents,
    "has_serious_bad_credit": _boolean,
}
REFERENCE_CLEANERS: dict[str, Callable[[Any, ReferenceLookup], Any]] = {
    "subdistrict": _subdistrict,
    "clusters": _clusters,
}


def clean_enterprise_data(
    data: Mapping[str, Any], *, partial: bool = False, references: ReferenceLookup | None = None
) -> dict[str, Any]:
    """Validate and normalise enterprise input; return model-ready values of the fields given.

    With partial=False, uscc, name and industry_code are required; in every mode they may not be blank.
    Any caller may use it (no permission is involved, nothing is written). Raises one ValidationFailed
    with `fields={name: [messages]}` listing every bad field, including unknown keys.
    """
    references = references or ReferenceLookup()
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for key in data:
        if key not in ENTERPRISE_FIELDS:
            errors[str(key)] = [str(MSG_UNKNOWN_FIELD)]
    for name in REQUIRED_FIELDS:
        if (name in data and _is_blank(data[name])) or (name not in data and not partial):
            errors[name] = [str(MSG_REQUIRED)]
    for name in ENTERPRISE_FIELDS:
        if name not in data or name in errors:
            continue
        try:
            if name in REFERENCE_CLEANERS:
                cleaned[name] = REFERENCE_CLEANERS[name](data[name], references)
            else:
                cleaned[name] = CLEANERS[name](data[name])
        except FieldError as error:
            errors[name] = [error.message]
    if errors:
        messages = [message for field_messages in errors.values() for message in field_messages]
        raise ValidationFailed(messages[0] if len(messages) == 1 else None, fields=errors)
    return cleaned
