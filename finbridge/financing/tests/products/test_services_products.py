"""Product services: create, update, publish, withdraw — rules, permissions, transitions, audit, matching."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from finbridge.accounts.choices import Role
from finbridge.audit.models import AuditEvent
from finbridge.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from finbridge.financing.choices import ProductKind, ProductStatus, RateType
from finbridge.financing.models import LprRate, Product
from finbridge.financing.services.products import (
    product_create,
    product_publish,
    product_update,
    product_withdraw,
)
from finbridge.financing.tests.products.conftest import guarantee_data, loan_data, make_product

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def state() -> tuple[Any, ...]:
    """Everything a failed call must leave unchanged."""
    products = sorted((p["id"], tuple(sorted((k, str(v)) for k, v in p.items()))) for p in Product.objects.values())
    related = sorted(
        (
            p.pk,
            tuple(p.eligible_clusters.values_list("pk", flat=True)),
            tuple(p.eligible_subdistricts.values_list("pk", flat=True)),
        )
        for p in Product.objects.all()
    )
    return products, related, AuditEvent.objects.count(), Product.history.count()


# ---- create ------------------------------------------------------------------------------------------------


def test_create_a_fixed_rate_loan_as_a_draft(world):
    staff = world.user("bank_branch")
    product = product_create(actor=staff, provider=world.bank_branch, data=loan_data())
    product.refresh_from_db()
    assert product.status == ProductStatus.DRAFT
    assert product.provider == world.bank_branch
    assert product.created_by == staff
    assert (product.amount_min, product.amount_max) == (Decimal("500000.00"), Decimal("5000000.00"))
    assert (product.term_min_months, product.term_max_months) == (6, 36)
    assert (product.rate_type, product.fixed_rate, product.lpr_spread) == ("fixed", Decimal("0.038500"), None)
    assert product.published_at is None
    event = AuditEvent.objects.get(action="product_create")
    assert event.actor == staff and event.before is None and event.after["name"] == "科创信用贷"
    assert product.history.first().history_user == staff


def test_create_with_every_field(world):
    data = loan_data(
        kind=ProductKind.IP_PLEDGE,
        rate_type=RateType.LPR_SPREAD,
        fixed_rate=None,
        lpr_spread="-0.001",
        fee_rate="0.002",
        fees_note="评估费",
        collateral_required=["ip", "receivables", "ip"],
        guarantee_required=True,
        suits_first_time_borrowers="yes",
        allows_renewal_without_repayment=True,
        eligible_size_classes="micro, small",
        eligible_industries=["c36", " I65 "],
        eligible_clusters=["nev-icv"],
        required_labels=["srdi", "little_giant"],
        eligible_subdistricts="440310001、440310002",
        min_years_in_operation="3",
        min_annual_revenue="5,000,000",
        msme_exclusive=False,
        valid_from="2025-02-01",
        valid_until="2026-01-31",
    )
    product = product_create(actor=world.user("bank_scitech"), provider=world.bank_scitech, data=data)
    product.refresh_from_db()
    assert product.lpr_spread == Decimal("-0.001000") and product.fixed_rate is None
    assert product.fee_rate == Decimal("0.002000") and product.fees_note == "评估费"
    assert product.collateral_required == ["ip", "receivables"]
    assert product.guarantee_required and product.suits_first_time_borrowers
    assert product.allows_renewal_without_repayment and not product.msme_exclusive
    assert product.eligible_size_classes == ["micro", "small"]
    assert product.eligible_industries == ["C36", "I65"]
    assert [c.code for c in product.eligible_clusters.all()] == ["nev-icv"]
    assert product.required_labels == ["srdi", "little_giant"]
    assert sorted(s.code for s in product.eligible_subdistricts.all()) == ["440310001", "440310002"]
    assert product.min_years_in_operation == 3 and product.min_annual_revenue == Decimal("5000000.00")
    assert (product.valid_from, product.valid_until) == (datetime.date(2025, 2, 1), datetime.date(2026, 1, 31))


def test_a_guarantee_agency_creates_a_guarantee_product_without_interest_rate(world):
    product = product_create(actor=world.user("guarantor"), provider=world.guarantor, data=guarantee_data())
    assert (product.kind, product.rate_type, product.fixed_rate, product.lpr_spread) == (
        "guarantee",
        "fixed",
        None,
        None,
    )
    assert product.fee_rate == Decimal("0.010000")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"name": "长" * 201}, "name"),
        ({"kind": "loan"}, "kind"),
        ({"kind": "guarantee"}, "kind"),  # a bank may not publish guarantees
        ({"amount_min": "0"}, "amount_min"),
        ({"amount_min": "-1"}, "amount_min"),
        ({"amount_min": "ten"}, "amount_min"),
        ({"amount_max": "0"}, "amount_max"),
        ({"amount_max": "100000"}, "amount_max"),  # below the minimum
        ({"amount_max": "1e20"}, "amount_max"),
        ({"term_min_months": "0"}, "term_min_months"),
        ({"term_min_months": "1.5"}, "term_min_months"),
        ({"term_max_months": "361"}, "term_max_months"),
        ({"term_max_months": "3"}, "term_max_months"),  # shorter than the shortest
        ({"rate_type": "floating"}, "rate_type"),
        ({"fixed_rate": None}, "fixed_rate"),  # fixed type without a rate
        ({"fixed_rate": "0"}, "fixed_rate"),  # not above 0
        ({"fixed_rate": "0.3601"}, "fixed_rate"),
        ({"fixed_rate": "3.85"}, "fixed_rate"),  # a percentage typed as a fraction
        ({"fixed_rate": "abc"}, "fixed_rate"),
        ({"lpr_spread": "0.004"}, "lpr_spread"),  # a spread on a fixed rate
        ({"rate_type": "lpr_spread", "fixed_rate": None, "lpr_spread": None}, "lpr_spread"),
        ({"rate_type": "lpr_spread", "lpr_spread": "0.004"}, "fixed_rate"),  # a fixed rate on a floating one
        ({"rate_type": "lpr_spread", "fixed_rate": None, "lpr_spread": "-0.03"}, "lpr_spread"),  # 0% or less
        ({"rate_type": "lpr_spread", "fixed_rate": None, "lpr_spread": "0.34"}, "lpr_spread"),  # above 36%
        ({"rate_type": "lpr_spread", "fixed_rate": None, "lpr_spread": "0.5"}, "lpr_spread"),
        ({"fee_rate": "-0.01"}, "fee_rate"),
        ({"fee_rate": "0.4"}, "fee_rate"),
        ({"fees_note": "x" * 256}, "fees_note"),
        ({"collateral_required": ["gold"]}, "collateral_required"),
        ({"collateral_required": ["none", "ip"]}, "collateral_required"),
        ({"collateral_required": {"a": 1}}, "collateral_required"),
        ({"collateral_required": ["real_estate"]}, "collateral_required"),  # a credit loan needs none
        ({"guarantee_required": True}, "guarantee_required"),  # a credit loan needs none
        ({"guarantee_required": "maybe"}, "guarantee_required"),
        ({"eligible_size_classes": ["tiny"]}, "eligible_size_classes"),
        ({"eligible_size_classes": ["large"]}, "eligible_size_classes"),  # exclusive to MSMEs
        ({"eligible_industries": ["Z99"]}, "eligible_industries"),
        ({"eligible_industries": [12]}, "eligible_industries"),
        ({"eligible_clusters": ["no-such-cluster"]}, "eligible_clusters"),
        ({"eligible_subdistricts": ["999999999"]}, "eligible_subdistricts"),
        ({"required_labels": ["unicorn"]}, "required_labels"),
        ({"min_years_in_operation": "-1"}, "min_years_in_operation"),
        ({"min_years_in_operation": "101"}, "min_years_in_operation"),
        ({"min_annual_revenue": "-5"}, "min_annual_revenue"),
        ({"valid_from": "2025-13-01"}, "valid_from"),
        ({"valid_from": "1999-12-31"}, "valid_from"),
        ({"valid_until": 20250101}, "valid_until"),
        ({"valid_from": "2025-06-01", "valid_until": "2025-05-31"}, "valid_until"),
        ({"description": "字" * 5001}, "description"),
        ({"description_en": ["not", "text"]}, "description_en"),
        ({"colour": "red"}, "colour"),  # unknown field
    ],
)
def test_every_rule_of_create_refuses_bad_input_and_changes_nothing(world, overrides, field):
    before = state()
    with pytest.raises(ValidationFailed) as caught:
        product_create(actor=world.user("bank_branch"), provider=world.bank_branch, data=loan_data(**overrides))
    assert field in caught.value.fields, caught.value.fields
    assert caught.value.fields[field][0]
    assert state() == before


@pytest.mark.parametrize("missing", ["name", "kind", "amount_min", "amount_max", "term_min_months", "term_max_months"])
def test_required_fields(world, missing):
    data = loan_data()
    data.pop(missing)
    before = state()
    with pytest.raises(ValidationFailed) as caught:
        product_create(actor=world.user("bank_branch"), provider=world.bank_branch, data=data)
    assert caught.value.fields == {missing: ["This field is required."]}
    assert state() == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": ProductKind.CREDIT_LOAN}, "kind"),  # a guarantee agency publishes guarantees only
        ({"fixed_rate": "0.01"}, "fixed_rate"),
        ({"lpr_spread": "0.01"}, "lpr_spread"),
        ({"rate_type": "lpr_spread"}, "rate_type"),
    ],
)
def test_guarantee_rules(world, overrides, field):
    before = state()
    with pytest.raises(ValidationFailed) as caught:
        product_create(actor=world.user("guarantor"), provider=world.guarantor, data=guarantee_data(**overrides))
    assert field in caught.value.fields
    assert state() == before


def test_effective_rate_bounds_apply_after_the_lpr(world):
    staff = world.user("bank_branch")
    # 3.00% - 2.99% = 0.01%: allowed; 3.00% + 33.00% = 36%: allowed (the bound is inclusive)
    for spread in ("-0.0299", "0.33"):
        data = loan_data(rate_type="lpr_spread", fixed_rate=None, lpr_spread=spread)
        product_create(actor=staff, provider=world.bank_branch, data=data)
    before = state()
    for spread in ("-0.03", "0.3301"):
        with pytest.raises(ValidationFailed):
            data = loan_data(rate_type="lpr_spread", fixed_rate=None, lpr_spread=spread)
            product_create(actor=staff, provider=world.bank_branch, data=data)
    assert state() == before


def test_a_floating_rate_needs_a_recorded_lpr(world):
    LprRate.objects.all().delete()
    before = state()
    with pytest.raises(ValidationFailed) as caught:
        data = loan_data(rate_type="lpr_spread", fixed_rate=None, lpr_spread="0.004")
        product_create(actor=world.user("bank_branch"), provider=world.bank_branch, data=data)
    assert "LPR" in caught.value.fields["lpr_spread"][0]
    assert state() == before


# ---- who may create ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("org", "role", "provider"),
    [
        ("bank_branch", Role.ADMIN, "bank_branch"),
        ("bank_branch", Role.STAFF, "bank_branch"),
        ("bank_head", Role.STAFF, "bank_head"),
        ("bank_head", Role.STAFF, "bank_scitech"),  # a head office manages its branches' products
        ("guarantor", Role.ADMIN, "guarantor"),
        ("guarantor", Role.STAFF, "guarantor"),
    ],
)
def test_who_may_create(world, org, role, provider):
    provider_org = getattr(world, provider)
    data = guarantee_data() if provider == "guarantor" else loan_data()
    product = product_create(actor=world.user(org, role), provider=provider_org, data=data)
    assert product.provider == provider_org


@pytest.mark.parametrize(
    ("org", "role", "provider"),
    [
        ("bank_branch", Role.REVIEWER, "bank_branch"),
        ("bank_branch", Role.VIEWER, "bank_branch"),
        ("guarantor", Role.REVIEWER, "guarantor"),
        ("guarantor", Role.VIEWER, "guarantor"),
        ("bank_branch", Role.STAFF, "bank_head"),  # a branch does not manage its head office's products
        ("bank_branch", Role.STAFF, "bank_scitech"),  # nor a sister branch's
        ("bank_branch", Role.STAFF, "other_bank"),
        ("other_bank", Role.ADMIN, "bank_branch"),
        ("guarantor", Role.STAFF, "other_guarantor"),
        ("district", Role.ADMIN, "bank_branch"),
        ("industry", Role.ADMIN, "bank_branch"),
        ("subdistrict_office", Role.ADMIN, "bank_branch"),
        ("msme", Role.ADMIN, "bank_branch"),
        ("insurer", Role.ADMIN, "bank_branch"),
        ("investor", Role.ADMIN, "bank_branch"),
        ("securities", Role.ADMIN, "bank_branch"),
        ("core", Role.ADMIN, "bank_branch"),
    ],
)
def test_who_may_not_create(world, org, role, provider):
    before = state()
    with pytest.raises(PermissionDenied):
        product_create(actor=world.user(org, role), provider=getattr(world, provider), data=loan_data())
    assert state() == before


def test_a_bank_member_may_not_create_for_a_non_provider(world):
    world.user("bank_branch")
    with pytest.raises(PermissionDenied):
        product_create(actor=world.user("bank_branch"), provider=world.msme, data=loan_data())


# ---- update ------------------------------------------------------------------------------------------------


def test_update_changes_only_the_given_fields(world, matching_calls, django_capture_on_commit_callbacks):
    staff = world.user("bank_branch")
    product = product_create(actor=staff, provider=world.bank_branch, data=loan_data())
    with django_capture_on_commit_callbacks(execute=True):
        product_update(actor=staff, product=product, data={"amount_max": "8000000", "eligible_clusters": ["nev-icv"]})
    product.refresh_from_db()
    assert product.amount_max == Decimal("8000000.00")
    assert product.amount_min == Decimal("500000.00")
    assert [c.code for c in product.eligible_clusters.all()] == ["nev-icv"]
    event = AuditEvent.objects.get(action="product_update")
    assert (event.before["amount_max"], event.after["amount_max"]) == ("5000000.00", "8000000.00")
    assert matching_calls == []  # a draft is not matched


def test_switching_to_a_floating_rate_drops_the_fixed_one(world):
    staff = world.user("bank_branch")
    product = product_create(actor=staff, provider=world.bank_branch, data=loan_data())
    product_update(actor=staff, product=product, data={"rate_type": "lpr_spread", "lpr_spread": "0.0045"})
    product.refresh_from_db()
    assert (product.rate_type, product.fixed_rate, product.lpr_spread) == ("lpr_spread", None, Decimal("0.004500"))
    product_update(actor=staff, product=product, data={"rate_type": "fixed", "fixed_rate": "0.04"})
    product.refresh_from_db()
    assert (product.rate_type, product.fixed_rate, product.lpr_spread) == ("fixed", Decimal("0.040000"), None)


def test_an_update_that_changes_nothing_records_nothing(world):
    staff = world.user("bank_branch")
    product = product_create(actor=staff, provider=world.bank_branch, data=loan_data())
    before = state()
    product_update(actor=staff, product=product, data={"name": "科创信用贷", "amount_min": "500000.00"})
    assert state() == before


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"amount_min": "9000000"}, "amount_max"),  # the merged range is inverted
        ({"term_max_months": "3"}, "term_max_months"),
        ({"fixed_rate": None}, "fixed_rate"),
        ({"lpr_spread": "0.01"}, "lpr_spread"),
        ({"kind": "guarantee"}, "kind"),
        ({"valid_until": "2020-01-01", "valid_from": "2021-01-01"}, "valid_until"),
        ({"eligible_size_classes": ["large"]}, "eligible_size_classes"),
        ({"name": ""}, "name"),
        ({"status": "published"}, "status"),  # not an input field: only the services change status
        ({"provider": 1}, "provider"),
    ],
)
def test_every_rule_of_update_refuses_bad_input_and_changes_nothing(world, data, field):
    staff = world.user("bank_branch")
    product = product_create(actor=staff, provider=world.bank_branch, data=loan_data())
    before = state()
    with pytest.raises(ValidationFailed) as caught:
        product_update(actor=staff, product=product, data=data)
    assert field in caught.value.fields
    assert state() == before


def test_editing_a_published_product_keeps_it_published_and_rematches(
    world, matching_calls, django_capture_on_commit_callbacks
):
    product = make_product(world.bank_branch)
    with django_capture_on_commit_callbacks(execute=True):
        product_update(actor=world.user("bank_branch"), product=product, data={"fixed_rate": "0.0375"})
    product.refresh_from_db()
    assert product.status == ProductStatus.PUBLISHED and product.fixed_rate == Decimal("0.037500")
    assert matching_calls == [product.pk]


def test_a_head_office_edits_its_branch_product(world):
    product = make_product(world.bank_scitech)
    product_update(actor=world.user("bank_head"), product=product, data={"name": "总行改名"})
    product.refresh_from_db()
    assert product.name == "总行改名"


@pytest.mark.parametrize(
    ("org", "role"),
    [
        ("bank_branch", Role.REVIEWER),
        ("bank_branch", Role.VIEWER),
        ("bank_scitech", Role.STAFF),  # a sister branch
        ("other_bank", Role.ADMIN),
        ("guarantor", Role.ADMIN),
        ("msme", Role.ADMIN),
        ("district", Role.ADMIN),
    ],
)
def test_others_may_not_edit_a_published_product(world, org, role):
    product = make_product(world.bank_branch)
    before = state()
    with pytest.raises(PermissionDenied):
        product_update(actor=world.user(org, role), product=product, data={"name": "改名"})
    assert state() == before


def test_a_draft_of_another_provider_is_not_found(world):
    draft = make_product(world.bank_branch, status=ProductStatus.DRAFT)
    before = state()
    for org in ("other_bank", "bank_scitech", "msme", "district"):
        with pytest.raises(NotFound):
            product_update(actor=world.user(org, Role.ADMIN), product=draft, data={"name": "改名"})
        with pytest.raises(NotFound):
            product_publish(actor=world.user(org, Role.ADMIN), product=draft)
    assert state() == before


# ---- transitions -------------------------------------------------------------------------------------------


def test_publish_withdraw_and_publish_again(world, matching_calls, django_capture_on_commit_callbacks):
    staff = world.user("bank_branch")
    product = product_create(actor=staff, provider=world.bank_branch, data=loan_data())
    with django_capture_on_commit_callbacks(execute=True):
        product = product_publish(actor=staff, product=product)
    assert product.status == ProductStatus.PUBLISHED and product.published_at is not None
    first_published = product.published_at
    with django_capture_on_commit_callbacks(execute=True):
        product = product_withdraw(actor=staff, product=product)
    assert product.status == ProductStatus.WITHDRAWN and product.withdrawn_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        product = product_publish(actor=staff, product=product)
    product.refresh_from_db()
    assert product.status == ProductStatus.PUBLISHED
    assert product.withdrawn_at is None and product.published_at >= first_published
    assert matching_calls == [product.pk] * 3
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["product_create", "product_publish", "product_withdraw", "product_publish"]
    publish = AuditEvent.objects.filter(action="product_publish").order_by("id").first()
    assert (publish.before["status"], publish.after["status"]) == ("draft", "published")


@pytest.mark.parametrize(
    ("status", "service"),
    [
        (ProductStatus.PUBLISHED, product_publish),
        (ProductStatus.DRAFT, product_withdraw),
        (ProductStatus.WITHDRAWN, product_withdraw),
    ],
)
def test_forbidden_transitions_conflict_and_change_nothing(world, matching_calls, status, service):
    product = make_product(world.bank_branch, status=status)
    before = state()
    with pytest.raises(Conflict) as caught:
        service(actor=world.user("bank_branch"), product=product)
    assert caught.value.code == "invalid_transition"
    assert state() == before
    assert matching_calls == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"description": "", "description_en": ""}, "description"),
        ({"valid_from": datetime.date(2024, 1, 1), "valid_until": datetime.date(2024, 12, 31)}, "valid_until"),
        ({"fixed_rate": Decimal("0.5")}, "fixed_rate"),  # written around the services: still caught on publish
        ({"amount_max": Decimal("1.00")}, "amount_max"),
    ],
)
def test_publish_checks_the_product_again(world, overrides, field):
    product = make_product(world.bank_branch, status=ProductStatus.DRAFT, **overrides)
    before = state()
    with pytest.raises(ValidationFailed) as caught:
        product_publish(actor=world.user("bank_branch"), product=product)
    assert field in caught.value.fields
    assert state() == before


def test_a_description_in_english_only_is_enough_to_publish(world):
    product = make_product(world.bank_branch, status=ProductStatus.DRAFT, description="", description_en="For SMEs.")
    assert product_publish(actor=world.user("bank_branch"), product=product).status == ProductStatus.PUBLISHED


@pytest.mark.parametrize(
    ("org", "role"), [("bank_branch", Role.VIEWER), ("other_bank", Role.STAFF), ("msme", Role.ADMIN)]
)
def test_others_may_not_withdraw(world, org, role):
    product = make_product(world.bank_branch)
    before = state()
    with pytest.raises(PermissionDenied):
        product_withdraw(actor=world.user(org, role), product=product)
    assert state() == before


def test_a_head_office_withdraws_its_branch_product(world):
    product = make_product(world.bank_branch)
    assert product_withdraw(actor=world.user("bank_head"), product=product).status == ProductStatus.WITHDRAWN


def test_a_deleted_product_is_not_found(world):
    product = make_product(world.bank_branch)
    Product.objects.filter(pk=product.pk).delete()
    with pytest.raises(NotFound):
        product_withdraw(actor=world.user("bank_branch"), product=product)


def test_validity_dates_today_are_inclusive(world):
    today = TODAY()
    product = make_product(world.bank_branch, status=ProductStatus.DRAFT, valid_from=today, valid_until=today)
    assert product_publish(actor=world.user("bank_branch"), product=product).status == ProductStatus.PUBLISHED
