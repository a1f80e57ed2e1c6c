"""Services of enterprise records: create, update, verify, yearly figures, contacts."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from finbridge.accounts.choices import OrgType, Role
from finbridge.accounts.models import User
from finbridge.accounts.tests.factories import ClusterFactory, OrganizationFactory
from finbridge.audit.models import AuditEvent
from finbridge.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from finbridge.core.testing import race
from finbridge.enterprises.models import Enterprise, EnterpriseContact, EnterpriseFinancials
from finbridge.enterprises.services.enterprises import (
    MSME_EDITABLE_FIELDS,
    apply_enterprise_data,
    contact_add,
    contact_remove,
    enterprise_create,
    enterprise_update,
    enterprise_verify,
    financials_delete,
    financials_upsert,
    managing_authority_for,
)
from finbridge.enterprises.tests.factories import ContactFactory, FinancialsFactory, valid_uscc
from finbridge.enterprises.tests.registry_setup import build_registry, new_enterprise_data
from finbridge.enterprises.validation import clean_enterprise_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def reg():
    return build_registry()


def _state(enterprise: Enterprise) -> dict:
    enterprise.refresh_from_db()
    return {
        f.attname: getattr(enterprise, f.attname) for f in Enterprise._meta.concrete_fields if f.name != "updated_at"
    }


# ---- managing authority ------------------------------------------------------------------------------


def test_managing_authority_is_the_longest_matching_sector_prefix(reg):
    batteries = OrganizationFactory(org_type=OrgType.INDUSTRY_AUTHORITY, industry_sectors=["C38", "c 36"])
    assert managing_authority_for("C3670") == batteries
    assert managing_authority_for("C1311") == reg.ia_c
    assert managing_authority_for("i6513") == reg.ia_i65
    assert managing_authority_for("F5211") is None


def test_inactive_authorities_and_other_org_types_are_ignored(reg):
    OrganizationFactory(org_type=OrgType.INDUSTRY_AUTHORITY, industry_sectors=["C36"], is_active=False)
    OrganizationFactory(org_type=OrgType.SUBDISTRICT_OFFICE, industry_sectors=["C367"])
    assert managing_authority_for("C3670") == reg.ia_c


# ---- create ------------------------------------------------------------------------------------------------


def test_create_by_district_authority_derives_authority_and_size_and_records_audit_and_history(reg):
    actor = reg.user("district")
    enterprise = enterprise_create(actor=actor, data=new_enterprise_data(clusters="new-energy-vehicles"))

    enterprise.refresh_from_db()
    assert enterprise.uscc == valid_uscc(555)
    assert enterprise.annual_revenue == Decimal("25000000.00")
    assert enterprise.managing_authority == reg.ia_c
    assert enterprise.size_class == "small"
    assert [c.code for c in enterprise.clusters.all()] == ["new-energy-vehicles"]

    event = AuditEvent.objects.get(action="enterprise_create", object_id=str(enterprise.pk))
    assert event.actor == actor
    assert event.before is None
    assert event.after["uscc"] == valid_uscc(555)
    assert event.after["clusters"] == [reg.cluster.pk]

    versions = list(enterprise.history.all())
    assert len(versions) == 1
    assert versions[0].history_type == "+"
    assert versions[0].history_user == actor
    assert versions[0].history_change_reason == "enterprise_create"
    assert [row.industrialcluster_id for row in versions[0].clusters.all()] == [reg.cluster.pk]


def test_create_without_clusters_has_one_creation_version(reg):
    actor = reg.user("ia_c")
    enterprise = enterprise_create(actor=actor, data=new_enterprise_data())
    assert [(v.history_type, v.history_user) for v in enterprise.history.all()] == [("+", actor)]


def test_subdistrict_office_creates_only_in_its_subdistrict(reg):
    actor = reg.user("so_s1")
    assert enterprise_create(actor=actor, data=new_enterprise_data()).subdistrict == reg.s1

    count, audits = Enterprise.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as error:
        enterprise_create(actor=actor, data=new_enterprise_data(uscc=valid_uscc(556), subdistrict="440310002"))
    assert error.value.code == "outside_remit"
    assert "subdistrict" in error.value.fields
    assert (Enterprise.objects.count(), AuditEvent.objects.count()) == (count, audits)


def test_industry_authority_creates_only_in_its_sectors(reg):
    actor = reg.user("ia_i65")
    with pytest.raises(ValidationFailed) as error:
        enterprise_create(actor=actor, data=new_enterprise_data())
    assert error.value.code == "outside_remit"
    assert "C3670" in error.value.fields["industry_code"][0]
    assert not Enterprise.objects.filter(uscc=valid_uscc(555)).exists()

    created = enterprise_create(actor=actor, data=new_enterprise_data(industry_code="I6513", employees=15))
    assert created.managing_authority == reg.ia_i65


def test_duplicate_credit_code_is_a_conflict_naming_the_code_and_changes_nothing(reg):
    actor = reg.user("district")
    count, audits = Enterprise.objects.count(), AuditEvent.objects.count()
    with pytest.raises(Conflict) as error:
        enterprise_create(actor=actor, data=new_enterprise_data(uscc=" " + valid_uscc(101).lower()))
    assert error.value.code == "duplicate_uscc"
    assert valid_uscc(101) in error.value.message
    assert valid_uscc(101) in error.value.fields["uscc"][0]
    assert (Enterprise.objects.count(), AuditEvent.objects.count()) == (count, audits)


def test_bad_input_reports_every_field_and_creates_nothing(reg):
    count, audits = Enterprise.objects.count(), AuditEvent.objects.count()
    data = new_enterprise_data(uscc="91440300MA5XXXXX", industry_code="Z9999", employees=-3, annual_revenue="1e20")
    with pytest.raises(ValidationFailed) as error:
        enterprise_create(actor=reg.user("district"), data=data)
    assert set(error.value.fields) >= {"uscc", "industry_code", "employees", "annual_revenue"}
    assert (Enterprise.objects.count(), AuditEvent.objects.count()) == (count, audits)


@pytest.mark.parametrize(
    ("org", "role"),
    [
        ("district", Role.REVIEWER),
        ("district", Role.VIEWER),
        ("ia_c", Role.VIEWER),
        ("head", Role.ADMIN),
        ("msme", Role.ADMIN),
    ],
)
def test_create_needs_add_enterprise(reg, org, role):
    count = Enterprise.objects.count()
    with pytest.raises(PermissionDenied):
        enterprise_create(actor=reg.user(org, role), data=new_enterprise_data())
    assert Enterprise.objects.count() == count
    assert not AuditEvent.objects.exists()


# ---- update --------------------------------------------------------------------------------------------------


def test_update_re_derives_size_class_and_records_before_after_and_history(reg):
    actor = reg.user("ia_c")
    updated = enterprise_update(
        actor=actor, enterprise=reg.factory, data={"employees": 350, "annual_revenue": "50000000"}
    )
    assert updated.size_class == "medium"
    reg.factory.refresh_from_db()
    assert (reg.factory.employees, reg.factory.size_class) == (350, "medium")

    event = AuditEvent.objects.get(action="enterprise_update")
    assert event.actor == actor
    assert (event.before["employees"], event.after["employees"]) == (50, 350)
    assert (event.before["size_class"], event.after["size_class"]) == ("small", "medium")
    latest = reg.factory.history.latest()
    assert (latest.history_type, latest.history_user, latest.history_change_reason) == ("~", actor, "enterprise_update")

    enterprise_update(actor=actor, enterprise=reg.factory, data={"employees": 5})
    reg.factory.refresh_from_db()
    assert reg.factory.size_class == "micro"


def test_changing_the_industry_reassigns_the_managing_authority_and_size(reg):
    actor = reg.user("district")
    updated = enterprise_update(actor=actor, enterprise=reg.factory, data={"industry_code": "I6513"})
    assert updated.managing_authority == reg.ia_i65
    # Software: 50 staff and 3,000万 revenue is small (medium needs 100 staff).
    assert updated.size_class == "small"


def test_update_with_no_change_writes_nothing(reg):
    actor = reg.user("ia_c")
    versions = reg.factory.history.count()
    data = clean_enterprise_data(
        {"name": reg.factory.name, "employees": "50", "clusters": "new-energy-vehicles"}, partial=True
    )
    enterprise, changed = apply_enterprise_data(
        actor=actor, data=data, existing=reg.factory, action="enterprise_import"
    )
    assert changed is False
    assert enterprise.pk == reg.factory.pk
    assert reg.factory.history.count() == versions
    assert not AuditEvent.objects.exists()


def test_clusters_change_is_one_history_version_with_the_new_clusters(reg):
    actor = reg.user("ia_c")
    chips = ClusterFactory(code="integrated-circuits")
    versions = reg.factory.history.count()
    enterprise_update(
        actor=actor, enterprise=reg.factory, data={"clusters": ["integrated-circuits", "new-energy-vehicles"]}
    )
    assert reg.factory.history.count() == versions + 1
    latest = reg.factory.history.latest()
    assert sorted(row.industrialcluster_id for row in latest.clusters.all()) == sorted([chips.pk, reg.cluster.pk])
    assert latest.history_user == actor


def test_msme_edits_its_own_description_and_figures(reg):
    owner = reg.user("msme")
    enterprise_update(actor=owner, enterprise=reg.factory, data={"address": "坪山大道1号", "employees": 60})
    reg.factory.refresh_from_db()
    assert (reg.factory.address, reg.factory.employees) == ("坪山大道1号", 60)
    assert reg.factory.history.latest().history_user == owner


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("uscc", valid_uscc(999)),
        ("subdistrict", "440310002"),
        ("industry_code", "C3711"),
        ("clusters", ""),
        ("is_high_tech", False),
        ("is_little_giant", True),
        ("has_serious_bad_credit", True),
    ],
)
def test_msme_may_not_change_managed_fields(reg, field, value):
    before = _state(reg.factory)
    with pytest.raises(PermissionDenied) as error:
        enterprise_update(actor=reg.user("msme"), enterprise=reg.factory, data={field: value, "address": "x"})
    assert error.value.code == "field_not_editable"
    assert list(error.value.fields) == [field]
    assert _state(reg.factory) == before
    assert reg.factory.clusters.count() == 1
    assert not AuditEvent.objects.exists()


def test_msme_editable_fields_are_documented_and_exclude_managed_fields():
    assert {"uscc", "subdistrict", "industry_code", "has_serious_bad_credit", "is_high_tech"}.isdisjoint(
        MSME_EDITABLE_FIELDS
    )


def test_msme_may_send_managed_fields_unchanged(reg):
    enterprise_update(
        actor=reg.user("msme"),
        enterprise=reg.factory,
        data={"uscc": reg.factory.uscc, "industry_code": "C3670", "is_high_tech": True, "name": "新名字有限公司"},
    )
    reg.factory.refresh_from_db()
    assert reg.factory.name == "新名字有限公司"


def test_government_sets_the_bad_credit_flag(reg):
    enterprise_update(actor=reg.user("so_s1"), enterprise=reg.factory, data={"has_serious_bad_credit": "是"})
    reg.factory.refresh_from_db()
    assert reg.factory.has_serious_bad_credit is True


def test_subdistrict_office_may_not_move_a_record_out_of_its_area(reg):
    before = _state(reg.factory)
    with pytest.raises(ValidationFailed) as error:
        enterprise_update(actor=reg.user("so_s1"), enterprise=reg.factory, data={"subdistrict": "440310002"})
    assert error.value.code == "outside_remit"
    assert _state(reg.factory) == before
    assert not AuditEvent.objects.exists()


def test_changing_the_credit_code_to_a_taken_one_is_a_conflict(reg):
    before = _state(reg.factory)
    with pytest.raises(Conflict) as error:
        enterprise_update(actor=reg.user("district"), enterprise=reg.factory, data={"uscc": reg.software.uscc})
    assert error.value.code == "duplicate_uscc"
    assert _state(reg.factory) == before


def test_update_of_a_hidden_record_is_not_found_and_of_a_visible_one_without_right_is_denied(reg):
    before = _state(reg.factory)
    with pytest.raises(NotFound):
        enterprise_update(actor=reg.user("ia_i65"), enterprise=reg.factory, data={"address": "x"})
    with pytest.raises(NotFound):
        enterprise_update(actor=reg.user("other_bank"), enterprise=reg.factory, data={"address": "x"})
    with pytest.raises(PermissionDenied):
        enterprise_update(actor=reg.user("head", Role.ADMIN), enterprise=reg.factory, data={"address": "x"})
    with pytest.raises(PermissionDenied):
        enterprise_update(actor=reg.user("ia_c", Role.VIEWER), enterprise=reg.factory, data={"address": "x"})
    assert _state(reg.factory) == before
    assert not AuditEvent.objects.exists()


def test_update_with_bad_values_changes_nothing(reg):
    before = _state(reg.factory)
    with pytest.raises(ValidationFailed) as error:
        enterprise_update(
            actor=reg.user("district"), enterprise=reg.factory, data={"employees": "many", "name": "", "bogus": 1}
        )
    assert set(error.value.fields) == {"employees", "name", "bogus"}
    assert _state(reg.factory) == before


def test_full_update_requires_the_required_fields(reg):
    with pytest.raises(ValidationFailed) as error:
        enterprise_update(actor=reg.user("district"), enterprise=reg.factory, data={"address": "x"}, partial=False)
    assert set(error.value.fields) == {"uscc", "name", "industry_code"}


# ---- verify ------------------------------------------------------------------------------------------------------


def test_verify_sets_dates_and_records_audit_and_history(reg, settings):
    settings.FINBRIDGE_VERIFICATION_INTERVAL_DAYS = 180
    actor = reg.user("so_s1", Role.REVIEWER)
    verified = enterprise_verify(actor=actor, enterprise=reg.factory)
    reg.factory.refresh_from_db()
    assert reg.factory.last_verified_by == actor
    assert reg.factory.last_verified_at is not None
    assert reg.factory.verification_due_on == timezone.localdate() + datetime.timedelta(days=180)
    assert verified.verification_state() == "current"
    event = AuditEvent.objects.get(action="enterprise_verify")
    assert event.before["verification_due_on"] is None
    assert event.after["verification_due_on"] == reg.factory.verification_due_on.isoformat()
    assert reg.factory.history.latest().history_user == actor


@pytest.mark.parametrize(("org", "role"), [("msme", Role.ADMIN), ("head", Role.ADMIN), ("ia_c", Role.VIEWER)])
def test_verify_needs_verify_enterprise(reg, org, role):
    with pytest.raises(PermissionDenied):
        enterprise_verify(actor=reg.user(org, role), enterprise=reg.factory)
    reg.factory.refresh_from_db()
    assert reg.factory.last_verified_at is None


def test_verify_outside_remit_is_not_found(reg):
    with pytest.raises(NotFound):
        enterprise_verify(actor=reg.user("so_s1"), enterprise=reg.software)
    reg.software.refresh_from_db()
    assert reg.software.verification_due_on is None


# ---- yearly figures ---------------------------------------------------------------------------------------------


def test_financials_upsert_creates_then_updates_one_year(reg):
    actor = reg.user("msme")
    row = financials_upsert(
        actor=actor, enterprise=reg.factory, year=2024, data={"revenue": "1,200,000.50", "net_profit": "-35000"}
    )
    assert (row.revenue, row.net_profit) == (Decimal("1200000.50"), Decimal("-35000.00"))
    again = financials_upsert(actor=actor, enterprise=reg.factory, year="2024", data={"employees": 42})
    assert again.pk == row.pk
    assert (again.revenue, again.employees) == (Decimal("1200000.50"), 42)
    assert EnterpriseFinancials.objects.filter(enterprise=reg.factory).count() == 1
    assert AuditEvent.objects.filter(action="financials_upsert").count() == 2
    assert again.history.latest().history_user == actor


@pytest.mark.parametrize(
    ("year", "data", "field"),
    [
        (1900, {"revenue": "1"}, "year"),
        (datetime.date.today().year + 1, {}, "year"),
        ("twenty", {}, "year"),
        (2024, {"revenue": "-1"}, "revenue"),
        (2024, {"total_assets": "99999999999999999"}, "total_assets"),
        (2024, {"net_profit": "lots"}, "net_profit"),
        (2024, {"employees": "1.5"}, "employees"),
        (2024, {"colour": "red"}, "colour"),
    ],
)
def test_financials_bad_input_changes_nothing(reg, year, data, field):
    with pytest.raises(ValidationFailed) as error:
        financials_upsert(actor=reg.user("district"), enterprise=reg.factory, year=year, data=data)
    assert field in error.value.fields
    assert not EnterpriseFinancials.objects.exists()
    assert not AuditEvent.objects.exists()


def test_financials_need_change_right(reg):
    with pytest.raises(PermissionDenied):
        financials_upsert(actor=reg.user("head"), enterprise=reg.factory, year=2024, data={"revenue": "1"})
    assert not EnterpriseFinancials.objects.exists()


def test_financials_delete(reg):
    row = FinancialsFactory(enterprise=reg.factory, year=2023)
    with pytest.raises(PermissionDenied):
        financials_delete(actor=reg.user("ia_c", Role.VIEWER), financials=row)
    assert EnterpriseFinancials.objects.filter(pk=row.pk).exists()
    financials_delete(actor=reg.user("ia_c"), financials=row)
    assert not EnterpriseFinancials.objects.filter(pk=row.pk).exists()
    assert AuditEvent.objects.get(action="financials_delete").before["year"] == 2023


# ---- contacts -------------------------------------------------------------------------------------------------------


def test_contact_add_makes_a_new_primary_the_only_primary(reg):
    old = ContactFactory(enterprise=reg.factory, is_primary=True)
    contact = contact_add(
        actor=reg.user("msme"),
        enterprise=reg.factory,
        data={"name": " 王 五 ", "phone": "+86 755-1234 5678", "email": "wang@example.com", "is_primary": "yes"},
    )
    assert (contact.name, contact.is_primary) == ("王 五", True)
    old.refresh_from_db()
    assert old.is_primary is False
    event = AuditEvent.objects.get(action="contact_add")
    assert event.after["demoted_primary_contacts"] == [old.pk]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"phone": "1"}, "name"),
        ({"name": "x", "email": "not-an-email"}, "email"),
        ({"name": "x", "phone": "call me"}, "phone"),
    ],
)
def test_contact_bad_input_changes_nothing(reg, data, field):
    with pytest.raises(ValidationFailed) as error:
        contact_add(actor=reg.user("district"), enterprise=reg.factory, data=data)
    assert field in error.value.fields
    assert not EnterpriseContact.objects.exists()


def test_contact_remove(reg):
    contact = ContactFactory(enterprise=reg.factory)
    with pytest.raises(NotFound):
        contact_remove(actor=reg.user("ia_i65"), contact=contact)
    with pytest.raises(PermissionDenied):
        contact_remove(actor=reg.user("head"), contact=contact)
    assert EnterpriseContact.objects.filter(pk=contact.pk).exists()
    contact_remove(actor=reg.user("so_s1"), contact=contact)
    assert not EnterpriseContact.objects.filter(pk=contact.pk).exists()
    assert AuditEvent.objects.get(action="contact_remove").before["name"] == contact.name


# ---- concurrency (PostgreSQL: row locks and the unique index) -----------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_parallel_creates_of_one_credit_code_make_one_record():
    reg = build_registry()
    actor_id = reg.user("district").pk

    def create():
        return enterprise_create(actor=User.objects.get(pk=actor_id), data=new_enterprise_data())

    results = race(*([create] * 4))

    assert sum(isinstance(r, Enterprise) for r in results) == 1
    assert {r.code for r in results if isinstance(r, DomainError)} == {"duplicate_uscc"}
    assert Enterprise.objects.filter(uscc=valid_uscc(555)).count() == 1
    assert AuditEvent.objects.filter(action="enterprise_create").count() == 1
