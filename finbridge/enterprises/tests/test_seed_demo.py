"""The demo loader (`manage.py seed_demo`): logins, organisations, reference data, believable enterprises."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone
from stdnum.cn import uscc as stdnum_uscc

from finbridge.accounts.choices import BankTier, OrgType, Role
from finbridge.accounts.models import Membership, Organization, User
from finbridge.audit.models import AuditEvent
from finbridge.enterprises import demo
from finbridge.enterprises.choices import ConsentScope, SizeClass
from finbridge.enterprises.demo import demo_uscc, valid_uscc
from finbridge.enterprises.models import Consent, Enterprise, EnterpriseContact, EnterpriseFinancials
from finbridge.enterprises.selectors import enterprise_visible_queryset
from finbridge.enterprises.services.enterprises import managing_authority_for
from finbridge.enterprises.sizing import classify
from finbridge.enterprises.validation import normalize_uscc
from finbridge.reference.industries import industry_get
from finbridge.reference.models import District, IndustrialCluster, Subdistrict

pytestmark = pytest.mark.django_db

SIZE = 60
TOKEN_URL = "/api/v1/auth/token/"

EXPECTED_LOGINS = {
    "authority_admin": (OrgType.DISTRICT_AUTHORITY, Role.ADMIN),
    "industry_staff": (OrgType.INDUSTRY_AUTHORITY, Role.STAFF),
    "subdistrict_staff": (OrgType.SUBDISTRICT_OFFICE, Role.STAFF),
    "bank_staff": (OrgType.BANK, Role.STAFF),
    "scitech_branch_staff": (OrgType.BANK, Role.STAFF),
    "guarantor_staff": (OrgType.GUARANTOR, Role.STAFF),
    "insurer_staff": (OrgType.INSURER, Role.STAFF),
    "investor_staff": (OrgType.INVESTOR, Role.STAFF),
    "securities_staff": (OrgType.SECURITIES_FIRM, Role.STAFF),
    "core_enterprise_staff": (OrgType.CORE_ENTERPRISE, Role.STAFF),
    "msme_owner": (OrgType.MSME, Role.ADMIN),
}


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", enterprises=options.pop("enterprises", SIZE), stdout=out, **options)
    return out.getvalue()


def organisation_of(username: str) -> Organization:
    return Membership.objects.select_related("organization").get(user__username=username).organization


def counts() -> dict[str, int]:
    models = (District, Subdistrict, IndustrialCluster, Organization, User, Enterprise, Consent, AuditEvent)
    return {model.__name__: model.objects.count() for model in models}


def test_every_demo_login_has_its_organisation_type_and_role():
    seed()
    assert User.objects.count() == len(EXPECTED_LOGINS)
    for username, (org_type, role) in EXPECTED_LOGINS.items():
        membership = Membership.objects.select_related("organization").get(user__username=username)
        assert (membership.organization.org_type, membership.role) == (org_type, role), username
    assert organisation_of("subdistrict_staff").subdistrict.name_zh == "坑梓"
    assert organisation_of("industry_staff").industry_sectors == ["B", "C", "D"]
    assert organisation_of("authority_admin").name == "坪山区发展和改革局"


def test_banks_have_a_head_office_a_pingshan_branch_and_a_scitech_branch():
    seed()
    branch, scitech = organisation_of("bank_staff"), organisation_of("scitech_branch_staff")
    assert branch.bank_tier == BankTier.BRANCH
    assert scitech.bank_tier == BankTier.SCITECH_BRANCH
    assert branch.parent_id == scitech.parent_id
    assert branch.parent.bank_tier == BankTier.HEAD_OFFICE
    assert {o.org_type for o in Organization.objects.all()} == set(OrgType.values)


def test_the_district_its_six_subdistricts_and_its_clusters():
    seed()
    district = District.objects.get(code="440310")
    assert district.name_zh == "坪山区"
    assert set(district.subdistricts.values_list("name_zh", flat=True)) == {
        "坪山",
        "马峦",
        "碧岭",
        "石井",
        "坑梓",
        "龙田",
    }
    offices = Organization.objects.filter(org_type=OrgType.SUBDISTRICT_OFFICE)
    assert {o.subdistrict.name_en for o in offices} == {"Pingshan", "Maluan", "Biling", "Shijing", "Kengzi", "Longtian"}
    cluster_names = set(district.clusters.values_list("name_en", flat=True))
    assert {
        "New-energy and intelligent connected vehicles",
        "Biomedicine",
        "Integrated circuits and next-generation IT",
        "New-type energy storage",
        "New materials",
        "Low-altitude economy",
    } <= cluster_names


def test_enterprises_are_believable_and_consistent_with_the_registry_rules():
    seed()
    enterprises = list(Enterprise.objects.select_related("subdistrict"))
    assert len(enterprises) == SIZE
    assert {e.size_class for e in enterprises} >= set(SizeClass.values)
    codes = [e.uscc for e in enterprises]
    assert len(set(codes)) == SIZE
    for enterprise in enterprises:
        assert normalize_uscc(enterprise.uscc) == enterprise.uscc
        assert industry_get(enterprise.industry_code) is not None
        assert enterprise.name.startswith("深圳市") and enterprise.name.endswith("公司")
        assert enterprise.address.startswith(f"广东省深圳市坪山区{enterprise.subdistrict.name_zh}街道")
        assert enterprise.size_class == classify(
            industry_code=enterprise.industry_code,
            employees=enterprise.employees,
            revenue=enterprise.annual_revenue,
            assets=enterprise.total_assets,
        )
        authority = managing_authority_for(enterprise.industry_code)
        assert enterprise.managing_authority_id == (authority.pk if authority else None)
    today = timezone.localdate()
    states = {e.verification_state(today) for e in enterprises}
    assert states == {"current", "due", "never"}
    assert EnterpriseFinancials.objects.exists() and EnterpriseContact.objects.exists()
    assert Enterprise.objects.filter(organization=organisation_of("msme_owner")).count() == 1
    assert Enterprise.objects.get(organization=organisation_of("core_enterprise_staff")).size_class == "large"
    assert Enterprise.history.count() == 0  # the loader writes directly: no record history for demo data


def test_consents_mix_scopes_and_states_and_drive_what_institutions_see():
    seed()
    today = timezone.localdate()
    consents = Consent.objects.all()
    assert set(consents.values_list("scope", flat=True)) == set(ConsentScope.values)
    assert consents.filter(revoked_at__isnull=False).exists()
    assert consents.filter(expires_on__lt=today, revoked_at__isnull=True).exists()
    assert sum(c.is_active(today) for c in consents) > 0
    msme = Enterprise.objects.get(organization=organisation_of("msme_owner"))

    def sees_msme(username: str) -> bool:
        return enterprise_visible_queryset(actor=User.objects.get(username=username)).filter(pk=msme.pk).exists()

    assert sees_msme("bank_staff") and sees_msme("scitech_branch_staff") and sees_msme("msme_owner")
    assert not sees_msme("guarantor_staff")  # revoked
    assert not sees_msme("insurer_staff")  # expired
    assert not sees_msme("investor_staff")  # never granted


def test_credit_codes_are_valid_and_never_collide_with_the_test_recipe():
    assert stdnum_uscc.is_valid(valid_uscc(1)) and stdnum_uscc.is_valid(demo_uscc(123456))
    assert valid_uscc(7) == "91440300000000007" + stdnum_uscc.calc_check_digit("91440300000000007")
    assert demo_uscc(0).startswith("91440300MA5") and not valid_uscc(0).startswith("91440300MA5")
    assert len({demo_uscc(n) for n in range(5000)}) == 5000


def test_if_empty_does_nothing_when_the_district_exists():
    seed()
    before = counts()
    assert "nothing to do" in seed(**{"if_empty": True})
    assert "nothing to do" in seed(**{"if_empty": True})
    assert counts() == before


def test_loading_twice_without_if_empty_is_refused_and_changes_nothing():
    seed()
    before = counts()
    with pytest.raises(CommandError, match="already loaded"):
        seed()
    assert counts() == before


def test_too_few_enterprises_is_refused_and_creates_nothing():
    with pytest.raises(CommandError, match="at least 2"):
        seed(enterprises=1)
    assert counts() == dict.fromkeys(counts(), 0)


class _Rollback(Exception):
    pass


def _snapshot_of_a_load(seed_value: int) -> list[tuple]:
    """Load in a savepoint, read what was made, and roll it back."""
    rows: list[tuple] = []
    with pytest.raises(_Rollback), transaction.atomic():
        seed(seed=seed_value)
        rows = list(
            Enterprise.objects.order_by("uscc").values_list("uscc", "name", "industry_code", "employees", "size_class")
        )
        raise _Rollback
    return rows


def test_the_same_seed_gives_the_same_enterprises():
    first, second, other = _snapshot_of_a_load(11), _snapshot_of_a_load(11), _snapshot_of_a_load(12)
    assert first == second
    assert first != other
    assert Enterprise.objects.count() == 0


@pytest.mark.parametrize("username", ["authority_admin", "bank_staff", "msme_owner"])
def test_demo_password_signs_in(api_client, settings, username):
    settings.FINBRIDGE_DEMO_PASSWORD = "Another-demo-pass-9"
    seed()
    response = api_client.post(TOKEN_URL, {"username": username, "password": "Another-demo-pass-9"}, format="json")
    assert response.status_code == 200 and response.json()["token"]
    wrong = api_client.post(TOKEN_URL, {"username": username, "password": "finbridge-demo"}, format="json")
    assert wrong.status_code == 400 and wrong.json()["code"] == "invalid_credentials"


def test_demo_logins_sign_in_on_the_login_page(client, settings):
    seed()
    response = client.post(
        "/accounts/login/", {"username": "industry_staff", "password": settings.FINBRIDGE_DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(username="industry_staff").pk)


def _gin_indexes() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'enterprises_enterprise' AND indexdef LIKE %s",
            ["% USING gin %"],
        )
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="GIN indexes exist on PostgreSQL only")
def test_a_large_load_builds_the_name_search_indexes_again_afterwards(monkeypatch):
    before = _gin_indexes()
    assert {"ent_name_trgm_idx", "ent_name_bigram_idx"} <= before
    monkeypatch.setattr(demo, "DEFER_GIN_FROM", 10)
    seed()
    assert _gin_indexes() == before
    assert Enterprise.objects.count() == SIZE
