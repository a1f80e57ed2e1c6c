"""Monte Carlo stress test of a risk-sharing pool over one policy year (issue 4, item 8). Pure numpy, no ORM.

The caller (services/stress.py) reads the covered portfolio and hands it over as arrays; `simulate()` returns
the distribution of the pool's payouts over `scenarios` simulated years, the probability that the pool runs
out, the expected shortfall and how these change when the pool's share is scaled.

Model
- **Defaults.** Each covered loan defaults in the year with the probability of default (PD) of its category.
  Defaults are correlated through one systematic factor (the one-factor Gaussian copula of Vasicek, the model
  behind the Basel IRB formula): in a scenario with factor Z ~ N(0, 1) a loan of a category with PD p defaults
  with probability Φ((Φ⁻¹(p) − √ρ·Z) / √(1 − ρ)), independently of the other loans given Z. ρ (`correlation`)
  is the asset correlation; ρ = 0 gives independent defaults; averaged over Z the probability is exactly p.
  Loans already non-performing (`certain`) default in every scenario.
- **Loss.** Lost principal = outstanding covered balance × the category's loss rate; the loss a rule shares is
  the lost principal plus the loan's lost interest where the loan's rule counts interest.
- **Payout per loan** (a loan's group — rule version, category and flags — fixes its terms):
  min(pool share × loss, principal cap share × lost principal, per-loan cap), the pool share including the
  uplifts: what `riskpool.sharing` pays on a claim approved in full.
- **Caps over the year.** Each bank's payouts in the year are cut to its per-bank-year cap, then the year's
  total to the pool-wide cap still available (the EU cap-rate form). The pool runs out in a scenario when
  this total exceeds the pool's free balance (what it cannot pay is owed: issue 4, item 4).

Sampling is exact, not an approximation: given the factor, the loans of a category are independent Bernoulli
trials, and the defaulted ones are found by geometric skipping (the gap to the next default is geometric), so
the work grows with the number of defaults, not with loans × scenarios. Where the conditional PD is above ½
the loans that do *not* default are drawn instead and taken off the totals.

Sensitivity: the pool shares scaled by each factor of `share_scales` (capped at 100%), all evaluated on the
same simulated defaults (common random numbers), so the differences between them are not sampling noise. The
defaults depend only on the seed, the PDs, the correlation and the loans, not on the sharing terms: another
set of terms (a preset) run with the same seed meets the same defaults.

How the variants stay cheap: for a loan, payout(scale) = min(a·L, K) with a = min(1, scale × pool share),
L the shared loss and K = min(cap share × lost principal, loan cap). Whether a variant is capped depends only
on a ≥ K / L, so loans are put in cells (bank, pool share, how many variants cap them), and each simulated
year needs only ΣL, ΣK and the count of defaults per cell.

Approximations (also stated on the page):
- one policy year without timing: every default of the year is claimed, approved in full and paid within the
  year; no recoveries, repayments, new enrolments or top-ups during the year; caps per bank and year apply
  in full to the simulated year;
- the loss rate of a category is a fixed fraction (no spread in severity); the spread of the payouts comes from
  which and how many loans default;
- amounts are computed in binary floating point (an estimate, not a ledger amount) and reported rounded to fen.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from statistics import NormalDist
from typing import Any

import numpy as np
from django.utils.translation import gettext_lazy as _

from finbridge.core.errors import ValidationFailed
from finbridge.core.money import quantize_amount
from finbridge.riskpool.sharing import Party, RuleSet, effective_shares

MAX_SCENARIOS = 100_000
DEFAULT_SCENARIOS = 10_000
DEFAULT_CORRELATION = 0.12  # Basel IRB asset correlation: 0.12–0.24 corporate and SME, 0.03–0.16 other retail
DEFAULT_SHARE_SCALES = (0.5, 0.75, 1.0, 1.25, 1.5)
MAX_SHARE_SCALES = 9
MAX_SHARE_SCALE = 5.0
HISTOGRAM_BINS = 40
PERCENTILES = (50, 75, 90, 95, 99, 99.5, 99.9)
TAIL_LEVEL = 0.99  # the tail mean (expected shortfall in the risk-measure sense) at this level
MAX_CHUNK_SCENARIOS = 500
CHUNK_EVENTS = 4_000_000  # expected draws per chunk of scenarios (bounds memory)
MAX_BLOCK = 4096
ENGINE_VERSION = 1
# What the page states next to the results (the model's simplifications; see the module docstring).
APPROXIMATIONS = (
    _(
        "One policy year without timing: every default of the year is claimed, approved in full and paid within"
        " the year; no recoveries, repayments, new enrolments or top-ups during the year."
    ),
    _(
        "Defaults are correlated through one common economic factor (the asset correlation of the run); loans"
        " already non-performing or with a claim under review default in every simulated year."
    ),
    _(
        "The loss rate of a category is a fixed share of the exposure (the outstanding balance, at most the covered"
        " amount); the spread of the payouts comes from which and how many loans default."
    ),
    _(
        "The cap per bank and year applies to the simulated year in full; where loans fall under several rule"
        " versions, the least binding version's caps across loans apply, so payouts are never understated."
    ),
    _("Amounts are estimates, computed in floating point and rounded to the fen."),
)


@dataclass(frozen=True)
class CategoryRisk:
    """Risk of a loan category over one policy year."""

    probability_of_default: float
    loss_rate: float  # share of the outstanding covered balance lost on default


@dataclass(frozen=True)
class GroupTerms:
    """Pool terms shared by every loan of a group (one rule version, one category, one set of flags)."""

    category: str  # key of StressParameters.risks
    pool_share: float  # share of the loss the pool bears, uplifts included
    principal_cap_share: float | None = None  # payout at most this share of the lost principal
    loan_cap: float | None = None  # payout at most this amount per loan
    counts_interest: bool = False
    label: str = ""


@dataclass(frozen=True)
class Portfolio:
    """The covered loans as arrays (one entry per loan) and the pool's position.

    `bank` and `group` are indexes into `banks` and `groups`; `interest` is the interest lost if the loan
    defaults (used where its group counts interest); `certain` marks loans already non-performing.
    """

    balance: np.ndarray
    group: np.ndarray
    bank: np.ndarray
    groups: tuple[GroupTerms, ...]
    banks: tuple[str, ...]
    free_balance: float
    interest: np.ndarray | None = None
    certain: np.ndarray | None = None
    bank_year_caps: Mapping[int, float] = field(default_factory=dict)  # bank index → cap; missing: none
    pool_cap: float | None = None  # pool-wide cap still available; None: none

    @property
    def size(self) -> int:
        return int(self.balance.shape[0])


@dataclass(frozen=True)
class StressParameters:
    risks: Mapping[str, CategoryRisk]
    scenarios: int = DEFAULT_SCENARIOS
    seed: int = 0
    correlation: float = DEFAULT_CORRELATION
    share_scales: tuple[float, ...] = DEFAULT_SHARE_SCALES
    histogram_bins: int = HISTOGRAM_BINS


@dataclass
class VariantResult:
    share_scale: float
    totals: np.ndarray  # pool payout per scenario, after every cap
    expected_uncapped: float  # analytical E[payout] without the per-bank-year and pool-wide caps

    def summary(self, *, free_balance: float, bins: int) -> dict[str, Any]:
        """The distribution's figures, amounts as strings rounded to fen (JSON-ready)."""
        totals = self.totals
        scenarios = totals.shape[0]
        ordered = np.sort(totals)
        tail = ordered[min(scenarios - 1, math.floor(TAIL_LEVEL * scenarios)) :]
        short = np.maximum(totals - free_balance, 0.0)
        runs_out = totals > free_balance
        counts, edges = np.histogram(totals, bins=bins, range=(0.0, float(ordered[-1]) or 1.0))
        return {
            "share_scale": self.share_scale,
            "mean": _money(totals.mean()),
            "std": _money(totals.std()),
            "standard_error": _money(totals.std() / math.sqrt(scenarios)),
            "expected_uncapped": _money(self.expected_uncapped),
            "percentiles": {_pct(p): _money(np.percentile(ordered, p)) for p in PERCENTILES},
            "max": _money(ordered[-1]),
            "run_out_probability": round(float(runs_out.mean()), 6),
            "expected_shortfall": _money(short.mean()),
            "shortfall_when_out": _money(short[runs_out].mean() if runs_out.any() else 0.0),
            "tail_mean_99": _money(tail.mean()),
            "histogram": {"edges": [_money(e) for e in edges], "counts": [int(c) for c in counts]},
        }


