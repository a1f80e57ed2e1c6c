"""The sharing engine: how a loss on a covered loan is split between the pool, the bank and the others.

Pure functions over plain facts (no database access). A rule set is data (`RuleSet`, stored as JSON by a
rule version, see `RuleSet.to_dict()` / `rule_set_from_dict()`); services read the loan, the claim and what
has been paid so far, call `compute_payout()` and store the `PayoutBreakdown` it returns (`as_dict()`), and
pages call `render_steps()` to show the arithmetic in the reader's language.

The arithmetic of `compute_payout(rules, loan, loss, paid)`:
  1. loss counted   lost principal, plus lost interest when the loan's category covers interest
  2. shares         the category's shares of pool, bank, guarantor, re-guarantor and insurer (they sum to 1);
                    each uplift whose flag the loan carries adds its percentage points to the pool's share
                    and takes them from the bank's share (their total limited to `uplift_max_points`)
  3. pool's share   pool share × loss counted, rounded half up to the fen
  4. caps           the payout is the least of the pool's share and every cap left:
                    principal   principal_cap_share × lost principal
                    loan        per_loan_cap − earlier payouts on the loan
                    bank_year   per_bank_year_cap − payouts to the bank in the year
                    pool        pool_cap − every payout of the pool
                    cap_rate    bank's covered portfolio × cap_guarantee_rate × cap_rate − payouts to the bank
                                (the EU COSME form: losses are shared pari passu until the cap is used up)
  5. who bears what the rest of the loss is split between the other parties by their shares (largest
                    remainder to the fen); what a cap keeps the pool from paying stays with the bank.
                    The amounts are never negative and sum exactly to the loss counted.

`share_recovery(breakdown, recovered, returned=...)` shares money recovered after a payout back in the
proportions the parties bore the loss; the pool's part is at most what it paid less what it already had back.

Caps count payouts granted (approved amounts, whether already paid out or still owed by the pool); the
pool's balance is not a cap: what the pool cannot pay now is owed (services/claims.py).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.db import models
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from finbridge.core.errors import ValidationFailed
from finbridge.core.money import CENT, quantize_amount, to_decimal

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
SHARE_PLACES = Decimal("0.000001")
POINT_PLACES = Decimal("0.0001")


# ---- vocabulary ---------------------------------------------------------------------------------------


class Category(models.TextChoices):
    """Loan categories a rule set distinguishes."""

    DIRECT = "direct", _("Direct bank loan")
    GUARANTEED = "guaranteed", _("Guaranteed loan")
    INSURED = "insured", _("Insured loan")


class Party(models.TextChoices):
    """Who bears a share of a loss. The bank is the claimant: it keeps whatever no one else bears."""

    POOL = "pool", _("Pool")
    BANK = "bank", _("Bank")
    GUARANTOR = "guarantor", _("Guarantee agency")
    REGUARANTOR = "reguarantor", _("Re-guarantor")
    INSURER = "insurer", _("Insurer")


class Flag(models.TextChoices):
    """Loan features a rule set may reward with an uplift of the pool's share."""

    FIRST_TIME = "first_time", _("First-time loan")
    CREDIT = "credit", _("Credit loan")
    IP_PLEDGE = "ip_pledge", _("IP-pledge loan")
    TECH_ENTERPRISE = "tech_enterprise", _("Technology-enterprise loan")
    GREEN = "green", _("Green loan")
    RECEIVABLES_PLEDGE = "receivables_pledge", _("Receivables or inventory pledge loan")


class Cap(models.TextChoices):
    """The caps that can bound a payout."""

    PRINCIPAL = "principal", _("share of the lost principal")
    LOAN = "loan", _("cap per loan")
    BANK_YEAR = "bank_year", _("cap per bank and year")
    POOL = "pool", _("cap of the whole pool")
    CAP_RATE = "cap_rate", _("portfolio cap rate")


PARTIES: tuple[str, ...] = tuple(Party.values)
OTHER_PARTIES: tuple[str, ...] = tuple(p for p in PARTIES if p != Party.POOL)  # the bank first: it takes ties


