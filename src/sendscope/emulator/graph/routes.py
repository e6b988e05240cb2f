"""Route table of Microsoft Graph: each resource's table, then Graph's answer to the rest."""

from starlette.routing import BaseRoute

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

# Starlette tries routes in order: the mail routes (sendMail is the hot path of every
# benchmark and bulk send) come first.
ROUTES: list[BaseRoute] = [
    *mail.ROUTES,
    *users.ROUTES,
    *groups.ROUTES,
    *organization.ROUTES,
    *applications.ROUTES,
    *service_principals.ROUTES,
    *role_management.ROUTES,
    *batch.ROUTES,
]
