"""The rounds of a verification: check, send what is not yet proven, classify, wait.

Rounds start at 0, ``interval``, ``2 × interval`` … after the start, as long as that is
within ``timeout``; a round that overruns pushes the next one back, so no address is ever
sent as twice within one interval. Time comes from an injected clock (``now``, ``sleep``):
the CLI passes the real one, the demo one that moves the emulator's clock, tests a fake.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from ..mail import SystemClock
from ..testpolicy import PolicyReader
from .explain import address_sentence
from .ladder import address_state, effective_state, outcome, tested_state
from .model import (
    AddressCheck,
    AddressState,
    ConfiguredCheck,
    Outcome,
    Role,
    RoundReport,
    RungState,
    SendEvidence,
    TestEvidence,
    VerifyReport,
)
from .plan import VerifyPlan, format_duration
from .probes import Sender, check_admin, send_probe

__all__ = ["AdminClients", "Observer", "VerifyClock", "run_rounds"]

Observer = Callable[[RoundReport], None]
NOT_CHECKED = ConfiguredCheck(
    RungState.NOT_CHECKED,
    (),
    "no admin identity was used (--no-admin, or none found: sendscope login, or an admin app)",
)


class VerifyClock(Protocol):
    """Seconds (monotonic) and a way to wait; ``mail.SystemClock`` is the real one."""

    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class AdminClients(Protocol):
    """What verify needs of an admin session (``admin.AdminSession``): its Exchange client."""

    @property
    def exchange(self) -> PolicyReader: ...


@dataclass
class _Ledger:
    """The latest evidence per address, and when each was last sent as."""

    tests: dict[str, TestEvidence] = field(default_factory=dict)
    sends: dict[str, SendEvidence] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    last_sent: dict[str, float] = field(default_factory=dict)
    configured: ConfiguredCheck = NOT_CHECKED

    def record(self, address: str, evidence: SendEvidence, at: float) -> None:
        self.sends[address] = evidence
        self.counts[address] = self.counts.get(address, 0) + 1
        self.last_sent[address] = at


def run_rounds(
    plan: VerifyPlan,
    app: Sender,
    app_id: str,
    admin: AdminClients | None,
    *,
    clock: VerifyClock | None = None,
    observer: Observer | None = None,
) -> VerifyReport:
    """Poll until every rung holds, something is misconfigured, or the deadline passes."""
    return _Verification(plan, app, app_id, admin, clock or SystemClock(), observer).run()


@dataclass
class _Verification:
    """One run: its inputs, its clock and what it has seen so far."""

    plan: VerifyPlan
    app: Sender
    app_id: str
    admin: AdminClients | None
    clock: VerifyClock
    observer: Observer | None
    ledger: _Ledger = field(default_factory=lambda: _Ledger())
    start: float = 0.0

    def run(self) -> VerifyReport:
        self.start = self.clock.now()
        round_no = 0
        while True:
            round_no += 1
            began = self.elapsed()
            sent = self.round(round_no)
            checks = _checks(self.plan, self.ledger, self.app_id)
            next_try = self.next_try(began)
            passed = self.plan.timeout <= 0 or round_no * self.plan.interval > self.plan.timeout
            states = [c.state for c in checks]
            result = outcome(self.ledger.configured, states, deadline_passed=passed)
            self.observe(round_no, None if result else next_try, checks, sent)
            if result is not None:
                return self.report(checks, result, round_no, passed)
            self.clock.sleep(max(0.0, next_try - self.elapsed()))

    def elapsed(self) -> float:
        return self.clock.now() - self.start

    def round(self, round_no: int) -> tuple[str, ...]:
        """Check (as the admin), then send as every address not yet proven, one by one."""
        if self.admin is not None:
            self.ledger.configured, self.ledger.tests = check_admin(
                self.admin.exchange, self.plan, self.app_id
            )
        sent: list[str] = []
        for address, role in self.plan.addresses:
            if _proven(self.ledger, address, role):
                continue  # a send is evidence only when made: a proof is kept
            evidence = send_probe(
                self.app, self.plan, address, self.app_id, round_no, self.elapsed()
            )
            self.ledger.record(address, evidence, self.elapsed())
            sent.append(address)
        return tuple(sent)

    def next_try(self, began: float) -> float:
        """One interval after this round began and after its last send (so no address is
        sent as twice within an interval, even when a round overruns). Whether there is a
        next round at all goes by the schedule (round n at (n - 1) × interval, while within
        the timeout), not by this time, which a round's own sends push a little later."""
        if self.plan.timeout <= 0:
            return float("inf")
        return max(began, *self.ledger.last_sent.values()) + self.plan.interval

    def observe(
        self,
        round_no: int,
        next_try: float | None,
        checks: tuple[AddressCheck, ...],
        sent: tuple[str, ...],
    ) -> None:
        if self.observer is not None:
            configured = self.ledger.configured
            elapsed = self.elapsed()
            self.observer(RoundReport(round_no, elapsed, next_try, configured, checks, sent))

    def report(
        self, checks: tuple[AddressCheck, ...], result: Outcome, rounds: int, passed: bool
    ) -> VerifyReport:
        admin, elapsed = self.admin is not None, self.elapsed()
        return VerifyReport(
            self.plan.run_id,
            self.app_id,
            result,
            rounds,
            elapsed,
            passed and result in (Outcome.NOT_EFFECTIVE, Outcome.CANNOT_TELL),
            admin,
            self.plan.to,
            self.ledger.configured,
            checks,
            _summary(self.plan, result, checks, rounds, elapsed, admin)
            + _configured_note(self.ledger.configured),
        )