# ---- rules --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryRule:
    """How losses on loans of one category are shared. Shares are fractions (6 places) summing to 1;
    uplifts are percentage points (`Decimal("5")` = +5 points) keyed by `Flag` value."""

    category: str
    pool_share: Decimal
    bank_share: Decimal
    guarantor_share: Decimal = ZERO
    reguarantor_share: Decimal = ZERO
    insurer_share: Decimal = ZERO
    uplifts: tuple[tuple[str, Decimal], ...] = ()
    uplift_max_points: Decimal | None = None  # None: uplifts add up without limit
    principal_cap_share: Decimal | None = None  # the payout is at most this share of the lost principal
    per_loan_cap: Decimal | None = None  # CNY, over every payout on one loan
    covers_interest: bool = False  # lost interest counts towards the loss

    def shares(self) -> dict[str, Decimal]:
        """The base shares by party, before uplifts."""
        return {
            Party.POOL.value: self.pool_share,
            Party.BANK.value: self.bank_share,
            Party.GUARANTOR.value: self.guarantor_share,
            Party.REGUARANTOR.value: self.reguarantor_share,
            Party.INSURER.value: self.insurer_share,
        }

    def max_uplift_points(self) -> Decimal:
        """The most percentage points uplifts can add to the pool's share (every flag at once)."""
        total = sum((points for _flag, points in self.uplifts), ZERO)
        return total if self.uplift_max_points is None else min(total, self.uplift_max_points)


@dataclass(frozen=True)
class RuleSet:
    """A complete sharing rule: one `CategoryRule` per covered loan category, and the caps across loans."""

    categories: tuple[CategoryRule, ...]
    per_bank_year_cap: Decimal | None = None  # CNY paid to one bank in a calendar year
    pool_cap: Decimal | None = None  # CNY paid by the pool over its life
    cap_rate: Decimal | None = None  # EU form: cap = bank's portfolio × cap_guarantee_rate × cap_rate
    cap_guarantee_rate: Decimal | None = None
    min_bank_share: Decimal = ZERO  # the bank bears at least this share, whatever the uplifts ("2:8": 0.2)

    def category(self, code: str) -> CategoryRule:
        """The rule of loan category `code`; raises ValidationFailed when the rule set does not cover it."""
        for rule in self.categories:
            if rule.category == code:
                return rule
        raise ValidationFailed(
            _("The sharing rule does not cover %(category)s loans."),
            code="category_not_covered",
            params={"category": category_label(code)},
        )

    def covers(self, code: str) -> bool:
        return any(rule.category == code for rule in self.categories)

    def to_dict(self) -> dict[str, Any]:
        """The rule set as JSON-ready data (decimals as strings), as a rule version stores it."""
        return {
            "categories": [_category_to_dict(rule) for rule in self.categories],
            "per_bank_year_cap": _text(self.per_bank_year_cap),
            "pool_cap": _text(self.pool_cap),
            "cap_rate": _text(self.cap_rate),
            "cap_guarantee_rate": _text(self.cap_guarantee_rate),
            "min_bank_share": _text(self.min_bank_share),
        }


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _category_to_dict(rule: CategoryRule) -> dict[str, Any]:
    return {
        "category": str(rule.category),
        "shares": {party: str(share) for party, share in rule.shares().items()},
        "uplifts": {str(flag): str(points) for flag, points in rule.uplifts},
        "uplift_max_points": _text(rule.uplift_max_points),
        "principal_cap_share": _text(rule.principal_cap_share),
        "per_loan_cap": _text(rule.per_loan_cap),
        "covers_interest": rule.covers_interest,
    }


# ---- reading and checking rule sets ---------------------------------------------------------------------


