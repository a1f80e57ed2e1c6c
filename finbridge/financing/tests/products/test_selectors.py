"""Who sees which product, and the catalogue filters."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from finbridge.accounts.choices import Role
from finbridge.accounts.tests.factories import UserFactory
from finbridge.core.errors import NotFound
from finbridge.financing.choices import ProductKind, ProductStatus
from finbridge.financing.selectors.products import (
    can_manage_product,
    lpr_list,
    manageable_provider_ids,
    product_get,
    product_list,
)
from finbridge.financing.tests.products.conftest import make_product

pytestmark = pytest.mark.django_db
ALL_VIEWERS = [
    ("district", Role.VIEWER),
    ("industry", Role.STAFF),
    ("subdistrict_office", Role.REVIEWER),
    ("msme", Role.VIEWER),
    ("core", Role.STAFF),
    ("insurer", Role.STAFF),
    ("investor", Role.VIEWER),
    ("securities", Role.ADMIN),
    ("other_guarantor", Role.ADMIN),
    ("guarantor", Role.STAFF),
]


@pytest.fixture
def catalogue(world):
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    return {
        "published": make_product(world.bank_branch, name="已发布"),
        "draft": make_product(world.bank_branch, status=ProductStatus.DRAFT, name="草稿"),
        "withdrawn": make_product(world.bank_branch, status=ProductStatus.WITHDRAWN, name="已下架"),
        "not_yet": make_product(world.bank_branch, name="未生效", valid_from=today + day),
        "ended": make_product(world.bank_branch, name="已过期", valid_until=today - day),
        "window": make_product(world.bank_branch, name="有效期内", valid_from=today, valid_until=today),
        "scitech_draft": make_product(world.bank_scitech, status=ProductStatus.DRAFT, name="科技支行草稿"),
        "other_draft": make_product(world.other_bank, status=ProductStatus.DRAFT, name="他行草稿"),
    }


def names(actor, **kwargs) -> set[str]:
    return set(product_list(actor=actor, **kwargs).values_list("name", flat=True))


PUBLIC = {"已发布", "有效期内"}


@pytest.mark.parametrize(("org", "role"), ALL_VIEWERS)
def test_everyone_else_sees_published_products_within_validity(world, catalogue, org, role):
    actor = world.user(org, role)
    assert names(actor) == PUBLIC
    for key in ("draft", "withdrawn", "not_yet", "ended", "scitech_draft", "other_draft"):
        with pytest.raises(NotFound):
            product_get(actor=actor, pk=catalogue[key].pk)
    assert product_get(actor=actor, pk=catalogue["published"].pk) == catalogue["published"]


@pytest.mark.parametrize("role", list(Role))
def test_members_of_the_provider_see_all_its_products(world, catalogue, role):
    actor = world.user("bank_branch", role)
    assert names(actor) == PUBLIC | {"草稿", "已下架", "未生效", "已过期"}


def test_a_head_office_sees_its_branches_products(world, catalogue):
    assert names(world.user("bank_head", Role.VIEWER)) == PUBLIC | {
        "草稿",
        "已下架",
        "未生效",
        "已过期",
        "科技支行草稿",
    }


def test_another_bank_sees_its_own_draft_and_not_ours(world, catalogue):
    assert names(world.user("other_bank", Role.VIEWER)) == PUBLIC | {"他行草稿"}
    with pytest.raises(NotFound):
        product_get(actor=world.user("other_bank", Role.ADMIN), pk=catalogue["draft"].pk)


def test_a_branch_does_not_see_its_sister_branch_drafts(world, catalogue):
    assert "科技支行草稿" not in names(world.user("bank_branch"))
    assert "草稿" not in names(world.user("bank_scitech"))


def test_someone_without_a_membership_sees_nothing(world, catalogue):
    loner = UserFactory()
    assert names(loner) == set()
    with pytest.raises(NotFound):
        product_get(actor=loner, pk=catalogue["published"].pk)
    assert not lpr_list(actor=loner).exists()


@pytest.mark.parametrize("pk", ["abc", "0", "-1", str(2**63), "", None, "1.5"])
def test_bad_ids_are_not_found(world, pk):
    with pytest.raises(NotFound):
        product_get(actor=world.user("msme"), pk=pk)


def test_who_may_manage(world, catalogue):
    product = catalogue["scitech_draft"]
    assert can_manage_product(world.user("bank_scitech", Role.STAFF), product)
    assert can_manage_product(world.user("bank_head", Role.ADMIN), product)
    assert not can_manage_product(world.user("bank_scitech", Role.REVIEWER), product)
    assert not can_manage_product(world.user("bank_branch", Role.ADMIN), product)
    assert not can_manage_product(world.user("district", Role.ADMIN), product)
    assert manageable_provider_ids(world.user("bank_head", Role.ADMIN)) == {
        world.bank_head.pk,
        world.bank_branch.pk,
        world.bank_scitech.pk,
    }


# ---- filters ---------------------------------------------------------------------------------------------


@pytest.fixture
def shelf(world):
    return {
        "credit": make_product(
            world.bank_branch,
            name="信用贷",
            name_en="Credit Loan",
            kind=ProductKind.CREDIT_LOAN,
            amount_min=Decimal("100000"),
            amount_max=Decimal("1000000"),
            term_min_months=3,
            term_max_months=12,
            suits_first_time_borrowers=True,
            eligible_size_classes=["micro", "small"],
        ),
        "ip": make_product(
            world.bank_scitech,
            name="知识产权贷",
            name_en="IP Loan",
            kind=ProductKind.IP_PLEDGE,
            amount_min=Decimal("1000000"),
            amount_max=Decimal("30000000"),
            term_min_months=12,
            term_max_months=36,
            required_labels=["srdi", "little_giant"],
            allows_renewal_without_repayment=True,
        ),
        "other": make_product(
            world.other_bank,
            name="房抵贷",
            name_en="Mortgage",
            amount_min=Decimal("500000"),
            amount_max=Decimal("5000000"),
            term_min_months=12,
            term_max_months=120,
            eligible_size_classes=["medium"],
            required_labels=["high_tech"],
        ),
        "guarantee": make_product(world.guarantor, name="担保", name_en="Guarantee"),
    }


@pytest.mark.parametrize(
    ("q", "filters", "expected"),
    [
        ("", {}, {"信用贷", "知识产权贷", "房抵贷", "担保"}),
        ("知识", {}, {"知识产权贷"}),
        ("mortg", {}, {"房抵贷"}),
        ("", {"kind": "credit_loan"}, {"信用贷"}),
        ("", {"kind": "guarantee"}, {"担保"}),
        ("", {"first_time": True}, {"信用贷"}),
        ("", {"first_time": "false"}, {"信用贷", "知识产权贷", "房抵贷", "担保"}),
        ("", {"renewal_without_repayment": "1"}, {"知识产权贷"}),
        ("", {"amount": Decimal("1000000")}, {"信用贷", "知识产权贷", "房抵贷", "担保"}),  # both ends inclusive
        ("", {"amount": "1000000.01"}, {"知识产权贷", "房抵贷", "担保"}),
        ("", {"amount": "99999.99"}, set()),
        ("", {"amount": "not a number"}, set()),
        ("", {"term": 12}, {"信用贷", "知识产权贷", "房抵贷", "担保"}),
        ("", {"term": 60}, {"房抵贷"}),
        ("", {"term": "2.5"}, set()),
        ("", {"label": "srdi"}, {"知识产权贷"}),
        ("", {"label": "high_tech"}, {"房抵贷"}),
        ("", {"label": "tech_sme"}, set()),
        ("", {"size_class": "micro"}, {"信用贷", "知识产权贷", "担保"}),  # open to any size counts
        ("", {"size_class": "medium"}, {"知识产权贷", "房抵贷", "担保"}),
        ("", {"provider": "bank_head"}, {"信用贷", "知识产权贷"}),  # a head office includes its branches
        ("", {"provider": "bank_scitech"}, {"知识产权贷"}),
        ("", {"provider": "abc"}, set()),
        ("", {"kind": "credit_loan", "amount": "500000", "term": 6, "size_class": "small"}, {"信用贷"}),
    ],
)
def test_filters(world, shelf, q, filters, expected):
    filters = dict(filters)
    if filters.get("provider") in ("bank_head", "bank_scitech"):
        filters["provider"] = getattr(world, filters["provider"]).pk
    assert names(world.user("msme"), q=q, filters=filters) == expected


def test_mine_and_status_filters(world, shelf):
    make_product(world.bank_branch, status=ProductStatus.DRAFT, name="草稿")
    staff = world.user("bank_branch")
    assert names(staff, filters={"mine": True}) == {"信用贷", "草稿"}
    assert names(staff, filters={"status": "draft"}) == {"草稿"}
    assert names(world.user("msme"), filters={"status": "draft"}) == set()
    assert names(world.user("msme"), filters={"mine": True}) == set()


def test_newest_publication_first_drafts_last(world):
    now = timezone.now()
    make_product(world.bank_branch, name="旧", published_at=now - datetime.timedelta(days=3))
    make_product(world.bank_branch, name="新", published_at=now)
    make_product(world.bank_branch, status=ProductStatus.DRAFT, name="草稿")
    order = list(product_list(actor=world.user("bank_branch")).values_list("name", flat=True))
    assert order == ["新", "旧", "草稿"]


def test_lpr_list_newest_first(world):
    rows = list(lpr_list(actor=world.user("msme")))
    assert rows[0].effective_on == datetime.date(2025, 5, 20)
    assert {r.term for r in lpr_list(actor=world.user("msme"), term="5y")} == {"5y"}
