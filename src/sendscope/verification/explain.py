"""Each address's state as a sentence that says what was seen and what it means."""

from __future__ import annotations

from .model import AddressState, Role, RungState, SendEvidence, SendKind, TestEvidence

__all__ = ["address_sentence", "send_words"]

PROPAGATION = (
    "Graph enforces access-policy changes only after they propagate (about an hour for a new "
    "policy or member, sometimes longer), while the test sees them at once"
)


def send_words(send: SendEvidence | None) -> str:
    """``accepted (202, request-id …)`` / ``refused by the access policy (403 …)`` / ``not
    sent yet``."""
    if send is None:
        return "not sent yet"
    ref = f", request-id {send.request_id}" if send.request_id else ""
    if send.kind is SendKind.ACCEPTED:
        return f"accepted (202{ref})"
    status = f"{send.status} {send.code}".strip() if send.status else send.error
    if send.kind is SendKind.ACCESS_POLICY:
        return f"refused by the access policy ({status}{ref})"
    if send.kind is SendKind.UNKNOWN:
        return f"no clear answer ({status or 'unknown'}{ref})"
    return f"refused, not by an access policy ({status}{ref})"


def address_sentence(
    role: Role,
    state: AddressState,
    tested: RungState,
    test: TestEvidence | None,
    send: SendEvidence | None,
    *,
    address: str = "ADDRESS",
    app_id: str = "APPID",
) -> str:
    """What the display and the report say about one address, and what to do about it."""
    if state is AddressState.MISCONFIGURED:
        return _misconfigured(role, tested, test, send, address, app_id)
    if state is AddressState.CANNOT_TELL:
        why = (test.unknown if test and test.unknown else "") or (send.message if send else "")
        return f"Could not tell this round: {why}"
    if state is AddressState.EFFECTIVE:
        return _effective(test, send)
    return _not_yet(role, tested, send)


def _effective(test: TestEvidence | None, send: SendEvidence | None) -> str:
    checked = f"; Exchange's test says {test.verdict}" if test and test.verdict else ""
    return f"Effective: a send as it was {send_words(send)}{checked}."


def _not_yet(role: Role, tested: RungState, send: SendEvidence | None) -> str:
    if send is None:
        return "Not sent as yet."
    seen = f"a send as it was {send_words(send)}"
    if tested is RungState.HELD:
        verdict = "Granted" if role is Role.ALLOWED else "Denied"
        return (
            f"Not effective yet: Exchange's test already says {verdict}, but {seen}. {PROPAGATION}."
        )
    return (
        f"Not effective yet: {seen}. Without an admin identity sendscope cannot tell "
        "propagation from a policy that does not cover it; if it lasts past the deadline, "
        f"check with: sendscope test-policy. {PROPAGATION}."
    )


def _misconfigured(
    role: Role,
    tested: RungState,
    test: TestEvidence | None,
    send: SendEvidence | None,
    address: str,
    app_id: str,
) -> str:
    if test is not None and tested is RungState.MISCONFIGURED:
        return _test_says(role, test) + _sent(send) + _add_to_scope(role, test, address, app_id)
    if send is not None and send.kind is SendKind.OTHER_REFUSAL:
        return (
            f"Misconfigured: a send as it was refused, and not by an access policy — waiting "
            f"will not change that. {send.message}"
        )
    return f"Misconfigured:{_sent(send)}"


def _sent(send: SendEvidence | None) -> str:
    """The send of this round; a refusal that is not the policy's is quoted whole."""
    if send is None:
        return ""
    if send.kind is SendKind.OTHER_REFUSAL:
        return f" A send as it was refused, and not by an access policy: {send.message}"
    return f" A send as it was {send_words(send)}."


def _test_says(role: Role, test: TestEvidence) -> str:
    if test.verdict is None:
        return (
            f"Misconfigured: Exchange has no such mailbox ({test.reason}). Check the address: "
            "verify sends as user and shared mailboxes of this tenant."
        )
    deciding = test.deciding
    if role is Role.DENIED:
        if deciding is None:
            return f"Misconfigured: Exchange's test says Granted. {test.reason}"
        return (
            f"Misconfigured: {deciding.sentence} lets the app through — Exchange's test says "
            f"Granted. {test.reason} Take the mailbox out of that policy's scope, or remove "
            f"the policy (Identity {deciding.identity})."
        )
    if deciding is not None and deciding.access_right == "DenyAccess":
        return (
            f"Misconfigured: {deciding.sentence} keeps the app away — Exchange's test says "
            f"Denied. {test.reason} Take the mailbox out of that policy's scope, or remove the "
            f"policy (Identity {deciding.identity})."
        )
    because = f" because of {deciding.sentence}" if deciding is not None else ""
    return f"Misconfigured: not in scope — Exchange's test says Denied{because}. {test.reason}"


def _add_to_scope(role: Role, test: TestEvidence, address: str, app_id: str) -> str:
    """For an allowed address outside the app's RestrictAccess scopes: the command that
    puts it in (the first scope's group)."""
    scopes = [p.scope for p in test.outside if p.access_right == "RestrictAccess" and p.scope]
    if role is not Role.ALLOWED or not scopes:
        return ""
    return (
        f" Put it in the scope: sendscope restrict --app {app_id} --group {scopes[0]} "
        f"--member {address}"
    )
