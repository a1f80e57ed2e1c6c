"""The vouchers API: issue, split and pass on to tier-2/3 suppliers, trace to the confirmation, the whole tree
for the debtor and the authority; amounts are conserved and bad input changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from finbridge.accounts.choices import Role
from finbridge.supplychain.choices import ReceivableStatus, VoucherStatus
from finbridge.supplychain.models import Voucher
from finbridge.supplychain.tests.api.conftest import API
from finbridge.supplychain.tests.api.scenario import state
from finbridge.supplychain.tests.setup import make_receivable

pytestmark = pytest.mark.django_db

VOUCHERS = f"{API}/vouchers/"


def url(voucher, suffix: str = "") -> str:
    return f"{VOUCHERS}{voucher.pk}/{suffix}"


def live_total(voucher) -> Decimal:
    return sum(
        (
            v.amount
            for v in Voucher.objects.filter(root=voucher.root_id or voucher.pk).exclude(status=VoucherStatus.SPLIT)
        ),
        Decimal("0"),
    )


def test_issue_through_the_vouchers_endpoint(as_party, world):
    receivable = make_receivable(world.chain, status=ReceivableStatus.CONFIRMED, amount="60000.00")
    before = state()
    assert as_party("core").post(VOUCHERS, {}, format="json").status_code == 400
    assert as_party("supplier").post(VOUCHERS, {"receivable": receivable.pk}, format="json").status_code == 403
    assert as_party("core").post(VOUCHERS, {"receivable": world.pending.pk}, format="json").status_code == 409
    assert state() == before
    response = as_party("core").post(VOUCHERS, {"receivable": receivable.pk}, format="json")
    assert response.status_code == 201 and response.json()["amount"] == "60000.00"


def test_split_pass_on_and_trace_down_to_tier_three(as_party, world):
    chain = world.chain
    response = as_party("supplier").post(
        url(world.voucher, "split/"),
        {"parts": [{"amount": "200000.00", "recipient_uscc": chain.uscc("tier2")}, {"amount": "100000.00"}]},
        format="json",
    )
    assert response.status_code == 201, response.content
    parts = response.json()
    assert [(p["holder"]["id"], p["tier"], p["amount"]) for p in parts] == [
        (chain.tier2.pk, 2, "200000.00"),
        (chain.supplier.pk, 1, "100000.00"),
        (chain.supplier.pk, 1, "200000.00"),  # the remainder is kept
    ]
    assert live_total(world.voucher) == Decimal("500000.00")
    tier2_part = Voucher.objects.get(pk=parts[0]["id"])
    response = as_party("tier2").post(url(tier2_part, "transfer/"), {"recipient": chain.tier3.pk}, format="json")
    assert response.status_code == 201 and response.json()["tier"] == 3
    tier3_part = Voucher.objects.get(pk=response.json()["id"])
    trace = as_party("tier3").get(url(tier3_part, "trace/")).json()
    assert [p["tier"] for p in trace["parts"]] == [3, 2, 1]
    assert trace["parts"][-1]["id"] == world.voucher.pk
    assert trace["confirmation"]["fingerprint"] == world.payable.confirmation.fingerprint
    # tier3 may not see the whole tree nor the parts passed to others; the debtor sees the whole tree.
    assert as_party("tier3").get(url(world.voucher, "tree/")).status_code == 404
    assert as_party("tier3").get(url(Voucher.objects.get(pk=parts[1]["id"]))).status_code == 404
    tree = as_party("core").get(url(tier3_part, "tree/")).json()
    assert len(tree) == 1 and tree[0]["part"]["id"] == world.voucher.pk
    assert len(tree[0]["children"]) == 3
    assert as_party("district", Role.VIEWER).get(url(world.voucher, "tree/")).status_code == 200
    assert live_total(world.voucher) == Decimal("500000.00")


@pytest.mark.parametrize(
    "parts",
    [
        [{"amount": "600000.00", "recipient_uscc": "tier2"}],  # more than it holds
        [{"amount": "300000.00", "recipient_uscc": "tier2"}, {"amount": "300000.00"}],
        [{"amount": "-1", "recipient_uscc": "tier2"}],
        [{"amount": "1000.00", "recipient_uscc": "unregistered"}],
        [{"amount": "1000.00", "recipient_uscc": "91440300MA5EXAMPL0"}],
        [],
        "lots",
    ],
)
def test_bad_splits_change_nothing(as_party, world, parts):
    chain = world.chain
    if isinstance(parts, list):
        parts = [
            {**p, "recipient_uscc": chain.uscc(p["recipient_uscc"])}
            if p.get("recipient_uscc") in ("tier2", "unregistered")
            else p
            for p in parts
        ]
    before = state()
    response = as_party("supplier").post(url(world.voucher, "split/"), {"parts": parts}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["fields"]
    assert state() == before


def test_split_exceeding_has_its_code(as_party, world):
    response = as_party("supplier").post(
        url(world.voucher, "split/"),
        {"parts": [{"amount": "500000.01", "recipient": world.chain.tier2.pk}]},
        format="json",
    )
    assert response.status_code == 400 and response.json()["code"] == "split_exceeds_amount"


def test_only_the_holder_splits_and_hidden_parts_answer_404(as_party, world):
    before = state()
    payload = {"parts": [{"amount": "1000.00", "recipient": world.chain.tier2.pk}]}
    assert as_party("core").post(url(world.voucher, "split/"), payload, format="json").status_code == 403
    assert as_party("outsider").post(url(world.voucher, "split/"), payload, format="json").status_code == 404
    assert as_party("outsider").get(url(world.voucher)).status_code == 404
    assert as_party("outsider").get(url(world.voucher, "trace/")).status_code == 404
    assert as_party("supplier", Role.VIEWER).post(url(world.voucher, "transfer/"), {"recipient": 1}).status_code == 403
    assert state() == before


def test_a_part_passed_on_cannot_be_passed_again(as_party, world):
    as_party("supplier").post(url(world.voucher, "transfer/"), {"recipient": world.chain.tier2.pk}, format="json")
    before = state()
    response = as_party("supplier").post(
        url(world.voucher, "transfer/"), {"recipient": world.chain.tier3.pk}, format="json"
    )
    assert response.status_code in (403, 409)
    assert state() == before


def test_list_filters(as_party, world):
    client = as_party("supplier")
    assert [row["id"] for row in client.get(VOUCHERS).json()["results"]] == [world.voucher.pk]
    assert client.get(VOUCHERS, {"status": "split"}).json()["count"] == 0
    assert client.get(VOUCHERS, {"live": "true"}).json()["count"] == 1
    assert client.get(VOUCHERS, {"status": "bogus"}).json()["count"] == 0
    assert as_party("bank_a").get(VOUCHERS).json()["count"] == 0
