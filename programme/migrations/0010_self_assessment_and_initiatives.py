"""The self-assessment (questionnaires, statements, answers) and the leaders' initiatives.

Also: the shipped Danish questionnaire (version 1), HR's permissions on questionnaires,
and triggers that keep a questionnaire with answers frozen whatever writes to it.
"""

import django.db.models.deletion
import django.utils.timezone
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

# The default set, written for the programme: (dimension, statement). Frozen here as it
# shipped; HR edits it in the admin (or, once answered, makes a new version).
DEFAULT_STATEMENTS = [
    ("leadership", "Jeg tager initiativ til at digitalisere opgaver i mit eget område."),
    (
        "leadership",
        "Jeg ser digitalisering som en ledelsesopgave på linje med økonomi og personale.",
    ),
    (
        "leadership",
        "Jeg sætter klare mål for, hvad digitalisering skal give borgere og medarbejdere i mit område.",
    ),
    ("leadership", "Jeg går forrest og bruger selv de digitale løsninger, vi indfører."),
    ("it", "Jeg har overblik over de IT-systemer og data, mit område bruger."),
    ("it", "Jeg bruger data som ledelsesinformation, når jeg træffer beslutninger."),
    ("it", "Jeg ved, hvordan mit område passer på informationssikkerhed og persondata."),
    (
        "people",
        "Jeg ved, hvilke digitale kompetencer mine medarbejdere har brug for, og efterspørger dem.",
    ),
    ("people", "Jeg hjælper mine medarbejdere gennem de forandringer, digitalisering medfører."),
    ("people", "Jeg sørger for, at alle i mit område bruger de digitale løsninger, vi har."),
    ("people", "Jeg inddrager medarbejderne, når vi digitaliserer deres arbejdsgange."),
    ("processes", "Jeg ser jævnligt på vores arbejdsgange med digitale briller."),
    (
        "processes",
        "Jeg følger op på, om vores digitale løsninger giver de gevinster, vi forventede.",
    ),
    ("processes", "Jeg tænker digitalisering på tværs af fagområder og centre."),
    ("tasks", "Jeg ved, hvordan digitalisering kan gøre vores kerneopgave bedre for borgerne."),
    ("tasks", "Jeg tager medansvar for, at digitalisering bruges til at løse kerneopgaven bedre."),
    ("tasks", "Jeg samarbejder med andre områder om digitale løsninger, der går på tværs."),
    ("tasks", "Jeg har borgerens perspektiv med, når vi indfører digitale løsninger."),
]

DEFAULT_QUESTIONNAIRE = {
    "title": "Selvevaluering: digital ledelse",
    "low_label": "Helt uenig",
    "high_label": "Helt enig",
    "free_text_prompt": "Hvad vil du gerne blive bedre til som digital leder? (frivilligt)",
}

HR_PERMISSIONS = [
    "add_questionnaire",
    "change_questionnaire",
    "view_questionnaire",
    "delete_questionnaire",
    "add_statement",
    "change_statement",
    "view_statement",
    "delete_statement",
]


def default_questionnaire(apps, schema_editor):
    Questionnaire = apps.get_model("programme", "Questionnaire")
    Statement = apps.get_model("programme", "Statement")
    questionnaire, created = Questionnaire.objects.get_or_create(
        version=1, defaults=DEFAULT_QUESTIONNAIRE
    )
    if created:
        Statement.objects.bulk_create(
            Statement(questionnaire=questionnaire, dimension=dimension, order=n, text=text)
            for n, (dimension, text) in enumerate(DEFAULT_STATEMENTS, start=1)
        )
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group = apps.get_model("auth", "Group").objects.filter(name="HR").first()
    if group is not None:
        Permission = apps.get_model("auth", "Permission")
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="programme", codename__in=HR_PERMISSIONS
            )
        )


