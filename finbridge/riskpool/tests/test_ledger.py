"""The pool ledger: balanced, immutable entries; refusals leave nothing behind; statements and invariants."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from finbridge.audit.models import AuditEvent
from finbridge.core.errors import Conflict, PermissionDenied, ValidationFailed
from finbridge.riskpool.choices import Account, EntryKind
from finbridge.riskpool.models import JournalEntry, JournalLine
from finbridge.riskpool.selectors.ledger import account_balances, ledger_check_invariants
from finbridge.riskpool.services.ledger import Line, ledger_post, ledger_reverse
from finbridge.riskpool.tests.setup import CAPITAL, build_pool_scenario

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def s():
    return build_pool_scenario()


def _counts():
    return (JournalEntry.objects.count(), JournalLine.objects.count(), AuditEvent.objects.count())


def test_capital_is_the_first_entry_and_balances(s):
    entry = JournalEntry.objects.get(pool=s.pool)
    assert (entry.number, entry.kind) == (1, EntryKind.CAPITAL)
    lines = {(line.account, line.debit, line.credit) for line in entry.lines.all()}
    assert lines == {(Account.CASH, CAPITAL, D(0)), (Account.CAPITAL, D(0), CAPITAL)}
    assert s.pool.cash_balance == CAPITAL == s.pool.capital_total
    assert ledger_check_invariants(s.pool).ok


def test_post_numbers_entries_and_keeps_the_pool_balances(s):
    entry = ledger_post(
        actor=s.authority,
        pool=s.pool,
        kind=EntryKind.INTEREST,
        lines=[Line(Account.CASH, debit=D("12.34")), Line(Account.INTEREST, credit=D("12.34"))],
    )
    assert entry.number == 2
    s.refresh()
    assert s.pool.cash_balance == CAPITAL + D("12.34")
    assert account_balances(pool=s.pool)[Account.INTEREST] == D("12.34")
    assert AuditEvent.objects.filter(action="riskpool.ledger_post", object_id=str(entry.pk)).exists()


@pytest.mark.parametrize(
    ("lines", "code"),
    [
        ([Line(Account.CASH, debit=D("10")), Line(Account.INTEREST, credit=D("9.99"))], "ledger_unbalanced"),
        ([Line(Account.CASH, debit=D("10"))], "ledger_unbalanced"),
        ([], "ledger_unbalanced"),
        ([Line(Account.CASH, debit=D("1.001")), Line(Account.INTEREST, credit=D("1.001"))], "ledger_invalid_line"),
        ([Line(Account.CASH, debit=D("-5")), Line(Account.INTEREST, credit=D("-5"))], "ledger_invalid_line"),
        (
            [Line(Account.CASH, debit=D("5"), credit=D("5")), Line(Account.INTEREST, credit=D("5"))],
            "ledger_invalid_line",
        ),
        ([Line(Account.CASH), Line(Account.INTEREST, credit=D("0"))], "ledger_invalid_line"),
        ([Line("bogus", debit=D("5")), Line(Account.INTEREST, credit=D("5"))], "ledger_invalid_line"),
        ([Line(Account.CASH, debit="abc"), Line(Account.INTEREST, credit=D("5"))], "ledger_invalid_line"),
        ([Line(Account.PAYOUTS, debit=D("5")), Line(Account.OWED, credit=D("5"))], "ledger_invalid_line"),
    ],
)
def test_bad_entries_are_refused_and_nothing_is_written(s, lines, code):
    before = _counts()
    with pytest.raises(ValidationFailed) as error:
        ledger_post(actor=s.authority, pool=s.pool, kind=EntryKind.INTEREST, lines=lines)
    assert error.value.code == code
    assert _counts() == before
    s.refresh()
    assert s.pool.cash_balance == CAPITAL


def test_unknown_kind_is_refused(s):
    with pytest.raises(ValidationFailed) as error:
        ledger_post(actor=s.authority, pool=s.pool, kind="gift", lines=[])
    assert error.value.code == "ledger_invalid_kind"


def test_cash_never_goes_below_zero(s):
    before = _counts()
    with pytest.raises(Conflict) as error:
        ledger_post(
            actor=s.authority,
            pool=s.pool,
            kind=EntryKind.PAYOUT,
            lines=[Line(Account.PAYOUTS, debit=CAPITAL + D("0.01")), Line(Account.CASH, credit=CAPITAL + D("0.01"))],
            counterparty=s.market.head,
        )
    assert error.value.code == "insufficient_funds"
    assert _counts() == before


def test_owed_to_a_bank_never_goes_below_zero(s):
    with pytest.raises(Conflict) as error:
        ledger_post(
            actor=s.authority,
            pool=s.pool,
            kind=EntryKind.SETTLEMENT,
            lines=[Line(Account.OWED, debit=D("1"), counterparty=s.market.head), Line(Account.CASH, credit=D("1"))],
        )
    assert error.value.code == "owed_negative"


def test_capital_never_goes_below_zero(s):
    with pytest.raises(Conflict) as error:
        ledger_post(
            actor=s.authority,
            pool=s.pool,
            kind=EntryKind.WITHDRAWAL,
            lines=[Line(Account.CAPITAL, debit=CAPITAL + 1), Line(Account.INTEREST, credit=CAPITAL + 1)],
        )
    assert error.value.code == "capital_negative"


def test_entries_and_lines_cannot_be_changed_or_deleted(s):
    entry = JournalEntry.objects.get(pool=s.pool)
    entry.memo = "changed"
    with pytest.raises(Conflict):
        entry.save()
    with pytest.raises(Conflict):
        entry.delete()
    line = entry.lines.first()
    line.debit = D("1")
    with pytest.raises(Conflict):
        line.save()
    with pytest.raises(Conflict):
        line.delete()


def test_reversal_mirrors_an_entry_once(s):
    entry = ledger_post(
        actor=s.authority,
        pool=s.pool,
        kind=EntryKind.INTEREST,
        lines=[Line(Account.CASH, debit=D("50")), Line(Account.INTEREST, credit=D("50"))],
    )
    reversal = ledger_reverse(actor=s.authority, entry=entry, memo="typo")
    assert reversal.kind == EntryKind.REVERSAL and reversal.reverses == entry
    s.refresh()
    assert s.pool.cash_balance == CAPITAL
    assert account_balances(pool=s.pool)[Account.INTEREST] == 0
    with pytest.raises(Conflict) as error:
        ledger_reverse(actor=s.authority, entry=entry)
    assert error.value.code == "entry_already_reversed"
    with pytest.raises(Conflict) as error:
        ledger_reverse(actor=s.authority, entry=reversal)
    assert error.value.code == "entry_not_reversible"
    assert ledger_check_invariants(s.pool).ok


def test_only_the_authority_reverses(s):
    entry = JournalEntry.objects.get(pool=s.pool)
    with pytest.raises(PermissionDenied):
        ledger_reverse(actor=s.head_user, entry=entry)


def test_a_reversal_that_would_overdraw_is_refused(s):
    from finbridge.riskpool.services.pools import pool_capital_withdraw

    pool_capital_withdraw(actor=s.authority, pool=s.pool, amount=D("4000000.00"))
    first = JournalEntry.objects.get(pool=s.pool, number=1)
    with pytest.raises(Conflict) as error:
        ledger_reverse(actor=s.authority, entry=first)
    assert error.value.code == "insufficient_funds"


def test_invariant_check_reports_a_tampered_balance(s):
    from finbridge.riskpool.models import Pool

    Pool.objects.filter(pk=s.pool.pk).update(cash_balance=D("1.00"))
    report = ledger_check_invariants(s.pool)
    assert not report.ok
    assert any("cash_balance" in problem for problem in report.problems)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_the_database_refuses_updates_and_deletes_of_ledger_rows(s):
    from django.db import DatabaseError, transaction

    for queryset in (JournalEntry.objects.filter(pool=s.pool), JournalLine.objects.filter(pool=s.pool)):
        with pytest.raises(DatabaseError), transaction.atomic():
            queryset.update(value_date=s.pool.period_start)
        with pytest.raises(DatabaseError), transaction.atomic():
            queryset.delete()
    assert JournalLine.objects.filter(pool=s.pool).count() == 2
