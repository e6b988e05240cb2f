"""Device codes and refresh tokens: the state behind delegated sign-in.

Device authorization grant (learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code):
``/devicecode`` answers a ``device_code`` for the client and a nine-character ``user_code``
for the person, valid 900 s, polled every 5 s. The person enters the code on the emulator's
``/_emulator/devicelogin`` page, picks a user of the tenant, and approves or declines. With
``auto_approve_device_codes`` every code is approved at once for the tenant's first Global
Administrator (if it has none, the code waits for the page like any other).

Refresh tokens are opaque; only their SHA-256 is stored. They live 90 days (Entra's
inactivity lifetime) and may be redeemed for any resource, as Entra's multi-resource
refresh tokens can.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..core.ids import sha256_hex
from ..core.roles import GLOBAL_ADMINISTRATOR
from ..core.state import EmulatorState
from ..core.store import Row
from .exceptions import (
    AuthorizationDeclined,
    AuthorizationPending,
    DeviceCodeExpired,
    GrantInvalid,
    MalformedRequest,
    RefreshTokenExpired,
)

__all__ = [
    "DEVICE_CODE_LIFETIME",
    "POLL_INTERVAL",
    "REFRESH_TOKEN_LIFETIME",
    "DeviceAuthorization",
    "DeviceCodes",
    "DeviceLoginProblem",
    "RefreshTokens",
    "first_global_administrator",
    "normal_user_code",
    "selectable_users",
]

DEVICE_CODE_LIFETIME = 900
POLL_INTERVAL = 5
REFRESH_TOKEN_LIFETIME = 90 * 24 * 3600
_USER_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: typed by a person
_USER_CODE_LENGTH = 9


class DeviceLoginProblem(ValueError):
    """Why the device login page cannot go on; the message is shown to the person."""


@dataclass(frozen=True, slots=True)
class DeviceAuthorization:
    """The ``/devicecode`` answer, field for field."""

    user_code: str
    device_code: str
    verification_uri: str
    expires_in: int
    interval: int

    @property
    def message(self) -> str:
        return (
            f"To sign in, use a web browser to open the page {self.verification_uri} and enter "
            f"the code {self.user_code} to authenticate."
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "user_code": self.user_code,
            "device_code": self.device_code,
            "verification_uri": self.verification_uri,
            "expires_in": self.expires_in,
            "interval": self.interval,
            "message": self.message,
        }


def normal_user_code(text: str) -> str:
    """What a person typed, as stored: upper case, no spaces or dashes."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def first_global_administrator(state: EmulatorState, tenant_id: str) -> Row | None:
    """The tenant's first enabled Global Administrator user: who auto-approval signs in."""
    return state.store.one(
        "SELECT u.* FROM users u JOIN directory_role_assignments r "
        "ON r.tenant_id = u.tenant_id AND r.principal_id = u.id "
        "WHERE u.tenant_id = ? AND r.role_definition_id = ? AND u.account_enabled = 1 "
        "ORDER BY u.seq LIMIT 1",
        (tenant_id, GLOBAL_ADMINISTRATOR),
    )


def selectable_users(state: EmulatorState, tenant_id: str, limit: int = 500) -> list[Row]:
    """The enabled users the device login page offers, in creation order."""
    return state.store.all(
        "SELECT upn, display_name FROM users WHERE tenant_id = ? AND account_enabled = 1 "
        "ORDER BY seq LIMIT ?",
        (tenant_id, limit),
    )


