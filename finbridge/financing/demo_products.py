"""Demo data: sixteen believable products of the demo banks and the guarantee agency (seed_demo).

The products belong to the organisations seed_demo creates (finbridge/enterprises/demo_data.py), found by
type and bank tier rather than by id: the two banks' head offices, the first bank's Pingshan branch and
sci-tech branch, the second bank's branch, and the guarantee agency. Fourteen are published, one is a
draft and one was withdrawn. Every product passes the same rules as the services (validate_new_product),
so the demo never shows a product a provider could not have entered.

Like the rest of the demo loader it writes directly (bulk_create, no record-history rows, no matching run:
the matching demo recomputes matches after loading). Idempotent: a provider's product of the same name is
left alone, so running it twice adds nothing.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from finbridge.accounts.choices import BankTier, OrgType
from finbridge.accounts.models import Organization
from finbridge.financing.choices import ProductKind as K
from finbridge.financing.choices import ProductStatus as S
from finbridge.financing.choices import RateType
from finbridge.financing.models import Product
from finbridge.financing.services.products import M2M_FIELDS, validate_new_product


@dataclass(frozen=True)
class DemoProduct:
    provider: str  # key of `_providers()`
    status: str
    data: dict[str, Any] = field(default_factory=dict)


def _lpr(spread: str) -> dict[str, Any]:
    return {"rate_type": RateType.LPR_SPREAD, "lpr_spread": spread}


def _fixed(rate: str) -> dict[str, Any]:
    return {"rate_type": RateType.FIXED, "fixed_rate": rate}


TECH_LABELS = ["high_tech", "tech_sme", "srdi", "little_giant"]

PRODUCTS: tuple[DemoProduct, ...] = (
    DemoProduct(
        "bank1_head",
        S.PUBLISHED,
        {
            "name": "鹏城小微经营抵押贷",
            "name_en": "Pengcheng Small Business Mortgage Loan",
            "kind": K.MORTGAGE,
            "amount_min": "1000000",
            "amount_max": "30000000",
            "term_min_months": 12,
            "term_max_months": 120,
            **_lpr("0.0055"),
            "collateral_required": ["real_estate"],
            "allows_renewal_without_repayment": True,
            "eligible_size_classes": ["micro", "small", "medium"],
            "min_years_in_operation": 2,
            "description": "以企业或实际控制人名下住宅、商铺、厂房抵押，最高可贷评估值的70%，期限最长10年，"
            "到期可申请无还本续贷，适合有稳定经营流水的小微企业。",
            "description_en": "Secured on residential, retail or industrial property of the firm or its owner, "
            "up to 70% of the appraised value, for up to ten years; may be renewed at maturity without "
            "repaying the principal first. For small businesses with steady turnover.",
        },
    ),
    DemoProduct(
        "bank1_branch",
        S.PUBLISHED,
        {
            "name": "坪山普惠信用贷",
            "name_en": "Pingshan Inclusive Credit Loan",
            "kind": K.CREDIT_LOAN,
            "amount_min": "100000",
            "amount_max": "3000000",
            "term_min_months": 3,
            "term_max_months": 12,
            **_lpr("0.0070"),
            "collateral_required": ["none"],
            "suits_first_time_borrowers": True,
            "eligible_size_classes": ["micro", "small"],
            "eligible_subdistricts": ["440310001", "440310002", "440310003", "440310004", "440310005", "440310006"],
            "min_years_in_operation": 1,
            "description": "无需抵押担保，依据纳税、社保和用电数据线上授信，随借随还，首次贷款企业优先。",
            "description_en": "No collateral or guarantee: credit is granted online from tax, social-insurance "
            "and electricity data; draw and repay at any time. First-time borrowers are served first.",
        },
    ),
    DemoProduct(
        "bank1_branch",
        S.PUBLISHED,
        {
            "name": "应收账款e融",
            "name_en": "Receivables e-Finance",
            "kind": K.RECEIVABLES_PLEDGE,
            "amount_min": "500000",
            "amount_max": "20000000",
            "term_min_months": 3,
            "term_max_months": 12,
            **_lpr("0.0040"),
            "collateral_required": ["receivables"],
            "eligible_clusters": ["nev-icv", "energy-storage"],
            "description": "以对核心企业的应收账款质押，经中征应收账款融资服务平台确权后放款，融资比例最高80%。",
            "description_en": "Pledge receivables owed by a core enterprise; funds are paid out once the debtor "
            "confirms them on the PBoC receivables financing platform, up to 80% of their value.",
        },
    ),
    DemoProduct(
        "bank1_branch",
        S.WITHDRAWN,
        {
            "name": "春季小微复工专项贷",
            "name_en": "Spring Back-to-Work Loan for Small Firms",
            "kind": K.CREDIT_LOAN,
            "amount_min": "100000",
            "amount_max": "1000000",
            "term_min_months": 6,
            "term_max_months": 12,
            **_fixed("0.0330"),
            "suits_first_time_borrowers": True,
            "eligible_size_classes": ["micro", "small"],
            "description": "春节后复工复产阶段性专项额度，额度已用完，产品已下架。",
            "description_en": "A seasonal quota for resuming work after the Spring Festival; the quota is used "
            "up and the product has been withdrawn.",
        },
    ),
    DemoProduct(
        "bank1_scitech",
        S.PUBLISHED,
        {
            "name": "科创知识产权质押贷",
            "name_en": "Sci-Tech IP Pledge Loan",
            "kind": K.IP_PLEDGE,
            "amount_min": "1000000",
            "amount_max": "30000000",
            "term_min_months": 12,
            "term_max_months": 36,
            **_lpr("-0.0010"),
            "collateral_required": ["ip"],
            "suits_first_time_borrowers": True,
            "required_labels": TECH_LABELS,
            "eligible_clusters": ["ic-next-gen-it", "new-materials", "biomedicine", "intelligent-sensors"],
            "description": "以发明专利、实用新型专利、商标或软件著作权质押，利率低于一年期LPR，纳入区风险补偿资金池，"
            "科技型企业走绿色通道，5个工作日内审批。",
            "description_en": "Pledge invention or utility-model patents, trademarks or software copyrights. The "
            "rate is below the one-year LPR and loans are covered by the district risk-sharing pool. "
            "Technology firms take the fast track: a decision within five working days.",
        },
    ),
    DemoProduct(
        "bank1_scitech",
        S.PUBLISHED,
        {
            "name": "专精特新信用贷",
            "name_en": "SRDI Credit Loan",
            "kind": K.CREDIT_LOAN,
            "amount_min": "1000000",
            "amount_max": "10000000",
            "term_min_months": 12,
            "term_max_months": 36,
            **_fixed("0.0320"),
            "suits_first_time_borrowers": True,
            "allows_renewal_without_repayment": True,
            "required_labels": ["srdi", "little_giant"],
            "min_years_in_operation": 2,
            "description": "面向省级专精特新和国家级“小巨人”企业的纯信用贷款，可无还本续贷。",
            "description_en": 'An unsecured loan for provincial SRDI and national "little giant" enterprises; '
            "renewable without repaying the principal first.",
        },
    ),
    DemoProduct(
        "bank1_scitech",
        S.PUBLISHED,
        {
            "name": "科创订单贷",
            "name_en": "Sci-Tech Order Financing",
            "kind": K.ORDER_FINANCING,
            "amount_min": "500000",
            "amount_max": "10000000",
            "term_min_months": 3,
            "term_max_months": 12,
            **_lpr("0.0030"),
            "collateral_required": ["orders"],
            "eligible_clusters": ["nev-icv", "low-altitude", "energy-storage"],
            "eligible_industries": ["C"],
            "description": "凭与整车厂、储能集成商等签订的采购订单融资，用于备料生产，回款后还款。",
            "description_en": "Finance production against purchase orders from vehicle makers, storage "
            "integrators and similar buyers; repaid when the buyer pays.",
        },
    ),
    DemoProduct(
        "bank1_scitech",
        S.PUBLISHED,
        {
            "name": "设备更新贷",
            "name_en": "Equipment Renewal Loan",
            "kind": K.EQUIPMENT_LOAN,
            "amount_min": "1000000",
            "amount_max": "50000000",
            "term_min_months": 12,
            "term_max_months": 60,
            **_lpr("0.0020"),
            "collateral_required": ["equipment"],
            "eligible_industries": ["C", "I65"],
            "min_annual_revenue": "5000000",
            "description": "支持制造业和软件企业购置、更新生产设备与研发设备，可享受设备更新贷款贴息。",
            "description_en": "For manufacturers and software firms buying or renewing production and R&D "
            "equipment; eligible for the equipment-renewal interest subsidy.",
        },
    ),
    DemoProduct(
        "bank1_scitech",
        S.DRAFT,
        {
            "name": "首贷通（试行）",
            "name_en": "First Loan Pass (pilot)",
            "kind": K.CREDIT_LOAN,
            "amount_min": "100000",
            "amount_max": "2000000",
            "term_min_months": 6,
            "term_max_months": 24,
            **_lpr("0.0050"),
            "suits_first_time_borrowers": True,
            "eligible_size_classes": ["micro", "small"],
            "required_labels": ["tech_sme"],
            "description": "为从未获得银行贷款的科技型中小企业设计的首贷产品，试行方案待总行审批。",
            "description_en": "A first loan for technology SMEs that never borrowed from a bank; the pilot is "
            "awaiting head-office approval.",
        },
    ),
    DemoProduct(
        "bank2_head",
        S.PUBLISHED,
        {
            "name": "粤海房抵经营贷",
            "name_en": "Yuehai Property-Secured Business Loan",
            "kind": K.MORTGAGE,
            "amount_min": "500000",
            "amount_max": "20000000",
            "term_min_months": 12,
            "term_max_months": 120,
            **_lpr("0.0045"),
            "collateral_required": ["real_estate"],
            "fee_rate": "0",
            "fees_note": "免评估费、免抵押登记费 / No appraisal or registration fees",
            "description": "以深圳市内房产抵押，循环额度最长10年，单笔用款最长3年。",
            "description_en": "Secured on property in Shenzhen; a revolving line for up to ten years, each "
            "drawing for up to three years.",
        },
    ),
    DemoProduct(
        "bank2_branch",
        S.PUBLISHED,
        {
            "name": "政银担保贷",
            "name_en": "Government-Bank-Guarantor Loan",
            "kind": K.GUARANTEED_LOAN,
            "amount_min": "500000",
            "amount_max": "10000000",
            "term_min_months": 12,
            "term_max_months": 36,
            **_fixed("0.0395"),
            "collateral_required": ["guarantee"],
            "guarantee_required": True,
            "eligible_size_classes": ["micro", "small", "medium"],
            "description": "由区融资担保公司提供担保，银行、担保、政府按比例分担风险，担保费享受区财政补贴。",
            "description_en": "Guaranteed by the district financing guarantee company; the bank, the guarantor "
            "and the government share the risk, and the guarantee fee is subsidised by the district.",
        },
    ),
    DemoProduct(
        "bank2_branch",
        S.PUBLISHED,
        {
            "name": "粤海首贷通",
            "name_en": "Yuehai First Loan",
            "kind": K.CREDIT_LOAN,
            "amount_min": "100000",
            "amount_max": "2000000",
            "term_min_months": 6,
            "term_max_months": 12,
            **_lpr("0.0080"),
            "suits_first_time_borrowers": True,
            "eligible_size_classes": ["micro", "small"],
            "min_years_in_operation": 1,
            "description": "首次向银行贷款的小微企业专享，线上申请，3个工作日内放款。",
            "description_en": "For small firms borrowing from a bank for the first time: apply online, money in "
            "three working days.",
        },
    ),
    DemoProduct(
        "bank2_branch",
        S.PUBLISHED,
        {
            "name": "粤海知识产权质押贷",
            "name_en": "Yuehai IP Pledge Loan",
            "kind": K.IP_PLEDGE,
            "amount_min": "500000",
            "amount_max": "10000000",
            "term_min_months": 12,
            "term_max_months": 36,
            **_fixed("0.0360"),
            "collateral_required": ["ip"],
            "required_labels": ["high_tech", "tech_sme"],
            "fee_rate": "0.0020",
            "fees_note": "专利评估费 / patent appraisal fee",
            "description": "以有效期内的发明专利或实用新型专利质押，评估费由区知识产权质押融资贴息政策补贴。",
            "description_en": "Pledge valid invention or utility-model patents; the appraisal fee is covered by "
            "the district's IP-pledge financing subsidy.",
        },
    ),
    DemoProduct(
        "guarantor",
        S.PUBLISHED,
        {
            "name": "科技企业融资担保",
            "name_en": "Technology Enterprise Financing Guarantee",
            "kind": K.GUARANTEE,
            "amount_min": "1000000",
            "amount_max": "30000000",
            "term_min_months": 12,
            "term_max_months": 36,
            "fee_rate": "0.0100",
            "required_labels": TECH_LABELS,
            "description": "为科技型企业向合作银行贷款提供连带责任保证，年担保费率1%，免收保证金。",
            "description_en": "A joint-liability guarantee for technology firms borrowing from partner banks; "
            "annual fee 1%, no deposit required.",
        },
    ),
    DemoProduct(
        "guarantor",
        S.PUBLISHED,
        {
            "name": "小微首贷担保",
            "name_en": "First-Loan Guarantee for Small Firms",
            "kind": K.GUARANTEE,
            "amount_min": "500000",
            "amount_max": "10000000",
            "term_min_months": 6,
            "term_max_months": 24,
            "fee_rate": "0.0050",
            "suits_first_time_borrowers": True,
            "eligible_size_classes": ["micro", "small"],
            "description": "支持小微企业获得首笔银行贷款，政策性担保费率0.5%，区财政再补贴50%。",
            "description_en": "Helps small firms get their first bank loan: a policy fee of 0.5% a year, half of "
            "it refunded by the district.",
        },
    ),
    DemoProduct(
        "guarantor",
        S.PUBLISHED,
        {
            "name": "续贷过桥担保",
            "name_en": "Renewal Bridge Guarantee",
            "kind": K.GUARANTEE,
            "amount_min": "500000",
            "amount_max": "20000000",
            "term_min_months": 3,
            "term_max_months": 12,
            "fee_rate": "0.0080",
            "allows_renewal_without_repayment": True,
            "description": "为到期贷款的无还本续贷提供担保增信，避免企业高息过桥。",
            "description_en": "Guarantee cover so that a maturing loan can be renewed without repaying the "
            "principal first, sparing the firm expensive bridge loans.",
        },
    ),
)


def _providers() -> dict[str, Organization | None]:
    """The demo providers by role, found by type and tier (first created first)."""
    banks = Organization.objects.filter(org_type=OrgType.BANK, is_active=True).order_by("id")
    heads = list(banks.filter(bank_tier=BankTier.HEAD_OFFICE))
    bank1 = heads[0] if heads else None
    bank2 = heads[1] if len(heads) > 1 else None

    def child(head: Organization | None, tier: str) -> Organization | None:
        return banks.filter(parent=head, bank_tier=tier).first() if head else None

    return {
        "bank1_head": bank1,
        "bank1_branch": child(bank1, BankTier.BRANCH),
        "bank1_scitech": child(bank1, BankTier.SCITECH_BRANCH),
        "bank2_head": bank2,
        "bank2_branch": child(bank2, BankTier.BRANCH),
        "guarantor": Organization.objects.filter(org_type=OrgType.GUARANTOR, is_active=True).order_by("id").first(),
    }


def seed_products(*, rng: random.Random) -> int:
    """Create the demo products whose provider exists and that are not there yet; return how many.

    Publication dates fall within the last 120 days (drawn from `rng`); validity starts a year before
    today and, for a third of the products, ends a year after. Raises ValidationFailed if a demo product
    broke a rule (a bug in this file).
    """
    providers = _providers()
    now = timezone.now()
    today = timezone.localdate()
    created = 0
    with transaction.atomic():
        for spec in PRODUCTS:
            provider = providers.get(spec.provider)
            published_days_ago = rng.randint(3, 120)
            ends = rng.random() < 1 / 3
            if provider is None or Product.objects.filter(provider=provider, name=spec.data["name"]).exists():
                continue
            data = {
                **spec.data,
                "valid_from": today - datetime.timedelta(days=365),
                "valid_until": today + datetime.timedelta(days=365) if ends else None,
            }
            values = validate_new_product(provider=provider, data=data, today=today)
            published_at = now - datetime.timedelta(days=published_days_ago, hours=rng.randint(0, 8))
            product = Product(
                provider=provider,
                status=spec.status,
                published_at=None if spec.status == S.DRAFT else published_at,
                withdrawn_at=published_at + datetime.timedelta(days=published_days_ago // 2)
                if spec.status == S.WITHDRAWN
                else None,
                created_at=published_at - datetime.timedelta(days=rng.randint(1, 10)),
                **{name: value for name, value in values.items() if name not in M2M_FIELDS},
            )
            Product.objects.bulk_create([product])
            for name in M2M_FIELDS:
                if values.get(name):
                    getattr(product, name).set(values[name])
            created += 1
    return created
