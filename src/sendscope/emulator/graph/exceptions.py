"""Graph's error vocabulary: one class per wire code, one envelope for all.

Envelope (learn.microsoft.com/graph/errors):
``{"error": {"code", "message", "innerError": {"date", "request-id", "client-request-id"}}}``
with ``request-id`` and ``client-request-id`` headers.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.errors import EmulatorError
from .http import graph_headers, request_ids

__all__ = [
    "ApplicationThrottled",
    "AuthorizationRequestDenied",
    "BadRequest",
    "ErrorAccessDenied",
    "ErrorInvalidRecipients",
    "ErrorInvalidUser",
    "ErrorMimeContentInvalidBase64String",
    "ErrorSendAsDenied",
    "FailedDependency",
    "GraphError",
    "InvalidAuthenticationToken",
    "MailboxNotEnabledForRESTAPI",
    "MethodNotAllowed",
    "RequestBadRequest",
    "RequestResourceNotFound",
    "RequestUnsupportedQuery",
    "ResourceNotFound",
]


class GraphError(EmulatorError):
    def body(self, request: Request) -> dict[str, object]:
        request_id, client_request_id = request_ids(request)
        inner = {
            "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
            "request-id": request_id,
            "client-request-id": client_request_id,
        }
        return {"error": {"code": self.code, "message": self.message, "innerError": inner}}

    def headers(self) -> dict[str, str]:
        return {}

    def response(self, request: Request) -> Response:
        headers = {**graph_headers(request), **self.headers()}
        return JSONResponse(self.body(request), status_code=self.status, headers=headers)


class BadRequest(GraphError):
    status, code = 400, "BadRequest"


class RequestBadRequest(GraphError):
    status, code = 400, "Request_BadRequest"


class RequestUnsupportedQuery(GraphError):
    status, code = 400, "Request_UnsupportedQuery"


class RequestResourceNotFound(GraphError):
    status, code = 404, "Request_ResourceNotFound"

    def __init__(self, ref: str) -> None:
        super().__init__(
            f"Resource '{ref}' does not exist or one of its queried reference-property objects "
            "are not present."
        )


class ResourceNotFound(GraphError):
    status, code, message = 404, "ResourceNotFound", "Resource could not be discovered."


class MethodNotAllowed(GraphError):
    status, code = 405, "Request_BadRequest"
    message = "Specified HTTP method is not allowed for the request target."


_WWW_AUTHENTICATE = (
    'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/'
    'authorize", client_id="00000003-0000-0000-c000-000000000000"'
)


class InvalidAuthenticationToken(GraphError):
    status, code = 401, "InvalidAuthenticationToken"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": _WWW_AUTHENTICATE}


class AuthorizationRequestDenied(GraphError):
    status, code = 403, "Authorization_RequestDenied"
    message = "Insufficient privileges to complete the operation."


class ErrorAccessDenied(GraphError):
    status, code = 403, "ErrorAccessDenied"
    message = "Access is denied. Check credentials and try again."


class ErrorSendAsDenied(GraphError):
    status, code = 403, "ErrorSendAsDenied"
    message = (
        "The user account which was used to submit this request does not have the right to "
        "send mail on behalf of the specified sending account., Cannot submit message."
    )


class ErrorInvalidUser(GraphError):
    status, code = 404, "ErrorInvalidUser"

    def __init__(self, ref: str) -> None:
        super().__init__(f"The requested user '{ref}' is invalid.")


class MailboxNotEnabledForRESTAPI(GraphError):
    status, code = 404, "MailboxNotEnabledForRESTAPI"
    message = "The mailbox is either inactive, soft-deleted, or is hosted on-premise."


class ErrorInvalidRecipients(GraphError):
    status, code, message = 400, "ErrorInvalidRecipients", "At least one recipient is not valid."


class ErrorMimeContentInvalidBase64String(GraphError):
    status, code = 400, "ErrorMimeContentInvalidBase64String"
    message = "Invalid base64 string for MIME content."


class ApplicationThrottled(GraphError):
    status, code = 429, "ApplicationThrottled"
    message = "Application is over its MailboxConcurrency limit."

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class FailedDependency(GraphError):
    status, code, message = 424, "FailedDependency", "Dependent request failed."