class DeviceCodes:
    """The ``device_codes`` table: issue, approve or decline, redeem."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.store = state.store

    def issue(
        self, tenant_id: str, client_id: str, scope: str, verification_uri: str
    ) -> DeviceAuthorization:
        now = self.state.clock.real_now()
        device_code = "DAQABIQEAAAD" + secrets.token_urlsafe(96)
        user_code = self._new_user_code()
        admin = (
            first_global_administrator(self.state, tenant_id)
            if self.state.settings.auto_approve_device_codes
            else None
        )
        with self.store.tx():
            self.store.execute("DELETE FROM device_codes WHERE expires < ?", (now - 86400,))
            self.store.execute(
                "INSERT INTO device_codes (device_code, user_code, tenant_id, client_id, scope, "
                "created, expires, status, user_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    device_code,
                    user_code,
                    tenant_id,
                    client_id,
                    scope,
                    now,
                    now + DEVICE_CODE_LIFETIME,
                    "pending" if admin is None else "approved",
                    None if admin is None else admin["id"],
                ),
            )
        return DeviceAuthorization(
            user_code, device_code, verification_uri, DEVICE_CODE_LIFETIME, POLL_INTERVAL
        )

    def _new_user_code(self) -> str:
        while True:
            code = "".join(secrets.choice(_USER_CODE_ALPHABET) for _ in range(_USER_CODE_LENGTH))
            if not self.store.scalar("SELECT 1 FROM device_codes WHERE user_code = ?", (code,)):
                return code

    # -- the device login page ---------------------------------------------------------

    def waiting(self, user_code: str) -> Row:
        """The pending request a person's code stands for, or DeviceLoginProblem."""
        row = self.store.one(
            "SELECT * FROM device_codes WHERE user_code = ?", (normal_user_code(user_code),)
        )
        if row is None or row["status"] != "pending":
            raise DeviceLoginProblem("We don't recognize this code. Check the code and try again.")
        if row["expires"] <= self.state.clock.real_now():
            raise DeviceLoginProblem("This code has expired. Ask the app for a new code.")
        return row

    def approve(self, user_code: str, upn: str) -> Row:
        """Sign ``upn`` in for the waiting request; returns the user row."""
        row = self.waiting(user_code)
        user = self.store.one(
            "SELECT * FROM users WHERE tenant_id = ? AND upn = ?", (row["tenant_id"], upn.strip())
        )
        if user is None:
            raise DeviceLoginProblem(f"The account {upn} does not exist in this tenant.")
        if not user["account_enabled"]:
            raise DeviceLoginProblem(f"The account {upn} is disabled.")
        self._decide(row, "approved", user["id"])
        return user

    def decline(self, user_code: str) -> None:
        self._decide(self.waiting(user_code), "declined", None)

    def _decide(self, row: Row, status: str, user_id: str | None) -> None:
        self.store.execute(
            "UPDATE device_codes SET status = ?, user_id = ? WHERE device_code = ? "
            "AND status = 'pending'",
            (status, user_id, row["device_code"]),
        )

    # -- polling -------------------------------------------------------------------------

    def find(self, device_code: str) -> Row:
        row = self.store.one("SELECT * FROM device_codes WHERE device_code = ?", (device_code,))
        if row is None:
            raise _unknown_device_code()
        return row

    def redeem(self, row: Row) -> str:
        """The approved user's id, once; the polling errors otherwise (RFC 8628 §3.5)."""
        if row["status"] == "redeemed":
            raise _unknown_device_code()
        if row["expires"] <= self.state.clock.real_now():
            raise DeviceCodeExpired()
        if row["status"] == "pending":
            raise AuthorizationPending()
        if row["status"] == "declined":
            raise AuthorizationDeclined()
        changed = self.store.execute(
            "UPDATE device_codes SET status = 'redeemed' WHERE device_code = ? "
            "AND status = 'approved'",
            (row["device_code"],),
        )
        if not changed:  # another poll got there first
            raise _unknown_device_code()
        return str(row["user_id"])


def _unknown_device_code() -> GrantInvalid:
    # The device flow doc's ``bad_verification_code``; the AADSTS text is a guess.
    return GrantInvalid(
        "The provided value for the input parameter 'device_code' is not valid.",
        error="bad_verification_code",
    )


class RefreshTokens:
    """The ``refresh_tokens`` table: opaque tokens, kept as SHA-256."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.store = state.store

    def issue(self, tenant_id: str, client_id: str, user_id: str, scope: str) -> str:
        token = "1.AQ" + secrets.token_urlsafe(160)
        self.store.execute(
            "INSERT INTO refresh_tokens (token_sha256, tenant_id, client_id, user_id, scope, "
            "expires) VALUES (?, ?, ?, ?, ?, ?)",
            (
                sha256_hex(token),
                tenant_id,
                client_id,
                user_id,
                scope,
                self.state.clock.real_now() + REFRESH_TOKEN_LIFETIME,
            ),
        )
        return token

    def redeem(self, token: str, client_id: str) -> Row:
        """The grant behind a refresh token presented by ``client_id``, if still good."""
        row = self.store.one(
            "SELECT * FROM refresh_tokens WHERE token_sha256 = ?", (sha256_hex(token.strip()),)
        )
        if row is None:
            raise MalformedRequest()
        if row["client_id"] != client_id:
            raise GrantInvalid("Provided grant is invalid or malformed.")
        if row["expires"] <= self.state.clock.real_now():
            issued = datetime.fromtimestamp(row["expires"] - REFRESH_TOKEN_LIFETIME, UTC)
            raise RefreshTokenExpired(
                issued.strftime("%Y-%m-%dT%H:%M:%S.0000000Z"), REFRESH_TOKEN_LIFETIME // 86400
            )
        return row
