"""The Exchange admin API's route table (architecture.md: ``/adminapi/beta/{tenant}/…``)."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from .responses import invoke_command

__all__ = ["ROUTES"]

# POST is how clients call a cmdlet; GET serves a nextLink followed without a body.
ROUTES: list[BaseRoute] = [
    Route("/adminapi/beta/{tenant}/InvokeCommand", invoke_command, methods=["POST", "GET"]),
]
