"""PostgreSQL-only: the consent columns of migration 0005 count days in the project's time zone.

A consent's `expires_on` is a date in settings.TIME_ZONE (Asia/Shanghai): services and searches compare it
with `timezone.localdate()`. PostgreSQL's `current_date` follows the session time zone, which Django sets to
UTC, so between midnight in Shanghai and midnight UTC the refresh function and the daily task saw yesterday.
Visibility stayed exact (the EXISTS fallback decided), but the daily refresh missed consents that had just
expired. `finbridge_today()` returns the date in the project's time zone, fixed when this migration runs; the
refresh function now uses it. Reversing restores the function of 0005.
"""

from django.conf import settings
from django.db import migrations

from finbridge.core.db import run_on_postgresql

REFRESH = """
    CREATE OR REPLACE FUNCTION finbridge_refresh_consent_columns(enterprise_ids bigint[]) RETURNS void
    LANGUAGE sql AS $$
        UPDATE enterprises_enterprise AS e
        SET consent_grantees = COALESCE(live.grantees, '{{}}'), consent_expiry_min = live.expiry_min
        FROM (
            SELECT ids.id,
                   (SELECT array_agg(DISTINCT c.grantee_id ORDER BY c.grantee_id) FROM enterprises_consent c
                    WHERE c.enterprise_id = ids.id AND c.revoked_at IS NULL
                      AND (c.expires_on IS NULL OR c.expires_on >= {today})) AS grantees,
                   (SELECT min(c.expires_on) FROM enterprises_consent c
                    WHERE c.enterprise_id = ids.id AND c.revoked_at IS NULL
                      AND c.expires_on >= {today}) AS expiry_min
            FROM unnest(enterprise_ids) AS ids(id)
        ) AS live
        WHERE e.id = live.id
          AND (e.consent_grantees IS DISTINCT FROM COALESCE(live.grantees, '{{}}')
               OR e.consent_expiry_min IS DISTINCT FROM live.expiry_min)
    $$
"""


def _today_function() -> str:
    zone = settings.TIME_ZONE.replace("'", "")
    return (
        "CREATE OR REPLACE FUNCTION finbridge_today() RETURNS date LANGUAGE sql STABLE AS "
        f"$$ SELECT (now() AT TIME ZONE '{zone}')::date $$"
    )


FORWARD = [_today_function(), REFRESH.format(today="finbridge_today()")]
BACKWARD = [REFRESH.format(today="current_date"), "DROP FUNCTION IF EXISTS finbridge_today()"]


class Migration(migrations.Migration):
    dependencies = [
        ("enterprises", "0005_postgres_consent_visibility"),
    ]

    operations = [
        migrations.RunPython(run_on_postgresql(FORWARD), run_on_postgresql(BACKWARD), elidable=False),
    ]
