"""Application Access Policies: ``New-``, ``Get-``, ``Set-``, ``Remove-`` and
``Test-ApplicationAccessPolicy`` (m365-domain.md §1.3–§1.7).

One policy is kept per app and scope, as Exchange keeps them (its ``Identity`` is
``<tenant id>\\<AppId>:<scope SID>;<scope object id>``), so ``-AppId a,b`` makes two.
Creating and removing a policy is written to the change log Graph enforcement replays
after the propagation delay (core/propagation.py); ``Test-ApplicationAccessPolicy`` reads
the configuration as it is, at once — the trap real admins fall into.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

from ...core.app_access import (
    ALL_APPS,
    DENY_ACCESS,
    RESTRICT_ACCESS,
    PolicyRule,
    access_granted,
)
from ...core.ids import guid, iso_utc
from ...core.propagation import ADD, REMOVE, record_policy
from ...core.store import Row, dumps, loads
from ..exceptions import (
    InvalidArgument,
    InvalidCmdletArgument,
    ObjectAlreadyExists,
    ObjectNotFound,
    PolicySpaceExceeded,
)
from .invocation import CmdletCall, CmdletResult, Record
from .recipients import SECURITY_PRINCIPALS, Recipients

__all__ = [
    "POLICY_OVERHEAD",
    "POLICY_SPACE",
    "default_description",
    "get_policy",
    "new_policy",
    "policy_cost",
    "remove_policy",
    "set_policy",
    "test_policy",
]

# "You can create a limited number of policies in your organization based on a fixed amount
# of space … set a one space character description for the policy. This method allows
# approximately 300 policies (versus a previous limit of 100 policies)." Modelled as a fixed
# space where a policy costs an overhead plus its description: 300 policies with a
# one-character description, about 100 with the ~210 characters of the default description.
POLICY_SPACE = 30_000
POLICY_OVERHEAD = 99
SPACE_EXCEEDED = "The total size of App Access Policies exceeded the limit."

_RIGHTS = {RESTRICT_ACCESS.lower(): RESTRICT_ACCESS, DENY_ACCESS.lower(): DENY_ACCESS}


def policy_cost(description: str) -> int:
    return POLICY_OVERHEAD + len(description)


def default_description(app_id: str, sid: str, scope_id: str, right: str) -> str:
    """What Exchange writes when ``-Description`` is left out (one anonymised capture,
    m365-domain §1.7; line breaks and exact wording UNCONFIRMED)."""
    return (
        f"AppId: {app_id}; ScopeIdentitySid: {sid}; ScopeIdentityOid: {scope_id}; "
        f"AccessRight: {right}; ShardType: All"
    )


# -- cmdlets ---------------------------------------------------------------------------------


def new_policy(call: CmdletCall) -> CmdletResult:
    params = call.params
    right = _access_right(params.required_text("AccessRight"))
    app_ids = _app_ids(params.values("AppId", split_commas=True))
    recipients = Recipients(call.state, call.tenant_id)
    scope = recipients.find(params.required_text("PolicyScopeGroupId"))
    _check_scope(scope)
    given = params.text("Description")
    store, rows = call.state.store, _policies(call)
    taken = {(r["app_id"], r["scope_id"]) for r in rows}
    new_rows = []
    for app_id in app_ids:
        if (app_id, scope["object_id"]) in taken:
            raise ObjectAlreadyExists(
                _identity(call.tenant_id, app_id, scope["sid"], scope["object_id"])
            )
        description = (
            given
            if given is not None
            else default_description(app_id, scope["sid"], scope["object_id"], right)
        )
        new_rows.append((guid(), app_id, description))
    used = sum(policy_cost(r["description"]) for r in rows)
    if used + sum(policy_cost(d) for _, _, d in new_rows) > POLICY_SPACE:
        raise PolicySpaceExceeded(SPACE_EXCEEDED)
    props = dumps(
        {
            "scopeName": scope["display_name"],
            "scopeIdentity": scope["name"],
            "scopeSid": scope["sid"],
        }
    )
    with store.tx():
        for policy_id, app_id, description in new_rows:
            store.execute(
                "INSERT INTO application_access_policies (tenant_id, id, app_id, access_right, "
                "scope_id, description, created, props, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    call.tenant_id,
                    policy_id,
                    app_id,
                    right,
                    scope["object_id"],
                    description,
                    iso_utc(call.now()),
                    props,
                    store.next_seq(),
                ),
            )
            record_policy(
                call.state,
                call.tenant_id,
                policy_id,
                ADD,
                PolicyRule(app_id, right, scope["object_id"]),
                at=call.timestamp(),
            )
    made = {policy_id for policy_id, _, _ in new_rows}
    return CmdletResult(
        [policy_record(call, r, recipients) for r in _policies(call) if r["id"] in made]
    )


def get_policy(call: CmdletCall) -> CmdletResult:
    """ "$null or a non-existent value for the Identity parameter returns *all* objects"
    (Get-ApplicationAccessPolicy, -Identity)."""
    rows = _policies(call)
    identity = call.params.text("Identity")
    if identity is not None:
        rows = [r for r in rows if _names(call, r, identity)] or rows
    recipients = Recipients(call.state, call.tenant_id)
    return CmdletResult([policy_record(call, r, recipients) for r in rows])


def set_policy(call: CmdletCall) -> CmdletResult:
    """Only the description can change; it cannot alter a verdict, so nothing is logged."""
    row = _find_policy(call)
    description = call.params.text("Description")
    if description is None:
        raise InvalidArgument("Description", "A value for Description is required.")
    if description == row["description"]:
        return CmdletResult(
            None,
            (
                "The command completed successfully but no settings of "
                f"'{_row_identity(call, row)}' have been modified.",
            ),
        )
    used = sum(policy_cost(r["description"]) for r in _policies(call) if r["id"] != row["id"])
    if used + policy_cost(description) > POLICY_SPACE:
        raise PolicySpaceExceeded(SPACE_EXCEEDED)
    call.state.store.execute(
        "UPDATE application_access_policies SET description = ? WHERE tenant_id = ? AND id = ?",
        (description, call.tenant_id, row["id"]),
    )
    return CmdletResult(None)


def remove_policy(call: CmdletCall) -> CmdletResult:
    row = _find_policy(call)
    store = call.state.store
    with store.tx():
        store.execute(
            "DELETE FROM application_access_policies WHERE tenant_id = ? AND id = ?",
            (call.tenant_id, row["id"]),
        )
        record_policy(
            call.state, call.tenant_id, row["id"], REMOVE, _rule(row), at=call.timestamp()
        )
    return CmdletResult(None)


def test_policy(call: CmdletCall) -> CmdletResult:
    """The verdict on the configuration as it is now (no propagation)."""
    recipients = Recipients(call.state, call.tenant_id)
    mailbox = recipients.find(call.params.required_text("Identity"))
    app_ids = _app_ids(call.params.values("AppId"), allow_all=False)
    if len(app_ids) != 1:
        raise InvalidArgument(
            "AppId",
            "Cannot convert 'System.Object[]' to the type 'System.String' required by "
            "parameter 'AppId'. Specified method is not supported.",
        )
    granted = access_granted(
        [_rule(r) for r in _policies(call)],
        app_ids[0],
        _current_scope_test(call, mailbox["object_id"]),
    )
    return CmdletResult(
        [
            {
                "AppId": app_ids[0],
                "Mailbox": mailbox["name"],
                "MailboxId": mailbox["object_id"],
                "MailboxSid": mailbox["sid"],
                "AccessCheckResult": "Granted" if granted else "Denied",
            }
        ]
    )


def policy_record(call: CmdletCall, row: Row, recipients: Recipients) -> Record:
    """A policy as ``Get-``/``New-ApplicationAccessPolicy`` show it (§1.7, in that order)."""
    scope = recipients.by_id(row["scope_id"])
    props = loads(row["props"])
    return {
        "ScopeName": scope["display_name"] if scope else props.get("scopeName", ""),
        "ScopeIdentity": scope["name"] if scope else props.get("scopeIdentity", ""),
        "Identity": _row_identity(call, row),
        "AppId": row["app_id"],
        "ScopeIdentityRaw": f"{props.get('scopeSid', '')};{row['scope_id']}",
        "Description": row["description"],
        "AccessRight": row["access_right"],
        "ShardType": "All",
        # A policy whose scope was deleted stays, and shows as not valid (UNCONFIRMED).
        "IsValid": scope is not None,
        "ObjectState": "Unchanged",
    }


# -- helpers -------------------------------------------------------------------------------


def _policies(call: CmdletCall) -> list[Row]:
    return call.state.store.all(
        "SELECT * FROM application_access_policies WHERE tenant_id = ? ORDER BY seq",
        (call.tenant_id,),
    )


def _rule(row: Row) -> PolicyRule:
    return PolicyRule(row["app_id"], row["access_right"], row["scope_id"])


def _identity(tenant_id: str, app_id: str, sid: str, scope_id: str) -> str:
    return f"{tenant_id}\\{app_id}:{sid};{scope_id}"


def _row_identity(call: CmdletCall, row: Row) -> str:
    sid = loads(row["props"]).get("scopeSid", "")
    return _identity(call.tenant_id, row["app_id"], sid, row["scope_id"])


def _names(call: CmdletCall, row: Row, identity: str) -> bool:
    ref = identity.strip().lower()
    return ref in (_row_identity(call, row).lower(), row["id"])


def _find_policy(call: CmdletCall) -> Row:
    identity = call.params.required_text("Identity")
    for row in _policies(call):
        if _names(call, row, identity):
            return row
    raise ObjectNotFound(identity)


def _access_right(value: str) -> str:
    found = _RIGHTS.get(value.strip().lower())
    if found is None:
        raise InvalidArgument(
            "AccessRight",
            f'Cannot convert value "{value}" to type "ApplicationAccessPolicyRight". Error: '
            f'"Unable to match the identifier name {value} to a valid enumerator name. Specify '
            'one of the following enumerator names and try again: RestrictAccess, DenyAccess"',
        )
    return found


def _app_ids(values: Sequence[str], *, allow_all: bool = True) -> list[str]:
    """App (client) GUIDs, lower-cased, or ``*`` for every app."""
    found: list[str] = []
    for value in values:
        if value == ALL_APPS and allow_all:
            found.append(ALL_APPS)
            continue
        try:
            parsed = uuid.UUID(value)
        except ValueError:
            parsed = None
        if parsed is None or len(value) != 36:
            raise InvalidCmdletArgument(  # text UNCONFIRMED
                f"'{value}' is not a valid AppId: give application (client) IDs as GUIDs"
                + (", or * for every application." if allow_all else ".")
            )
        found.append(str(parsed))
    if not found:
        raise InvalidArgument("AppId", "AppId needs at least one application ID.")
    return list(dict.fromkeys(found))


def _check_scope(scope: Row) -> None:
    """Only security principals can be a policy's scope (§1.5). The text is the emulator's:
    Exchange's own wording for this refusal is UNCONFIRMED."""
    kind = scope["recipient_type_details"]
    if kind not in SECURITY_PRINCIPALS:
        raise InvalidCmdletArgument(
            f"'{scope['primary_smtp']}' is a {kind}, which is not a security principal and "
            "can't be the PolicyScopeGroupId of an application access policy. Use a user "
            "mailbox, a mail user or a mail-enabled security group (to cover shared mailboxes, "
            "add them to a mail-enabled security group)."
        )


def _current_scope_test(call: CmdletCall, object_id: str) -> Callable[[str], bool]:
    members: dict[str, frozenset[str]] = {}

    def in_scope(scope_id: str) -> bool:
        if scope_id == object_id:
            return True
        if scope_id not in members:
            found = call.directory.transitive_members(call.tenant_id, scope_id)
            members[scope_id] = frozenset(member for member, _ in found)
        return object_id in members[scope_id]

    return in_scope