class _Reader:
    """Collects field errors while reading JSON data into a RuleSet."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, name: str, message: Any, **params: Any) -> None:
        self.errors.setdefault(name, []).append(str(message) % params if params else str(message))

    def decimal(self, data: Mapping[str, Any], key: str, name: str, *, optional: bool = False) -> Decimal | None:
        value = data.get(key)
        if value is None or value == "":
            if not optional:
                self.add(name, _("This value is required."))
            return None
        if isinstance(value, bool):
            self.add(name, _("Enter a number."))
            return None
        try:
            return to_decimal(value)
        except ValueError:
            self.add(name, _("Enter a number."))
            return None


def rule_set_from_dict(data: Any) -> RuleSet:
    """Read a rule set from JSON data (as `RuleSet.to_dict()` writes it) and check it (`rule_set_errors`).

    Raises ValidationFailed with a message per field ("categories.0.shares", "cap_rate", ...) when the data
    is malformed or the rule set is not valid; nothing else."""
    reader = _Reader()
    if not isinstance(data, Mapping):
        raise ValidationFailed(_("A sharing rule must be an object."), code="rule_invalid")
    raw_categories = data.get("categories")
    if not isinstance(raw_categories, list):
        reader.add("categories", _("List the loan categories the rule covers."))
        raw_categories = []
    categories = []
    for index, raw in enumerate(raw_categories):
        rule = _category_from_dict(reader, raw, f"categories.{index}")
        if rule is not None:
            categories.append(rule)
    rules = RuleSet(
        categories=tuple(categories),
        per_bank_year_cap=reader.decimal(data, "per_bank_year_cap", "per_bank_year_cap", optional=True),
        pool_cap=reader.decimal(data, "pool_cap", "pool_cap", optional=True),
        cap_rate=reader.decimal(data, "cap_rate", "cap_rate", optional=True),
        cap_guarantee_rate=reader.decimal(data, "cap_guarantee_rate", "cap_guarantee_rate", optional=True),
        min_bank_share=reader.decimal(data, "min_bank_share", "min_bank_share", optional=True) or ZERO,
    )
    if reader.errors:
        raise ValidationFailed(next(iter(reader.errors.values()))[0], code="rule_invalid", fields=reader.errors)
    validate_rule_set(rules)
    return rules


def _category_from_dict(reader: _Reader, raw: Any, name: str) -> CategoryRule | None:
    if not isinstance(raw, Mapping):
        reader.add(name, _("Each loan category must be an object."))
        return None
    shares = raw.get("shares")
    if not isinstance(shares, Mapping):
        reader.add(f"{name}.shares", _("Give the share of each party."))
        shares = {}
    for party in shares:
        if party not in PARTIES:
            reader.add(f"{name}.shares", _("Unknown party: %(party)s."), party=party)
    values = {
        party: reader.decimal(shares, party, f"{name}.shares.{party}", optional=True) or ZERO for party in PARTIES
    }
    uplifts_raw = raw.get("uplifts") or {}
    uplifts: list[tuple[str, Decimal]] = []
    if not isinstance(uplifts_raw, Mapping):
        reader.add(f"{name}.uplifts", _("Give the uplifts as points per loan feature."))
        uplifts_raw = {}
    for flag in uplifts_raw:
        points = reader.decimal(uplifts_raw, flag, f"{name}.uplifts.{flag}")
        if points is not None:
            uplifts.append((str(flag), points))
    covers_interest = raw.get("covers_interest", False)
    if not isinstance(covers_interest, bool):
        reader.add(f"{name}.covers_interest", _("Answer yes or no."))
        covers_interest = False
    return CategoryRule(
        category=str(raw.get("category", "")),
        pool_share=values[Party.POOL],
        bank_share=values[Party.BANK],
        guarantor_share=values[Party.GUARANTOR],
        reguarantor_share=values[Party.REGUARANTOR],
        insurer_share=values[Party.INSURER],
        uplifts=tuple(uplifts),
        uplift_max_points=reader.decimal(raw, "uplift_max_points", f"{name}.uplift_max_points", optional=True),
        principal_cap_share=reader.decimal(raw, "principal_cap_share", f"{name}.principal_cap_share", optional=True),
        per_loan_cap=reader.decimal(raw, "per_loan_cap", f"{name}.per_loan_cap", optional=True),
        covers_interest=covers_interest,
    )


def rule_set_errors(rules: RuleSet) -> dict[str, list[str]]:
    """Everything wrong with a rule set, as translated messages per field (empty when it is valid).

    Checks: at least one category, each known and listed once; shares between 0 and 1 with at most six
    decimals that add up to exactly 100%; uplifts for known loan features, 0 to 100 points; the bank's share
    after every uplift at least `min_bank_share`; caps positive; cap shares and rates above 0 and at most 1;
    a cap rate comes with its guarantee rate."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: Any, **params: Any) -> None:
        errors.setdefault(name, []).append(str(message) % params if params else str(message))

    if not rules.categories:
        add("categories", _("The rule must cover at least one loan category."))
    seen: set[str] = set()
    for index, rule in enumerate(rules.categories):
        name = f"categories.{index}"
        if rule.category not in Category.values:
            add(f"{name}.category", _("Unknown loan category: %(category)s."), category=rule.category or "—")
        elif rule.category in seen:
            add(f"{name}.category", _("%(category)s loans are listed twice."), category=category_label(rule.category))
        seen.add(rule.category)
        _check_category(rule, rules.min_bank_share, name, add)
    _check_share(rules.min_bank_share, "min_bank_share", add, allow_zero=True)
    for key in ("per_bank_year_cap", "pool_cap"):
        _check_amount(getattr(rules, key), key, add)
    if rules.cap_rate is not None:
        _check_share(rules.cap_rate, "cap_rate", add)
        if rules.cap_guarantee_rate is None:
            add("cap_guarantee_rate", _("A cap rate needs the guarantee rate it applies to."))
    if rules.cap_guarantee_rate is not None:
        _check_share(rules.cap_guarantee_rate, "cap_guarantee_rate", add)
    return errors


