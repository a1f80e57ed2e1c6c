"""Selectors of the registry: visibility for every organisation type, search, filters, history, consents."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from finbridge.accounts.choices import OrgType, Role
from finbridge.accounts.tests.factories import ClusterFactory, MembershipFactory, OrganizationFactory, UserFactory
from finbridge.core.errors import NotFound, PermissionDenied, ValidationFailed
from finbridge.enterprises.models import Consent
from finbridge.enterprises.selectors import (
    can_see_financials,
    consent_get,
    consent_list,
    contact_get,
    enterprise_get,
    enterprise_history,
    enterprise_list,
    enterprise_visible_queryset,
    financials_list,
    financials_visible_ids,
    grantee_choices,
    industry_codes_under,
    own_enterprises,
    verification_overdue_count,
)
from finbridge.enterprises.services.consents import consent_revoke
from finbridge.enterprises.services.enterprises import enterprise_create, enterprise_update, enterprise_verify
from finbridge.enterprises.tests.factories import ConsentFactory, ContactFactory, EnterpriseFactory, FinancialsFactory
from finbridge.enterprises.tests.registry_setup import build_registry, new_enterprise_data, user_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def reg():
    return build_registry()


def _names(qs) -> set[str]:
    return {e.name for e in qs}


# ---- visibility for every organisation type -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("org", "expected"),
    [
        ("district", {"factory", "software", "shop"}),
        ("ia_c", {"factory"}),
        ("ia_i65", {"software"}),
        ("so_s1", {"factory"}),
        ("msme", {"factory"}),
        ("head", {"factory"}),
        ("branch", {"factory"}),
        ("other_bank", {"software"}),
        ("guarantor", set()),
    ],
)
def test_visibility_by_organisation(reg, org, expected):
    user = reg.user(org, Role.VIEWER)
    expected_names = {getattr(reg, name).name for name in expected}
    assert _names(enterprise_visible_queryset(actor=user)) == expected_names
    assert _names(enterprise_list(actor=user)) == expected_names


@pytest.mark.parametrize(
    "org_type", [OrgType.INSURER, OrgType.INVESTOR, OrgType.SECURITIES_FIRM, OrgType.CORE_ENTERPRISE]
)
def test_other_institutions_see_only_with_consent(reg, org_type):
    organization = OrganizationFactory(org_type=org_type)
    user = user_in(organization)
    assert not enterprise_visible_queryset(actor=user).exists()
    ConsentFactory(enterprise=reg.shop, grantee=organization, scope="profile")
    assert _names(enterprise_visible_queryset(actor=user)) == {reg.shop.name}


def test_a_user_without_membership_sees_nothing(reg):
    assert not enterprise_visible_queryset(actor=UserFactory()).exists()
    with pytest.raises(NotFound):
        enterprise_get(actor=UserFactory(), pk=reg.shop.pk)


def test_expired_and_revoked_consents_do_not_count(reg):
    user = reg.user("guarantor")
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    ConsentFactory(enterprise=reg.shop, grantee=reg.guarantor, expires_on=yesterday)
    ConsentFactory(enterprise=reg.software, grantee=reg.guarantor, revoked_at=timezone.now())
    assert not enterprise_visible_queryset(actor=user).exists()
    ConsentFactory(enterprise=reg.factory, grantee=reg.guarantor, expires_on=timezone.localdate())
    assert _names(enterprise_visible_queryset(actor=user)) == {reg.factory.name}


def test_a_user_in_two_organisations_sees_the_union(reg):
    user = reg.user("so_s1")
    MembershipFactory(user=user, organization=reg.other_bank)
    assert _names(enterprise_visible_queryset(actor=user)) == {reg.factory.name, reg.software.name}


def test_enterprise_get_hides_others_and_bad_ids(reg):
    user = reg.user("so_s1")
    assert enterprise_get(actor=user, pk=str(reg.factory.pk)) == reg.factory
    for pk in (reg.software.pk, 10**9, "abc", None, 10**30):
        with pytest.raises(NotFound):
            enterprise_get(actor=user, pk=pk)


# ---- financial figures ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("org", "enterprise", "expected"),
    [
        ("district", "shop", True),
        ("ia_c", "factory", True),
        ("msme", "factory", True),
        ("head", "factory", True),
        ("branch", "factory", True),
        ("other_bank", "software", False),
    ],
)
def test_figures_follow_the_consent_scope(reg, org, enterprise, expected):
    user = reg.user(org)
    target = getattr(reg, enterprise)
    assert can_see_financials(actor=user, enterprise=target) is expected
    assert (target.pk in financials_visible_ids(actor=user, enterprises=[target])) is expected


def test_financials_list_refuses_a_profile_only_consent(reg):
    FinancialsFactory(enterprise=reg.software, year=2024)
    assert [row.year for row in financials_list(actor=reg.user("ia_i65"), enterprise=reg.software)] == [2024]
    with pytest.raises(PermissionDenied) as error:
        financials_list(actor=reg.user("other_bank"), enterprise=reg.software)
    assert error.value.code == "financials_not_shared"
    with pytest.raises(NotFound):
        financials_list(actor=reg.user("head"), enterprise=reg.software)


def test_contact_get_follows_visibility(reg):
    contact = ContactFactory(enterprise=reg.factory)
    assert contact_get(actor=reg.user("head"), pk=contact.pk) == contact
    with pytest.raises(NotFound):
        contact_get(actor=reg.user("other_bank"), pk=contact.pk)


# ---- search and filters ---------------------------------------------------------------------------------------------


def test_search_by_chinese_name_fragment(reg):
    user = reg.user("district")
    assert _names(enterprise_list(actor=user, q="马峦")) == {reg.software.name, reg.shop.name}
    assert _names(enterprise_list(actor=user, q="  电池 ")) == {reg.factory.name}


def test_search_by_english_name_ignores_case(reg):
    user = reg.user("district")
    assert _names(enterprise_list(actor=user, q="maluan SOFTWARE")) == {reg.software.name}


def test_search_by_credit_code_with_spaces_and_lower_case(reg):
    user = reg.user("district")
    code = reg.software.uscc.lower()
    spaced = " ".join([code[:6], code[6:12], code[12:]])
    assert _names(enterprise_list(actor=user, q=spaced)) == {reg.software.name}


def test_search_never_leaves_the_visible_rows(reg):
    user = reg.user("so_s1")
    assert not enterprise_list(actor=user, q=reg.software.uscc).exists()
    assert not enterprise_list(actor=user, q="马峦").exists()


def test_filters(reg):
    user = reg.user("district")
    reg.software.is_srdi = True
    reg.software.verification_due_on = timezone.localdate()
    reg.software.save()
    reg.shop.verification_due_on = timezone.localdate() + datetime.timedelta(days=1)
    reg.shop.save()
    chips = ClusterFactory(code="integrated-circuits")
    reg.software.clusters.add(chips)

    def names(**filters):
        return _names(enterprise_list(actor=user, filters=filters))

    assert names(subdistrict="440310002") == {reg.software.name, reg.shop.name}
    assert names(cluster="new-energy-vehicles") == {reg.factory.name}
    assert names(cluster="integrated-circuits") == {reg.software.name}
    assert names(size_class="micro") == {reg.software.name}
    assert names(label="high_tech") == {reg.factory.name}
    assert names(label="srdi") == {reg.software.name}
    assert names(verification="due") == {reg.software.name}
    assert names(verification="current") == {reg.shop.name}
    assert names(verification="never") == {reg.factory.name}
    assert names(industry="C") == {reg.factory.name}
    assert names(industry="c36") == {reg.factory.name}
    assert names(industry="I65") == {reg.software.name}
    assert names(industry="F52", subdistrict="440310002") == {reg.shop.name}
    assert names(subdistrict="nowhere") == set()
    assert names(size_class="", label=None) == {reg.factory.name, reg.software.name, reg.shop.name}


def test_industry_prefix_expands_to_the_codes_below_it():
    codes = industry_codes_under("C36")
    assert "C36" in codes and "C3670" in codes
    assert all(code.startswith("C36") for code in codes)
    assert industry_codes_under("Q9") == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"filters": {"size_class": "huge"}}, "size_class"),
        ({"filters": {"label": "famous"}}, "label"),
        ({"filters": {"verification": "soon"}}, "verification"),
        ({"filters": {"colour": "red"}}, "colour"),
        ({"ordering": "revenue"}, "ordering"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_bad_filters_are_validation_errors(reg, kwargs, field):
    with pytest.raises(ValidationFailed) as error:
        enterprise_list(actor=reg.user("district"), **kwargs)
    assert field in error.value.fields


def test_ordering(reg):
    user = reg.user("district")
    twin = EnterpriseFactory(name=reg.shop.name, subdistrict=reg.s2)
    by_name = list(enterprise_list(actor=user))
    assert [e.name for e in by_name] == sorted(e.name for e in by_name)
    shops = [e.pk for e in by_name if e.name == reg.shop.name]
    assert shops == sorted([reg.shop.pk, twin.pk])
    by_uscc = [e.uscc for e in enterprise_list(actor=user, ordering="-uscc")]
    assert by_uscc == sorted(by_uscc, reverse=True)


def test_name_search_without_ordering_lists_newest_first_and_honours_an_explicit_ordering(reg):
    user = reg.user("district")
    older = EnterpriseFactory(name="甲乙丙科技有限公司", subdistrict=reg.s2)
    newer = EnterpriseFactory(name="丁甲乙科技有限公司", subdistrict=reg.s2)
    assert [e.pk for e in enterprise_list(actor=user, q="甲乙")] == [newer.pk, older.pk]
    by_name = sorted([older, newer], key=lambda e: e.name)
    assert [e.pk for e in enterprise_list(actor=user, q="甲乙", ordering="name")] == [e.pk for e in by_name]
    by_credit_code = list(enterprise_list(actor=user, q=older.uscc))
    assert [e.pk for e in by_credit_code] == [older.pk]


# ---- history ----------------------------------------------------------------------------------------------------------


def test_history_lists_versions_newest_first_with_user_and_old_new_values(reg):
    creator, editor, verifier = reg.user("district"), reg.user("ia_c"), reg.user("so_s1", Role.REVIEWER)
    enterprise = enterprise_create(actor=creator, data=new_enterprise_data(clusters="new-energy-vehicles"))
    enterprise_update(
        actor=editor, enterprise=enterprise, data={"employees": 400, "annual_revenue": "60000000", "clusters": ""}
    )
    enterprise_verify(actor=verifier, enterprise=enterprise)

    entries = enterprise_history(actor=reg.user("ia_c", Role.VIEWER), enterprise=enterprise)

    assert [(e.kind, e.user) for e in entries] == [("changed", verifier), ("changed", editor), ("created", creator)]
    assert [e.reason for e in entries] == ["enterprise_verify", "enterprise_update", "enterprise_create"]
    assert [e.reason_label for e in entries] == ["Verified", "Edited", "Added to the registry"]
    assert [e.kind_label for e in entries] == ["Changed", "Changed", "Created"]
    update = {c.field: (c.old, c.new) for c in entries[1].changes}
    assert update["employees"] == ("120", "400")
    assert update["annual_revenue"] == ("25000000.00", "60000000.00")
    assert update["size_class"] == ("Small", "Medium")
    assert update["clusters"] == ("new-energy-vehicles", "")
    assert entries[1].changes[0].label
    verification = {c.field: c.new for c in entries[0].changes}
    assert verification["last_verified_by"] == str(verifier)
    created = {c.field: c.new for c in entries[2].changes}
    assert created["uscc"] == enterprise.uscc
    assert created["subdistrict"] == str(reg.s1)
    assert created["managing_authority"] == str(reg.ia_c)
    assert created["clusters"] == "new-energy-vehicles"
    assert entries[2].user_name == str(creator)


def test_history_is_for_government_and_the_enterprise_itself(reg):
    enterprise_update(actor=reg.user("district"), enterprise=reg.factory, data={"address": "新地址"})
    assert enterprise_history(actor=reg.user("msme", Role.VIEWER), enterprise=reg.factory)[0].changes[0].new == "新地址"
    with pytest.raises(PermissionDenied):
        enterprise_history(actor=reg.user("head"), enterprise=reg.factory)
    with pytest.raises(NotFound):
        enterprise_history(actor=reg.user("ia_i65"), enterprise=reg.factory)


# ---- consents -----------------------------------------------------------------------------------------------------------


def test_consent_list_by_organisation(reg):
    to_head = Consent.objects.get(grantee=reg.head)
    to_other = Consent.objects.get(grantee=reg.other_bank)

    assert set(consent_list(actor=reg.user("msme"))) == {to_head}
    assert set(consent_list(actor=reg.user("head"))) == {to_head}
    assert set(consent_list(actor=reg.user("branch"))) == {to_head}
    assert set(consent_list(actor=reg.user("other_bank"))) == {to_other}
    assert set(consent_list(actor=reg.user("guarantor"))) == set()
    assert set(consent_list(actor=reg.user("district"))) == {to_head, to_other}
    assert set(consent_list(actor=reg.user("ia_i65"))) == {to_other}
    assert set(consent_list(actor=reg.user("so_s1"))) == {to_head}
    assert set(consent_list(actor=reg.user("district"), enterprise=reg.software)) == {to_other}


def test_a_revoked_consent_stays_with_the_enterprise_but_leaves_the_grantee(reg):
    consent = Consent.objects.get(grantee=reg.head)
    bank_user = reg.user("head")
    assert consent_get(actor=bank_user, pk=consent.pk) == consent
    consent_revoke(actor=reg.user("msme"), consent=consent)
    with pytest.raises(NotFound):
        consent_get(actor=bank_user, pk=consent.pk)
    assert consent_get(actor=reg.user("msme"), pk=consent.pk).revoked_at is not None


def test_grantee_choices_are_active_institutions(reg):
    closed = OrganizationFactory(org_type=OrgType.INSURER, is_active=False)
    choices = set(grantee_choices(actor=reg.user("msme")))
    assert {reg.head, reg.branch, reg.other_bank, reg.guarantor} <= choices
    assert closed not in choices
    assert not {reg.district, reg.ia_c, reg.so_s1, reg.msme} & choices


def test_own_enterprises(reg):
    assert list(own_enterprises(actor=reg.user("msme"))) == [reg.factory]
    assert not own_enterprises(actor=reg.user("district")).exists()


def test_verification_overdue_count_is_for_managers(reg):
    today = timezone.localdate()
    for enterprise, due in ((reg.factory, today), (reg.software, today - datetime.timedelta(days=3)), (reg.shop, None)):
        enterprise.verification_due_on = due
        enterprise.save()
    assert verification_overdue_count(actor=reg.user("district")) == 2
    assert verification_overdue_count(actor=reg.user("so_s1")) == 1
    assert verification_overdue_count(actor=reg.user("ia_i65")) == 1
    assert verification_overdue_count(actor=reg.user("msme")) == 0
    assert verification_overdue_count(actor=reg.user("head")) == 0
