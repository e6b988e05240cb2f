"""verify's rounds on fakes: a fake clock (nothing sleeps), a fake app whose sends follow a
propagation time, and a fake Exchange whose test cmdlet answers what the test says.

Covered: effective at once; propagation (not effective yet → effective, the proven address
not sent again); the deadline; misconfigured naming the deciding policy (a second, wider
RestrictAccess policy; a ``*`` policy; an allowed address out of scope; no policy; the wrong
group); cannot tell; no admin identity; authentication failure; the observer; one send per
address per interval; the verification mail itself.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from sendscope.errors import (
    AccessPolicyDenied,
    ApiFailure,
    AuthenticationFailed,
    PermissionMissing,
    ServiceUnavailable,
    Throttled,
    UsageError,
)
from sendscope.mail import OutgoingMessage, SendReceipt
from sendscope.verify import (
    AddressState,
    Outcome,
    RoundReport,
    RungState,
    SendKind,
    VerifyPlan,
    VerifyReport,
    plan_verification,
    run_verification,
    sending_app_id,
)

APP = "11111111-2222-3333-4444-555555555555"
D = "contoso.com"
NOREPLY, CEO, CFO = f"noreply@{D}", f"ceo@{D}", f"cfo@{D}"
HOUR = 3600.0


class FakeClock:
    """Time that moves only when verify sleeps (or a send takes ``send_cost``)."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


def failure(status: int, code: str, message: str) -> ApiFailure:
    return ApiFailure(status, code, message, request_id="req-1")


def policy_refusal() -> AccessPolicyDenied:
    text = (
        "Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly "
        "AccessPolicy settings."
    )
    return AccessPolicyDenied(
        "refused by the policy", failure=failure(403, "ErrorAccessDenied", text)
    )


@dataclass
class FakeApp:
    """Sends as ``blocked`` addresses are refused once the clock passes ``effective_at``;
    ``errors`` maps an address to an exception raised instead (always)."""

    clock: FakeClock
    blocked: set[str]
    effective_at: float = 0.0
    errors: dict[str, Callable[[], Exception]] = field(default_factory=dict)
    send_cost: float = 0.0
    sent: list[tuple[float, OutgoingMessage]] = field(default_factory=list)

    def send(self, message: OutgoingMessage) -> SendReceipt:
        self.sent.append((self.clock.t, message))
        self.clock.t += self.send_cost
        make = self.errors.get(message.sender)
        if make is not None:
            raise make()
        if message.sender in self.blocked and self.clock.t >= self.effective_at:
            raise policy_refusal()
        return SendReceipt(message.sender, 1, f"req-{len(self.sent)}", "sendMail", 100)

    def senders(self) -> list[str]:
        return [m.sender for _, m in self.sent]


def _recipient(local: str, kind: str = "UserMailbox") -> dict[str, Any]:
    return {
        "ExternalDirectoryObjectId": f"oid-{local}",
        "PrimarySmtpAddress": f"{local}@{D}",
        "RecipientTypeDetails": kind,
        "Name": local,
        "DisplayName": local.title(),
    }


def _policy(scope: str, app: str = APP, right: str = "RestrictAccess") -> dict[str, Any]:
    return {
        "Identity": f"t\\{app}:S-1;oid-{scope}",
        "AppId": app,
        "AccessRight": right,
        "ScopeName": scope.title(),
        "ScopeIdentity": scope,
        "ScopeIdentityRaw": f"S-1;oid-{scope}",
    }


