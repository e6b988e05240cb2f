"""Read what ``restrict`` plans from: the app in Microsoft Graph, the tenant in Exchange.

The app: its service principal (``GET /servicePrincipals(appId='…')``; a 404 means the app
has no service principal in this tenant) and its app role assignments, turned into
permission names through each resource's ``appRoles``. The tenant: every recipient, every
Application Access Policy, and the direct members of each group that matters (the scopes of
the app's policies and the target group, down through nested groups).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import quote

from ..audit_permissions import grant_how
from ..errors import PermissionMissing, RefusedByMicrosoft365, UsageError, not_found
from ..policy import ApplicationAccessPolicy, PolicyContext, Recipient, mailbox_permissions
from ..policy.snapshot import app_role_names
from .model import AppInfo

__all__ = ["ExchangeAdmin", "GraphReader", "read_app", "read_context"]


class GraphReader(Protocol):
    """The part of ``GraphClient`` the reader uses."""

    def get_json(self, path: str, params: dict[str, str] | None = None) -> Any: ...

    def iter_pages(
        self, path: str, params: dict[str, str] | None = None
    ) -> Iterator[list[Any]]: ...


class ExchangeAdmin(Protocol):
    """The part of ``ExchangeAdminClient`` (clients/exchange.py) ``restrict`` uses."""

    def get_recipients(
        self, recipient_type_details: Sequence[str] = ()
    ) -> list[dict[str, Any]]: ...

    def get_distribution_group(self, identity: str) -> dict[str, Any] | None: ...

    def new_distribution_group(
        self,
        *,
        name: str,
        alias: str | None,
        display_name: str | None,
        primary_smtp_address: str | None,
        members: Sequence[str] = (),
        security: bool = True,
    ) -> dict[str, Any]: ...

    def get_distribution_group_members(self, identity: str) -> list[dict[str, Any]]: ...

    def add_distribution_group_member(self, identity: str, member: str) -> None: ...

    def get_application_access_policies(self) -> list[dict[str, Any]]: ...

    def new_application_access_policy(
        self, *, app_id: str, scope: str, access_right: str, description: str | None
    ) -> dict[str, Any]: ...

    def test_application_access_policy(self, *, identity: str, app_id: str) -> dict[str, Any]: ...


# Groups whose members Get-DistributionGroupMember lists (not dynamic or Microsoft 365 groups).
_LISTABLE_GROUPS = frozenset(
    {"MailUniversalSecurityGroup", "MailUniversalDistributionGroup", "MailNonUniversalGroup"}
)


def read_app(graph: GraphReader, app_id: str, tenant: str) -> AppInfo:
    """The app's service principal and the application permissions it holds in Entra."""
    app_id = app_id.strip().lower()
    try:
        sp = _service_principal(graph, app_id, tenant)
        roles = _roles(graph, str(sp["id"]))
    except RefusedByMicrosoft365 as exc:
        if exc.failure is None or exc.failure.status != 403:
            raise
        raise PermissionMissing(
            f"the admin identity may not read app {app_id} and its permissions in Microsoft "
            f"Graph ({exc.failure.quote()}). An admin app needs the application permission "
            f"Application.Read.All: {grant_how('Application.Read.All')}. An admin signed in "
            "with `sendscope login` needs a directory role that reads applications, such as "
            "Global Reader or Application Administrator. Nothing was written.",
            failure=exc.failure,
        ) from None
    name = str(sp.get("displayName") or sp.get("appDisplayName") or "")
    return AppInfo(app_id, name, str(sp["id"]), roles, mailbox_permissions(roles))


def _service_principal(graph: GraphReader, app_id: str, tenant: str) -> dict[str, Any]:
    path = f"servicePrincipals(appId='{quote(app_id)}')"
    try:
        body: dict[str, Any] = graph.get_json(path, {"$select": "id,appId,displayName"})
    except RefusedByMicrosoft365 as exc:
        if not not_found(exc):
            raise
        raise UsageError(
            f"app {app_id} has no service principal in tenant {tenant}: it is not registered "
            "there and no admin has consented to it, so it cannot reach any mailbox and there "
            "is nothing to restrict. Check the app id (Entra admin center > Enterprise "
            "applications). Nothing was written."
        ) from None
    return body


def _roles(graph: GraphReader, sp_id: str) -> tuple[str, ...]:
    assignments = [
        a
        for page in graph.iter_pages(f"servicePrincipals/{sp_id}/appRoleAssignments")
        for a in page
    ]
    resources = {str(a.get("resourceId")) for a in assignments}
    names = {rid: _app_roles(graph, rid) for rid in sorted(resources)}
    roles = (
        names[str(a.get("resourceId"))].get(str(a.get("appRoleId")).lower()) for a in assignments
    )
    return tuple(dict.fromkeys(r for r in roles if r))


def _app_roles(graph: GraphReader, resource_id: str) -> dict[str, str]:
    body = graph.get_json(f"servicePrincipals/{resource_id}", {"$select": "id,appRoles"})
    return app_role_names(body.get("appRoles") or ())


def read_context(exchange: ExchangeAdmin, app_id: str, group: str | None) -> PolicyContext:
    """The tenant as the planner needs it: recipients, policies, scope-group memberships."""
    recipients = exchange.get_recipients()
    policies = exchange.get_application_access_policies()
    base = PolicyContext.from_cmdlets(policies, recipients)
    start = [base.scope_id(p) for p in base.policies_for_app(app_id)]
    target = base.find(group) if group else None
    if target is not None and target.is_group:
        start.append(target.object_id)
    members = _members_below(exchange, base, start)
    return PolicyContext.from_cmdlets(policies, recipients, members)


def _members_below(
    exchange: ExchangeAdmin, context: PolicyContext, start: Iterable[str]
) -> Mapping[str, list[str]]:
    """Direct members of each group in ``start`` and of every group nested below them."""
    found: dict[str, list[str]] = {}
    queue = [g for g in start if _is_group(context, g)]
    while queue:
        group = queue.pop()
        if group in found:
            continue
        rows = exchange.get_distribution_group_members(group)
        found[group] = [Recipient.from_cmdlet(r).object_id for r in rows]
        queue.extend(m for m in found[group] if _is_group(context, m) and m not in found)
    return found


def _is_group(context: PolicyContext, object_id: str) -> bool:
    found = context.recipients.get(object_id)
    return found is not None and found.recipient_type_details in _LISTABLE_GROUPS


def policies_from(rows: Iterable[Mapping[str, Any]]) -> tuple[ApplicationAccessPolicy, ...]:
    """``Get-ApplicationAccessPolicy`` rows as values."""
    return tuple(ApplicationAccessPolicy.from_cmdlet(r) for r in rows)
