"""Outlook's wire errors that graph/exceptions.py does not hold yet.

Each is one Graph error code (learn.microsoft.com/graph/errors). Texts marked *observed*
were seen in public captures of real responses; texts marked *guess* were not found and
are the emulator's best reading — tests pin them so a later correction is one edit here.
They belong in graph/exceptions.py; they live here until its owner moves them.
"""

from __future__ import annotations

from ..exceptions import ApplicationThrottled, GraphError

__all__ = [
    "ErrorAttachmentSizeLimitExceeded",
    "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize",
    "ErrorInvalidIdMalformed",
    "ErrorInvalidRequest",
    "ErrorInvalidUrlQuery",
    "ErrorInvalidUrlQueryFilter",
    "ErrorItemNotFound",
    "InvalidInternetMessageHeader",
    "InvalidInternetMessageHeaderCollection",
    "MailboxRequestLimitThrottled",
    "RequestBodyRead",
]


class RequestBodyRead(GraphError):
    """A body OData cannot read into the resource type (observed code and texts)."""

    status, code = 400, "RequestBodyRead"


class ErrorInvalidRequest(GraphError):
    """Exchange refusing a request it understood (code observed; texts guessed)."""

    status, code = 400, "ErrorInvalidRequest"


class ErrorItemNotFound(GraphError):
    """No such item or folder in this mailbox (observed)."""

    status, code = 404, "ErrorItemNotFound"
    message = "The specified object was not found in the store."


class ErrorInvalidIdMalformed(GraphError):
    """An item id that cannot be an Exchange id (observed)."""

    status, code, message = 400, "ErrorInvalidIdMalformed", "Id is malformed."


class ErrorInvalidUrlQuery(GraphError):
    """A query option Outlook does not take (code observed; text guessed)."""

    status, code = 400, "ErrorInvalidUrlQuery"


class ErrorInvalidUrlQueryFilter(GraphError):
    """A ``$filter`` Outlook cannot evaluate (code observed; text guessed)."""

    status, code = 400, "ErrorInvalidUrlQueryFilter"
    message = "The query filter contains one or more invalid nodes."


class InvalidInternetMessageHeader(GraphError):
    """A custom header that is not an ``x-`` header (observed)."""

    status, code = 400, "InvalidInternetMessageHeader"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"The internet message header name '{name}' should start with 'x-' or 'X-'."
        )


class InvalidInternetMessageHeaderCollection(GraphError):
    """More than five custom headers (observed), or an empty list (text guessed)."""

    status, code = 400, "InvalidInternetMessageHeaderCollection"
    message = "Maximum number of headers in one message should be less than or equal to 5."


class ErrorAttachmentSizeShouldNotBeLessThanMinimumSize(GraphError):
    """An upload session for a file under 3 MB (code documented; text guessed)."""

    status, code = 400, "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize"
    message = "Attachment size must be greater than the minimum size."


class ErrorAttachmentSizeLimitExceeded(GraphError):
    """An upload session for a file over 150 MB (code and text guessed)."""

    status, code = 400, "ErrorAttachmentSizeLimitExceeded"
    message = "The attachment size exceeds the maximum size of 150 MB."


class MailboxRequestLimitThrottled(ApplicationThrottled):
    """Over 10,000 requests in 10 minutes for one app and mailbox (text guessed: only the
    concurrency text is observed)."""

    message = "Application is over its MailboxRequests limit."
