import django.db.models.deletion
from django.db import migrations, models

# The answers' own index on response_id goes: one_answer_per_statement's index on
# (response_id, statement_id) serves every lookup by response. Only the index is
# dropped; AlterField alone would drop and re-add the foreign key, validating every
# answer again under a lock.
INDEX = "programme_answer_response_id_0b24734d"


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0003_initiative_collaborators"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{INDEX}"',
                    reverse_sql=f'CREATE INDEX "{INDEX}" ON "programme_answer" ("response_id")',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="answer",
                    name="response",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="answers",
                        to="outcomes.assessmentresponse",
                        verbose_name="self-assessment",
                    ),
                ),
            ],
        ),
    ]
