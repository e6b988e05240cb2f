"""In-memory stand-ins for the admin session ``restrict`` uses: Graph reads and the Exchange
admin cmdlets, with the output fields docs/exchange-emulator.md documents. No tests here.

``FakeExchange`` answers ``Test-ApplicationAccessPolicy`` with sendscope's own evaluator: the
unit tests check the plumbing; the e2e tests check the verdicts against the emulator.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sendscope.errors import ApiFailure, RequestRejected, SendscopeError
from sendscope.policy import PolicyContext, evaluate_access_policy
from sendscope.restriction import AppInfo, RestrictRequest
from sendscope.restriction.read import read_app

DOMAIN = "contoso.com"
TENANT = "contoso.onmicrosoft.com"
MAILER = "0d7c8a4e-5b1f-4c2a-9e3d-6f8a1b2c3d4e"
CALENDAR = "1e8d9b5f-6c20-4d3b-8f4e-7a9b2c3d4e5f"
READER = "2f9eac60-7d31-4e4c-9a5f-8bac3d4e5f60"
NO_SP = "3a0fbd71-8e42-4f5d-ab60-9cbd4e5f6071"
GRAPH_SP = "graph-sp"
_ROLES = {
    "Mail.Send": "b633e1c5-b582-4048-a93e-9f11b44c7e96",
    "Calendars.ReadWrite": "ef54d2bf-783f-4e0f-bca1-3210c0444d99",
    "User.Read.All": "df021288-bdef-4463-88db-98f22de89214",
    "IMAP.AccessAsApp": "5e5addcd-0ad4-4d46-a1e9-4f7ee5f3e4cf",
}


def addr(local: str) -> str:
    return f"{local}@{DOMAIN}"


def recipient_row(local: str, kind: str = "UserMailbox", name: str | None = None) -> dict[str, Any]:
    """A Get-Recipient row (the fields the planner reads)."""
    oid = str(uuid.uuid5(uuid.NAMESPACE_DNS, local))
    return {
        "Name": name or local,
        "Alias": local,
        "DisplayName": name or local.title(),
        "PrimarySmtpAddress": addr(local),
        "EmailAddresses": [f"SMTP:{addr(local)}"],
        "RecipientTypeDetails": kind,
        "ExternalDirectoryObjectId": oid,
        "Guid": str(uuid.uuid5(uuid.NAMESPACE_URL, local)),
    }


def oid(local: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, local))


def demo_rows() -> list[dict[str, Any]]:
    """Ten user mailboxes, a shared mailbox, a mail user, a security and a distribution group."""
    people = ["ceo", "cfo", "hr", "noreply", "it", "payroll", "alex", "megan", "lee", "diego"]
    return [
        *(recipient_row(p) for p in people),
        recipient_row("info", "SharedMailbox"),
        recipient_row("partner", "MailUser"),
        recipient_row("finance", "MailUniversalSecurityGroup", "Finance"),
        recipient_row("allstaff", "MailUniversalDistributionGroup", "All Staff"),
        recipient_row("vendor", "MailContact"),
    ]


@dataclass
class FakeExchange:
    """The ExchangeAdminClient methods ``restrict`` calls, over lists of cmdlet rows."""

    recipients: list[dict[str, Any]] = field(default_factory=demo_rows)
    members: dict[str, list[str]] = field(
        default_factory=lambda: {oid("finance"): [oid("cfo"), oid("payroll")]}
    )
    policies: list[dict[str, Any]] = field(default_factory=list)
    writes: list[tuple[str, ...]] = field(default_factory=list)
    reads: list[str] = field(default_factory=list)
    fail: dict[str, SendscopeError] = field(default_factory=dict)
    fail_after_write: bool = False

    # -- lookups --------------------------------------------------------------------------

    def find(self, identity: str) -> dict[str, Any] | None:
        key = identity.casefold()
        for row in self.recipients:
            keys = (row["ExternalDirectoryObjectId"], row["PrimarySmtpAddress"], row["Name"])
            if key in {k.casefold() for k in keys}:
                return row
        return None

    def _write(self, cmdlet: str, *args: str) -> None:
        """Record a write; fail before it unless ``fail_after_write`` (then ``_answer`` does)."""
        if cmdlet in self.fail and not self.fail_after_write:
            raise self.fail.pop(cmdlet)
        self.writes.append((cmdlet, *args))

    def _answer(self, cmdlet: str) -> None:
        if cmdlet in self.fail:
            raise self.fail.pop(cmdlet)  # the write happened, the answer was lost

    # -- the client's methods ---------------------------------------------------------------

    def get_recipients(self, recipient_type_details: Sequence[str] = ()) -> list[dict[str, Any]]:
        self.reads.append("Get-Recipient")
        return [dict(r) for r in self.recipients]

    def get_distribution_group(self, identity: str) -> dict[str, Any] | None:
        self.reads.append("Get-DistributionGroup")
        row = self.find(identity)
        return dict(row) if row and "Group" in row["RecipientTypeDetails"] else None

    def new_distribution_group(
        self,
        *,
        name: str,
        alias: str | None,
        display_name: str | None,
        primary_smtp_address: str | None,
        members: Sequence[str] = (),
        security: bool = True,
    ) -> dict[str, Any]:
        assert primary_smtp_address is not None
        self._write("New-DistributionGroup", name, primary_smtp_address)
        local = primary_smtp_address.partition("@")[0]
        kind = "MailUniversalSecurityGroup" if security else "MailUniversalDistributionGroup"
        row = recipient_row(local, kind, name)
        row["Alias"] = alias or local
        self.recipients.append(row)
        self._answer("New-DistributionGroup")
        return dict(row)

    def get_distribution_group_members(self, identity: str) -> list[dict[str, Any]]:
        self.reads.append("Get-DistributionGroupMember")
        group = self.find(identity)
        assert group is not None, identity
        ids = self.members.get(group["ExternalDirectoryObjectId"], [])
        return [dict(r) for r in self.recipients if r["ExternalDirectoryObjectId"] in ids]

    def add_distribution_group_member(self, identity: str, member: str) -> None:
        self._write("Add-DistributionGroupMember", identity, member)
        group, row = self.find(identity), self.find(member)
        assert group is not None and row is not None
        ids = self.members.setdefault(group["ExternalDirectoryObjectId"], [])
        ids.append(row["ExternalDirectoryObjectId"])
        self._answer("Add-DistributionGroupMember")

    def get_application_access_policies(self) -> list[dict[str, Any]]:
        self.reads.append("Get-ApplicationAccessPolicy")
        return [dict(p) for p in self.policies]

    def new_application_access_policy(
        self, *, app_id: str, scope: str, access_right: str, description: str | None
    ) -> dict[str, Any]:
        self._write("New-ApplicationAccessPolicy", app_id, scope, access_right)
        row = self.find(scope)
        assert row is not None
        self.policies.append(policy_row(app_id, row, access_right, description))
        self._answer("New-ApplicationAccessPolicy")
        return dict(self.policies[-1])

    def test_application_access_policy(self, *, identity: str, app_id: str) -> dict[str, Any]:
        self.reads.append("Test-ApplicationAccessPolicy")
        context = PolicyContext.from_cmdlets(self.policies, self.recipients, self.members)
        result = evaluate_access_policy(context, app_id, identity)
        return {"AppId": app_id, "Mailbox": identity, "AccessCheckResult": result.verdict.value}


def policy_row(
    app_id: str, scope: dict[str, Any], access_right: str, description: str | None = None
) -> dict[str, Any]:
    """A Get-ApplicationAccessPolicy row for ``scope`` (a recipient row)."""
    sid = "S-1-5-21-" + scope["ExternalDirectoryObjectId"][:8]
    raw = f"{sid};{scope['ExternalDirectoryObjectId']}"
    return {
        "ScopeName": scope["DisplayName"],
        "ScopeIdentity": scope["Name"],
        "Identity": f"tenant\\{app_id}:{raw}",
        "AppId": app_id,
        "ScopeIdentityRaw": raw,
        "Description": description or "default",
        "AccessRight": access_right,
    }


class FakeGraph:
    """``servicePrincipals(appId='…')``, its appRoleAssignments and the Graph resource."""

    def __init__(self, apps: dict[str, tuple[str, tuple[str, ...]]] | None = None) -> None:
        self.apps = apps or {
            MAILER: ("Timesheet Mailer", ("Mail.Send",)),
            CALENDAR: ("Shift Sync", ("Mail.Send", "Calendars.ReadWrite", "User.Read.All")),
            READER: ("Directory Reader", ("User.Read.All", "IMAP.AccessAsApp")),
        }
        self.paths: list[str] = []

    def get_json(self, path: str, params: dict[str, str] | None = None) -> Any:
        self.paths.append(path)
        if path == f"servicePrincipals/{GRAPH_SP}":
            roles = [{"id": i, "value": v} for v, i in _ROLES.items()]
            return {"id": GRAPH_SP, "appRoles": roles}
        app_id = path.removeprefix("servicePrincipals(appId='").removesuffix("')")
        if app_id not in self.apps:
            failure = ApiFailure(404, "Request_ResourceNotFound", "not found", method="GET")
            raise RequestRejected("Microsoft 365 refused GET …", failure=failure)
        return {"id": f"sp-{app_id}", "appId": app_id, "displayName": self.apps[app_id][0]}

    def iter_pages(self, path: str, params: dict[str, str] | None = None) -> Iterator[list[Any]]:
        self.paths.append(path)
        app_id = path.removeprefix("servicePrincipals/sp-").removesuffix("/appRoleAssignments")
        roles = self.apps[app_id][1]
        yield [{"resourceId": GRAPH_SP, "appRoleId": _ROLES[r]} for r in roles]


@dataclass
class FakeSession:
    """What ``prepare_restriction``/``apply_restriction`` need of an AdminSession."""

    graph: FakeGraph = field(default_factory=FakeGraph)
    exchange: FakeExchange = field(default_factory=FakeExchange)
    tenant: str = TENANT


def app_info(app_id: str = MAILER) -> AppInfo:
    return read_app(FakeGraph(), app_id, TENANT)


def new_group_request(**changes: Any) -> RestrictRequest:
    """--group senders@ --create-group --member noreply@ for the mailer, plus ``changes``."""
    values: dict[str, Any] = {
        "app_id": MAILER,
        "group": addr("senders"),
        "create_group": True,
        "members": (addr("noreply"),),
    }
    values.update(changes)
    return RestrictRequest(**values)
