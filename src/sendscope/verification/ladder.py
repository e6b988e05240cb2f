"""The ladder's rules, as pure functions: from evidence to rung states, an address's state
and the run's outcome (docs/verify.md, "What each state means").

The rules that matter:

- ``Test-ApplicationAccessPolicy`` sees a change at once, Graph only after propagation. So a
  send that disagrees with a test that holds is *not effective yet*; a test that does not
  hold is *misconfigured*, and waiting cannot fix it.
- A denied address that sends while its test says Granted is misconfigured at once.
- Without an admin identity there is no test: an accepted send as a denied address (or a
  refused one as an allowed address) is *not effective yet* until the deadline, because
  propagation and a misconfiguration look the same from the sending side.
- A refusal that is not the access-policy error (a missing permission, no such mailbox)
  is misconfigured: no policy change will turn it into the expected answer.
"""

from __future__ import annotations

from collections.abc import Sequence

from .model import (
    AddressState,
    ConfiguredCheck,
    Outcome,
    Role,
    RungState,
    SendEvidence,
    SendKind,
    TestEvidence,
)

__all__ = ["address_state", "effective_state", "outcome", "tested_state"]

_EXPECTED = {Role.ALLOWED: "Granted", Role.DENIED: "Denied"}


def tested_state(role: Role, test: TestEvidence | None) -> RungState:
    """The *tested* rung: Granted for an allowed address, Denied for a denied one."""
    if test is None:
        return RungState.NOT_CHECKED
    if test.unknown:
        return RungState.CANNOT_TELL
    return RungState.HELD if test.verdict == _EXPECTED[role] else RungState.MISCONFIGURED


def effective_state(role: Role, send: SendEvidence | None, tested: RungState) -> RungState:
    """The *effective* rung, read against the *tested* rung (propagation or not)."""
    if send is None:
        return RungState.NOT_CHECKED
    if send.kind is SendKind.UNKNOWN:
        return RungState.CANNOT_TELL
    if send.kind is SendKind.OTHER_REFUSAL:
        return RungState.MISCONFIGURED
    expected = SendKind.ACCEPTED if role is Role.ALLOWED else SendKind.ACCESS_POLICY
    if send.kind is expected:
        return RungState.HELD
    # The send went the other way. With a test that holds (or none), propagation explains it.
    if tested in (RungState.HELD, RungState.NOT_CHECKED, RungState.CANNOT_TELL):
        return RungState.NOT_YET
    return RungState.MISCONFIGURED


def address_state(tested: RungState, effective: RungState) -> AddressState:
    """Both rungs as one state: misconfigured beats cannot-tell beats not-yet."""
    rungs = (tested, effective)
    if RungState.MISCONFIGURED in rungs:
        return AddressState.MISCONFIGURED
    if effective is RungState.HELD and tested in (RungState.HELD, RungState.NOT_CHECKED):
        return AddressState.EFFECTIVE
    if RungState.CANNOT_TELL in rungs:
        return AddressState.CANNOT_TELL
    return AddressState.NOT_EFFECTIVE_YET


def outcome(
    configured: ConfiguredCheck, states: Sequence[AddressState], *, deadline_passed: bool
) -> Outcome | None:
    """The run's outcome, or None to try again after the interval."""
    if configured.state is RungState.MISCONFIGURED or AddressState.MISCONFIGURED in states:
        return Outcome.MISCONFIGURED
    configured_ok = configured.state in (RungState.HELD, RungState.NOT_CHECKED)
    if configured_ok and all(s is AddressState.EFFECTIVE for s in states):
        return Outcome.EFFECTIVE
    if not deadline_passed:
        return None
    if configured.state is RungState.CANNOT_TELL or AddressState.CANNOT_TELL in states:
        return Outcome.CANNOT_TELL
    return Outcome.NOT_EFFECTIVE