@dataclass
class StressResult:
    """Per-scenario figures of one run; `as_dict()` gives what is stored and shown."""

    scenarios: int
    seed: int
    loans: int
    covered_balance: float
    free_balance: float
    defaults: np.ndarray  # defaulted loans per scenario
    losses: np.ndarray  # shared loss (lost principal and counted interest) per scenario, before sharing
    variants: list[VariantResult]
    bins: int = HISTOGRAM_BINS

    @property
    def base(self) -> VariantResult:
        """The variant with the pool shares as they are (scale 1)."""
        return next(v for v in self.variants if v.share_scale == 1.0)

    def as_dict(self) -> dict[str, Any]:
        """Everything the page and the stored run show, JSON-ready (amounts as strings rounded to fen).

        Per variant: mean, std, standard error of the mean, analytical mean without the year caps, percentiles,
        max, run_out_probability (payouts > free balance), expected_shortfall (mean over all scenarios of what
        the free balance cannot pay), shortfall_when_out (its mean over the scenarios where the pool runs out),
        tail_mean_99 (mean payout of the worst 1% of scenarios) and a histogram.
        """
        return {
            "engine_version": ENGINE_VERSION,
            "scenarios": self.scenarios,
            "seed": self.seed,
            "loans": self.loans,
            "covered_balance": _money(self.covered_balance),
            "free_balance": _money(self.free_balance),
            "defaults_mean": round(float(self.defaults.mean()), 2),
            "defaults_p99": int(np.percentile(self.defaults, 99)),
            "loss_mean": _money(self.losses.mean()),
            "loss_p99": _money(np.percentile(self.losses, 99)),
            "base": self.base.summary(free_balance=self.free_balance, bins=self.bins),
            "sensitivity": [
                {
                    k: v
                    for k, v in variant.summary(free_balance=self.free_balance, bins=self.bins).items()
                    if k != "histogram"
                }
                for variant in self.variants
            ],
        }


