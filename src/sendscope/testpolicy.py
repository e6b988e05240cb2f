"""``test-policy``: Exchange's own ``Test-ApplicationAccessPolicy`` verdict for many mailboxes
at once, each with the reason sendscope's evaluator gives, and every disagreement found.

The steps: validate the input (nothing is asked of Microsoft for a malformed app id or
address); read the tenant's policies, the recipients asked about (``Get-Recipient`` each, or
``Get-Mailbox`` for every mailbox) and the members of the app's scope groups, transitively
(``Get-DistributionGroupMember``); build a ``policy.PolicyContext``; then run
``Test-ApplicationAccessPolicy`` for every address concurrently — a thread pool over the
thread-safe HTTP client, ``workers`` calls in flight at most — and put each server verdict
next to the evaluator's verdict and reason. A disagreement is a finding: either sendscope's
model of the rules or the tenant's data is not what it seems.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from .auth.credentials import check_address, check_client_id
from .errors import RefusedByMicrosoft365, UsageError, not_found
from .policy import PolicyContext, Recipient, evaluate_access_policy

__all__ = [
    "DEFAULT_WORKERS",
    "PolicyCheck",
    "PolicyReader",
    "Progress",
    "TestPolicyReport",
    "read_context",
    "run_test_policy",
    "validate_request",
]

DEFAULT_WORKERS = 8
_T = TypeVar("_T")
_R = TypeVar("_R")


class PolicyReader(Protocol):
    """The Exchange admin calls test-policy makes (``ExchangeAdminClient`` has them)."""

    def get_application_access_policies(self) -> list[dict[str, Any]]: ...

    def get_recipient(self, identity: str) -> dict[str, Any] | None: ...

    def get_mailboxes(self) -> list[dict[str, Any]]: ...

    def get_distribution_group_members(self, identity: str) -> list[dict[str, Any]]: ...

    def test_application_access_policy(self, *, identity: str, app_id: str) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class PolicyCheck:
    """One address: what Exchange answered, what the evaluator says, and whether they agree.

    ``server`` and ``evaluator`` are ``Granted``/``Denied``, or None when the address is
    not a recipient (``found`` False; ``reason`` then quotes Exchange's NotFound).
    """

    address: str
    found: bool
    server: str | None
    evaluator: str | None
    reason: str
    mailbox: str = ""
    mailbox_id: str = ""

    @property
    def agrees(self) -> bool:
        return self.server == self.evaluator


@dataclass(frozen=True, slots=True)
class TestPolicyReport:
    """Every check for one app, in the order the addresses were given."""

    __test__ = False  # not a pytest test class, whatever its name

    app_id: str
    checks: tuple[PolicyCheck, ...]
    policies: int  # how many policies name the app (its id or *)

    @property
    def disagreements(self) -> tuple[PolicyCheck, ...]:
        return tuple(c for c in self.checks if not c.agrees)

    @property
    def unknown(self) -> tuple[PolicyCheck, ...]:
        return tuple(c for c in self.checks if not c.found)


def validate_request(
    app_id: str, addresses: Sequence[str], all_mailboxes: bool
) -> tuple[str, tuple[str, ...]]:
    """The app id (lower-case GUID) and the addresses, or a UsageError naming the bad one."""
    app = check_client_id(app_id, "--app")
    if all_mailboxes and addresses:
        raise UsageError("give addresses or --all-mailboxes, not both")
    if not all_mailboxes and not addresses:
        raise UsageError(
            "no mailbox to test: give one or more addresses (ceo@contoso.com) or --all-mailboxes"
        )
    checked = tuple(check_address(a, "address") for a in addresses)
    return app, tuple(dict.fromkeys(checked))


# ``progress(what, done so far)``: a live count for the display, called from worker threads.
Progress = Callable[[str, int], None]


def run_test_policy(
    exchange: PolicyReader,
    app_id: str,
    addresses: Sequence[str] | None,
    *,
    workers: int = DEFAULT_WORKERS,
    progress: Progress | None = None,
) -> TestPolicyReport:
    """Test every address (``None``: every mailbox) for ``app_id``; see the module doc.

    Recipients asked about by address are not read beforehand: ``Test-ApplicationAccessPolicy``
    names the mailbox it tested (``MailboxId``), and the scope groups' members were read, so
    the evaluator can place it. Only where the two verdicts differ is the recipient read
    (``Get-Recipient``) and evaluated again before calling it a disagreement — half the calls.
    """
    context, targets = read_context(exchange, app_id, addresses)
    tested = _Tally(progress, f"Test-ApplicationAccessPolicy, of {len(targets)} mailboxes:")
    verdicts = _parallel(
        lambda a: tested.count(_server_verdict(exchange, a, app_id)), targets, workers
    )
    checks = [_check(context, app_id, a, v) for a, v in zip(targets, verdicts, strict=True)]
    odd = [i for i, c in enumerate(checks) if not c.agrees]
    if odd:
        rows = _parallel(exchange.get_recipient, [targets[i] for i in odd], workers)
        fuller = context.with_recipients(r for r in rows if r is not None)
        for i in odd:
            checks[i] = _check(fuller, app_id, targets[i], verdicts[i])
    return TestPolicyReport(app_id, tuple(checks), len(context.policies_for_app(app_id)))


def read_context(
    exchange: PolicyReader, app_id: str, addresses: Sequence[str] | None
) -> tuple[_Context, tuple[str, ...]]:
    """The evaluator's context (policies, scopes and their members, every mailbox for
    ``None``) and the addresses to test."""
    policies = exchange.get_application_access_policies()
    recipients: list[dict[str, Any]] = []
    targets = tuple(addresses or ())
    if addresses is None:
        recipients = exchange.get_mailboxes()
        targets = tuple(str(r.get("PrimarySmtpAddress") or "") for r in recipients)
    context = PolicyContext.from_cmdlets(policies, recipients)
    scopes = [context.scope_id(p) for p in context.policies_for_app(app_id)]
    extra, members = _scope_groups(exchange, context, scopes)
    full = PolicyContext.from_cmdlets(policies, [*recipients, *extra], members)
    return _Context(full, policies, [*recipients, *extra], members), targets


@dataclass(frozen=True, slots=True)
class _Context:
    """The evaluator's context and the rows it was built from (to rebuild it with more)."""

    context: PolicyContext
    policies: list[dict[str, Any]]
    rows: list[dict[str, Any]]
    members: dict[str, list[str]]

    def policies_for_app(self, app_id: str) -> tuple[Any, ...]:
        return self.context.policies_for_app(app_id)

    def with_recipients(self, rows: Iterable[dict[str, Any]]) -> _Context:
        more = [*self.rows, *rows]
        context = PolicyContext.from_cmdlets(self.policies, more, self.members)
        return _Context(context, self.policies, more, self.members)