FROZEN = "questionnaire has answers: make a new version"
# A questionnaire is frozen once a response uses it.
ANSWERED = "EXISTS (SELECT 1 FROM programme_assessmentresponse r WHERE r.questionnaire_id = {q})"
STATEMENT_CHANGED = (
    'NEW.text <> OLD.text OR NEW.dimension <> OLD.dimension OR NEW."order" <> OLD."order" '
    "OR NEW.questionnaire_id <> OLD.questionnaire_id"
)
SCALE_CHANGED = "NEW.low_label <> OLD.low_label OR NEW.high_label <> OLD.high_label"
# An answer belongs to a statement of its response's questionnaire.
WRONG_QUESTIONNAIRE = (
    "(SELECT questionnaire_id FROM programme_statement WHERE id = NEW.statement_id) <> "
    "(SELECT questionnaire_id FROM programme_assessmentresponse WHERE id = NEW.response_id)"
)
# (name, table, event, condition). No trigger on deleting a statement: the answers' foreign
# key refuses that already, and a DELETE trigger would stop `flush` emptying the tables.
TRIGGERS = [
    (
        "statement_frozen_insert",
        "programme_statement",
        "INSERT",
        ANSWERED.format(q="NEW.questionnaire_id"),
    ),
    (
        "statement_frozen_update",
        "programme_statement",
        "UPDATE",
        f"({ANSWERED.format(q='OLD.questionnaire_id')}) AND ({STATEMENT_CHANGED})",
    ),
    (
        "questionnaire_frozen_update",
        "programme_questionnaire",
        "UPDATE",
        f"({ANSWERED.format(q='OLD.id')}) AND ({SCALE_CHANGED})",
    ),
    ("answer_same_questionnaire", "programme_answer", "INSERT OR UPDATE", WRONG_QUESTIONNAIRE),
]


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for name, table, event, condition in TRIGGERS:
        if vendor == "sqlite":
            for one_event in event.split(" OR "):
                schema_editor.execute(
                    f"CREATE TRIGGER {name}_{one_event.lower()} BEFORE {one_event} ON {table} "
                    f"FOR EACH ROW WHEN {condition} "
                    f"BEGIN SELECT RAISE(ABORT, '{FROZEN if 'frozen' in name else 'answer to another questionnaire'}'); END"
                )
        elif vendor == "postgresql":
            message = FROZEN if "frozen" in name else "answer to another questionnaire"
            returned = "OLD" if event == "DELETE" else "NEW"
            schema_editor.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF {condition} THEN RAISE EXCEPTION '{message}' USING ERRCODE = '23000'; END IF; "
                f"RETURN {returned}; END $$"
            )
            schema_editor.execute(
                f"CREATE TRIGGER {name} BEFORE {event} ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {name}()"
            )


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for name, table, event, _condition in TRIGGERS:
        if vendor == "sqlite":
            for one_event in event.split(" OR "):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}_{one_event.lower()}")
        elif vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")


