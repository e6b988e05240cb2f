"""The one boundary where an error response becomes a sendscope exception.

Graph's envelope is ``{"error": {"code", "message", "innerError": {"request-id"}}}``
(learn.microsoft.com/graph/errors). The mapping picks the most specific class by status
and code; callers that know more (the mailer) rewrite the sentence, keeping ``failure``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2

from ..errors import (
    AccessPolicyDenied,
    ApiFailure,
    AuthenticationFailed,
    MailboxNotEnabled,
    MailboxNotFound,
    PermissionMissing,
    RequestRejected,
    SendAsDenied,
    SendscopeError,
    ServiceUnavailable,
    Throttled,
)

__all__ = [
    "FailureParser",
    "exception_for",
    "json_object",
    "parse_graph_failure",
    "raise_for_failure",
    "retry_after",
]

FailureParser = Callable[[httpx2.Response], ApiFailure]

ACCESS_POLICY_MARKER = "Access to OData is disabled"


def parse_graph_failure(response: httpx2.Response) -> ApiFailure:
    error = json_object(response).get("error")
    error = error if isinstance(error, dict) else {}
    inner = error.get("innerError") or error.get("innererror") or {}
    request_id = (
        inner.get("request-id") if isinstance(inner, dict) else None
    ) or response.headers.get("request-id", "")
    return ApiFailure(
        status=response.status_code,
        code=str(error.get("code") or response.reason_phrase or "Unknown"),
        message=str(error.get("message") or response.text[:300]),
        request_id=str(request_id),
        method=response.request.method,
        url=str(response.request.url),
        retry_after=retry_after(response),
    )


def exception_for(failure: ApiFailure) -> SendscopeError:
    """The most specific exception for an API failure, with a neutral sentence."""
    where = f"{failure.method} {httpx2.URL(failure.url).path}" if failure.url else "the request"
    text = f"Microsoft 365 refused {where}: {failure.quote()}"
    return _class_for(failure)(text, failure=failure)


def raise_for_failure(failure: ApiFailure) -> None:
    raise exception_for(failure)


def _class_for(failure: ApiFailure) -> Callable[..., SendscopeError]:
    status, code = failure.status, failure.code
    if status == 401:
        return AuthenticationFailed
    if status == 403:
        if ACCESS_POLICY_MARKER in failure.message:
            return AccessPolicyDenied
        return SendAsDenied if code == "ErrorSendAsDenied" else PermissionMissing
    if status == 404 and code == "MailboxNotEnabledForRESTAPI":
        return MailboxNotEnabled
    if status == 404 and code == "ErrorInvalidUser":
        return MailboxNotFound
    if status == 429:
        return Throttled
    if status >= 500:
        return ServiceUnavailable
    return RequestRejected


def json_object(response: httpx2.Response) -> dict[str, Any]:
    """The response body when it is a JSON object; {} for anything else."""
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def retry_after(response: httpx2.Response) -> float | None:
    """``Retry-After`` in seconds (never negative), or None when absent or unreadable."""
    raw = response.headers.get("Retry-After")
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:
        return None