def _scope_groups(
    exchange: PolicyReader, context: PolicyContext, scopes: Iterable[str]
) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """Scope recipients not yet known, and every scope group's members, through nesting."""
    extra: list[dict[str, Any]] = []
    members: dict[str, list[str]] = {}
    queue: list[str] = []
    for scope in dict.fromkeys(scopes):
        known = context.recipients.get(scope)
        row = None if known is not None else exchange.get_recipient(scope)
        if row is not None:
            extra.append(row)
        found = known or (Recipient.from_cmdlet(row) if row is not None else None)
        if found is not None and found.is_group:
            queue.append(scope)
    while queue:
        group = queue.pop()
        if group in members:
            continue
        rows = exchange.get_distribution_group_members(group)
        below = [Recipient.from_cmdlet(r) for r in rows]
        members[group] = [r.object_id for r in below]
        extra.extend(rows)
        queue.extend(r.object_id for r in below if r.is_group)
    return extra, members


@dataclass(frozen=True, slots=True)
class _ServerVerdict:
    result: dict[str, Any] | None
    not_found: str = ""


def _server_verdict(exchange: PolicyReader, address: str, app_id: str) -> _ServerVerdict:
    try:
        return _ServerVerdict(
            exchange.test_application_access_policy(identity=address, app_id=app_id)
        )
    except RefusedByMicrosoft365 as exc:
        if (failure := not_found(exc)) is not None:
            return _ServerVerdict(None, failure.message)
        raise


def _check(context: _Context, app_id: str, address: str, server: _ServerVerdict) -> PolicyCheck:
    if server.result is None:
        known = context.context.find(address)
        if known is None:
            return PolicyCheck(address, False, None, None, f"not found: {server.not_found}")
        verdict = evaluate_access_policy(context.context, app_id, known).verdict.value
        text = f"Exchange says it does not exist ({server.not_found})"
        return PolicyCheck(address, False, None, verdict, text)
    mailbox = _tested_recipient(context.context, address, server.result)
    evaluated = evaluate_access_policy(context.context, app_id, mailbox)
    verdict = str(server.result.get("AccessCheckResult") or "")
    return PolicyCheck(
        address, True, verdict, evaluated.verdict.value, evaluated.reason, *_mailbox(server.result)
    )


def _tested_recipient(context: PolicyContext, address: str, result: dict[str, Any]) -> Recipient:
    """The recipient Exchange tested: known by its MailboxId or address, else a mailbox
    outside every scope (the scopes' members were all read)."""
    mailbox_id = str(result.get("MailboxId") or "")
    known = context.find(address) or (context.find(mailbox_id) if mailbox_id else None)
    if known is not None:
        return known
    return Recipient(
        mailbox_id or address, address, "UserMailbox", name=str(result.get("Mailbox") or "")
    )


def _mailbox(result: dict[str, Any]) -> tuple[str, str]:
    return str(result.get("Mailbox") or ""), str(result.get("MailboxId") or "")


class _Tally:
    """Counts finished calls for ``progress`` (thread-safe; nothing when there is none)."""

    def __init__(self, progress: Progress | None, what: str) -> None:
        self._progress, self._what = progress, what
        self._done = 0
        self._lock = threading.Lock()

    def count(self, result: _R) -> _R:
        if self._progress is not None:
            with self._lock:  # counts shown in order
                self._done += 1
                self._progress(self._what, self._done)
        return result


def _parallel(call: Callable[[_T], _R], items: Sequence[_T], workers: int) -> list[_R]:
    """``call`` on each item, at most ``workers`` at a time, results in the items' order."""
    if len(items) <= 1 or workers <= 1:
        return [call(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        return list(pool.map(call, items))
