"""MSAL's HTTP client, on httpx2: the same trust, proxies and timeouts as everything else.

MSAL accepts any object with requests-like ``get``/``post`` returning a response with
``status_code``, ``text``, ``headers`` and ``raise_for_status`` (msal ``http_client``).
"""

from __future__ import annotations

from typing import Any

import httpx2

__all__ = ["MsalHttpClient"]


class _Response:
    def __init__(self, response: httpx2.Response) -> None:
        self._response = response
        self.status_code = response.status_code
        self.text = response.text
        self.headers = response.headers

    def raise_for_status(self) -> None:
        self._response.raise_for_status()


class MsalHttpClient:
    """Adapts an ``httpx2.Client`` to what MSAL expects of ``http_client``."""

    def __init__(self, client: httpx2.Client) -> None:
        self._client = client

    def post(
        self, url: str, params: Any = None, data: Any = None, headers: Any = None, **_: Any
    ) -> _Response:
        return _Response(self._client.post(url, params=params, data=data, headers=headers))

    def get(self, url: str, params: Any = None, headers: Any = None, **_: Any) -> _Response:
        return _Response(self._client.get(url, params=params, headers=headers))

    def close(self) -> None:  # MSAL may call it; the client belongs to the caller.
        pass
