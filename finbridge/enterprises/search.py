"""Searching enterprise names by a fragment without cased letters (Chinese), fast on PostgreSQL.

`name_fragment_q(fragment)` selects exactly the names containing the fragment, as `name__contains`
does. On PostgreSQL a two-character fragment is matched as one of the name's two-character substrings,
`finbridge_bigrams("name"::text) @> ARRAY[fragment]`, which the GIN index `ent_name_bigram_idx`
(migration 0002) answers and whose selectivity the planner estimates from the index's statistics; the
trigram index cannot serve a two-character LIKE at all. Longer fragments keep `contains`, served by the
trigram index `ent_name_trgm_idx`. Measurements: docs/performance.md.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.lookups import DataContains
from django.db import connection
from django.db.models import F, Func, Q, TextField, Value

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
