"""The stress test on the ORM: the portfolio read from the enrolments, runs stored by the service, history
estimates, permissions, bad input (nothing stored) and the selectors of past runs."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
from django.utils import timezone

from finbridge.audit.models import AuditEvent
from finbridge.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from finbridge.financing.choices import LoanClassification
from finbridge.riskpool.choices import StressRunStatus
from finbridge.riskpool.models import StressRun
from finbridge.riskpool.selectors.pools import rule_set_of
from finbridge.riskpool.selectors.stress import (
    STARTING_RISKS,
    stress_history,
    stress_portfolio,
    stress_run_get,
    stress_run_list,
    stress_suggested_risks,
)
from finbridge.riskpool.services.claims import Evidence, claim_approve, claim_file
from finbridge.riskpool.services.stress import stress_test_execute, stress_test_run
from finbridge.riskpool.sharing import LoanFacts, Loss, compute_payout
from finbridge.riskpool.tests.setup import build_pool_scenario

pytestmark = pytest.mark.django_db

CERTAIN = {"direct": {"probability_of_default": "1", "loss_rate": "1"}}
NEVER = {"direct": {"probability_of_default": "0", "loss_rate": "0.5"}}
PDF = Evidence(kind="classification", name="npl.pdf", content=b"%PDF-1.4\n% stress test\n")


@pytest.fixture
def scenario():
    """A pool with three covered direct loans: plain, first-time + credit (uplifts), and one partly repaid."""
    s = build_pool_scenario()
    s.loans = [
        s.make_loan(amount=D("1000000.00")),
        s.make_loan(amount=D("2000000.00"), is_first_time=True, is_credit=True),
        s.make_loan(amount=D("500000.00"), borrower="software"),
    ]
    s.enrolments = [s.enrol(loan) for loan in s.loans]
    s.classify(s.loans[2], LoanClassification.NORMAL, outstanding=D("300000.00"))  # repaid down after enrolment
    return s


def expected_certain_payout(s) -> D:
    """What compute_payout grants for every covered loan losing its whole exposure (no caps across loans)."""
    rules = rule_set_of(s.version)
    total = D(0)
    for loan, enrolment in zip(s.loans, s.enrolments, strict=True):
        loan.refresh_from_db()
        exposure = min(loan.outstanding_balance, enrolment.covered_amount)
        facts = LoanFacts(enrolment.category, frozenset(enrolment.flags))
        total += compute_payout(rules, facts, Loss(exposure)).payout
    return total


# ---- the portfolio ----------------------------------------------------------------------------------------


def test_portfolio_reads_the_covered_loans_with_their_terms(scenario):
    loaded = stress_portfolio(pool=scenario.pool)
    assert loaded.loans == 3
    assert loaded.exposure == D("3300000.00")  # the repaid loan counts with its outstanding balance
    assert loaded.certain == 0
    assert loaded.free_balance == D("10000000.00")
    shares = sorted(group.pool_share for group in loaded.portfolio.groups)
    assert shares == [pytest.approx(0.3), pytest.approx(0.5)]  # pingshan: 30% + 10 + 10 points for first-time, credit
    assert all(group.principal_cap_share == pytest.approx(0.5) for group in loaded.portfolio.groups)
    assert loaded.summary()["by_category"]["direct"]["loans"] == 3


def test_non_performing_loans_and_pending_claims_default_for_sure(scenario):
    s = scenario
    s.classify(s.loans[0], LoanClassification.SUBSTANDARD)
    loaded = stress_portfolio(pool=s.pool)
    assert loaded.certain == 1
    run = stress_test_run(actor=s.authority, pool=s.pool, risks=NEVER, scenarios=200, seed=1)
    base = run.results["base"]
    # min(30% × 500,000 lost, 50% × 500,000) = 150,000 in every year
    assert base["mean"] == base["max"] == "150000.00"
    assert run.results["defaults_mean"] == 1


# ---- running ----------------------------------------------------------------------------------------------


def test_the_authority_runs_and_stores_a_stress_test(scenario):
    s = scenario
    run = stress_test_run(actor=s.authority, pool=s.pool, risks=CERTAIN, scenarios=50, seed=7)
    run.refresh_from_db()
    assert run.status == StressRunStatus.DONE
    assert (run.scenarios, run.seed, run.created_by) == (50, 7, s.authority)
    assert run.finished_at is not None
    assert run.parameters["risks"]["direct"] == {
        "probability_of_default": "1",
        "probability_of_default_source": "authority",
        "loss_rate": "1",
        "loss_rate_source": "authority",
    }
    base = run.results["base"]
    assert D(base["mean"]) == pytest.approx(expected_certain_payout(s), abs=D("0.03"))
    assert base["run_out_probability"] == 0
    assert run.results["portfolio"]["loans"] == 3
    assert [v["share_scale"] for v in run.results["sensitivity"]] == [0.5, 0.75, 1.0, 1.25, 1.5]
    event = AuditEvent.objects.get(action="riskpool.stress_test_run")
    assert event.object_id == str(run.pk)
    assert event.after["mean"] == base["mean"]


def test_no_default_means_no_payout(scenario):
    run = stress_test_run(actor=scenario.authority, pool=scenario.pool, risks=NEVER, scenarios=500)
    assert run.results["base"]["max"] == "0.00"
    assert run.results["base"]["run_out_probability"] == 0
    assert 0 <= run.seed < 2**31  # drawn and stored


def test_a_seed_repeats_the_run(scenario):
    s = scenario
    risks = {"direct": {"probability_of_default": "0.3", "loss_rate": "0.7"}}
    first = stress_test_run(actor=s.authority, pool=s.pool, risks=risks, scenarios=2_000, seed=99)
    again = stress_test_run(actor=s.authority, pool=s.pool, risks=risks, scenarios=2_000, seed=99)
    for key in ("base", "sensitivity", "defaults_mean", "loss_mean"):
        assert first.results[key] == again.results[key]


def test_a_small_free_balance_runs_out(scenario):
    s = scenario
    risks = {"direct": {"probability_of_default": "0.5", "loss_rate": "1"}}
    run = stress_test_run(actor=s.authority, pool=s.pool, risks=risks, scenarios=4_000, seed=3, correlation="0")
    assert run.results["base"]["run_out_probability"] == 0  # 10,000,000 of capital covers everything
    s.pool.cash_balance = D("100000.00")  # as if most of the capital had been paid out
    s.pool.save(update_fields=["cash_balance"])
    run = stress_test_run(actor=s.authority, pool=s.pool, risks=risks, scenarios=4_000, seed=3, correlation="0")
    # payouts on default: 300,000, 1,000,000 and 90,000; the pool runs out unless nothing or only the third
    # loan defaults: 1 − ½³ − ½³ = 0.75
    assert run.results["base"]["run_out_probability"] == pytest.approx(0.75, abs=0.03)


def test_a_pending_run_is_executed_once(scenario):
    s = scenario
    run = stress_test_run(actor=s.authority, pool=s.pool, risks=CERTAIN, scenarios=20, seed=5, execute=False)
    assert run.status == StressRunStatus.PENDING
    assert run.results == {}
    done = stress_test_execute(run_id=run.pk)
    assert done.status == StressRunStatus.DONE
    assert D(done.results["base"]["mean"]) == pytest.approx(expected_certain_payout(s), abs=D("0.03"))
    with pytest.raises(Conflict):
        stress_test_execute(run_id=run.pk)


# ---- history ----------------------------------------------------------------------------------------------


def test_history_estimates_default_and_loss_rates(scenario):
    s = scenario
    s.classify(s.loans[0], LoanClassification.DOUBTFUL)
    claim = claim_file(
        actor=s.head_user,
        enrolment=s.enrolments[0],
        lost_principal=D("600000.00"),
        defaulted_on=timezone.localdate(),
        documents=[PDF],
    )
    claim_approve(actor=s.authority, claim=claim)
    history = stress_history(pool=s.pool)["direct"]
    assert (history.enrolments, history.defaults, history.paid_claims) == (3, 1, 1)
    # the loans were enrolled today: no loan-years yet, so no default rate
    assert history.loan_years == D("0.00")
    assert history.probability_of_default is None
    assert history.loss_rate == D("0.600000")  # 600,000 lost of 1,000,000 covered
    suggested = stress_suggested_risks(pool=s.pool)["direct"]
    assert (suggested.loss_rate, suggested.loss_rate_source) == (D("0.600000"), "history")
    assert (suggested.probability_of_default, suggested.pd_source) == (STARTING_RISKS["direct"][0], "default")


def test_history_counts_loan_years():
    s = build_pool_scenario()
    today = timezone.localdate()
    loans = [s.make_loan(disbursed_on=today - datetime.timedelta(days=100)) for _ in range(2)]
    enrolments = [s.enrol(loan) for loan in loans]
    from finbridge.riskpool.models import Enrolment

    Enrolment.objects.filter(pk__in=[e.pk for e in enrolments]).update(enrolled_on=today - datetime.timedelta(days=365))
    s.classify(loans[0], LoanClassification.LOSS)
    history = stress_history(pool=s.pool)["direct"]
    assert history.loan_years == D("2.00")  # 2 × 365 days ÷ 365.25, to two places
    assert history.probability_of_default == D("0.500000")
    run = stress_test_run(actor=s.authority, pool=s.pool, risks={"direct": {"loss_rate": "0.5"}}, use_history=True)
    assert run.parameters["risks"]["direct"]["probability_of_default"] == "0.500000"
    assert run.parameters["risks"]["direct"]["probability_of_default_source"] == "history"


def test_history_needed_but_missing_names_the_field(scenario):
    s = scenario
    with pytest.raises(ValidationFailed) as caught:
        stress_test_run(actor=s.authority, pool=s.pool, use_history=True, scenarios=10)
    assert set(caught.value.fields) == {"pd_direct", "loss_rate_direct"}
    assert not StressRun.objects.exists()


# ---- permissions and bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["head_user", "branch_user", "other_bank_user"])
def test_banks_cannot_run_stress_tests(scenario, who):
    with pytest.raises(PermissionDenied):
        stress_test_run(actor=getattr(scenario, who), pool=scenario.pool, risks=CERTAIN, scenarios=10)
    assert not StressRun.objects.exists()


def test_industry_authority_cannot_run_stress_tests(scenario):
    with pytest.raises(PermissionDenied):
        stress_test_run(actor=scenario.market.ia_user, pool=scenario.pool, risks=CERTAIN, scenarios=10)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"scenarios": -1}, "scenarios"),
        ({"scenarios": 0}, "scenarios"),
        ({"scenarios": 100_001}, "scenarios"),
        ({"scenarios": "many"}, "scenarios"),
        ({"scenarios": "10.5"}, "scenarios"),
        ({"seed": -3}, "seed"),
        ({"seed": "x"}, "seed"),
        ({"correlation": "1"}, "correlation"),
        ({"correlation": "-0.1"}, "correlation"),
        ({"share_scales": "0.5, lots"}, "share_scales"),
        ({"share_scales": [6]}, "share_scales"),
        ({"interest_months": 13}, "interest_months"),
        ({"risks": {"direct": {"probability_of_default": "1.5", "loss_rate": "0.5"}}}, "pd_direct"),
        ({"risks": {"direct": {"probability_of_default": "-0.01", "loss_rate": "0.5"}}}, "pd_direct"),
        ({"risks": {"direct": {"probability_of_default": "0.1", "loss_rate": "2"}}}, "loss_rate_direct"),
        ({"risks": {"direct": {"probability_of_default": "0.1"}}}, "loss_rate_direct"),
        ({"risks": {}}, "pd_direct"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(scenario, changes, field):
    values = {"risks": CERTAIN, "scenarios": 100, **changes}
    with pytest.raises(ValidationFailed) as caught:
        stress_test_run(actor=scenario.authority, pool=scenario.pool, **values)
    assert field in caught.value.fields
    assert all(messages for messages in caught.value.fields.values())
    assert not StressRun.objects.exists()
    assert not AuditEvent.objects.filter(action="riskpool.stress_test_run").exists()


def test_scenario_limit_message_is_translated(scenario):
    from django.utils import translation

    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        stress_test_run(actor=scenario.authority, pool=scenario.pool, risks=CERTAIN, scenarios=100_001)
    assert caught.value.fields["scenarios"] == ["Enter a whole number of scenarios from 1 to 100,000."]


# ---- stored runs ------------------------------------------------------------------------------------------


def test_past_runs_are_listed_for_government_only(scenario):
    s = scenario
    first = stress_test_run(actor=s.authority, pool=s.pool, risks=CERTAIN, scenarios=10)
    second = stress_test_run(actor=s.authority, pool=s.pool, risks=NEVER, scenarios=10)
    assert list(stress_run_list(actor=s.authority, pool=s.pool)) == [second, first]
    assert stress_run_get(actor=s.market.ia_user, pool=s.pool, pk=first.pk) == first
    assert list(stress_run_list(actor=s.head_user, pool=s.pool)) == []  # a member bank sees the pool, not the runs
    with pytest.raises(NotFound):
        stress_run_get(actor=s.head_user, pool=s.pool, pk=first.pk)
    with pytest.raises(NotFound):
        stress_run_get(actor=s.authority, pool=s.pool, pk="nope")
    with pytest.raises(NotFound):
        stress_run_list(actor=s.market.firm_user, pool=s.pool)  # the pool itself is not visible
