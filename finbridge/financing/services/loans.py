"""Writes of the loans ledger: recording a loan and reporting its monthly status.

Rules (DESIGN.md §4, "Inclusive small and micro loans" and "Loan risk classification"):

- The lender is a bank office (head office, branch or sci-tech branch); `bank` is its head office (the
  lender itself when it has no parent). Only a member whose role grants financing.record_loan in the lender
  or in its head office records its loans (selectors.loans.recording_offices).
- Consent: the borrower must have a live consent (neither revoked nor expired) to the lender or its head
  office, OR the loan comes from a demand of the borrower that the lender or its head office took up.
- Maturity: when not given, the disbursal date plus `term_months` calendar months (dateutil relativedelta:
  31 January + 1 month is 28/29 February). A given maturity must fall after the disbursal date.
- First-time loan (首贷): when `is_first_time` is None it is derived: true when the platform holds no loan of
  the borrower disbursed before this one's disbursal date (a loan disbursed the same day does not count).
  Declaring a first-time loan for a borrower with an earlier loan on the platform, or a renewal as a
  first-time loan, is refused.
- Renewal without repaying principal first (无还本续贷) is a renewal: it sets `is_renewal`.
- Credit loan (信用贷款): no collateral and no guarantee. The bank declares it with `is_credit`; a loan made
  under a credit-loan product is a credit loan whatever is declared, and a loan under a product that asks
  for collateral or a guarantee cannot be declared one.
- Technology-enterprise loan: the borrower's registry record holds a technology label (high-tech,
  tech-based SME, SRDI, little giant) when the loan is recorded.
- Inclusive loan (普惠型小微企业贷款): the borrower's size class (snapshot in `borrower_size_class`) is micro
  or small AND its total credit is at most 10,000,000.00 CNY. Total credit (`borrower_total_credit`) is the
  sum of the balances, on the disbursal date, of the borrower's other loans on the platform at every bank
  (selectors.loans.balance_on) plus this loan's amount.
- The outstanding balance starts at the amount; the classification starts normal.
- A loan funding a demand stores the days from the demand's publication to the disbursal (it cannot be disbursed
  before the demand was published).
- Same bank and contract number twice: Conflict, nothing changed.

Monthly status: one report per loan per month. A second report for the same month is refused (Conflict
"loan_status_already_reported"): reports are a ledger and are never overwritten; a bank that made a mistake
asks the district authority to correct it. The balance is never negative nor above the amount, the month
is neither before the disbursal month nor after the current month. A report for the loan's latest month
(or later) becomes the loan's current balance, classification and `status_month`; a late report for an
earlier month is stored only (it may become the loan's `first_status_month`, the earliest month reported).

Every write is audited (loan_record, loan_status_report) in the same transaction, and marks the league table's
stored months it changes (finbridge.analytics.ledger.ledger_changed).
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.accounts.choices import OrgType
from finbridge.accounts.models import Organization
from finbridge.audit.services import log_event, snapshot
from finbridge.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from finbridge.core.money import AMOUNT_MAX, quantize_amount, quantize_rate, to_decimal
from finbridge.core.permissions import require_perm
from finbridge.enterprises.choices import SizeClass
from finbridge.enterprises.models import Enterprise
from finbridge.enterprises.selectors import active_consents
from finbridge.financing import permissions as perms
from finbridge.financing.choices import (
    Collateral,
    LoanClassification,
    LoanSource,
    ProductKind,
    ResponseKind,
)
from finbridge.financing.models import Demand, DemandResponse, Loan, LoanStatusReport, Product
from finbridge.financing.selectors.loans import (
    balance_on,
    can_record_for,
    first_of_month,
    loan_visible_queryset,
)

ACTION_RECORD = "loan_record"
ACTION_STATUS = "loan_status_report"

INCLUSIVE_SIZE_CLASSES = frozenset({SizeClass.MICRO, SizeClass.SMALL})
INCLUSIVE_CREDIT_LIMIT = Decimal("10000000.00")
MAX_TERM_MONTHS = 360
# Above 36% a year a loan contract's interest is not protected by Chinese courts: a typing mistake here.
MAX_ANNUAL_RATE = Decimal("0.36")
EARLIEST_DISBURSAL = datetime.date(2000, 1, 1)
REFERENCE_MAX_LENGTH = 64
# Products whose kind is a secured loan: a loan under them is never a credit loan.
SECURED_KINDS = frozenset(
    {
        ProductKind.GUARANTEED_LOAN,
        ProductKind.MORTGAGE,
        ProductKind.IP_PLEDGE,
        ProductKind.RECEIVABLES_PLEDGE,
        ProductKind.EQUIPMENT_LOAN,
    }
)
TRUE_WORDS = frozenset({"true", "yes", "y", "1", "是", "on"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "否", "off"})
_MONTH_PATTERN = re.compile(r"^(\d{4})[-/.年](\d{1,2})(?:[-/.月](\d{1,2})日?|月)?$")
_DATE_PATTERN = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")

MSG_REQUIRED = _("This field is required.")
MSG_NOT_A_BANK = _("Choose an active bank office as the lender.")
MSG_NOT_YOUR_OFFICE = _("You can record loans only for your own bank office or, at a head office, its branches.")
MSG_NO_BORROWER = _("Choose the borrowing enterprise.")
MSG_REFERENCE_LENGTH = _("Enter the loan contract number, at most %(limit)d characters.")
MSG_AMOUNT = _("Enter an amount in CNY, such as 1,250,000.00.")
MSG_AMOUNT_POSITIVE = _("The amount must be more than zero.")
MSG_AMOUNT_TOO_LARGE = _("%(value)s CNY is not plausible for one loan.")
MSG_TERM = _("Enter the term as a whole number of months from 1 to %(max)d.")
MSG_RATE = _("Enter the annual rate as a fraction from 0 to %(max)s, such as 0.0345 for 3.45%%.")
MSG_DATE = _("Enter a date as YYYY-MM-DD, such as 2026-03-31.")
MSG_FUTURE = _("%(date)s is in the future.")
MSG_TOO_EARLY = _("%(date)s is too early: dates before %(earliest)s are not accepted.")
MSG_MATURITY = _("The maturity date must come after the disbursal date.")
MSG_BOOLEAN = _("Enter yes or no (also accepted: true/false, 1/0, 是/否, Y/N).")
MSG_NOT_FIRST = _("The borrower already has a loan disbursed on %(date)s on the platform: this is not a first loan.")
MSG_RENEWAL_NOT_FIRST = _("A renewal cannot be a first-time loan.")
MSG_DEMAND_OTHER = _("This demand is not the borrower's.")
MSG_BEFORE_DEMAND = _("The loan cannot be disbursed before the demand it funds was published.")
MSG_PRODUCT_OTHER = _("This product is not one of this bank's products.")
MSG_CREDIT_SECURED = _("A loan under a product that asks for collateral or a guarantee is not a credit loan.")
MSG_CONSENT = _(
    "The borrower has not given your bank a consent that is in force, nor posted a demand your bank took up: "
    "the loan cannot be recorded."
)
MSG_DUPLICATE = _("A loan with the contract number %(reference)s is already recorded for %(bank)s.")
MSG_SOURCE = _("Unknown source.")
MSG_MONTH = _("Enter a month as YYYY-MM, such as 2026-03.")
MSG_MONTH_BEFORE = _("The loan was disbursed in %(disbursed)s: a status for %(month)s cannot be reported.")
MSG_MONTH_FUTURE = _("%(month)s has not begun yet.")
MSG_BALANCE = _("Enter the outstanding balance in CNY, such as 800,000.00.")
MSG_BALANCE_NEGATIVE = _("The outstanding balance cannot be negative.")
MSG_BALANCE_ABOVE = _("The outstanding balance cannot be more than the loan amount (%(amount)s CNY).")
MSG_CLASSIFICATION = _("Choose a classification: %(choices)s.")
MSG_ALREADY_REPORTED = _("The status of %(reference)s for %(month)s was already reported.")


class FieldError(ValueError):
    """One bad input value: the translated, formatted message."""

    def __init__(self, message: Any, **params: Any) -> None:
        self.message = str(message) % params if params else str(message)
        super().__init__(self.message)


# ---- cleaning raw input (shared by the services, the pages, the API and the import) ----------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def clean_reference(value: Any) -> str:
    """The loan contract number: text without surrounding or repeated spaces, 1 to 64 characters."""
    text = "" if _blank(value) else " ".join(unicodedata.normalize("NFKC", str(value)).split())
    if not text or len(text) > REFERENCE_MAX_LENGTH:
        raise FieldError(MSG_REFERENCE_LENGTH, limit=REFERENCE_MAX_LENGTH)
    return text


def clean_amount(value: Any, *, message: Any = MSG_AMOUNT) -> Decimal:
    """An amount in CNY yuan (Decimal, rounded to the fen, never through float)."""
    if _blank(value) or isinstance(value, bool):
        raise FieldError(message)
    try:
        amount = to_decimal(value)
    except ValueError:
        raise FieldError(message) from None
    if abs(amount) > AMOUNT_MAX:
        raise FieldError(MSG_AMOUNT_TOO_LARGE, value=f"{amount:,f}" if amount.adjusted() < 40 else str(amount))
    return quantize_amount(amount)


def clean_loan_amount(value: Any) -> Decimal:
    amount = clean_amount(value)
    if amount <= 0:
        raise FieldError(MSG_AMOUNT_POSITIVE)
    return amount


def clean_term(value: Any) -> int:
    """A term in whole months, 1 to MAX_TERM_MONTHS."""
    if _blank(value) or isinstance(value, bool):
        raise FieldError(MSG_TERM, max=MAX_TERM_MONTHS)
    try:
        number = to_decimal(value)
    except ValueError:
        raise FieldError(MSG_TERM, max=MAX_TERM_MONTHS) from None
    if number != number.to_integral_value() or not 1 <= number <= MAX_TERM_MONTHS:
        raise FieldError(MSG_TERM, max=MAX_TERM_MONTHS)
    return int(number)


def clean_rate(value: Any) -> Decimal:
    """An annual rate as a fraction (0.0345 is 3.45%), 0 to MAX_ANNUAL_RATE, six places."""
    if _blank(value) or isinstance(value, bool):
        raise FieldError(MSG_RATE, max=MAX_ANNUAL_RATE)
    try:
        rate = to_decimal(value)
    except ValueError:
        raise FieldError(MSG_RATE, max=MAX_ANNUAL_RATE) from None
    if not 0 <= rate <= MAX_ANNUAL_RATE:
        raise FieldError(MSG_RATE, max=MAX_ANNUAL_RATE)
    return quantize_rate(rate)


def parse_day(value: Any) -> datetime.date:
    """A date from a date, a datetime or text such as 2026-03-31, 2026/3/31 or 2026年3月31日."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if _blank(value):
        raise FieldError(MSG_DATE)
    match = _DATE_PATTERN.match("".join(unicodedata.normalize("NFKC", str(value)).split()))
    if not match:
        raise FieldError(MSG_DATE)
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        raise FieldError(MSG_DATE) from None


