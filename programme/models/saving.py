"""A row as the database holds it when a save begins: what receivers that must know a
row's old values read (:func:`read_before_save`, :func:`stored_before_save`).
"""

from __future__ import annotations

from django.db import models

# -- A row as the database holds it when a save begins --------------------------------
# Receivers that must know a row's old values (its old owner, its old cohort) ask for the
# fields here when the app is ready (:func:`read_before_save`); one receiver, connected
# when this module is imported and so before any receiver that imports a model, reads
# the union of them in one query per save. No receiver depends on another's attributes
# or on the order they were connected in.
_READ_BEFORE_SAVE: dict[type[models.Model], set[str]] = {}


def read_before_save(model: type[models.Model], *fields: str) -> None:
    """Have every save of ``model`` read these fields (lookups allowed) from the database
    first, for :func:`stored_before_save`."""
    _READ_BEFORE_SAVE.setdefault(model, set()).update(fields)


def stored_before_save(instance: models.Model) -> dict:
    """The fields asked for with :func:`read_before_save`, as the database held them when
    this instance's last save began; ``{}`` for a new row (or a model nobody asked for)."""
    return instance.__dict__.get("_stored_before_save", {})


def _read_stored(sender, instance, raw=False, **kwargs) -> None:
    fields = _READ_BEFORE_SAVE.get(sender)
    if not fields:
        return
    stored = (
        sender._base_manager.filter(pk=instance.pk).values(*sorted(fields)).first()
        if instance.pk
        else None
    )
    instance.__dict__["_stored_before_save"] = stored or {}


models.signals.pre_save.connect(_read_stored, dispatch_uid="programme.models.stored_before_save")
