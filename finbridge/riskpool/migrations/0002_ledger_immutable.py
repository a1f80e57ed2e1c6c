"""PostgreSQL-only: the ledger tables refuse UPDATE and DELETE, whatever writes to them.

The models already refuse save() on existing rows and delete(); these row triggers also stop queryset
update()/delete() and raw SQL. Corrections are reversing entries (services/ledger.py). TRUNCATE (test
database flushes) is not affected. Reversing drops the triggers and the function.
"""

from django.db import migrations

from finbridge.core.db import run_on_postgresql

TABLES = ("riskpool_journalentry", "riskpool_journalline")

FORWARD = [
    """
    CREATE OR REPLACE FUNCTION finbridge_riskpool_ledger_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION USING
            MESSAGE = 'riskpool ledger rows are immutable: ' || TG_OP,
            ERRCODE = 'integrity_constraint_violation';
    END $$
    """,
    *[
        f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION finbridge_riskpool_ledger_immutable()"
        for table in TABLES
    ],
]

BACKWARD = [
    *[f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}" for table in TABLES],
    "DROP FUNCTION IF EXISTS finbridge_riskpool_ledger_immutable()",
]


class Migration(migrations.Migration):
    dependencies = [("riskpool", "0001_initial")]

    operations = [migrations.RunPython(run_on_postgresql(FORWARD), run_on_postgresql(BACKWARD))]