def clean_disbursal_date(value: Any) -> datetime.date:
    day = parse_day(value)
    if day > timezone.localdate():
        raise FieldError(MSG_FUTURE, date=day.isoformat())
    if day < EARLIEST_DISBURSAL:
        raise FieldError(MSG_TOO_EARLY, date=day.isoformat(), earliest=EARLIEST_DISBURSAL.isoformat())
    return day


def clean_month(value: Any) -> datetime.date:
    """The first day of a month from a date or text such as 2026-03, 2026/3, 2026年3月 or 2026-03-31."""
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return first_of_month(value)
    if _blank(value):
        raise FieldError(MSG_MONTH)
    match = _MONTH_PATTERN.match("".join(unicodedata.normalize("NFKC", str(value)).split()))
    if not match:
        raise FieldError(MSG_MONTH)
    year, month, day = match.groups()
    try:
        datetime.date(int(year), int(month), int(day or 1))
        return datetime.date(int(year), int(month), 1)
    except ValueError:
        raise FieldError(MSG_MONTH) from None


def clean_boolean(value: Any) -> bool:
    """Yes or no; a blank is no."""
    if _blank(value):
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | Decimal) and value in (0, 1):
        return bool(value)
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise FieldError(MSG_BOOLEAN)


def clean_optional_boolean(value: Any) -> bool | None:
    """Yes, no, or None for a blank (derive it)."""
    return None if _blank(value) else clean_boolean(value)


