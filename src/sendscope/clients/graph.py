"""Microsoft Graph v1.0, as sendscope uses it."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx2

from ..auth.app_tokens import AppTokenSource
from ._http import ApiClient, RetryPolicy
from .errors import parse_graph_failure

__all__ = ["GraphClient"]


class GraphClient(ApiClient):
    """Graph calls with an app's (or admin's) token for the cloud's Graph resource."""

    def __init__(
        self, http: httpx2.Client, tokens: AppTokenSource, *, retry: RetryPolicy | None = None
    ) -> None:
        scope = tokens.cloud.graph_scope
        super().__init__(
            http,
            tokens.cloud.graph_base,
            lambda fresh: tokens.token(scope, force_refresh=fresh).value,
            parse_failure=parse_graph_failure,
            retry=retry,
        )

    def send_mail(self, mailbox: str, payload: dict[str, Any]) -> None:
        """POST /users/{mailbox}/sendMail: 202 and no body, or an exception."""
        self.request("POST", f"users/{quote(mailbox)}/sendMail", read=False, json=payload)