def _check_category(rule: CategoryRule, min_bank_share: Decimal, name: str, add: Any) -> None:
    shares = rule.shares()
    shares_ok = True
    for party, share in shares.items():
        if share < 0 or share > 1 or share != share.quantize(SHARE_PLACES):
            add(f"{name}.shares.{party}", _("A share is a fraction between 0 and 1 with at most six decimals."))
            shares_ok = False
    total = sum(shares.values(), ZERO)
    if shares_ok and total != ONE:
        add(f"{name}.shares", _("The shares add up to %(total)s, not 100%%."), total=format_share(total))
    flags = [flag for flag, _points in rule.uplifts]
    if len(set(flags)) != len(flags):
        add(f"{name}.uplifts", _("Each loan feature may have one uplift only."))
    for flag, points in rule.uplifts:
        if flag not in Flag.values:
            add(f"{name}.uplifts", _("Unknown loan feature: %(flag)s."), flag=flag)
        if points < 0 or points > HUNDRED or points != points.quantize(POINT_PLACES):
            add(f"{name}.uplifts.{flag}", _("An uplift is 0 to 100 percentage points, with at most four decimals."))
    if rule.uplift_max_points is not None and (rule.uplift_max_points < 0 or rule.uplift_max_points > HUNDRED):
        add(f"{name}.uplift_max_points", _("The limit on uplifts is 0 to 100 percentage points."))
    if shares_ok and min_bank_share >= 0:
        lowest_bank = rule.bank_share - rule.max_uplift_points() / HUNDRED
        if lowest_bank < min_bank_share:
            add(
                f"{name}.uplifts",
                _("With every uplift the bank's share falls to %(share)s, below the %(minimum)s it must bear."),
                share=format_share(lowest_bank),
                minimum=format_share(min_bank_share),
            )
    if rule.principal_cap_share is not None:
        _check_share(rule.principal_cap_share, f"{name}.principal_cap_share", add)
    _check_amount(rule.per_loan_cap, f"{name}.per_loan_cap", add)


def _check_share(value: Decimal, name: str, add: Any, *, allow_zero: bool = False) -> None:
    low_ok = value >= 0 if allow_zero else value > 0
    if not low_ok or value > 1 or value != value.quantize(SHARE_PLACES):
        add(name, _("Enter a fraction above 0 and at most 1, with at most six decimals."))


def _check_amount(value: Decimal | None, name: str, add: Any) -> None:
    if value is not None and (value <= 0 or value != value.quantize(CENT)):
        add(name, _("Enter an amount above zero, to the fen."))


def validate_rule_set(rules: RuleSet) -> None:
    """Raise ValidationFailed (code "rule_invalid", messages per field) unless the rule set is valid."""
    errors = rule_set_errors(rules)
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], code="rule_invalid", fields=errors)


# ---- facts --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoanFacts:
    """What the engine needs of a loan: its category and the features that earn uplifts (`Flag` values)."""

    category: str
    flags: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Loss:
    """A default's loss in CNY: principal and interest not repaid."""

    principal: Decimal
    interest: Decimal = ZERO


@dataclass(frozen=True)
class PaidContext:
    """Payouts granted before this one (approved, whether paid out or owed), for the caps across loans."""

    on_loan: Decimal = ZERO  # on this loan (per-loan cap)
    to_bank_in_year: Decimal = ZERO  # to this bank in the year of this payout (per-bank-per-year cap)
    year: int | None = None  # that year, for the arithmetic shown
    by_pool: Decimal = ZERO  # by the pool over its life (pool-wide cap)
    to_bank: Decimal = ZERO  # to this bank over the pool's life (cap rate)
    bank_portfolio: Decimal = ZERO  # volume of the bank's covered loans (cap rate)


NOTHING_PAID = PaidContext()


