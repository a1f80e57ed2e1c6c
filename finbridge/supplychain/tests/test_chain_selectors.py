"""Who sees which chain records: the visibility matrix, consent hiding shared summaries at once, filters."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from finbridge.accounts.choices import Role
from finbridge.core.errors import NotFound, ValidationFailed
from finbridge.enterprises.services.consents import consent_revoke
from finbridge.supplychain.models.chain import (
    ChainDirection,
    ChainPartnerStatus,
    FinancingRecommendation,
    RecommendationRecipient,
    SummaryShare,
)
from finbridge.supplychain.selectors import chain as selectors
from finbridge.supplychain.tests.test_chain_setup import build_world, consent, listing, summary

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def records(world):
    """The supplier listed by core, recommended to head and shared with head (consent to head is live)."""
    partner = listing(world)
    recommendation = FinancingRecommendation.objects.create(chain_partner=partner, note="推荐")
    recipient = RecommendationRecipient.objects.create(recommendation=recommendation, funder=world.head)
    record = summary(partner)
    grant = consent(world.supplier, world.head)
    share = SummaryShare.objects.create(summary=record, funder=world.head)
    return {
        "partner": partner,
        "recommendation": recommendation,
        "recipient": recipient,
        "summary": record,
        "share": share,
        "consent": grant,
    }


GETTERS = {
    "partner": selectors.chain_partner_get,
    "recommendation": selectors.recommendation_get,
    "recipient": selectors.recommendation_recipient_get,
    "summary": selectors.summary_get,
    "share": selectors.summary_share_get,
}
# (organisation, role) -> what it sees of `records`
MATRIX = {
    ("core", Role.STAFF): {"partner", "recommendation", "recipient", "summary", "share"},
    ("core", Role.VIEWER): {"partner", "recommendation", "recipient", "summary", "share"},
    ("supplier_org", Role.VIEWER): {"partner", "recommendation", "recipient", "summary", "share"},
    ("district", Role.VIEWER): {"partner", "recommendation", "recipient", "summary", "share"},
    ("head", Role.VIEWER): {"recommendation", "recipient", "summary", "share"},
    ("branch", Role.STAFF): {"recommendation", "recipient", "summary", "share"},
    ("other_bank", Role.ADMIN): set(),
    ("other_core", Role.ADMIN): set(),
    ("distributor_org", Role.ADMIN): set(),
    ("ia", Role.ADMIN): set(),
    ("insurer", Role.ADMIN): set(),
}


@pytest.mark.parametrize(("who", "role"), list(MATRIX))
def test_visibility_matrix(world, records, who, role):
    actor = world.member(who, role)
    for name, getter in GETTERS.items():
        if name in MATRIX[(who, role)]:
            assert getter(actor=actor, pk=records[name].pk).pk == records[name].pk, name
        else:
            with pytest.raises(NotFound):
                getter(actor=actor, pk=records[name].pk)


def test_anonymous_and_bad_ids_see_nothing(world, records):
    for name, getter in GETTERS.items():
        with pytest.raises(NotFound):
            getter(actor=AnonymousUser(), pk=records[name].pk)
        for bad in ("abc", -1, 2**70, None):
            with pytest.raises(NotFound):
                getter(actor=world.member("district"), pk=bad)
    assert not selectors.chain_partner_list(actor=AnonymousUser()).exists()


def test_a_funder_sees_only_its_own_recipient_row(world, records):
    RecommendationRecipient.objects.create(recommendation=records["recommendation"], funder=world.other_bank)
    head_rows = selectors.recommendation_recipient_list(actor=world.member("head"))
    assert [row.funder for row in head_rows] == [world.head]
    core_rows = selectors.recommendation_recipient_list(
        actor=world.member("core"), recommendation=records["recommendation"]
    )
    assert {row.funder for row in core_rows} == {world.head, world.other_bank}
    inbox = selectors.recommendation_inbox(actor=world.member("branch"))
    assert [row.pk for row in inbox] == [records["recipient"].pk]
    assert not selectors.recommendation_inbox(actor=world.member("core")).exists()


def test_revoking_the_consent_hides_the_shared_summary_from_the_funder_at_once(world, records):
    funder = world.member("head")
    assert selectors.summary_list(actor=funder).count() == 1
    consent_revoke(actor=world.member("supplier_org", Role.ADMIN), consent=records["consent"])
    assert not selectors.summary_list(actor=funder).exists()
    assert not selectors.summary_share_list(actor=funder).exists()
    with pytest.raises(NotFound):
        selectors.summary_get(actor=funder, pk=records["summary"].pk)
    # the core and the partner still see what was shared
    assert selectors.summary_share_list(actor=world.member("core")).count() == 1
    assert selectors.summary_get(actor=world.member("supplier_org"), pk=records["summary"].pk)
    # the recommendation does not depend on consent
    assert selectors.recommendation_get(actor=funder, pk=records["recommendation"].pk)


def test_an_expired_or_profile_only_consent_hides_the_summary(world, records):
    funder = world.member("branch")
    records["consent"].expires_on = timezone.localdate() - datetime.timedelta(days=1)
    records["consent"].save()
    assert not selectors.summary_list(actor=funder).exists()
    records["consent"].expires_on = timezone.localdate()  # the last day of validity
    records["consent"].save()
    assert selectors.summary_list(actor=funder).count() == 1
    records["consent"].scope = "profile"
    records["consent"].save()
    assert not selectors.summary_list(actor=funder).exists()


def test_a_consent_to_the_branch_does_not_open_a_share_sent_to_its_head_office(world, records):
    records["consent"].revoked_at = timezone.now()
    records["consent"].save()
    consent(world.supplier, world.branch)
    assert not selectors.summary_list(actor=world.member("branch")).exists()


def test_a_withdrawn_share_is_hidden_from_the_funder_only(world, records):
    SummaryShare.objects.filter(pk=records["share"].pk).update(withdrawn_at=timezone.now())
    assert not selectors.summary_list(actor=world.member("head")).exists()
    assert selectors.summary_share_list(actor=world.member("core")).get().withdrawn_at is not None


def test_the_partner_sees_only_its_own_rows_and_the_core_its_own_chain(world, records):
    other = listing(world, world.distributor, direction=ChainDirection.DOWNSTREAM)
    foreign = listing(world, world.supplier, core=world.other_core)
    assert set(selectors.chain_partner_list(actor=world.member("core"))) == {records["partner"], other}
    assert set(selectors.chain_partner_list(actor=world.member("supplier_org"))) == {records["partner"], foreign}
    assert set(selectors.chain_partner_list(actor=world.member("distributor_org"))) == {other}
    assert set(selectors.chain_partner_list(actor=world.member("district"))) == {records["partner"], other, foreign}
    assert set(selectors.chain_listings_of(actor=world.member("district"), enterprise=world.supplier)) == {
        records["partner"],
        foreign,
    }


def test_list_filters(world, records):
    actor = world.member("core")
    listing(world, world.distributor, direction=ChainDirection.DOWNSTREAM, status=ChainPartnerStatus.ENDED)
    assert selectors.chain_partner_list(actor=actor, direction="downstream").get().enterprise == world.distributor
    assert selectors.chain_partner_list(actor=actor, status="active").get() == records["partner"]
    assert selectors.chain_partner_list(actor=actor, q="供应商").get() == records["partner"]
    assert selectors.chain_partner_list(actor=actor, q=world.supplier.uscc.lower()).get() == records["partner"]
    assert selectors.chain_partner_list(actor=actor, core=world.core.pk).count() == 2
    for name, value in (("direction", "sideways"), ("status", "x"), ("core", "abc"), ("q", "x" * 201)):
        with pytest.raises(ValidationFailed):
            selectors.chain_partner_list(actor=actor, **{name: value})


def test_consent_refusal_reads_the_registry_rules(world):
    assert "has not given" in selectors.consent_refusal(enterprise=world.supplier, funder=world.branch)
    consent(world.supplier, world.head)
    assert selectors.consent_refusal(enterprise=world.supplier, funder=world.branch) is None
    assert selectors.consent_refusal(enterprise=world.supplier, funder=world.head) is None
    assert selectors.consent_refusal(enterprise=world.supplier, funder=world.other_bank) is not None


def test_managing_cores_and_funder_choices(world):
    assert selectors.managing_cores(actor=world.member("core")) == [world.core]
    assert selectors.managing_cores(actor=world.member("core", Role.VIEWER)) == []
    assert selectors.managing_cores(actor=world.member("head")) == []
    assert set(selectors.funder_choices()) == {world.head, world.branch, world.other_bank}