def _money(value: Any) -> str:
    return str(quantize_amount(Decimal(repr(float(value)))))


def _pct(p: float) -> str:
    return f"p{p:g}".replace(".", "_")


def group_terms(rules: RuleSet, category: str, flags: Iterable[str], *, label: str = "") -> GroupTerms:
    """The terms of loans of `category` with `flags` under a rule set, read with the sharing engine's own
    `effective_shares` (uplifts and their limit), so the stress test shares losses as claims are shared.

    Raises ValidationFailed ("category_not_covered") when the rule set does not cover the category."""
    rule = rules.category(category)
    shares, _steps = effective_shares(rule, flags)
    return GroupTerms(
        category=category,
        pool_share=float(shares[Party.POOL]),
        principal_cap_share=None if rule.principal_cap_share is None else float(rule.principal_cap_share),
        loan_cap=None if rule.per_loan_cap is None else float(rule.per_loan_cap),
        counts_interest=rule.covers_interest,
        label=label,
    )


# --- validation ---------------------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _fraction_error(value: Any, *, below_one: bool = False) -> str | None:
    if not _is_number(value):
        return str(_("Enter a number."))
    if below_one and not 0 <= value < 1:
        return str(_("Enter a value from 0 up to but not including 1."))
    if not 0 <= value <= 1:
        return str(_("Enter a value from 0 to 1."))
    return None


