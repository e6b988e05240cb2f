"""Errors sendscope shows to people, and the exit code each one carries.

The tree (architecture.md, "exit codes")::

    SendscopeError                 1  unexpected: a bug, with how to report it
    ├── UsageError                 2  bad input or usage; nothing was sent or written
    ├── CheckFailed                3  a check did not hold
    ├── AuthenticationFailed       4  Entra refused the credentials (AADSTS explained)
    ├── RefusedByMicrosoft365      5  missing permission, access policy, send-as denied
    └── OutcomeUnknown             6  throttled past the retry budget, unavailable, unknown

Every message names what went wrong, the object involved, and what to do. No message ever
holds a secret, token or assertion.
"""

from __future__ import annotations

__all__ = [
    "AuthenticationFailed",
    "CheckFailed",
    "OutcomeUnknown",
    "RefusedByMicrosoft365",
    "SendscopeError",
    "UsageError",
]


class SendscopeError(Exception):
    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(SendscopeError):
    exit_code = 2


class CheckFailed(SendscopeError):
    exit_code = 3


class AuthenticationFailed(SendscopeError):
    exit_code = 4


class RefusedByMicrosoft365(SendscopeError):
    exit_code = 5


class OutcomeUnknown(SendscopeError):
    exit_code = 6
