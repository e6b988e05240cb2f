"""Route table of Microsoft Graph: each resource's table, then Graph's answer to the rest."""

from starlette.routing import BaseRoute, Route

from .responses import (
    applications,
    batch,
    groups,
    mail,
    organization,
    role_management,
    service_principals,
    users,
)

__all__ = ["ROUTES"]

# Starlette tries routes in order: sendMail, the hot path of every benchmark and bulk
# send, comes first.
_SEND_MAIL = [r for r in mail.ROUTES if isinstance(r, Route) and r.path.endswith("/sendMail")]

ROUTES: list[BaseRoute] = [
    *_SEND_MAIL,
    *(r for r in mail.ROUTES if r not in _SEND_MAIL),
    *users.ROUTES,
    *groups.ROUTES,
    *organization.ROUTES,
    *applications.ROUTES,
    *service_principals.ROUTES,
    *role_management.ROUTES,
    *batch.ROUTES,
]