def validate_parameters(params: StressParameters, *, categories: Sequence[str] = ()) -> None:
    """Check the parameters; raise ValidationFailed naming each bad field.

    Fields: scenarios, seed, correlation, share_scales, histogram_bins, pd_<category>, loss_rate_<category>.
    """
    errors: dict[str, list[str]] = {}
    scenarios = params.scenarios
    if not isinstance(scenarios, int) or isinstance(scenarios, bool) or scenarios < 1:
        errors["scenarios"] = [str(_("Enter a whole number of scenarios of at least 1."))]
    elif scenarios > MAX_SCENARIOS:
        errors["scenarios"] = [str(_("At most %(max)s scenarios can be run at once.") % {"max": f"{MAX_SCENARIOS:,}"})]
    if not isinstance(params.seed, int) or isinstance(params.seed, bool) or not 0 <= params.seed < 2**63:
        errors["seed"] = [str(_("Enter a whole number from 0 upwards."))]
    message = _fraction_error(params.correlation, below_one=True)
    if message:
        errors["correlation"] = [message]
    bins = params.histogram_bins
    if not isinstance(bins, int) or isinstance(bins, bool) or not 1 <= bins <= 200:
        errors["histogram_bins"] = [str(_("Enter a whole number of bars from 1 to 200."))]
    for category in categories:
        if category not in params.risks:
            errors[f"pd_{category}"] = [str(_("Enter a probability of default for this category."))]
    for category, risk in params.risks.items():
        for prefix, value in (("pd", risk.probability_of_default), ("loss_rate", risk.loss_rate)):
            message = _fraction_error(value)
            if message:
                errors[f"{prefix}_{category}"] = [message]
    scales = params.share_scales
    if len(set(scales) | {1.0}) > MAX_SHARE_SCALES:
        errors["share_scales"] = [
            str(_("Compare at most %(max)s scales of the pool share.") % {"max": MAX_SHARE_SCALES})
        ]
    elif not all(_is_number(s) and 0 <= s <= MAX_SHARE_SCALE for s in scales):
        errors["share_scales"] = [
            str(_("Each scale of the pool share must be a number from 0 to %(max)s.") % {"max": f"{MAX_SHARE_SCALE:g}"})
        ]
    if errors:
        raise ValidationFailed(_("The stress test parameters are not valid."), fields=errors)


def validate_portfolio(portfolio: Portfolio) -> None:
    """Check the arrays agree with each other (a programming error otherwise: raises ValueError)."""
    n = portfolio.size
    for name in ("group", "bank", "interest", "certain"):
        array = getattr(portfolio, name)
        if array is not None and array.shape != (n,):
            raise ValueError(f"portfolio.{name} must have one entry per loan")
    if n and (portfolio.group.min() < 0 or portfolio.group.max() >= len(portfolio.groups)):
        raise ValueError("portfolio.group holds an index outside portfolio.groups")
    if n and (portfolio.bank.min() < 0 or portfolio.bank.max() >= len(portfolio.banks)):
        raise ValueError("portfolio.bank holds an index outside portfolio.banks")


# --- simulation ---------------------------------------------------------------------------------------------