class FakeExchange:
    """Groups "senders" (noreply) and "allstaff" (ceo, cfo, noreply); ``policies`` are
    Get-ApplicationAccessPolicy rows; the test cmdlet answers ``verdicts`` (else Denied)."""

    def __init__(self, policies: list[dict[str, Any]], verdicts: dict[str, str]) -> None:
        self.policies = policies
        self.verdicts = verdicts
        self.rows = {f"{u}@{D}": _recipient(u) for u in ("noreply", "ceo", "cfo")} | {
            f"oid-{g}": _recipient(g, "MailUniversalSecurityGroup") for g in ("senders", "allstaff")
        }
        self.members = {
            "oid-senders": [_recipient("noreply")],
            "oid-allstaff": [_recipient(u) for u in ("ceo", "cfo", "noreply")],
        }
        self.tests: list[str] = []
        self.fail_tests: Callable[[], Exception] | None = None

    def get_application_access_policies(self) -> list[dict[str, Any]]:
        return self.policies

    def get_recipient(self, identity: str) -> dict[str, Any] | None:
        return self.rows.get(identity) or self.rows.get(f"{identity.split('@')[0]}@{D}")

    def get_mailboxes(self) -> list[dict[str, Any]]:
        return [r for r in self.rows.values() if r["RecipientTypeDetails"] == "UserMailbox"]

    def get_distribution_group_members(self, identity: str) -> list[dict[str, Any]]:
        return self.members.get(identity, [])

    def test_application_access_policy(self, *, identity: str, app_id: str) -> dict[str, Any]:
        self.tests.append(identity)
        if self.fail_tests is not None:
            raise self.fail_tests()
        local = identity.split("@")[0]
        return {
            "AppId": app_id,
            "Mailbox": local,
            "MailboxId": f"oid-{local}",
            "AccessCheckResult": self.verdicts.get(identity, "Denied"),
        }


@dataclass
class FakeAdmin:
    exchange: FakeExchange


def restricted(*extra: dict[str, Any]) -> FakeAdmin:
    """The app restricted to "senders": noreply Granted, everyone else Denied."""
    return FakeAdmin(FakeExchange([_policy("senders"), *extra], {NOREPLY: "Granted"}))


def make_plan(**kwargs: Any) -> VerifyPlan:
    base: dict[str, Any] = {
        "allowed": [NOREPLY],
        "denied": [CEO],
        "app_id": APP,
        "timeout": "3h",
        "interval": "5m",
        "run_id": "run12345",
    }
    return plan_verification(**{**base, **kwargs})


def verify(
    app: FakeApp,
    admin: FakeAdmin | None,
    rounds: list[RoundReport] | None = None,
    **plan: Any,
) -> VerifyReport:
    observer = rounds.append if rounds is not None else None
    return run_verification(make_plan(**plan), app, admin, clock=app.clock, observer=observer)


def by_address(report: VerifyReport) -> dict[str, Any]:
    return {c.address: c for c in report.addresses}


# -- effective, propagation, the deadline -------------------------------------------------


def test_effective_in_the_first_round() -> None:
    clock = FakeClock()
    app = FakeApp(clock, blocked={CEO})
    report = verify(app, restricted())
    assert report.outcome is Outcome.EFFECTIVE and report.exit_code == 0
    assert report.rounds == 1 and clock.sleeps == []
    assert [c.state for c in report.addresses] == [AddressState.EFFECTIVE] * 2
    assert report.configured.state is RungState.HELD
    ceo = by_address(report)[CEO]
    assert ceo.send.kind is SendKind.ACCESS_POLICY and ceo.send.status == 403
    assert ceo.send.code == "ErrorAccessDenied"
    assert report.summary.startswith("Effective: the restriction holds in Graph — 2 of 2")


def test_not_effective_yet_until_propagation_then_effective() -> None:
    clock = FakeClock()
    app = FakeApp(clock, blocked={CEO}, effective_at=clock.t + HOUR)
    rounds: list[RoundReport] = []
    report = verify(app, restricted(), rounds)
    assert report.outcome is Outcome.EFFECTIVE
    first = by_address_round(rounds[0])
    assert first[CEO].state is AddressState.NOT_EFFECTIVE_YET
    assert first[CEO].effective is RungState.NOT_YET and first[CEO].tested is RungState.HELD
    assert "Exchange's test already says Denied, but a send as it was accepted" in (
        first[CEO].sentence
    )
    assert report.rounds == 13  # 0, 5m … 60m
    assert clock.sleeps == [300.0] * 12
    # noreply proved itself in round 1 and is not sent as again; ceo once per round
    assert app.senders().count(NOREPLY) == 1
    assert app.senders().count(CEO) == 13
    assert by_address(report)[CEO].sends == 13


def by_address_round(report: RoundReport) -> dict[str, Any]:
    return {c.address: c for c in report.addresses}


