"""Level.number (optional, must agree with the order by days) and the database guards:
the audit trail is append-only and a sent letter cannot be edited (see dunning.models.append_only)."""
from django.db import migrations, models

from dunning.models.append_only import install_guards, remove_guards


def forwards(apps, schema_editor):
    install_guards(schema_editor)


def backwards(apps, schema_editor):
    remove_guards(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ("dunning", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="level",
            name="number",
            field=models.PositiveSmallIntegerField(
                blank=True, null=True,
                help_text="Optional. Levels are ranked by days; a number given here must agree with that order"),
        ),
        migrations.RunPython(forwards, backwards),
    ]
