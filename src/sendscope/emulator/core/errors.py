"""The root of every error the emulator answers on the wire.

Each service draws its own envelope (Entra's ``error``/``error_description``, Graph's
``{"error": {"code", "message", "innerError"}}``, Exchange's admin API shape) by
subclassing ``EmulatorError`` once and implementing ``response``; one exception handler in
``app.py`` calls it. Models raise; handlers never build error bodies by hand.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

__all__ = ["EmulatorError"]


class EmulatorError(Exception):
    """An answer the emulated service gives on purpose: status, code and message."""

    status: int = 400
    code: str = "BadRequest"
    message: str = ""

    def __init__(self, message: str | None = None, *, status: int | None = None) -> None:
        if message is not None:
            self.message = message
        if status is not None:
            self.status = status
        super().__init__(self.message)

    def response(self, request: Request) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError
