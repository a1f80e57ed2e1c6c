"""Permission matrix of the receivables side: supplier (creditor), debtor, funder, district authority, an
outsider firm and a viewer, against every write service and the selectors' row visibility."""

from __future__ import annotations

import pytest

from finbridge.accounts.choices import Role
from finbridge.core.errors import NotFound, PermissionDenied
from finbridge.supplychain.choices import ReceivableStatus
from finbridge.supplychain.models import FinancingOffer
from finbridge.supplychain.selectors.financing import financing_request_list, registration_list
from finbridge.supplychain.selectors.receivables import receivable_get, receivable_list
from finbridge.supplychain.services.confirmation import receivable_confirm, receivable_dispute
from finbridge.supplychain.services.financing import (
    financing_offer_accept,
    financing_offer_make,
    financing_request_create,
)
from finbridge.supplychain.services.receivables import receivable_withdraw
from finbridge.supplychain.services.settlement import receivable_settle
from finbridge.supplychain.services.vouchers import voucher_issue
from finbridge.supplychain.tests.setup import build_chain, make_receivable

pytestmark = pytest.mark.django_db
OFFER = {"advance_ratio": "0.8", "annual_rate": "0.045", "term_days": 90, "registration_kind": "pledge"}
ACTORS = {
    "supplier": ("supplier", Role.STAFF),
    "supplier_viewer": ("supplier", Role.VIEWER),
    "debtor": ("core", Role.STAFF),
    "funder": ("bank_a", Role.STAFF),
    "other_funder": ("bank_c", Role.STAFF),
    "authority": ("district", Role.ADMIN),
    "outsider": ("outsider", Role.ADMIN),
    "industry": ("ia", Role.ADMIN),
}
OK, DENIED, HIDDEN = "ok", PermissionDenied, NotFound


def _world():
    chain = build_chain()
    pending = make_receivable(chain)
    confirmed = make_receivable(chain, status=ReceivableStatus.CONFIRMED)
    request = financing_request_create(
        actor=chain.user("supplier"), funder_ids=[chain.bank_a.pk, chain.bank_b.pk], receivable_ids=[confirmed.pk]
    )
    offer = FinancingOffer.objects.get(request=request, funder=chain.bank_a)
    return chain, pending, confirmed, request, offer


def _actor(chain, who):
    name, role = ACTORS[who]
    return chain.member(name, role)


SERVICES = {
    "confirm": lambda chain, actor, w: receivable_confirm(actor=actor, pk=w["pending"].pk),
    "dispute": lambda chain, actor, w: receivable_dispute(actor=actor, pk=w["pending"].pk, reason="x"),
    "withdraw": lambda chain, actor, w: receivable_withdraw(actor=actor, pk=w["pending"].pk),
    "issue_voucher": lambda chain, actor, w: voucher_issue(actor=actor, receivable_id=w["free"].pk),
    "request": lambda chain, actor, w: financing_request_create(
        actor=actor, funder_ids=[chain.bank_a.pk], receivable_ids=[w["free"].pk]
    ),
    "offer": lambda chain, actor, w: financing_offer_make(actor=actor, pk=w["offer"].pk, data=OFFER),
    "settle": lambda chain, actor, w: receivable_settle(actor=actor, pk=w["free"].pk),
}
# expected outcome per service and actor (ok, PermissionDenied, NotFound)
EXPECTED = {
    "confirm": {
        "supplier": DENIED,
        "supplier_viewer": DENIED,
        "debtor": OK,
        "funder": HIDDEN,
        "other_funder": HIDDEN,
        "authority": DENIED,
        "outsider": HIDDEN,
        "industry": HIDDEN,
    },
    "dispute": {
        "supplier": DENIED,
        "supplier_viewer": DENIED,
        "debtor": OK,
        "funder": HIDDEN,
        "other_funder": HIDDEN,
        "authority": DENIED,
        "outsider": HIDDEN,
        "industry": HIDDEN,
    },
    "withdraw": {
        "supplier": OK,
        "supplier_viewer": DENIED,
        "debtor": DENIED,
        "funder": HIDDEN,
        "other_funder": HIDDEN,
        "authority": DENIED,
        "outsider": HIDDEN,
        "industry": HIDDEN,
    },
    "issue_voucher": {
        "supplier": DENIED,
        "supplier_viewer": DENIED,
        "debtor": OK,
        "funder": HIDDEN,
        "other_funder": HIDDEN,
        "authority": DENIED,
        "outsider": HIDDEN,
        "industry": HIDDEN,
    },
    "request": {
        "supplier": OK,
        "supplier_viewer": DENIED,
        "debtor": DENIED,
        "funder": DENIED,
        "other_funder": DENIED,
        "authority": DENIED,
        "outsider": HIDDEN,
        "industry": DENIED,
    },
    "offer": {
        "supplier": DENIED,
        "supplier_viewer": DENIED,
        "debtor": HIDDEN,
        "funder": OK,
        "other_funder": HIDDEN,
        "authority": DENIED,
        "outsider": HIDDEN,
        "industry": HIDDEN,
    },
    "settle": {
        "supplier": DENIED,
        "supplier_viewer": DENIED,
        "debtor": OK,
        "funder": HIDDEN,
        "other_funder": HIDDEN,
        "authority": DENIED,
        "outsider": HIDDEN,
        "industry": HIDDEN,
    },
}


