"""Route table of the control plane (``/_emulator/…``): the emulator's own test controls.

No authentication (a local test tool; the emulator binds loopback by default). The
device-code sign-in page, ``/_emulator/devicelogin``, belongs to the identity service.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from . import responses as r

__all__ = ["ROUTES"]

ROUTES: list[BaseRoute] = [
    Route("/_emulator", r.index, methods=["GET"]),
    Route("/_emulator/health", r.health, methods=["GET"]),
    Route("/_emulator/endpoints", r.endpoints, methods=["GET"]),
    Route("/_emulator/reset", r.reset_handler, methods=["POST"]),
    Route("/_emulator/tenants", r.tenants, methods=["GET"]),
    Route("/_emulator/tenants", r.post_tenant, methods=["POST"]),
    Route("/_emulator/tenants/{tenant}", r.get_tenant, methods=["GET"]),
    Route("/_emulator/tenants/{tenant}", r.delete_tenant_handler, methods=["DELETE"]),
    Route("/_emulator/outbox", r.list_messages, methods=["GET"]),
    Route("/_emulator/outbox", r.delete_outbox, methods=["DELETE"]),
    Route("/_emulator/outbox/{message_id}", r.get_message, methods=["GET"]),
    Route("/_emulator/clock", r.clock, methods=["GET"]),
    Route("/_emulator/clock/advance", r.advance, methods=["POST"]),
    Route("/_emulator/ui", r.ui_outbox, methods=["GET"]),
    Route("/_emulator/ui/messages/{message_id}", r.ui_message, methods=["GET"]),
]
