"""Pages of supply-chain financing: the request form, the request with its answers and acceptance, the bank's
inbox and answer page (confirmation, registration search, offer or refusal), registrations and release."""

from __future__ import annotations

import pytest
from django.urls import reverse

from finbridge.accounts.choices import Role
from finbridge.supplychain.choices import FinancingRequestStatus, OfferStatus, ReceivableStatus, RegistrationStatus
from finbridge.supplychain.models import FinancingOffer, FinancingRequest, Registration
from finbridge.supplychain.tests.api.scenario import state
from finbridge.supplychain.tests.setup import make_receivable

pytestmark = pytest.mark.django_db

REQUESTS = reverse("supplychain:requests-list")
NEW = reverse("supplychain:requests-create")
OFFERS = reverse("supplychain:offers-list")
REGISTRATIONS = reverse("supplychain:registrations-list")
OFFER_FORM = {
    "advance_amount": "",
    "advance_ratio_percent": "80",
    "annual_rate_percent": "4.2",
    "fees": "300",
    "term_days": "90",
    "registration_kind": "transfer",
    "note": "",
}


def offer_url(name: str, offer) -> str:
    return reverse(f"supplychain:offers-{name}", args=[offer.pk])


def request_url(name: str, request) -> str:
    return reverse(f"supplychain:requests-{name}", args=[request.pk])


@pytest.mark.parametrize(
    ("name", "role", "page", "status"),
    [
        ("supplier", Role.STAFF, NEW, 200),
        ("supplier", Role.VIEWER, NEW, 403),
        ("bank_a", Role.STAFF, NEW, 403),
        ("district", Role.ADMIN, NEW, 403),
        ("supplier", Role.STAFF, REQUESTS, 200),
        ("bank_a", Role.STAFF, OFFERS, 200),
        ("district", Role.VIEWER, REGISTRATIONS, 200),
        ("guarantor", Role.ADMIN, REQUESTS, 403),
        ("guarantor", Role.ADMIN, OFFERS, 403),
    ],
)
def test_page_permissions(page_as, name, role, page, status):
    assert page_as(name, role).get(page).status_code == status


def test_the_request_form_offers_what_can_be_financed(page_as, world):
    html = page_as("supplier").get(NEW, {"receivable": world.confirmed.pk}).content.decode()
    assert f'value="{world.confirmed.pk}"' in html and "checked" in html
    assert f'name="receivables" value="{world.pending.pk}"' not in html  # not confirmed
    assert f'name="receivables" value="{world.requested.pk}"' not in html  # already requested
    assert f'name="vouchers" value="{world.voucher.pk}"' in html
    assert world.chain.bank_c.name_en in html


def test_send_a_request(page_as, world):
    chain = world.chain
    data = {
        "receivables": [world.confirmed.pk],
        "funders": [chain.bank_a.pk, chain.bank_c.pk],
        "amount_requested": "240,000",
        "respond_by": "",
        "note": "备货",
    }
    response = page_as("supplier").post(NEW, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    created = FinancingRequest.objects.exclude(pk=world.request.pk).get()
    assert response["Location"] == request_url("detail", created)
    assert created.amount_requested == 240000
    assert set(created.offers.values_list("funder_id", flat=True)) == {chain.bank_a.pk, chain.bank_c.pk}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"funders": []}, "funders"),
        ({"receivables": []}, None),
        ({"amount_requested": "9999999"}, "amount_requested"),
        ({"respond_by": "2020-01-01"}, "respond_by"),
        ({"receivables": ["999999"]}, "receivables"),
    ],
)
def test_bad_requests_show_errors_and_change_nothing(page_as, world, data, field):
    payload = {"receivables": [world.confirmed.pk], "funders": [world.chain.bank_a.pk], **data}
    before = state()
    response = page_as("supplier").post(NEW, payload)
    assert response.status_code in (400, 409)
    html = response.content.decode()
    assert 'data-testid="form-errors"' in html
    if field:
        assert f'data-testid="error-{field}"' in html
    assert state() == before


def test_the_requester_sees_every_answer_and_accepts_one(page_as, world):
    html = page_as("supplier").get(request_url("detail", world.request)).content.decode()
    assert html.count('data-testid="offer-answer"') == 2 and 'data-testid="accept-offer"' in html
    bank_view = page_as("bank_b").get(request_url("detail", world.request)).content.decode()
    assert bank_view.count('data-testid="offer-answer"') == 1 and 'data-testid="accept-offer"' not in bank_view
    assert page_as("bank_c").get(request_url("detail", world.request)).status_code == 404
    assert page_as("bank_a").post(offer_url("accept", world.offer_a)).status_code == 403
    response = page_as("supplier").post(offer_url("accept", world.offer_a))
    assert response.status_code == 302
    world.request.refresh_from_db()
    assert world.request.status == FinancingRequestStatus.ACCEPTED
    assert Registration.objects.get().funder == world.chain.bank_a
    before = state()
    again = page_as("supplier").post(offer_url("accept", world.offer_a))
    assert again.status_code == 409 and 'data-testid="action-error"' in again.content.decode()
    assert state() == before
    detail = page_as("core").get(reverse("supplychain:receivables-detail", args=[world.requested.pk])).content.decode()
    assert 'data-testid="registration-row"' in detail


