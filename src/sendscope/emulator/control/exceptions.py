"""The control plane's error vocabulary: one class per code, one envelope for all.

Envelope: ``{"error": {"code": "...", "message": "..."}}`` for the JSON endpoints; the
web pages under ``/_emulator/ui`` get the same code and message as a small HTML page,
because a person reads those in a browser. Models raise; handlers never build error
bodies by hand.
"""

from __future__ import annotations

import html

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from ..core.errors import EmulatorError

__all__ = [
    "UI_PREFIX",
    "ControlError",
    "InvalidFixture",
    "InvalidJson",
    "InvalidRequest",
    "MethodNotAllowed",
    "NotFound",
    "routing_error",
]

UI_PREFIX = "/_emulator/ui"


class ControlError(EmulatorError):
    """An answer of the emulator's control plane (``/_emulator/…``), never a 500."""

    status, code = 400, "InvalidRequest"

    def body(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "message": self.message}}

    def response(self, request: Request) -> Response:
        if request.url.path.startswith(UI_PREFIX):
            return HTMLResponse(
                _error_page(self.status, self.code, self.message), status_code=self.status
            )
        return JSONResponse(self.body(), status_code=self.status)


class InvalidRequest(ControlError):
    """A parameter or body field the endpoint cannot use; the message names it."""

    status, code = 400, "InvalidRequest"


class InvalidJson(ControlError):
    """A body that is not JSON at all."""

    status, code = 400, "InvalidJson"


class InvalidFixture(ControlError):
    """A tenant fixture that cannot be applied (nothing of it was created)."""

    status, code = 400, "InvalidFixture"


class NotFound(ControlError):
    status, code = 404, "NotFound"


class MethodNotAllowed(ControlError):
    status, code = 405, "MethodNotAllowed"


def routing_error(request: Request, status: int) -> ControlError:
    """What a routing miss under ``/_emulator`` answers (for app.py's HTTPException handler)."""
    path = request.url.path
    if status == 405:
        return MethodNotAllowed(
            f"{request.method} is not allowed on {path}: GET /_emulator/endpoints lists "
            "each endpoint with its methods."
        )
    return NotFound(f"There is no control endpoint at {path}: GET /_emulator/endpoints lists them.")


def _error_page(status: int, code: str, message: str) -> str:
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{status} {html.escape(code)}</title>"
        "<style>body{font:15px system-ui,sans-serif;margin:3rem;color:#1f2937}"
        "code{background:#f3f4f6;padding:.1rem .3rem}</style></head><body>"
        f"<h1>{status} <code>{html.escape(code)}</code></h1><p>{html.escape(message)}</p>"
        '<p><a href="/_emulator/ui">Back to the outbox</a></p></body></html>'
    )
