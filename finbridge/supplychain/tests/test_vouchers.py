"""Payment vouchers: issue, split, transfer down the chain, financing of parts, conservation and traceability."""

from __future__ import annotations

import contextlib
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finbridge.accounts.choices import Role
from finbridge.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from finbridge.notifications.models import Notification
from finbridge.supplychain import notices
from finbridge.supplychain.choices import ReceivableStatus, VoucherOrigin, VoucherStatus
from finbridge.supplychain.models import FinancingOffer, Receivable, Voucher
from finbridge.supplychain.selectors.vouchers import (
    LIVE_STATUSES,
    voucher_get,
    voucher_list,
    voucher_trace,
    voucher_tree,
)
from finbridge.supplychain.services.financing import (
    financing_offer_accept,
    financing_offer_make,
    financing_request_create,
)
from finbridge.supplychain.services.vouchers import voucher_issue, voucher_split, voucher_transfer
from finbridge.supplychain.tests.setup import build_chain, make_receivable

pytestmark = pytest.mark.django_db
OFFER = {"advance_ratio": "0.9", "annual_rate": "0.04", "term_days": 60, "registration_kind": "transfer"}


@pytest.fixture
def chain():
    chain = build_chain()
    for name in ("supplier", "core", "tier2", "tier3", "bank_a"):
        chain.user(name)
    return chain


def issued(chain, amount="1000000.00"):
    receivable = make_receivable(chain, status=ReceivableStatus.CONFIRMED, amount=amount)
    return voucher_issue(actor=chain.user("core"), receivable_id=receivable.pk)


def live_total(root):
    parts = Voucher.objects.filter(receivable_id=root.receivable_id, status__in=LIVE_STATUSES)
    return sum((p.amount for p in parts), Decimal("0"))


def test_the_debtor_issues_a_voucher_to_its_creditor(chain):
    voucher = issued(chain)
    assert (voucher.holder, voucher.tier, voucher.root_id, voucher.parent_id) == (chain.supplier, 1, voucher.pk, None)
    assert voucher.origin == VoucherOrigin.ISSUED and voucher.amount == Decimal("1000000.00")
    assert voucher.receivable.status == ReceivableStatus.VOUCHER_ISSUED
    assert Notification.objects.filter(kind=notices.VOUCHER_ISSUED, organization=chain.supplier).exists()


@pytest.mark.parametrize(
    "status",
    [ReceivableStatus.PENDING, ReceivableStatus.DISPUTED, ReceivableStatus.FINANCED, ReceivableStatus.VOUCHER_ISSUED],
)
def test_only_a_confirmed_free_payable_becomes_a_voucher(chain, status):
    receivable = make_receivable(chain, status=status)
    with pytest.raises(Conflict):
        voucher_issue(actor=chain.user("core"), receivable_id=receivable.pk)
    assert not Voucher.objects.exists()


def test_only_the_debtor_issues(chain):
    receivable = make_receivable(chain, status=ReceivableStatus.CONFIRMED)
    with pytest.raises(PermissionDenied):
        voucher_issue(actor=chain.user("supplier"), receivable_id=receivable.pk)
    with pytest.raises(NotFound):
        voucher_issue(actor=chain.user("tier2"), receivable_id=receivable.pk)
    receivable.is_overdue = True
    receivable.save()
    with pytest.raises(Conflict) as caught:
        voucher_issue(actor=chain.user("core"), receivable_id=receivable.pk)
    assert caught.value.code == "overdue"


def test_split_and_pass_down_to_tier_three_keeping_the_total(chain):
    root = issued(chain)
    to_tier2, kept = voucher_split(
        actor=chain.user("supplier"), pk=root.pk, parts=[{"amount": "400000", "recipient": chain.tier2.pk}]
    )
    assert (to_tier2.holder, to_tier2.tier, to_tier2.origin) == (chain.tier2, 2, VoucherOrigin.TRANSFERRED)
    assert (kept.holder, kept.tier, kept.origin, kept.amount) == (
        chain.supplier,
        1,
        VoucherOrigin.KEPT,
        Decimal("600000.00"),
    )
    root.refresh_from_db()
    assert root.status == VoucherStatus.SPLIT
    to_tier3 = voucher_transfer(actor=chain.user("tier2"), pk=to_tier2.pk, recipient=chain.tier3.pk)
    assert (to_tier3.holder, to_tier3.tier, to_tier3.amount) == (chain.tier3, 3, Decimal("400000.00"))
    assert to_tier3.root_id == root.pk and to_tier3.receivable_id == root.receivable_id
    assert live_total(root) == root.amount
    # every part traces back to the confirmation
    trace = voucher_trace(actor=chain.user("tier3"), pk=to_tier3.pk)
    assert [v.pk for v in trace] == [to_tier3.pk, to_tier2.pk, root.pk]
    assert trace[-1].receivable.confirmation.fingerprint
    assert Notification.objects.filter(kind=notices.VOUCHER_RECEIVED, organization=chain.tier3).exists()