def test_deadline_passes_not_effective() -> None:
    clock = FakeClock()
    app = FakeApp(clock, blocked={CEO}, effective_at=clock.t + 10 * HOUR)
    report = verify(app, restricted(), timeout="20m", interval="5m")
    assert report.outcome is Outcome.NOT_EFFECTIVE and report.exit_code == 3
    assert report.deadline_passed
    assert report.rounds == 5  # at 0, 5, 10, 15 and 20 minutes
    assert sum(clock.sleeps) == pytest.approx(20 * 60)
    assert report.summary.startswith(
        "Not effective yet by the deadline (20m) — 1 of 2 addresses effective (5 rounds in 20m)"
    )


def test_the_round_at_the_deadline_happens_though_sends_take_time() -> None:
    clock = FakeClock()
    app = FakeApp(clock, blocked={CEO}, effective_at=clock.t + 10 * HOUR, send_cost=0.3)
    report = verify(app, restricted(), timeout="20m", interval="5m")
    assert report.rounds == 5  # the fifth at 20m and a little: each round's sends take time
    assert report.deadline_passed


def test_timeout_equal_to_interval_is_two_tries() -> None:
    clock = FakeClock()
    app = FakeApp(clock, blocked={CEO}, effective_at=clock.t + 10 * HOUR, send_cost=0.3)
    report = verify(app, restricted(), timeout="5m", interval="5m")
    assert report.rounds == 2 and report.deadline_passed
    assert report.elapsed >= 300


def test_timeout_zero_is_one_round() -> None:
    clock = FakeClock()
    app = FakeApp(clock, blocked={CEO}, effective_at=clock.t + HOUR)
    report = verify(app, restricted(), timeout="0")
    assert report.outcome is Outcome.NOT_EFFECTIVE and report.rounds == 1
    assert clock.sleeps == []
    assert "by a single check (--timeout 0)" in report.summary


def test_allowed_refused_while_tested_granted_is_propagation() -> None:
    """A member just added to the scope: the test says Granted, Graph still refuses."""
    clock = FakeClock()
    app = FakeApp(clock, blocked={CEO, NOREPLY})
    report = verify(app, restricted(), timeout="10m")
    noreply = by_address(report)[NOREPLY]
    assert noreply.state is AddressState.NOT_EFFECTIVE_YET
    assert report.outcome is Outcome.NOT_EFFECTIVE


# -- misconfigured ------------------------------------------------------------------------


def test_second_wider_restrict_policy_is_misconfigured_and_named() -> None:
    clock = FakeClock()
    admin = restricted(_policy("allstaff"))
    admin.exchange.verdicts[CEO] = "Granted"  # Exchange agrees: the wider policy grants it
    app = FakeApp(clock, blocked=set())  # and ceo still sends
    report = verify(app, admin)
    assert report.outcome is Outcome.MISCONFIGURED and report.exit_code == 3
    assert report.rounds == 1 and clock.sleeps == []  # no point waiting
    ceo = by_address(report)[CEO]
    assert ceo.state is AddressState.MISCONFIGURED
    assert ceo.test.deciding.label == 'RestrictAccess on "Allstaff"'
    assert ceo.sentence.startswith(
        'Misconfigured: RestrictAccess on "Allstaff" lets the app through — Exchange\'s test '
        "says Granted."
    )
    assert f"{CEO} is a direct member of Allstaff" in ceo.sentence
    assert ceo.sentence.endswith(
        f"remove the policy (Identity t\\{APP}:S-1;oid-allstaff). A send as it was accepted "
        "(202, request-id req-2)."
    )
    assert report.summary.startswith(f"Misconfigured ({CEO}): waiting will not fix it")


def test_star_policy_is_misconfigured_and_named() -> None:
    clock = FakeClock()
    admin = restricted(_policy("allstaff", app="*"))
    admin.exchange.verdicts[CEO] = "Granted"
    report = verify(FakeApp(clock, blocked={CEO}), admin)  # refused today, but not for long
    assert report.outcome is Outcome.MISCONFIGURED
    ceo = by_address(report)[CEO]
    assert ceo.test.deciding.names_every_app
    assert '(AppId "*": it applies to every app)' in ceo.sentence


