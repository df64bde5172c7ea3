"""File storage in the database, for the outbox's attachments (settings ``STORAGES["outbox"]``).

An attachment is written in the transaction that queues its e-mail and read by
whichever worker sends it, on any machine: no file on one node's disk.
"""

from __future__ import annotations

from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage
from django.utils.deconstruct import deconstructible


def _files():
    # Imported late: django-post-office resolves this storage while its models load.
    from mail.models import OutboxFile

    return OutboxFile.objects


@deconstructible
class DatabaseStorage(Storage):
    """Files in the database (:class:`~programme.models.OutboxFile`), for e-mail attachments.

    Written in the transaction that queues the e-mail, read by whichever worker sends it.
    """

    def _save(self, name: str, content: File) -> str:
        _files().create(name=name, content=content.read())
        return name

    def _open(self, name: str, mode: str = "rb") -> File:
        return ContentFile(bytes(_files().get(name=name).content), name=name)

    def exists(self, name: str) -> bool:
        return _files().filter(name=name).exists()

    def delete(self, name: str) -> None:
        _files().filter(name=name).delete()

    def size(self, name: str) -> int:
        return len(_files().get(name=name).content)

    def url(self, name: str) -> str:
        raise NotImplementedError("Attachments in the outbox are not served.")
