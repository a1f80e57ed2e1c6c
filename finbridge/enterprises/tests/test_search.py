"""Name-fragment search: on every database it selects exactly the names that contain the fragment."""

from __future__ import annotations

import pytest
from django.db import connection

from finbridge.enterprises.models import Enterprise
from finbridge.enterprises.search import name_fragment_q
from finbridge.enterprises.tests.factories import EnterpriseFactory

NAMES = (
    "深圳市坪山麒麟科技有限公司",
    "深圳市麒骏电子有限公司",
    "深圳市100%_材料有限公司",
    "深圳市坪山麟科医药有限公司",
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("fragment", ["麒麟", "麒", "坪山麒", "麟科", "%_", "0%", "有限公司", "不存在", "麒麟医", "司"])
def test_fragment_search_matches_exactly_the_names_containing_it(fragment):
    for name in NAMES:
        EnterpriseFactory(name=name)
    expected = {name for name in NAMES if fragment in name}
    assert set(Enterprise.objects.filter(name_fragment_q(fragment)).values_list("name", flat=True)) == expected


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the bigram index exists on PostgreSQL only")
def test_on_postgresql_a_two_character_fragment_is_answered_by_the_bigram_index():
    EnterpriseFactory(name=NAMES[0])
    with connection.cursor() as cursor:
        # Leave the planner only bitmap scans, so that the plan does not depend on table statistics:
        # an infix search can then be answered only by the bigram or trigram GIN index.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    plan = Enterprise.objects.filter(name_fragment_q("麒麟")).explain()
    assert "ent_name_bigram_idx" in plan
    assert "ent_name_trgm_idx" in Enterprise.objects.filter(name_fragment_q("麒麟科")).explain()
