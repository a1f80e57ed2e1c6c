"""Pages of payment vouchers: the list, a part with its trace and (debtor, authority) the whole tree, split and
pass on by credit code; others' parts answer 404, bad input shows errors and changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from finbridge.accounts.choices import Role
from finbridge.supplychain.choices import VoucherStatus
from finbridge.supplychain.models import Voucher
from finbridge.supplychain.tests.api.scenario import state

pytestmark = pytest.mark.django_db

LIST = reverse("supplychain:vouchers-list")


def url(name: str, voucher) -> str:
    return reverse(f"supplychain:vouchers-{name}", args=[voucher.pk])


def split_form(*rows):
    data = {
        "split-TOTAL_FORMS": "4",
        "split-INITIAL_FORMS": "0",
        "split-MIN_NUM_FORMS": "0",
        "split-MAX_NUM_FORMS": "4",
    }
    for index, (amount, uscc) in enumerate(rows):
        data[f"split-{index}-amount"] = amount
        data[f"split-{index}-recipient_uscc"] = uscc
    return data


def live_total(root) -> Decimal:
    parts = Voucher.objects.filter(receivable=root.receivable).exclude(status=VoucherStatus.SPLIT)
    return sum((p.amount for p in parts), Decimal("0"))


@pytest.mark.parametrize(
    ("name", "role", "status"),
    [
        ("supplier", Role.STAFF, 200),
        ("core", Role.VIEWER, 200),
        ("district", Role.VIEWER, 200),
        ("guarantor", Role.ADMIN, 403),
    ],
)
def test_list_permissions(page_as, name, role, status):
    assert page_as(name, role).get(LIST).status_code == status


def test_the_holder_sees_its_part_with_the_trace(page_as, world):
    html = page_as("supplier").get(LIST).content.decode()
    assert f'data-voucher="{world.voucher.pk}"' in html
    detail = page_as("supplier").get(url("detail", world.voucher)).content.decode()
    assert 'data-testid="split-form"' in detail and 'data-testid="transfer-form"' in detail
    assert world.payable.confirmation.fingerprint in detail
    assert 'data-testid="tree"' not in detail  # the whole tree is for the debtor and the authority
    for language in ("en", "zh-hans"):
        response = page_as("core").get(url("detail", world.voucher), HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200 and 'data-testid="tree"' in response.content.decode()
        assert 'data-testid="split-form"' not in response.content.decode()


def test_split_and_pass_down_the_chain(page_as, world):
    chain = world.chain
    response = page_as("supplier").post(
        url("split", world.voucher), split_form(("200,000", chain.uscc("tier2")), ("50000", ""))
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    tier2_part = Voucher.objects.get(holder=chain.tier2)
    assert tier2_part.tier == 2 and tier2_part.amount == 200000
    assert live_total(world.voucher) == Decimal("500000.00")
    response = page_as("tier2").post(url("transfer", tier2_part), {"recipient_uscc": chain.uscc("tier3")})
    assert response.status_code == 302
    tier3_part = Voucher.objects.get(holder=chain.tier3)
    html = page_as("tier3").get(url("detail", tier3_part)).content.decode()
    assert html.count('data-testid="trace-part"') == 3
    assert (
        page_as("tier3").get(url("detail", Voucher.objects.get(holder=chain.supplier, amount=50000))).status_code == 404
    )
    tree = page_as("core").get(url("detail", world.voucher)).content.decode()
    assert tree.count('data-testid="tree-node"') == len(Voucher.objects.filter(receivable=world.payable))


@pytest.mark.parametrize(
    "rows",
    [
        (("600000", "tier2"),),
        (("300000", "tier2"), ("300000", "")),
        (("1000", "unregistered"),),
        (("1000", "91440300MA5EXAMPL0"),),
        (("abc", "tier2"),),
        (),
    ],
)
def test_bad_splits_show_errors_and_change_nothing(page_as, world, rows):
    chain = world.chain
    rows = tuple((a, chain.uscc(u) if u in ("tier2", "unregistered") else u) for a, u in rows)
    before = state()
    response = page_as("supplier").post(url("split", world.voucher), split_form(*rows))
    assert response.status_code == 400, response.content.decode()[:2000]
    html = response.content.decode()
    assert 'data-testid="action-error"' in html or 'data-testid="form-errors"' in html
    assert state() == before


def test_transfer_needs_a_known_supplier(page_as, world):
    before = state()
    for code in ("", world.chain.uscc("unregistered"), "nonsense"):
        response = page_as("supplier").post(url("transfer", world.voucher), {"recipient_uscc": code})
        assert response.status_code == 400
        assert 'data-testid="error-recipient_uscc"' in response.content.decode()
    assert state() == before


def test_others_cannot_act_on_the_part(page_as, world):
    before = state()
    assert page_as("outsider").get(url("detail", world.voucher)).status_code == 404
    assert page_as("outsider").post(url("transfer", world.voucher), {"recipient_uscc": "x"}).status_code == 404
    assert (
        page_as("core").post(url("transfer", world.voucher), {"recipient_uscc": world.chain.uscc("tier2")}).status_code
        == 403
    )
    assert page_as("district", Role.ADMIN).post(url("split", world.voucher), split_form()).status_code == 403
    assert state() == before
