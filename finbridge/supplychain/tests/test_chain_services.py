"""Services of the chain databases: who may do what, bad input changing nothing, and the status tables."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from finbridge.accounts.choices import Role
from finbridge.audit.models import AuditEvent
from finbridge.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from finbridge.notifications.models import Notification
from finbridge.supplychain import notices_chain
from finbridge.supplychain.models.chain import (
    ChainDirection,
    ChainPartner,
    ChainPartnerStatus,
    FinancingRecommendation,
    RecommendationRecipient,
    RecommendationStatus,
    SummaryShare,
    TransactionSummary,
)
from finbridge.supplychain.services import chain as services
from finbridge.supplychain.tests.test_chain_setup import build_world, consent, listing, summary

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def partner_data(world, **values):
    return {
        "partner_uscc": world.supplier.uscc,
        "direction": "upstream",
        "since": "2019-03-01",
        "annual_volume": "12,000,000.00",
        "payment_terms_days": "60",
        "payment_terms": "月结60天",
        **values,
    }


def snapshot_counts():
    return (
        ChainPartner.objects.count(),
        FinancingRecommendation.objects.count(),
        RecommendationRecipient.objects.count(),
        TransactionSummary.objects.count(),
        SummaryShare.objects.count(),
        AuditEvent.objects.count(),
    )


# ---- add -----------------------------------------------------------------------------------------------


def test_core_staff_adds_a_supplier_with_normalised_values_and_an_audit_event(world):
    data = partner_data(world, partner_uscc=" " + world.supplier.uscc.lower() + " ")
    partner = services.chain_partner_add(actor=world.member("core"), core=world.core, data=data)
    assert partner.enterprise == world.supplier and partner.direction == ChainDirection.UPSTREAM
    assert partner.annual_volume == Decimal("12000000.00") and partner.payment_terms_days == 60
    assert partner.status == ChainPartnerStatus.ACTIVE and partner.created_by == world.member("core")
    assert AuditEvent.objects.filter(action="chain_partner_add", object_id=str(partner.pk)).exists()
    assert partner.history.count() == 1


def test_chinese_direction_words_are_accepted(world):
    partner = services.chain_partner_add(
        actor=world.member("core"), core=world.core, data=partner_data(world, direction="下游")
    )
    assert partner.direction == ChainDirection.DOWNSTREAM


@pytest.mark.parametrize(
    ("who", "role"),
    [
        ("core", Role.VIEWER),
        ("core", Role.REVIEWER),
        ("other_core", Role.STAFF),
        ("supplier_org", Role.ADMIN),
        ("head", Role.STAFF),
        ("district", Role.ADMIN),
    ],
)
def test_only_managing_members_of_the_core_may_add(world, who, role):
    before = snapshot_counts()
    with pytest.raises(PermissionDenied):
        services.chain_partner_add(actor=world.member(who, role), core=world.core, data=partner_data(world))
    assert snapshot_counts() == before


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"partner_uscc": ""}, "partner_uscc"),
        ({"partner_uscc": "91440300MA5EXAMPL0"}, "partner_uscc"),
        ({"direction": "sideways"}, "direction"),
        ({"since": "2019-13-01"}, "since"),
        ({"since": (timezone.localdate() + datetime.timedelta(days=3)).isoformat()}, "since"),
        ({"since": "2010-01-01"}, "since"),  # before the supplier was established (2015-05-01)
        ({"annual_volume": "-5"}, "annual_volume"),
        ({"annual_volume": "lots"}, "annual_volume"),
        ({"annual_volume": None}, "annual_volume"),
        ({"payment_terms_days": "4000"}, "payment_terms_days"),
        ({"payment_terms_days": "1.5"}, "payment_terms_days"),
        ({"payment_terms": "x" * 201}, "payment_terms"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_refused_field_by_field_and_changes_nothing(world, values, field):
    before = snapshot_counts()
    with pytest.raises(ValidationFailed) as caught:
        services.chain_partner_add(actor=world.member("core"), core=world.core, data=partner_data(world, **values))
    assert field in caught.value.fields and caught.value.fields[field][0]
    assert snapshot_counts() == before


def test_unknown_credit_code_and_own_enterprise_are_refused(world):
    from finbridge.enterprises.tests.factories import valid_uscc

    actor = world.member("core")
    with pytest.raises(ValidationFailed) as unknown:
        services.chain_partner_add(actor=actor, core=world.core, data=partner_data(world, partner_uscc=valid_uscc(5)))
    assert "registry" in unknown.value.message and unknown.value.code == "unknown_enterprise"
    own = partner_data(world, partner_uscc=world.core_enterprise.uscc, since="2020-01-01")
    with pytest.raises(ValidationFailed) as itself:
        services.chain_partner_add(actor=actor, core=world.core, data=own)
    assert itself.value.code == "own_enterprise"
    assert ChainPartner.objects.count() == 0


def test_a_partner_is_listed_once_per_direction_and_an_ended_one_is_listed_again(world):
    actor = world.member("core")
    first = services.chain_partner_add(actor=actor, core=world.core, data=partner_data(world))
    with pytest.raises(Conflict) as caught:
        services.chain_partner_add(actor=actor, core=world.core, data=partner_data(world, annual_volume="1"))
    assert caught.value.code == "chain_partner_exists"
    assert ChainPartner.objects.get(pk=first.pk).annual_volume == Decimal("12000000.00")
    downstream = services.chain_partner_add(
        actor=actor, core=world.core, data=partner_data(world, direction="downstream")
    )
    assert downstream.pk != first.pk
    other = services.chain_partner_add(
        actor=world.member("other_core"), core=world.other_core, data=partner_data(world)
    )
    assert other.core == world.other_core
    services.chain_partner_end(actor=actor, partner=first, reason="合同到期")
    again = services.chain_partner_add(actor=actor, core=world.core, data=partner_data(world, annual_volume="500"))
    assert again.pk == first.pk and again.status == ChainPartnerStatus.ACTIVE and again.ended_on is None
    assert again.annual_volume == Decimal("500.00")
    assert AuditEvent.objects.filter(action="chain_partner_relist", object_id=str(first.pk)).exists()


# ---- edit and end --------------------------------------------------------------------------------------


def test_edit_changes_the_given_fields_only(world):
    partner = listing(world)
    edited = services.chain_partner_edit(
        actor=world.member("core"), partner=partner, data={"annual_volume": "15000000", "payment_terms": "季结"}
    )
    assert edited.annual_volume == Decimal("15000000.00") and edited.payment_terms == "季结"
    assert edited.payment_terms_days == 60 and edited.since == datetime.date(2019, 3, 1)
    event = AuditEvent.objects.get(action="chain_partner_edit", object_id=str(partner.pk))
    assert event.before["annual_volume"] == "12000000.00" and event.after["annual_volume"] == "15000000.00"


def test_edit_refuses_identity_changes_bad_values_and_ended_listings(world):
    partner = listing(world)
    actor = world.member("core")
    before = snapshot_counts()
    for data, field in (({"direction": "downstream"}, "direction"), ({"annual_volume": ""}, "annual_volume")):
        with pytest.raises(ValidationFailed) as caught:
            services.chain_partner_edit(actor=actor, partner=partner, data=data)
        assert field in caught.value.fields
    ChainPartner.objects.filter(pk=partner.pk).update(status=ChainPartnerStatus.ENDED)
    with pytest.raises(Conflict):
        services.chain_partner_edit(actor=actor, partner=partner, data={"annual_volume": "1"})
    assert snapshot_counts() == before
    assert ChainPartner.objects.get(pk=partner.pk).annual_volume == Decimal("12000000.00")


def test_edit_and_end_answer_not_found_to_outsiders_and_forbidden_to_those_who_only_see(world):
    partner = listing(world)
    for who in ("other_core", "head", "distributor_org", "ia"):
        with pytest.raises(NotFound):
            services.chain_partner_edit(actor=world.member(who), partner=partner, data={"payment_terms": "x"})
        with pytest.raises(NotFound):
            services.chain_partner_end(actor=world.member(who), partner=partner)
    for actor in (
        world.member("supplier_org", Role.ADMIN),
        world.member("core", Role.VIEWER),
        world.member("district"),
    ):
        with pytest.raises(PermissionDenied):
            services.chain_partner_edit(actor=actor, partner=partner, data={"payment_terms": "x"})
        with pytest.raises(PermissionDenied):
            services.chain_partner_end(actor=actor, partner=partner)
    assert ChainPartner.objects.get(pk=partner.pk).status == ChainPartnerStatus.ACTIVE


def test_end_checks_its_date_and_happens_once(world):
    partner = listing(world)
    actor = world.member("core")
    future = timezone.localdate() + datetime.timedelta(days=1)
    for day in (future, datetime.date(2018, 1, 1), "someday"):
        with pytest.raises(ValidationFailed):
            services.chain_partner_end(actor=actor, partner=partner, ended_on=day)
    assert ChainPartner.objects.get(pk=partner.pk).status == ChainPartnerStatus.ACTIVE
    ended = services.chain_partner_end(actor=actor, partner=partner, ended_on="2025-06-30", reason="停止合作")
    assert ended.status == ChainPartnerStatus.ENDED and ended.ended_on == datetime.date(2025, 6, 30)
    with pytest.raises(Conflict) as caught:
        services.chain_partner_end(actor=actor, partner=partner)
    assert caught.value.code == "invalid_transition"


# ---- recommendations -----------------------------------------------------------------------------------


def test_a_core_recommends_a_partner_to_chosen_funders_who_are_told(world):
    partner = listing(world)
    world.member("head")
    world.member("other_bank")
    recommendation = services.recommendation_send(
        actor=world.member("core"),
        partner=partner,
        funders=[world.head, world.other_bank.pk],
        note="合作五年，回款稳定",
    )
    recipients = recommendation.recipients.order_by("funder_id")
    assert [r.funder for r in recipients] == sorted([world.head, world.other_bank], key=lambda o: o.pk)
    assert {r.status for r in recipients} == {RecommendationStatus.SENT}
    told = Notification.objects.filter(kind=notices_chain.CHAIN_RECOMMENDED)
    assert told.count() == 2 and told.first().params["direction"] == "Upstream supplier"


@pytest.mark.parametrize(
    ("funders", "note", "field"),
    [
        ([], "note", "funders"),
        ("abc", "note", "funders"),
        ("insurer", "note", "funders"),
        ("core", "note", "funders"),
        ("head", "", "note"),
        ("head", "x" * 2001, "note"),
    ],
)
def test_a_recommendation_needs_banks_and_a_note(world, funders, note, field):
    partner = listing(world)
    if isinstance(funders, str) and funders in world.orgs:
        funders = [world.orgs[funders]]
    before = snapshot_counts()
    with pytest.raises(ValidationFailed) as caught:
        services.recommendation_send(actor=world.member("core"), partner=partner, funders=funders, note=note)
    assert field in caught.value.fields
    assert snapshot_counts() == before


def test_no_recommendation_for_an_ended_partner_or_by_others(world):
    partner = listing(world, status=ChainPartnerStatus.ENDED, ended_on=datetime.date(2025, 1, 1))
    active = listing(world, world.distributor)
    before = snapshot_counts()
    with pytest.raises(Conflict):
        services.recommendation_send(actor=world.member("core"), partner=partner, funders=[world.head], note="n")
    with pytest.raises(NotFound):
        services.recommendation_send(actor=world.member("head"), partner=active, funders=[world.head], note="n")
    with pytest.raises(PermissionDenied):
        services.recommendation_send(
            actor=world.member("distributor_org", Role.ADMIN), partner=active, funders=[world.head], note="n"
        )
    assert snapshot_counts() == before


def _recipient(world, funder="head"):
    partner = listing(world)
    recommendation = services.recommendation_send(
        actor=world.member("core"), partner=partner, funders=[world.orgs[funder]], note="推荐"
    )
    return recommendation.recipients.get()


def test_the_funder_views_once_then_acts_and_the_core_is_told(world):
    recipient = _recipient(world)
    viewer = world.member("head", Role.VIEWER)
    viewed = services.recommendation_mark_viewed(actor=viewer, recipient=recipient)
    assert viewed.status == RecommendationStatus.VIEWED and viewed.viewed_by == viewer
    first_seen = viewed.viewed_at
    again = services.recommendation_mark_viewed(actor=world.member("head"), recipient=recipient)
    assert again.viewed_at == first_seen and again.viewed_by == viewer
    with pytest.raises(PermissionDenied):
        services.recommendation_act(actor=viewer, recipient=recipient, note="")
    world.member("core")
    acted = services.recommendation_act(actor=world.member("head"), recipient=recipient, note="已联系企业，授信审查中")
    assert acted.status == RecommendationStatus.ACTED_ON and acted.answer_note.startswith("已联系")
    told = Notification.objects.get(kind=notices_chain.CHAIN_RECOMMENDATION_ANSWERED)
    assert told.organization == world.core and told.params["status"] == "Acted on"
    for service in (services.recommendation_act, services.recommendation_decline):
        with pytest.raises(Conflict):
            service(actor=world.member("head"), recipient=recipient, note="again")
    with pytest.raises(Conflict):
        services.recommendation_withdraw(actor=world.member("core"), recipient=recipient)


def test_a_branch_answers_for_its_head_office_and_declining_needs_a_reason(world):
    recipient = _recipient(world)
    branch = world.member("branch")
    with pytest.raises(ValidationFailed):
        services.recommendation_decline(actor=branch, recipient=recipient, note=" ")
    assert RecommendationRecipient.objects.get(pk=recipient.pk).status == RecommendationStatus.SENT
    declined = services.recommendation_decline(actor=branch, recipient=recipient, note="行业不符")
    assert declined.status == RecommendationStatus.DECLINED and declined.viewed_at is not None


def test_others_cannot_view_or_answer_a_recommendation(world):
    recipient = _recipient(world, funder="branch")
    for who in ("other_bank", "head", "distributor_org", "other_core", "ia"):  # a head office does not see its branch's
        with pytest.raises(NotFound):
            services.recommendation_mark_viewed(actor=world.member(who), recipient=recipient)
        with pytest.raises(NotFound):
            services.recommendation_act(actor=world.member(who), recipient=recipient)
    for who in ("core", "supplier_org", "district"):
        with pytest.raises(PermissionDenied):
            services.recommendation_mark_viewed(actor=world.member(who), recipient=recipient)
        with pytest.raises(PermissionDenied):
            services.recommendation_decline(actor=world.member(who), recipient=recipient, note="no")
    assert RecommendationRecipient.objects.get(pk=recipient.pk).status == RecommendationStatus.SENT


def test_the_core_withdraws_an_unanswered_recommendation(world):
    recipient = _recipient(world)
    with pytest.raises(PermissionDenied):
        services.recommendation_withdraw(actor=world.member("head"), recipient=recipient)
    withdrawn = services.recommendation_withdraw(actor=world.member("core"), recipient=recipient)
    assert withdrawn.status == RecommendationStatus.WITHDRAWN and withdrawn.withdrawn_at is not None
    with pytest.raises(Conflict):
        services.recommendation_act(actor=world.member("head"), recipient=recipient)


def test_status_tables_are_closed_after_an_answer():
    for final in (RecommendationStatus.ACTED_ON, RecommendationStatus.DECLINED, RecommendationStatus.WITHDRAWN):
        for target in RecommendationStatus.values:
            assert not services.can_transition(services.RECOMMENDATION_TRANSITIONS, final, target)
    assert services.can_transition(services.CHAIN_PARTNER_TRANSITIONS, "ended", "active")
    with pytest.raises(Conflict):
        services.assert_recommendation_transition(RecommendationStatus.VIEWED, RecommendationStatus.SENT)


# ---- transaction summaries and consent -----------------------------------------------------------------

SUMMARY = {
    "period_start": "2025-01-01",
    "period_end": "2025-12-31",
    "volume": "11,800,000",
    "transaction_count": 48,
    "on_time_share": "95.5%",
    "note": "全年48笔",
}


def test_a_summary_is_recorded_and_shared_with_a_consenting_funder(world):
    partner = listing(world)
    consent(world.supplier, world.head)
    world.member("head")
    created = services.summary_create(actor=world.member("core"), partner=partner, data=SUMMARY, funders=[world.head])
    assert created.on_time_share == Decimal("0.955000") and created.volume == Decimal("11800000.00")
    share = SummaryShare.objects.get(summary=created)
    assert share.funder == world.head and share.shared_by == world.member("core")
    assert Notification.objects.filter(kind=notices_chain.CHAIN_SUMMARY_SHARED, organization=world.head).exists()
    again = services.summary_share(actor=world.member("core"), summary=created, funders=[world.head])
    assert again == [share] and SummaryShare.objects.count() == 1


def test_consent_to_a_head_office_covers_sharing_with_its_branch_but_not_the_reverse(world):
    partner = listing(world)
    consent(world.supplier, world.head)
    record = summary(partner)
    shares = services.summary_share(actor=world.member("core"), summary=record, funders=[world.branch])
    assert shares[0].funder == world.branch
    consent(world.distributor, world.branch)
    other = summary(listing(world, world.distributor, direction=ChainDirection.DOWNSTREAM))
    with pytest.raises(ValidationFailed) as caught:
        services.summary_share(actor=world.member("core"), summary=other, funders=[world.head])
    assert caught.value.code == "consent_required"


@pytest.mark.parametrize("state", ["none", "profile", "expired", "revoked", "other_grantee"])
def test_without_a_live_figures_consent_nothing_is_shared_and_the_refusal_says_why(world, state):
    partner = listing(world)
    record = summary(partner)
    if state == "profile":
        consent(world.supplier, world.head, scope="profile")
    elif state == "expired":
        consent(world.supplier, world.head, expires_on=timezone.localdate() - datetime.timedelta(days=1))
    elif state == "revoked":
        consent(world.supplier, world.head, revoked_at=timezone.now())
    elif state == "other_grantee":
        consent(world.supplier, world.other_bank)
    consent(world.supplier, world.other_bank) if state != "other_grantee" else None
    before = snapshot_counts()
    with pytest.raises(ValidationFailed) as caught:
        services.summary_share(actor=world.member("core"), summary=record, funders=[world.other_bank, world.head])
    assert caught.value.code == "consent_required"
    refusals = caught.value.fields["funders"]
    assert len(refusals) == 1 and world.head.name in refusals[0]
    expected = {"none": "has not given", "other_grantee": "has not given", "profile": "profile only"}
    expected |= {"expired": "expired on", "revoked": "revoked"}
    assert expected[state] in refusals[0]
    assert snapshot_counts() == before
    with pytest.raises(ValidationFailed):
        services.summary_create(actor=world.member("core"), partner=partner, data=SUMMARY, funders=[world.head])
    assert snapshot_counts() == before


def test_the_refusal_is_translated(world, settings):
    from django.utils import translation

    partner = listing(world)
    record = summary(partner)
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as caught:
        services.summary_share(actor=world.member("core"), summary=record, funders=[world.head])
    assert caught.value.fields["funders"][0]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"period_end": "2024-12-31"}, "period_end"),
        ({"on_time_share": "1.5"}, "on_time_share"),
        ({"on_time_share": "-0.1"}, "on_time_share"),
        ({"on_time_share": "0.1234567"}, "on_time_share"),
        ({"on_time_share": "often"}, "on_time_share"),
        ({"volume": ""}, "volume"),
        ({"transaction_count": "-1"}, "transaction_count"),
        ({"period_start": "2099-01-01"}, "period_start"),
    ],
)
def test_bad_summaries_are_refused(world, values, field):
    partner = listing(world)
    before = snapshot_counts()
    with pytest.raises(ValidationFailed) as caught:
        services.summary_create(actor=world.member("core"), partner=partner, data={**SUMMARY, **values})
    assert field in caught.value.fields
    assert snapshot_counts() == before


def test_summaries_only_by_the_core_and_only_for_active_partners(world):
    partner = listing(world)
    consent(world.supplier, world.head)
    for who, error in (("supplier_org", PermissionDenied), ("head", NotFound), ("other_core", NotFound)):
        with pytest.raises(error):
            services.summary_create(actor=world.member(who), partner=partner, data=SUMMARY)
    record = summary(partner)
    ChainPartner.objects.filter(pk=partner.pk).update(status=ChainPartnerStatus.ENDED)
    with pytest.raises(Conflict):
        services.summary_create(actor=world.member("core"), partner=partner, data=SUMMARY)
    with pytest.raises(Conflict):
        services.summary_share(actor=world.member("core"), summary=record, funders=[world.head])
    assert TransactionSummary.objects.count() == 1 and SummaryShare.objects.count() == 0


def test_the_core_withdraws_a_share_once(world):
    partner = listing(world)
    consent(world.supplier, world.head)
    record = summary(partner)
    [share] = services.summary_share(actor=world.member("core"), summary=record, funders=[world.head])
    with pytest.raises(PermissionDenied):
        services.summary_unshare(actor=world.member("head"), share=share)
    withdrawn = services.summary_unshare(actor=world.member("core"), share=share)
    assert withdrawn.withdrawn_at is not None
    with pytest.raises(Conflict):
        services.summary_unshare(actor=world.member("core"), share=share)
    [again] = services.summary_share(actor=world.member("core"), summary=record, funders=[world.head])
    assert again.pk != share.pk and again.withdrawn_at is None