def test_allowed_address_tested_denied_is_not_in_scope() -> None:
    clock = FakeClock()
    admin = restricted()
    report = verify(FakeApp(clock, blocked={CEO, CFO}), admin, allowed=[NOREPLY, CFO])
    cfo = by_address(report)[CFO]
    assert report.outcome is Outcome.MISCONFIGURED
    assert cfo.sentence.startswith("Misconfigured: not in scope — Exchange's test says Denied")
    assert f"{CFO} is outside every RestrictAccess policy for app {APP}" in cfo.sentence
    assert [p.label for p in cfo.test.outside] == ['RestrictAccess on "Senders"']
    assert cfo.sentence.endswith(
        f"Put it in the scope: sendscope restrict --app {APP} --group senders@{D} --member {CFO}"
    )


def test_allowed_address_a_deny_policy_covers_names_it_and_the_remedy() -> None:
    deny = _policy("allstaff", right="DenyAccess")
    admin = FakeAdmin(FakeExchange([_policy("senders"), deny], {}))
    report = verify(FakeApp(FakeClock(), blocked={CEO, NOREPLY}), admin)
    noreply = by_address(report)[NOREPLY]
    assert report.outcome is Outcome.MISCONFIGURED
    assert noreply.sentence.startswith("Misconfigured: DenyAccess on")
    assert "keeps the app away — Exchange's test says Denied" in noreply.sentence
    assert noreply.sentence.count("not in scope") == 0
    assert f"remove the policy (Identity {deny['Identity']})" in noreply.sentence


def test_no_policy_for_the_app_is_misconfigured() -> None:
    admin = FakeAdmin(FakeExchange([], {NOREPLY: "Granted", CEO: "Granted"}))
    report = verify(FakeApp(FakeClock(), blocked=set()), admin)
    assert report.outcome is Outcome.MISCONFIGURED
    assert report.configured.state is RungState.MISCONFIGURED
    assert report.configured.detail.startswith(
        f"no Application Access Policy names app {APP} (nor *): its Mail.Send reaches every mailbox"
    )


def test_group_that_no_policy_names_is_misconfigured() -> None:
    report = verify(FakeApp(FakeClock(), blocked={CEO}), restricted(), group=f"allstaff@{D}")
    assert report.outcome is Outcome.MISCONFIGURED
    assert report.summary.endswith(f"Configured: {report.configured.detail}")
    assert report.configured.detail == (
        f"no access policy for app {APP} is scoped to --group allstaff@{D}: "
        f'RestrictAccess on "Senders" (senders@{D}).'
    )
    held = verify(FakeApp(FakeClock(), blocked={CEO}), restricted(), group=f"senders@{D}")
    assert held.outcome is Outcome.EFFECTIVE
    assert held.configured.detail.endswith(f"one scoped to senders@{D}.")


def test_refusal_that_is_not_the_policy_is_misconfigured() -> None:
    def missing() -> Exception:
        return PermissionMissing("no Mail.Send", failure=failure(403, "ErrorAccessDenied", "x"))

    app = FakeApp(FakeClock(), blocked={CEO}, errors={NOREPLY: missing})
    report = verify(app, restricted())
    noreply = by_address(report)[NOREPLY]
    assert report.outcome is Outcome.MISCONFIGURED
    assert noreply.send.kind is SendKind.OTHER_REFUSAL and noreply.send.error == "PermissionMissing"
    assert noreply.sentence.startswith(
        "Misconfigured: a send as it was refused, and not by an access policy"
    )
    assert "Graph said: 403 ErrorAccessDenied: x" in noreply.sentence
    assert "--from" not in noreply.sentence  # send's advice is not verify's


# -- cannot tell ----------------------------------------------------------------------------


def test_throttled_until_the_deadline_cannot_tell() -> None:
    def throttled() -> Exception:
        return Throttled("429 past the retry budget", failure=failure(429, "TooManyRequests", "x"))

    clock = FakeClock()
    app = FakeApp(clock, blocked={CEO}, errors={CEO: throttled})
    report = verify(app, restricted(), timeout="10m")
    assert report.outcome is Outcome.CANNOT_TELL and report.exit_code == 6
    assert by_address(report)[CEO].state is AddressState.CANNOT_TELL
    assert (
        by_address(report)[CEO].sentence == "Could not tell this round: 429 past the retry budget"
    )
    assert report.summary.startswith("Cannot tell by the deadline (10m)")
    assert app.senders().count(CEO) == 3  # retried each round, not in a tight loop


