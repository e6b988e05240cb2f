"""Errors sendscope shows to people, and the exit code each one carries.

The tree (architecture.md, "exit codes")::

    SendscopeError                      1  unexpected: a bug, with how to report it
    ├── UsageError                      2  bad input or usage; nothing was sent or written
    │   └── NotSignedIn                    no admin identity: no login, no admin app
    ├── CheckFailed                     3  a check did not hold
    ├── AuthenticationFailed            4  Entra refused the credentials (AADSTS explained)
    ├── RefusedByMicrosoft365           5  Microsoft 365 said no
    │   ├── PermissionMissing              the token lacks the permission (403)
    │   ├── AccessPolicyDenied             an Exchange access policy keeps the app away (403)
    │   ├── SendAsDenied                   ``from`` is a mailbox the caller may not send as
    │   ├── MailboxNotFound                no such user or mailbox (404)
    │   ├── MailboxNotEnabled              the user exists but has no Exchange Online mailbox
    │   └── RequestRejected                any other 4xx: the request itself was refused
    └── OutcomeUnknown                  6  could not tell
        ├── Throttled                      429 past the retry budget
        ├── ServiceUnavailable             5xx past the retry budget, or no connection
        └── AmbiguousOutcome               the request was written, the answer never came

Errors that came from an API carry ``failure`` (status, code, message, request id) so a
report can quote Microsoft's own words. No message ever holds a secret, token or assertion.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AccessPolicyDenied",
    "AmbiguousOutcome",
    "ApiFailure",
    "AuthenticationFailed",
    "CheckFailed",
    "MailboxNotEnabled",
    "MailboxNotFound",
    "NotSignedIn",
    "OutcomeUnknown",
    "PermissionMissing",
    "RefusedByMicrosoft365",
    "RequestRejected",
    "SendAsDenied",
    "SendscopeError",
    "ServiceUnavailable",
    "Throttled",
    "UsageError",
    "not_found",
]


@dataclass(frozen=True, slots=True)
class ApiFailure:
    """What a Microsoft API answered: enough to quote it and to open a support case."""

    status: int
    code: str
    message: str
    request_id: str = ""
    method: str = ""
    url: str = ""
    retry_after: float | None = None

    def quote(self) -> str:
        ref = f" (request-id {self.request_id})" if self.request_id else ""
        return f"{self.status} {self.code}: {self.message}{ref}"


class SendscopeError(Exception):
    exit_code = 1

    def __init__(self, message: str, *, failure: ApiFailure | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.failure = failure


class UsageError(SendscopeError):
    exit_code = 2


class NotSignedIn(UsageError):
    """No admin identity at all; ``verify`` then runs without one, other commands stop."""


class CheckFailed(SendscopeError):
    exit_code = 3


class AuthenticationFailed(SendscopeError):
    """Entra refused to issue a token; ``aadsts`` is the AADSTS number when there is one."""

    exit_code = 4

    def __init__(
        self, message: str, *, aadsts: int | None = None, failure: ApiFailure | None = None
    ) -> None:
        super().__init__(message, failure=failure)
        self.aadsts = aadsts


class RefusedByMicrosoft365(SendscopeError):
    exit_code = 5


class PermissionMissing(RefusedByMicrosoft365):
    pass


class AccessPolicyDenied(RefusedByMicrosoft365):
    pass


class SendAsDenied(RefusedByMicrosoft365):
    pass


class MailboxNotFound(RefusedByMicrosoft365):
    pass


class MailboxNotEnabled(RefusedByMicrosoft365):
    pass


class RequestRejected(RefusedByMicrosoft365):
    pass


class OutcomeUnknown(SendscopeError):
    exit_code = 6


class Throttled(OutcomeUnknown):
    pass


class ServiceUnavailable(OutcomeUnknown):
    pass


class AmbiguousOutcome(OutcomeUnknown):
    pass


def not_found(exc: SendscopeError) -> ApiFailure | None:
    """Microsoft 365's answer when it was 404 (Graph's not found, Exchange's NotFound)."""
    return exc.failure if exc.failure is not None and exc.failure.status == 404 else None
