"""Which certificates to trust, decided once and handed to every HTTP client explicitly.

Real clouds: the operating system's trust store (``truststore``), so corporate
TLS-inspecting proxies whose root CA the OS trusts just work. The emulator: its own local
CA from emulator.json. Environment variables such as ``REQUESTS_CA_BUNDLE`` are never
consulted: requests (MSAL's default HTTP client) lets them silently override ``verify=``.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import truststore

from ..errors import UsageError

__all__ = ["ssl_context"]


def ssl_context(ca_file: Path | None = None) -> ssl.SSLContext:
    """An SSL context trusting the OS store, or only ``ca_file`` (the emulator's CA) when
    one is given; UsageError when that file cannot be used."""
    if ca_file is None:
        return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        return ssl.create_default_context(cafile=str(ca_file))
    except OSError as exc:  # ssl.SSLError is an OSError too
        reason = exc.strerror or getattr(exc, "reason", None) or str(exc)
        raise UsageError(
            f"cannot use the emulator's CA certificate {ca_file} ({reason}): restart "
            "the emulator, which writes it with emulator.json"
        ) from None
