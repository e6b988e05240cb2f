"""Microsoft Graph v1.0, as sendscope uses it."""

from __future__ import annotations

import dataclasses
import logging
import re
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import quote

import httpx2
import stamina

from ..auth.app_tokens import AccessToken
from ..clouds import Cloud
from ..errors import AmbiguousOutcome, ApiFailure, ServiceUnavailable
from ._http import ApiClient, RetryableFailure, RetryPolicy, exhausted_error, retry_backoff
from .errors import parse_graph_failure, raise_for_failure

__all__ = ["GraphClient", "TokenSource", "parse_graph_time", "redact_upload_tokens", "user_path"]

JSON = {"Content-Type": "application/json"}
_AUTHTOKEN = re.compile(r"(authtoken=)[^&\s\"'#]+", re.IGNORECASE)


class TokenSource(Protocol):
    """Where a client gets bearer tokens: an app's (AppTokenSource) or a signed-in admin's."""

    cloud: Cloud

    def token(self, scope: str, *, force_refresh: bool = False) -> AccessToken: ...


class GraphClient(ApiClient):
    """Graph calls with an app's (or admin's) token for the cloud's Graph resource."""

    def __init__(
        self, http: httpx2.Client, tokens: TokenSource, *, retry: RetryPolicy | None = None
    ) -> None:
        scope = tokens.cloud.graph_scope
        super().__init__(
            http,
            tokens.cloud.graph_base,
            lambda fresh: tokens.token(scope, force_refresh=fresh).value,
            parse_failure=parse_graph_failure,
            retry=retry,
        )

    # -- mail, with the body already encoded (its size was checked against the 4 MB limit) --
    # learn.microsoft.com/graph/api/user-sendmail, …/user-post-messages,
    # …/message-post-attachments, …/attachment-createuploadsession, …/message-send

    def send_mail_encoded(self, mailbox: str, body: bytes) -> str:
        """``POST /users/{mailbox}/sendMail`` with a JSON body; Graph's request-id of the 202."""
        response = self.request(
            "POST", f"{user_path(mailbox)}/sendMail", read=False, content=body, headers=JSON
        )
        return response.headers.get("request-id", "")

    def create_draft(self, mailbox: str, body: bytes) -> str:
        """``POST /users/{mailbox}/messages`` (Mail.ReadWrite): the new draft's id."""
        response = self.request(
            "POST", f"{user_path(mailbox)}/messages", read=False, content=body, headers=JSON
        )
        return str(response.json()["id"])

    def add_attachment(self, mailbox: str, message_id: str, body: bytes) -> None:
        """``POST /users/{mailbox}/messages/{id}/attachments``: one attachment under 3 MB."""
        self.request(
            "POST",
            f"{message_path(mailbox, message_id)}/attachments",
            read=False,
            content=body,
            headers=JSON,
        )

    def create_upload_session(
        self, mailbox: str, message_id: str, name: str, size: int, content_type: str
    ) -> str:
        """``POST …/attachments/createUploadSession``: the session's pre-authorised URL."""
        path, item = upload_session_request(mailbox, message_id, name, size, content_type)
        response = self.request("POST", path, read=False, json=item)
        return str(response.json()["uploadUrl"])

    def upload_range(self, upload_url: str, data: bytes, start: int, total: int) -> None:
        """``PUT {uploadUrl}`` one byte range, with NO Authorization header: the URL carries
        its own token, and Outlook refuses a bearer token there. Retried on 429 only."""
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Range": f"bytes {start}-{start + len(data) - 1}/{total}",
        }
        policy = self._retry
        try:
            for attempt in stamina.retry_context(
                on=retry_backoff,
                attempts=policy.attempts,
                timeout=policy.timeout,
                wait_initial=policy.wait_initial,
                wait_max=policy.wait_max,
            ):
                with attempt:
                    response = self._put_range(upload_url, data, headers)
                    if response.status_code == 429:
                        raise RetryableFailure(_without_query(parse_graph_failure(response)))
                    if not response.is_success:
                        raise_for_failure(_without_query(parse_graph_failure(response)))
                    return
        except RetryableFailure as exc:
            raise exhausted_error(exc.failure, policy) from None

    def send_draft(self, mailbox: str, message_id: str) -> str:
        """``POST /users/{mailbox}/messages/{id}/send`` (Mail.Send): the 202's request-id."""
        response = self.request("POST", f"{message_path(mailbox, message_id)}/send", read=False)
        return response.headers.get("request-id", "")

    def _put_range(self, url: str, data: bytes, headers: dict[str, str]) -> httpx2.Response:
        try:
            return self.http.put(url, content=data, headers=headers)
        except (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout) as exc:
            raise ServiceUnavailable(
                f"cannot connect to {httpx2.URL(url).host}: {type(exc).__name__}"
            ) from None
        except httpx2.TransportError as exc:
            raise AmbiguousOutcome(
                f"PUT of an attachment's bytes got no answer ({type(exc).__name__})"
            ) from None


def user_path(mailbox: str) -> str:
    """``users/{address}``: the address as Graph takes it, anything else escaped."""
    return f"users/{quote(mailbox, safe='@')}"


def upload_session_request(
    mailbox: str, message_id: str, name: str, size: int, content_type: str
) -> tuple[str, dict[str, Any]]:
    """The path and body of ``createUploadSession`` for one file attachment of a draft."""
    item = {
        "AttachmentItem": {
            "attachmentType": "file",
            "name": name,
            "size": size,
            "contentType": content_type,
        }
    }
    return f"{message_path(mailbox, message_id)}/attachments/createUploadSession", item


def message_path(mailbox: str, message_id: str) -> str:
    return f"{user_path(mailbox)}/messages/{quote(message_id, safe='')}"


def _without_query(failure: ApiFailure) -> ApiFailure:
    """An upload URL's query is a token: keep it out of every error."""
    return dataclasses.replace(failure, url=str(httpx2.URL(failure.url).copy_with(query=None)))


class _RedactUploadTokens(logging.Filter):
    """httpx2 logs each request's URL at INFO; an upload URL carries its token in the query."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_upload_tokens(str(a)) if "authtoken=" in str(a).lower() else a
                for a in record.args
            )
        return True


def redact_upload_tokens(text: str) -> str:
    return _AUTHTOKEN.sub(r"\1***", text)


_LOG_FILTER = _RedactUploadTokens()
logging.getLogger("httpx2").addFilter(_LOG_FILTER)

__all__ += ["message_path"]


def parse_graph_time(value: Any) -> datetime | None:
    """A Graph ``DateTimeOffset`` (``2027-03-31T10:00:00.1234567Z``) as an aware datetime;
    None when absent or unreadable. Graph gives up to seven fraction digits; Python reads six."""
    if not isinstance(value, str) or not value:
        return None
    head, _, fraction = value.rstrip("Z").partition(".")
    try:
        moment = datetime.fromisoformat(head + (f".{fraction[:6]}" if fraction else ""))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