def test_cannot_tell_then_clear_answer() -> None:
    clock = FakeClock()
    app = FakeApp(clock, blocked={CEO})
    app.errors[CEO] = lambda: ServiceUnavailable("503")
    rounds: list[RoundReport] = []

    def observe(report: RoundReport) -> None:
        rounds.append(report)
        app.errors.clear()  # the service is back for the next round

    report = run_verification(make_plan(), app, restricted(), clock=clock, observer=observe)
    assert rounds[0].addresses[1].state is AddressState.CANNOT_TELL
    assert report.outcome is Outcome.EFFECTIVE and report.rounds == 2


def test_admin_outage_is_cannot_tell_not_a_crash() -> None:
    clock = FakeClock()
    admin = restricted()
    admin.exchange.fail_tests = lambda: ServiceUnavailable("Exchange is unavailable")
    report = verify(FakeApp(clock, blocked={CEO}), admin, timeout="5m")
    assert report.outcome is Outcome.CANNOT_TELL
    assert by_address(report)[CEO].tested is RungState.CANNOT_TELL


# -- no admin, auth failure, app id ---------------------------------------------------------


def test_without_admin_only_the_effective_rung() -> None:
    clock = FakeClock()
    app = FakeApp(clock, blocked={CEO}, effective_at=clock.t + 10 * HOUR)
    report = verify(app, None, timeout="5m")
    assert not report.admin_checked
    assert report.configured.state is RungState.NOT_CHECKED
    ceo = by_address(report)[CEO]
    assert ceo.tested is RungState.NOT_CHECKED and ceo.state is AddressState.NOT_EFFECTIVE_YET
    assert "Without an admin identity sendscope cannot tell propagation" in ceo.sentence
    assert report.summary.endswith(
        "Configured and tested were not checked: no admin identity was used."
    )
    fine = verify(FakeApp(FakeClock(), blocked={CEO}), None)
    assert fine.outcome is Outcome.EFFECTIVE


def test_authentication_failure_ends_the_run() -> None:
    app = FakeApp(FakeClock(), blocked=set())
    app.errors[NOREPLY] = lambda: AuthenticationFailed("AADSTS7000215: invalid secret")
    with pytest.raises(AuthenticationFailed) as caught:
        verify(app, restricted())
    assert caught.value.exit_code == 4


def test_app_id_must_be_the_sending_app() -> None:
    assert sending_app_id(make_plan(), object()) == APP
    with pytest.raises(UsageError) as caught:
        sending_app_id(make_plan(app_id=None), object())
    assert caught.value.message.startswith("no app to verify: pass --app")


# -- the observer, pacing, the mail ---------------------------------------------------------


def test_observer_sees_every_round_with_next_try() -> None:
    clock = FakeClock()
    app = FakeApp(clock, blocked={CEO}, effective_at=clock.t + 600)
    rounds: list[RoundReport] = []
    verify(app, restricted(), rounds)
    assert [r.round for r in rounds] == [1, 2, 3]
    assert [r.next_try for r in rounds] == [300.0, 600.0, None]
    assert [r.sent for r in rounds] == [(NOREPLY, CEO), (CEO,), (CEO,)]


def test_never_two_sends_as_one_address_within_an_interval() -> None:
    clock = FakeClock()
    app = FakeApp(clock, blocked={CEO}, effective_at=clock.t + HOUR, send_cost=200.0)
    verify(app, restricted(), allowed=[NOREPLY], denied=[CEO, CFO], interval="5m")
    for address in (CEO, CFO):
        times = [t for t, m in app.sent if m.sender == address]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert gaps and min(gaps) >= 300.0


def test_the_verification_mail() -> None:
    app = FakeApp(FakeClock(), blocked={CEO})
    verify(app, restricted())
    messages = [m for _, m in app.sent]
    assert {m.subject for m in messages} == {"sendscope verification run12345"}
    assert all(m.to == (NOREPLY,) and not m.save_to_sent_items for m in messages)
    ceo = next(m for m in messages if m.sender == CEO)
    assert "must NOT be able to send as this mailbox" in ceo.body
