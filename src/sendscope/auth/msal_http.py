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
    """Adapts an ``httpx2.Client`` to what MSAL expects of ``http_client``, plus:

    - it sends ``bytes`` form values as text: MSAL hands the client assertion over as
      ``bytes``, which requests encodes as text but httpx2 as ``b'…'`` (AADSTS50027);
    - it remembers the last refused GET (``last_refusal``): MSAL's error for an unknown
      tenant drops Entra's answer, which says what is wrong (AADSTS90002, 900023).
    """

    def __init__(self, client: httpx2.Client) -> None:
        self._client = client
        self.last_refusal: tuple[int, str] | None = None

    def post(
        self, url: str, params: Any = None, data: Any = None, headers: Any = None, **_: Any
    ) -> _Response:
        if isinstance(data, dict):
            data = {k: v.decode() if isinstance(v, bytes) else v for k, v in data.items()}
        return _Response(self._client.post(url, params=params, data=data, headers=headers))

    def get(self, url: str, params: Any = None, headers: Any = None, **_: Any) -> _Response:
        response = _Response(self._client.get(url, params=params, headers=headers))
        if 400 <= response.status_code < 500:
            self.last_refusal = (response.status_code, response.text)
        return response

    def close(self) -> None:  # MSAL may call it; the client belongs to the caller.
        pass