class Migration(migrations.Migration):
    dependencies = [
        ("programme", "0009_locations_facilitators"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.CreateModel(
            name="Questionnaire",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("version", models.PositiveSmallIntegerField(unique=True, verbose_name="version")),
                ("title", models.CharField(max_length=200, verbose_name="title")),
                ("low_label", models.CharField(max_length=60, verbose_name="label of 1")),
                ("high_label", models.CharField(max_length=60, verbose_name="label of 5")),
                (
                    "free_text_prompt",
                    models.CharField(
                        max_length=300, verbose_name="question for the free-text answer"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="created at"
                    ),
                ),
            ],
            options={
                "verbose_name": "self-assessment questionnaire",
                "verbose_name_plural": "self-assessment questionnaires",
                "ordering": ["-version"],
            },
        ),
        migrations.CreateModel(
            name="AssessmentResponse",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "round",
                    models.CharField(
                        choices=[
                            ("baseline", "Before (baseline)"),
                            ("follow_up", "After (follow-up)"),
                        ],
                        max_length=10,
                        verbose_name="round",
                    ),
                ),
                ("free_text", models.TextField(blank=True, verbose_name="in your own words")),
                ("submitted_at", models.DateTimeField(verbose_name="answered at")),
                (
                    "leader",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="assessments",
                        to="programme.leader",
                        verbose_name="leader",
                    ),
                ),
                (
                    "programme",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="programme.programme",
                        verbose_name="programme",
                    ),
                ),
                (
                    "questionnaire",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="responses",
                        to="programme.questionnaire",
                        verbose_name="questionnaire",
                    ),
                ),
            ],
            options={
                "verbose_name": "self-assessment",
                "verbose_name_plural": "self-assessments",
                "ordering": ["leader", "submitted_at"],
            },
        ),
        migrations.CreateModel(
            name="Initiative",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("title", models.CharField(max_length=200, verbose_name="title")),
                (
                    "problem",
                    models.TextField(verbose_name="the problem it solves for citizens or staff"),
                ),
                ("leadership", models.BooleanField(default=False, verbose_name="leadership")),
                ("it", models.BooleanField(default=False, verbose_name="IT")),
                ("people", models.BooleanField(default=False, verbose_name="people")),
                ("processes", models.BooleanField(default=False, verbose_name="processes")),
                ("tasks", models.BooleanField(default=False, verbose_name="tasks")),
                ("expected_benefit", models.TextField(verbose_name="expected benefit")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("idea", "Idea"),
                            ("planned", "Planned"),
                            ("in_progress", "In progress"),
                            ("done", "Done"),
                            ("abandoned", "Abandoned"),
                        ],
                        default="idea",
                        max_length=12,
                        verbose_name="status",
                    ),
                ),
                (
                    "abandoned_reason",
                    models.TextField(blank=True, verbose_name="why it was abandoned"),
                ),
                (
                    "next_step_on",
                    models.DateField(blank=True, null=True, verbose_name="date of the next step"),
                ),
                ("created_at", models.DateTimeField(verbose_name="created at")),
                ("changed_at", models.DateTimeField(verbose_name="changed at")),
                (
                    "leader",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="initiatives",
                        to="programme.leader",
                        verbose_name="leader",
                    ),
                ),
                (
                    "other_department",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="programme.department",
                        verbose_name="crosses into department",
                    ),
                ),
                (
                    "programme",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="programme.programme",
                        verbose_name="programme",
                    ),
                ),
            ],
            options={
                "verbose_name": "digitalisation initiative",
                "verbose_name_plural": "digitalisation initiatives",
                "ordering": ["-changed_at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="InitiativeStatusChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("idea", "Idea"),
                            ("planned", "Planned"),
                            ("in_progress", "In progress"),
                            ("done", "Done"),
                            ("abandoned", "Abandoned"),
                        ],
                        max_length=12,
                        verbose_name="status",
                    ),
                ),
                ("reason", models.TextField(blank=True, verbose_name="reason")),
                ("changed_at", models.DateTimeField(verbose_name="changed at")),
                (
                    "initiative",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="status_changes",
                        to="programme.initiative",
                        verbose_name="initiative",
                    ),
                ),
            ],
            options={
                "verbose_name": "status change",
                "verbose_name_plural": "status changes",
                "ordering": ["changed_at", "pk"],
            },
        ),
        migrations.CreateModel(
            name="Statement",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "dimension",
                    models.CharField(
                        choices=[
                            ("leadership", "Leadership"),
                            ("it", "IT"),
                            ("people", "People"),
                            ("processes", "Processes"),
                            ("tasks", "Tasks"),
                        ],
                        max_length=12,
                        verbose_name="dimension",
                    ),
                ),
                ("order", models.PositiveSmallIntegerField(verbose_name="order")),
                ("text", models.CharField(max_length=300, verbose_name="statement")),
                (
                    "questionnaire",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="statements",
                        to="programme.questionnaire",
                        verbose_name="questionnaire",
                    ),
                ),
            ],
            options={
                "verbose_name": "statement",
                "verbose_name_plural": "statements",
                "ordering": ["questionnaire", "order"],
            },
        ),
        migrations.CreateModel(
            name="Answer",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("score", models.PositiveSmallIntegerField(verbose_name="score")),
                (
                    "response",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="answers",
                        to="programme.assessmentresponse",
                        verbose_name="self-assessment",
                    ),
                ),
                (
                    "statement",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="answers",
                        to="programme.statement",
                        verbose_name="statement",
                    ),
                ),
            ],
            options={
                "verbose_name": "answer",
                "verbose_name_plural": "answers",
            },
        ),
        migrations.AddIndex(
            model_name="initiative",
            index=models.Index(
                fields=["programme", "leader"], name="programme_i_program_715d89_idx"
            ),
        ),
        migrations.AddConstraint(
            model_name="initiative",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("leadership", True),
                    ("it", True),
                    ("people", True),
                    ("processes", True),
                    ("tasks", True),
                    _connector="OR",
                ),
                name="initiative_touches_a_dimension",
                violation_error_message="Choose at least one dimension the initiative touches.",
            ),
        ),
        migrations.AddConstraint(
            model_name="initiative",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "abandoned"), _negated=True),
                    models.Q(("abandoned_reason", ""), _negated=True),
                    _connector="OR",
                ),
                name="initiative_abandoned_has_reason",
                violation_error_message="Say why the initiative was abandoned.",
            ),
        ),
        migrations.AddIndex(
            model_name="assessmentresponse",
            index=models.Index(
                fields=["programme", "round", "leader"], name="programme_a_program_ff1948_idx"
            ),
        ),
        migrations.AddConstraint(
            model_name="assessmentresponse",
            constraint=models.UniqueConstraint(
                fields=("leader", "programme", "round"),
                name="one_self_assessment_per_round",
                violation_error_message="The leader has already answered this round.",
            ),
        ),
        migrations.AddConstraint(
            model_name="statement",
            constraint=models.UniqueConstraint(
                fields=("questionnaire", "order"),
                name="statement_order_unique_in_questionnaire",
                violation_error_message="Another statement of this questionnaire has that number.",
            ),
        ),
        migrations.AddConstraint(
            model_name="answer",
            constraint=models.UniqueConstraint(
                fields=("response", "statement"), name="one_answer_per_statement"
            ),
        ),
        migrations.AddConstraint(
            model_name="answer",
            constraint=models.CheckConstraint(
                condition=models.Q(("score__gte", 1), ("score__lte", 5)),
                name="answer_score_from_1_to_5",
                violation_error_message="An answer is a number from 1 to 5.",
            ),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
        migrations.RunPython(default_questionnaire, migrations.RunPython.noop),
    ]
