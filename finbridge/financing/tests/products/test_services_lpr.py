"""lpr_set: who may record the LPR, what is accepted, corrections, audit, and re-matching."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from finbridge.accounts.choices import Role
from finbridge.audit.models import AuditEvent
from finbridge.core.errors import PermissionDenied, ValidationFailed
from finbridge.financing.choices import LprTerm, ProductStatus, RateType
from finbridge.financing.models import LprRate
from finbridge.financing.rates import lpr_rate_on
from finbridge.financing.services.lpr import lpr_reprice_due, lpr_set
from finbridge.financing.tests.products.conftest import make_product

pytestmark = pytest.mark.django_db


def _state():
    return sorted(LprRate.objects.values_list("term", "effective_on", "rate")), AuditEvent.objects.count()


def test_the_authority_admin_records_a_new_rate_in_force_from_its_date(world):
    admin = world.user("district", Role.ADMIN)
    today = timezone.localdate()
    row, created = lpr_set(actor=admin, term="1y", effective_on=today.isoformat(), rate="0.0290")
    assert created
    assert (row.term, row.effective_on, row.rate) == ("1y", today, Decimal("0.029000"))
    assert lpr_rate_on(LprTerm.ONE_YEAR, today) == Decimal("0.029000")
    assert lpr_rate_on(LprTerm.ONE_YEAR, today - datetime.timedelta(days=1)) == Decimal("0.0300")
    event = AuditEvent.objects.get(action="lpr_set")
    assert event.actor == admin and event.before is None and event.after["rate"] == "0.029000"


def test_recording_the_same_term_and_date_corrects_the_rate(world):
    admin = world.user("district", Role.ADMIN)
    row, created = lpr_set(actor=admin, term="5y", effective_on=datetime.date(2025, 5, 20), rate=Decimal("0.0351"))
    assert not created and row.rate == Decimal("0.035100")
    assert LprRate.objects.filter(term="5y", effective_on=datetime.date(2025, 5, 20)).count() == 1
    event = AuditEvent.objects.get(action="lpr_set")
    assert (event.before["rate"], event.after["rate"]) == ("0.035000", "0.035100")


def test_recording_an_unchanged_rate_writes_nothing(world):
    admin = world.user("district", Role.ADMIN)
    before = _state()
    row, created = lpr_set(actor=admin, term="1y", effective_on="2025-05-20", rate="0.03")
    assert not created and row.rate == Decimal("0.030000")
    assert _state() == before


@pytest.mark.parametrize(
    ("org", "role"),
    [
        ("district", Role.STAFF),
        ("district", Role.REVIEWER),
        ("district", Role.VIEWER),
        ("industry", Role.ADMIN),
        ("subdistrict_office", Role.ADMIN),
        ("bank_head", Role.ADMIN),
        ("guarantor", Role.ADMIN),
        ("msme", Role.ADMIN),
    ],
)
def test_only_the_district_authority_admin_may_record_it(world, org, role):
    before = _state()
    with pytest.raises(PermissionDenied):
        lpr_set(actor=world.user(org, role), term="1y", effective_on="2025-06-20", rate="0.03")
    assert _state() == before


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"term": "10y"}, "term"),
        ({"term": ""}, "term"),
        ({"effective_on": "2019-08-19"}, "effective_on"),  # before the reformed LPR
        ({"effective_on": "20-06-2025"}, "effective_on"),
        ({"effective_on": None}, "effective_on"),
        ({"effective_on": "2099-01-01"}, "effective_on"),  # too far ahead
        ({"rate": "0"}, "rate"),
        ({"rate": "-0.01"}, "rate"),
        ({"rate": "0.25"}, "rate"),  # 25%: a percentage typed as a fraction's place
        ({"rate": "3.0"}, "rate"),  # 300%
        ({"rate": "three"}, "rate"),
        ({"rate": ""}, "rate"),
        ({"rate": True}, "rate"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(world, values, field):
    admin = world.user("district", Role.ADMIN)
    data = {"term": "1y", "effective_on": "2025-06-20", "rate": "0.03", **values}
    before = _state()
    with pytest.raises(ValidationFailed) as caught:
        lpr_set(actor=admin, **data)
    assert set(caught.value.fields) == {field}
    assert _state() == before


def test_a_change_of_todays_one_year_rate_rematches_floating_products(
    world, matching_calls, django_capture_on_commit_callbacks
):
    floating = make_product(
        world.bank_branch, rate_type=RateType.LPR_SPREAD, fixed_rate=None, lpr_spread=Decimal("0.005")
    )
    make_product(world.bank_branch, fixed_rate=Decimal("0.04"))  # fixed: not affected
    make_product(
        world.bank_branch,
        status=ProductStatus.DRAFT,
        rate_type=RateType.LPR_SPREAD,
        fixed_rate=None,
        lpr_spread=Decimal("0.005"),
    )
    admin = world.user("district", Role.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        lpr_set(actor=admin, term="1y", effective_on=timezone.localdate(), rate="0.0295")
    assert matching_calls == [floating.pk]


@pytest.mark.parametrize(
    ("term", "day"),
    [("5y", "today"), ("1y", "2024-01-20"), ("1y", "future")],
)
def test_changes_that_leave_todays_one_year_rate_alone_rematch_nothing(
    world, matching_calls, django_capture_on_commit_callbacks, term, day
):
    make_product(world.bank_branch, rate_type=RateType.LPR_SPREAD, fixed_rate=None, lpr_spread=Decimal("0.005"))
    today = timezone.localdate()
    effective_on = {"today": today, "future": today + datetime.timedelta(days=10)}.get(day, day)
    with django_capture_on_commit_callbacks(execute=True):
        lpr_set(actor=world.user("district", Role.ADMIN), term=term, effective_on=effective_on, rate="0.0333")
    assert matching_calls == []


def test_a_rate_entered_ahead_reprices_floating_products_on_its_day_only(world, matching_calls):
    floating = make_product(
        world.bank_branch, rate_type=RateType.LPR_SPREAD, fixed_rate=None, lpr_spread=Decimal("0.005")
    )
    make_product(world.bank_branch, fixed_rate=Decimal("0.04"))  # fixed: not affected
    today = timezone.localdate()
    admin = world.user("district", Role.ADMIN)
    lpr_set(actor=admin, term="1y", effective_on=today - datetime.timedelta(days=40), rate="0.0310")
    lpr_set(actor=admin, term="1y", effective_on=today + datetime.timedelta(days=3), rate="0.0295")
    matching_calls.clear()

    assert lpr_reprice_due(today=today) == 0  # the rate in force is the same as yesterday's
    assert lpr_reprice_due(today=today + datetime.timedelta(days=3)) == 1
    assert lpr_reprice_due(today=today + datetime.timedelta(days=4)) == 0
    assert matching_calls == [floating.pk]


def test_a_new_publication_with_the_same_rate_reprices_nothing(world, matching_calls):
    make_product(world.bank_branch, rate_type=RateType.LPR_SPREAD, fixed_rate=None, lpr_spread=Decimal("0.005"))
    today = timezone.localdate()
    admin = world.user("district", Role.ADMIN)
    lpr_set(actor=admin, term="1y", effective_on=today - datetime.timedelta(days=30), rate="0.0300")
    lpr_set(actor=admin, term="1y", effective_on=today, rate="0.0300")
    matching_calls.clear()
    assert lpr_reprice_due(today=today) == 0
    assert matching_calls == []
