"""PostgreSQL-only: who holds a live consent, kept on the enterprise row so visibility is an index condition.

A bank's list of enterprises is "enterprises that granted the bank a live, unexpired consent". As a
semi-join against hundreds of thousands of consents it costs a hash of all of them on every request
(docs/performance.md). This migration adds two columns that Django's models do not declare, maintained by
statement-level triggers on enterprises_consent, so they are right after every insert, update and delete,
whatever wrote it (services, bulk imports, demo data, tests):

- `consent_grantees bigint[]`: the grantee organisations of the enterprise's consents that were live (not
  revoked, not expired) on the day the row was last refreshed, with the GIN index `ent_consent_grantees_idx`;
- `consent_expiry_min date`: the earliest expiry among those consents (NULL when none of them expires).

finbridge/enterprises/search.py turns them into `consent_grantees && ids AND (consent_expiry_min IS NULL OR
consent_expiry_min >= today OR EXISTS(live consent))`. That is exact: while none of the listed consents has
expired the array lists exactly the live grantees, and once one has, the EXISTS decides for that row until
the daily task `refresh_expired_consent_columns` (finbridge/enterprises/tasks.py) refreshes it. Elsewhere
(SQLite) the EXISTS alone is used and nothing here runs. Reversing drops the triggers, the functions, the
index and the columns.
"""

from django.db import migrations

from finbridge.core.db import run_on_postgresql

FORWARD = [
    "ALTER TABLE enterprises_enterprise ADD COLUMN IF NOT EXISTS consent_grantees bigint[] NOT NULL DEFAULT '{}'",
    "ALTER TABLE enterprises_enterprise ADD COLUMN IF NOT EXISTS consent_expiry_min date",
    """
    CREATE OR REPLACE FUNCTION finbridge_refresh_consent_columns(enterprise_ids bigint[]) RETURNS void
    LANGUAGE sql AS $$
        UPDATE enterprises_enterprise AS e
        SET consent_grantees = COALESCE(live.grantees, '{}'), consent_expiry_min = live.expiry_min
        FROM (
            SELECT ids.id,
                   (SELECT array_agg(DISTINCT c.grantee_id ORDER BY c.grantee_id) FROM enterprises_consent c
                    WHERE c.enterprise_id = ids.id AND c.revoked_at IS NULL
                      AND (c.expires_on IS NULL OR c.expires_on >= current_date)) AS grantees,
                   (SELECT min(c.expires_on) FROM enterprises_consent c
                    WHERE c.enterprise_id = ids.id AND c.revoked_at IS NULL
                      AND c.expires_on >= current_date) AS expiry_min
            FROM unnest(enterprise_ids) AS ids(id)
        ) AS live
        WHERE e.id = live.id
          AND (e.consent_grantees IS DISTINCT FROM COALESCE(live.grantees, '{}')
               OR e.consent_expiry_min IS DISTINCT FROM live.expiry_min)
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION finbridge_consent_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM finbridge_refresh_consent_columns(ARRAY(SELECT DISTINCT enterprise_id FROM new_rows));
        RETURN NULL;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION finbridge_consent_updated() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM finbridge_refresh_consent_columns(
            ARRAY(SELECT enterprise_id FROM new_rows UNION SELECT enterprise_id FROM old_rows));
        RETURN NULL;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION finbridge_consent_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM finbridge_refresh_consent_columns(ARRAY(SELECT DISTINCT enterprise_id FROM old_rows));
        RETURN NULL;
    END $$
    """,
    """CREATE TRIGGER consent_columns_insert AFTER INSERT ON enterprises_consent
       REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION finbridge_consent_inserted()""",
    """CREATE TRIGGER consent_columns_update AFTER UPDATE ON enterprises_consent
       REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
       FOR EACH STATEMENT EXECUTE FUNCTION finbridge_consent_updated()""",
    """CREATE TRIGGER consent_columns_delete AFTER DELETE ON enterprises_consent
       REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION finbridge_consent_deleted()""",
    """
    UPDATE enterprises_enterprise AS e
    SET consent_grantees = live.grantees, consent_expiry_min = live.expiry_min
    FROM (
        SELECT enterprise_id, array_agg(DISTINCT grantee_id ORDER BY grantee_id) AS grantees,
               min(expires_on) AS expiry_min
        FROM enterprises_consent
        WHERE revoked_at IS NULL AND (expires_on IS NULL OR expires_on >= current_date)
        GROUP BY enterprise_id
    ) AS live
    WHERE e.id = live.enterprise_id
    """,
    "CREATE INDEX IF NOT EXISTS ent_consent_grantees_idx ON enterprises_enterprise USING gin (consent_grantees)",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS consent_columns_insert ON enterprises_consent",
    "DROP TRIGGER IF EXISTS consent_columns_update ON enterprises_consent",
    "DROP TRIGGER IF EXISTS consent_columns_delete ON enterprises_consent",
    "DROP FUNCTION IF EXISTS finbridge_consent_inserted()",
    "DROP FUNCTION IF EXISTS finbridge_consent_updated()",
    "DROP FUNCTION IF EXISTS finbridge_consent_deleted()",
    "DROP FUNCTION IF EXISTS finbridge_refresh_consent_columns(bigint[])",
    "DROP INDEX IF EXISTS ent_consent_grantees_idx",
    "ALTER TABLE enterprises_enterprise DROP COLUMN IF EXISTS consent_expiry_min",
    "ALTER TABLE enterprises_enterprise DROP COLUMN IF EXISTS consent_grantees",
]


class Migration(migrations.Migration):
    dependencies = [
        ("enterprises", "0004_import_run_status"),
    ]

    operations = [
        migrations.RunPython(run_on_postgresql(FORWARD), run_on_postgresql(BACKWARD), elidable=False),
    ]
