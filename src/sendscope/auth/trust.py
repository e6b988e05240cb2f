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

__all__ = ["ssl_context"]


def ssl_context(ca_file: Path | None = None) -> ssl.SSLContext:
    """An SSL context trusting the OS store, or only ``ca_file`` when one is given."""
    if ca_file is not None:
        return ssl.create_default_context(cafile=str(ca_file))
    return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
