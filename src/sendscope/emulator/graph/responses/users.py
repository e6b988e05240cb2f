"""Graph users: handlers and their route table (rules and JSON live in models/users.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..http import no_content, read_json
from ..models.directory_members import DIRECTORY_OBJECT_PROPERTIES, Members
from ..models.licenses import LICENSE_WRITE, Licenses, parse_assignment
from ..models.users import USER_FILTERABLE, USER_PROPERTIES, USER_READ, USER_WRITE, Users
from ..odata import ListQuery, select_fields
from .directory_common import allowed, count_response, entity_response, list_response, wants_count

__all__ = ["ROUTES"]


def _users(request: Request, permissions: tuple[str, ...]) -> Users:
    state, caller = allowed(request, permissions)
    return Users(state, caller.tenant_id)


def _select(request: Request) -> tuple[str, ...]:
    return select_fields(request.query_params.get("$select"), "User", USER_PROPERTIES)


async def list_users(request: Request) -> Response:
    """List users: $select, $top (1–999), $filter eq, $count, paging by $skiptoken."""
    users = _users(request, USER_READ)
    query = ListQuery.parse(
        request, resource="User", filterable=USER_FILTERABLE, selectable=USER_PROPERTIES
    )
    return list_response(request, users.page(query, counted=wants_count(request)))


async def count_users(request: Request) -> Response:
    """Count users (needs ConsistencyLevel: eventual)."""
    users = _users(request, USER_READ)
    return count_response(request, users.count)


async def create_user(request: Request) -> Response:
    """Create a user; a mailbox comes with it when the tenant provisions them."""
    users = _users(request, USER_WRITE)
    user = users.create(await read_json(request))
    response = entity_response(request, "users", user, 201)
    response.headers["Location"] = (
        f"https://graph.microsoft.com/v2/{users.tenant_id}/directoryObjects/{user['id']}/"
        "Microsoft.DirectoryServices.User"
    )
    return response


async def get_user(request: Request) -> Response:
    """Get a user by id or userPrincipalName ($select)."""
    users = _users(request, USER_READ)
    select = _select(request)
    user = users.get(request.path_params["ref"], select)
    return entity_response(request, "users", user, select=select)


async def update_user(request: Request) -> Response:
    """Update a user's properties."""
    users = _users(request, USER_WRITE)
    users.update(request.path_params["ref"], await read_json(request))
    return no_content(request)


async def delete_user(request: Request) -> Response:
    """Delete a user with its mailbox, memberships, licences and role assignments."""
    _users(request, USER_WRITE).delete(request.path_params["ref"])
    return no_content(request)


async def assign_license(request: Request) -> Response:
    """Add and remove licences; an Exchange plan brings or takes the mailbox."""
    state, caller = allowed(request, LICENSE_WRITE)
    users = Users(state, caller.tenant_id)
    row = users.row(request.path_params["ref"])
    add, remove = parse_assignment(await read_json(request))
    Licenses(state, caller.tenant_id).assign(row, add, remove)
    return entity_response(request, "users", users.get(row["id"]))


async def member_of(request: Request) -> Response:
    """Groups the user is a direct member of."""
    state, caller = allowed(request, USER_READ)
    query = ListQuery.parse(
        request, resource="DirectoryObject", filterable=(), selectable=DIRECTORY_OBJECT_PROPERTIES
    )
    page = Members(state, caller.tenant_id).member_of(request.path_params["ref"], query)
    return list_response(request, page)


ROUTES: list[BaseRoute] = [
    Route("/v1.0/users", list_users, methods=["GET"]),
    Route("/v1.0/users", create_user, methods=["POST"]),
    Route("/v1.0/users/$count", count_users, methods=["GET"]),
    Route("/v1.0/users/{ref}", get_user, methods=["GET"]),
    Route("/v1.0/users/{ref}", update_user, methods=["PATCH"]),
    Route("/v1.0/users/{ref}", delete_user, methods=["DELETE"]),
    Route("/v1.0/users/{ref}/assignLicense", assign_license, methods=["POST"]),
    Route("/v1.0/users/{ref}/memberOf", member_of, methods=["GET"]),
]