def _proven(ledger: _Ledger, address: str, role: Role) -> bool:
    tested = tested_state(role, ledger.tests.get(address))
    return effective_state(role, ledger.sends.get(address), tested) is RungState.HELD


def _checks(plan: VerifyPlan, ledger: _Ledger, app_id: str) -> tuple[AddressCheck, ...]:
    return tuple(_check(address, role, ledger, app_id) for address, role in plan.addresses)


def _check(address: str, role: Role, ledger: _Ledger, app_id: str) -> AddressCheck:
    test, send = ledger.tests.get(address), ledger.sends.get(address)
    tested = tested_state(role, test)
    effective = effective_state(role, send, tested)
    state = address_state(tested, effective)
    sentence = address_sentence(role, state, tested, test, send, address=address, app_id=app_id)
    return AddressCheck(
        address, role, state, tested, effective, sentence, test, send, ledger.counts.get(address, 0)
    )


def _configured_note(configured: ConfiguredCheck) -> str:
    """The configured rung's finding, when that rung is what failed."""
    if configured.state is RungState.MISCONFIGURED:
        return f" Configured: {configured.detail}"
    return ""


def _summary(
    plan: VerifyPlan,
    result: Outcome,
    checks: tuple[AddressCheck, ...],
    rounds: int,
    elapsed: float,
    admin: bool,
) -> str:
    held = sum(c.state is AddressState.EFFECTIVE for c in checks)
    took = f"{rounds} round{'s' if rounds != 1 else ''} in {format_duration(elapsed)}"
    tally = f"{held} of {len(checks)} addresses effective ({took})"
    unchecked = (
        "" if admin else " Configured and tested were not checked: no admin identity was used."
    )
    if result is Outcome.EFFECTIVE:
        return f"Effective: the restriction holds in Graph — {tally}.{unchecked}"
    if result is Outcome.MISCONFIGURED:
        bad = ", ".join(c.address for c in checks if c.state is AddressState.MISCONFIGURED)
        which = f" ({bad})" if bad else ""
        return f"Misconfigured{which}: waiting will not fix it — {tally}.{unchecked}"
    deadline = (
        "a single check (--timeout 0)"
        if plan.timeout <= 0
        else f"the deadline ({format_duration(plan.timeout)})"
    )
    if result is Outcome.CANNOT_TELL:
        return (
            f"Cannot tell by {deadline}: Microsoft 365 did not answer clearly — {tally}.{unchecked}"
        )
    return (
        f"Not effective yet by {deadline} — {tally}. Propagation can take longer; run "
        f"verify again later.{unchecked}"
    )
