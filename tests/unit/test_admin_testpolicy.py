"""The test-policy use case on an in-memory Exchange: concurrency within the limit, the
evaluator's reason next to the server's verdict, unknown addresses, disagreements."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from sendscope.errors import ApiFailure, RequestRejected, UsageError
from sendscope.testpolicy import run_test_policy, validate_request

APP = "11111111-2222-3333-4444-555555555555"
DOMAIN = "contoso.com"


def _recipient(local: str, kind: str = "UserMailbox") -> dict[str, Any]:
    return {
        "ExternalDirectoryObjectId": f"oid-{local}",
        "PrimarySmtpAddress": f"{local}@{DOMAIN}",
        "RecipientTypeDetails": kind,
        "Name": local,
        "DisplayName": local.title(),
    }


class FakeExchange:
    """Recipients, one RestrictAccess policy on group "senders" (nested "inner"), and a
    Test-ApplicationAccessPolicy that waits until ``parallel`` calls are in flight."""

    def __init__(
        self,
        users: list[str],
        parallel: int,
        lie: set[str] | None = None,
        mailbox_id: str | None = None,
    ) -> None:
        self.recipients = {f"{u}@{DOMAIN}": _recipient(u) for u in users}
        self.recipients["senders"] = _recipient("senders", "MailUniversalSecurityGroup")
        self.recipients["inner"] = _recipient("inner", "MailUniversalSecurityGroup")
        self.members = {"oid-senders": [users[0], "inner"], "oid-inner": [users[1]]}
        self.barrier = threading.Barrier(parallel, timeout=10)
        self.lie = lie or set()
        self.member_reads: list[str] = []
        self.recipient_reads: list[str] = []
        self.mailbox_id = mailbox_id
        self.in_flight = 0
        self.most = 0
        self.lock = threading.Lock()

    def get_application_access_policies(self) -> list[dict[str, Any]]:
        return [
            {
                "Identity": f"t\\{APP}:S-1;oid-senders",
                "AppId": APP,
                "AccessRight": "RestrictAccess",
                "ScopeName": "Senders",
                "ScopeIdentity": "senders",
                "ScopeIdentityRaw": "S-1;oid-senders",
            }
        ]

    def get_recipient(self, identity: str) -> dict[str, Any] | None:
        self.recipient_reads.append(identity)
        by_oid = {r["ExternalDirectoryObjectId"]: r for r in self.recipients.values()}
        return self.recipients.get(identity) or by_oid.get(identity)

    def get_mailboxes(self) -> list[dict[str, Any]]:
        return [r for r in self.recipients.values() if r["RecipientTypeDetails"] == "UserMailbox"]

    def get_distribution_group_members(self, identity: str) -> list[dict[str, Any]]:
        self.member_reads.append(identity)
        return [
            self.recipients.get(f"{m}@{DOMAIN}") or self.recipients[m]
            for m in self.members[identity]
        ]

    def test_application_access_policy(self, *, identity: str, app_id: str) -> dict[str, Any]:
        with self.lock:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
        try:
            self.barrier.wait()
            if identity not in self.recipients:
                failure = ApiFailure(404, "NotFound", f"object '{identity}' couldn't be found")
                raise RequestRejected("not found", failure=failure)
            inside = identity.split("@")[0] in ("u0", "u1")
            verdict = "Granted" if inside != (identity in self.lie) else "Denied"
            return {
                "AppId": app_id,
                "Mailbox": identity,
                "MailboxId": self.mailbox_id or f"oid-{identity.split('@')[0]}",
                "AccessCheckResult": verdict,
            }
        finally:
            with self.lock:
                self.in_flight -= 1


def test_all_addresses_are_tested_concurrently_up_to_the_limit() -> None:
    users = [f"u{i}" for i in range(16)]
    fake = FakeExchange(users, parallel=8)
    report = run_test_policy(fake, APP, [f"{u}@{DOMAIN}" for u in users], workers=8)
    assert fake.most == 8  # the barrier of 8 would have timed out with fewer in flight
    assert [c.server for c in report.checks] == ["Granted", "Granted", *["Denied"] * 14]
    assert report.disagreements == ()
    assert report.policies == 1
    assert "through Inner" in report.checks[1].reason
    assert sorted(fake.member_reads) == ["oid-inner", "oid-senders"]
    assert fake.recipient_reads == ["oid-senders"]  # the scope only: addresses are not read


def test_a_mailbox_is_placed_by_address_when_mailbox_id_is_not_the_entra_id() -> None:
    # MailboxId may be Exchange's own GUID on real Exchange (UNCONFIRMED).
    fake = FakeExchange(["u0", "u1", "u2"], parallel=1, mailbox_id="exchange-guid")
    report = run_test_policy(fake, APP, [f"u1@{DOMAIN}", f"u2@{DOMAIN}"], workers=1)
    assert [c.agrees for c in report.checks] == [True, True]
    assert fake.recipient_reads == ["oid-senders"]  # no re-check was needed


def test_unknown_addresses_agree_and_say_not_found() -> None:
    fake = FakeExchange(["u0", "u1"], parallel=1)
    report = run_test_policy(fake, APP, [f"ghost@{DOMAIN}"], workers=1)
    (check,) = report.checks
    assert (check.found, check.server, check.evaluator, check.agrees) == (False, None, None, True)
    assert check.reason == f"not found: object 'ghost@{DOMAIN}' couldn't be found"
    assert report.unknown == (check,)


def test_a_server_verdict_the_evaluator_does_not_share_is_a_disagreement() -> None:
    fake = FakeExchange(["u0", "u1", "u2"], parallel=1, lie={f"u2@{DOMAIN}"})
    report = run_test_policy(fake, APP, [f"u0@{DOMAIN}", f"u2@{DOMAIN}"], workers=1)
    (odd,) = report.disagreements
    assert (odd.address, odd.server, odd.evaluator) == (f"u2@{DOMAIN}", "Granted", "Denied")
    assert fake.recipient_reads == ["oid-senders", f"u2@{DOMAIN}"]  # re-checked before saying so


def test_all_mailboxes_reads_get_mailbox() -> None:
    fake = FakeExchange(["u0", "u1", "u2"], parallel=3)
    report = run_test_policy(fake, APP, None, workers=8)
    assert [c.address for c in report.checks] == [f"u{i}@{DOMAIN}" for i in range(3)]


@pytest.mark.parametrize(
    ("app", "addresses", "every", "message"),
    [
        ("x", ["a@b.com"], False, "--app 'x' is not a client ID"),
        (APP, ["a@b"], False, "address 'a@b' is not an email address"),
        (APP, [], False, "no mailbox to test"),
        (APP, ["a@b.com"], True, "give addresses or --all-mailboxes, not both"),
    ],
)
def test_validation(app: str, addresses: list[str], every: bool, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        validate_request(app, addresses, every)
    assert caught.value.message.startswith(message)


def test_validation_normalises_and_deduplicates() -> None:
    app, addresses = validate_request(APP.upper(), ["a@b.com", " a@b.com", "c@b.com"], False)
    assert (app, addresses) == (APP, ("a@b.com", "c@b.com"))


def test_progress_counts_every_test_in_order() -> None:
    users = [f"u{i}" for i in range(16)]
    fake = FakeExchange(users, parallel=8)
    seen: list[tuple[str, int]] = []
    addresses = [f"{u}@{DOMAIN}" for u in users]
    run_test_policy(fake, APP, addresses, workers=8, progress=lambda w, n: seen.append((w, n)))
    assert [n for _, n in seen] == list(range(1, len(addresses) + 1))
    assert {w for w, _ in seen} == {f"Test-ApplicationAccessPolicy, of {len(addresses)} mailboxes:"}
