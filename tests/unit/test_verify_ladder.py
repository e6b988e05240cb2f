"""The ladder's rules: every rung state, every address state, the outcome's priorities."""

from __future__ import annotations

import pytest

from sendscope.verification import ladder
from sendscope.verification.ladder import address_state, effective_state, outcome
from sendscope.verify import (
    AddressState,
    ConfiguredCheck,
    Outcome,
    Role,
    RungState,
    SendEvidence,
    SendKind,
    TestEvidence,
)

A, D = Role.ALLOWED, Role.DENIED
HELD, NOT_YET, WRONG = RungState.HELD, RungState.NOT_YET, RungState.MISCONFIGURED
UNKNOWN, UNCHECKED = RungState.CANNOT_TELL, RungState.NOT_CHECKED


def sent(kind: SendKind) -> SendEvidence:
    return SendEvidence(kind, 1, 0.0)


@pytest.mark.parametrize(
    ("role", "test", "state"),
    [
        (A, None, UNCHECKED),
        (A, TestEvidence("Granted", ""), HELD),
        (A, TestEvidence("Denied", ""), WRONG),
        (D, TestEvidence("Denied", ""), HELD),
        (D, TestEvidence("Granted", ""), WRONG),
        (D, TestEvidence(None, "not found"), WRONG),
        (D, TestEvidence(None, "429", unknown="throttled"), UNKNOWN),
    ],
)
def test_tested_state(role: Role, test: TestEvidence | None, state: RungState) -> None:
    assert ladder.tested_state(role, test) is state


@pytest.mark.parametrize(
    ("role", "kind", "tested", "state"),
    [
        (A, None, HELD, UNCHECKED),
        (A, SendKind.ACCEPTED, HELD, HELD),
        (D, SendKind.ACCESS_POLICY, HELD, HELD),
        (D, SendKind.ACCESS_POLICY, UNCHECKED, HELD),
        # the send went the other way: propagation, unless the test already says it is wrong
        (D, SendKind.ACCEPTED, HELD, NOT_YET),
        (D, SendKind.ACCEPTED, UNCHECKED, NOT_YET),
        (D, SendKind.ACCEPTED, WRONG, WRONG),
        (A, SendKind.ACCESS_POLICY, HELD, NOT_YET),
        (A, SendKind.ACCESS_POLICY, WRONG, WRONG),
        # a refusal that is not the access policy's: no waiting fixes it
        (A, SendKind.OTHER_REFUSAL, HELD, WRONG),
        (D, SendKind.OTHER_REFUSAL, HELD, WRONG),
        (D, SendKind.UNKNOWN, HELD, UNKNOWN),
    ],
)
def test_effective_state(
    role: Role, kind: SendKind | None, tested: RungState, state: RungState
) -> None:
    evidence = None if kind is None else sent(kind)
    assert effective_state(role, evidence, tested) is state


@pytest.mark.parametrize(
    ("tested", "effective", "state"),
    [
        (HELD, HELD, AddressState.EFFECTIVE),
        (UNCHECKED, HELD, AddressState.EFFECTIVE),
        (UNKNOWN, HELD, AddressState.CANNOT_TELL),
        (HELD, NOT_YET, AddressState.NOT_EFFECTIVE_YET),
        (HELD, UNCHECKED, AddressState.NOT_EFFECTIVE_YET),
        (WRONG, HELD, AddressState.MISCONFIGURED),
        (HELD, WRONG, AddressState.MISCONFIGURED),
        (UNKNOWN, WRONG, AddressState.MISCONFIGURED),
        (HELD, UNKNOWN, AddressState.CANNOT_TELL),
    ],
)
def test_address_state(tested: RungState, effective: RungState, state: AddressState) -> None:
    assert address_state(tested, effective) is state


OK = ConfiguredCheck(RungState.HELD)
E, Y, M, C = (
    AddressState.EFFECTIVE,
    AddressState.NOT_EFFECTIVE_YET,
    AddressState.MISCONFIGURED,
    AddressState.CANNOT_TELL,
)


def test_outcome_effective_needs_every_address() -> None:
    assert outcome(OK, [E, E], deadline_passed=False) is Outcome.EFFECTIVE
    assert outcome(ConfiguredCheck(UNCHECKED), [E], deadline_passed=False) is Outcome.EFFECTIVE
    assert outcome(OK, [E, Y], deadline_passed=False) is None  # keep polling


def test_outcome_misconfigured_wins_at_once() -> None:
    assert outcome(OK, [E, M, C], deadline_passed=False) is Outcome.MISCONFIGURED
    assert outcome(ConfiguredCheck(WRONG), [E, E], deadline_passed=False) is Outcome.MISCONFIGURED


def test_outcome_at_the_deadline() -> None:
    assert outcome(OK, [E, Y], deadline_passed=True) is Outcome.NOT_EFFECTIVE
    assert outcome(OK, [Y, C], deadline_passed=True) is Outcome.CANNOT_TELL
    assert outcome(ConfiguredCheck(UNKNOWN), [E], deadline_passed=True) is Outcome.CANNOT_TELL
    assert outcome(ConfiguredCheck(UNKNOWN), [E], deadline_passed=False) is None


def test_exit_codes() -> None:
    codes = {o: o.exit_code for o in Outcome}
    assert codes == {
        Outcome.EFFECTIVE: 0,
        Outcome.NOT_EFFECTIVE: 3,
        Outcome.MISCONFIGURED: 3,
        Outcome.CANNOT_TELL: 6,
    }