def test_the_bank_answers_from_its_inbox(page_as, world):
    inbox = page_as("bank_b").get(OFFERS).content.decode()
    assert f'data-offer="{world.offer_b.pk}"' in inbox and f'data-offer="{world.offer_a.pk}"' not in inbox
    page = page_as("bank_b").get(offer_url("detail", world.offer_b)).content.decode()
    assert 'data-testid="offer-form"' in page and 'data-testid="registration-search"' in page
    assert world.requested.confirmation.fingerprint in page
    before = state()
    bad = page_as("bank_b").post(offer_url("make", world.offer_b), {**OFFER_FORM, "annual_rate_percent": "50"})
    assert bad.status_code == 400 and 'data-testid="error-annual_rate_percent"' in bad.content.decode()
    empty = page_as("bank_b").post(offer_url("make", world.offer_b), {**OFFER_FORM, "advance_ratio_percent": ""})
    assert empty.status_code == 400 and 'data-testid="error-advance_amount"' in empty.content.decode()
    assert state() == before
    assert page_as("bank_b").post(offer_url("make", world.offer_b), OFFER_FORM).status_code == 302
    offer = FinancingOffer.objects.get(pk=world.offer_b.pk)
    assert (
        offer.status == OfferStatus.OFFERED and offer.advance_amount == 160000 and str(offer.annual_rate) == "0.042000"
    )
    answered = page_as("bank_b").get(offer_url("detail", offer)).content.decode()
    assert 'data-testid="your-answer"' in answered and "4.20%" in answered
    assert page_as("bank_b").post(offer_url("withdraw", offer)).status_code == 302
    assert FinancingOffer.objects.get(pk=offer.pk).status == OfferStatus.WITHDRAWN


def test_refusal_needs_a_reason(page_as, world):
    before = state()
    response = page_as("bank_b").post(offer_url("refuse", world.offer_b), {"reason": ""})
    assert response.status_code == 400 and 'data-testid="error-reason"' in response.content.decode()
    assert state() == before
    assert page_as("bank_b").post(offer_url("refuse", world.offer_b), {"reason": "行业限额"}).status_code == 302
    assert FinancingOffer.objects.get(pk=world.offer_b.pk).status == OfferStatus.REFUSED


def test_others_cannot_answer(page_as, world):
    before = state()
    assert page_as("bank_a").get(offer_url("detail", world.offer_b)).status_code == 404
    assert page_as("bank_a").post(offer_url("make", world.offer_b), OFFER_FORM).status_code == 404
    assert page_as("supplier").post(offer_url("make", world.offer_b), OFFER_FORM).status_code == 403
    assert page_as("bank_b", Role.VIEWER).post(offer_url("refuse", world.offer_b), {"reason": "x"}).status_code == 403
    assert state() == before


def test_withdraw_a_request(page_as, world):
    assert page_as("bank_a").post(request_url("withdraw", world.request)).status_code == 403
    assert page_as("supplier").post(request_url("withdraw", world.request)).status_code == 302
    world.request.refresh_from_db()
    assert world.request.status == FinancingRequestStatus.WITHDRAWN
    again = page_as("supplier").post(request_url("withdraw", world.request))
    assert again.status_code == 409


def test_registrations_and_release(page_as, world):
    page_as("supplier").post(offer_url("accept", world.offer_a))
    registration = Registration.objects.get()
    html = page_as("bank_a").get(REGISTRATIONS).content.decode()
    assert registration.number in html and 'data-testid="release"' in html
    assert 'data-testid="release"' not in page_as("core").get(REGISTRATIONS).content.decode()
    release = reverse("supplychain:registrations-release", args=[registration.pk])
    assert page_as("outsider").post(release).status_code == 404
    assert page_as("core").post(release).status_code == 403
    assert page_as("bank_a").post(release).status_code == 302
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.RELEASED
    world.requested.refresh_from_db()
    assert world.requested.status == ReceivableStatus.CONFIRMED
    partial = page_as("bank_a").get(REGISTRATIONS, {"status": "released"}, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and "<html" not in partial.content.decode()


def test_lists_by_status_and_in_chinese(page_as, world):
    for page in (REQUESTS, OFFERS, REGISTRATIONS):
        for params in ({}, {"status": "open"}, {"status": "bogus"}):
            assert page_as("supplier").get(page, params).status_code == 200
    html = page_as("bank_a").get(offer_url("detail", world.offer_a), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'lang="zh-hans"' in html and "万元" in html
    overdue = make_receivable(world.chain, status=ReceivableStatus.CONFIRMED, is_overdue=True)
    assert f'name="receivables" value="{overdue.pk}"' not in page_as("supplier").get(NEW).content.decode()
