"""What a leader holds, stored with their standing for the forecast (issue 27).

The cohort of their seat comes from their enrolled place; the three moments follow from the per-module moments the standing already keeps
(``modules``: [completed_at, expected_until, missed_from] as Unix seconds), so existing
standings are filled from them here; the rules are those of
``programme.progress.LeaderProgress.booked_until`` and the two after it, written out
as they are today (a migration keeps the code of its day)."""

import datetime as dt

from django.db import migrations, models


def _moment(seconds):
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC) if seconds is not None else None


def holding(required, stored):
    entries = [(stored or {}).get(str(pk)) or [None, None, None] for pk in required]
    open_ = [(e, m) for c, e, m in entries if c is None]
    if not entries or any(e is None for e, _m in open_):
        booked = None
    else:
        booked = max(c if c is not None else e for c, e, _m in entries)
    last = max((e for e, _m in open_ if e is not None), default=None)
    until = min((max(e, m) for e, m in open_ if e is not None and m is not None), default=None)
    return _moment(booked), _moment(last), _moment(until)


def fill(apps, schema_editor):
    Module = apps.get_model("programme", "Module")
    Standing = apps.get_model("programme", "Standing")
    required = {}
    for programme_id, pk in Module.objects.filter(required=True).values_list("programme_id", "pk"):
        required.setdefault(programme_id, []).append(pk)
    Enrolment = apps.get_model("programme", "Enrolment")
    seats = {
        (leader, programme): cohort
        for leader, programme, cohort in Enrolment.objects.filter(status="enrolled").values_list(
            "leader_id", "programme_id", "cohort_id"
        )
    }
    changed = []
    for standing in Standing.objects.only("pk", "leader_id", "programme_id", "modules").iterator():
        moments = holding(required.get(standing.programme_id, []), standing.modules)
        seat = seats.get((standing.leader_id, standing.programme_id))
        if any(moments) or seat is not None:
            standing.booked_until, standing.held_last, standing.held_until = moments
            standing.seated_in_id = seat
            changed.append(standing)
    Standing.objects.bulk_update(
        changed, ["seated_in", "booked_until", "held_last", "held_until"], batch_size=2000
    )


class Migration(migrations.Migration):
    dependencies = [("programme", "0020_hr_reserves_seats")]

    operations = [
        migrations.AddField(
            model_name="standing",
            name="seated_in",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=models.deletion.SET_NULL,
                related_name="+",
                to="programme.cohort",
                verbose_name="seated in",
            ),
        ),
        migrations.AddField(
            model_name="standing",
            name="booked_until",
            field=models.DateTimeField(blank=True, null=True, verbose_name="complete if attending"),
        ),
        migrations.AddField(
            model_name="standing",
            name="held_last",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="last session held ends"
            ),
        ),
        migrations.AddField(
            model_name="standing",
            name="held_until",
            field=models.DateTimeField(blank=True, null=True, verbose_name="held until"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
