"""Graph groups and their members: handlers and route table (rules in models/groups.py
and models/directory_members.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..exceptions import BadRequest
from ..http import no_content, read_json
from ..models.directory_members import CASTS, DIRECTORY_OBJECT_PROPERTIES, MEMBER_WRITE, Members
from ..models.groups import (
    GROUP_CREATE,
    GROUP_FILTERABLE,
    GROUP_PROPERTIES,
    GROUP_READ,
    GROUP_WRITE,
    Groups,
)
from ..odata import ListQuery, select_fields
from .directory_common import allowed, count_response, entity_response, list_response, wants_count

__all__ = ["ROUTES"]


def _members(request: Request, permissions: tuple[str, ...]) -> Members:
    state, caller = allowed(request, permissions)
    return Members(state, caller.tenant_id)


def _member_query(request: Request) -> ListQuery:
    return ListQuery.parse(
        request, resource="DirectoryObject", filterable=(), selectable=DIRECTORY_OBJECT_PROPERTIES
    )


def _cast(request: Request) -> str | None:
    segment = request.path_params.get("cast")
    if segment is None:
        return None
    if segment not in CASTS:
        raise BadRequest(f"Resource not found for the segment '{segment}'.")
    return CASTS[segment]


async def list_groups(request: Request) -> Response:
    """List groups: $select, $top (1–999), $filter eq, $count, paging by $skiptoken."""
    groups = _members(request, GROUP_READ).groups
    query = ListQuery.parse(
        request, resource="Group", filterable=GROUP_FILTERABLE, selectable=GROUP_PROPERTIES
    )
    return list_response(request, groups.page(query, counted=wants_count(request)))


async def count_groups(request: Request) -> Response:
    """Count groups (needs ConsistencyLevel: eventual)."""
    return count_response(request, _members(request, GROUP_READ).groups.count)


async def create_group(request: Request) -> Response:
    """Create a security group or a Microsoft 365 group (members@odata.bind allowed)."""
    members = _members(request, GROUP_CREATE)
    body = await read_json(request)
    bound = members.resolve(body["members@odata.bind"]) if "members@odata.bind" in body else []
    group = members.groups.create(body, bound)
    return entity_response(request, "groups", group, 201)


async def get_group(request: Request) -> Response:
    """Get a group ($select)."""
    groups: Groups = _members(request, GROUP_READ).groups
    select = select_fields(request.query_params.get("$select"), "Group", GROUP_PROPERTIES)
    return entity_response(
        request, "groups", groups.get(request.path_params["gid"], select), select=select
    )


async def update_group(request: Request) -> Response:
    """Update a group; mail-enabled security groups and distribution lists are read-only."""
    members = _members(request, GROUP_WRITE)
    body = await read_json(request)
    with members.store.tx():
        row = members.groups.update(request.path_params["gid"], body)
        if "members@odata.bind" in body:
            members.add_bound(row["id"], body["members@odata.bind"])
    return no_content(request)


async def delete_group(request: Request) -> Response:
    """Delete a group; mail-enabled security groups and distribution lists are read-only."""
    _members(request, GROUP_WRITE).groups.delete(request.path_params["gid"])
    return no_content(request)


async def list_members(request: Request) -> Response:
    """Direct members as directoryObjects (paged; cast to one type by path)."""
    members = _members(request, GROUP_READ)
    page = members.members(request.path_params["gid"], _member_query(request), _cast(request))
    return list_response(request, page)


async def list_transitive_members(request: Request) -> Response:
    """Members through nested groups, each once (paged; cast to one type by path)."""
    members = _members(request, GROUP_READ)
    page = members.transitive_members(
        request.path_params["gid"], _member_query(request), _cast(request)
    )
    return list_response(request, page)


async def count_members(request: Request) -> Response:
    """Count direct members (needs ConsistencyLevel: eventual)."""
    members = _members(request, GROUP_READ)
    return count_response(
        request, lambda: members.count(request.path_params["gid"], transitive=False)
    )


async def count_transitive_members(request: Request) -> Response:
    """Count transitive members (needs ConsistencyLevel: eventual)."""
    members = _members(request, GROUP_READ)
    return count_response(
        request, lambda: members.count(request.path_params["gid"], transitive=True)
    )


async def add_member(request: Request) -> Response:
    """Add a member by reference: {"@odata.id": ".../directoryObjects/{id}"}."""
    members = _members(request, MEMBER_WRITE)
    members.add(request.path_params["gid"], await read_json(request))
    return no_content(request)


async def remove_member(request: Request) -> Response:
    """Remove a member by reference."""
    members = _members(request, MEMBER_WRITE)
    members.remove(request.path_params["gid"], request.path_params["mid"])
    return no_content(request)


_GROUP = "/v1.0/groups/{gid}"

ROUTES: list[BaseRoute] = [
    Route("/v1.0/groups", list_groups, methods=["GET"]),
    Route("/v1.0/groups", create_group, methods=["POST"]),
    Route("/v1.0/groups/$count", count_groups, methods=["GET"]),
    Route(_GROUP, get_group, methods=["GET"]),
    Route(_GROUP, update_group, methods=["PATCH"]),
    Route(_GROUP, delete_group, methods=["DELETE"]),
    Route(f"{_GROUP}/members", list_members, methods=["GET"]),
    Route(f"{_GROUP}/members/$count", count_members, methods=["GET"]),
    Route(f"{_GROUP}/members/$ref", add_member, methods=["POST"]),
    Route(f"{_GROUP}/members/{{cast}}", list_members, methods=["GET"]),
    Route(f"{_GROUP}/members/{{mid}}/$ref", remove_member, methods=["DELETE"]),
    Route(f"{_GROUP}/transitiveMembers", list_transitive_members, methods=["GET"]),
    Route(f"{_GROUP}/transitiveMembers/$count", count_transitive_members, methods=["GET"]),
    Route(f"{_GROUP}/transitiveMembers/{{cast}}", list_transitive_members, methods=["GET"]),
]