@pytest.mark.parametrize("who", list(ACTORS))
@pytest.mark.parametrize("service", list(SERVICES))
def test_write_matrix(service, who):
    chain, pending, confirmed, request, offer = _world()
    free = make_receivable(chain, status=ReceivableStatus.CONFIRMED)
    world = {"pending": pending, "free": free, "offer": offer}
    expected = EXPECTED[service][who]
    actor = _actor(chain, who)
    if expected == OK:
        SERVICES[service](chain, actor, world)
    else:
        with pytest.raises(expected):
            SERVICES[service](chain, actor, world)


@pytest.mark.parametrize("who", list(ACTORS))
def test_accept_matrix(who):
    chain, _pending, _confirmed, _request, offer = _world()
    financing_offer_make(actor=chain.user("bank_a"), pk=offer.pk, data=OFFER)
    actor = _actor(chain, who)
    expected = {"supplier": OK, "debtor": HIDDEN, "other_funder": HIDDEN, "outsider": HIDDEN, "industry": HIDDEN}
    outcome = expected.get(who, DENIED)
    if outcome == OK:
        financing_offer_accept(actor=actor, pk=offer.pk)
    else:
        with pytest.raises(outcome):
            financing_offer_accept(actor=actor, pk=offer.pk)


def test_visibility_matrix():
    chain, pending, confirmed, request, offer = _world()
    other = make_receivable(chain, creditor="supplier2", debtor="core2")

    def ids(who):
        return set(receivable_list(actor=_actor(chain, who)).values_list("pk", flat=True))

    assert ids("supplier") == ids("supplier_viewer") == {pending.pk, confirmed.pk}
    assert ids("debtor") == {pending.pk, confirmed.pk}
    assert ids("funder") == {confirmed.pk}  # asked to finance it; never the pending one
    assert ids("other_funder") == set()
    assert ids("authority") == {pending.pk, confirmed.pk, other.pk}
    assert ids("outsider") == ids("industry") == set()
    with pytest.raises(NotFound):
        receivable_get(actor=_actor(chain, "funder"), pk=pending.pk)
    assert receivable_get(actor=_actor(chain, "funder"), pk=confirmed.pk) == confirmed
    assert receivable_list(actor=_actor(chain, "supplier"), side="debtor").count() == 0
    assert receivable_list(actor=_actor(chain, "debtor"), side="debtor").count() == 2
    assert set(financing_request_list(actor=_actor(chain, "funder"))) == {request}
    assert not financing_request_list(actor=_actor(chain, "other_funder")).exists()
    assert not registration_list(actor=_actor(chain, "outsider")).exists()


def test_allowed_actions_guide_pages_and_api():
    from finbridge.supplychain.selectors.financing import financing_offer_allowed_actions
    from finbridge.supplychain.selectors.receivables import receivable_allowed_actions
    from finbridge.supplychain.selectors.vouchers import voucher_allowed_actions

    chain, pending, confirmed, request, offer = _world()

    def actions(who, receivable):
        return receivable_allowed_actions(actor=_actor(chain, who), receivable=receivable)

    assert actions("debtor", pending) == {"confirm", "dispute"}
    assert actions("supplier", pending) == {"correct", "add_document", "withdraw"}
    assert actions("supplier_viewer", pending) == actions("authority", pending) == actions("funder", pending) == set()
    free = make_receivable(chain, status=ReceivableStatus.CONFIRMED)
    assert actions("supplier", free) == {"request_financing"}
    assert actions("debtor", free) == {"issue_voucher", "settle"}
    assert financing_offer_allowed_actions(actor=_actor(chain, "funder"), offer=offer) == {"make", "refuse"}
    assert financing_offer_allowed_actions(actor=_actor(chain, "supplier"), offer=offer) == set()
    financing_offer_make(actor=_actor(chain, "funder"), pk=offer.pk, data=OFFER)
    offer.refresh_from_db()
    assert financing_offer_allowed_actions(actor=_actor(chain, "supplier"), offer=offer) == {"accept"}
    assert financing_offer_allowed_actions(actor=_actor(chain, "funder"), offer=offer) == {"make", "refuse", "withdraw"}
    voucher = voucher_issue(actor=_actor(chain, "debtor"), receivable_id=free.pk)
    assert voucher_allowed_actions(actor=_actor(chain, "supplier"), voucher=voucher) == {
        "split",
        "transfer",
        "request_financing",
    }
    assert voucher_allowed_actions(actor=_actor(chain, "debtor"), voucher=voucher) == set()