def test_splitting_more_than_a_part_holds_is_refused(chain):
    root = issued(chain, amount="1000.00")
    with pytest.raises(ValidationFailed) as caught:
        voucher_split(
            actor=chain.user("supplier"),
            pk=root.pk,
            parts=[{"amount": "600", "recipient": chain.tier2.pk}, {"amount": "400.01", "recipient": chain.tier3.pk}],
        )
    assert caught.value.code == "split_exceeds_amount"
    root.refresh_from_db()
    assert root.status == VoucherStatus.HELD and Voucher.objects.count() == 1


@pytest.mark.parametrize(
    "parts",
    [
        [],
        [{"amount": "0", "recipient": None}],
        [{"amount": "-1", "recipient": None}],
        [{"amount": "1000", "recipient": None}],
        [{"amount": "10", "recipient": 999999}],
        [{"amount": "10", "recipient": "bank"}],
        "10",
    ],
)
def test_bad_splits_change_nothing(chain, parts):
    root = issued(chain, amount="1000.00")
    with pytest.raises(ValidationFailed):
        voucher_split(actor=chain.user("supplier"), pk=root.pk, parts=parts)
    assert Voucher.objects.count() == 1


def test_a_bank_cannot_receive_a_voucher_part(chain):
    root = issued(chain, amount="1000.00")
    with pytest.raises(ValidationFailed):
        voucher_transfer(actor=chain.user("supplier"), pk=root.pk, recipient=chain.bank_a.pk)


def test_only_the_holder_splits_and_a_split_part_is_spent(chain):
    root = issued(chain)
    with pytest.raises(PermissionDenied):
        voucher_transfer(actor=chain.user("core"), pk=root.pk, recipient=chain.tier2.pk)
    with pytest.raises(NotFound):
        voucher_transfer(actor=chain.user("tier3"), pk=root.pk, recipient=chain.tier2.pk)
    with pytest.raises(PermissionDenied):
        voucher_transfer(actor=chain.member("supplier", Role.VIEWER), pk=root.pk, recipient=chain.tier2.pk)
    voucher_transfer(actor=chain.user("supplier"), pk=root.pk, recipient=chain.tier2.pk)
    with pytest.raises(Conflict) as caught:
        voucher_transfer(actor=chain.user("supplier"), pk=root.pk, recipient=chain.tier3.pk)
    assert caught.value.code == "voucher_not_held"


def test_parts_of_an_overdue_payable_stay_put(chain):
    root = issued(chain)
    Receivable.objects.filter(pk=root.receivable_id).update(is_overdue=True)
    with pytest.raises(Conflict) as caught:
        voucher_transfer(actor=chain.user("supplier"), pk=root.pk, recipient=chain.tier2.pk)
    assert caught.value.code == "overdue"


def test_a_part_is_financed_once_and_then_stays_with_the_funder(chain):
    root = issued(chain)
    part, _kept = voucher_split(
        actor=chain.user("supplier"), pk=root.pk, parts=[{"amount": "300000", "recipient": chain.tier2.pk}]
    )
    with pytest.raises(Conflict) as caught:  # the receivable itself is financed through its parts
        financing_request_create(
            actor=chain.user("supplier"), funder_ids=[chain.bank_a.pk], receivable_ids=[root.receivable_id]
        )
    assert caught.value.code == "voucher_issued"
    with pytest.raises(PermissionDenied):
        financing_request_create(actor=chain.user("supplier"), funder_ids=[chain.bank_a.pk], voucher_ids=[part.pk])
    request = financing_request_create(actor=chain.user("tier2"), funder_ids=[chain.bank_a.pk], voucher_ids=[part.pk])
    offer = FinancingOffer.objects.get(request=request)
    financing_offer_make(actor=chain.user("bank_a"), pk=offer.pk, data=OFFER)
    (registration,) = financing_offer_accept(actor=chain.user("tier2"), pk=offer.pk)
    assert (registration.voucher_id, registration.root_receivable_id) == (part.pk, root.receivable_id)
    assert registration.advance_amount == Decimal("270000.00")
    part.refresh_from_db()
    assert part.status == VoucherStatus.FINANCED
    with pytest.raises(Conflict) as caught:
        voucher_transfer(actor=chain.user("tier2"), pk=part.pk, recipient=chain.tier3.pk)
    assert caught.value.code == "already_financed"
    with pytest.raises(Conflict) as caught:
        financing_request_create(actor=chain.user("tier2"), funder_ids=[chain.bank_b.pk], voucher_ids=[part.pk])
    assert caught.value.code == "already_financed"
    # the funder sees the part it financed and the debtor is told to pay it
    assert voucher_get(actor=chain.user("bank_a"), pk=part.pk) == part
    assert Notification.objects.filter(kind=notices.RECEIVABLE_REGISTERED, organization=chain.core).exists()


