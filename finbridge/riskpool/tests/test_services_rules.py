"""Rule versions: validated by the sharing engine, numbered, in date order, never back-dated once active."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from finbridge.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from finbridge.riskpool.models import RuleVersion
from finbridge.riskpool.presets import PRESETS
from finbridge.riskpool.selectors.pools import rule_set_of, rule_version_in_force
from finbridge.riskpool.services.rules import rule_version_create, rule_version_from_preset
from finbridge.riskpool.tests.setup import build_pool_scenario

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate

DIRECT_30 = {
    "categories": [{"category": "direct", "shares": {"pool": "0.3", "bank": "0.7"}, "uplifts": {"first_time": "5"}}]
}


@pytest.fixture
def s():
    return build_pool_scenario()


def test_preset_version_is_stored_as_the_engine_reads_it(s):
    assert s.version.number == 1 and s.version.preset == "pingshan"
    assert rule_set_of(s.version) == PRESETS["pingshan"].rules


def test_new_version_governs_from_its_date(s):
    tomorrow = TODAY() + datetime.timedelta(days=1)
    v2 = rule_version_create(actor=s.authority, pool=s.pool, effective_from=tomorrow, rules=DIRECT_30, label="v2")
    assert v2.number == 2
    assert rule_version_in_force(pool=s.pool, on=TODAY()) == s.version
    assert rule_version_in_force(pool=s.pool, on=tomorrow) == v2
    assert rule_version_in_force(pool=s.pool, on=s.pool.period_start - datetime.timedelta(1)) is None
    assert rule_set_of(v2).category("direct").uplifts == (("first_time", Decimal("5")),)


@pytest.mark.parametrize(
    "rules",
    [
        {"categories": [{"category": "direct", "shares": {"pool": "0.3", "bank": "0.6"}}]},  # 90%
        {"categories": []},
        {"categories": [{"category": "direct", "shares": {"pool": "abc", "bank": "0.7"}}]},
        "not a dict",
        {"categories": [{"category": "cars", "shares": {"pool": "0.3", "bank": "0.7"}}]},
    ],
)
def test_invalid_rules_are_refused_and_nothing_is_written(s, rules):
    with pytest.raises(ValidationFailed) as error:
        rule_version_create(actor=s.authority, pool=s.pool, effective_from=TODAY() + datetime.timedelta(1), rules=rules)
    assert error.value.code == "rule_invalid"
    assert RuleVersion.objects.count() == 1


def test_shares_not_adding_up_name_the_field(s):
    with pytest.raises(ValidationFailed) as error:
        rule_version_create(
            actor=s.authority,
            pool=s.pool,
            effective_from=TODAY() + datetime.timedelta(1),
            rules={"categories": [{"category": "direct", "shares": {"pool": "0.3", "bank": "0.6"}}]},
        )
    assert "categories.0.shares" in error.value.fields


def test_versions_take_effect_in_order_and_not_in_the_past_once_active(s):
    with pytest.raises(Conflict) as error:
        rule_version_create(actor=s.authority, pool=s.pool, effective_from=s.version.effective_from, rules=DIRECT_30)
    assert error.value.code == "rule_version_order"
    with pytest.raises(Conflict) as error:
        rule_version_create(
            actor=s.authority, pool=s.pool, effective_from=TODAY() - datetime.timedelta(1), rules=DIRECT_30
        )
    assert error.value.code == "rule_version_past"
    assert RuleVersion.objects.count() == 1


def test_only_the_authority_writes_rules(s):
    with pytest.raises(PermissionDenied):
        rule_version_create(actor=s.head_user, pool=s.pool, effective_from=TODAY(), rules=DIRECT_30)


def test_unknown_preset(s):
    with pytest.raises(NotFound):
        rule_version_from_preset(actor=s.authority, pool=s.pool, preset="atlantis", effective_from=TODAY())


@pytest.mark.parametrize("code", sorted(PRESETS))
def test_every_preset_can_be_a_version(s, code):
    version = rule_version_from_preset(
        actor=s.authority, pool=s.pool, preset=code, effective_from=TODAY() + datetime.timedelta(days=1)
    )
    assert rule_set_of(version) == PRESETS[code].rules
