"""API tokens: made once, kept only as a hash, checked on every call.

A token reads ``dlp_<prefix>_<secret>``: the prefix (8 hex characters, not secret)
finds the client's row, and the SHA-256 of the whole token must equal the stored one
(compared in constant time). The token itself is never stored: HR sees it once, on
the page after creating the client (``hr/admin/api_clients.py``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from api.models import ApiClient

PREFIX = "dlp"
# A token longer than this is no token of ours (and is not hashed).
MAX_LENGTH = 100


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(client: ApiClient) -> str:
    """Give ``client`` a new token (replacing any earlier one) and return it, once.

    Sets ``prefix`` and ``token_hash`` on the instance; the caller saves it.
    """
    while True:
        prefix = secrets.token_hex(4)
        if not ApiClient.objects.filter(prefix=prefix).exclude(pk=client.pk).exists():
            break
    token = f"{PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    client.prefix = prefix
    client.token_hash = digest(token)
    return token


def client_for(token: str, now: dt.datetime) -> ApiClient | None:
    """The active client this token belongs to, or None (unknown, expired, revoked)."""
    parts = token.split("_", 2)
    if len(token) > MAX_LENGTH or len(parts) != 3 or parts[0] != PREFIX:
        return None
    client = ApiClient.objects.filter(prefix=parts[1]).first()
    if client is None or not hmac.compare_digest(client.token_hash, digest(token)):
        return None
    return client if client.is_active(now) else None