def test_who_sees_which_part(chain):
    root = issued(chain)
    to_tier2, kept = voucher_split(
        actor=chain.user("supplier"), pk=root.pk, parts=[{"amount": "100", "recipient": chain.tier2.pk}]
    )
    to_tier3, tier2_kept = voucher_split(
        actor=chain.user("tier2"), pk=to_tier2.pk, parts=[{"amount": "40", "recipient": chain.tier3.pk}]
    )

    def seen(name):
        return set(voucher_list(actor=chain.user(name)).values_list("pk", flat=True))

    assert seen("supplier") == {root.pk, to_tier2.pk, kept.pk}
    assert seen("tier2") == {to_tier2.pk, to_tier3.pk, tier2_kept.pk}
    assert seen("tier3") == {to_tier3.pk}
    assert seen("core") == {root.pk, to_tier2.pk, kept.pk, to_tier3.pk, tier2_kept.pk}
    assert seen("district") == seen("core")
    assert seen("bank_a") == set()
    # tier 3 traces up but does not see the supplier's kept part
    assert voucher_get(actor=chain.user("tier3"), pk=root.pk) == root
    with pytest.raises(NotFound):
        voucher_get(actor=chain.user("tier3"), pk=kept.pk)
    with pytest.raises(NotFound):
        voucher_tree(actor=chain.user("tier2"), pk=root.pk)
    assert len(voucher_tree(actor=chain.user("core"), pk=to_tier3.pk)) == 5


# ---- property: any sequence of splits and transfers conserves the amount ------------------------------------

FIRMS = ("supplier", "supplier2", "tier2", "tier3", "outsider")
steps = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=50),  # which live part (index modulo the held parts)
        st.lists(
            st.tuples(st.integers(min_value=-5, max_value=400_000), st.sampled_from((None, *FIRMS))),
            min_size=1,
            max_size=4,
        ),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=steps)
def test_voucher_trees_always_conserve_the_issued_amount(chain, plan):
    from django.db import transaction

    with transaction.atomic():
        sid = transaction.savepoint()
        root = issued(chain, amount="1000000.00")
        for pick, parts in plan:
            held = list(
                Voucher.objects.filter(receivable_id=root.receivable_id, status=VoucherStatus.HELD).order_by("pk")
            )
            part = held[pick % len(held)]
            holder = next(name for name in FIRMS if chain.org(name).pk == part.holder_id)
            spec = [
                {"amount": str(Decimal(cents) / 100), "recipient": chain.org(r).pk if r else None} for cents, r in parts
            ]
            with contextlib.suppress(DomainError):
                voucher_split(actor=chain.user(holder), pk=part.pk, parts=spec)
            _assert_tree_conserved(root)
        transaction.savepoint_rollback(sid)


def _assert_tree_conserved(root):
    parts = list(Voucher.objects.filter(receivable_id=root.receivable_id))
    by_parent: dict[int, list[Voucher]] = {}
    for part in parts:
        if part.parent_id:
            by_parent.setdefault(part.parent_id, []).append(part)
        assert part.amount > 0
        assert part.root_id == root.pk and part.receivable_id == root.receivable_id
    for part in parts:
        children = by_parent.get(part.pk, [])
        if part.status == VoucherStatus.SPLIT:
            assert sum(c.amount for c in children) == part.amount
            assert all(c.tier == part.tier + (c.origin == VoucherOrigin.TRANSFERRED) for c in children)
        else:
            assert children == []
    live = [p for p in parts if p.status in LIVE_STATUSES]
    assert sum(p.amount for p in live) == root.amount
