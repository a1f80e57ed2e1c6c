"""Searching enterprise names by a fragment without cased letters (Chinese), fast on PostgreSQL.

`name_fragment_q(fragment)` selects exactly the names containing the fragment, as `name__contains`
does. On PostgreSQL a two-character fragment is matched as one of the name's two-character substrings,
`finbridge_bigrams("name"::text) @> ARRAY[fragment]`, which the GIN index `ent_name_bigram_idx`
(migration 0002) answers and whose selectivity the planner estimates from the index's statistics; the
trigram index cannot serve a two-character LIKE at all. Longer fragments keep `contains`, served by the
trigram index `ent_name_trgm_idx`. Measurements: docs/performance.md.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.lookups import DataContains
from django.db import connection
from django.db.models import BigIntegerField, BooleanField, DateField, F, Func, Q, TextField, Value
from django.utils import timezone

BIGRAM_LENGTH = 2


class NameBigrams(Func):
    """`finbridge_bigrams(name)`: the expression ent_name_bigram_idx indexes."""

    function = "finbridge_bigrams"
    output_field = ArrayField(TextField())


def name_fragment_q(fragment: str) -> Q:
    """A Q selecting enterprises whose name contains `fragment` (the same rows on every database)."""
    if connection.vendor == "postgresql" and len(fragment) == BIGRAM_LENGTH:
        wanted = Value([fragment], output_field=ArrayField(TextField()))
        return Q(DataContains(NameBigrams(F("name")), wanted))
    return Q(name__contains=fragment)


# ---- consent visibility on PostgreSQL ----------------------------------------------------------------------------


class _EnterpriseRowCondition(Func):
    """A condition on columns that migration 0005 keeps on the enterprise row but the model does not declare.

    The row's table is taken from its compiled primary key (`"alias"."id"`), so the condition follows the
    enterprise table wherever the ORM puts it, including inside subqueries with relabelled aliases.
    """

    output_field = BooleanField()
    conditional = True
    template = ""

    def __init__(self, *values: Any) -> None:
        super().__init__(F("pk"), *values)

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list[Any]]:
        pk_sql, params = compiler.compile(self.source_expressions[0])
        table = pk_sql.rsplit(".", 1)[0]
        value_sqls = []
        for value in self.source_expressions[1:]:
            value_sql, value_params = compiler.compile(value)
            value_sqls.append(value_sql)
            params = [*params, *value_params]
        return self.template.format(*value_sqls, table=table), params


class ConsentGranteesOverlap(_EnterpriseRowCondition):
    """`consent_grantees && ids`: some of `ids` holds a consent that is not revoked (GIN-indexed)."""

    template = "{table}.consent_grantees && {0}"

    def __init__(self, ids: Iterable[int]) -> None:
        super().__init__(Value(sorted(ids), output_field=ArrayField(BigIntegerField())))


class ConsentsUnexpired(_EnterpriseRowCondition):
    """No consent of the row that is not revoked has expired before `today`."""

    template = "({table}.consent_expiry_min IS NULL OR {table}.consent_expiry_min >= {0})"

    def __init__(self, today: datetime.date) -> None:
        super().__init__(Value(today, output_field=DateField()))


def consent_visibility_q(*, grantee_ids: Iterable[int], live_consent_exists: Q) -> Q:
    """A Q selecting enterprises with a live, unexpired consent to one of `grantee_ids`.

    `live_consent_exists` is the exact condition (an EXISTS over the consents). On PostgreSQL it is guarded by
    the denormalised columns of migration 0005, so the index narrows the rows and the EXISTS runs only for
    enterprises with an expired consent; elsewhere it is used alone.
    """
    if connection.vendor != "postgresql":
        return live_consent_exists
    today = timezone.localdate()
    return Q(ConsentGranteesOverlap(grantee_ids)) & (Q(ConsentsUnexpired(today)) | live_consent_exists)
