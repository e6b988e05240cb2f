"""The values of a verification: rungs, evidence, each address's state, rounds, the report.

The ladder (docs/verify.md) has three rungs. *configured* is about the app (its policies
exist, and name ``--group`` when one was given); *tested* and *effective* are per address:
what ``Test-ApplicationAccessPolicy`` answers, and what a real send through Graph does.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "AddressCheck",
    "AddressState",
    "ConfiguredCheck",
    "Outcome",
    "PolicyRef",
    "Role",
    "RoundReport",
    "RungState",
    "SendEvidence",
    "SendKind",
    "TestEvidence",
    "VerifyReport",
]


class Role(StrEnum):
    """What the admin expects of an address: the app may send as it, or must not."""

    ALLOWED = "allowed"
    DENIED = "denied"


class RungState(StrEnum):
    """One rung for one address (or, for *configured*, for the app).

    ``held``: as expected. ``not_yet``: the send disagrees with the configuration in the way
    propagation explains (Graph enforces changes after a delay). ``misconfigured``: waiting
    will not help. ``cannot_tell``: throttled, unavailable or an unknown outcome this round.
    ``not_checked``: no admin identity (configured, tested) or no send made yet (effective).
    """

    HELD = "held"
    NOT_YET = "not_yet"
    MISCONFIGURED = "misconfigured"
    CANNOT_TELL = "cannot_tell"
    NOT_CHECKED = "not_checked"


class AddressState(StrEnum):
    """An address's state on the ladder, as the display and the report say it."""

    EFFECTIVE = "effective"
    NOT_EFFECTIVE_YET = "not_effective_yet"
    MISCONFIGURED = "misconfigured"
    CANNOT_TELL = "cannot_tell"

    @property
    def words(self) -> str:
        return self.value.replace("_", " ")


class Outcome(StrEnum):
    """How a verification ended; ``exit_code`` as architecture.md's table."""

    EFFECTIVE = "effective"
    NOT_EFFECTIVE = "not_effective"
    MISCONFIGURED = "misconfigured"
    CANNOT_TELL = "cannot_tell"

    @property
    def exit_code(self) -> int:
        return {"effective": 0, "not_effective": 3, "misconfigured": 3, "cannot_tell": 6}[
            self.value
        ]


class SendKind(StrEnum):
    """What a verification send came to."""

    ACCEPTED = "accepted"  # 202
    ACCESS_POLICY = "access_policy"  # refused with the access-policy error
    OTHER_REFUSAL = "other_refusal"  # refused for another reason (permission, mailbox …)
    UNKNOWN = "unknown"  # throttled, unavailable, or the answer never came


@dataclass(frozen=True, slots=True)
class PolicyRef:
    """An Application Access Policy as the report names it."""

    identity: str
    label: str  # e.g. RestrictAccess on "Mail Senders"
    access_right: str
    app_ids: tuple[str, ...]
    scope: str
    description: str = ""

    @property
    def names_every_app(self) -> bool:
        return "*" in self.app_ids

    @property
    def sentence(self) -> str:
        """``RestrictAccess on "All Staff"``, saying so when it names every app."""
        every = ' (AppId "*": it applies to every app)' if self.names_every_app else ""
        return f"{self.label}{every}"


@dataclass(frozen=True, slots=True)
class SendEvidence:
    """One verification send: accepted, or refused with Graph's status and code."""

    kind: SendKind
    round: int
    at: float  # seconds since the verification started
    status: int | None = None
    code: str = ""
    error: str = ""  # the sendscope exception's class name, e.g. AccessPolicyDenied
    message: str = ""
    request_id: str = ""


@dataclass(frozen=True, slots=True)
class TestEvidence:
    """``Test-ApplicationAccessPolicy`` for one address, with the evaluator's reason.

    ``verdict`` is Exchange's ``Granted``/``Denied``; None when Exchange has no such
    recipient (``reason`` quotes it) or ``unknown`` is set (throttled, unavailable).
    ``deciding`` is the policy that decided, per sendscope's evaluator; ``outside`` the
    app's RestrictAccess policies when the address is outside all of them.
    """

    __test__ = False  # not a pytest test class

    verdict: str | None
    reason: str
    evaluator: str | None = None
    deciding: PolicyRef | None = None
    outside: tuple[PolicyRef, ...] = ()
    unknown: str = ""


@dataclass(frozen=True, slots=True)
class ConfiguredCheck:
    """The *configured* rung: the policies that name the app, and whether they fit."""

    state: RungState
    policies: tuple[PolicyRef, ...] = ()
    detail: str = ""


@dataclass(frozen=True, slots=True)
class AddressCheck:
    """Where one address stands: both per-address rungs, the evidence, and a sentence."""

    address: str
    role: Role
    state: AddressState
    tested: RungState
    effective: RungState
    sentence: str
    test: TestEvidence | None = None
    send: SendEvidence | None = None
    sends: int = 0


@dataclass(frozen=True, slots=True)
class RoundReport:
    """Every address's state after one round; ``next_try`` None when this was the last."""

    round: int
    elapsed: float
    next_try: float | None
    configured: ConfiguredCheck
    addresses: tuple[AddressCheck, ...]
    sent: tuple[str, ...]  # the addresses sent as in this round


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The end of a verification: its outcome, what held and what did not."""

    run_id: str
    app_id: str
    outcome: Outcome
    rounds: int
    elapsed: float
    deadline_passed: bool
    admin_checked: bool
    to: str
    configured: ConfiguredCheck
    addresses: tuple[AddressCheck, ...]
    summary: str

    @property
    def exit_code(self) -> int:
        return self.outcome.exit_code
