"""organization_create: who may call it and the rules of each organisation type."""

from __future__ import annotations

import pytest

from finbridge.accounts.choices import BankTier, OrgType, Role
from finbridge.accounts.models import Organization
from finbridge.accounts.services import organization_create
from finbridge.accounts.tests.factories import DistrictFactory, OrganizationFactory, SubdistrictFactory, member_of
from finbridge.audit.models import AuditEvent
from finbridge.core.errors import Conflict, PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db


def _create(actor, **data):
    return organization_create(actor=actor, data={"name": "新机构", **data})


def _fails(actor, error=ValidationFailed, **data):
    count, events = Organization.objects.count(), AuditEvent.objects.count()
    with pytest.raises(error) as info:
        _create(actor, **data)
    assert Organization.objects.count() == count
    assert AuditEvent.objects.count() == events
    return info.value


def test_creates_a_guarantor_in_the_authority_district_and_audits_it(district_admin):
    org = _create(district_admin, name_en="New Guarantor", org_type=OrgType.GUARANTOR)
    assert org.org_type == OrgType.GUARANTOR
    assert org.district == district_admin.active_memberships[0].organization.district
    event = AuditEvent.objects.get(action="organization_create")
    assert event.object_id == str(org.pk)
    assert event.actor == district_admin
    assert event.after["name"] == "新机构"
    assert event.before is None


def test_creates_a_bank_head_office_and_its_scitech_branch(district_admin):
    head = _create(district_admin, name="某银行", org_type=OrgType.BANK, bank_tier=BankTier.HEAD_OFFICE)
    branch = _create(
        district_admin,
        name="某银行坪山科技支行",
        org_type=OrgType.BANK,
        bank_tier=BankTier.SCITECH_BRANCH,
        parent=head.pk,
    )
    assert branch.parent == head
    assert branch.bank_tier == BankTier.SCITECH_BRANCH


def test_creates_an_industry_authority_with_normalised_known_sectors(district_admin):
    org = _create(district_admin, org_type=OrgType.INDUSTRY_AUTHORITY, industry_sectors=[" c36 ", "I65", "C36"])
    assert org.industry_sectors == ["C36", "I65"]


def test_sectors_may_be_a_comma_separated_string(district_admin):
    org = _create(district_admin, org_type=OrgType.INDUSTRY_AUTHORITY, industry_sectors="C， K7010")
    assert org.industry_sectors == ["C", "K7010"]


def test_creates_a_subdistrict_office_in_its_subdistrict_district(district_admin):
    other_district = DistrictFactory(code="440311", name_zh="其他区", name_en="Other District")
    subdistrict = SubdistrictFactory(district=other_district)
    org = _create(district_admin, org_type=OrgType.SUBDISTRICT_OFFICE, subdistrict=subdistrict.pk)
    assert org.subdistrict == subdistrict
    assert org.district == other_district


@pytest.mark.parametrize(
    ("org_type", "role"),
    [
        (OrgType.DISTRICT_AUTHORITY, Role.STAFF),
        (OrgType.DISTRICT_AUTHORITY, Role.REVIEWER),
        (OrgType.DISTRICT_AUTHORITY, Role.VIEWER),
        (OrgType.INDUSTRY_AUTHORITY, Role.ADMIN),
        (OrgType.SUBDISTRICT_OFFICE, Role.ADMIN),
        (OrgType.BANK, Role.ADMIN),
        (OrgType.MSME, Role.ADMIN),
    ],
)
def test_only_district_authority_admins_may_create(org_type, role):
    _fails(member_of(org_type, role), PermissionDenied, org_type=OrgType.INSURER)


def test_name_and_type_are_required(district_admin):
    error = _fails(district_admin, name=" ", org_type="planet")
    assert set(error.fields) == {"name", "org_type"}


def test_bank_needs_a_tier(district_admin):
    error = _fails(district_admin, org_type=OrgType.BANK)
    assert "bank_tier" in error.fields


def test_only_banks_have_a_tier(district_admin):
    error = _fails(district_admin, org_type=OrgType.INSURER, bank_tier=BankTier.BRANCH)
    assert error.fields["bank_tier"] == ["Only banks have a tier."]


def test_branch_needs_a_parent(district_admin):
    error = _fails(district_admin, org_type=OrgType.BANK, bank_tier=BankTier.BRANCH)
    assert error.fields["parent"] == ["Choose the head office this branch belongs to."]


def test_branch_parent_must_be_a_bank_head_office(district_admin):
    branch = OrganizationFactory(org_type=OrgType.BANK, bank_tier=BankTier.BRANCH)
    insurer = OrganizationFactory(org_type=OrgType.INSURER, bank_tier="")
    for parent in (branch, insurer):
        error = _fails(district_admin, org_type=OrgType.BANK, bank_tier=BankTier.BRANCH, parent=parent.pk)
        assert error.fields["parent"] == ["The parent of a branch must be a bank head office."]


def test_head_office_and_other_types_have_no_parent(district_admin):
    head = OrganizationFactory(org_type=OrgType.BANK, bank_tier=BankTier.HEAD_OFFICE)
    error = _fails(district_admin, org_type=OrgType.BANK, bank_tier=BankTier.HEAD_OFFICE, parent=head.pk)
    assert "parent" in error.fields
    error = _fails(district_admin, org_type=OrgType.INVESTOR, parent=head.pk)
    assert "parent" in error.fields


def test_unknown_parent_is_a_field_error(district_admin):
    error = _fails(district_admin, org_type=OrgType.BANK, bank_tier=BankTier.BRANCH, parent=999999)
    assert error.fields["parent"] == ["No such record."]


def test_industry_authority_needs_known_sectors(district_admin):
    error = _fails(district_admin, org_type=OrgType.INDUSTRY_AUTHORITY, industry_sectors=[])
    assert "industry_sectors" in error.fields
    error = _fails(district_admin, org_type=OrgType.INDUSTRY_AUTHORITY, industry_sectors=["C", "Z99", "C9999"])
    assert error.fields["industry_sectors"] == [
        "Z99 is not a GB/T 4754-2017 industry code.",
        "C9999 is not a GB/T 4754-2017 industry code.",
    ]


def test_only_industry_authorities_have_sectors(district_admin):
    error = _fails(district_admin, org_type=OrgType.MSME, industry_sectors=["C"])
    assert error.fields["industry_sectors"] == ["Only industry authorities have industry sectors."]


def test_subdistrict_office_needs_a_subdistrict_and_others_have_none(district_admin):
    error = _fails(district_admin, org_type=OrgType.SUBDISTRICT_OFFICE)
    assert "subdistrict" in error.fields
    error = _fails(
        district_admin, org_type=OrgType.BANK, bank_tier=BankTier.HEAD_OFFICE, subdistrict=SubdistrictFactory().pk
    )
    assert error.fields["subdistrict"] == ["Only subdistrict offices have a subdistrict."]


def test_subdistrict_must_be_in_the_chosen_district(district_admin):
    other_district = DistrictFactory(code="440399", name_zh="某区", name_en="Some District")
    error = _fails(
        district_admin,
        org_type=OrgType.SUBDISTRICT_OFFICE,
        subdistrict=SubdistrictFactory().pk,
        district=other_district.pk,
    )
    assert "subdistrict" in error.fields


def test_same_type_and_name_is_a_conflict(district_admin):
    _create(district_admin, org_type=OrgType.INSURER)
    error = _fails(district_admin, Conflict, org_type=OrgType.INSURER)
    assert error.code == "organization_exists"
    assert _create(district_admin, org_type=OrgType.INVESTOR).org_type == OrgType.INVESTOR