def clean_classification(value: Any) -> str:
    """A LoanClassification value, also from its English or Chinese label."""
    choices = ", ".join(LoanClassification.values)
    if _blank(value):
        raise FieldError(MSG_CLASSIFICATION, choices=choices)
    text = " ".join(str(value).split()).lower().replace(" ", "_")
    if text in LoanClassification.values:
        return text
    for member in LoanClassification:
        if text in {CLASSIFICATION_ZH[member], str(member.label).lower().replace(" ", "_")}:
            return member.value
    raise FieldError(MSG_CLASSIFICATION, choices=choices)


# The five categories as Chinese banks write them (《商业银行金融资产风险分类办法》).
CLASSIFICATION_ZH = {
    LoanClassification.NORMAL: "正常",
    LoanClassification.SPECIAL_MENTION: "关注",
    LoanClassification.SUBSTANDARD: "次级",
    LoanClassification.DOUBTFUL: "可疑",
    LoanClassification.LOSS: "损失",
}


class _Errors:
    """Field errors collected while cleaning, raised together as one ValidationFailed."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def clean(self, name: str, cleaner: Any, value: Any) -> Any:
        try:
            return cleaner(value)
        except FieldError as error:
            self.add(name, error.message)
            return None

    def add(self, name: str, message: Any) -> None:
        self.fields.setdefault(name, []).append(str(message))

    def raise_if_any(self) -> None:
        if self.fields:
            first = next(iter(self.fields.values()))[0]
            raise ValidationFailed(first, fields=self.fields)


# ---- derived figures ----------------------------------------------------------------------------------------


def maturity_from_term(disbursed_on: datetime.date, term_months: int) -> datetime.date:
    """The disbursal date plus `term_months` calendar months (clamped to the month's last day)."""
    return disbursed_on + relativedelta(months=term_months)


def is_inclusive(*, size_class: str, total_credit: Decimal) -> bool:
    """Inclusive small and micro loan: micro or small borrower with total credit at most 10 million CNY."""
    return size_class in INCLUSIVE_SIZE_CLASSES and total_credit <= INCLUSIVE_CREDIT_LIMIT


def borrower_outstanding_on(borrower: Enterprise, day: datetime.date, *, exclude_pk: int | None = None) -> Decimal:
    """The sum of the balances on `day` of the borrower's loans on the platform, at every bank."""
    loans = Loan.objects.filter(borrower=borrower, disbursed_on__lte=day)
    if exclude_pk is not None:
        loans = loans.exclude(pk=exclude_pk)
    total = loans.annotate(balance_then=balance_on(day)).aggregate(total=Sum("balance_then"))["total"]
    return quantize_amount(total or 0)


def _bank_of(lender: Organization) -> Organization:
    return lender.parent if lender.parent_id else lender


def _has_consent(borrower: Enterprise, office_ids: set[int]) -> bool:
    return active_consents(grantee_ids=office_ids).filter(enterprise=borrower).exists()


def _took_up(demand: Demand | None, office_ids: set[int]) -> bool:
    if demand is None:
        return False
    return DemandResponse.objects.filter(
        demand=demand, institution_id__in=office_ids, kind=ResponseKind.TAKE_UP
    ).exists()


def _secured_product(product: Product) -> bool:
    collateral = [c for c in (product.collateral_required or []) if c != Collateral.NONE]
    return product.kind in SECURED_KINDS or product.guarantee_required or bool(collateral)


@dataclass(frozen=True)
class _LoanInput:
    reference: str
    amount: Decimal
    disbursed_on: datetime.date
    term_months: int
    annual_rate: Decimal
    maturity_on: datetime.date
    is_first_time: bool | None
    is_renewal: bool
    is_renewal_without_repayment: bool
    is_credit: bool


def _clean_loan_input(
    *,
    lender: Any,
    borrower: Any,
    reference: Any,
    amount: Any,
    disbursed_on: Any,
    term_months: Any,
    annual_rate: Any,
    maturity_on: Any,
    is_first_time: Any,
    is_renewal: Any,
    is_renewal_without_repayment: Any,
    is_credit: Any,
    demand: Any,
    product: Any,
    source: Any,
) -> _LoanInput:
    errors = _Errors()
    if not isinstance(lender, Organization) or lender.org_type != OrgType.BANK or not lender.is_active:
        errors.add("lender", MSG_NOT_A_BANK)
    if not isinstance(borrower, Enterprise) or borrower.pk is None:
        errors.add("borrower", MSG_NO_BORROWER)
    cleaned_reference = errors.clean("reference", clean_reference, reference)
    cleaned_amount = errors.clean("amount", clean_loan_amount, amount)
    day = errors.clean("disbursed_on", clean_disbursal_date, disbursed_on)
    term = errors.clean("term_months", clean_term, term_months)
    rate = errors.clean("annual_rate", clean_rate, annual_rate)
    first = errors.clean("is_first_time", clean_optional_boolean, is_first_time)
    renewal = errors.clean("is_renewal", clean_boolean, is_renewal)
    without_repayment = errors.clean("is_renewal_without_repayment", clean_boolean, is_renewal_without_repayment)
    credit = errors.clean("is_credit", clean_boolean, is_credit)
    maturity = None
    if _blank(maturity_on):
        if day is not None and term is not None:
            maturity = maturity_from_term(day, term)
    else:
        maturity = errors.clean("maturity_on", parse_day, maturity_on)
        if maturity is not None and day is not None and maturity <= day:
            errors.add("maturity_on", MSG_MATURITY)
    renewal = bool(renewal or without_repayment)
    if renewal and first:
        errors.add("is_first_time", MSG_RENEWAL_NOT_FIRST)
    if demand is not None and (not isinstance(demand, Demand) or demand.enterprise_id != getattr(borrower, "pk", None)):
        errors.add("demand", MSG_DEMAND_OTHER)
    elif (
        demand is not None
        and day is not None
        and demand.published_at is not None
        and timezone.localdate(demand.published_at) > day
    ):
        errors.add("disbursed_on", MSG_BEFORE_DEMAND)
    if product is not None and isinstance(lender, Organization):
        if not isinstance(product, Product) or _bank_of(product.provider).pk != _bank_of(lender).pk:
            errors.add("product", MSG_PRODUCT_OTHER)
        elif credit and _secured_product(product):
            errors.add("is_credit", MSG_CREDIT_SECURED)
        elif product.kind == ProductKind.CREDIT_LOAN:
            credit = True
    if source not in LoanSource.values:
        errors.add("source", MSG_SOURCE)
    errors.raise_if_any()
    return _LoanInput(
        reference=cleaned_reference,
        amount=cleaned_amount,
        disbursed_on=day,
        term_months=term,
        annual_rate=rate,
        maturity_on=maturity,
        is_first_time=first,
        is_renewal=renewal,
        is_renewal_without_repayment=bool(without_repayment),
        is_credit=bool(credit),
    )


# ---- recording a loan ------------------------------------------------------------------------------------------


def loan_record(
    *,
    actor: Any,
    lender: Organization,
    borrower: Enterprise,
    reference: str,
    amount: Any,
    disbursed_on: Any,
    term_months: int,
    annual_rate: Any,
    maturity_on: Any = None,
    is_first_time: bool | None = None,
    is_renewal: bool = False,
    is_renewal_without_repayment: bool = False,
    is_credit: bool = False,
    demand: Demand | None = None,
    product: Product | None = None,
    source: str = LoanSource.REPORTED,
) -> Loan:
    """Record one loan of the bank office `lender` to `borrower`, deriving bank, maturity, first-time,
    technology, size-class, total-credit and inclusive figures (module docstring).

    Values may be typed (Decimal, date, int, bool) or raw text as typed on a page or in a spreadsheet.
    Who: a member whose role grants financing.record_loan in the lender or its head office. May run inside
    the caller's transaction (the demand disbursement). Raises PermissionDenied (no record_loan, or not the
    actor's office), ValidationFailed (bad values, no consent, with `fields`), Conflict (code
    "loan_duplicate_reference": the bank already has a loan with this contract number). Nothing is written
    when it raises.
    """
    require_perm(actor, perms.RECORD_LOAN)
    cleaned = _clean_loan_input(
        lender=lender,
        borrower=borrower,
        reference=reference,
        amount=amount,
        disbursed_on=disbursed_on,
        term_months=term_months,
        annual_rate=annual_rate,
        maturity_on=maturity_on,
        is_first_time=is_first_time,
        is_renewal=is_renewal,
        is_renewal_without_repayment=is_renewal_without_repayment,
        is_credit=is_credit,
        demand=demand,
        product=product,
        source=source,
    )
    if not can_record_for(actor=actor, lender=lender):
        raise PermissionDenied(MSG_NOT_YOUR_OFFICE, code="not_your_office")
    bank = _bank_of(lender)
    offices = {lender.pk, bank.pk}
    if not (_has_consent(borrower, offices) or _took_up(demand, offices)):
        raise ValidationFailed(MSG_CONSENT, code="consent_required", fields={"borrower": [str(MSG_CONSENT)]})
    with transaction.atomic():
        # One loan of a borrower at a time: first-time and total credit read the borrower's other loans.
        locked = Enterprise.objects.select_for_update().filter(pk=borrower.pk).first()
        if locked is None:
            raise ValidationFailed(MSG_NO_BORROWER, fields={"borrower": [str(MSG_NO_BORROWER)]})
        _refuse_duplicate(bank, cleaned.reference)
        first_time = _first_time(locked, cleaned)
        total_credit = borrower_outstanding_on(locked, cleaned.disbursed_on) + cleaned.amount
        size_class = locked.size_class or ""
        loan = Loan(
            lender=lender,
            bank=bank,
            borrower=locked,
            demand=demand,
            product=product,
            reference=cleaned.reference,
            amount=cleaned.amount,
            disbursed_on=cleaned.disbursed_on,
            maturity_on=cleaned.maturity_on,
            term_months=cleaned.term_months,
            annual_rate=cleaned.annual_rate,
            is_first_time=first_time,
            is_renewal=cleaned.is_renewal,
            is_renewal_without_repayment=cleaned.is_renewal_without_repayment,
            is_credit=cleaned.is_credit,
            is_tech_enterprise=bool(locked.tech_labels),
            is_inclusive=is_inclusive(size_class=size_class, total_credit=total_credit),
            borrower_size_class=size_class,
            borrower_total_credit=total_credit,
            days_from_demand=_days_from_demand(demand, cleaned.disbursed_on),
            outstanding_balance=cleaned.amount,
            classification=LoanClassification.NORMAL,
            source=source,
            recorded_by=actor,
        )
        try:
            with transaction.atomic():
                loan.save()
        except IntegrityError:
            raise _duplicate(bank, cleaned.reference) from None
        log_event(actor=actor, action=ACTION_RECORD, obj=loan, before=None, after=snapshot(loan))
        _ledger_changed(
            disbursed_on=loan.disbursed_on, balances_from=loan.disbursed_on, balances_until=loan.maturity_on
        )
    return loan


def _days_from_demand(demand: Demand | None, disbursed_on: datetime.date) -> int | None:
    """Days from the demand's publication (local date) to the disbursal, for the league table's time to money."""
    if demand is None or demand.published_at is None:
        return None
    return (disbursed_on - timezone.localdate(demand.published_at)).days


def _ledger_changed(**changes: Any) -> None:
    """Tell the league table's stored months what this write changed (finbridge.analytics.ledger)."""
    from finbridge.analytics.ledger import ledger_changed

    ledger_changed(**changes)


def _duplicate(bank: Organization, reference: str) -> Conflict:
    message = str(MSG_DUPLICATE) % {"reference": reference, "bank": bank.display_name}
    return Conflict(message, code="loan_duplicate_reference", fields={"reference": [message]})


def _refuse_duplicate(bank: Organization, reference: str) -> None:
    if Loan.objects.filter(bank=bank, reference=reference).exists():
        raise _duplicate(bank, reference)


def _first_time(borrower: Enterprise, cleaned: _LoanInput) -> bool:
    """The first-time flag: derived when not given; a declared first loan must really be the first."""
    earlier = (
        Loan.objects.filter(borrower=borrower, disbursed_on__lt=cleaned.disbursed_on)
        .order_by("disbursed_on")
        .values_list("disbursed_on", flat=True)
        .first()
    )
    if cleaned.is_first_time is None:
        return earlier is None and not cleaned.is_renewal
    if cleaned.is_first_time and earlier is not None:
        message = str(MSG_NOT_FIRST) % {"date": earlier.isoformat()}
        raise ValidationFailed(message, code="not_first_loan", fields={"is_first_time": [message]})
    return cleaned.is_first_time


# ---- monthly status ---------------------------------------------------------------------------------------------


def loan_status_report(
    *, actor: Any, loan: Loan, month: Any, outstanding_balance: Any, classification: Any
) -> LoanStatusReport:
    """Report a loan's outstanding balance and five-category classification for one month.

    `month` is a date (its month is taken) or text such as 2026-03. The report becomes the loan's current
    status when its month is the loan's latest. Who: a member whose role grants financing.record_loan in
    the lender or its head office. Raises NotFound (loan not visible to the actor), PermissionDenied,
    ValidationFailed (month before the disbursal month or not begun, balance negative or above the amount,
    unknown classification), Conflict (code "loan_status_already_reported": that month is already
    reported). Nothing is written when it raises.
    """
    require_perm(actor, perms.RECORD_LOAN)
    if loan is None or not loan_visible_queryset(actor=actor).filter(pk=loan.pk).exists():
        raise NotFound()
    if not can_record_for(actor=actor, lender=loan.lender):
        raise PermissionDenied(MSG_NOT_YOUR_OFFICE, code="not_your_office")
    errors = _Errors()
    cleaned_month = errors.clean("month", clean_month, month)
    balance = errors.clean("outstanding_balance", lambda v: clean_amount(v, message=MSG_BALANCE), outstanding_balance)
    cleaned_classification = errors.clean("classification", clean_classification, classification)
    errors.raise_if_any()
    with transaction.atomic():
        locked = Loan.objects.select_for_update().get(pk=loan.pk)
        _check_month(errors, locked, cleaned_month)
        if balance < 0:
            errors.add("outstanding_balance", MSG_BALANCE_NEGATIVE)
        elif balance > locked.amount:
            errors.add("outstanding_balance", str(MSG_BALANCE_ABOVE) % {"amount": f"{locked.amount:,.2f}"})
        errors.raise_if_any()
        if LoanStatusReport.objects.filter(loan=locked, month=cleaned_month).exists():
            raise _already_reported(locked, cleaned_month)
        report = LoanStatusReport(
            loan=locked,
            month=cleaned_month,
            outstanding_balance=balance,
            classification=cleaned_classification,
            reported_by=actor,
        )
        try:
            with transaction.atomic():
                report.save()
        except IntegrityError:
            raise _already_reported(locked, cleaned_month) from None
        log_event(actor=actor, action=ACTION_STATUS, obj=report, before=None, after=snapshot(report))
        before = _status_of(locked)
        if locked.status_month is None or cleaned_month >= locked.status_month:
            locked.outstanding_balance = balance
            locked.classification = cleaned_classification
            locked.status_month = cleaned_month
        if locked.first_status_month is None or cleaned_month < locked.first_status_month:
            locked.first_status_month = cleaned_month
        _ledger_changed(balances_from=cleaned_month)
        after = _status_of(locked)
        if after != before:
            locked.save(update_fields=list(STATUS_FIELDS))
            log_event(actor=actor, action=ACTION_STATUS, obj=locked, before=before, after=after)
    loan.outstanding_balance = locked.outstanding_balance
    loan.classification = locked.classification
    loan.status_month = locked.status_month
    loan.first_status_month = locked.first_status_month
    return report


STATUS_FIELDS = ("outstanding_balance", "classification", "status_month", "first_status_month")


def _status_of(loan: Loan) -> dict[str, Any]:
    return snapshot(loan, fields=list(STATUS_FIELDS))


def _check_month(errors: _Errors, loan: Loan, month: datetime.date) -> None:
    disbursal_month = first_of_month(loan.disbursed_on)
    if month < disbursal_month:
        errors.add(
            "month", str(MSG_MONTH_BEFORE) % {"disbursed": f"{disbursal_month:%Y-%m}", "month": f"{month:%Y-%m}"}
        )
    elif month > first_of_month(timezone.localdate()):
        errors.add("month", str(MSG_MONTH_FUTURE) % {"month": f"{month:%Y-%m}"})


def _already_reported(loan: Loan, month: datetime.date) -> Conflict:
    message = str(MSG_ALREADY_REPORTED) % {"reference": loan.reference, "month": f"{month:%Y-%m}"}
    return Conflict(message, code="loan_status_already_reported", fields={"month": [message]})


def classification_label(value: str) -> str:
    """The classification in words, in the active language."""
    try:
        return str(LoanClassification(value).label)
    except ValueError:
        return value


__all__ = [
    "ACTION_RECORD",
    "ACTION_STATUS",
    "CLASSIFICATION_ZH",
    "INCLUSIVE_CREDIT_LIMIT",
    "FieldError",
    "borrower_outstanding_on",
    "classification_label",
    "clean_amount",
    "clean_boolean",
    "clean_classification",
    "clean_disbursal_date",
    "clean_loan_amount",
    "clean_month",
    "clean_optional_boolean",
    "clean_rate",
    "clean_reference",
    "clean_term",
    "is_inclusive",
    "loan_record",
    "loan_status_report",
    "maturity_from_term",
    "parse_day",
]