@dataclass(frozen=True)
class PayoutBreakdown:
    """The result of `compute_payout()`: the loss counted, the shares applied, what each party bears (summing
    to the loss counted), the pool's payout, the caps that bound it and the arithmetic step by step."""

    category: str
    flags: tuple[str, ...]
    principal: Decimal
    interest: Decimal
    loss: Decimal  # the loss counted
    shares: Mapping[str, Decimal]
    amounts: Mapping[str, Decimal]
    payout: Decimal
    uncapped: Decimal
    bound_by: tuple[str, ...] = ()
    steps: tuple[dict[str, Any], ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (decimals as strings), as a claim stores it."""
        return {
            "category": self.category,
            "flags": list(self.flags),
            "principal": str(self.principal),
            "interest": str(self.interest),
            "loss": str(self.loss),
            "shares": {party: str(value) for party, value in self.shares.items()},
            "amounts": {party: str(value) for party, value in self.amounts.items()},
            "payout": str(self.payout),
            "uncapped": str(self.uncapped),
            "bound_by": list(self.bound_by),
            "steps": list(self.steps),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PayoutBreakdown:
        """Read back what `as_dict()` wrote."""
        return cls(
            category=str(data["category"]),
            flags=tuple(data.get("flags") or ()),
            principal=to_decimal(data["principal"]),
            interest=to_decimal(data.get("interest", "0")),
            loss=to_decimal(data["loss"]),
            shares={party: to_decimal(value) for party, value in data["shares"].items()},
            amounts={party: to_decimal(value) for party, value in data["amounts"].items()},
            payout=to_decimal(data["payout"]),
            uncapped=to_decimal(data.get("uncapped", data["payout"])),
            bound_by=tuple(data.get("bound_by") or ()),
            steps=tuple(data.get("steps") or ()),
        )


@dataclass(frozen=True)
class RecoveryShare:
    """The result of `share_recovery()`: what each party receives of a recovery (summing to it)."""

    recovered: Decimal
    amounts: Mapping[str, Decimal]
    to_pool: Decimal
    limited: bool
    steps: tuple[dict[str, Any], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "recovered": str(self.recovered),
            "amounts": {party: str(value) for party, value in self.amounts.items()},
            "to_pool": str(self.to_pool),
            "limited": self.limited,
            "steps": list(self.steps),
        }


# ---- arithmetic ---------------------------------------------------------------------------------------


def _step(code: str, **params: Any) -> dict[str, Any]:
    return {"code": code, "params": {key: _jsonable(value) for key, value in params.items()}}


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, frozenset, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def _check_loss(loss: Loss) -> tuple[Decimal, Decimal]:
    principal, interest = to_decimal(loss.principal), to_decimal(loss.interest)
    if principal < 0 or interest < 0:
        raise ValidationFailed(_("A loss cannot be negative."), code="loss_negative")
    return quantize_amount(principal), quantize_amount(interest)


def effective_shares(rule: CategoryRule, flags: Iterable[str]) -> tuple[dict[str, Decimal], list[dict[str, Any]]]:
    """The shares applied to a loan with `flags`: the base shares with the uplifts it earns moved from the
    bank to the pool, and the steps that explain them."""
    held = set(flags)
    shares = rule.shares()
    steps: list[dict[str, Any]] = [_step("shares_base", category=rule.category, shares=_nonzero(shares))]
    earned = [(flag, points) for flag, points in rule.uplifts if flag in held and points > 0]
    if not earned:
        return shares, steps
    total = sum((points for _flag, points in earned), ZERO)
    for flag, points in earned:
        steps.append(_step("uplift", flag=flag, points=points))
    if rule.uplift_max_points is not None and total > rule.uplift_max_points:
        steps.append(_step("uplift_limited", total=total, max=rule.uplift_max_points))
        total = rule.uplift_max_points
    moved = min(total / HUNDRED, shares[Party.BANK])
    shares[Party.POOL] += moved
    shares[Party.BANK] -= moved
    steps.append(_step("shares_applied", shares=_nonzero(shares)))
    return shares, steps


def _nonzero(shares: Mapping[str, Decimal]) -> dict[str, Decimal]:
    return {party: value for party, value in shares.items() if value or party in (Party.POOL, Party.BANK)}


def split_by_weights(total: Decimal, weights: Sequence[tuple[str, Decimal]]) -> dict[str, Decimal]:
    """Split `total` (to the fen, >= 0) in proportion to `weights` (>= 0): each part rounded down to the fen,
    the fen left over given one by one to the largest remainders (ties: the earlier party). The parts are
    never negative and sum exactly to `total`; with no weight at all, the first party takes it all."""
    parts = {party: ZERO for party, _weight in weights}
    weight_sum = sum((weight for _party, weight in weights), ZERO)
    if total <= 0 or not weights:
        return parts
    if weight_sum <= 0:
        parts[weights[0][0]] = total
        return parts
    remainders = []
    for order, (party, weight) in enumerate(weights):
        exact = total * weight / weight_sum
        parts[party] = exact.quantize(CENT, rounding=ROUND_DOWN)
        remainders.append((-(exact - parts[party]), order, party))
    left = int((total - sum(parts.values(), ZERO)) / CENT)
    for _remainder, _order, party in sorted(remainders)[:left]:
        parts[party] += CENT
    return parts


def _caps(
    rules: RuleSet, rule: CategoryRule, principal: Decimal, paid: PaidContext
) -> list[tuple[str, Decimal, dict[str, Any]]]:
    """Every cap that applies, as (cap code, amount left under it, step)."""
    found: list[tuple[str, Decimal, dict[str, Any]]] = []

    def left(cap: Decimal, used: Decimal) -> Decimal:
        return max(ZERO, cap - quantize_amount(used))

    if rule.principal_cap_share is not None:
        cap = quantize_amount(rule.principal_cap_share * principal)
        found.append(
            (Cap.PRINCIPAL, cap, _step("cap_principal", share=rule.principal_cap_share, principal=principal, cap=cap))
        )
    if rule.per_loan_cap is not None:
        remaining = left(rule.per_loan_cap, paid.on_loan)
        found.append(
            (
                Cap.LOAN,
                remaining,
                _step("cap_loan", cap=rule.per_loan_cap, paid=quantize_amount(paid.on_loan), remaining=remaining),
            )
        )
    if rules.per_bank_year_cap is not None:
        remaining = left(rules.per_bank_year_cap, paid.to_bank_in_year)
        step = _step(
            "cap_bank_year",
            cap=rules.per_bank_year_cap,
            year=paid.year,
            paid=quantize_amount(paid.to_bank_in_year),
            remaining=remaining,
        )
        found.append((Cap.BANK_YEAR, remaining, step))
    if rules.pool_cap is not None:
        remaining = left(rules.pool_cap, paid.by_pool)
        found.append(
            (
                Cap.POOL,
                remaining,
                _step("cap_pool", cap=rules.pool_cap, paid=quantize_amount(paid.by_pool), remaining=remaining),
            )
        )
    if rules.cap_rate is not None and rules.cap_guarantee_rate is not None:
        volume = quantize_amount(paid.bank_portfolio)
        cap = quantize_amount(volume * rules.cap_guarantee_rate * rules.cap_rate)
        remaining = left(cap, paid.to_bank)
        step = _step(
            "cap_rate",
            volume=volume,
            guarantee_rate=rules.cap_guarantee_rate,
            cap_rate=rules.cap_rate,
            cap=cap,
            paid=quantize_amount(paid.to_bank),
            remaining=remaining,
        )
        found.append((Cap.CAP_RATE, remaining, step))
    return found


def compute_payout(
    rules: RuleSet,
    loan: LoanFacts,
    loss: Loss,
    paid: PaidContext = NOTHING_PAID,
    *,
    version: Mapping[str, Any] | None = None,
) -> PayoutBreakdown:
    """What the pool pays for `loss` on `loan` under `rules`, given what was `paid` before (see the module
    docstring for the arithmetic). `version` ({"number", "effective_from"}) is shown as the first step.

    Raises ValidationFailed when the rule set does not cover the loan's category or the loss is negative."""
    rule = rules.category(loan.category)
    principal, interest = _check_loss(loss)
    steps: list[dict[str, Any]] = []
    if version:
        steps.append(_step("rule_version", **dict(version)))
    base = principal + interest if rule.covers_interest else principal
    if rule.covers_interest:
        steps.append(_step("loss_with_interest", principal=principal, interest=interest, loss=base))
    else:
        steps.append(_step("loss_principal", principal=principal, interest=interest, loss=base))

    shares, share_steps = effective_shares(rule, loan.flags)
    steps.extend(share_steps)
    uncapped = quantize_amount(shares[Party.POOL] * base)
    steps.append(_step("pool_share", share=shares[Party.POOL], loss=base, amount=uncapped))

    caps = _caps(rules, rule, principal, paid)
    steps.extend(step for _code, _left, step in caps)
    payout = min([uncapped, *(remaining for _code, remaining, _step_ in caps)])
    bound_by = tuple(code for code, remaining, _step_ in caps if remaining == payout) if payout < uncapped else ()
    if bound_by:
        steps.append(_step("payout_capped", amount=payout, uncapped=uncapped, caps=list(bound_by)))
    else:
        steps.append(_step("payout", amount=payout))

    amounts = {Party.POOL.value: payout}
    amounts.update(split_by_weights(base - uncapped, [(party, shares[party]) for party in OTHER_PARTIES]))
    amounts[Party.BANK] += uncapped - payout
    for party in OTHER_PARTIES:
        if amounts[party]:
            steps.append(_step("party_bears", party=party, amount=amounts[party]))
    return PayoutBreakdown(
        category=rule.category,
        flags=tuple(sorted(flag for flag in loan.flags if flag in Flag.values)),
        principal=principal,
        interest=interest,
        loss=base,
        shares={party: shares[party] for party in PARTIES},
        amounts={party: amounts[party] for party in PARTIES},
        payout=payout,
        uncapped=uncapped,
        bound_by=bound_by,
        steps=tuple(steps),
    )


def share_recovery(
    breakdown: PayoutBreakdown, recovered: Decimal, *, returned: Decimal = ZERO, paid: Decimal | None = None
) -> RecoveryShare:
    """Share `recovered` (money the bank got back after the default) between the parties in the proportions
    they bore the loss in `breakdown`. The pool's part is recovered × payout / loss, rounded half up, and at
    most what the pool paid (`paid`, default the breakdown's payout) less what it already had `returned`;
    the rest is split between the other parties by what they bore (the bank keeps any excess).

    Raises ValidationFailed when `recovered` is not above zero."""
    amount = to_decimal(recovered)
    if amount <= 0:
        raise ValidationFailed(_("A recovery must be above zero."), code="recovery_not_positive")
    amount = quantize_amount(amount)
    pool_paid = breakdown.payout if paid is None else quantize_amount(paid)
    headroom = max(ZERO, pool_paid - quantize_amount(returned))
    steps = [_step("recovery", amount=amount)]
    if breakdown.loss > 0:
        proportional = quantize_amount(amount * breakdown.amounts.get(Party.POOL, ZERO) / breakdown.loss)
    else:
        proportional = ZERO
    proportional = min(proportional, amount)
    steps.append(
        _step(
            "recovery_pool_share", recovered=amount, payout=breakdown.payout, loss=breakdown.loss, amount=proportional
        )
    )
    to_pool = min(proportional, headroom)
    limited = to_pool < proportional
    if limited:
        steps.append(_step("recovery_limited", paid=pool_paid, returned=quantize_amount(returned), amount=to_pool))
    weights = [(party, breakdown.amounts.get(party, ZERO)) for party in OTHER_PARTIES]
    amounts = {Party.POOL.value: to_pool}
    amounts.update(split_by_weights(amount - proportional, weights))
    amounts[Party.BANK] += proportional - to_pool
    for party in OTHER_PARTIES:
        if amounts[party]:
            steps.append(_step("recovery_party", party=party, amount=amounts[party]))
    return RecoveryShare(
        recovered=amount,
        amounts={party: amounts[party] for party in PARTIES},
        to_pool=to_pool,
        limited=limited,
        steps=tuple(steps),
    )


# ---- words --------------------------------------------------------------------------------------------


MESSAGES: dict[str, Any] = {
    "rule_version": _("Sharing rule version %(number)s, in force from %(effective_from)s."),
    "loss_principal": _(
        "Loss counted: the lost principal of %(principal)s (lost interest of %(interest)s is not covered)."
    ),
    "loss_with_interest": _("Loss counted: lost principal %(principal)s + lost interest %(interest)s = %(loss)s."),
    "shares_base": _("Shares for a %(category)s: %(shares)s."),
    "uplift": _("%(flag)s: the pool's share rises by %(points)s percentage points, taken from the bank's share."),
    "uplift_limited": _("The uplifts of %(total)s percentage points are limited to %(max)s percentage points."),
    "shares_applied": _("Shares applied: %(shares)s."),
    "pool_share": _("The pool's share: %(share)s × %(loss)s = %(amount)s."),
    "cap_principal": _("Cap: %(share)s of the lost principal of %(principal)s = %(cap)s."),
    "cap_loan": _("Cap per loan: %(cap)s, of which %(paid)s already granted; %(remaining)s left."),
    "cap_bank_year": _("Cap per bank in %(year)s: %(cap)s, of which %(paid)s already granted; %(remaining)s left."),
    "cap_pool": _("Cap of the whole pool: %(cap)s, of which %(paid)s already granted; %(remaining)s left."),
    "cap_rate": _(
        "Portfolio cap: covered portfolio %(volume)s × guarantee rate %(guarantee_rate)s × cap rate %(cap_rate)s"
        " = %(cap)s, of which %(paid)s already granted; %(remaining)s left."
    ),
    "payout": _("The pool pays %(amount)s."),
    "payout_capped": _("The pool pays %(amount)s instead of %(uncapped)s, limited by the %(caps)s."),
    "party_bears": _("The %(party)s bears %(amount)s."),
    "recovery": _("Recovered after the payout: %(amount)s."),
    "recovery_pool_share": _("The pool's part: %(recovered)s × %(payout)s paid ÷ %(loss)s loss = %(amount)s."),
    "recovery_limited": _(
        "Limited to what the pool paid (%(paid)s) less what it already had back (%(returned)s): %(amount)s."
    ),
    "recovery_party": _("The %(party)s receives %(amount)s."),
}
UNKNOWN_STEP = _("step %(code)s")
YUAN_TEXT = _("%(amount)s yuan")

_MONEY = frozenset(
    {
        "principal",
        "interest",
        "loss",
        "amount",
        "uncapped",
        "cap",
        "paid",
        "remaining",
        "volume",
        "recovered",
        "payout",
        "returned",
    }
)
_SHARES = frozenset({"share", "guarantee_rate", "cap_rate"})


def _is_zh() -> bool:
    return (get_language() or "zh-hans").startswith("zh")


def _join(items: Sequence[str]) -> str:
    return ("、" if _is_zh() else ", ").join(items)


def format_yuan(value: Any) -> str:
    """An amount in CNY yuan to the fen, with the unit (the arithmetic shows fen, so not 万元)."""
    try:
        return str(YUAN_TEXT) % {"amount": f"{quantize_amount(value):,.2f}"}
    except ValueError:
        return str(value)


def format_share(value: Any) -> str:
    """A fraction as a percentage with up to four decimals (0.35 -> 35%, 0.333333 -> 33.3333%)."""
    try:
        percent = (to_decimal(value) * HUNDRED).quantize(POINT_PLACES)
    except ValueError:
        return str(value)
    text = f"{percent:,.4f}".rstrip("0").rstrip(".")
    return f"{text}%"


def format_points(value: Any) -> str:
    try:
        return f"{to_decimal(value).quantize(POINT_PLACES):f}".rstrip("0").rstrip(".")
    except ValueError:
        return str(value)


def _label(choices: Any, value: Any) -> str:
    try:
        text = str(choices(value).label)
    except ValueError:
        return str(value)
    return text if _is_zh() else text.lower()


def category_label(value: Any) -> str:
    """A loan category in words (lower case in English, for sentences)."""
    return _label(Category, value)


def party_label(value: Any) -> str:
    return _label(Party, value)


def flag_label(value: Any) -> str:
    try:
        return str(Flag(value).label)
    except ValueError:
        return str(value)


def cap_label(value: Any) -> str:
    try:
        return str(Cap(value).label)
    except ValueError:
        return str(value)


def _format_date(value: Any) -> str:
    try:
        return date_format(datetime.date.fromisoformat(str(value)), "Y-m-d")
    except ValueError:
        return str(value)


def _format_param(name: str, value: Any) -> Any:
    if value is None:
        return "—"
    if name in _MONEY:
        return format_yuan(value)
    if name in _SHARES:
        return format_share(value)
    if name in ("points", "total", "max"):
        return format_points(value)
    if name == "shares" and isinstance(value, Mapping):
        return _join([f"{party_label(party)} {format_share(share)}" for party, share in value.items()])
    if name == "category":
        return category_label(value)
    if name == "flag":
        return flag_label(value)
    if name == "party":
        return party_label(value)
    if name == "caps":
        return _join([cap_label(code) for code in value])
    if name == "effective_from":
        return _format_date(value)
    return value


def render_step(step: Mapping[str, Any]) -> str:
    """One stored step as a sentence in the active language; unknown codes or bad parameters never raise."""
    code = str(step.get("code", ""))
    params = step.get("params") or {}
    template = MESSAGES.get(code)
    if template is None or not isinstance(params, Mapping):
        return str(UNKNOWN_STEP) % {"code": code}
    try:
        return str(template) % {name: _format_param(name, value) for name, value in params.items()}
    except (KeyError, TypeError, ValueError):
        return str(UNKNOWN_STEP) % {"code": code}


def render_steps(steps: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Stored steps as [{"code", "message"}] in the active language."""
    return [{"code": str(step.get("code", "")), "message": render_step(step)} for step in steps]