def simulate(portfolio: Portfolio, params: StressParameters) -> StressResult:
    """Run the Monte Carlo stress test; deterministic for a given seed. Raises ValidationFailed on bad input."""
    validate_parameters(params, categories=sorted({g.category for g in portfolio.groups}))
    validate_portfolio(portfolio)
    scales = np.array(sorted({float(s) for s in params.share_scales} | {1.0}))
    if portfolio.size == 0:
        return _empty_result(portfolio, params, scales)
    book = _Book.build(portfolio, params, scales)
    rng = np.random.default_rng(params.seed)
    conditional = _conditional_pd(book.run_pd, float(params.correlation), rng.standard_normal(params.scenarios))
    totals = np.zeros((len(scales), params.scenarios))
    defaults = np.zeros(params.scenarios)
    losses = np.zeros(params.scenarios)
    step = _chunk_size(book)
    for start in range(0, params.scenarios, step):
        stop = min(start + step, params.scenarios)
        sum_l, sum_k, defaults[start:stop] = _cell_sums(rng, book, conditional[start:stop])  # chunk × cells
        losses[start:stop] = sum_l.sum(axis=1)
        for v in range(len(scales)):
            paid = np.where(book.capped[v], sum_k, book.linear[v] * sum_l)  # chunk × cells
            per_bank = np.minimum(np.add.reduceat(paid, book.bank_start, axis=1), book.bank_caps)
            totals[v, start:stop] = np.minimum(per_bank.sum(axis=1), book.pool_cap)
    variants = [
        VariantResult(share_scale=float(scale), totals=totals[v], expected_uncapped=book.expected_uncapped[v])
        for v, scale in enumerate(scales)
    ]
    return StressResult(
        scenarios=params.scenarios,
        seed=params.seed,
        loans=portfolio.size,
        covered_balance=float(portfolio.balance.sum()),
        free_balance=float(portfolio.free_balance),
        defaults=defaults,
        losses=losses,
        variants=variants,
        bins=params.histogram_bins,
    )


def _empty_result(portfolio: Portfolio, params: StressParameters, scales: np.ndarray) -> StressResult:
    zeros = np.zeros(params.scenarios)
    return StressResult(
        scenarios=params.scenarios,
        seed=params.seed,
        loans=0,
        covered_balance=0.0,
        free_balance=float(portfolio.free_balance),
        defaults=zeros,
        losses=zeros,
        variants=[VariantResult(share_scale=float(s), totals=zeros, expected_uncapped=0.0) for s in scales],
        bins=params.histogram_bins,
    )


