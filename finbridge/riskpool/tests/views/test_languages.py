"""Every risk-pool page renders in Simplified Chinese and in English (the language of the cookie)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from finbridge.riskpool.tests.api.support import paid_claim

pytestmark = pytest.mark.django_db


def _pages(scenario, claim):
    pool = scenario.pool.pk
    return [
        reverse("riskpool:pools-list"),
        reverse("riskpool:pool-detail", args=[pool]),
        reverse("riskpool:pool-edit", args=[pool]),
        reverse("riskpool:members", args=[pool]),
        reverse("riskpool:member-detail", args=[pool, scenario.head_member.pk]),
        reverse("riskpool:rules", args=[pool]),
        reverse("riskpool:rule-version-create", args=[pool]),
        reverse("riskpool:rule-version", args=[pool, scenario.version.pk]),
        reverse("riskpool:enrolments", args=[pool]),
        reverse("riskpool:enrolment-detail", args=[claim.enrolment_id]),
        reverse("riskpool:claims", args=[pool]),
        reverse("riskpool:claims-all"),
        reverse("riskpool:claim-detail", args=[claim.pk]),
        reverse("riskpool:owed", args=[pool]),
        reverse("riskpool:statement", args=[pool]),
        reverse("riskpool:risk", args=[pool]),
        reverse("riskpool:stress", args=[pool]),
    ]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_pages_render_in_both_languages(client, scenario, language):
    claim = paid_claim(scenario)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(scenario.authority)
    for url in _pages(scenario, claim):
        response = client.get(url)
        assert response.status_code == 200, url
        content = response.content.decode()
        assert f'<html lang="{language}">' in content, url
        if language == "zh-hans":
            assert "首页" in content and scenario.pool.name in content, url  # the navbar and the Chinese name
            if 'data-testid="pool-status"' in content:
                assert "有效" in content, url  # the pool's status, translated
        else:
            assert "Home" in content and scenario.pool.name_en in content, url


def test_the_bank_pages_render_in_chinese(client, scenario):
    claim = paid_claim(scenario)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    client.force_login(scenario.head_user)
    for url in (
        reverse("riskpool:pool-detail", args=[scenario.pool.pk]),
        reverse("riskpool:enrol", args=[scenario.pool.pk]),
        reverse("riskpool:claim-detail", args=[claim.pk]),
    ):
        content = client.get(url).content.decode()
        assert '<html lang="zh-hans">' in content and "示范银行" in content
