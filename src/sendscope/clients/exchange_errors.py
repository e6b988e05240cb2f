"""The Exchange admin API's error envelope → the most specific sendscope exception.

The shape (docs/exchange-emulator.md, m365-domain.md §6)::

    {"error": {"code": "NotFound", "message": "Error executing cmdlet",
      "details": [{"message": "ErrorId|ExceptionType|Message"}], "innererror": {...}}}

Authorisation failures carry no ``details``: ``401 "User is not allowed to call X"``. That
401 is not a sign-in problem but a missing Exchange role, so it becomes
``PermissionMissing`` with the role to grant, never a token refresh loop.
"""

from __future__ import annotations

import re

import httpx2

from ..errors import (
    ApiFailure,
    AuthenticationFailed,
    PermissionMissing,
    RequestRejected,
    SendscopeError,
    ServiceUnavailable,
    Throttled,
)
from .errors import json_object, retry_after

__all__ = [
    "NOT_ALLOWED",
    "exchange_exception_for",
    "exchange_message",
    "parse_exchange_failure",
]

NOT_ALLOWED = re.compile(r"User is not allowed to call (?P<cmdlet>[\w-]+)")

ROLE_NEEDED = (
    "the admin identity lacks the Exchange role for {cmdlet}. Signed in as a user "
    "(sendscope login), that user needs the Exchange Administrator role; as an admin app, the "
    "app needs the Office 365 Exchange Online application permission Exchange.ManageAsApp "
    "(admin consent granted) and a directory role: Exchange Administrator (or Exchange "
    "Recipient Administrator for recipient and group cmdlets, Global Reader for reads only). "
    "See docs/login.md. Exchange said: {quote}"
)


def exchange_message(detail: str) -> str:
    """The human part of ``ErrorId|ExceptionType|Message`` (text after the second ``|``)."""
    parts = detail.split("|", 2)
    return parts[2] if len(parts) == 3 else detail


def parse_exchange_failure(response: httpx2.Response) -> ApiFailure:
    """The failure as Exchange stated it: status, code, and Exchange's own sentence."""
    error = json_object(response).get("error")
    error = error if isinstance(error, dict) else {}
    details = error.get("details")
    first = details[0] if isinstance(details, list) and details else {}
    detail = str(first.get("message") or "") if isinstance(first, dict) else ""
    message = exchange_message(detail) if detail else str(error.get("message") or "")
    return ApiFailure(
        status=response.status_code,
        code=str(error.get("code") or response.reason_phrase or "Unknown"),
        message=message or response.text[:300],
        request_id=response.headers.get("request-id", ""),
        method=response.request.method,
        url=str(response.request.url),
        retry_after=retry_after(response),
    )


def exchange_exception_for(failure: ApiFailure, cmdlet: str) -> SendscopeError:
    """The most specific exception for a failed cmdlet, with a sentence naming it."""
    quote = failure.quote()
    not_allowed = NOT_ALLOWED.search(failure.message)
    if failure.status in (401, 403) and not_allowed:
        text = ROLE_NEEDED.format(cmdlet=not_allowed.group("cmdlet"), quote=quote)
        return PermissionMissing(_capital(text), failure=failure)
    if failure.status == 401:
        return AuthenticationFailed(
            f"the Exchange admin API refused the admin token for {cmdlet}: {quote}. Check "
            "that the token is for Exchange Online in this tenant (--tenant, --cloud).",
            failure=failure,
        )
    if failure.status == 429:
        return Throttled(f"Exchange throttled {cmdlet}: {quote}", failure=failure)
    if failure.status >= 500:
        return ServiceUnavailable(f"Exchange failed to run {cmdlet}: {quote}", failure=failure)
    return RequestRejected(f"Exchange refused {cmdlet}: {failure.message}", failure=failure)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
