"""Identifiers shaped like Microsoft's: GUIDs, SIDs, opaque tokens."""

from __future__ import annotations

import base64
import hashlib
import itertools
import os
import random
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta
from functools import lru_cache

__all__ = [
    "b64url",
    "guid",
    "id_bytes",
    "is_guid",
    "iso_utc",
    "opaque",
    "ordered_guid",
    "ordered_token",
    "sha256_hex",
    "sid_for",
]


# Identifiers need to be unique, not unguessable: they come from a seeded Mersenne Twister,
# several times cheaper than a system call per id (every sendMail makes about ten). Secrets,
# codes and tokens use ``secrets`` (opaque below, identity/, directory_apps).
_ID_RANDOM = random.Random(os.urandom(32))
os.register_at_fork(after_in_child=lambda: _ID_RANDOM.seed(os.urandom(32)))  # as random does


def id_bytes(n: int) -> bytes:
    """``n`` random bytes for an identifier (never for a secret)."""
    return _ID_RANDOM.randbytes(n)


def guid() -> str:
    """A random (version 4) GUID; formatted by hand, as uuid4() is slow for bulk fixtures."""
    h = f"{_ID_RANDOM.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def is_guid(value: str) -> bool:
    """A GUID in its 36-character form (``uuid.UUID`` alone also takes braces, URNs …)."""
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return len(value) == 36


def ordered_guid() -> str:
    """A version 7 GUID: a millisecond timestamp first, so new ids sort after old ones.

    Tables keyed by an id (the outbox) take new rows at the end of their index instead of at
    random places; with random keys SQLite's insert cost grows with the table.
    """
    millis = time.time_ns() // 1_000_000
    h = f"{millis & 0xFFFFFFFFFFFF:012x}{_ID_RANDOM.getrandbits(80):020x}"
    return f"{h[:8]}-{h[8:12]}-7{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


# URL-safe base64's 64 characters in ASCII order: text made of them sorts as the number does.
_ORDERED_ALPHABET = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
_ORDER = itertools.count(time.time_ns() // 1000)  # grows within a run and across restarts


_ORDERED_PAIRS = [a + b for a in _ORDERED_ALPHABET for b in _ORDERED_ALPHABET]


def ordered_token() -> str:
    """Eleven URL-safe base64 characters that sort in the order they were made."""
    n, pairs = next(_ORDER), _ORDERED_PAIRS
    text = (
        pairs[(n >> 60) & 4095]
        + pairs[(n >> 48) & 4095]
        + pairs[(n >> 36) & 4095]
        + pairs[(n >> 24) & 4095]
        + pairs[(n >> 12) & 4095]
        + pairs[n & 4095]
    )
    return text[1:]


def opaque(nbytes: int = 16) -> str:
    """A URL-safe random string (uti, aio, rh, skip tokens)."""
    return secrets.token_urlsafe(nbytes)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sid_for(tenant_id: str, seq: int) -> str:
    """A stable Windows-style SID for an Exchange security principal of a tenant."""
    return f"{_domain_sid(tenant_id)}-{1000 + seq}"


@lru_cache(maxsize=64)
def _domain_sid(tenant_id: str) -> str:
    digest = hashlib.sha256(tenant_id.encode()).digest()
    parts = [int.from_bytes(digest[i : i + 4], "big") for i in (0, 4, 8)]
    return f"S-1-5-21-{parts[0]}-{parts[1]}-{parts[2]}"


def iso_utc(moment: datetime | None = None) -> str:
    """Graph's timestamp form: ``2025-02-13T10:17:05Z``."""
    global _last_stamp  # one remembered (second, text), swapped whole
    if moment is not None and moment.tzinfo is UTC:
        # The common case (the emulator clock's times): one text per second, remembered.
        second, last = (moment - _EPOCH) // _SECOND, _last_stamp  # exact, unlike a float
        if second == last[0]:
            return last[1]
        _last_stamp = (second, _iso(moment))
        return _last_stamp[1]
    return _iso(moment or datetime.now(UTC))


_last_stamp: tuple[int, str] = (-(2**63), "")
_EPOCH, _SECOND = datetime(1970, 1, 1, tzinfo=UTC), timedelta(seconds=1)


def _iso(moment: datetime) -> str:
    value = moment.astimezone(UTC).replace(microsecond=0, tzinfo=None)
    return value.isoformat() + "Z"  # isoformat is several times faster than strftime