@dataclass(frozen=True)
class _Book:
    """The loans prepared for sampling: sorted into runs of one default probability (a category, or
    "already defaulted"), each loan assigned to a cell (bank, pool share, number of capped variants)."""

    run_start: np.ndarray  # first loan (in sorted order) of each run
    run_size: np.ndarray
    run_pd: np.ndarray  # unconditional PD of each run (1 for already defaulted loans)
    cell: np.ndarray  # cell of each loan, sorted order
    loss: np.ndarray  # L of each loan, sorted order
    capped_pay: np.ndarray  # K of each loan, sorted order
    cells: int
    run_cell_totals: np.ndarray  # runs × cells × 2 (ΣL, ΣK) over every loan
    capped: np.ndarray  # variants × cells: payout is K (else linear × L)
    linear: np.ndarray  # variants × cells: min(1, scale × pool share)
    bank_start: np.ndarray  # first cell of each bank with loans (cells are sorted by bank)
    bank_caps: np.ndarray  # per bank with loans
    pool_cap: float
    expected_uncapped: list[float]

    @classmethod
    def build(cls, portfolio: Portfolio, params: StressParameters, scales: np.ndarray) -> _Book:
        groups = portfolio.groups
        categories = sorted({g.category for g in groups})
        risk = [params.risks[c] for c in categories]
        category = np.array([categories.index(g.category) for g in groups], dtype=np.int64)[portfolio.group]
        certain = np.zeros(portfolio.size, bool) if portfolio.certain is None else portfolio.certain.astype(bool)
        run_key = np.where(certain, len(categories), category)
        lost_principal = portfolio.balance.astype(float) * np.array([r.loss_rate for r in risk])[category]
        counts_interest = np.array([g.counts_interest for g in groups], bool)[portfolio.group]
        loss = lost_principal.copy()
        if portfolio.interest is not None:
            loss += np.where(counts_interest, portfolio.interest.astype(float), 0.0)
        cap_share = np.array([math.inf if g.principal_cap_share is None else g.principal_cap_share for g in groups])
        loan_cap = np.array([math.inf if g.loan_cap is None else g.loan_cap for g in groups])
        with np.errstate(invalid="ignore"):  # no cap share (∞) × no lost principal (0): NaN, which fmin skips
            capped_pay = np.fmin(cap_share[portfolio.group] * lost_principal, loan_cap[portfolio.group])
        capped_pay = np.fmin(capped_pay, loss)  # a share is at most 1, so min(a·L, K) = min(a·L, K, L)
        shares, share_class = np.unique(np.array([g.pool_share for g in groups], float), return_inverse=True)
        share_class = share_class.reshape(-1)[portfolio.group]
        linear_by_class = np.minimum(1.0, scales[:, None] * shares[None, :])  # variants × share classes
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(loss > 0, capped_pay / loss, math.inf)  # capped where linear share ≥ K / L
        bucket = (linear_by_class[:, share_class] >= ratio[None, :]).sum(axis=0)  # a suffix of the variants
        n_variants, n_classes = len(scales), len(shares)
        cell_key = (portfolio.bank.astype(np.int64) * n_classes + share_class) * (n_variants + 1) + bucket
        keys, cell = np.unique(cell_key, return_inverse=True)
        cell = cell.reshape(-1)
        order = np.argsort(run_key, kind="stable")
        runs, run_start, run_size = np.unique(run_key[order], return_index=True, return_counts=True)
        run_pd = np.array([1.0 if r == len(categories) else risk[r].probability_of_default for r in runs])
        run_of_loan = np.repeat(np.arange(len(runs)), run_size)
        totals = np.zeros((len(runs), len(keys), 2))
        for column, weights in enumerate((loss[order], capped_pay[order])):
            np.add.at(totals[:, :, column], (run_of_loan, cell[order]), weights)
        cell_bucket = keys % (n_variants + 1)
        cell_class = keys // (n_variants + 1) % n_classes
        cell_bank = keys // (n_variants + 1) // n_classes
        banks, bank_start = np.unique(cell_bank, return_index=True)
        caps = np.array([portfolio.bank_year_caps.get(int(b), math.inf) for b in banks], float)
        capped = np.arange(n_variants)[:, None] >= (n_variants - cell_bucket)[None, :]
        pd_loan = np.where(certain, 1.0, np.array([r.probability_of_default for r in risk])[category])
        expected = [
            float(pd_loan @ np.minimum(linear_by_class[v, share_class] * loss, capped_pay)) for v in range(n_variants)
        ]
        return cls(
            run_start=run_start,
            run_size=run_size,
            run_pd=run_pd,
            cell=cell[order],
            loss=loss[order],
            capped_pay=capped_pay[order],
            cells=len(keys),
            run_cell_totals=totals,
            capped=capped,
            linear=linear_by_class[:, cell_class],
            bank_start=bank_start,
            bank_caps=caps,
            pool_cap=math.inf if portfolio.pool_cap is None else float(portfolio.pool_cap),
            expected_uncapped=expected,
        )


