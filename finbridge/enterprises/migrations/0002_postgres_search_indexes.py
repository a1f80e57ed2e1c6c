"""PostgreSQL-only indexes for searching enterprises by a fragment of their name (a no-op elsewhere).

Chinese fragments are searched with `name__contains`, i.e. `"name"::text LIKE '%fragment%'`.

- `ent_name_trgm_idx`, a GIN trigram index on `name` (pg_trgm), serves that LIKE for fragments of three or
  more characters. pg_trgm treats CJK characters as word characters in this database's locale (C.UTF-8),
  so Chinese names are indexed; but a two-character fragment yields no trigram and cannot use it.
- `finbridge_bigrams(text)` lists the two-character substrings of a text, and `ent_name_bigram_idx`, a GIN
  index on `finbridge_bigrams(name)`, answers two-character fragments exactly:
  `finbridge_bigrams("name"::text) @> ARRAY['科技']` holds exactly when the name contains 科技
  (finbridge/enterprises/search.py builds that condition). Measurements: docs/performance.md.

Reversing drops the indexes and the function; the pg_trgm extension is left installed (other objects may
use it, and it is harmless).
"""

from django.db import migrations

from finbridge.core.db import run_on_postgresql

BIGRAMS_FUNCTION = """
CREATE OR REPLACE FUNCTION finbridge_bigrams(value text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    result text[] := '{}';
BEGIN
    FOR i IN 1 .. char_length(value) - 1 LOOP
        result := result || substr(value, i, 2);
    END LOOP;
    RETURN result;
END
$$
"""

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ent_name_trgm_idx ON enterprises_enterprise USING gin (name gin_trgm_ops)",
    BIGRAMS_FUNCTION,
    "CREATE INDEX IF NOT EXISTS ent_name_bigram_idx ON enterprises_enterprise USING gin (finbridge_bigrams(name))",
]
BACKWARD = [
    "DROP INDEX IF EXISTS ent_name_bigram_idx",
    "DROP FUNCTION IF EXISTS finbridge_bigrams(text)",
    "DROP INDEX IF EXISTS ent_name_trgm_idx",
]


class Migration(migrations.Migration):
    dependencies = [
        ("enterprises", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(run_on_postgresql(FORWARD), run_on_postgresql(BACKWARD), elidable=False),
    ]
