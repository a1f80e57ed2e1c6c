"""Pages of the chain databases: the core's journey, the funder's side, consent on the page, who gets 403/404."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from finbridge.accounts.choices import Role
from finbridge.enterprises import import_files
from finbridge.enterprises.models import Consent
from finbridge.supplychain.models.chain import (
    ChainImportRun,
    ChainPartner,
    ChainPartnerStatus,
    FinancingRecommendation,
    RecommendationRecipient,
    RecommendationStatus,
    SummaryShare,
    TransactionSummary,
)
from finbridge.supplychain.tests.test_chain_setup import build_world, consent, listing, summary

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(name, *args):
    return reverse(f"supplychain:{name}", args=args)


def test_the_core_lists_adds_edits_and_ends_a_partner(world):
    client = client_for(world.member("core"))
    assert client.get(url("chain-list")).status_code == 200
    page = client.get(url("chain-create"))
    assert page.status_code == 200 and b'name="partner_uscc"' in page.content
    data = {
        "partner_uscc": world.supplier.uscc,
        "direction": "upstream",
        "since": "2019-03-01",
        "annual_volume": "12,000,000",
        "payment_terms_days": "60",
        "payment_terms": "月结",
    }
    created = client.post(url("chain-create"), data)
    partner = ChainPartner.objects.get()
    assert created.status_code == 302 and created["Location"] == url("chain-detail", partner.pk)
    detail = client.get(url("chain-detail", partner.pk))
    assert detail.status_code == 200 and world.supplier.uscc in detail.content.decode()
    again = client.post(url("chain-create"), data)
    assert again.status_code == 409 and "already listed" in again.content.decode()
    bad = client.post(url("chain-create"), {**data, "direction": "downstream", "annual_volume": "-1"})
    assert bad.status_code == 400 and 'data-testid="error-annual_volume"' in bad.content.decode()
    edited = client.post(url("chain-edit", partner.pk), {**data, "annual_volume": "13000000"})
    assert edited.status_code == 302
    partner.refresh_from_db()
    assert str(partner.annual_volume) == "13000000.00"
    ended = client.post(url("chain-end", partner.pk), {"ended_on": "1999-01-01"})
    assert ended.status_code == 400
    assert client.post(url("chain-end", partner.pk), {"reason": "停止合作"}).status_code == 302
    partner.refresh_from_db()
    assert partner.status == ChainPartnerStatus.ENDED
    assert 'data-testid="ended-badge"' in client.get(url("chain-detail", partner.pk)).content.decode()


def test_the_list_filters_with_htmx_and_in_chinese(world):
    listing(world)
    listing(world, world.distributor, direction="downstream")
    client = client_for(world.member("core"))
    partial = client.get(url("chain-list"), {"direction": "downstream"}, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and b"<html" not in partial.content
    assert partial.content.decode().count('data-testid="chain-row"') == 1
    chinese = client.get(url("chain-list"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese.status_code == 200


@pytest.mark.parametrize(
    ("who", "role", "detail", "edit"),
    [
        ("supplier_org", Role.STAFF, 200, 403),
        ("district", Role.VIEWER, 200, 403),
        ("core", Role.VIEWER, 200, 403),
        ("head", Role.STAFF, 404, 404),
        ("other_core", Role.ADMIN, 404, 404),
        ("distributor_org", Role.ADMIN, 404, 404),
    ],
)
def test_who_sees_and_who_may_change_a_listing(world, who, role, detail, edit):
    partner = listing(world)
    client = client_for(world.member(who, role))
    assert client.get(url("chain-detail", partner.pk)).status_code == detail
    assert client.get(url("chain-edit", partner.pk)).status_code == edit
    assert client.post(url("chain-end", partner.pk)).status_code == edit
    assert client.get(url("chain-recommend", partner.pk)).status_code == edit
    assert ChainPartner.objects.get().status == ChainPartnerStatus.ACTIVE


def test_funders_and_msmes_cannot_add_or_import(world):
    for who in ("head", "supplier_org"):
        client = client_for(world.member(who))
        assert client.get(url("chain-create")).status_code == 403
        assert client.get(url("chain-import")).status_code == 403
    assert Client().get(url("chain-list")).status_code == 302  # sign in first


def test_a_recommendation_from_the_core_to_the_funder_and_back(world):
    partner = listing(world)
    core = client_for(world.member("core"))
    form = core.get(url("chain-recommend", partner.pk))
    assert form.status_code == 200 and world.head.name_en.encode() in form.content
    refused = core.post(url("chain-recommend", partner.pk), {"note": "推荐"})
    assert refused.status_code == 400 and not FinancingRecommendation.objects.exists()
    sent = core.post(url("chain-recommend", partner.pk), {"funders": [world.head.pk], "note": "合作五年"})
    recommendation = FinancingRecommendation.objects.get()
    assert sent.status_code == 302 and sent["Location"] == url("chain-recommendation-detail", recommendation.pk)
    recipient = RecommendationRecipient.objects.get()
    assert core.get(sent["Location"]).status_code == 200
    recipient.refresh_from_db()
    assert recipient.status == RecommendationStatus.SENT  # the core's own view does not count
    funder = client_for(world.member("branch"))
    inbox = funder.get(url("chain-recommendations"))
    assert inbox.status_code == 200 and 'data-testid="recommendation-row"' in inbox.content.decode()
    page = funder.get(url("chain-recommendation-detail", recommendation.pk))
    assert page.status_code == 200 and 'data-testid="recommendation-act"' in page.content.decode()
    recipient.refresh_from_db()
    assert recipient.status == RecommendationStatus.VIEWED
    declined = funder.post(url("chain-recommendation-decline", recipient.pk), {"note": ""})
    assert declined.status_code == 400 and 'data-testid="error-note"' in declined.content.decode()
    acted = funder.post(url("chain-recommendation-act", recipient.pk), {"note": "已联系"})
    assert acted.status_code == 302
    recipient.refresh_from_db()
    assert recipient.status == RecommendationStatus.ACTED_ON
    assert funder.post(url("chain-recommendation-act", recipient.pk)).status_code == 409
    other = client_for(world.member("other_bank"))
    assert other.get(url("chain-recommendation-detail", recommendation.pk)).status_code == 404
    assert other.post(url("chain-recommendation-act", recipient.pk)).status_code == 404


def test_a_summary_is_shared_only_with_consent_and_hidden_when_it_is_revoked(world):
    partner = listing(world)
    core = client_for(world.member("core"))
    assert core.get(url("chain-summary-create", partner.pk)).status_code == 200
    data = {
        "period_start": "2025-01-01",
        "period_end": "2025-12-31",
        "volume": "11800000",
        "transaction_count": "48",
        "on_time_share": "95%",
        "funders": [world.head.pk],
    }
    refused = core.post(url("chain-summary-create", partner.pk), data)
    assert refused.status_code == 400 and "has not given" in refused.content.decode()
    assert not TransactionSummary.objects.exists()
    grant = consent(world.supplier, world.head)
    created = core.post(url("chain-summary-create", partner.pk), data)
    record = TransactionSummary.objects.get()
    assert created.status_code == 302 and SummaryShare.objects.filter(summary=record, funder=world.head).exists()
    funder = client_for(world.member("head"))
    assert funder.get(url("chain-summaries")).content.decode().count('data-testid="summary-row"') == 1
    page = funder.get(url("chain-summary-detail", record.pk))
    assert page.status_code == 200 and "95.5" not in page.content.decode() and "95" in page.content.decode()
    Consent.objects.filter(pk=grant.pk).update(revoked_at=grant.granted_at)
    assert funder.get(url("chain-summary-detail", record.pk)).status_code == 404
    assert 'data-testid="summary-row"' not in funder.get(url("chain-summaries")).content.decode()


def test_sharing_more_and_withdrawing_a_share_on_the_summary_page(world):
    partner = listing(world)
    record = summary(partner)
    consent(world.supplier, world.other_bank)
    core = client_for(world.member("core"))
    refused = core.post(url("chain-summary-share", record.pk), {"funders": [world.head.pk]})
    assert refused.status_code == 400 and not SummaryShare.objects.exists()
    assert core.post(url("chain-summary-share", record.pk), {"funders": [world.other_bank.pk]}).status_code == 302
    share = SummaryShare.objects.get()
    funder = client_for(world.member("other_bank"))
    assert funder.post(url("chain-summary-share", record.pk), {"funders": [world.head.pk]}).status_code == 403
    assert funder.post(url("chain-summary-unshare", share.pk)).status_code == 403
    assert core.post(url("chain-summary-unshare", share.pk)).status_code == 302
    assert funder.get(url("chain-summary-detail", record.pk)).status_code == 404


def test_the_import_pages_dry_run_apply_report_and_templates(world):
    client = client_for(world.member("core"))
    page = client.get(url("chain-import"))
    assert page.status_code == 200 and b"template" in page.content
    for language in ("zh-hans", "en"):
        for file_format in ("xlsx", "csv"):
            response = client.get(url("chain-import-template"), {"lang": language, "format": file_format})
            assert response.status_code == 200
            assert f"chain-partners-import-template-{language}.{file_format}" in response["Content-Disposition"]
    assert client.get(url("chain-import-template"), {"lang": "fr"}).status_code == 400
    content = import_files.write_csv_rows(
        [
            ["partner_uscc", "direction", "since", "annual_volume"],
            [world.supplier.uscc, "upstream", "2019-03-01", "1000"],
            ["bad", "upstream", "2019-03-01", "1000"],
        ]
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("partners.csv", content, content_type="text/csv")
    checked = client.post(url("chain-import"), {"file": upload, "dry_run": "1"})
    run = ChainImportRun.objects.get()
    assert checked.status_code == 302 and checked["Location"] == url("chain-import-run", run.pk)
    result = client.get(checked["Location"]).content.decode()
    assert 'data-testid="dry-run-notice"' in result and 'data-testid="import-errors"' in result
    assert not ChainPartner.objects.exists()
    report = client.get(url("chain-import-report", run.pk))
    assert report.status_code == 200 and report["Content-Type"].startswith("application/vnd.openxmlformats")
    applied = client.post(url("chain-import-run", run.pk))
    assert applied.status_code == 302 and ChainPartner.objects.count() == 1
    empty = client.post(url("chain-import"), {"file": SimpleUploadedFile("x.csv", b"", content_type="text/csv")})
    assert empty.status_code == 400
    assert client_for(world.member("other_core")).get(url("chain-import-run", run.pk)).status_code == 404
