"""Route table of Microsoft Graph: each resource's table, then Graph's answer to the rest."""

from starlette.routing import BaseRoute

__all__ = ["ROUTES"]

ROUTES: list[BaseRoute] = []
