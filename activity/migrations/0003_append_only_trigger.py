"""On PostgreSQL the database itself refuses to change or delete an audit event."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION activity_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'activity_auditevent is append-only: ' || TG_OP;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS activity_auditevent_no_change ON activity_auditevent;
CREATE TRIGGER activity_auditevent_no_change BEFORE UPDATE OR DELETE ON activity_auditevent
    FOR EACH ROW EXECUTE FUNCTION activity_auditevent_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS activity_auditevent_no_change ON activity_auditevent;
DROP FUNCTION IF EXISTS activity_auditevent_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("activity", "0002_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
