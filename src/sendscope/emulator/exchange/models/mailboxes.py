"""``Get-Recipient``, ``Get-Mailbox`` and ``New-Mailbox -Shared``.

learn.microsoft.com/powershell/module/exchangepowershell/get-recipient, …/get-mailbox,
…/new-mailbox. A shared mailbox has an Entra user object too, with its account disabled
("Shared mailboxes … have a disabled user account", Exchange docs), so ``New-Mailbox
-Shared`` creates both, under one object id.
"""

from __future__ import annotations

from ..exceptions import InvalidArgument, InvalidLength, ObjectAlreadyExists, UnsupportedByEmulator
from .invocation import CmdletCall, CmdletResult
from .parameters import Parameters
from .recipients import MAILBOX_TYPES, RECIPIENT_TYPE, Recipients, alias_from
from .records import listing, paged_listing

__all__ = [
    "MAX_NAME",
    "bounded",
    "get_mailbox",
    "get_recipient",
    "new_shared_mailbox",
    "recipient_types",
]

MAX_NAME = 64  # -Name and -Alias: "The maximum length is 64 characters."


def recipient_types(params: Parameters) -> list[str]:
    """``-RecipientTypeDetails`` values, checked against the values the emulator knows."""
    values = params.values("RecipientTypeDetails", split_commas=True)
    by_lower = {name.lower(): name for name in RECIPIENT_TYPE}
    for value in values:
        if value.lower() not in by_lower:
            raise InvalidArgument(
                "RecipientTypeDetails",
                f'Cannot convert value "{value}" to type '
                '"Microsoft.Exchange.Data.Directory.Recipient.RecipientTypeDetails". Error: '
                f'"Unable to match the identifier name {value} to a valid enumerator name. '
                f"Specify one of the following enumerator names and try again: "
                f'{", ".join(RECIPIENT_TYPE)}"',
            )
    return [by_lower[v.lower()] for v in values]


def get_recipient(call: CmdletCall) -> CmdletResult:
    recipients = Recipients(call.state, call.tenant_id)
    types = recipient_types(call.params)
    identity = call.params.text("Identity")
    if identity is not None:
        return CmdletResult([recipients.record(recipients.find(identity, types))])
    limit = call.params.result_size()
    if limit is None:
        wanted = types or list(RECIPIENT_TYPE)
        return paged_listing(
            lambda after, n: recipients.of_types_after(wanted, after, n), recipients.records
        )
    return listing(recipients.of_types(types, limit), limit, recipients.record)


def get_mailbox(call: CmdletCall) -> CmdletResult:
    recipients = Recipients(call.state, call.tenant_id)
    types = (
        [t for t in recipient_types(call.params) if t in MAILBOX_TYPES]
        if call.params.has("RecipientTypeDetails")
        else sorted(MAILBOX_TYPES)
    )
    identity = call.params.text("Identity")
    if identity is not None:
        return CmdletResult([recipients.mailbox_record(recipients.find(identity, MAILBOX_TYPES))])
    if not types:
        return CmdletResult([])
    limit = call.params.result_size()
    if limit is None:
        return paged_listing(
            lambda after, n: recipients.of_types_after(types, after, n), recipients.mailbox_records
        )
    return listing(recipients.of_types(types, limit), limit, recipients.mailbox_record)


def new_shared_mailbox(call: CmdletCall) -> CmdletResult:
    """``New-Mailbox -Shared -Name … [-DisplayName] [-Alias] [-PrimarySmtpAddress]``."""
    params = call.params
    if not params.switch("Shared"):
        raise UnsupportedByEmulator(
            "The sendscope emulator creates shared mailboxes only (New-Mailbox -Shared); create "
            "users with mailboxes through Graph (POST /v1.0/users)."
        )
    recipients = Recipients(call.state, call.tenant_id)
    name = bounded(params.required_text("Name"), "Name")
    alias = bounded(params.text("Alias") or alias_from(name), "Alias")
    if recipients.name_taken(name):
        raise ObjectAlreadyExists(recipients.distinguished_name_of(name))
    address = recipients.new_address(params.text("PrimarySmtpAddress"), alias)
    display = params.text("DisplayName") or name
    with call.state.store.tx():
        object_id = call.directory.create_user(
            call.tenant_id,
            upn=address,
            display_name=display,
            mail_nickname=alias,
            account_enabled=False,
            mailbox="SharedMailbox",
            now=call.now(),
        )
        call.state.store.execute(
            "UPDATE recipients SET name = ? WHERE tenant_id = ? AND object_id = ?",
            (name, call.tenant_id, object_id),
        )
    row = recipients.by_id(object_id)
    assert row is not None
    return CmdletResult([recipients.mailbox_record(row)])


def bounded(value: str, parameter: str) -> str:
    if len(value) > MAX_NAME:
        raise InvalidLength(parameter, MAX_NAME)
    return value