def _chunk_size(book: _Book) -> int:
    """Scenarios simulated together: about CHUNK_EVENTS draws per chunk (a function of the inputs only)."""
    per_scenario = float((book.run_size * np.minimum(book.run_pd, 1.0 - book.run_pd)).sum()) + len(book.run_size)
    return int(max(1, min(MAX_CHUNK_SCENARIOS, CHUNK_EVENTS // max(1.0, per_scenario))))


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    return (0.5 * _erfc(-x / math.sqrt(2.0))).astype(float)


_erfc = np.frompyfunc(math.erfc, 1, 1)


def _conditional_pd(run_pd: np.ndarray, rho: float, factor: np.ndarray) -> np.ndarray:
    """PD of each run given the systematic factor of each scenario (scenarios × runs), Vasicek."""
    result = np.empty((factor.shape[0], run_pd.shape[0]))
    for column, pd in enumerate(run_pd):
        if pd <= 0.0 or pd >= 1.0 or rho == 0.0:
            result[:, column] = pd
        else:
            threshold = NormalDist().inv_cdf(float(pd))
            result[:, column] = _normal_cdf((threshold - math.sqrt(rho) * factor) / math.sqrt(1.0 - rho))
    return result


def _cell_sums(rng: np.random.Generator, book: _Book, pd: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ΣL and ΣK per scenario and cell (scenarios × cells) over the defaulted loans, and defaults per scenario.

    Where a run's conditional PD is above ½ its non-defaults are drawn (probability 1 − PD) and their sums
    taken off the run's totals (a PD of 1: nothing is drawn, the run's totals are the sums).
    """
    scenarios, runs = pd.shape
    flip = pd > 0.5
    p = np.where(flip, 1.0 - pd, pd).ravel()
    pair = np.flatnonzero(p > 0.0)  # (scenario, run) pairs with anything to draw
    run_of_pair = pair % runs
    n = book.run_size[run_of_pair]
    owners, loans, drawn = _skip(rng, p[pair], n, book.run_start[run_of_pair])
    flipped = flip.ravel()[pair]
    defaults = np.bincount(pair // runs, weights=np.where(flipped, n - drawn, drawn), minlength=scenarios)
    defaults = defaults.astype(float) + (flip & (pd >= 1.0)) @ book.run_size.astype(float)
    target = (pair // runs * book.cells)[owners] + book.cell[loans]
    loss, capped_pay = book.loss[loans], book.capped_pay[loans]
    if flipped.any():  # drawn non-defaults count negatively
        sign = np.where(flipped[owners], -1.0, 1.0)
        loss, capped_pay = loss * sign, capped_pay * sign
    size = scenarios * book.cells
    sum_l = np.bincount(target, weights=loss, minlength=size).astype(float).reshape(scenarios, book.cells)
    sum_k = np.bincount(target, weights=capped_pay, minlength=size).astype(float).reshape(scenarios, book.cells)
    if flip.any():  # add the run totals of the flipped (scenario, run) pairs
        sum_l += flip.astype(float) @ book.run_cell_totals[:, :, 0]
        sum_k += flip.astype(float) @ book.run_cell_totals[:, :, 1]
    return sum_l, sum_k, defaults


def _skip(rng: np.random.Generator, p: np.ndarray, n: np.ndarray, base: np.ndarray) -> tuple[np.ndarray, ...]:
    """Successes of n[i] Bernoulli(p[i]) trials for every i, by geometric skipping.

    Returns, for every success, its i and base[i] + its position, and the number of successes of each i.
    Each row's positions carry an offset i × stride + base[i] so that one float64 array holds both (exact: the
    codes stay far below 2**53); a gap beyond the run, even an infinite one, simply ends it.
    """
    stride = 1 << max(1, int(base.max(initial=0) + n.max(initial=0)).bit_length())
    inverse_rate = np.zeros_like(p)
    np.divide(-1.0, np.log1p(-p), out=inverse_rate, where=p < 1.0)  # gap − 1 = floor(Exp(1) / rate), geometric
    offset = np.arange(p.shape[0], dtype=float) * stride + base  # code of position 0 of each row
    last = offset + n - 1.0  # code of the row's last trial
    reached_last = offset - 1.0  # code of the last success so far (none: one before the first trial)
    active = np.arange(p.shape[0])
    found: list[np.ndarray] = []
    drawn = np.zeros(p.shape[0])
    while active.size:
        expected = float(np.median((last[active] - reached_last[active]) * p[active]))
        block = int(min(MAX_BLOCK, max(1, math.ceil(expected * 1.1 + 1))))
        codes = rng.standard_exponential((active.size, block))
        codes *= inverse_rate[active, None]
        np.floor(codes, out=codes)
        codes += 1.0
        np.cumsum(codes, axis=1, out=codes)
        codes += reached_last[active, None]
        inside = codes <= last[active, None]
        found.append(codes[inside])
        drawn[active] += np.count_nonzero(inside, axis=1)
        reached_last[active] = codes[:, -1]
        active = active[codes[:, -1] < last[active]]
    if not found:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), drawn
    codes = np.concatenate(found).astype(np.int64)
    return codes // stride, codes % stride, drawn
