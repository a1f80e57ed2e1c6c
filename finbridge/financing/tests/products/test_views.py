"""Pages of the catalogue and the LPR table: rendering in both languages, filters, forms, htmx, and the page
permission matrix."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from finbridge.accounts.choices import BankTier, OrgType, Role
from finbridge.accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from finbridge.audit.models import AuditEvent
from finbridge.financing.choices import ProductStatus, RateType
from finbridge.financing.models import LprRate, Product
from finbridge.financing.tests.products.conftest import make_product

pytestmark = pytest.mark.django_db
LIST_URL = reverse("financing:products-list")
CREATE_URL = reverse("financing:products-create")
LPR_URL = reverse("financing:lpr-list")
ZH = {"Accept-Language": "zh-hans"}


def url(name: str, product: Product) -> str:
    return reverse(f"financing:products-{name}", args=[product.pk])


def login(client, user):
    client.force_login(user)
    return client


def form_data(**overrides) -> dict:
    """A valid product form in the page's units (万元, percent)."""
    data = {
        "name": "坪山科创贷",
        "name_en": "Pingshan Sci-Tech Loan",
        "kind": "ip_pledge",
        "amount_min": "50",
        "amount_max": "1000",
        "term_min_months": "12",
        "term_max_months": "36",
        "rate_type": "lpr_spread",
        "fixed_rate": "3.85",  # ignored: the rate type is the LPR plus a spread
        "lpr_spread": "0.45",
        "fee_rate": "",
        "collateral_required": ["ip"],
        "msme_exclusive": "on",
        "eligible_size_classes": ["micro", "small"],
        "required_labels": ["srdi"],
        "eligible_industries": "C36, i65",
        "eligible_clusters": ["nev-icv"],
        "eligible_subdistricts": ["440310001"],
        "min_years_in_operation": "2",
        "min_annual_revenue": "500",
        "valid_from": "2025-02-01",
        "valid_until": "",
        "description": "知识产权质押。",
        "description_en": "IP pledge.",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# ---- catalogue -------------------------------------------------------------------------------------------


def test_catalogue_shows_cards_with_amounts_in_wan_and_rate_in_percent(world, client):
    make_product(
        world.bank_branch,
        name="浮动利率贷",
        name_en="Floating Loan",
        rate_type=RateType.LPR_SPREAD,
        fixed_rate=None,
        lpr_spread=Decimal("0.0045"),
        amount_min=Decimal("500000"),
        amount_max=Decimal("10000000"),
    )
    make_product(world.guarantor, name="担保产品", name_en="Guarantee Product")
    make_product(world.bank_branch, status=ProductStatus.DRAFT, name_en="Hidden Draft")
    html = login(client, world.user("msme")).get(LIST_URL).content.decode()
    assert "Floating Loan" in html and "Guarantee Product" in html and "Hidden Draft" not in html
    assert "50 to 1,000 ten-thousand yuan" in html
    assert "3.45%" in html and "One-year LPR +45 bp" in html
    assert "1.00%" in html and "guarantee fee" in html
    assert "2 products" in html
    assert 'role="search"' in html and 'hx-get="/financing/products/"' in html
    assert "One-year LPR in force" in html and "3.00%" in html
    assert 'data-testid="product-create"' not in html  # an MSME does not publish products


def test_catalogue_in_chinese(world, client):
    make_product(world.bank_branch, name="浮动利率贷", name_en="Floating Loan")
    html = login(client, world.user("msme")).get(LIST_URL, headers=ZH).content.decode()
    assert 'lang="zh-hans"' in html
    assert "浮动利率贷" in html and "Floating Loan" not in html


def test_catalogue_filters_and_htmx_partial(world, client):
    make_product(world.bank_branch, name="小额贷", amount_min=Decimal("10000"), amount_max=Decimal("500000"))
    make_product(world.bank_branch, name="大额贷", amount_min=Decimal("1000000"), amount_max=Decimal("9000000"))
    login(client, world.user("msme"))
    response = client.get(LIST_URL, {"amount": "30"}, headers={"HX-Request": "true"})  # 30万
    html = response.content.decode()
    assert "<html" not in html and 'data-testid="result-count"' in html
    assert "小额贷" in html and "大额贷" not in html
    html = client.get(LIST_URL, {"amount": "lots", "term": "x"}).content.decode()  # bad values are ignored
    assert "小额贷" in html and "大额贷" in html
    html = client.get(LIST_URL, {"q": "没有这个"}).content.decode()
    assert 'data-testid="no-results"' in html


def test_providers_see_their_drafts_and_the_new_button(world, client):
    make_product(world.bank_branch, status=ProductStatus.DRAFT, name="我的草稿")
    html = login(client, world.user("bank_branch")).get(LIST_URL, {"mine": "on"}).content.decode()
    assert "我的草稿" in html and 'data-testid="status-badge"' in html
    assert 'data-testid="product-create"' in html
    html = login(client, world.user("bank_branch", Role.VIEWER)).get(LIST_URL).content.decode()
    assert "我的草稿" in html and 'data-testid="product-create"' not in html


# ---- detail ----------------------------------------------------------------------------------------------


def test_detail_lists_eligibility_in_plain_words(world, client):
    product = make_product(
        world.bank_scitech,
        name="科创贷",
        name_en="Sci-Tech Loan",
        eligible_size_classes=["micro", "small"],
        eligible_industries=["C36"],
        required_labels=["srdi"],
        min_years_in_operation=3,
        min_annual_revenue=Decimal("5000000"),
        collateral_required=["ip"],
        suits_first_time_borrowers=True,
        allows_renewal_without_repayment=True,
        description="中文说明",
        description_en="English description",
    )
    product.eligible_subdistricts.add(world.subdistrict)
    product.eligible_clusters.add(world.cluster)
    html = login(client, world.user("msme")).get(url("detail", product)).content.decode()
    for text in (
        "Only for micro, small and medium enterprises.",
        "Size class: Micro, Small.",
        "Industries: C36 Manufacture of Automobiles.",
        "Industrial clusters: New-energy vehicles.",
        "Registered in the subdistricts Pingshan.",
        "at least one of: Provincial SRDI",
        "In operation for at least 3 years.",
        "Annual revenue of at least 500 ten-thousand yuan.",
        "Collateral accepted: Intellectual property.",
        "Suits firms borrowing from a bank for the first time.",
        "Can be renewed without repaying the principal first.",
        "English description",
        "中文说明",
        "4.00%",
    ):
        assert text in html, text
    assert html.index("English description") < html.index("中文说明")  # the reader's language first
    assert 'data-testid="publish"' not in html and 'data-testid="edit-link"' not in html
    zh = client.get(url("detail", product), headers=ZH).content.decode()
    assert 'lang="zh-hans"' in zh and zh.index("中文说明") < zh.index("English description")


def test_detail_of_a_hidden_draft_is_404(world, client):
    draft = make_product(world.bank_branch, status=ProductStatus.DRAFT)
    assert login(client, world.user("other_bank")).get(url("detail", draft)).status_code == 404
    assert client.get(reverse("financing:products-detail", args=[999999])).status_code == 404


# ---- create and edit -----------------------------------------------------------------------------------


def test_create_page_and_a_valid_draft(world, client):
    login(client, world.user("bank_branch"))
    page = client.get(CREATE_URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="product-form"' in html and 'name="provider"' in html and 'type="hidden"' in html
    assert '<option value="guarantee"' not in html  # a bank is not offered the guarantee kind
    response = client.post(CREATE_URL, form_data(provider=str(world.bank_branch.pk)))
    assert response.status_code == 302
    product = Product.objects.get()
    assert response["Location"] == url("detail", product)
    assert (product.amount_min, product.amount_max) == (Decimal("500000.00"), Decimal("10000000.00"))
    assert (product.rate_type, product.fixed_rate, product.lpr_spread) == ("lpr_spread", None, Decimal("0.004500"))
    assert product.fee_rate == Decimal("0") and product.min_annual_revenue == Decimal("5000000.00")
    assert product.eligible_industries == ["C36", "I65"] and product.required_labels == ["srdi"]
    assert product.status == ProductStatus.DRAFT and product.provider == world.bank_branch


def test_create_shows_each_error_next_to_its_field(world, client):
    login(client, world.user("bank_branch"))
    before = (Product.objects.count(), AuditEvent.objects.count())
    response = client.post(
        CREATE_URL,
        form_data(provider=str(world.bank_branch.pk), name="", amount_min="-5", rate_type="fixed", fixed_rate=""),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="form-errors"' in html
    assert 'data-testid="error-name"' in html and 'data-testid="error-amount_min"' in html
    response = client.post(
        CREATE_URL, form_data(provider=str(world.bank_branch.pk), amount_min="2000", rate_type="fixed", fixed_rate="")
    )
    html = response.content.decode()
    assert 'data-testid="error-amount_max"' in html and 'data-testid="error-fixed_rate"' in html
    assert "The maximum amount must not be below the minimum amount." in html
    assert (Product.objects.count(), AuditEvent.objects.count()) == before


def test_a_head_office_chooses_among_its_branches(world, client):
    login(client, world.user("bank_head"))
    html = client.get(CREATE_URL).content.decode()
    assert f'value="{world.bank_scitech.pk}"' in html
    response = client.post(CREATE_URL, form_data(provider=str(world.other_bank.pk)))
    assert response.status_code == 400 and 'data-testid="error-provider"' in response.content.decode()
    response = client.post(CREATE_URL, form_data(provider=str(world.bank_scitech.pk)))
    assert response.status_code == 302
    assert Product.objects.get().provider == world.bank_scitech


def test_a_guarantee_agency_gets_only_the_guarantee_kind(world, client):
    login(client, world.user("guarantor"))
    html = client.get(CREATE_URL).content.decode()
    assert '<option value="guarantee"' in html and '<option value="credit_loan"' not in html
    response = client.post(
        CREATE_URL,
        form_data(
            provider=str(world.guarantor.pk),
            kind="guarantee",
            rate_type="fixed",
            fixed_rate="",
            fee_rate="1",
            collateral_required=[],
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    product = Product.objects.get()
    assert product.fee_rate == Decimal("0.010000") and product.fixed_rate is None


def test_edit_page_starts_from_the_product_in_page_units(world, client, matching_calls):
    product = make_product(world.bank_branch, amount_min=Decimal("500000"), fixed_rate=Decimal("0.0385"))
    login(client, world.user("bank_branch"))
    html = client.get(url("edit", product)).content.decode()
    assert 'value="50"' in html and 'value="3.85"' in html and 'name="provider"' not in html
    assert "This product is published" in html
    form = client.get(url("edit", product)).context["form"]
    data = {k: v for k, v in form.initial.items() if v not in (None, False, [])}
    data.update(name="改过的名字", msme_exclusive="on")
    response = client.post(url("edit", product), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    product.refresh_from_db()
    assert product.name == "改过的名字" and product.fixed_rate == Decimal("0.038500")
    assert product.status == ProductStatus.PUBLISHED
    response = client.post(url("edit", product), {**data, "term_min_months": "0"})
    assert response.status_code == 400 and 'data-testid="error-term_min_months"' in response.content.decode()


def test_edit_page_in_chinese(world, client):
    product = make_product(world.bank_branch)
    html = login(client, world.user("bank_branch")).get(url("edit", product), headers=ZH).content.decode()
    assert 'lang="zh-hans"' in html and 'data-testid="product-form"' in html


# ---- publish and withdraw ------------------------------------------------------------------------------------


def test_publish_and_withdraw_with_htmx(world, client, matching_calls, django_capture_on_commit_callbacks):
    draft = make_product(world.bank_branch, status=ProductStatus.DRAFT)
    login(client, world.user("bank_branch"))
    assert 'data-testid="publish"' in client.get(url("detail", draft)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("publish", draft), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'data-testid="withdraw"' in html and 'data-testid="publish"' not in html
    draft.refresh_from_db()
    assert draft.status == ProductStatus.PUBLISHED
    response = client.post(url("withdraw", draft))
    assert response.status_code == 302 and response["Location"] == url("detail", draft)
    draft.refresh_from_db()
    assert draft.status == ProductStatus.WITHDRAWN
    assert matching_calls == [draft.pk]


def test_a_refused_publish_says_why(world, client):
    draft = make_product(world.bank_branch, status=ProductStatus.DRAFT, description="", description_en="")
    login(client, world.user("bank_branch"))
    response = client.post(url("publish", draft), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert 'data-testid="action-error"' in html and "Describe the product" in html
    response = client.post(url("withdraw", draft), follow=True)
    assert "This cannot be done while the product is" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == ProductStatus.DRAFT


def test_publish_needs_post(world, client):
    draft = make_product(world.bank_branch, status=ProductStatus.DRAFT)
    assert login(client, world.user("bank_branch")).get(url("publish", draft)).status_code == 405


# ---- LPR page ------------------------------------------------------------------------------------------------


def test_lpr_page_in_both_languages(world, client):
    login(client, world.user("msme"))
    html = client.get(LPR_URL).content.decode()
    assert html.count('data-testid="lpr-row"') == 15  # distinct dates of the two histories
    assert "4.25%" in html and "3.00%" in html and "3.50%" in html
    assert 'data-testid="lpr-form"' not in html
    zh = client.get(LPR_URL, headers=ZH).content.decode()
    assert 'lang="zh-hans"' in zh and "4.25%" in zh


def test_the_authority_adds_an_lpr(world, client):
    login(client, world.user("district", Role.ADMIN))
    assert 'data-testid="lpr-form"' in client.get(LPR_URL).content.decode()
    response = client.post(LPR_URL, {"term": "1y", "effective_on": "2025-06-20", "rate": "2.95"})
    assert response.status_code == 302
    assert LprRate.objects.get(term="1y", effective_on="2025-06-20").rate == Decimal("0.029500")
    response = client.post(LPR_URL, {"term": "1y", "effective_on": "2018-06-20", "rate": "2.95"})
    assert response.status_code == 400 and 'data-testid="error-effective_on"' in response.content.decode()
    assert not LprRate.objects.filter(effective_on="2018-06-20").exists()


def test_others_may_not_add_an_lpr(world, client):
    login(client, world.user("district", Role.STAFF))
    response = client.post(LPR_URL, {"term": "1y", "effective_on": "2025-06-20", "rate": "2.95"})
    assert response.status_code == 403
    assert not LprRate.objects.filter(effective_on="2025-06-20").exists()


# ---- page permission matrix ----------------------------------------------------------------------------------

PROVIDERS = (OrgType.BANK, OrgType.GUARANTOR)
MANAGERS = (Role.ADMIN, Role.STAFF)
CASES = [(org_type.value, role.value) for org_type in OrgType for role in Role]


def page_expectations(org_type: str, role: str) -> dict[str, int | None]:
    provider = org_type in PROVIDERS
    manager = provider and role in MANAGERS
    return {
        "list": 200,
        "detail_published": 200,
        "detail_foreign_draft": 404,
        "edit_foreign": 403,
        "publish_foreign_draft": 404,
        "withdraw_foreign": 403,
        "create": 200 if manager else 403,
        "detail_own_draft": 200 if provider else None,
        "edit_own": (200 if manager else 403) if provider else None,
        "publish_own_draft": (302 if manager else 403) if provider else None,
        "withdraw_own": (302 if manager else 403) if provider else None,
        "lpr": 200,
        "lpr_add": 302 if (org_type == OrgType.DISTRICT_AUTHORITY and role == Role.ADMIN) else 403,
    }


@pytest.mark.parametrize(("org_type", "role"), CASES)
def test_page_permission_matrix(world, client, org_type, role):
    extra = {"bank_tier": BankTier.BRANCH} if org_type == OrgType.BANK else {}
    if org_type == OrgType.INDUSTRY_AUTHORITY:
        extra["industry_sectors"] = ["C"]
    if org_type == OrgType.SUBDISTRICT_OFFICE:
        extra["subdistrict"] = world.subdistrict
    organization = OrganizationFactory(org_type=org_type, **extra)
    login(client, MembershipFactory(organization=organization, role=role).user)
    foreign_owner = world.other_bank if org_type != OrgType.BANK else world.guarantor
    foreign = make_product(foreign_owner)
    foreign_draft = make_product(foreign_owner, status=ProductStatus.DRAFT)
    own = own_draft = None
    if org_type in PROVIDERS:
        own = make_product(organization)
        own_draft = make_product(organization, status=ProductStatus.DRAFT)
    calls = {
        "list": lambda: client.get(LIST_URL),
        "detail_published": lambda: client.get(url("detail", foreign)),
        "detail_foreign_draft": lambda: client.get(url("detail", foreign_draft)),
        "edit_foreign": lambda: client.get(url("edit", foreign)),
        "publish_foreign_draft": lambda: client.post(url("publish", foreign_draft)),
        "withdraw_foreign": lambda: client.post(url("withdraw", foreign)),
        "create": lambda: client.get(CREATE_URL),
        "detail_own_draft": lambda: client.get(url("detail", own_draft)),
        "edit_own": lambda: client.get(url("edit", own)),
        "publish_own_draft": lambda: client.post(url("publish", own_draft)),
        "withdraw_own": lambda: client.post(url("withdraw", own)),
        "lpr": lambda: client.get(LPR_URL),
        "lpr_add": lambda: client.post(LPR_URL, {"term": "5y", "effective_on": "2025-06-20", "rate": "3.4"}),
    }
    for page, expected in page_expectations(org_type, role).items():
        if expected is None:
            continue
        response = calls[page]()
        assert response.status_code == expected, (page, response.status_code)
    foreign.refresh_from_db()
    foreign_draft.refresh_from_db()
    assert (foreign.status, foreign_draft.status) == ("published", "draft")
    if own is not None:
        own.refresh_from_db()
        own_draft.refresh_from_db()
        changed = role in MANAGERS
        assert own.status == ("withdrawn" if changed else "published")
        assert own_draft.status == ("published" if changed else "draft")


def test_anonymous_visitors_are_sent_to_sign_in(world, client):
    product = make_product(world.bank_branch)
    for target in (LIST_URL, url("detail", product), CREATE_URL, LPR_URL):
        response = client.get(target)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.post(url("withdraw", product))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    product.refresh_from_db()
    assert product.status == ProductStatus.PUBLISHED


def test_someone_without_membership_gets_403(world, client):
    login(client, UserFactory())
    assert client.get(LIST_URL).status_code == 403
    assert client.get(LPR_URL).status_code == 403
    assert client.get(CREATE_URL).status_code == 403


# ---- home page panel ------------------------------------------------------------------------------------------


def test_home_panel_of_a_provider_counts_its_products(world):
    from django.template.loader import render_to_string

    from finbridge.financing.views.products import products_home_panel

    make_product(world.bank_branch)
    make_product(world.bank_branch, status=ProductStatus.DRAFT)
    make_product(world.bank_branch, status=ProductStatus.DRAFT)
    make_product(world.other_bank)
    panel = products_home_panel(world.user("bank_branch"))
    assert [(s["label"], s["count"]) for s in panel["statuses"]] == [("Draft", 2), ("Published", 1), ("Withdrawn", 0)]
    assert panel["can_create"] is True
    html = render_to_string(panel["template"], {"panel": panel})
    assert "mine=on&amp;status=draft" in html and reverse("financing:products-create") in html
    assert products_home_panel(world.user("bank_branch", Role.VIEWER))["can_create"] is False


def test_home_panel_of_a_firm_shows_the_newest_products(world):
    from django.template.loader import render_to_string

    from finbridge.financing.views.products import products_home_panel

    make_product(world.bank_branch, name="新产品", fixed_rate=Decimal("0.0355"))
    make_product(world.bank_branch, status=ProductStatus.DRAFT, name="草稿")
    panel = products_home_panel(world.user("msme"))
    html = render_to_string(panel["template"], {"panel": panel})
    assert "新产品" in html and "3.55%" in html and "草稿" not in html
    assert products_home_panel(UserFactory()) is None
